//! Whole phrases that say a posture or name a peer in words: "receives
//! nothing", "anything in the cluster", "outside the cluster", "lock down",
//! policy names such as "default-deny-ingress". Read by
//! [`scan`](super::scan) before single words.

use super::*;

/// Nouns after an entity word that make it a modifier ("the kube-apiserver
/// operator", "the host pods"): then the noun, not the entity, is named.
pub(super) const ENTITY_MODIFIED: &[&str] = &[
    // "world readable permissions", "the node code": a file's mode, code.
    "readable",
    "writable",
    "writeable",
    "permissions",
    "code",
    // "sensitive host directories", "the host filesystem": where files are.
    "directories",
    "directory",
    "dirs",
    "files",
    "file",
    "filesystem",
    "paths",
    "binaries",
    "processes",
    "process",
    "operator",
    "operators",
    "pod",
    "pods",
    "namespace",
    "namespaces",
    "deployment",
    "controller",
    "team",
    "logs",
    "certificate",
    "certificates",
    "token",
    "tokens",
    // "targeting PID 1 (host init)", "the host process namespace".
    "init",
    "process",
    "processes",
    "pid",
    "filesystem",
    "kernel",
    "path",
    "paths",
    "mount",
    "mounts",
];

/// Nouns that end a phrase about executables ("network scanning tools").
pub(super) const PROCESS_HEADS: &[&str] = &[
    "tool",
    "tools",
    "utility",
    "utilities",
    "command",
    "commands",
    "program",
    "programs",
    "binaries",
    "executables",
];

impl<'a> Parser<'a> {
    /// The phrase starting at token `i`, if it is one of these: what it says
    /// goes to `a`; returns the token after it.
    pub(super) fn posture_phrase(&mut self, a: &mut Acc, i: usize) -> Option<usize> {
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        let prev = self.prev_low(i).to_string();
        let next = self.low(i + 1).to_string();
        // "receives nothing", "sends no traffic": a default deny that way.
        if matches!(l, "receive" | "receives" | "send" | "sends" | "gets")
            && (next == "nothing"
                || next == "no" && !matches!(self.low(i + 2), "other" | "others" | "one" | "more"))
            && !self.excepts_after(i + 1)
        {
            self.ent(EntityKind::Action, t.start, self.toks[i + 1].end);
            a.block.get_or_insert(format!("{l} {next}"));
            a.default_deny = true;
            a.all_word = true;
            a.dir_implied.get_or_insert(if l.starts_with("send") {
                Direction::Egress
            } else {
                Direction::Ingress
            });
            return Some(i + 2);
        }
        // "anything in the cluster": the cluster entity.
        if matches!(l, "anything" | "anywhere" | "everything" | "everywhere")
            && next == "in"
            && self.low(i + 2) == "the"
            && self.low(i + 3) == "cluster"
        {
            self.ent(EntityKind::Cidr, t.start, self.toks[i + 3].end);
            if !a.entities.contains(&NetworkEntity::Cluster) {
                a.entities.push(NetworkEntity::Cluster);
            }
            if prev == "from" || self.cue == Some(Cue::From) {
                a.dir_implied.get_or_insert(Direction::Ingress);
            }
            self.cue = None;
            return Some(i + 4);
        }
        // "only from inside the cluster", "from within the cluster": the
        // cluster entity, where traffic comes from or goes to.
        if matches!(l, "inside" | "within")
            && matches!(prev.as_str(), "from" | "to")
            && next == "the"
            && self.low(i + 2).trim_end_matches([',', '.', ';']) == "cluster"
        {
            self.ent(EntityKind::Cidr, t.start, self.toks[i + 2].end);
            if !a.entities.contains(&NetworkEntity::Cluster) {
                a.entities.push(NetworkEntity::Cluster);
            }
            if prev == "from" {
                a.dir_implied.get_or_insert(Direction::Ingress);
            }
            self.cue = None;
            return Some(i + 3);
        }
        // "anything outside the cluster", "outside of the cluster": the world.
        if l == "outside"
            && let k = if next == "of" { i + 2 } else { i + 1 }
            && self.low(k) == "the"
            && self.low(k + 1) == "cluster"
        {
            self.ent(EntityKind::Cidr, t.start, self.toks[k + 1].end);
            if !a.entities.contains(&NetworkEntity::World) {
                a.entities.push(NetworkEntity::World);
            }
            if prev == "from" || self.cue == Some(Cue::From) {
                a.dir_implied.get_or_insert(Direction::Ingress);
            } else {
                a.dir_implied.get_or_insert(Direction::Egress);
            }
            self.cue = None;
            return Some(k + 2);
        }
        if matches!(l, "lock" | "locks" | "locking") && next == "down" {
            // "locking down db egress ports": ports said, none given.
            if let Some(k) = (i + 2..(i + 6).min(self.toks.len()))
                .find(|&k| matches!(self.low(k), "port" | "ports"))
                && !(i + 2..(k + 3).min(self.toks.len()))
                    .any(|j| self.toks[j].text.chars().any(|c| c.is_ascii_digit()))
            {
                a.unnamed_port
                    .get_or_insert(self.text[self.toks[i + 2].start..self.toks[k].end].to_string());
            }
            self.ent(EntityKind::Action, t.start, self.toks[i + 1].end);
            a.block.get_or_insert("lock down".to_string());
            a.isolate = true;
            a.all_word = true;
            return Some(i + 2);
        }
        // Policy names: "all-egress-deny", "default-deny-ingress", "allow-all-egress".
        if l.contains('-') && !l.starts_with('/') && {
            let parts: Vec<&str> = l.split('-').collect();
            parts.len() >= 3
                && parts.iter().any(|p| matches!(*p, "deny" | "allow"))
                && parts.contains(&"all")
                && parts.iter().all(|p| {
                    matches!(
                        *p,
                        "deny" | "allow" | "all" | "default" | "ingress" | "egress"
                    )
                })
        } {
            let parts: Vec<&str> = l.split('-').collect();
            self.ent(EntityKind::Action, t.start, t.end);
            if parts.contains(&"deny") {
                a.block.get_or_insert(t.text.to_string());
                a.default_deny = true;
            } else {
                a.allow.get_or_insert(t.text.to_string());
            }
            a.all_word = true;
            let (ing, eg) = (parts.contains(&"ingress"), parts.contains(&"egress"));
            a.dir_explicit = match (ing, eg) {
                (true, false) => Some(Direction::Ingress),
                (false, true) => Some(Direction::Egress),
                (true, true) => Some(Direction::Both),
                _ => a.dir_explicit,
            };
            return Some(i + 1);
        }
        if matches!(
            l,
            "default-deny" | "deny-all" | "allow-nothing" | "allow-none"
        ) {
            self.ent(EntityKind::Action, t.start, t.end);
            a.block.get_or_insert(t.text.to_string());
            a.default_deny = true;
            a.all_word = true;
            return Some(i + 1);
        }
        None
    }

    /// Docker's capability flags at token `i` ("--cap-drop=ALL",
    /// "--cap-add=NET_BIND_SERVICE", "`--cap-drop=SETGID,SETUID`"): what is
    /// added back is the exception to the drop. Whether token `i` is one.
    pub(super) fn docker_cap_flag(&mut self, a: &mut Acc, i: usize) -> bool {
        let t = self.toks[i].clone();
        let Some((flag, value)) = t
            .lower
            .trim_end_matches([',', ';'])
            .strip_prefix("--")
            .and_then(|f| f.split_once('='))
            .filter(|(flag, _)| matches!(*flag, "cap-drop" | "cap-add"))
        else {
            return false;
        };
        self.ent(EntityKind::Action, t.start, t.end);
        a.domain_word.get_or_insert(Domain::Capability);
        if flag == "cap-drop" {
            a.block.get_or_insert("drop".to_string());
        } else {
            a.except = true;
        }
        // A comma-separated list, in backticks or not.
        for cap in value.split(',') {
            let cap = cap
                .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .trim_start_matches("cap_");
            if flag == "cap-drop" && cap == "all" {
                a.all_word = true;
            } else if !cap.is_empty() {
                push_uniq(&mut a.caps, cap.to_string());
            }
        }
        true
    }

    /// "everything else: denied", "everything else is blocked", "…, rest
    /// blocked" at token `i` (of a clause ending before `n`): the
    /// allow-list's posture, not a block of its own. The token after it.
    pub(super) fn else_denied(&mut self, a: &mut Acc, i: usize, n: usize) -> Option<usize> {
        let l = self.low(i).to_string();
        let l = l.as_str();
        // "everything else: denied", "everything else is blocked": the
        // allow-list's posture, not a block of its own.
        // "…, rest blocked", "the rest is denied": the same posture.
        // ("rest all should get blocked", "rest need to block", as typed in
        // a hurry: a few words between.)
        let rest_denied = l == "rest"
            && (i + 1..(i + 5).min(n))
                .take_while(|&k| k == i + 1 || !self.ends_clause(k - 1))
                .any(|k| {
                    matches!(
                        self.low(k).trim_end_matches(['.', ',']),
                        "blocked" | "denied" | "dropped" | "rejected" | "block" | "deny" | "drop"
                    )
                });
        // "all traffic other than that is rejected", "any traffic else is
        // dropped": the same, the kind said.
        let kind_else = matches!(l, "all" | "any")
            && matches!(
                self.low(i + 1),
                "traffic" | "connections" | "egress" | "ingress" | "requests"
            );
        let after = if kind_else && self.low(i + 2) == "else" {
            Some(i + 3)
        } else if kind_else
            && self.low(i + 2) == "other"
            && self.low(i + 3) == "than"
            && matches!(
                self.low(i + 4).trim_end_matches([',', '.']),
                "that" | "this" | "these" | "those"
            )
        {
            Some(i + 5)
        } else if matches!(l, "everything" | "anything" | "all" | "nothing")
            && matches!(self.low(i + 1), "else" | "other")
            && !self.other_than(i + 1)
            || rest_denied
        {
            Some(i + 2)
        } else if matches!(
            l,
            "anything" | "anyone" | "everything" | "everyone" | "nothing" | "nobody"
        ) && matches!(self.low(i + 1), "without" | "outside")
        {
            // "Anything without that label is kept off both ports",
            // "Nothing outside the monitoring namespace should get to
            // them": everyone the allow-list leaves out, up to its verb.
            (i + 2..(i + 9).min(n))
                .take_while(|&k| !self.ends_clause(k - 1))
                .find(|&k| {
                    matches!(
                        self.low(k),
                        "is" | "are"
                            | "should"
                            | "must"
                            | "can"
                            | "cannot"
                            | "can't"
                            | "may"
                            | "will"
                            | "gets"
                            | "get"
                            | "stays"
                            | "stay"
                    )
                })
        } else {
            None
        };
        if let Some(start) = after {
            a.only = true;
            let mut k = start;
            while k < n && k < start + 7 {
                let w = self.low(k);
                if BLOCK_WORDS.contains(&w) || matches!(w, "denied" | "blocked" | "dropped") {
                    k += 1;
                    break;
                }
                // "… must not reach 15012", "… is kept off both ports".
                let next = self.low(k + 1);
                if matches!(
                    w,
                    "not" | "never" | "cannot" | "can't" | "mustn't" | "shouldn't"
                ) && matches!(
                    next,
                    "reach"
                        | "get"
                        | "connect"
                        | "talk"
                        | "access"
                        | "call"
                        | "hit"
                        | "be"
                        | "allowed"
                        | "permitted"
                        | "reachable"
                        | "accepted"
                ) || matches!(w, "kept" | "keep") && matches!(next, "off" | "out" | "away")
                {
                    k += 2;
                    break;
                }
                if let Some(d) = match w {
                    "ingress" | "incoming" | "inbound" => Some(Direction::Ingress),
                    "egress" | "outgoing" | "outbound" => Some(Direction::Egress),
                    _ => None,
                } {
                    a.dir_implied.get_or_insert(d);
                    k += 1;
                    continue;
                }
                if !matches!(
                    w,
                    "traffic"
                        | "network"
                        | "connections"
                        | "requests"
                        | "communication"
                        | "is"
                        | "are"
                        | "gets"
                        | "get"
                        | "will"
                        | "be"
                        | "should"
                        | "must"
                        | "coming"
                        | "in"
                        | "out"
                        | "to"
                        | "need"
                        | "needs"
                        | "all"
                ) {
                    k = start;
                    break;
                }
                k += 1;
            }
            return Some(k.max(start));
        }
        None
    }

    /// "X must be dropped, everything else is allowed", "…, anything else
    /// may still reach them": beside a block, what it leaves alone — no
    /// allow of its own (it was read as one, turning the block into an
    /// allow of X). The token after its clause.
    pub(super) fn else_allowed(&self, i: usize, n: usize) -> Option<usize> {
        let others = matches!(
            self.low(i),
            "everything" | "anything" | "everyone" | "anyone"
        ) && self.low(i + 1) == "else"
            || self.low(i) == "all"
                && self.low(i + 1) == "other"
                && matches!(
                    self.low(i + 2),
                    "traffic" | "connections" | "access" | "pods" | "clients" | "peers"
                );
        if !others || self.other_than(i + 1) {
            return None;
        }
        let mut end = i + 2;
        while end < n && !self.ends_clause(end - 1) {
            end += 1;
        }
        let words: Vec<&str> = (i + 2..end)
            .map(|k| self.low(k).trim_end_matches(['.', ',', ';', '!']))
            .collect();
        let allowed = words.iter().any(|w| {
            matches!(
                *w,
                "allowed" | "permitted" | "fine" | "unaffected" | "untouched" | "unchanged"
            )
        }) || words.windows(2).any(|w| {
            matches!(w[0], "may" | "can" | "should" | "must" | "will")
                && matches!(w[1], "still" | "continue" | "keep")
        });
        let negated = words
            .iter()
            .any(|w| matches!(*w, "not" | "never" | "no" | "cannot" | "can't"));
        // (Values in it say what stays open — "everything else may still
        // reach them on 8080" — as "8443 stays open" does: left alone.)
        (allowed && !negated).then_some(end)
    }

    /// "should keep IPC_LOCK; drop all the others.": what was named before
    /// stays, the drop at token `i` is the allow-list's posture. The token
    /// after it.
    pub(super) fn drop_the_others(&mut self, a: &mut Acc, i: usize) -> Option<usize> {
        let named = !a.caps.is_empty()
            || !a.binaries.is_empty()
            || !a.paths.is_empty()
            || !a.dirs.is_empty();
        if !named || !matches!(self.low(i), "drop" | "deny" | "block" | "remove") {
            return None;
        }
        let end = self.the_others_after(i)?;
        a.only = true;
        Some(end)
    }

    /// The token after "all the others", "all others", "the others" or "the
    /// rest" right after token `i`, closing its clause.
    fn the_others_after(&self, i: usize) -> Option<usize> {
        let word = |k: usize| self.low(k).trim_end_matches(['.', ',', ';', '!']);
        let mut k = i + 1;
        if word(k) == "all" {
            k += 1;
        }
        if word(k) == "the" {
            k += 1;
        }
        // ("owner only, block others": the owner-only posture's own words.)
        (k > i + 1
            && matches!(word(k), "others" | "rest")
            && (k + 1 >= self.toks.len() || self.ends_clause(k)))
        .then_some(k + 1)
    }

    /// "… -- nothing else may reach httpbin", "nobody else gets in": as the
    /// subject of reaching, the workload reached is protected (as "only
    /// app=web may connect to app=db"). Returns the token to scan next.
    pub(super) fn no_one_else_reaches(&mut self, a: &mut Acc, i: usize, n: usize) -> Option<usize> {
        let (l, next) = (self.low(i), self.low(i + 1));
        let no_one_else = matches!(l, "nothing" | "nobody" | "noone" | "none") && next == "else"
            || l == "no" && next == "one" && self.low(i + 2) == "else";
        let reaching = (i + 2..(i + 6).min(n)).any(|k| {
            matches!(
                self.low(k),
                "reach"
                    | "reaches"
                    | "talk"
                    | "talks"
                    | "connect"
                    | "connects"
                    | "access"
                    | "accesses"
                    | "gets"
                    | "get"
                    | "enter"
                    | "enters"
            )
        });
        if !(no_one_else && reaching) {
            return None;
        }
        a.only = true;
        a.only_subject = true;
        let after = i + if l == "no" { 3 } else { 2 };
        // The rest of its sentence repeats the protected workload ("… may
        // reach httpbin", "… connect to it").
        Some(self.restating_end(after, n).unwrap_or(after))
    }

    /// Where the sentence (or parenthesis) from token `from` ends, when it
    /// only restates what was said: nothing in it names a port or a path.
    pub(super) fn restating_end(&self, from: usize, n: usize) -> Option<usize> {
        let mut end = from;
        while end < n {
            let gap = self
                .toks
                .get(end + 1)
                .map(|t| &self.text[self.toks[end].end..t.start])
                .unwrap_or("");
            end += 1;
            if gap.contains(')') || gap.contains(';') || gap.contains(". ") {
                break;
            }
        }
        (from..end)
            .all(|j| {
                let w = self.low(j);
                !w.starts_with('/') && !w.bytes().any(|b| b.is_ascii_digit())
            })
            .then_some(end)
    }

    /// "…readable only by the app itself, /usr/local/bin/app; anyone who
    /// execs into the pod must not be able to read them": after an
    /// allow-list, a clause whose subject is everyone else and whose object
    /// points back (them, it), naming no value, restates the list's edge.
    /// Token `i` is its negated modal; `n` ends the scan.
    pub(super) fn others_kept_off(&self, i: usize, n: usize) -> bool {
        let mut from = i;
        while from > 0 && !self.ends_clause(from - 1) {
            from -= 1;
        }
        let mut to = i;
        while to < n && !self.ends_clause(to) {
            to += 1;
        }
        let others = (from..i).any(|k| {
            matches!(
                self.low(k),
                "who" | "anyone" | "anybody" | "everyone" | "everybody" | "others" | "someone"
            ) || self.low(k) == "else"
        });
        let points_back = (i..=to.min(n - 1)).any(|k| {
            matches!(
                self.low(k).trim_end_matches(['.', ',', ';']),
                "them" | "it" | "those" | "these"
            )
        });
        let valueless = (from..=to.min(n - 1)).all(|k| {
            let t = self.toks[k].text;
            !t.contains(['/', '=']) && !t.chars().any(|c| c.is_ascii_digit())
        });
        others && points_back && valueless
    }

    /// "nothing should be able to connect to the app=db pods": all of
    /// their ingress; "On the worker pods (…) nothing may connect to 1515":
    /// their port, reached. Token `i` opens the action phrase.
    pub(super) fn nobody_connects(&self, a: &mut Acc, i: usize, n: usize) {
        let l = self.low(i);
        // "nothing should be able to connect to the app=db pods":
        // all of their ingress.
        if matches!(l, "nothing" | "nobody" | "noone" | "no")
            && (i + 1..(i + 8).min(n))
                .take_while(|&j| !self.ends_clause(j - 1))
                .take_while(|&j| self.low(j) != "from")
                .any(|j| {
                    matches!(self.low(j), "connect" | "reach" | "contact" | "talk")
                        && matches!(self.low(j + 1), "to" | "the" | "with")
                        // The pods reached, by their labels ("(app:
                        // x)" too, after their name), or the pods named
                        // before ("… answer no requests, so nothing should
                        // be able to connect to them").
                        && ((j + 1..(j + 7).min(n)).any(|k| {
                            let w = self.low(k).trim_matches(['(', ')', ',']);
                            split_label(w).is_some()
                                || self.toks[k].paren && w.ends_with(':')
                        }) || self.low(j + 1) == "to"
                            && self.low(j + 2).trim_end_matches(['.', ',', ';']) == "them"
                            && (self.ends_clause(j + 2) || j + 3 >= n))
                })
        {
            a.all_word = true;
            a.dir_explicit.get_or_insert(Direction::Ingress);
        }
        // "On the worker pods (…) nothing may connect to 1515 or
        // 55000": a port of theirs, reached.
        // ("nobody should be able to reach 6060/tcp on the adguard pods":
        // the port reached directly.)
        let port_at = |k: usize| {
            let w = self.low(k).trim_end_matches([',', '.', ';']);
            parse_port(w).is_some() || port_proto(w).is_some() || matches!(w, "port" | "ports")
        };
        if matches!(l, "nothing" | "nobody" | "noone")
            && (i + 1..(i + 6).min(n)).any(|j| {
                matches!(self.low(j), "connect" | "reach" | "talk")
                    && self.low(j + 1) == "to"
                    && port_at(j + 2)
                    || self.low(j) == "reach"
                        && port_at(j + 1)
                        && matches!(self.low(j + 2), "on" | "of")
            })
        {
            a.dir_explicit.get_or_insert(Direction::Ingress);
        }
    }
}
