//! Typing slips in the words that carry an intent ("alow ingres from …",
//! "namesapce", "acess", "sycall"): a word one slip (a letter missing,
//! added, changed, or two letters swapped) away from one of these keywords,
//! and not itself an English word near it, is read as the keyword. Values
//! (labels, names, paths, ports) are never touched: only plain lower-case
//! words are, and the parser says which it corrected.

/// Keywords a slip is corrected to: long enough that one slip rarely lands
/// on another English word.
const KEYWORDS: &[&str] = &[
    "allow",
    "allowed",
    "block",
    "blocked",
    "ingress",
    "egress",
    "namespace",
    "namespaces",
    "access",
    "syscall",
    "syscalls",
    "traffic",
    "execute",
    "execution",
    "executing",
    "modify",
    "modification",
    "modifications",
    "recursive",
    "recursively",
    "permission",
    "permissions",
    "receive",
    "connection",
    "connections",
    "outbound",
    "inbound",
    "incoming",
    "outgoing",
    "capability",
    "capabilities",
    "directory",
    "directories",
    "process",
    "processes",
    "container",
    "containers",
    "deployment",
    "deployments",
    "restrict",
    "accessible",
    "reachable",
];

/// English words one slip away from a keyword: never corrected.
const NEIGHBOURS: &[&str] = &[
    "allot",
    "alloy",
    "allows",
    "black",
    "clock",
    "flock",
    "bloc",
    "blocs",
    "blocks",
    "regress",
    "excess",
    "accuse",
    "labeled",
    "labelled",
    "proceed",
    "blacked",
    "flocked",
    "clocked",
    "blocker",
    "blockers",
    "namespaced",
    "processed",
    "containerd",
];

/// The keyword `word` (lower case) is a slip of, or `None`.
pub(super) fn corrected(word: &str) -> Option<&'static str> {
    // Chat's short forms: "egr only https to …", "keep /etc/nginx/ ro".
    match word {
        "egr" => return Some("egress"),
        "ing" => return Some("ingress"),
        "ro" | "r/o" => return Some("read-only"),
        _ => {}
    }
    if word.len() < 4
        || !word.bytes().all(|b| b.is_ascii_lowercase())
        || KEYWORDS.contains(&word)
        || NEIGHBOURS.contains(&word)
    {
        return None;
    }
    let mut hits = KEYWORDS.iter().filter(|k| one_slip(word, k));
    let first = hits.next()?;
    // Two keywords one slip away ("allowe"): no guess.
    hits.next().is_none().then_some(*first)
}

/// Whether `a` and `b` differ by one letter missing, added (not at the
/// end) or changed, or two neighbouring letters swapped, after the same
/// first letter.
fn one_slip(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    // A slip keeps the first letter: "lock" is no "block".
    if pre == 0 {
        return false;
    }
    let (ra, rb) = (&a[pre..], &b[pre..]);
    match ra.len() as isize - rb.len() as isize {
        0 => {
            !ra.is_empty() && ra[1..] == rb[1..]
                || ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..]
        }
        // A letter added at the end is an inflection ("executed",
        // "namespaced", "containerd", "blocker"), not a slip.
        1 => !rb.is_empty() && ra[1..] == *rb,
        -1 => *ra == rb[1..],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slip_from_a_keyword_is_corrected() {
        assert_eq!(corrected("alow"), Some("allow"));
        assert_eq!(corrected("ingres"), Some("ingress"));
        assert_eq!(corrected("egres"), Some("egress"));
        assert_eq!(corrected("namesapce"), Some("namespace"));
        assert_eq!(corrected("namepsace"), Some("namespace"));
        assert_eq!(corrected("acess"), Some("access"));
        assert_eq!(corrected("sycall"), Some("syscall"));
        assert_eq!(corrected("recursivly"), Some("recursively"));
        assert_eq!(corrected("containter"), Some("container"));
    }

    #[test]
    fn words_and_values_stay() {
        for w in [
            "allow",
            "black",
            "clock",
            "regress",
            "audio",
            "present",
            "egg",
            "app",
            "shop",
            "ingress-nginx",
            "web1",
            "Allow",
            "executed",
            "namespaced",
            "containerd",
            "blocker",
            "received",
            "restricts",
        ] {
            assert_eq!(corrected(w), None, "{w}");
        }
    }
}
