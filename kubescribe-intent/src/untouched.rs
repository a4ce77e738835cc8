//! What the ask leaves as it is: "deny all ingress, all pods. egress stays
//! open", "must drop ingress from …; all other traffic stays allowed",
//! "deny writes below /bin/. reads ok". Such a clause bounds the policy (the
//! other direction, the other traffic, the other operation are not its
//! business); it asks for nothing, and its direction or allow word must not
//! join the intent. It is blanked out (offsets kept) before parsing, with a
//! parenthesis right after it ("egress stays open (curl must still work)").

use super::untouched_clauses::{STAYS, clauses, words};

/// Words naming the traffic or operation a clause leaves alone.
const SUBJECTS: &[&str] = &[
    "traffic",
    "ingress",
    "egress",
    "inbound",
    "outbound",
    "incoming",
    "outgoing",
    "reads",
    "read",
    "reading",
    "writes",
    "everything",
    "anything",
    "rest",
    "connections",
    "requests",
];

/// Words that may come before the subject: "all other traffic", "the rest
/// of the traffic", "any other egress".
const LEADS: &[&str] = &[
    "all",
    "other",
    "the",
    "of",
    "any",
    "remaining",
    "else",
    "port",
    "ports",
];

/// Verbs of going on: "has to keep", "should still", "will continue".
const GOING_ON: &[&str] = &[
    "keep",
    "keeps",
    "still",
    "continue",
    "continues",
    "has",
    "have",
    "to",
    "must",
    "should",
    "needs",
    "need",
    "will",
    "can",
];

/// What it stays.
const STATES: &[&str] = &[
    "open",
    "allowed",
    "permitted",
    "unrestricted",
    "untouched",
    "unaffected",
    "public",
    "reachable",
    "writable",
    "writeable",
    "readable",
    "accessible",
    "unchanged",
    "fine",
    "ok",
    "okay",
];

/// `text` with the clauses that leave traffic or an operation as it is
/// blanked out, or `None` when it has none.
pub(super) fn without_untouched(text: &str) -> Option<String> {
    let mut blank: Vec<(usize, usize)> = purposes(text);
    let mut before: Vec<String> = Vec::new();
    let mut before_shut_out = false;
    for (start, end) in clauses(text) {
        // "nothing else inbound, supervisor's http server on 9001
        // included": what the allow-list shuts out, named as an example.
        // "… should accept 51820/udp and nothing else, 51821 included: we'll
        // reach the UI through the tunnel": the clause before ends so.
        let said = words(&text[start..end]);
        let denied_example = (said.last().is_some_and(|w| w == "included")
            || said.len() <= 4 && said.get(1).is_some_and(|w| w == "included")
            || said.len() <= 5 && said.get(2).is_some_and(|w| w == "included"))
            && matches!(
                before
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice(),
                ["nothing" | "no", "else" | "other", ..] | [.., "nothing" | "no", "else" | "other"]
            )
            // "non-allowlisted commands fail closed, /bin/sh and
            // /usr/bin/psql included".
            || said.last().is_some_and(|w| w == "included") && before_shut_out;
        // "… only goes to github.com on 443; pool.supportxmr.com and the
        // other pools must not work": what the allow-list shuts out, named.
        let said_words = words(&text[start..end]);
        let said_words: Vec<&str> = said_words.iter().map(String::as_str).collect();
        // An acceptance criterion, a list item after the allow-list: "- a
        // direct connection to a public address … fails", "- non-allowlisted
        // commands fail closed", "- … on any other port is refused".
        // (The line the clause is on, from its start: "* a connection …"
        // is a clause of its own.)
        let line = text[text[..start].rfind('\n').map_or(0, |k| k + 1)..].trim_start();
        // (Not a line that opens with a port: "7077 and 8080 stay as they are".)
        let list_item = super::criteria::list_item(line);
        // So are its checks of what still goes through ("- `curl
        // https://api.github.com` succeeds", "- a destination the proxy
        // allows still flows end to end") and of who gets nothing ("- the
        // api pods get no connection to the sandbox").
        let criterion = list_item
            && (matches!(
                said_words.as_slice(),
                [.., "fail" | "fails" | "failed"]
                    | [.., "fail" | "fails", "closed"]
                    | [.., "time" | "times", "out"]
                    | [
                        ..,
                        "is" | "are" | "gets" | "get",
                        "refused" | "denied" | "rejected" | "dropped"
                    ]
                    | [.., "succeeds" | "succeed" | "succeeded"]
            ) || said_words.windows(3).any(|w| {
                matches!(w[0], "get" | "gets")
                    && matches!(w[1], "no" | "a")
                    && matches!(w[2], "connection" | "connections" | "access" | "timeout")
                    // "- /bin/sh and /bin/ls fail to start".
                    || matches!(w[0], "fail" | "fails")
                        && w[1] == "to"
                        && matches!(w[2], "start" | "run" | "execute" | "connect" | "open")
            }) || said_words.windows(2).any(|w| {
                w[0] == "still" && matches!(w[1], "flows" | "flow" | "works" | "connects")
                    // "- one user action pod cannot reach another one".
                    || matches!(w[0], "cannot" | "can't")
                        && matches!(w[1], "reach" | "connect" | "talk" | "access")
            }));
        let shut_out = (criterion
            || matches!(
                said_words.as_slice(),
                [.., "must" | "should" | "will" | "shall", "not", "work"] | [.., "must", "fail"]
            ))
            && {
                // ("- nothing but X and Y may execute / - /bin/sh fails to
                // start": an allow-list said without "only".)
                let said = text[..start].to_ascii_lowercase();
                said.contains(" only ") || said.contains("nothing but ")
            };
        before_shut_out = shut_out;
        // "- sandbox egress through the proxy is tracked separately", "-
        // python3 running the tool code raises no alert": an item about
        // what this ask leaves to another, or leaves out.
        let left_to_another = list_item
            && (matches!(
                said_words.as_slice(),
                [
                    ..,
                    "tracked" | "handled" | "covered" | "addressed" | "done",
                    "separately" | "later"
                ] | [.., "out", "of", "scope"]
            ) || said_words.windows(3).any(|w| w == ["not", "part", "of"])
                || said_words.windows(3).any(|w| {
                    matches!(
                        w[0],
                        "raises" | "raise" | "triggers" | "trigger" | "gets" | "get"
                    ) && w[1] == "no"
                        && matches!(w[2], "alert" | "alerts" | "alarm" | "finding")
                }));
        // "The admin UI on 4000 is handled in XRD-PROD-58": left to
        // another ticket, in any sentence.
        let handled_elsewhere = said_words.windows(3).any(|w| {
            matches!(w[0], "is" | "are" | "gets" | "get")
                && matches!(w[1], "handled" | "tracked" | "covered" | "addressed")
                && matches!(w[2], "in" | "by" | "elsewhere" | "separately")
        });
        if handled_elsewhere && !list_item {
            blank.push((start, end));
            before = words(&text[start..end]);
            continue;
        }
        if shut_out && criterion || left_to_another || handled_elsewhere {
            // The whole item goes, its asides too ("- the api pods
            // (`app.kubernetes.io/component: api`) get no connection").
            let from = text[..start].rfind('\n').map_or(0, |k| k + 1);
            let to = text[start..].find('\n').map_or(text.len(), |k| start + k);
            blank.push((from, to));
            before = words(&text[start..end]);
            continue;
        }
        // "… reachable only from nextcloud pods (…) on 80 port, from
        // Internet nobody": what the allow-list leaves out, named.
        let nobody_from = matches!(
            words(&text[start..end])
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            ["from" | "to", w @ .., "nobody" | "none" | "noone"]
                | ["nobody" | "none" | "noone", "from" | "to", w @ ..]
                if (1..=3).contains(&w.len())
                    && w.iter().all(|x| x.chars().all(|c| c.is_ascii_lowercase()))
        ) && text[..start].to_ascii_lowercase().contains(" only ");
        // "…; the 9600 monitoring API gets no rule": a value the policy
        // leaves out, named.
        let no_rule = said_words.windows(3).any(|w| {
            matches!(w[0], "gets" | "get" | "needs" | "need")
                && w[1] == "no"
                && matches!(w[2], "rule" | "rules")
        });
        before = words(&text[start..end]);
        if denied_example || shut_out || nobody_from || no_rule {
            blank.push((start, end));
            continue;
        }
        // "players on 25565 are unaffected and rcon-cli keeps working": the
        // part before an "and" may be the one that leaves something alone.
        let clause = &text[start..end];
        let end = std::iter::once(clause.len())
            .chain(clause.match_indices(" and ").map(|(k, _)| k))
            .map(|k| start + k)
            .find(|&e| {
                let w = words(&text[start..e]);
                leaves_alone(&w)
                    || still_written(&w)
                    || still_runs(&w)
                    || keeps_flowing(&w)
                    || still_lands(&w)
                    || out_of_scope(&w)
                    || effect_after(&w)
                    || not_isolating(&w)
                    || posture_landed(&w)
                    || keeps_using_port(&w)
                    || lives_elsewhere(&w)
            })
            .unwrap_or(start);
        // "the x pods can keep egress to everything": from its verb on.
        let start = if end > start {
            start
        } else {
            match kept_open_from(clause) {
                Some(k) => {
                    blank.push((start + k, start + clause.len()));
                    continue;
                }
                None => start,
            }
        };
        if end > start {
            let mut to = end;
            // "(curl to the outside must still work)": its reason goes too.
            let after = &text[end..];
            let skipped = after.len() - after.trim_start().len();
            if after.trim_start().starts_with('(')
                && let Some(k) = after.find(')')
            {
                to = end + k.max(skipped) + 1;
            }
            // "egress stays open, the AI workloads still need to pull
            // models": the reason after it, to its sentence's end, when it
            // names no value.
            let rest = &text[to..];
            if rest.trim_start().starts_with(',') {
                let end = rest.find(". ").map_or(text.len(), |e| to + e);
                let reason = &text[to..end];
                if !reason.contains(['=', '/', ':', ';'])
                    && !reason.chars().any(|c| c.is_ascii_digit())
                {
                    to = end;
                }
            }
            blank.push((start, to));
        }
    }
    super::masks::blanked(text, &blank)
}

/// "log every connection to 8080 of the broker pods (…) so we can see who
/// calls it": the purpose of the ask, to its sentence's end, when it names
/// no value (its "calls" is no traffic of the policy's).
fn purposes(text: &str) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    [
        " so we can ",
        " so that we can ",
        " so i can ",
        " so that i can ",
        " so we see ",
    ]
    .iter()
    .flat_map(|p| lower.match_indices(p).map(|(k, _)| k + 1))
    .filter_map(|from| {
        // (To a dash too: "… so we see nsenter escapes - no wait, block
        // it outright".)
        let end = [". ", ";", "!", "?", "\n", " - ", " — ", ", "]
            .iter()
            .filter_map(|m| text[from..].find(m))
            .min()
            .map_or(text.len(), |e| from + e);
        let purpose = &text[from..end];
        (!purpose.contains(['=', '/', ':', '(']) && !purpose.chars().any(|c| c.is_ascii_digit()))
            .then_some((from, end))
    })
    .collect()
}

/// Whether a clause's words are only "[leads] subject [stays] state":
/// "egress stays open", "all other traffic stays allowed", "reads ok",
/// "the rest of the traffic remains unrestricted", "incoming traffic stays
/// as it is".
fn leaves_alone(words: &[String]) -> bool {
    let as_is = match words {
        [w @ .., a, i, s] if a == "as" && (i == "it" && s == "is" || i == "they" && s == "are") => {
            Some(w)
        }
        [w @ .., a, s] if a == "as" && matches!(s.as_str(), "is" | "before" | "usual") => Some(w),
        _ => None,
    };
    if let Some(w) = as_is {
        let mut w = w.to_vec();
        w.push("unchanged".to_string());
        return leaves_alone(&w);
    }
    // "LDAPS on 636 stays", "port 22 remains": a staying verb alone says
    // the same.
    if words.len() > 1 && matches!(words[words.len() - 1].as_str(), "stays" | "remains") {
        let mut w = words.to_vec();
        w.push("unchanged".to_string());
        return leaves_alone(&w);
    }
    // "8883 stays open", "port 22/tcp remains allowed": a port.
    let port = |w: &str| {
        let n = w.split('/').next().unwrap_or(w);
        !n.is_empty() && n.len() <= 5 && n.chars().all(|c| c.is_ascii_digit())
    };
    // "while /srv/data/ stays writable": a path.
    // (The words keep a path's slashes: "/pb_data/ stays writable".)
    let path = |w: &str| w.len() > 1 && w.starts_with('/');
    let Some(mut s) = words
        .iter()
        .position(|w| SUBJECTS.contains(&w.as_str()) || port(w) || path(w))
    else {
        return false;
    };
    // "incoming traffic stays …": the subject's last word.
    while words
        .get(s + 1)
        .is_some_and(|w| SUBJECTS.contains(&w.as_str()))
    {
        s += 1;
    }
    // "… stays writable for the pastes", "read is ok because site need
    // it": the purpose or reason after the state.
    let words = match words
        .iter()
        .rposition(|w| matches!(w.as_str(), "for" | "because" | "since"))
    {
        Some(k) if k > s + 1 && words[k..].iter().all(|w| !w.contains('/') && !port(w)) => {
            &words[..k]
        }
        _ => words,
    };
    let Some(last) = words.last().filter(|_| s + 1 < words.len()) else {
        return false;
    };
    // "reading them stays fine": what is read may follow its verb;
    // "reading the checkout is fine": in a few words.
    let mut from = s + 1;
    // "4001 and 80 stay public": a list of ports for the subject.
    let mut k = s + 1;
    while words
        .get(k)
        .is_some_and(|w| port(w) || matches!(w.as_str(), "and" | "or" | "port" | "ports"))
    {
        k += 1;
    }
    if port(&words[s]) && k > s + 1 && words.get(k).is_some_and(|w| STAYS.contains(&w.as_str())) {
        from = k;
    } else if matches!(
        words.get(from).map(String::as_str),
        Some("them" | "it" | "those" | "these")
    ) && !(matches!(words[s].as_str(), "reading" | "reads" | "read")
        && words
            .get(from + 1)
            .is_some_and(|w| !STAYS.contains(&w.as_str())))
    {
        from += 1;
    } else if matches!(
        words.get(s + 1).map(String::as_str),
        // ("incoming requests on 2000 stay as they are": its port.)
        Some("to" | "from" | "on")
    ) && let Some(k) = (s + 2..(s + 10).min(words.len()))
        .find(|&k| matches!(words[k].as_str(), "stays" | "stay" | "remains" | "remain"))
        && words[s + 2..k].iter().all(|w| {
            w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
    {
        // "its outgoing traffic to the k8s api and the cloud provider stays
        // as it is": where it goes, named in words.
        from = k;
    } else if matches!(words[s].as_str(), "reading" | "reads" | "read")
        && let Some(k) =
            // ("reading the DAGs there stays fine": a few words more.)
            (s + 1..(s + 6).min(words.len())).find(|&k| STAYS.contains(&words[k].as_str()))
        && words[s + 1..k]
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_lowercase()))
    {
        from = k;
    }
    let Some(verbs) = words.get(from..words.len() - 1) else {
        return false;
    };
    // "players on 25565 are unaffected": who uses the port, then "on".
    // ("the VPN server we created on 14104/udp stays public": a few more
    // words.)
    let users = (2..=7).contains(&s)
        && matches!(words[s - 1].as_str(), "on" | "via" | "over")
        && words[..s - 1]
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_lowercase()) && !is_order(w));
    // "the webhook port 9443 stays open": the port's name before it.
    let named_port = (1..=4).contains(&s)
        && matches!(words[s - 1].as_str(), "port" | "ports")
        && words[..s - 1].iter().all(|w| {
            w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && !is_order(w)
                // "… on TCP port 8000 is allowed": part of a sentence.
                && !matches!(
                    w.as_str(),
                    "on" | "to" | "from" | "at" | "via" | "over" | "for" | "tcp" | "udp" | "sctp"
                )
        });
    let leads = |w: &String| {
        LEADS.contains(&w.as_str())
            || SUBJECTS.contains(&w.as_str())
            || matches!(w.as_str(), "its" | "their")
            // "their internet egress stays open".
            || matches!(w.as_str(), "internet" | "external" | "public" | "world")
            || matches!(w.as_str(), "while" | "whereas" | "leaving" | "keeping")
            // "TCP 11211 stays as it is": the port's protocol.
            || matches!(w.as_str(), "tcp" | "udp" | "sctp")
    };
    // "Uploads under /var/www/html/wp-content/uploads/ stay writable": what
    // lies there, then the path.
    // ("dump.rdb and the AOF under /data/ must keep being written": files
    // named before it.)
    let placed = (2..=7).contains(&s)
        && path(&words[s])
        && matches!(words[s - 1].as_str(), "under" | "in" | "below" | "beneath")
        && words[..s - 1].iter().all(|w| {
            w.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
            }) && !is_order(w)
        });
    // "SQL and node traffic on 26257 stays as it is": the kind of traffic
    // in a few words, its port after it.
    let kind = (1..=4).contains(&s)
        && words[s] == "traffic"
        && from > s + 1
        && words[..s]
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_lowercase()) && !is_order(w));
    // "openHAB reading it at login stays fine": the program that reads,
    // named before.
    let reader = s == 1
        && matches!(
            words[1].as_str(),
            "reading" | "reads" | "writing" | "writes"
        )
        && words[0]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    (users || named_port || placed || kind || reader || words[..s].iter().all(leads))
        && STATES.contains(&last.as_str())
        && verbs.iter().all(|w| STAYS.contains(&w.as_str()))
        // A path that "is writeable" says how it is now (the ask may change
        // it); one that "stays writable" is left as it is.
        && (!path(&words[s])
            || verbs.iter().any(|w| {
                matches!(w.as_str(), "stays" | "stay" | "remains" | "remain" | "still" | "keeps")
            })
            || words[..s].iter().any(|w| matches!(w.as_str(), "while" | "whereas" | "leaving" | "keeping")))
        // "egress open" alone could be an order; a verb, or "ok"/"fine", or
        // "while leaving egress unrestricted".
        && (!verbs.is_empty()
            || matches!(last.as_str(), "ok" | "okay" | "fine")
            || words[..s].iter().any(|w| matches!(w.as_str(), "leaving" | "keeping")))
}

/// "…, so the client is not able to contact the server any more": what
/// the ask's policy will do, said after it.
fn effect_after(words: &[String]) -> bool {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    // ("…, so SYS_ADMIN is no longer allowed for the sidecar pods": a rule
    // for pods it names, the ask itself.)
    let rule = w
        .windows(2)
        .any(|x| matches!(x[0], "not" | "longer") && matches!(x[1], "allowed" | "permitted"))
        && w.iter().any(|x| matches!(*x, "pods" | "pod"));
    !rule
        && w.first() == Some(&"so")
        && w.windows(3).any(|x| {
            matches!(
                x,
                ["not", "able", "to"] | ["no", "longer", _] | ["can't" | "cannot" | "cant", _, _]
            ) || x[0] == "can" && x[1] == "no" && x[2] == "longer"
        })
        && (w.ends_with(&["any", "more"]) || w.ends_with(&["anymore"]) || w.contains(&"longer"))
}

/// "the generated site config lives in /tmp now": where something else
/// went, beside the ask (the path is none of its).
fn lives_elsewhere(words: &[String]) -> bool {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        [_, .., "lives" | "live" | "sits" | "resides" | "goes" | "go" | "is" | "are", "in" | "under" | "to", p, "now" | "instead"]
            if p.starts_with('/')
    )
}

/// "their own outgoing connections are not part of this test", "egress
/// is out of scope": traffic the ask says it is not about.
fn out_of_scope(words: &[String]) -> bool {
    let Some(s) = words.iter().rposition(|w| SUBJECTS.contains(&w.as_str())) else {
        return false;
    };
    let rest: Vec<&str> = words[s + 1..].iter().map(String::as_str).collect();
    words[..s].iter().all(|w| {
        LEADS.contains(&w.as_str())
            || SUBJECTS.contains(&w.as_str())
            || matches!(w.as_str(), "their" | "its" | "own")
    }) && matches!(
        rest.as_slice(),
        ["is" | "are", "not", "part", "of", ..]
            | ["is" | "are", "out", "of", "scope", ..]
            | ["is" | "are", "not", "in", "scope", ..]
    )
}

/// "all other traffic has to keep flowing as before", "the rest of the
/// egress should continue to work": traffic the ask leaves going.
fn keeps_flowing(words: &[String]) -> bool {
    // "… as before", "… as usual", "… normally".
    let words = match words {
        [w @ .., a, b]
            if a == "as" && matches!(b.as_str(), "before" | "usual" | "is" | "today") =>
        {
            w
        }
        [w @ .., n] if n == "normally" => w,
        w => w,
    };
    // ("…, but internet must still work for them": for whom.)
    let words = match words {
        [w @ .., f, who] if f == "for" && matches!(who.as_str(), "them" | "it" | "us") => w,
        w => w,
    };
    let words = match words {
        [b, w @ ..] if b == "but" => w,
        w => w,
    };
    let Some(s) = words
        .iter()
        .position(|w| SUBJECTS.contains(&w.as_str()) || w == "internet")
    else {
        return false;
    };
    // ("their own outbound pings keep working": whose, and what of it.)
    let lead = s;
    let s = s + words[s + 1..]
        .iter()
        .take_while(|w| matches!(w.as_str(), "pings" | "ping" | "lookups" | "queries"))
        .count();
    let Some((last, verbs)) = words[s + 1..].split_last() else {
        return false;
    };
    words[..lead].iter().all(|w| {
        LEADS.contains(&w.as_str()) || matches!(w.as_str(), "their" | "our" | "its" | "own")
    }) && matches!(
        last.as_str(),
        "flowing" | "flow" | "working" | "work" | "going"
    ) && verbs.iter().any(|w| {
        matches!(
            w.as_str(),
            "keep" | "keeps" | "continue" | "continues" | "still"
        )
    }) && verbs.iter().all(|w| GOING_ON.contains(&w.as_str()))
}

/// "uploads keep going to /var/lib/ckan/", "logs still land in
/// /var/log/app/": where writes go on as they did (the path is no part of
/// the block said before).
fn still_lands(words: &[String]) -> bool {
    matches!(
        words,
        [what, on, verb, prep, path]
            if what.chars().all(|c| c.is_ascii_lowercase())
                && matches!(on.as_str(), "keep" | "keeps" | "still")
                && matches!(
                    verb.as_str(),
                    "going" | "go" | "goes" | "landing" | "land" | "lands" | "written"
                )
                && matches!(prep.as_str(), "to" | "in" | "into" | "under")
                && path.starts_with('/')
    )
}

/// "since the default-deny landed", "our db keeps crashlooping since the
/// lockdown was rolled out": when the trouble began, history, no ask (its
/// "deny" is no action). The clause says no action before it.
fn posture_landed(words: &[String]) -> bool {
    use super::lexicon::{ALLOW_WORDS, AUDIT_WORDS, BLOCK_WORDS};
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let Some(at) = w.iter().position(|x| matches!(*x, "since" | "after")) else {
        return false;
    };
    if w[..at]
        .iter()
        .any(|x| ALLOW_WORDS.contains(x) || BLOCK_WORDS.contains(x) || AUDIT_WORDS.contains(x))
    {
        return false;
    }
    let rest = &w[at + 1..];
    rest.len() <= 7
        && rest.iter().any(|x| {
            matches!(
                *x,
                "default-deny" | "deny-all" | "lockdown" | "netpol" | "policy" | "policies"
            )
        })
        && rest.iter().any(|x| {
            matches!(
                *x,
                "landed"
                    | "merged"
                    | "applied"
                    | "rolled"
                    | "went"
                    | "shipped"
                    | "deployed"
                    | "enabled"
                    | "arrived"
            )
        })
        && !rest
            .iter()
            .any(|x| x.contains(['/', '=']) || x.chars().any(|c| c.is_ascii_digit()))
}

/// "without putting the pods into default-deny", "without isolating
/// them": the posture the ask says it does not want.
fn not_isolating(words: &[String]) -> bool {
    words.first().is_some_and(|w| w == "without")
        && words.iter().any(|w| {
            matches!(
                w.as_str(),
                "default-deny" | "isolating" | "isolation" | "isolated" | "lockdown"
            ) || w == "default" && words.iter().any(|d| d == "deny")
        })
        && !words
            .iter()
            .any(|w| w.contains(['/', '=']) || w.chars().any(|c| c.is_ascii_digit()))
}

/// Where "can keep egress to everything", "may still keep all traffic
/// open" starts in `clause` (a byte offset), when the clause ends with it:
/// the pods it names stay the ask's, what they keep is left alone.
fn kept_open_from(clause: &str) -> Option<usize> {
    let spans: Vec<(usize, String)> = clause
        .split_whitespace()
        .map(|w| {
            let at = w.as_ptr() as usize - clause.as_ptr() as usize;
            let low = w
                .trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_ascii_lowercase();
            (at, low)
        })
        .collect();
    let k = spans
        .iter()
        .position(|(_, w)| w == "keep" || w == "keeps")?;
    let rest: Vec<&str> = spans[k + 1..].iter().map(|(_, w)| w.as_str()).collect();
    let rest = match rest.as_slice() {
        ["full" | "all" | "their" | "its" | "unrestricted", r @ ..] => r,
        r => r,
    };
    let open = match rest {
        [
            subject,
            "to" | "from",
            "everything" | "anything" | "everywhere" | "anywhere",
        ] => SUBJECTS.contains(subject),
        [subject, "open" | "unrestricted"] => SUBJECTS.contains(subject),
        _ => false,
    };
    if !open {
        return None;
    }
    // The modal before it: "can keep", "may still keep".
    let mut from = k;
    while from > 0
        && matches!(
            spans[from - 1].1.as_str(),
            "can" | "may" | "will" | "should" | "must" | "still"
        )
    {
        from -= 1;
    }
    Some(spans[from].0)
}

/// "it keeps writing its scratch files to /tmp/", "they still need to
/// write to /var/cache/": what the workload goes on writing is left
/// writable by the ask.
fn still_written(words: &[String]) -> bool {
    let Some(w) = words.iter().position(|w| {
        matches!(
            w.as_str(),
            "write" | "writes" | "writing" | "read" | "reads" | "reading"
        )
    }) else {
        return false;
    };
    // "…; sshd still has to read it": a program that goes on reading.
    // "…; the editor keeps writing /data/flows.json": a program named by
    // what it is.
    let named = matches!(
        words.first().map(String::as_str),
        Some("the" | "our" | "its" | "their")
    ) && words
        .get(2)
        .is_some_and(|x| matches!(x.as_str(), "keeps" | "still" | "continues"))
        && w > 2;
    let from = if named { 2 } else { 1 };
    (matches!(
        words.first().map(String::as_str),
        Some("it" | "they" | "which")
    ) || words.get(1).is_some_and(|w| w == "still")
        && words[0].chars().all(|c| c.is_ascii_lowercase() || c == '-')
        || named)
        && (from..w).all(|k| {
            matches!(
                words[k].as_str(),
                "keeps"
                    | "keep"
                    | "still"
                    | "needs"
                    | "need"
                    | "has"
                    | "have"
                    | "to"
                    | "must"
                    | "should"
                    | "be"
                    | "able"
                    | "will"
                    | "continues"
                    | "continue"
            )
        })
        && w > 1
        && !words.iter().any(|w| is_order(w))
        // (Not the passive "they should be read and written only by
        // /usr/sbin/asterisk": who may, an ask.)
        && !(words[w - 1] == "be" && words[w..].iter().any(|x| x == "by" || x == "only"))
}

/// "redis-server has to keep running", "nginx must still run": a program
/// the ask leaves running.
fn still_runs(words: &[String]) -> bool {
    let [name, verbs @ .., last] = words else {
        return false;
    };
    name.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !is_order(name)
        && matches!(
            last.as_str(),
            "running" | "run" | "working" | "work" | "starting" | "start"
        )
        && verbs.iter().any(|w| {
            matches!(
                w.as_str(),
                "keep" | "keeps" | "still" | "continue" | "continues"
            )
        })
        && verbs.iter().all(|w| {
            GOING_ON.contains(&w.as_str())
                    // "cilium-agent itself has to keep running".
                    || matches!(w.as_str(), "be" | "able" | "itself" | "themselves")
        })
}

/// Whether `w` orders something done to traffic ("block", "allow" …).
fn is_order(w: &str) -> bool {
    matches!(
        w,
        "block" | "allow" | "deny" | "drop" | "permit" | "reject" | "open" | "close" | "restrict"
    )
}

/// "agents keep reporting on 1514", "clients still connect on 6379": a port
/// those who use it go on using, no part of the ask.
fn keeps_using_port(words: &[String]) -> bool {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let [who @ .., on_verb, verb, prep, port] = w.as_slice() else {
        return false;
    };
    (1..=3).contains(&who.len())
        && who
            .iter()
            .all(|x| x.chars().all(|c| c.is_ascii_lowercase()))
        && !who.iter().any(|x| is_order(x))
        && matches!(
            *on_verb,
            "keep" | "keeps" | "still" | "continue" | "continues"
        )
        && (verb.ends_with("ing") || *on_verb == "still")
        && matches!(*prep, "on" | "over" | "via" | "at" | "to")
        && port.len() <= 5
        && port.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(t: &str) -> String {
        super::super::masks::kept_words(t, without_untouched(t))
    }

    #[test]
    fn what_an_allow_list_says_must_not_work_is_blanked() {
        assert_eq!(
            kept(
                "app=r may only reach github.com on 443; pool.example.com and the other pools must not work."
            ),
            "app=r may only reach github.com on 443; ."
        );
    }

    #[test]
    fn a_port_with_its_protocol_left_as_it_is_is_blanked() {
        assert_eq!(
            kept("block UDP 11211 for app=m; TCP 11211 stays as it is."),
            "block UDP 11211 for app=m; ."
        );
    }

    #[test]
    fn an_example_of_what_nothing_else_shuts_out_is_blanked() {
        assert_eq!(
            kept(
                "app=v should be reachable on UDP 2456 only; nothing else inbound, supervisor's http server on 9001 included."
            ),
            "app=v should be reachable on UDP 2456 only; nothing else inbound, ."
        );
    }

    #[test]
    fn clauses_that_leave_traffic_alone_are_blanked() {
        assert_eq!(
            kept("deny all ingress, all pods. egress stays open (curl must work)"),
            "deny all ingress, all pods."
        );
        assert_eq!(
            kept("drop ingress from ns b; all other traffic stays allowed."),
            "drop ingress from ns b; ."
        );
        assert_eq!(
            kept("deny writes below /bin/. reads ok"),
            "deny writes below /bin/."
        );
        assert_eq!(
            kept("deny ingress to app=a. egress stays open, the jobs still need models."),
            "deny ingress to app=a."
        );
        assert_eq!(
            kept("block ingress on 1883; 8883 stays open."),
            "block ingress on 1883; ."
        );
        assert_eq!(
            kept("block changes to /etc/passwd; reading it stays fine"),
            "block changes to /etc/passwd;"
        );
        assert_eq!(
            kept("block 25575; players on 25565 are unaffected and rcon-cli keeps working."),
            "block 25575; and rcon-cli keeps working."
        );
        assert_eq!(
            kept("drop ingress on 4242; the HTTP server on 8042 stays reachable."),
            "drop ingress on 4242; ."
        );
        assert_eq!(
            kept("drop ingress on 10082; the webhook port 9443 stays open."),
            "drop ingress on 10082; ."
        );
        assert_eq!(
            kept("make /srv/cfg/ read-only, while /srv/data/ stays writable for the pastes."),
            "make /srv/cfg/ read-only, ."
        );
        assert_eq!(
            kept("allow ingress from namespace ops, while leaving egress unrestricted."),
            "allow ingress from namespace ops, ."
        );
        assert_eq!(
            kept("block any modification of /root/.ssh/keys; sshd still has to read it"),
            "block any modification of /root/.ssh/keys;"
        );
        assert_eq!(
            kept("make /home/app/ read-only; it keeps writing its scratch files to /tmp/."),
            "make /home/app/ read-only; ."
        );
        assert_eq!(
            kept(
                "deny access to 10.0.0.1, without putting pods into default-deny. all other traffic has to keep flowing as before."
            ),
            "deny access to 10.0.0.1, . ."
        );
        assert_eq!(
            kept(
                "The app=x pods can keep egress to everything, but egress to 10.0.0.0/8 must be blocked"
            ),
            "The app=x pods , but egress to 10.0.0.0/8 must be blocked"
        );
        assert_eq!(
            kept("alert on writes under /w/ - reading the checkout is fine"),
            "alert on writes under /w/ -"
        );
        assert_eq!(
            kept("deny egress of ns a. Incoming traffic stays as it is."),
            "deny egress of ns a. ."
        );
        assert_eq!(
            kept(
                "block ingress to app=a. their own outgoing connections are not part of this test."
            ),
            "block ingress to app=a. ."
        );
        assert_eq!(
            kept(
                "deny all egress of ns a, so the client is not able to contact the server any more."
            ),
            "deny all egress of ns a, ."
        );
        assert_eq!(
            kept(
                "deny all ingress to app=a. its outgoing traffic to the cloud provider stays as it is"
            ),
            "deny all ingress to app=a."
        );
        // Orders and other clauses stay.
        assert_eq!(kept("keep egress open to 10.0.0.0/8"), "-");
        assert_eq!(kept("allow egress, block ingress"), "-");
        assert_eq!(kept("egress open"), "-");
    }
}
