//! What happened, told as the reason for the ask: "since the namespace
//! default deny landed in monitoring, they can't gossip anymore", "because
//! the old policy was applied to prod, …". The clause opened by "since" or
//! "because" that tells a past event names the event's policy, verb and
//! namespace, not the ask's: it is blanked (offsets kept) up to the comma
//! that closes it.

/// Past-tense words that make a clause tell an event.
const HAPPENED: &[&str] = &[
    "was", "were", "got", "went", "had", "came", "broke", "began", "ran", "hit",
];

/// The byte ranges of the reason clauses of `text`.
pub(super) fn reason_clauses(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    for (k, &(at, w)) in words.iter().enumerate() {
        let lw = w.to_ascii_lowercase();
        if !matches!(lw.as_str(), "since" | "because") {
            continue;
        }
        // The clause: up to a word that ends with a comma or a sentence
        // end (on the same line), at most twelve words.
        let mut end = None;
        for &(s, x) in words.iter().skip(k + 1).take(12) {
            if text[at..s].contains('\n') {
                break;
            }
            // (Only a clause that a comma closes, the ask going on after
            // it; a reason at a sentence's end may hold the ask's peer.)
            if x.ends_with([',', '.', ';', ':', '(', ')']) || x.starts_with('(') {
                end = (x.ends_with(',') && !x.starts_with('(')).then_some(s + x.len() - 1);
                break;
            }
        }
        let Some(end) = end else { continue };
        let clause: Vec<String> = text[at..end]
            .split_whitespace()
            .skip(1)
            .map(|x| x.to_ascii_lowercase())
            .collect();
        // ("since last week": a time, no event; "since port 80 is …": the
        // clause's values may be the ask's.)
        let told = clause.iter().any(|x| {
            HAPPENED.contains(&x.as_str()) || x.len() > 4 && x.ends_with("ed") && x != "need"
        });
        let values = clause
            .iter()
            .any(|x| x.contains(['=', '/']) || x.chars().any(|c| c.is_ascii_digit()));
        if told && !values && clause.len() >= 3 {
            out.push((at, end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::reason_clauses;

    #[test]
    fn a_past_event_after_since_is_a_reason() {
        let t =
            "same here since the namespace default deny landed in monitoring, they can't gossip.";
        let r = reason_clauses(t);
        assert_eq!(r.len(), 1);
        assert_eq!(
            &t[r[0].0..r[0].1],
            "since the namespace default deny landed in monitoring"
        );
        assert!(reason_clauses("block it since last week, please.").is_empty());
        assert!(reason_clauses("since app=a was moved, block it.").is_empty());
        assert!(reason_clauses("allow it since the ns got locked down.").is_empty());
    }
}
