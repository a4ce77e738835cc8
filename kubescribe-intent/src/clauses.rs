//! Sentences into clauses: a heading before the first colon that names
//! nothing, the main clause, and a second clause that blocks part of an
//! allow-list ("… but block …"); each clause is read by [`scan`](super::scan).

use super::*;

impl<'a> Parser<'a> {
    pub(super) fn run(
        mut self,
        resolver: Option<&mut dyn PodResolver>,
    ) -> Result<ParsedIntent, IntentParseError> {
        let n = self.toks.len();
        let mut a = Acc::default();
        // The heading goes first: a clause split inside it ("Allow only
        // internal connections. Block external connections: …") would cut
        // the intent off from its own words.
        let start = self.skip_title(&mut a);
        // "… sorry, 6443 not 443": the writer's correction, read apart.
        let correction = self.correction_start(start);
        let n = correction.map_or(n, |(k, _)| k);
        let cut = self
            .deny_clause_start(start)
            .or_else(|| self.carved_out_path(start))
            .filter(|&c| c < n);
        let main_end = self.reason_clause_start(start, cut.unwrap_or(n));
        // "…. since radicale only needs /data, block writes to /config/": a
        // reason that opens its sentence, up to its comma, is set aside.
        let mut from = start;
        for (r0, r1) in self.opening_reasons(start, main_end) {
            self.scan(&mut a, from, r0);
            from = r1;
        }
        self.scan(&mut a, from, main_end);
        // "remove CAP_SYS_ADMIN from DAL pods since mounts are no longer
        // needed (the DAL pods: app=jarvice-dal, namespace …)": an aside in
        // the reason that says which pods still counts.
        for (from, to) in self.scope_asides_in(main_end, cut.unwrap_or(n)) {
            self.scan(&mut a, from, to);
        }
        if let Some((k, kind)) = correction {
            let all = self.toks.len();
            let end = self.reason_clause_start(k, all);
            let c = self.read_correction(k, end, !a.ports.is_empty());
            if self.undecided(k) {
                let about_port = (k..all).any(|j| matches!(self.low(j), "port" | "ports"));
                return Err(IntentParseError::Missing(vec![
                    super::corrections::still_open(&c, about_port),
                ]));
            }
            let struck = self.struck(k);
            super::corrections::merge(&mut a, c, kind, &struck);
        }
        if a.dir_explicit.is_none() {
            a.dir_explicit = a.heading_dir;
        }
        let mut deny = cut.map(|c| {
            let mut b = Acc::default();
            let end = self.reason_clause_start(c, n);
            self.scan(&mut b, c, end);
            b
        });
        // "the user should be able to start the app but not exec /bin/sh":
        // what is allowed names nothing, what is not is the ask.
        // (Not "allow all ingress … but block 10.0.0.0/8": an allow said.)
        if !names_values(&a)
            && a.block.is_none()
            && a.allow.is_none()
            && !a.all_word
            && let Some(b) = deny.take_if(|b| names_values(b) && b.allow.is_none())
        {
            take_values(&mut a, b);
        }
        let deny = deny.filter(|b| {
            // An engine named in the deny clause names the policy's
            // ("… but drop packets to 1.0.0.0/8 (CiliumNetworkPolicy …)").
            a.engines.extend(b.engines.iter().cloned());
            if a.weak_engine.is_none() {
                a.weak_engine.clone_from(&b.weak_engine);
            }
            let named = names_values(b);
            if !named && !names_values(&a) && b.domain_word.is_some() {
                // "Profiles allow a lot by default; block risky system
                // calls …": the allow names nothing, the block names a
                // kind without its values — what is missing is asked for.
                a.domain_word = b.domain_word;
            } else if !named {
                // "…; everything else is denied": an allow-list.
                a.only = true;
            }
            named
        });
        self.finish(a, deny, resolver)
    }

    /// A heading before the first colon ("allow-kube-dns: …", "Alert! Someone
    /// created new user: audit …", "DENY external egress traffic: …"), or
    /// leading sentences ("Bash history accessed -- audit …", "Possibly the
    /// adversary runs code. Audit /etc/rc0.d/ …", "By default all egress is
    /// allowed; block …"), that name no workload and
    /// no resource, when the rest says what to do: only its engine,
    /// direction, owner-only and read-only words are kept. The longest such
    /// prefix is set aside. Returns the first token after it.
    pub(super) fn skip_title(&mut self, a: &mut Acc) -> usize {
        let n = self.toks.len();
        let colon = (1..n).find(|&j| {
            let t = &self.toks[j - 1];
            self.text[t.start..self.toks[j].start]
                .trim_end()
                .ends_with(':')
        });
        // Sentence ends and dashes before the first colon (or anywhere
        // without one).
        let limit = colon.unwrap_or(n);
        let mut ends: Vec<(usize, bool)> = (1..limit)
            .filter(|&j| {
                let gap = &self.text[self.toks[j - 1].end..self.toks[j].start];
                let g = gap.trim_start();
                g.starts_with(['.', '!', '?', ';']) && gap.ends_with(char::is_whitespace)
                    || matches!(self.toks[j - 1].text, "--" | "—" | "-")
            })
            .map(|j| (j, false))
            .collect();
        if let Some(c) = colon {
            ends.push((c, true));
        }
        for &(end, is_colon) in ends.iter().rev() {
            if self.try_heading(a, end, is_colon) {
                return end;
            }
        }
        0
    }

    /// Sets tokens `..end` aside as a heading when they name nothing and the
    /// rest says what to do (see [`skip_title`](Self::skip_title)).
    fn try_heading(&mut self, a: &mut Acc, end: usize, colon: bool) -> bool {
        let n = self.toks.len();
        let title_ok = self.toks[..end]
            .iter()
            .all(|t| !t.text.contains(['/', '=']) && !t.text.chars().all(|c| c.is_ascii_digit()))
            && (end >= 2
                || self.toks[0].text.contains('-')
                || engine_word(self.low(0).trim_end_matches(':')).is_some());
        let rest_acts = (end..n).any(|k| {
            let l = self.low(k);
            if k > 0 && matches!(self.low(k - 1), "namespace" | "ns") {
                return false; // a namespace called "audit"
            }
            ALLOW_WORDS.contains(&l)
                || BLOCK_WORDS.contains(&l)
                || AUDIT_WORDS.contains(&l)
                || matches!(l, "may" | "can" | "must" | "should" | "never")
        });
        if !title_ok || !rest_acts {
            return false;
        }
        // Read the heading on the side; keep it only if it named nothing.
        let saved = (
            self.ents.len(),
            self.assume.len(),
            self.groups.len(),
            self.mentions.len(),
            self.cue,
            self.brk,
            self.last_mention_tok,
            self.last_action_tok,
        );
        let mut h = Acc::default();
        self.scan(&mut h, 0, end);
        let named_nothing = self.mentions.len() == saved.3
            && h.paths.is_empty()
            && h.dirs.is_empty()
            && h.binaries.is_empty()
            && h.ports.is_empty()
            && h.cidrs.is_empty()
            && h.fqdns.is_empty()
            && h.syscalls.is_empty()
            && h.caps.is_empty()
            && h.selector.is_empty()
            && !h.all_pods_word
            && !h.cluster_wide_word
            && !h.wide_unless_ns;
        let engines: Vec<Entity> = self.ents[saved.0..]
            .iter()
            .filter(|e| matches!(e.kind, EntityKind::Engine | EntityKind::Policy))
            .cloned()
            .collect();
        self.ents.truncate(saved.0);
        self.assume.truncate(saved.1);
        self.groups.truncate(saved.2);
        self.mentions.truncate(saved.3);
        (
            self.cue,
            self.brk,
            self.last_mention_tok,
            self.last_action_tok,
        ) = (saved.4, saved.5, saved.6, saved.7);
        // A heading that is a condition or a reason ("When egress is denied,
        // pods cannot resolve DNS names: allow …") is set aside whatever it names.
        let condition = matches!(
            self.low(0),
            "when" | "if" | "once" | "since" | "because" | "after" | "before" | "whenever"
        );
        // A heading that quotes a name ("Falco 'Disallowed SSH Connection':
        // …") titles what follows whatever the name says.
        let quoted = colon && {
            let head = &self.text[..self.toks[end].start];
            let q: Vec<usize> = head
                .char_indices()
                .filter(|(_, c)| matches!(c, '\'' | '"' | '‘' | '’' | '“' | '”'))
                .map(|(i, _)| i)
                .collect();
            q.len() >= 2 && {
                let inner = &head[q[0]..q[q.len() - 1]];
                inner.split_whitespace().count() >= 2
            }
        };
        if !(named_nothing || condition && colon || quoted) {
            return false;
        }
        self.ents.extend(engines);
        a.engines = h.engines;
        a.weak_engine = h.weak_engine;
        a.owner_only = h.owner_only;
        a.heading_dir = h.dir_explicit;
        a.read_only_word = h.read_only_word;
        // "Essential traffic must stay available across the cluster: every
        // pod accepts …": the heading says how wide.
        a.cluster_wide_word |= h.cluster_wide_word;
        true
    }

    /// Where a second clause that blocks part of an allow-list starts ("allow
    /// reads of /var/www/ but block /var/www/private/"; "…; deny writes to …").
    pub(super) fn deny_clause_start(&self, from: usize) -> Option<usize> {
        let n = self.toks.len();
        // "memfd_create can run binaries …", "/usr/bin/curl can download
        // …": a modal after a system call or an executable says what it can
        // do, not what is permitted.
        // So does one in a relative clause ("a shell that can help an
        // attacker").
        let describes = |j: usize| {
            j > 0 && {
                let p = self.low(j - 1);
                p.starts_with('/') || SYSCALLS_CLEAR.contains(&p) || matches!(p, "that" | "which")
            } || self.threat_modal(j)
        };
        let allows = |range: std::ops::Range<usize>| {
            range.into_iter().any(|j| {
                let l = self.low(j);
                ALLOW_WORDS.contains(&l)
                    || l == "only"
                    || matches!(l, "may" | "can") && !describes(j)
                    // "the user should be able to start the app but not
                    // exec /bin/sh".
                    // (Not "must not be able to influence …".)
                    || l == "able"
                        && self.low(j + 1) == "to"
                        && !(j.saturating_sub(3)..j).any(|k| {
                            let w = self.low(k);
                            matches!(w, "not" | "never" | "no") || w.ends_with("n't")
                        })
            })
        };
        (from.max(1)..n).find(|&j| {
            let gap = &self.text[self.toks[j - 1].end..self.toks[j].start];
            // "allow port 443 and block port 22", "allow only port 443 and
            // block other ports …": "and" too, once the allow named something.
            let named_before = (from..j).any(|k| {
                let t = self.toks[k].text;
                t.starts_with('/') || t.contains('=') || t.chars().any(|c| c.is_ascii_digit())
            });
            let boundary = self.low(j) == "but"
                || self.low(j) == "and" && named_before
                || gap.contains(';')
                || gap.contains(". ");
            let blocks = (j..(j + 4).min(n)).any(|k| {
                let l = self.low(k);
                // "… and 198.51.100.0/24. Deny everything else": the list's
                // last item, before the next sentence's deny.
                if self.low(j) == "and"
                    && self.text[self.toks[j].start..self.toks[k].start].contains(". ")
                {
                    return false;
                }
                // "… SYS_CHROOT and KILL": the capability.
                BLOCK_WORDS.contains(&l)
                    && self.toks[k].text.trim_end_matches(['.', ',', ';', ')']) != "KILL"
                    || matches!(l, "not" | "never")
                        && !ALLOW_WORDS.contains(&self.low(k + 1))
                        && self.low(k + 1) != "be"
            });
            // ("from 172.17.0.0/16 but not 172.17.1.0/24": a range cut out
            // of one named before, its exception.)
            let cut_out = self.low(j) == "but" && self.low(j + 1) == "not" && {
                let inner = kubescribe_core::cidr::Cidr::parse(
                    self.low(j + 2).trim_end_matches([',', '.', ';']),
                );
                inner.is_some_and(|x| {
                    (from..j).any(|k| {
                        kubescribe_core::cidr::Cidr::parse(
                            self.low(k).trim_end_matches([',', '.', ';', ')']),
                        )
                        .is_some_and(|r| r.prefix <= x.prefix && r.contains(x.addr))
                    })
                })
            };
            boundary && blocks && !cut_out && allows(from..j) && !allows(j..n)
        })
    }

    /// The parenthesised asides among tokens `from..to` that name a workload
    /// (a `key=value` label or a namespace): token ranges, closing token
    /// included.
    fn scope_asides_in(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut k = from;
        while k < to {
            if self.toks[k].paren {
                let close = (k..to).find(|&j| self.text[self.toks[j].end..].starts_with(')'));
                if let Some(c) = close {
                    let names = (k..=c).any(|j| {
                        split_label(self.toks[j].text).is_some()
                            || matches!(self.low(j), "namespace" | "ns")
                    });
                    if names {
                        out.push((k, c + 1));
                    }
                    k = c + 1;
                    continue;
                }
            }
            k += 1;
        }
        out
    }

    /// The reasons among tokens `from..to` that open their sentence and end
    /// at a comma before the ask ("Since the app only writes /data, block
    /// writes to /config/"): token ranges, the comma's token included.
    fn opening_reasons(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut j = from;
        while j < to {
            let opens = j == from || {
                let gap = &self.text[self.toks[j - 1].end..self.toks[j].start];
                gap.contains(['.', ':', ';', '!', '?'])
            };
            // "…, and since a port below 1024 is detected add X back": a
            // reason set between "and" and its command.
            if j > from
                && self.low(j - 1) == "and"
                && matches!(self.low(j), "since" | "because")
                && let Some(c) = self.command_after(j, to)
            {
                out.push((j, c));
                j = c;
                continue;
            }
            if opens && matches!(self.low(j), "since" | "because") && self.low(j + 1) != "of" {
                // Up to its comma, within its sentence, with more after it.
                let comma = (j + 1..to.saturating_sub(1))
                    .take_while(|&k| {
                        !self.text[self.toks[k].end..self.toks[k + 1].start]
                            .contains(['.', ';', '?', '!'])
                    })
                    .find(|&k| self.text[self.toks[k].end..self.toks[k + 1].start].contains(','));
                if let Some(c) = comma {
                    out.push((j, c + 1));
                    j = c + 1;
                    continue;
                }
            }
            j += 1;
        }
        out
    }

    /// The command verb that ends the reason at token `j` within its
    /// sentence (before `to`), if one does: "since … (it listens on 80)
    /// add NET_BIND_SERVICE back".
    fn command_after(&self, j: usize, to: usize) -> Option<usize> {
        (j + 2..to)
            .take_while(|&k| {
                let gap = &self.text[self.toks[k - 1].end..self.toks[k].start];
                !gap.contains(". ") && !gap.contains(';')
            })
            .find(|&k| {
                matches!(
                    self.low(k),
                    "add" | "drop" | "allow" | "block" | "deny" | "remove" | "grant" | "permit"
                ) && !matches!(self.low(k - 1), "to" | "can" | "could" | "will" | "would")
            })
    }

    /// Whether the modal at `i` says what an attacker could do ("if an
    /// attacker compromises a pod, they can use this capability …", "an
    /// attacker may read …"): a threat, no permission.
    pub(super) fn threat_modal(&self, i: usize) -> bool {
        let threat_word = |w: &str| {
            matches!(
                w,
                "attacker"
                    | "attackers"
                    | "adversary"
                    | "adversaries"
                    | "hacker"
                    | "hackers"
                    | "intruder"
                    | "intruders"
            )
        };
        let subject = self.prev_low(i);
        (threat_word(subject) || matches!(subject, "they" | "he" | "she" | "someone"))
            && (i.saturating_sub(12)..i)
                .rev()
                .take_while(|&k| {
                    !self.text[self.toks[k].end..self.toks[k + 1].start].contains(['.', '!', '?'])
                })
                .any(|k| threat_word(self.low(k)))
    }

    /// Where a clause that only gives a reason starts ("block /bin/ping …
    /// since NET_RAW is off anyway", "…, because attackers use it"): what
    /// follows "since"/"because" up to the end of its sentence names no
    /// resource of the intent. Returns `to` when there is none.
    pub(super) fn reason_clause_start(&self, from: usize, to: usize) -> usize {
        (from + 1..to)
            .find(|&j| {
                let l = self.low(j);
                // "since"/"because" after something was said (not "because
                // of", which names a cause inside the clause).
                (matches!(l, "since" | "because" | "otherwise") && self.low(j + 1) != "of"
                    // "…, so they can't reach the metadata service": a
                    // purpose that restates what the ask keeps out.
                    // Not "Write a TracingPolicy so /usr/bin/nsenter can't
                    // be executed …": the clause before names nothing.
                    || l == "so"
                        && self.negative_purpose(j)
                        // ("restricting the pods (app=p, …) so nothing in them
                        // can write under /bin/": the clause before only
                        // says which pods.)
                        && (self.names_resource(from, j) || !self.names_value(j, to))
                    // "… to the collector process (/otelcol-contrib) to
                    // prevent tampering with raw data": a purpose.
                    || l == "to" && self.purpose(j))
                // "Note: Since NetworkPolicy is enabled, only pods with …":
                // a reason that opens its sentence ends at its comma, and the
                // sentence goes on.
                // "…, since changing it lets an attacker …" after a comma
                // is a trailing reason all the same.
                && !(self.low(j - 1) == "and" && self.command_after(j, to).is_some())
                && !{
                    let gap = &self.text[self.toks[j - 1].end..self.toks[j].start];
                    // "… (/bin/sh or /bin/bash), because …": the comma after
                    // a parenthesis too.
                    self.ends_clause(j - 1)
                        && !gap
                            .trim_start_matches([' ', ')', ']', '"', '\'', '`'])
                            .starts_with(',')
                }
                && {
                    // Nothing after it but the reason: no further sentence.
                    !(j..to).any(|k| {
                        let gap = &self.text[self.toks[k].end
                            ..self
                                .toks
                                .get(k + 1)
                                .map(|t| t.start)
                                .unwrap_or(self.text.len())];
                        gap.contains(". ") || gap.contains(';') || gap.contains('\n')
                    })
                }
            })
            .unwrap_or(to)
    }
}

impl Parser<'_> {
    /// Whether tokens `from..to` name a value or a workload (a path, a
    /// label, a number).
    fn names_value(&self, from: usize, to: usize) -> bool {
        (from..to).any(|k| {
            let t = self.toks[k].text;
            t.contains(['=', '/']) || t.chars().any(|c| c.is_ascii_digit())
        })
    }

    /// Whether tokens `from..to` name a value other than the pods' labels.
    fn names_resource(&self, from: usize, to: usize) -> bool {
        (from..to).any(|k| {
            let t = self.toks[k].text;
            let bare = t.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ';'));
            split_label(bare).is_none()
                && (t.contains(['=', '/']) || t.chars().any(|c| c.is_ascii_digit()))
        })
    }

    /// Whether "to" at token `j` opens a purpose that names no value ("to
    /// prevent tampering with raw data", "to avoid data exfiltration").
    fn purpose(&self, j: usize) -> bool {
        matches!(
            self.low(j + 1),
            "prevent" | "avoid" | "stop" | "protect" | "mitigate" | "reduce" | "guard" | "minimize"
        ) && (j + 1..self.toks.len()).all(|k| {
            let t = self.toks[k].text;
            !t.contains(['=', '/']) && !t.chars().any(|c| c.is_ascii_digit())
        })
    }

    /// Whether "so" at token `j` opens a negative purpose ("so they can't
    /// …", "so that nothing can …"): a negation within its first words.
    fn negative_purpose(&self, j: usize) -> bool {
        let names_no_value = (j + 1..self.toks.len()).all(|k| {
            let t = self.toks[k].text;
            !t.contains(['=', '/']) && !t.chars().any(|c| c.is_ascii_digit())
        });
        let negated = |reach: usize| {
            (j + 1..(j + reach).min(self.toks.len())).any(|k| {
                matches!(
                    self.low(k),
                    "can't"
                        | "cannot"
                        | "won't"
                        | "never"
                        | "not"
                        | "couldn't"
                        | "nothing"
                        | "nobody"
                ) && !matches!(self.low(k + 1), "but" | "except" | "other" | "else")
            })
        };
        negated(5)
            // "so that an unnoticed exploit in the server cannot expose it":
            // further on, only where the purpose names no value.
            || negated(12) && names_no_value
            // "…, so namespace owners have to open known traffic themselves":
            // a consequence that names no value.
            || (j + 1..(j + 6).min(self.toks.len()))
                .any(|k| matches!(self.low(k), "have" | "has" | "need" | "needs" | "must"))
                && names_no_value
    }
}

/// Whether `x` names any value a rule governs (paths, executables, ports,
/// addresses, names, system calls, capabilities, protocols).
/// Moves the values and verbs of the denied clause `b` into `a`, which
/// becomes their block.
fn take_values(a: &mut Acc, b: Acc) {
    a.protos.extend(b.protos.iter().copied());
    a.file_verb |= b.file_verb;
    a.exec_verb |= b.exec_verb;
    super::corrections::join_values(a, b, super::corrections::Correction::Adds);
    a.allow = None;
    a.block = Some("not".to_string());
}

fn names_values(x: &Acc) -> bool {
    !(x.paths.is_empty()
        && x.dirs.is_empty()
        && x.binaries.is_empty()
        && x.ports.is_empty()
        && x.cidrs.is_empty()
        && x.fqdns.is_empty()
        && x.syscalls.is_empty()
        && x.caps.is_empty()
        && x.protos.is_empty())
}
