//! Words that make what follows an exception to what came before: "block
//! all … except X", "anything but X", "traffic other than DNS", "apart
//! from", "save for", "drop ALL, add NET_BIND_SERVICE". An exception turns
//! a block of a whole kind into an allow-list of X (see `finish`).

use super::*;

impl<'a> Parser<'a> {
    /// Records in `a` the exception word at token `i` (`l`, between `prev`
    /// and `next`), and whether what it excepts from is a whole kind.
    pub(super) fn exception_word(
        &mut self,
        a: &mut Acc,
        i: usize,
        l: &str,
        prev: &str,
        next: &str,
    ) {
        // "the pods in namespace prod other than app=x": a selector, no
        // exception to the action.
        if let Some(k) = self.excluded_pods_label(i) {
            a.excluded_label = Some(k);
            return;
        }
        // "drop all capabilities and only add back NET_BIND_SERVICE",
        // "drop ALL, add NET_BIND_SERVICE": what is added back is the
        // exception to the drop.
        // A securityContext's "drop: [ALL] add: [NET_ADMIN]" too.
        let adds_back = matches!(
            l.trim_end_matches(':'),
            "add" | "added" | "re-add" | "re-added" | "readd" | "restore" | "restores"
        ) && (matches!(next, "back" | "only")
            || a.all_word
                && a.block.as_deref().is_some_and(|b| {
                    b.eq_ignore_ascii_case("drop") || b.eq_ignore_ascii_case("drops")
                }));
        // "all egress traffic not destined for the kube-apiserver",
        // "traffic other than DNS": an exception.
        let not_bound_for = l == "not"
            && matches!(
                next,
                "destined" | "bound" | "addressed" | "headed" | "going"
            )
            || l == "other" && next == "than";
        // "… not have any executables besides the entrypoint", "deny
        // ingress from anything but the ingress controllers".
        let besides = matches!(l, "besides" | "excluding")
            || l == "apart" && next == "from"
            || l == "save" && next == "for"
            || l == "but"
                && matches!(
                    prev,
                    "anything"
                        | "everything"
                        | "all"
                        | "anyone"
                        | "everyone"
                        | "anybody"
                        | "everybody"
                        | "anywhere"
                );
        // "…, but only on pods labelled app=runner": where, no exception.
        let only_where = l == "but"
            && next == "only"
            && matches!(self.low(i + 2), "on" | "in" | "within" | "for")
            && (i + 3..(i + 6).min(self.toks.len())).any(|k| {
                matches!(
                    self.low(k),
                    "pods" | "pod" | "labelled" | "labeled" | "namespace" | "ns" | "containers"
                )
            });
        // "… unless it goes through the queue-port, 8012/tcp".
        let unless_it_goes = l == "unless"
            && matches!(next, "it" | "they")
            && matches!(
                self.low(i + 2),
                "goes"
                    | "go"
                    | "comes"
                    | "come"
                    | "arrives"
                    | "arrive"
                    | "is"
                    | "are"
                    | "uses"
                    | "use"
            );
        if l == "except"
            || unless_it_goes
            || l == "but" && next == "only" && !only_where
            || besides
            || adds_back
            || not_bound_for
        {
            a.except = true;
            // "block ingress traffic except from app=coderd": the kind
            // right after the verb, with no value, is all of it.
            let kind_word = |w: &str| {
                matches!(
                    w,
                    "ingress"
                        | "egress"
                        | "inbound"
                        | "outbound"
                        | "incoming"
                        | "outgoing"
                        | "traffic"
                        | "connections"
                        | "network"
                        | "communication"
                        | "the"
                )
            };
            let mut k = i;
            // "block ingress to app=x in ns y except on 8012", "block traffic
            // to the hello pods (…) unless it goes through 8012": the pods
            // whose incoming traffic it is come between.
            if let Some(to) = self.incoming_to_pods_before(i) {
                k = to;
            }
            while k > 0 && kind_word(self.low(k - 1)) {
                k -= 1;
            }
            if k < i && k > 0 && BLOCK_WORDS.contains(&self.low(k - 1)) {
                a.all_word = true;
            }
        }
        // "denied to everybody but app=api", "reachable by anybody other
        // than 10.60.4.0/24", "anywhere but 0.0.0.0/0", "all hosts except
        // trusted hosts": everyone is the whole kind, as "all" is ("block
        // all … except X" is an allow-list of X).
        let everyone = matches!(
            prev,
            "anyone"
                | "everyone"
                | "anybody"
                | "everybody"
                | "anything"
                | "everything"
                | "anywhere"
                | "hosts"
                | "clients"
                | "sources"
                | "callers"
        ) && (prev.starts_with(['a', 'e'])
            || i >= 2 && matches!(self.low(i - 2), "all" | "any" | "every"));
        if everyone && (l == "but" || l == "except" || l == "other" && next == "than") {
            a.all_word = true;
            a.except = true;
            // Who is excepted must be named: "anything other than the
            // configured scrape source" names nobody.
            let k = i + if l == "other" { 2 } else { 1 };
            // Those excepted are on the other side: "access … for all
            // hosts except the web pods" lets them in; "anywhere but X",
            // "talk to anyone but X" lets the pods out to them.
            // ("must not reach anything but coderd (…)": reached too.)
            let out = prev == "anywhere"
                || (i.saturating_sub(3)..i).any(|k| {
                    matches!(
                        self.low(k),
                        "to" | "reach" | "reaches" | "contact" | "call" | "calls"
                    )
                });
            self.cue = Some(if out { Cue::To } else { Cue::From });
            self.cue_at = i;
            // ("anywhere except port 25" names it at once.)
            let valued = (k..(k + 4).min(self.toks.len())).any(|j| {
                let t = self.toks[j].text;
                t.contains(['=', '/', '.']) || t.chars().any(|c| c.is_ascii_digit())
            });
            if !valued {
                a.excepted_who.get_or_insert(
                    self.text[self.toks[i - 1].start..self.toks[k.min(self.toks.len() - 1)].end]
                        .to_string(),
                );
            }
        }
        // "exec anything that isn't uwsgi (…)": the rest of a kind.
        let negated_is =
            matches!(l, "isn't" | "aren't") || l == "not" && matches!(prev, "is" | "are");
        if negated_is
            && (i.saturating_sub(4)..i).any(|k| {
                matches!(self.low(k), "that" | "which")
                    && k > 0
                    && matches!(
                        self.low(k - 1),
                        "anything" | "everything" | "binary" | "program" | "process" | "executable"
                    )
            })
        {
            a.except = true;
            a.all_word = true;
            // What it is not must be named: "not one of those defined
            // processes" names nothing.
            let end = (i + 6).min(self.toks.len() - 1);
            a.unnamed_list
                .get_or_insert(self.text[self.toks[i].start..self.toks[end].end].to_string());
        }
    }

    /// Whether token `j` opens "other than": an exception ("any port other
    /// than 10443"), not the others a deny is about ("other pods").
    pub(super) fn other_than(&self, j: usize) -> bool {
        self.low(j) == "other" && self.low(j + 1) == "than"
    }

    /// Records in `a` an allow-list phrase at token `i` (see
    /// [`unlisted_phrase`](Self::unlisted_phrase)): the rest of a kind is
    /// blocked, what the list holds allowed (refused when it is not given).
    /// "block all … except where absolutely required" leaves which traffic
    /// is needed unsaid; after what is blocked ("block /bin/sh unless
    /// needed") the words add nothing. The token after the phrase.
    pub(super) fn unlisted(&self, a: &mut Acc, i: usize) -> Option<usize> {
        let (k, needed) = self.unlisted_phrase(i)?;
        if needed && !(a.all_word || a.isolate || a.default_deny || a.deny_all_first) {
            return Some(k + 1);
        }
        a.except = true;
        a.all_word = true;
        let said = &self.text[self.toks[i].start..self.toks[k].end];
        a.unnamed_list
            .get_or_insert(said.trim_end_matches([',', '.', ':']).to_string());
        Some(k + 1)
    }

    /// "processes that are not on the explicitly allowed processes list",
    /// "not in our allowlist", "unless explicitly allow-listed": what a
    /// block leaves out is the allow-list (its "allowed" is no action of
    /// its own); "except where absolutely required" is one that names
    /// nothing. The last token of the phrase opening at token `i`, and
    /// whether it is of the second kind (an exception for what is needed).
    pub(super) fn unlisted_phrase(&self, i: usize) -> Option<(usize, bool)> {
        let word = |k: usize| self.low(k).trim_end_matches([',', '.', ':', ';', ')']);
        let listed = |w: &str| {
            matches!(
                w,
                "allowlisted" | "allow-listed" | "whitelisted" | "white-listed" | "safelisted"
            )
        };
        let list = |w: &str| {
            matches!(
                w,
                "list" | "allowlist" | "allow-list" | "whitelist" | "safelist" | "safe-list"
            )
        };
        // "except where absolutely required", "unless strictly necessary".
        if matches!(word(i), "except" | "unless") {
            let mut k = i + 1;
            while matches!(
                word(k),
                "where"
                    | "when"
                    | "if"
                    | "as"
                    | "it's"
                    | "it"
                    | "is"
                    | "absolutely"
                    | "strictly"
                    | "really"
            ) {
                k += 1;
            }
            if k > i + 1 && matches!(word(k), "required" | "needed" | "necessary" | "essential") {
                return Some((k, true));
            }
        }
        if !matches!(word(i), "not" | "unless" | "aren't" | "isn't") {
            return None;
        }
        let mut k = i + 1;
        while matches!(word(k), "explicitly" | "specifically" | "expressly") {
            k += 1;
        }
        if listed(word(k)) {
            return Some((k, false));
        }
        if word(i) == "unless" || !matches!(word(k), "on" | "in") {
            return None;
        }
        (k + 1..(k + 7).min(self.toks.len()))
            .take_while(|&j| !self.ends_clause(j - 1) || j == k + 1)
            .find(|&j| list(word(j)))
            .map(|j| (j, false))
    }

    /// The token of "to"/"for" in "<incoming kind> to <the pods …>" ending
    /// right before the exception word at token `i`, when what comes
    /// between only says which pods: those pods are the policy's, and the
    /// kind before them is the whole of their incoming traffic.
    fn incoming_to_pods_before(&self, i: usize) -> Option<usize> {
        let to = (i.saturating_sub(12)..i)
            .rev()
            .find(|&j| matches!(self.low(j), "to" | "for"))?;
        let incoming = to > 0
            && matches!(
                self.low(to - 1),
                "ingress" | "inbound" | "incoming" | "traffic" | "connections"
            );
        let pods_only = (to + 1..i).all(|j| {
            let w = self
                .low(j)
                .trim_matches(|c: char| matches!(c, '(' | ')' | ','));
            split_label(w).is_some()
                || matches!(w, "the" | "pods" | "pod" | "in" | "ns" | "namespace")
                || j > 0 && matches!(self.low(j - 1), "ns" | "namespace" | "namespace,")
                || self.toks[j].paren
                || w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    && self.low(j + 1).trim_start_matches('(') == "pods"
        }) && (to + 1..i)
            .any(|j| split_label(self.low(j).trim_matches(['(', ')', ','])).is_some());
        (incoming && pods_only).then_some(to)
    }

    /// "allow /tmp/, apart from /tmp/credentials which must stay denied",
    /// "allow /tmp/ except /tmp/credentials": a path inside a directory an
    /// allow named, after an exception word, is carved out of it — the
    /// token where that deny starts (its path).
    pub(super) fn carved_out_path(&self, from: usize) -> Option<usize> {
        let n = self.toks.len();
        let allowed_at = (from..n).find(|&k| ALLOW_WORDS.contains(&self.low(k)))?;
        (allowed_at + 1..n).find_map(|j| {
            let width = match self.low(j) {
                "except" | "excluding" | "excepting" | "besides" => 1,
                "apart" | "save" if matches!(self.low(j + 1), "from" | "for") => 2,
                "but" if self.low(j + 1) == "not" => 2,
                _ if self.other_than(j) => 2,
                _ => return None,
            };
            let k = j + width + usize::from(self.low(j + width) == "for");
            let path = self
                .toks
                .get(k)?
                .text
                .trim_end_matches([',', '.', ';', ')']);
            let inside = (allowed_at..j).any(|d| {
                let dir = self.toks[d].text.trim_end_matches([',', '.', ';', ')']);
                dir.ends_with('/') && path.starts_with(dir) && path.len() > dir.len()
            });
            inside.then_some(k)
        })
    }

    /// "nobody but X", "no one except X", "nothing other than X", "no
    /// process besides X" at token `i`, followed by a modal: only X may.
    /// The last token of the exception's words.
    pub(super) fn no_one_but(&self, i: usize) -> Option<usize> {
        let l = self.low(i);
        let next = self.low(i + 1);
        let at = match l {
            "nobody" | "noone" | "nothing" => i + 1,
            "no" if matches!(
                next,
                "one" | "process" | "program" | "binary" | "pod" | "container" | "workload"
            ) =>
            {
                i + 2
            }
            _ => return None,
        };
        let last = match self.low(at) {
            "but" | "except" | "besides" => at,
            "other" if self.low(at + 1) == "than" => at + 1,
            "apart" | "save" if matches!(self.low(at + 1), "from" | "for") => at + 1,
            _ => return None,
        };
        // "nothing but port 443" states a posture; the modal makes the
        // subject of a permission.
        // (A comma inside a parenthesis glossing the subject ends no clause:
        // "nothing but the medusa server (node, /usr/local/bin/node) may …".)
        let in_parens = |k: usize| self.paren_depth(self.toks[last].end, self.toks[k].start) > 0;
        // ("Nothing but /bin/sh, /usr/bin/sudo and /usr/local/bin/php
        // should execute …": a list of paths between.)
        // ("nothing but the server itself, /app/server, should open it": the
        // path set off by commas glosses the name.)
        // ("nothing but the two secondaries, 203.0.113.53 and
        // 198.51.100.53, should reach …": addresses, too.)
        let value = |k: usize| {
            let w = self.toks[k].text.trim_end_matches([',', '.', ';', ')']);
            w.starts_with('/') || parse_cidr(w).is_some()
        };
        let listed_path = |k: usize| value(k - 1) || value(k);
        let modal = (last + 1..(last + 12).min(self.toks.len()))
            .take_while(|&k| {
                !self.ends_clause(k - 1) || k == last + 1 || in_parens(k) || listed_path(k)
            })
            .any(|k| matches!(self.low(k), "may" | "can" | "should" | "must" | "shall"));
        (l != "nothing" || modal).then_some(last)
    }
}

/// What the catch-all address says beside others (`deny`: the clause that
/// blocks part of an allow, if any): "allow … to A, B and C. Deny
/// everything else to 0.0.0.0/0" is an allow-list (a deny of the catch-all
/// would override the allows), so the deny goes; "public internet access
/// but not the private networks: egress to 0.0.0.0/0 except 10.0.0.0/8 …"
/// says with the address what the word meant (the world would let the
/// excepted ranges back in), so the world goes.
pub(super) fn catch_all_addresses(a: &mut Acc, deny: Option<Acc>) -> Option<Acc> {
    let catch_all = |c: &String| c == "0.0.0.0/0" || c == "::/0";
    if !a.except_cidrs.is_empty() && a.cidrs.iter().any(catch_all) {
        a.entities
            .retain(|e| *e != kubescribe_core::intent::NetworkEntity::World);
    }
    let rest_said = deny.as_ref().is_some_and(|b| {
        !b.cidrs.is_empty()
            && b.cidrs.iter().all(catch_all)
            && b.ports.is_empty()
            && b.fqdns.is_empty()
            && b.entities.is_empty()
    });
    if rest_said && !a.cidrs.is_empty() {
        a.only = true;
        return None;
    }
    deny
}
