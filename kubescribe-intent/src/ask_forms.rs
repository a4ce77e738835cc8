//! The forms an ask takes in a sentence: a command ("Allow …", "Please
//! block …", "default deny egress"), a modal restriction ("X should only
//! …", "must not …"), a passive denial or prohibition ("must be denied",
//! "is not permitted for the X pods"), an obligation ("has to stay
//! read-only"), a request ("can you …", "please also keep …"), a how-to
//! question, a labelled ask ("Fix: …"). `sentences` uses them to tell the
//! ask from its background.

use super::*;

/// Verbs that open an imperative sentence: the ask.
const IMPERATIVE: &[&str] = &[
    "allow", "block", "deny", "permit", "prevent", "restrict", "audit", "log", "forbid", "drop",
    "reject", "isolate", "disallow", "monitor", "detect", "watch", "stop", "kill", "protect",
    "only", "let", "add", "create", "write", "enforce", "ensure", "alert", "make", "keep", "flag",
    "give", "grant", "lock", "tighten", "harden", "record",
];

/// Whether the sentence asks for something: it opens with an imperative
/// verb ("Allow …", "Please block …", "Now, add …", "Start by denying …",
/// "- deny …"; not an alert's tag "Alert! …"), or it restricts with a modal
/// ("An Nginx container should only run Nginx", "X must not read …").
pub(super) fn asks(s: &str) -> bool {
    // "NOTE: The software should NOT be installed …": a manual's
    // admonition asks only as a command ("Note: block …").
    if s.trim_start().split_once(": ").is_some_and(|(lead, _)| {
        matches!(
            lead.to_ascii_lowercase().as_str(),
            "note" | "warning" | "caution" | "important" | "tip" | "hint" | "danger"
        )
    }) {
        return imperative_after_colon(s);
    }
    // "From the maintainer's answer: One should never expose …", "The
    // docs say: …": advice quoted from someone else, the story.
    if s.trim_start().split_once(": ").is_some_and(|(lead, _)| {
        let w = words_of(lead);
        w.len() <= 8
            && w.iter().any(|x| {
                matches!(
                    x.as_str(),
                    "answer"
                        | "answered"
                        | "says"
                        | "say"
                        | "said"
                        | "wrote"
                        | "writes"
                        | "replied"
                        | "reply"
                        // (Not "Recommended fix: …", which labels the ask.)
                        | "states"
                        | "quote"
                )
            })
    }) {
        return false;
    }
    // "There's an old feature request for this in Kibana: \"…, allow
    // access to … and deny all other connectivity.\"": a quotation after
    // its lead, whole, is someone else's words.
    if s.split_once(": ").is_some_and(|(_, q)| {
        let q = q.trim().trim_end_matches(['.', '!', '?']);
        q.strip_prefix(QUOTE_OPENS)
            .and_then(|q| q.strip_suffix(['"', '\u{201d}']))
            .is_some_and(|inner| !inner.contains(['"', '\u{201c}', '\u{201d}']))
    }) {
        return false;
    }
    let ws = words_of(s);
    // "Such recording shall not block or delay any connection": what the
    // policy must not do, said of another ask.
    if ws.windows(3).any(|w| {
        matches!(w[0].as_str(), "shall" | "should" | "must" | "will")
            && w[1] == "not"
            && matches!(
                w[2].as_str(),
                "block" | "deny" | "drop" | "delay" | "interrupt"
            )
    }) && ws
        .first()
        .is_some_and(|w| matches!(w.as_str(), "such" | "this" | "that" | "the" | "it"))
        && !s.contains(['/', '='])
    {
        return false;
    }
    // "… ships client-egress-to-fqdns, where the client pods may only
    // reach one.one.one.one": a relative clause describes what comes before
    // it.
    if let Some((before, _)) = s.split_once(", where ")
        && !asks(before)
    {
        return false;
    }
    // "Change it so the pods … accept 8443 and 9443 only", "After the
    // change, all pods … accept traffic only from …": the state asked for.
    let low = s.trim_start().to_ascii_lowercase();
    if [
        "change it so that ",
        "change it so ",
        "change that so ",
        "make it so that ",
        "make it so ",
        "after the change, ",
        "after this change, ",
        "after: ",
    ]
    .iter()
    .any(|lead| {
        low.strip_prefix(lead)
            .is_some_and(|rest| rest.contains(" only") || asks(&s.trim_start()[lead.len()..]))
    }) {
        return true;
    }
    // "The outbound half has no admission check, so do it at runtime for
    // the relay (…): egress DNS and HTTPS only": "do it", then what.
    let does_it = |c: &str| {
        let w = words_of(c);
        w.first().is_some_and(|x| x == "do")
            && w.get(1)
                .is_some_and(|x| matches!(x.as_str(), "it" | "this" | "that"))
            && c.split_once(": ")
                .is_some_and(|(_, what)| what.split_whitespace().count() >= 2)
    };
    if does_it(s.trim_start()) || s.split_once(", so ").is_some_and(|(_, c)| does_it(c)) {
        return true;
    }
    // "Apply a default deny ingress for all pods in namespace x": a policy
    // put in place (not "apply it to …", which points back).
    if ws
        .first()
        .is_some_and(|x| matches!(x.as_str(), "apply" | "implement"))
        && ws
            .get(1)
            .is_some_and(|x| matches!(x.as_str(), "a" | "an" | "the"))
    {
        return true;
    }
    // "Business Associate shall record every inbound connection to …": a
    // party's obligation to act, as contracts and controls write asks.
    // (Not what a policy object must do: "The new NetworkPolicy must deny
    // …" describes the manifest asked for, read by the other forms.)
    let obliged = (1..ws.len()).any(|k| {
        matches!(ws[k - 1].as_str(), "shall" | "must")
            && IMPERATIVE.contains(&ws[k].as_str())
            && !matches!(ws[k].as_str(), "only" | "let" | "give" | "make" | "keep")
            && !ws[..k].iter().any(|w| {
                matches!(
                    w.as_str(),
                    "networkpolicy" | "policy" | "policies" | "rule" | "rules"
                )
            })
    });
    obliged
        || imperative(s)
        || nowhere_else(s)
        || passive_denial(s)
        || prohibition(s)
        || kept_read_only(s)
        || drops_the_rest(s)
        || only_may(s)
        || story_before_command(s).is_some()
        || modal_restriction(s)
        || labelled_ask(s)
        || imperative_after_colon(s)
        || request(s)
        || how_to(s)
}

/// Whether one of the sentences of `s` asks ("loadgenerator is a pure
/// client. Nothing should be able to connect to it.").
pub(super) fn asks_in_a_sentence(s: &str) -> bool {
    s.split(". ").any(asks)
}

/// "egress from the gotenberg pods (…) goes to the doc-archive pods (…) on
/// 8080 and nowhere else": an allow-list's edge said of what flows.
/// (With the pods glossed by their labels; not a description: "… which
/// lets the client reach pod-name=server-2 and nothing else".)
pub(super) fn nowhere_else(s: &str) -> bool {
    let w = words_of(s);
    w.windows(3).any(|w| {
        matches!(w[0].as_str(), "and" | "but")
            && matches!(w[1].as_str(), "nowhere" | "nothing" | "noone" | "nobody")
            && w[2] == "else"
    }) && !w.iter().any(|x| matches!(x.as_str(), "which" | "where"))
        && super::masks::parentheses(s)
            .iter()
            .any(|&(o, i)| s[o + 1..i].contains(['=', ':']))
}

/// "only /bin/aws-ebs-csi-driver, /bin/mount and /bin/umount may be
/// executed", "only the mirth pods should be able to connect": an
/// allow-list's subject and its modal.
pub(super) fn only_may(s: &str) -> bool {
    let w = words_of(s);
    (0..w.len()).any(|k| {
        w[k] == "only"
            && w[k + 1..(k + 13).min(w.len())]
                .iter()
                .any(|x| matches!(x.as_str(), "may" | "should" | "must" | "shall"))
    })
}

/// "… keep IPC_LOCK and SYS_NICE and drop every other capability": an
/// allow-list's edge said as a command (not "the chart drops all other
/// capabilities": a description).
pub(super) fn drops_the_rest(s: &str) -> bool {
    let w = words_of(s);
    // "…, and every other capability is dropped": the same, in the passive.
    let passive = (0..w.len().saturating_sub(1)).any(|k| {
        matches!(w[k].as_str(), "every" | "all" | "any")
            && w[k + 1] == "other"
            && w[k + 2..(k + 5).min(w.len())]
                .iter()
                .any(|x| matches!(x.as_str(), "dropped" | "removed" | "denied" | "blocked"))
    });
    passive
        || w.windows(3).any(|w| {
            matches!(w[0].as_str(), "drop" | "deny" | "block" | "remove")
                && matches!(w[1].as_str(), "every" | "all" | "any")
                && w[2] == "other"
        })
}

/// "How do I make every pod in namespace x drop incoming ping?", "is there
/// a way to block …?", "any way to only allow …?": a question that asks
/// for what its verb says.
pub(super) fn how_to(s: &str) -> bool {
    let w = words_of(s);
    let opens = |p: &[&str]| w.len() > p.len() && w.iter().zip(p).all(|(a, b)| a == b);
    let after = [
        &["how", "do", "i"][..],
        &["how", "can", "i"],
        &["how", "do", "we"],
        &["how", "can", "we"],
        &["how", "would", "i"],
        &["how", "would", "we"],
        &["how", "should", "i"],
        &["how", "should", "we"],
        &["how", "could", "i"],
        &["how", "to"],
        &["is", "there", "a", "way", "to"],
        &["is", "it", "possible", "to"],
        &["any", "way", "to"],
    ]
    .iter()
    .find(|p| opens(p))
    .map(|p| p.len());
    after.is_some_and(|k| {
        let v = if w[k] == "only" { k + 1 } else { k };
        w.get(v)
            .is_some_and(|v| IMPERATIVE.contains(&v.as_str()) || v == "make")
    })
        // "Until then: how do I keep the JVM … from spawning …?": after a
        // short lead.
        || s.split_once(": ").is_some_and(|(lead, rest)| {
            lead.split_whitespace().count() <= 4 && how_to(rest)
        })
}

/// The marks that open a quotation.
const QUOTE_OPENS: [char; 2] = ['"', '\u{201c}'];

/// Whether `s` opens with a quotation: someone else's words, no ask.
fn opens_quote(s: &str) -> bool {
    s.starts_with(QUOTE_OPENS)
}

/// The sentence's words, lower case, without the punctuation around them.
pub(super) fn words_of(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
                .to_ascii_lowercase()
        })
        .collect()
}

/// "can you watch for writes …", "…, but could you please log every …":
/// a request for what an imperative verb says.
pub(super) fn request(s: &str) -> bool {
    let w = words_of(s);
    // "We've patched log4j, but please also keep the JVM … from …": a
    // command after "please", late in the sentence.
    let pleads = (0..w.len()).any(|k| {
        w[k] == "please" && {
            let v = if matches!(w.get(k + 1).map(String::as_str), Some("also" | "just")) {
                k + 2
            } else {
                k + 1
            };
            w.get(v).is_some_and(|v| IMPERATIVE.contains(&v.as_str()))
        }
    });
    // "Could the exporter pods (…) accept 9187 only from the monitoring
    // namespace?": a question that restricts the pods it names.
    let asks_of_pods = s.trim_end().ends_with('?')
        && w.first()
            .is_some_and(|x| matches!(x.as_str(), "can" | "could"))
        && w.get(1)
            .is_some_and(|x| matches!(x.as_str(), "the" | "our" | "all"))
        && w.iter().any(|x| x == "only");
    // "What policy would make the dashboard pods (…) reachable on 8443
    // only from the API server?": a question for the policy itself.
    let which_policy = s.trim_end().ends_with('?')
        && w.first()
            .is_some_and(|x| matches!(x.as_str(), "what" | "which"))
        && (1..w.len().min(5)).any(|k| {
            matches!(
                w[k].as_str(),
                "policy" | "policies" | "rule" | "rules" | "netpol" | "networkpolicy"
            ) && w.get(k + 1).is_some_and(|x| {
                matches!(x.as_str(), "would" | "should" | "could" | "can" | "will")
            })
        });
    pleads
        || asks_of_pods
        || which_policy
        || (0..w.len().saturating_sub(2)).any(|k| {
            matches!(w[k].as_str(), "can" | "could" | "would" | "will")
                // ("Can we make the module pods accept 8081 from … only?":
                // a request to the team.)
                && matches!(w[k + 1].as_str(), "you" | "u" | "we")
                && {
                    let v = if w[k + 2] == "please" { k + 3 } else { k + 2 };
                    w.get(v).is_some_and(|v| IMPERATIVE.contains(&v.as_str()))
                }
        })
}

/// "egress of the logstash pods has to be restricted to …", "… needs to be
/// blocked": an obligation on the pods, in the passive (an ask when no
/// sentence asks with a command or a request).
pub(super) fn obligation(s: &str) -> bool {
    let w = words_of(s);
    w.windows(4).any(|x| {
        matches!(
            (x[0].as_str(), x[1].as_str(), x[2].as_str()),
            ("has" | "have" | "needs" | "need" | "ought", "to", "be")
        ) && matches!(
            x[3].as_str(),
            "restricted"
                | "limited"
                | "blocked"
                | "denied"
                | "allowed"
                | "permitted"
                | "prevented"
                | "isolated"
                | "audited"
                | "logged"
                | "monitored"
                | "dropped"
                // "5038 … needs to be reachable by the fop2 pods and by
                // nothing else".
                | "reachable"
                | "accessible"
        )
    })
}

/// "seccomp: block io_uring …", "Until we find the source: alert whenever
/// …": a short lead-in, a colon, then a command.
pub(super) fn imperative_after_colon(s: &str) -> bool {
    // (An aside naming the pods does not count: "The build runners
    // (role=x, namespace y) get no kubectl: block …".)
    let words = |lead: &str| {
        let mut depth = 0usize;
        lead.split_whitespace()
            .filter(|w| {
                let inside = depth > 0 || w.starts_with('(');
                depth = (depth + w.matches('(').count()).saturating_sub(w.matches(')').count());
                !inside
            })
            .count()
    };
    // (The first colon outside an aside: "the piston pods (app: piston,
    // …) don't need any egress: default deny egress for them".)
    s.match_indices(": ")
        .map(|(k, _)| k)
        .find(|&k| s[..k].matches('(').count() <= s[..k].matches(')').count())
        .is_some_and(|k| {
            words(&s[..k]) <= 30
                && imperative(&s[k + 2..])
                // (Not words quoted after it: "There's an old feature
                // request: \"…, allow access to …\"".)
                && !opens_quote(&s[k + 2..])
        })
}

/// Where the command starts in a sentence that tells a story of more than
/// six words before a colon and then commands ("… would be somebody poking
/// around: audit every execution of …"), when the story asks nothing itself.
pub(super) fn story_before_command(s: &str) -> Option<usize> {
    // (Not the colon of an aside's "app: web".)
    let mut depth = 0i32;
    let at = s.char_indices().find_map(|(k, c)| {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ':' if depth == 0 && s[k + 1..].starts_with(' ') => return Some(k),
            _ => {}
        }
        None
    })?;
    let (lead, rest) = (&s[..at], &s[at + 2..]);
    // A lead that names the pods ("Do the same for the workspace pods (…)
    // in namespace gitpod: they must not …") is part of the ask.
    // (Its asides stay anyway.)
    let mut depth = 0usize;
    let names_pods = lead.split_whitespace().any(|w| {
        let inside = depth > 0 || w.starts_with('(');
        depth = (depth + w.matches('(').count()).saturating_sub(w.matches(')').count());
        let w = w.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ';'));
        !inside
            && (split_label(w).is_some()
                || matches!(w.to_ascii_lowercase().as_str(), "namespace" | "ns"))
    });
    // ("… the MySQL (9004) and PostgreSQL (9005) interfaces …, but first:
    // … log every incoming connection on those two ports": a command that
    // points back takes its values from the story.)
    (lead.split_whitespace().count() > 6
        && !names_pods
        && asks(rest)
        // (Not someone else's words quoted after it: "There's an old
        // feature request for this: \"…, allow access to …\"".)
        && !opens_quote(rest.trim_start())
        && !asks(lead)
        && !points_back(rest))
    .then_some(at + 2)
}

/// Words of the labels that introduce what an issue or a pull request asks
/// for: "Fix: …", "Fix shape: …", "Expected result: …", "Goal: …",
/// "Suggested fix: …", "Remediation: …".
const ASK_LABEL_WORDS: &[&str] = &[
    "fix",
    "solution",
    "proposal",
    "remediation",
    "recommendation",
    "mitigation",
    "goal",
    "requirement",
    "requirements",
    "request",
    "expected",
    "desired",
    "criteria",
    // "What I want: …", "what i need: …".
    "want",
    "need",
];

/// Whether `label` (a heading, or the words before a colon) labels the
/// ask: at most four words, one of them an ask label's word.
pub(super) fn ask_label(label: &str) -> bool {
    let words: Vec<String> = label
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_alphabetic())
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty()
        && words.len() <= 4
        && words.iter().any(|w| ASK_LABEL_WORDS.contains(&w.as_str()))
}

/// Whether the sentence opens with a label of what is asked ("Expected
/// Result: all egress should be restricted").
/// (Not a report of what was done: "tentative fix: restricted MIME types of
/// uploaded files, disabled PHP parsing …".)
pub(super) fn labelled_ask(s: &str) -> bool {
    let s = s.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    s.split_once(':').is_some_and(|(label, rest)| {
        let done = words_of(label)
            .iter()
            .any(|w| matches!(w.as_str(), "fix" | "workaround" | "mitigation"))
            && words_of(rest).first().is_some_and(|w| {
                w.ends_with("ed") && !matches!(w.as_str(), "allowed" | "denied" | "blocked")
            });
        !rest.trim().is_empty() && ask_label(label) && !done
    })
}

/// "should only", "must not", "may never": a modal and its restriction.
pub(super) fn modal_restriction(s: &str) -> bool {
    let words: Vec<String> = s
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
                .to_ascii_lowercase()
        })
        .collect();
    // "… should accept connections on 5800 and nothing else": a modal whose
    // allow-list's edge follows.
    let modal = |w: &str| matches!(w, "must" | "should" | "may" | "shall" | "can");
    // "should accept only 25/tcp", "should be reachable only from …",
    // "should take 27017 only from …": the restriction a few words on.
    let raw: Vec<&str> = s.split_whitespace().collect();
    let later_only = (0..words.len()).any(|k| {
        matches!(words[k].as_str(), "must" | "should" | "shall")
            && (k + 1..(k + 16).min(words.len()))
                .take_while(|&j| !raw[j - 1].ends_with([',', ';', '.', ':']))
                .any(|j| words[j] == "only")
    });
    // "Nothing should be able to connect to …", "nobody may read …": no
    // one, and a modal; "nothing in laravel pods (app=laravel, ns web)
    // should write …": the pods it is in between.
    let no_one = (0..words.len()).any(|k| {
        let reach = match words.get(k + 1).map(String::as_str) {
            Some("in" | "inside" | "within") => 12,
            _ => 5,
        };
        matches!(words[k].as_str(), "nothing" | "nobody" | "noone")
            && words[k + 1..(k + reach).min(words.len())]
                .iter()
                .any(|w| matches!(w.as_str(), "should" | "may" | "must" | "can" | "shall"))
    });
    // "Its egress should be limited to api.cloudflare.com on 443": a modal
    // passive restriction.
    let restricted = words.windows(3).any(|w| {
        matches!(w[0].as_str(), "should" | "must" | "shall")
            && w[1] == "be"
            && matches!(w[2].as_str(), "limited" | "restricted" | "confined")
    });
    later_only
        || no_one
        || restricted
        // (Not a relative clause that describes: "a different port (9601)
        // which may not be exposed to the internet".)
        || (0..words.len().saturating_sub(1)).any(|k| {
            (matches!(words[k].as_str(), "must" | "should" | "may" | "shall")
                && matches!(words[k + 1].as_str(), "only" | "not" | "never")
                || matches!(words[k].as_str(), "mustn't" | "shouldn't"))
                && !(k > 0 && words[k - 1] == "which")
        })
        || words.iter().any(|w| modal(w))
            && words.windows(2).any(|w| {
                w[0] == "nothing" && w[1] == "else"
                || w[0] == "no" && w[1] == "other"
                // "nothing but /metrics-server should touch …".
                || matches!(w[0].as_str(), "nothing" | "nobody" | "noone")
                    && matches!(w[1].as_str(), "but" | "except" | "besides")
            })
}

/// "…, so NET_ADMIN is not permitted for the upf pods any more": a
/// conclusion that states a prohibition ("is not allowed", "are
/// forbidden", "is no longer permitted") for pods it names (not an error
/// message's "DNS lookup … is not allowed").
pub(super) fn prohibition(s: &str) -> bool {
    let w = words_of(s);
    (0..w.len().saturating_sub(2)).any(|k| {
        matches!(w[k].as_str(), "is" | "are")
            && (matches!(w[k + 1].as_str(), "not" | "no")
                && matches!(w[k + 2].as_str(), "permitted" | "allowed" | "longer")
                || matches!(w[k + 1].as_str(), "forbidden" | "prohibited" | "banned"))
            && w[k + 2..]
                .iter()
                .any(|x| matches!(x.as_str(), "pods" | "pod" | "namespace"))
    })
}

/// "/pb_hooks/ has to stay read-only in …", "/etc must remain read-only":
/// an obligation that a path stay read-only (not the description "the root
/// file system is read-only").
pub(super) fn kept_read_only(s: &str) -> bool {
    let w = words_of(s);
    (0..w.len()).any(|k| {
        let read_only = |j: usize| {
            w.get(j)
                .is_some_and(|x| matches!(x.as_str(), "read-only" | "readonly"))
                || w.get(j).is_some_and(|x| x == "read")
                    && w.get(j + 1).is_some_and(|x| x == "only")
        };
        let verb = |j: usize| {
            w.get(j)
                // ("must be keep read-only", as typed in a hurry.)
                .is_some_and(|x| matches!(x.as_str(), "be" | "stay" | "remain" | "kept" | "keep"))
        };
        let obliged = match w[k].as_str() {
            "must" | "should" | "shall" => Some(k + 1),
            "has" | "have" | "needs" | "need" if w.get(k + 1).is_some_and(|x| x == "to") => {
                Some(k + 2)
            }
            _ => None,
        };
        obliged.is_some_and(|v| verb(v) && (read_only(v + 1) || verb(v + 1) && read_only(v + 2)))
    })
}

/// "CAP_SYS_ADMIN must be denied to …": a modal's passive denial.
pub(super) fn passive_denial(s: &str) -> bool {
    words_of(s).windows(3).any(|w| {
        matches!(w[0].as_str(), "must" | "shall")
            && w[1] == "be"
            && matches!(
                w[2].as_str(),
                "denied" | "blocked" | "prevented" | "forbidden" | "dropped" | "restricted"
                    // "Anybody other than X must be kept off port 8888 …".
                    | "kept"
            )
    })
}

/// Whether the sentence opens with an imperative verb.
pub(super) fn imperative(s: &str) -> bool {
    let s = s.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    // "With a Tetragon policy, prevent …", "Using Calico, log …": a
    // leading phrase of how, up to its comma.
    // "Until the QA instance is upgraded, block …", "For now, deny …": a
    // leading clause of when or why, up to its comma (not "if"/"when": a
    // manual's condition, "If your environment restricts …, allow …").
    let lead = s.split_whitespace().next().unwrap_or("");
    let lead_words = if ["with", "using", "via"]
        .iter()
        .any(|x| lead.eq_ignore_ascii_case(x))
    {
        6
    } else if [
        "until",
        "once",
        "while",
        "before",
        "after",
        "since",
        "because",
        "for",
        "during",
        "meanwhile,",
        "now",
        "given",
        // "in the guacamole web pods (…), make … read-only": where, up to
        // its comma.
        "in",
        "inside",
        "within",
        "across",
        // "on top of that, audit any writes under …", "additionally, block …".
        "on",
        "additionally,",
        "also,",
        "moreover,",
        "besides,",
    ]
    .iter()
    .any(|x| lead.eq_ignore_ascii_case(x))
    {
        12
    } else {
        0
    };
    // (Its comma, not one inside an aside: "for now keep the runner (…,
    // namespace ci) from …".)
    // "So for our nextcloud pods (…), drop …": a conclusion's "so" first.
    if ["so", "then"].iter().any(|x| lead.eq_ignore_ascii_case(x))
        && let Some((_, rest)) = s.split_once(char::is_whitespace)
        && rest.split_whitespace().next().is_some_and(|w| {
            ["for", "until", "once", "since", "given"]
                .iter()
                .any(|x| w.eq_ignore_ascii_case(x))
        })
    {
        return imperative(rest);
    }
    if lead_words > 0
        && let Some(c) = s
            .match_indices(", ")
            .map(|(c, _)| c)
            .find(|&c| s[..c].matches('(').count() == s[..c].matches(')').count())
        && s[..c].split_whitespace().count() <= lead_words
    {
        return imperative(&s[c + 2..]);
    }
    let mut words = s.split_whitespace().peekable();
    let mut w = words.next().unwrap_or("");
    while [
        "please",
        "pls",
        "plz",
        "so",
        "then",
        "now,",
        "now",
        "next,",
        "next",
        "first,",
        "finally,",
        // "Meanwhile audit any access to …", "also block …".
        "meanwhile",
        "also",
    ]
    .iter()
    .any(|x| w.eq_ignore_ascii_case(x))
    {
        w = words.next().unwrap_or("");
    }
    // "for now keep the n8n process …", "for now, deny …".
    if w.eq_ignore_ascii_case("for")
        && words
            .peek()
            .is_some_and(|x| x.trim_end_matches(',').eq_ignore_ascii_case("now"))
    {
        words.next();
        w = words.next().unwrap_or("");
    }
    // "Until then keep the internet off port 8081 …": the same, said of
    // a time named before.
    if ["until", "till"].iter().any(|x| w.eq_ignore_ascii_case(x))
        && words
            .peek()
            .is_some_and(|x| x.trim_end_matches(',').eq_ignore_ascii_case("then"))
    {
        words.next();
        w = words.next().unwrap_or("");
    }
    // "Start by denying all ingress …": the gerund is the verb.
    let gerund: String;
    if ["start", "begin"].iter().any(|x| w.eq_ignore_ascii_case(x))
        && words.peek().is_some_and(|x| x.eq_ignore_ascii_case("by"))
    {
        words.next();
        let g = words.next().unwrap_or("").to_ascii_lowercase();
        gerund = match g.strip_suffix("ing") {
            Some("isolat") => "isolate".to_string(),
            Some(stem) => stem.to_string(),
            None => String::new(),
        };
        w = &gerund;
        if words.peek().is_none() {
            return false;
        }
    }
    let bare = w.trim_end_matches([',', ';']);
    // "pls alow egres …": a command typed in a hurry.
    let lower = bare.to_ascii_lowercase();
    let bare = super::typos::corrected(&lower).unwrap_or(bare);
    // "Alert! …" is a tag; "drop:" or "- allow: …" a key of pasted config.
    let Some(second) = words.next() else {
        return false;
    };
    if w.ends_with('!') || w.ends_with(':') {
        return false;
    }
    // "Limit access to port 8080 of X to …" (not "Limit the ability of …").
    // "default deny egress for them", "default-deny ingress": the posture
    // said as a command.
    // (Not a checklist's "default deny for ingress …: applied".)
    let second = second.trim_end_matches([',', ';']);
    let traffic = |w: Option<&str>| {
        w.map(|w| w.trim_end_matches([',', ';', '.']).to_ascii_lowercase())
            .is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "ingress"
                        | "egress"
                        | "all"
                        | "everything"
                        | "traffic"
                        | "inbound"
                        | "outbound"
                )
            })
    };
    // ("Only the top-level plugin files are loaded at start": what is, no
    // modal, is a description.)
    let describes = || {
        let w = words_of(s);
        w.iter().any(|x| matches!(x.as_str(), "is" | "are"))
            && !w.iter().any(|x| {
                matches!(
                    x.as_str(),
                    "may"
                        | "should"
                        | "must"
                        | "can"
                        | "shall"
                        | "allow"
                        | "allowed"
                        | "permitted"
                        | "accepted"
                        | "reachable"
                        | "accessible"
                        | "executed"
                        | "run"
                        | "denied"
                        | "blocked"
                        | "let"
                )
            })
    };
    // "Audit log can be altered: …", "Log files are world-readable":
    // a noun compound that opens a title, not a command.
    let noun_compound = ["audit", "log", "record", "alert", "trace"]
        .iter()
        .any(|x| bare.eq_ignore_ascii_case(x))
        && [
            "log", "logs", "trail", "trails", "logging", "records", "files", "file", "entries",
            "level", "levels", "rules", "messages",
        ]
        .iter()
        .any(|x| second.eq_ignore_ascii_case(x))
        && words.peek().is_some_and(|x| {
            [
                "can", "is", "are", "was", "were", "may", "might", "could", "gets", "get",
            ]
            .iter()
            .any(|v| x.eq_ignore_ascii_case(v))
        });
    // "Audit wants a traceable time source", "Audit asked for …": the
    // auditors, a subject.
    let subject = [
        "wants",
        "needs",
        "asked",
        "asks",
        "requires",
        "requested",
        "says",
        "said",
    ]
    .iter()
    .any(|x| second.eq_ignore_ascii_case(x));
    let not_a_command = noun_compound || subject;
    IMPERATIVE.iter().any(|v| bare.eq_ignore_ascii_case(v))
        && !not_a_command
        && !(bare.eq_ignore_ascii_case("only") && describes())
        // ("limit its egress to DNS to 8.8.8.8": what it limits is traffic.)
        || bare.eq_ignore_ascii_case("limit")
            && ["access", "its", "their"]
                .iter()
                .any(|x| second.eq_ignore_ascii_case(x))
        || bare.eq_ignore_ascii_case("limit") && traffic(Some(second))
        || bare.eq_ignore_ascii_case("default")
            && second.eq_ignore_ascii_case("deny")
            && traffic(words.next())
        || bare.eq_ignore_ascii_case("default-deny") && traffic(Some(second))
}

/// Whether sentence `s` names what it governs by pointing back: "that
/// directory", "those files", "this path".
pub(super) fn points_back(s: &str) -> bool {
    // "that private key", "those two ports": a word may come between; a
    // sentence that gives the value itself ("that healthz port, 8080")
    // points nowhere.
    // ("reads of that key should be restricted to /usr/local/bin/app": a
    // path after "to" or "by" is who may, not what.)
    let ws: Vec<&str> = s.split_whitespace().collect();
    let has_path = (0..ws.len()).any(|k| {
        ws[k].trim_start_matches(['(', '`', '"']).starts_with('/')
            && !(k > 0 && matches!(ws[k - 1].to_ascii_lowercase().as_str(), "to" | "by"))
    });
    let has_number = words_of(s)
        .iter()
        .any(|w| !w.is_empty() && w.len() <= 5 && w.chars().all(|c| c.is_ascii_digit()));
    // "those four upstreams", "these IPs": addresses said before.
    let has_address = s.split_whitespace().any(|w| {
        parse_cidr(w.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ';' | ':')))
            .is_some()
    });
    let noun = |w: &str| match w {
        "directory" | "directories" | "folder" | "file" | "files" | "path" | "paths" | "token"
        | "tokens" => true,
        "key" | "keys" | "certificate" | "socket" | "binary" | "binaries" => !has_path,
        "port" | "ports" => !has_number,
        "address" | "addresses" | "ip" | "ips" | "upstream" | "upstreams" | "servers" | "hosts"
        | "ranges" | "cidrs" | "subnets" | "networks" => !has_address,
        _ => false,
    };
    let words = words_of(s);
    // "pls alow it to access …": the subject said before.
    let allowed_it = words.windows(3).any(|w| {
        let verb = super::typos::corrected(&w[0]).unwrap_or(&w[0]);
        matches!(verb, "allow" | "let" | "permit")
            && matches!(w[1].as_str(), "it" | "them")
            && w[2] == "to"
    });
    // "Please do this for our halo pods (…)": the ask said before, its
    // pods now.
    // (Not "since the mesh won't do it for us": no pods follow.)
    let done_for = (0..words.len().saturating_sub(3)).any(|k| {
        matches!(words[k].as_str(), "do" | "apply" | "implement" | "enforce")
            && matches!(words[k + 1].as_str(), "this" | "that" | "it")
            && matches!(words[k + 2].as_str(), "for" | "on" | "in")
            && !matches!(words[k + 3].as_str(), "us" | "me" | "you" | "them")
            && words[k + 3..(k + 8).min(words.len())]
                .iter()
                .any(|w| matches!(w.as_str(), "pods" | "pod" | "workloads" | "containers"))
    });
    allowed_it
        || done_for
        || (0..words.len()).any(|k| {
            matches!(words[k].as_str(), "that" | "this" | "those" | "these")
                && words[k + 1..(k + 3).min(words.len())]
                    .iter()
                    .any(|w| noun(w))
        })
}
