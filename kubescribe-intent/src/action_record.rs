//! Recording an action phrase once found: what it says beyond its action —
//! a negated allow, an allow-list's posture, a default deny, "all", the
//! subject "only" restricts — in the clause's accumulator.

use super::*;

impl<'a> Parser<'a> {
    /// Records the action phrase `act` that runs from token `i` to `k`
    /// (`negated`: a negated allow) in `a`; returns the token to scan next.
    /// `n` ends the clause.
    pub(super) fn take_action(
        &mut self,
        a: &mut Acc,
        i: usize,
        k: usize,
        (act, negated): (Action, bool),
        n: usize,
    ) -> usize {
        let t = self.toks[i].clone();
        let l = t.lower.as_str();
        let prev = self.prev_low(i).to_string();
        let k = k.min(n - 1);
        if k == i
            && l.ends_with("ed")
            && matches!(
                prev.as_str(),
                "the" | "a" | "an" | "these" | "those" | "this" | "that" | "its" | "their"
            )
        {
            a.adjective_action.get_or_insert((act, t.text.to_string()));
            return i + 1;
        }
        // (Not "X is blocked, everything else is allowed": a new clause.)
        if act == Action::Block
            && matches!(self.low(k + 1), "everything" | "anything" | "all")
            && self.low(k + 2) == "else"
            && !self.ends_clause(k)
        {
            // "…; block everything else": the allow-list's posture.
            a.only = true;
            return k + 3;
        }
        if act == Action::Block
            && matches!(self.low(k + 1), "all" | "any")
            && self.low(k + 2) == "other"
        {
            // "Allow DNS (UDP/TCP 53), Deny all other egress": the
            // allow-list's posture, in the direction it names.
            a.only = true;
            match self.low(k + 3) {
                "ingress" | "incoming" | "inbound" => {
                    a.dir_implied.get_or_insert(Direction::Ingress);
                }
                "egress" | "outgoing" | "outbound" => {
                    a.dir_implied.get_or_insert(Direction::Egress);
                }
                _ => {}
            }
            return k + 3;
        }
        // "allow nothing" (not "nothing else"): a default deny.
        // "accepts no traffic", "allows no ingress": the same (a
        // quantifier that negates the object), but not "no other …".
        let (act, negated) = if act == Action::Allow
            && (self.low(k + 1).trim_end_matches(':') == "nothing"
                && !matches!(self.low(k + 2), "else" | "more" | "but")
                || self.low(k + 1) == "no"
                    && !matches!(self.low(k + 2), "other" | "others" | "one" | "more"))
            && !self.excepts_after(k + 1)
        {
            a.all_word = true;
            a.default_deny = true;
            (Action::Block, false)
        } else {
            (act, negated)
        };
        let (s, e) = (t.start, self.toks[k].end);
        self.ent(EntityKind::Action, s, e);
        let words = self.text[s..e].to_string();
        match act {
            Action::Allow => {
                a.allow.get_or_insert(words);
            }
            Action::Block => {
                a.block.get_or_insert(words);
            }
            Action::Audit if k == i && self.alert_tag(i) => {
                a.audit_tag.get_or_insert(words);
            }
            Action::Audit => {
                a.audit.get_or_insert(words);
            }
        }
        if negated {
            a.negated_allow = true;
        }
        if (i..=k).any(|j| self.low(j) == "only") {
            a.only = true;
        }
        // "pods with run=client are the only ones allowed to talk to …".
        let the_only_ones = |j: usize| {
            self.low(j) == "only"
                && self.prev_low(j) == "the"
                && matches!(self.low(j + 1), "ones" | "one")
        };
        if act == Action::Allow
            && (l == "only" || self.low(k) == "only")
            && (self.only_before_subject(k) || the_only_ones(i) || the_only_ones(k))
        {
            // "only app=web may connect to app=db": the subject is the peer.
            a.only_subject = true;
        }
        if l.starts_with("isolat") {
            a.isolate = true;
            a.all_word = true;
        }
        // "default deny"; not "… by default; block …", where a clause ends
        // between the two words.
        // "deny network traffic by default and allow … by exception", "deny
        // the whole namespace as a default": the allow-list's posture.
        let span =
            || (k + 1..(k + 9).min(n)).take_while(|&j| j == k + 1 || !self.ends_clause(j - 1));
        let by_default = act == Action::Block
            && span().any(|j| {
                matches!(self.low(j), "by" | "a" | "as")
                    && self.low(j + 1).trim_end_matches([',', '.']) == "default"
            })
            // Traffic or a whole namespace, not one system call ("drop
            // unshare by default").
            && span().any(|j| {
                matches!(
                    self.low(j),
                    "traffic" | "communications" | "connections" | "ingress" | "egress" | "namespace"
                        | "everything" | "all"
                )
            });
        if prev == "default" && act == Action::Block && k == i && !self.ends_clause(i - 1)
            || matches!(l, "deny-all" | "default-deny")
            || by_default
        {
            a.default_deny = true;
            a.all_word = true;
        }
        // "NetworkPolicy denies non-whitelisted traffic", "(denies
        // inbound traffic … from other namespaces)": a deny of what
        // is not allowed, the allow-list's posture beside an allow.
        if act == Action::Block
            && (k + 1..(k + 13).min(n))
                .take_while(|&j| j == k + 1 || !self.ends_clause(j - 1))
                .any(|j| {
                    // "…; drop all the others.": its period too.
                    (matches!(
                        self.low(j).trim_end_matches(['.', ',', ';', '!']),
                        "other"
                            | "others"
                            | "non-whitelisted"
                            | "non-allowlisted"
                            | "non-allowed"
                            | "unlisted"
                            | "unallowed"
                    ) || self.low(j).trim_end_matches(['.', ',', ';', '!']) == "else"
                        // "… shouldn't be able to call anything else".
                        && matches!(self.low(j - 1), "anything" | "anyone" | "anywhere"))
                        && !self.other_than(j)
                })
        {
            a.deny_others = true;
        }
        // "…, non-NRM systems cannot connect", "other pods must not reach
        // it": the subject of the deny is everyone else (the allow-list's
        // posture beside an allow).
        // "…, any other access is unauthorized … and has to be blocked".
        if act == Action::Block
            && (i.saturating_sub(12)..i).any(|j| {
                matches!(self.low(j), "other" | "others")
                    && !self.other_than(j)
                    && matches!(self.prev_low(j), "any" | "all" | "every")
                    && (j..i).all(|k| !self.ends_clause(k))
            })
        {
            a.deny_others = true;
        }
        if act == Action::Block
            && (i.saturating_sub(5)..i).any(|j| {
                let w = self.low(j);
                (w.starts_with("non-")
                    // "Pods and Services in a different namespace cannot …".
                    || matches!(w, "other" | "others" | "everyone" | "everybody" | "different"))
                    && !self.other_than(j)
                    && (j..i).all(|k| !self.ends_clause(k))
            })
        {
            a.deny_others = true;
        }
        // "…, anything else that tries to start gets blocked": the
        // subject is what the allow-list leaves out.
        if act == Action::Block
            && (i.saturating_sub(8)..i).any(|j| {
                self.low(j) == "else"
                    && j > 0
                    && matches!(
                        self.low(j - 1),
                        "anything" | "anyone" | "everything" | "any"
                    )
                    && (j..i).all(|k| !self.ends_clause(k))
            })
        {
            a.deny_others = true;
        }
        // After an allow, that deny's sentence (or parenthesis)
        // restates the allow-list's edge ("(denies inbound traffic to
        // all pods in namespace kube-system from other namespaces)"):
        // nothing in it is a peer, unless it names a port or a path.
        let posture_end = if a.deny_others && a.allow.is_some() {
            self.restating_end(k + 1, n)
        } else {
            None
        };
        // "… cannot reach the network directly: its only egress is to …":
        // a deny of the whole network before the allow-list is its posture.
        if act == Action::Block
            && a.allow.is_none()
            && (k + 1..(k + 4).min(n))
                .take_while(|&j| !self.ends_clause(j - 1))
                .any(|j| {
                    self.low(j) == "the"
                        && self.low(j + 1).trim_end_matches([',', '.', ';', ':']) == "network"
                        && (k + 1..j).all(|v| self.low(v).chars().all(|c| c.is_ascii_lowercase()))
                })
        {
            a.deny_all_first = true;
        }
        if matches!(self.low(k + 1), "all" | "everything" | "any") && {
            // "block all the traffic", "deny all of the traffic".
            let mut j = k + 2;
            while matches!(self.low(j), "the" | "of") {
                j += 1;
            }
            let w = self.low(j);
            // "deny all incoming traffic … but allow …": a deny of
            // all traffic before any allow is the allow-list's
            // posture when an allow follows.
            if act == Action::Block
                && a.allow.is_none()
                && (DIRECTION_WORDS.contains(&w)
                    || matches!(
                        w,
                        "traffic"
                            | "connections"
                            | "network"
                            | "communication"
                            | "communications"
                            | "packets"
                    ))
            {
                a.deny_all_first = true;
            }
            ALL_WHAT.contains(&w) || w.is_empty() || self.toks[k + 1].comma
        } || self.low(k + 1) == "everything"
        {
            a.all_word = true;
        }
        // "deny all ingress to app=db … but allow app=api …": an
        // action word between two workloads separates them.
        if self.last_mention_tok.is_some() {
            self.brk = true;
        }
        self.last_action_tok = Some(k);
        posture_end.unwrap_or(k + 1)
    }
}
