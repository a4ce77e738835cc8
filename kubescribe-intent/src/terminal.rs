//! A terminal session pasted with the ask: prompt lines ("$ kubectl -n db
//! exec pgmaster-0 -- ps -eo pid,args", "root@api-7c9f4:/# cat …", "/data #
//! ps") and the output under them (ps and top, netstat and ss, `ls -l`,
//! `kubectl get … -o wide` listings, a table pasted without its prompt).
//! The commands and their output show what was seen, not the policy: they
//! are blanked out (offsets kept), so `kubectl`, `ps` and `cat` are no
//! programs of the ask and a listing's pod names no workloads. What the ask
//! points back to is kept: the executables of the rows it names ("the two
//! /tmp binaries in that ps", "the postgres binary in that listing"), the
//! foreign address of a connection ("that foreign address"), the file a
//! listing shows ("that file"); and, for the policy's own pods when the ask
//! names none, the namespace its commands name (`-n db`) and the labels of
//! the listing it points at ("the pods behind that service").

use std::collections::BTreeMap;

use super::ask_forms::words_of;
use super::*;

/// What a pasted session gives the ask beyond its own words.
#[derive(Debug, Default, Clone)]
pub(super) struct Session {
    /// The namespace its kubectl commands name (`-n db`), one or none.
    pub(super) namespace: Option<String>,
    /// The labels every row of the listing the ask points at carries (its
    /// SELECTOR or LABELS column; hash labels left out).
    pub(super) selector: BTreeMap<String, String>,
}

/// Commands whose prompt line opens a session.
const COMMANDS: &[&str] = &[
    "kubectl",
    "oc",
    "ps",
    "top",
    "netstat",
    "ss",
    "ls",
    "cat",
    "id",
    "whoami",
    "grep",
    "capsh",
    "docker",
    "crictl",
    "curl",
    "wget",
    "ip",
    "lsof",
    "find",
    "stat",
    "getcap",
    "env",
    "mount",
    "iptables",
    "nslookup",
    "dig",
    "head",
    "tail",
    "getfacl",
    "cilium",
    "hubble",
    "calicoctl",
    "karmor",
    "tetra",
    "sudo",
    "echo",
    "uname",
    "df",
    "pgrep",
];

/// Labels a controller puts on every pod of a revision: not the workload's.
const HASH_LABELS: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "pod-template-generation",
];

/// The command of a prompt line ("controlplane $ kubectl get po",
/// "root@web-1:/# cat /etc/x", "sh-4.4$ id", "/data # ps", "$ ss -tlnp"):
/// the words after the prompt, when the first is a known command.
fn command(line: &str) -> Option<Vec<&str>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = (0..words.len().min(2)).find(|&k| {
        let w = words[k];
        w.ends_with(['$', '#'])
            && (w.len() == 1 || k == 0 && !w.starts_with('#') || k == 1 && words[0].len() > 1)
            // "#!/bin/sh" is a script's first line, "# heading" markdown.
            && !(k == 0 && w == "#" && words.get(1).is_some_and(|x| !COMMANDS.contains(x)))
    })?;
    let cmd = &words[at + 1..];
    COMMANDS.contains(cmd.first()?).then(|| cmd.to_vec())
}

/// "PID USER PR NI … COMMAND", "NAME READY STATUS RESTARTS AGE LABELS": a
/// table's header pasted without its prompt.
fn header(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.len() >= 4
        && words.iter().all(|w| {
            w.chars().any(|c| c.is_ascii_uppercase())
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "%+-:()_/".contains(c))
        })
}

/// Whether `line` reads as the writer's prose (most words plain words),
/// which ends a command's output.
fn prose(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let plain = words
        .iter()
        .filter(|w| {
            let w = w.trim_end_matches([',', '.', ';', ':', '?', '!']);
            w.len() >= 2
                && w.chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '\'' || c == '’')
                && w.chars().skip(1).all(|c| !c.is_ascii_uppercase())
        })
        .count();
    words.len() >= 5 && plain * 5 >= words.len() * 3
}

/// One line of the session: its byte range, and the command of its block.
struct Row {
    start: usize,
    end: usize,
    /// The (inner) command whose output it is ("ps" for `kubectl exec … --
    /// ps`); empty for a table pasted without its prompt.
    cmd: String,
    /// The column of the block's SELECTOR or LABELS header, if any.
    labels_col: Option<usize>,
}

/// `text` with a pasted terminal session blanked out but for what the ask
/// points back to, and what the session gives the ask; `None` when it has
/// none.
pub(super) fn without_session(text: &str) -> Option<(String, Session)> {
    let mut session = Session::default();
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut block: Option<(String, Option<usize>)> = None;
    let mut namespaces: Vec<String> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let (start, end) = (at, at + line.trim_end().len());
        at += line.len();
        if let Some(cmd) = command(line) {
            blank.push((start, end));
            namespaces.extend(namespace_flag(&cmd));
            // `kubectl exec pod -- ps …`: the inner command's output.
            let inner = cmd
                .iter()
                .position(|w| *w == "--")
                .and_then(|k| cmd.get(k + 1))
                .unwrap_or(&cmd[0]);
            block = Some((inner.to_string(), None));
            continue;
        }
        if header(line) {
            blank.push((start, end));
            let col = ["SELECTOR", "LABELS"]
                .iter()
                .find_map(|h| line.find(&format!(" {h}")).map(|c| c + 1));
            let cmd = block.take().map(|(c, _)| c).unwrap_or_default();
            block = Some((cmd, col));
            continue;
        }
        match &block {
            Some((cmd, col)) if !line.trim().is_empty() && !prose(line) => {
                blank.push((start, end));
                rows.push(Row {
                    start,
                    end,
                    cmd: cmd.clone(),
                    labels_col: *col,
                });
            }
            _ => block = None,
        }
    }
    if blank.is_empty() {
        return None;
    }
    let outside = |i: usize| !blank.iter().any(|&(f, t)| (f..t).contains(&i));
    let prose_text: String = text
        .char_indices()
        .map(|(i, c)| if outside(i) { c } else { ' ' })
        .collect();
    let said = words_of(&prose_text);
    namespaces.dedup();
    if let [ns] = namespaces.as_slice() {
        session.namespace = Some(ns.clone());
    }
    let pointed = |nouns: &[&str]| {
        (0..said.len()).any(|k| {
            matches!(
                said[k].as_str(),
                "that" | "this" | "those" | "these" | "the"
            ) && said[k + 1..(k + 4).min(said.len())]
                .iter()
                .any(|w| nouns.contains(&w.as_str()))
        })
    };
    // "in that ps", "shown above": the ask points at the listing itself;
    // "the pods behind that service", "access them": at what it lists.
    let at_listing = pointed(&["ps", "list", "table", "top"])
        || said.iter().any(|w| {
            matches!(
                w.as_str(),
                "above" | "listing" | "listed" | "shown" | "output"
            )
        });
    let back = at_listing
        || said
            .iter()
            .any(|w| matches!(w.as_str(), "behind" | "them" | "those" | "these"));
    let mut keep: Vec<(usize, usize)> = Vec::new();
    let mut listing: Vec<BTreeMap<String, String>> = Vec::new();
    for r in &rows {
        let line = &text[r.start..r.end];
        let words: Vec<(usize, &str)> = line
            .split_whitespace()
            .map(|w| (w.as_ptr() as usize - line.as_ptr() as usize + r.start, w))
            .collect();
        // The labels of a listing's rows.
        if back
            && let Some(col) = r.labels_col
            && let Some(&(_, w)) = words
                .iter()
                .find(|&&(o, _)| (col.saturating_sub(1)..=col + 1).contains(&(o - r.start)))
                // The last column, when the rows are not aligned.
                .or_else(|| words.last().filter(|(_, w)| w.contains('=')))
        {
            listing.push(
                w.split(',')
                    .filter_map(split_label)
                    .filter(|(k, _)| !HASH_LABELS.contains(&k.as_str()))
                    .collect(),
            );
        }
        // A connection's foreign address ("that foreign address").
        if matches!(r.cmd.as_str(), "netstat" | "ss")
            && pointed(&[
                "address",
                "addresses",
                "ip",
                "ips",
                "destination",
                "host",
                "peer",
            ])
            && let Some(&(o, w)) = words.iter().filter(|(_, w)| address(w).is_some()).nth(1)
            && let Some(len) = address(w)
        {
            keep.push((o, o + len));
        }
        // The executables of the rows the ask names.
        if at_listing
            && matches!(r.cmd.as_str(), "ps" | "top" | "pgrep" | "")
            && let Some(&(o, w)) = words.iter().find(|(_, w)| w.starts_with('/'))
            && names_row(&said, w)
        {
            keep.push((o, o + w.len()));
        }
        // The file a listing shows ("that file", "that socket").
        if matches!(r.cmd.as_str(), "ls" | "stat")
            && pointed(&[
                "file",
                "files",
                "socket",
                "token",
                "key",
                "directory",
                "path",
            ])
            && let Some(&(o, w)) = words.last()
            && w.starts_with('/')
        {
            keep.push((o, o + w.len()));
        }
    }
    // The labels every row carries.
    if let Some((first, rest)) = listing.split_first() {
        session.selector = first
            .iter()
            .filter(|(k, v)| rest.iter().all(|r| r.get(*k) == Some(*v)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
    let blanks: Vec<(usize, usize)> = blank
        .iter()
        .flat_map(|&(f, t)| {
            let mut cuts = vec![f];
            for &(kf, kt) in keep.iter().filter(|&&(kf, _)| (f..t).contains(&kf)) {
                cuts.push(kf);
                cuts.push(kt);
            }
            cuts.push(t);
            cuts.chunks(2).map(|c| (c[0], c[1])).collect::<Vec<_>>()
        })
        .collect();
    Some((super::masks::blanked(text, &blanks)?, session))
}

/// The namespace a kubectl command names: `-n db`, `--namespace db`,
/// `--namespace=db`.
fn namespace_flag(cmd: &[&str]) -> Option<String> {
    if !matches!(cmd.first(), Some(&"kubectl" | &"oc")) {
        return None;
    }
    let end = cmd.iter().position(|w| *w == "--").unwrap_or(cmd.len());
    let cmd = &cmd[..end];
    cmd.iter().enumerate().find_map(|(k, w)| {
        let v = match *w {
            "-n" | "--namespace" => cmd.get(k + 1).copied()?,
            _ => w.strip_prefix("--namespace=")?,
        };
        is_ns_name(v).then(|| v.to_string())
    })
}

/// The length of the address in `w` ("203.0.113.45:3333" → the address),
/// when it is one other than a wildcard or loopback.
fn address(w: &str) -> Option<usize> {
    let host = w.rsplit_once(':').map_or(w, |(h, _)| h);
    (parse_cidr(host).is_some() && !matches!(host, "0.0.0.0" | "127.0.0.1")).then_some(host.len())
}

/// Whether the ask names the executable `path` of a row: by its directory
/// ("the two /tmp binaries") or by its name ("the postgres binary", "the
/// sshd shown above").
fn names_row(said: &[String], path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let dir = path
        .rsplit_once('/')
        .map_or("", |(d, _)| d)
        .to_ascii_lowercase();
    said.iter().any(|w| {
        w == &base
            || !dir.is_empty()
                && !w.is_empty()
                && {
                    let d = dir.trim_start_matches('/');
                    let w = w.trim_end_matches('/');
                    d == w || d.starts_with(&format!("{w}/"))
                }
                && said.iter().any(|x| {
                    matches!(
                        x.as_str(),
                        "binaries" | "binary" | "executables" | "processes"
                    )
                })
    })
}

impl Parser<'_> {
    /// This parser, given what a pasted session says.
    pub(super) fn with_session(mut self, session: &Session) -> Self {
        self.session = session.clone();
        self
    }

    /// The namespace and labels of the policy's own pods from a pasted
    /// session, when the ask names none (said as assumptions).
    pub(super) fn session_scope(
        &mut self,
        ns: &mut Option<String>,
        labels: &mut BTreeMap<String, String>,
        pods: &[String],
        cluster_wide: bool,
    ) {
        if cluster_wide {
            return;
        }
        if labels.is_empty() && pods.is_empty() && !self.session.selector.is_empty() {
            labels.extend(self.session.selector.clone());
            let said: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.assume.push(format!(
                "pods labelled {} as the pasted listing shows them",
                said.join(", ")
            ));
        }
        if ns.is_none()
            && let Some(x) = self.session.namespace.clone()
        {
            self.assume.push(format!(
                "namespace {x} taken from the pasted command (`-n {x}`)"
            ));
            *ns = Some(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(t: &str) -> String {
        super::super::masks::kept_words(t, without_session(t).map(|(s, _)| s))
    }

    #[test]
    fn a_session_is_blanked_but_what_the_ask_points_to() {
        let t = "/data # ps -o pid,args\nPID   COMMAND\n    1 redis-server *:6379\n   88 /tmp/kx\n   93 /tmp/ky\nin app=r, ns c: prevent the two /tmp binaries in that ps from executing";
        assert_eq!(
            kept(t),
            "/tmp/kx /tmp/ky in app=r, ns c: prevent the two /tmp binaries in that ps from executing"
        );
        let t = "$ netstat -antp\ntcp 0 0 10.0.0.5:41876 203.0.113.45:3333 ESTABLISHED 1/x\nthe web pods (app=w, namespace n) must not connect to that foreign address";
        assert_eq!(
            kept(t),
            "203.0.113.45 the web pods (app=w, namespace n) must not connect to that foreign address"
        );
        // Prose after a session ends it; a markdown heading opens none.
        assert_eq!(kept("# Block sh\nblock /bin/sh in app=a, ns b"), "-");
    }

    #[test]
    fn the_namespace_and_labels_of_a_listing() {
        let t = "$ kubectl get svc -n cache -o wide\nNAME    TYPE    CLUSTER-IP    PORT(S)    SELECTOR\nredis   ClusterIP   10.96.0.7   6379/TCP   app=redis,tier=db\nblock the internet from reaching 6379 on the pods behind that service";
        let (_, s) = without_session(t).unwrap();
        assert_eq!(s.namespace.as_deref(), Some("cache"));
        assert_eq!(s.selector.get("tier").map(String::as_str), Some("db"));
        assert_eq!(s.selector.len(), 2);
    }
}
