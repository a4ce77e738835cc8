//! The writer correcting or extending the ask in the same message, as chat
//! messages do: "allow 443 … sorry, 6443 not 443", "deny 8200 and 8201.
//! scratch 8200 - just 8201", "audit writes under /dev/ … no wait, block
//! them", "block /bin/bash. oh and /bin/sh too". The writer's last word
//! counts: what the correction names replaces what was said of its kind
//! (or joins it, for "oh and … too"), what it strikes ("not 443",
//! "scratch 8200") goes, and one left undecided ("not sure yet", "need to
//! check") is refused with what is still open.

use super::*;

/// How the correction at a token relates to what came before.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Correction {
    /// "sorry, …", "no wait, …", "actually …", "scratch …", "I mean …".
    Replaces,
    /// "oh and … too", "also …".
    Adds,
}

impl<'a> Parser<'a> {
    /// The token where a correction of what came before starts (after
    /// `from`, at the start of a clause), and its kind.
    pub(super) fn correction_start(&self, from: usize) -> Option<(usize, Correction)> {
        let n = self.toks.len();
        let word = |k: usize| {
            self.low(k)
                .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        };
        (from.max(1)..n).find_map(|k| {
            let gap = &self.text[self.toks[k - 1].end..self.toks[k].start];
            let clause_start = gap.contains(['.', ',', ';', '-', '—', '…', ':'])
                || self.toks[k - 1].comma
                || self.toks[k - 1].text.ends_with("...")
                || matches!(self.toks[k - 1].text, "-" | "—" | "–");
            if !clause_start {
                return None;
            }
            let kind = match (word(k), word(k + 1)) {
                ("no", "wait") | ("wait", _) | ("sorry", _) | ("scratch", _) => {
                    Correction::Replaces
                }
                // "not sure yet whether to block it or just alert on it".
                ("actually", _) | ("hmm", _) | ("i", "mean") | ("no", "not") | ("not", "sure") => {
                    Correction::Replaces
                }
                ("oh", "and") | ("oh", "also") => Correction::Adds,
                _ => return None,
            };
            Some((k, kind))
        })
    }

    /// Reads the correction from token `from` to `to` into a fresh
    /// accumulator: bare numbers are ports when the ask had ports ("sorry,
    /// 6443 not 443"), and "only the writes" narrows the operation.
    pub(super) fn read_correction(&mut self, from: usize, to: usize, ported: bool) -> Acc {
        let mut c = Acc::default();
        self.scan(&mut c, from, to);
        if ported && c.ports.is_empty() {
            for k in from..to {
                let w = self.low(k).trim_end_matches([',', '.', ';', ')']);
                if let Some((p, e)) = parse_port(w)
                    && !self.toks[k].text.contains(['/', '.'])
                {
                    super::values::push_port(&mut c, p, e, &[]);
                }
            }
        }
        c.only_writes = (from..to).any(|k| {
            self.low(k) == "only"
                && (k + 1..(k + 3).min(to)).any(|j| {
                    matches!(
                        self.low(j).trim_end_matches([',', '.']),
                        "writes" | "write" | "writing" | "modifications"
                    )
                })
        });
        c
    }

    /// Whether the correction from token `from` leaves the ask undecided
    /// ("not sure yet, will decide later", "need to check").
    pub(super) fn undecided(&self, from: usize) -> bool {
        let words: Vec<&str> = (from..self.toks.len())
            .map(|k| {
                self.low(k)
                    .trim_matches(|c: char| !c.is_ascii_alphanumeric())
            })
            .collect();
        words.windows(2).any(|w| {
            matches!(
                (w[0], w[1]),
                ("not", "sure")
                    | ("decide", "later")
                    | ("need", "to")
                    | ("have", "to")
                    | ("to", "check")
                    | ("look", "up")
            )
        }) && words
            .iter()
            .any(|w| matches!(*w, "check" | "sure" | "later" | "up" | "decide"))
    }

    /// The values the correction from token `from` strikes: those right
    /// after "not", "scratch", "drop", "remove" or "without".
    pub(super) fn struck(&self, from: usize) -> Vec<String> {
        (from + 1..self.toks.len())
            .filter(|&k| {
                matches!(
                    self.low(k - 1),
                    "not" | "scratch" | "drop" | "remove" | "without" | "minus"
                )
            })
            .map(|k| {
                self.toks[k]
                    .text
                    .trim_end_matches([',', '.', ';', ')'])
                    .to_string()
            })
            .collect()
    }
}

/// What a correction `c` (read on its own) leaves undecided, for the
/// refusal: what it was about.
pub(super) fn still_open(c: &Acc, about_port: bool) -> String {
    if c.allow.is_some() || c.block.is_some() || c.audit.is_some() {
        "what to do: allow (or only …), audit or block? the correction leaves it open".to_string()
    } else if about_port || !c.ports.is_empty() {
        "which port: the correction withdraws it without giving another".to_string()
    } else {
        "which pods: the correction withdraws them without naming others".to_string()
    }
}

/// Merges the correction `c` into `a`: its action replaces `a`'s, the
/// values it names replace (or, for `Adds`, join) those of their kind, and
/// the values in `struck` go.
pub(super) fn merge(a: &mut Acc, mut c: Acc, kind: Correction, struck: &[String]) {
    // ("oh and /bin/sh too, most images only ship sh": an addition keeps
    // the action.)
    // ("actually only the writes": "only" narrows, it orders nothing.)
    let ordered = c
        .allow
        .as_deref()
        .is_some_and(|w| !w.eq_ignore_ascii_case("only"))
        || c.block.is_some()
        || c.audit.is_some();
    if kind == Correction::Replaces && ordered {
        a.allow = c.allow.take();
        a.block = c.block.take();
        a.audit = c.audit.take();
        a.only |= c.only;
    }
    // "… except 10.224.6.10. wait, make the except the whole
    // 10.224.6.0/24": the addresses replace the exception.
    if c.except && !a.except_cidrs.is_empty() && c.except_cidrs.is_empty() {
        c.except_cidrs = std::mem::take(&mut c.cidrs);
    }
    // "only /usr/bin/ssh may read … oh and /usr/bin/ssh-add too": another
    // program that acts.
    if kind == Correction::Adds && !a.sources.is_empty() {
        let (progs, rest): (Vec<_>, Vec<_>) =
            c.paths.into_iter().partition(|(p, _)| exec_looking(p));
        c.paths = rest;
        c.sources.extend(progs.into_iter().map(|(p, _)| p));
        c.sources.append(&mut c.binaries);
    }
    let struck_port = |p: &PortSpec| struck.iter().any(|s| s == &p.port.to_string());
    let bare = |x: &str| x.trim_end_matches("/32").to_string();
    let struck_value = |v: &String| struck.iter().any(|s| s == v || bare(v) == *s);
    c.ports.retain(|(p, _)| !struck_port(p));
    // Executables named anew replace the directories they were run from
    // ("anything from /sbin/ - hmm, just /sbin/apk and /sbin/mii-tool").
    let named_execs = !c.binaries.is_empty() || c.paths.iter().any(|(p, _)| exec_looking(p));
    if kind == Correction::Replaces
        && named_execs
        && c.dirs.is_empty()
        && a.dirs.iter().all(|d| d.ends_with("bin/"))
    {
        a.dirs.clear();
    }
    let only_writes = c.only_writes;
    join_values(a, c, kind);
    a.ports.retain(|(p, _)| !struck_port(p));
    a.cidrs.retain(|x| !struck_value(x));
    a.binaries.retain(|x| !struck_value(x));
    a.dirs.retain(|x| !struck_value(x));
    a.paths.retain(|(x, _)| !struck_value(x));
    // "… actually only the writes": the operation narrowed.
    if only_writes {
        a.reads = false;
        a.writes = true;
        a.read_only_word = true;
    }
}

/// Moves the values `c` names into `a`: each kind `c` names replaces `a`'s
/// (`Replaces`) or joins it (`Adds`), without repeats.
pub(super) fn join_values(a: &mut Acc, c: Acc, kind: Correction) {
    fn take<T: PartialEq>(to: &mut Vec<T>, from: Vec<T>, kind: Correction) {
        if from.is_empty() {
            return;
        }
        if kind == Correction::Replaces {
            to.clear();
        }
        for x in from {
            if !to.contains(&x) {
                to.push(x);
            }
        }
    }
    take(&mut a.ports, c.ports, kind);
    take(&mut a.cidrs, c.cidrs, kind);
    take(&mut a.except_cidrs, c.except_cidrs, kind);
    take(&mut a.fqdns, c.fqdns, kind);
    take(&mut a.syscalls, c.syscalls, kind);
    take(&mut a.caps, c.caps, kind);
    take(&mut a.sources, c.sources, kind);
    take(&mut a.binaries, c.binaries, kind);
    take(&mut a.dirs, c.dirs, kind);
    take(&mut a.paths, c.paths, kind);
}
