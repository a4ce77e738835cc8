//! Operators' posts around the ask: "With the following configuration I am
//! unable to scrape metrics … This is because the chart only exposes ports
//! 8080 and 8443, not 9090. Allow ingress to app=keycloak … on port 9090 from
//! namespace observability". When some sentences ask (a command, a modal
//! restriction, a labelled "Fix: …" or "Expected result: …") and others do
//! not, and the asks say the whole intent on their own (what to do, to which
//! pods in which namespace, on what), the other sentences are background:
//! their ports, namespaces and verbs describe the situation, not the policy.

use super::ask_forms::*;
use super::*;

/// Byte ranges of the sentences of `text`: a sentence ends at `.`, `!` or
/// `?` followed by white space and a capital letter (or an opening quote,
/// bracket or list mark), or at a line break.
fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let end_mark = matches!(c, b'.' | b'!' | b'?');
        // "…, so block sh and bash (…)": a conclusion that asks starts anew.
        // "…, so CAP_SYS_ADMIN must be denied to …": so does a conclusion
        // that denies in the passive.
        // "…, so the billing-api pods (…) should only execute …": so does
        // one that restricts with a modal.
        // (Not "…, so it should only be accessible to …": "it" points
        // back to what the clause before names.)
        let conclusion = |rest: &str| {
            // (Its end: not the dot of "app.kubernetes.io/name".)
            let end = rest
                .match_indices(['.', '!', '?'])
                .map(|(k, _)| k)
                .find(|&k| rest[k + 1..].chars().next().is_none_or(char::is_whitespace))
                .unwrap_or(rest.len());
            let points_back = rest
                .split_whitespace()
                .next()
                .is_some_and(|w| matches!(w, "it" | "they" | "this" | "that" | "these" | "those"));
            imperative(rest)
                || nowhere_else(&rest[..end])
                || passive_denial(&rest[..end])
                || prohibition(&rest[..end])
                || kept_read_only(&rest[..end])
                || drops_the_rest(&rest[..end])
                || modal_restriction(&rest[..end]) && !points_back
        };
        if c == b',' && text[i + 1..].starts_with(" so ") && conclusion(&text[i + 5..]) {
            if text[start..i].trim().len() > 1 {
                spans.push((start, i + 1));
            }
            // (The conclusion without its "so", which alone would read as
            // a purpose.)
            start = i + 5;
            i += 2;
            continue;
        }
        // "…, so the pods listen on 8080 now; accept ingress on 8080 only": a
        // command after a semicolon is a sentence of its own.
        // "…; how do I make /etc/passwd read-only in …?": so is a how-to
        // question.
        let semicolon_command = c == b';' && (imperative(&text[i + 1..]) || how_to(&text[i + 1..]));
        // "… and auto add.' We turned …": a quotation's closing mark goes
        // with the sentence it ends. (`i` may then sit inside a closing
        // "”": what comes before the mark is read from `mark`.)
        let mark = i;
        if end_mark {
            let closers = text[i + 1..]
                .chars()
                .take_while(|c| matches!(c, '\'' | '"' | ')' | '’' | '”'))
                .map(char::len_utf8)
                .sum::<usize>();
            if closers > 0
                && b.get(i + 1 + closers)
                    .is_some_and(|x| x.is_ascii_whitespace())
            {
                i += closers;
            }
        }
        // "… from localhost, i.e. only from the machine …": an
        // abbreviation's full stop ends nothing.
        let abbreviation = c == b'.' && {
            let before = text[..mark].to_ascii_lowercase();
            ["i.e", "e.g", "cf", "vs", "viz"].iter().any(|a| {
                before.ends_with(a)
                    && before[..before.len() - a.len()]
                        .chars()
                        .next_back()
                        .is_none_or(|x| !x.is_ascii_alphanumeric())
            })
        };
        if c == b'\n'
            || semicolon_command
            || end_mark && !abbreviation && b.get(i + 1).is_some_and(|x| x.is_ascii_whitespace())
        {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            // "… in case of a breach. block /bin/sh …": chat's lower-case
            // sentence that opens with a command starts anew too.
            let opens = b
                .get(j)
                // ("… at start. /srv/plugins/ has to stay read-only": a path
                // opens one too.)
                .is_some_and(|x| x.is_ascii_uppercase() || b"`\"'([*-/".contains(x))
                || end_mark && c == b'.' && imperative(&text[j..])
                // "… by default. cloudcore (…) should only accept …": so does
                // one that restricts with a modal.
                || end_mark && c == b'.' && {
                    let rest = &text[j..];
                    let end = rest.find(". ").unwrap_or(rest.len());
                    modal_restriction(&rest[..end])
                }
                // "… should not be blocked. what i need: block …": so does
                // a labelled ask.
                || end_mark && c == b'.' && labelled_ask(&text[j..])
                // "can you watch …? if someone drops a tool …": chat's
                // question or exclamation ends its sentence in any case.
                || matches!(c, b'?' | b'!') && j < b.len();
            if c == b'\n' || opens || semicolon_command {
                if text[start..=i].trim().len() > 1 {
                    spans.push((start, i + 1));
                }
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if text[start.min(text.len())..].trim().len() > 1 {
        spans.push((start, text.len()));
    }
    spans
}

/// `text` with every sentence but those that ask blanked out (offsets kept;
/// asides naming the workload stay), when some sentences ask and others do
/// not (a title and its "Fix: …" ask together), and no configuration is
/// pasted around them.
pub(super) fn imperative_only(text: &str) -> Option<String> {
    let mut spans = sentence_spans(text);
    if spans.len() < 2 {
        return None;
    }
    // A heading that labels the ask ("Expected Behaviour", "## Fix") makes
    // the sentence under it one.
    let heading = |k: usize| {
        let h = &text[spans[k].0..spans[k].1];
        !h.trim_end().ends_with(['.', '!', '?']) && !h.contains(": ") && ask_label(h)
    };
    let mut imp: Vec<usize> = (0..spans.len())
        .filter(|&k| asks(&text[spans[k].0..spans[k].1]) || k > 0 && heading(k - 1))
        .collect();
    let span = |k: usize| &text[spans[k].0..spans[k].1];
    // A Gherkin scenario ("Given the pods labelled role=x in namespace y /
    // When the agent connects to <target> / Then the connection is
    // blocked", with its Examples table): its steps and rows are the ask.
    let step = |k: usize| {
        let w = span(k).split_whitespace().next().unwrap_or("");
        matches!(w, "Given" | "When" | "Then" | "And" | "But")
    };
    let row = |k: usize| span(k).trim_start().starts_with('|');
    if (0..spans.len()).any(|k| span(k).trim_start().starts_with("Given "))
        && (0..spans.len()).any(|k| span(k).trim_start().starts_with("Then "))
    {
        let kept: Vec<(usize, usize)> = (0..spans.len())
            .filter(|&k| step(k) || row(k))
            .map(|k| spans[k])
            .collect();
        return Some(keep_only(text, &kept));
    }
    // "Acceptance criteria for the sandbox pods (…):" over a list, "**Expected
    // behaviour**" over a paragraph: the heading (which may name the pods)
    // and its section are the ask, whatever the fields around it
    // ("Summary: …", "Priority: …" are no pasted configuration). A list
    // ends at the first line that is no item ("Out of scope: …"); a
    // paragraph at a blank line or a field's label.
    if let Some(h) = (0..spans.len()).find(|&k| criteria::criteria_heading(span(k))) {
        // ("1." alone is a span when a sentence follows it: the item is
        // the sentence.)
        let item = |k: usize| criteria::list_item(span(k)) || criteria::bare_mark(span(k - 1));
        let mut section = Vec::new();
        let mut listed = false;
        for k in h + 1..spans.len() {
            let same_line = !text[spans[k - 1].0..spans[k].0].contains('\n');
            let goes_on = if item(k) {
                listed = true;
                true
            } else {
                same_line
                    || !listed
                        && (k == h + 1
                            || !criteria::blank_line_between(text, spans[k - 1].0, spans[k].0))
                        && !criteria::field_label(span(k))
            };
            if !goes_on {
                break;
            }
            section.push(k);
        }
        // (A plan's steps that ask, when some do.)
        if criteria::plan_heading(span(h)) {
            let asking: Vec<usize> = section.iter().copied().filter(|&k| asks(span(k))).collect();
            if !asking.is_empty() {
                section = asking;
            }
        }
        if !section.is_empty() {
            let kept: Vec<(usize, usize)> = std::iter::once(h)
                .chain(section)
                .map(|k| spans[k])
                .collect();
            return Some(keep_only(text, &kept));
        }
    }
    // "block access to /dev/kmsg for … . /dev/kmsg isn't the only way to
    // read the kernel log, …, so /proc/kmsg as well": a sentence after the
    // ask that adds values to it ("… as well", "… too") belongs to it.
    // "… should only be reachable from the admin VPN (10.8.0.0/16). Pods:
    // app=doccano-flower in namespace doccano.": a line that says which
    // pods, labelled, belongs to the ask.
    let mut edits = Vec::new();
    if !imp.is_empty() {
        let scope_line = |k: usize| {
            text[spans[k].0..spans[k].1]
                .split_once(':')
                .is_some_and(|(label, _)| {
                    matches!(
                        label.trim().to_ascii_lowercase().as_str(),
                        "pods"
                            | "applies to"
                            | "scope"
                            | "target"
                            | "targets"
                            | "workload"
                            | "workloads"
                            | "selector"
                            | "applies"
                            | "for"
                    )
                })
        };
        // "For the scheduler pods (component=scheduler in namespace
        // dask):" over the rules: the lead-in that names the pods.
        let lead_in = |k: usize| {
            let s = text[spans[k].0..spans[k].1].trim_end();
            s.ends_with(':')
                && imp.contains(&(k + 1))
                && s.split_whitespace().count() <= 30
                && (s.contains('=')
                    || words_of(s)
                        .iter()
                        .any(|w| matches!(w.as_str(), "namespace" | "ns")))
        };
        // "On our cluster the scheduler pods are labelled
        // component=scheduler in namespace dask. Who may connect to the
        // scheduler port:" over the rules: the sentence that says which
        // pods, right before the lead-in.
        let defines = |k: usize| {
            let s = &text[spans[k].0..spans[k].1];
            let w = words_of(s);
            let heads = k + 1 < spans.len()
                && text[spans[k + 1].0..spans[k + 1].1]
                    .trim_end()
                    .ends_with(':')
                && imp.contains(&(k + 2));
            heads
                && s.contains('=')
                && w.windows(2).any(|x| {
                    matches!(x[0].as_str(), "are" | "is")
                        && matches!(x[1].as_str(), "labelled" | "labeled")
                })
        };
        // "… only Kibana (…) can reach …? EDIT: oh and logstash (…) too":
        // a post's edit after the ask changes it.
        let first = imp[0];
        let edit = |k: usize| {
            k > first
                && {
                    let w = words_of(text[spans[k].0..spans[k].1].split(':').next().unwrap_or(""));
                    text[spans[k].0..spans[k].1].contains(':')
                        && matches!(w.as_slice(), [x] | [x, _] if matches!(x.as_str(), "edit" | "update" | "upd"))
                }
        };
        let scoped: Vec<usize> = (0..spans.len())
            .filter(|&k| !imp.contains(&k) && (scope_line(k) || lead_in(k) || defines(k)))
            .collect();
        edits = (0..spans.len())
            .filter(|&k| !imp.contains(&k) && edit(k))
            .collect();
        imp.extend(scoped);
        imp.sort_unstable();
    }
    let mut trimmed = false;
    if let Some(&first) = imp.first() {
        // "… the directories necessary for operation. For the dms pods (…)
        // those are /srv/akten/ and /var/cache/dms/.": so does one that
        // gives the values the ask refers to.
        let adds = |k: usize| {
            let s = &text[spans[k].0..spans[k].1];
            let w = words_of(s);
            (w.ends_with(&["as".to_string(), "well".to_string()])
                || w.last().is_some_and(|x| x == "too")
                || w.windows(2).any(|x| {
                    matches!(x[0].as_str(), "those" | "these" | "they")
                        && matches!(x[1].as_str(), "are" | "being")
                })
                || w.iter().any(|x| x == "namely"))
                && s.split_whitespace().any(|x| {
                    x.trim_start_matches(['(', '`', '"']).starts_with('/')
                        || x.chars().all(|c| c.is_ascii_digit())
                })
        };
        let added: Vec<usize> = (first + 1..spans.len())
            .filter(|&k| !imp.contains(&k) && adds(k))
            .collect();
        // (From its "so" on: "…, this can also be done through /proc, so
        // /proc/kmsg as well" adds /proc/kmsg.)
        for &k in &added {
            if let Some(at) = text[spans[k].0..spans[k].1].rfind(", so ") {
                spans[k].0 += at + 5;
                trimmed = true;
            }
        }
        imp.extend(added);
        imp.sort_unstable();
    }
    // "… and nothing else should talk to the server directly, so lock down
    // the unleash pods …": the reason before a conclusion that asks is
    // background.
    let premise = |k: usize| {
        text[spans[k].0..spans[k].1].ends_with(',')
            && text[spans[k].1..].starts_with(" so ")
            && imp.contains(&(k + 1))
    };
    let premises: Vec<usize> = imp.iter().copied().filter(|&k| premise(k)).collect();
    imp.retain(|k| !premises.contains(k));
    // "… /etc/hostname should not be blocked. what i need: block …": the
    // writer's wish, labelled, sets off what came before it as the
    // situation.
    let wish = |k: usize| {
        let s = &text[spans[k].0..spans[k].1];
        labelled_ask(s)
            && s.split_once(':').is_some_and(|(label, _)| {
                words_of(label)
                    .iter()
                    .any(|w| matches!(w.as_str(), "want" | "need"))
            })
    };
    if let Some(first) = imp.iter().copied().find(|&k| wish(k)) {
        imp.retain(|&k| k >= first);
    }
    // "Today the pods take connections on 7077, 8080 and 6066 from
    // anywhere. Change that: …", "As merged, the policy allows …": how
    // things stand now, beside the change asked.
    let now_state = |k: usize| {
        let said = &text[spans[k].0..spans[k].1];
        let w = words_of(said);
        said.trim_start()
            .to_ascii_lowercase()
            .starts_with("before:")
            || matches!(
                w.as_slice(),
                [a, ..] if matches!(a.as_str(), "today" | "currently")
            )
            || matches!(
                w.as_slice(),
                [a, b, ..] if a == "right" && b == "now" || a == "as" && b == "merged"
                    || a == "at" && b == "present"
            )
    };
    if imp.iter().any(|&k| !now_state(k)) {
        imp.retain(|&k| !now_state(k));
    }
    // "… is there a way to restrict these? … Then keep the outside world
    // off UDP 5002 …": a question answered by a later command is the
    // background of that command.
    // (A quoted question too: "… can we allow specified users …?”")
    let question = |k: usize| {
        text[spans[k].0..spans[k].1]
            .trim_end()
            .trim_end_matches(['"', '\u{201d}', '\''])
            .ends_with('?')
    };
    if let Some(&last) = imp.iter().rev().find(|&&k| !question(k)) {
        imp.retain(|&k| !question(k) || k > last);
    }
    // (A post's edit is no command that answers its question.)
    imp.extend(edits.iter().copied());
    imp.sort_unstable();
    // "… should not be allowed, but X needs it. Audit every access to Y
    // instead.": the ask that says it replaces the one before.
    if let Some(&k) = imp.iter().find(|&&k| {
        words_of(&text[spans[k].0..spans[k].1])
            .iter()
            .any(|w| w == "instead")
    }) {
        imp.retain(|&x| x >= k);
    }
    // An obligation in the passive asks when nothing asks more directly.
    if imp.is_empty() {
        imp = (0..spans.len())
            .filter(|&k| obligation(&text[spans[k].0..spans[k].1]))
            .collect();
    }
    if imp.is_empty() || imp.len() == spans.len() && !trimmed {
        return None;
    }
    // "/tmp/kdevtmpfsi\n/tmp/kinsing\n… prevent the two /tmp binaries in
    // that ps from executing": lines of values alone (what a pasted
    // session kept) are what the ask points at, never background.
    let values_only = |k: usize| {
        let words: Vec<&str> = text[spans[k].0..spans[k].1].split_whitespace().collect();
        !words.is_empty()
            && words.iter().all(|w| {
                let w = w.trim_end_matches([',', '.', ';']);
                w.starts_with('/') || parse_cidr(w).is_some()
            })
    };
    let listed: Vec<usize> = (0..spans.len()).filter(|&k| values_only(k)).collect();
    // "… in /var/lib/otelcol/. restrict access to that directory to …": an
    // ask that points back takes its values from the sentences before.
    // ("Our pods (…) have it at /home/static/httpd.conf. How would I alert
    // on every access to that file?": the sentence right before, when it
    // gives a path, is what it points at.)
    let gives_path = |k: usize| {
        text[spans[k].0..spans[k].1]
            .split_whitespace()
            .any(|w| w.trim_start_matches(['(', '`', '"']).starts_with('/'))
    };
    let pointing: Vec<usize> = imp
        .iter()
        .copied()
        .filter(|&k| points_back(&text[spans[k].0..spans[k].1]))
        .collect();
    if listed.is_empty() && !pointing.is_empty() {
        let given: Vec<usize> = pointing
            .iter()
            .filter(|&&k| k > 0 && !imp.contains(&(k - 1)) && gives_path(k - 1))
            .map(|&k| k - 1)
            .collect();
        if given.len() < pointing.len() {
            return None;
        }
        imp.extend(given);
    }
    imp.extend(listed);
    imp.sort_unstable();
    imp.dedup();
    // "We run three, with Redis as its own deployment: only the ToolJet
    // server pods …": a long lead-in before the command is background too.
    let kept: Vec<(usize, usize)> = imp
        .iter()
        .map(|&k| {
            let (f, t) = spans[k];
            // ("We don't render that template, so lock down …": the
            // premise before a conclusion that commands.)
            let premise = || {
                let s = &text[f..t];
                s.find(", so ")
                    .filter(|&c| {
                        s[..c].matches('(').count() == s[..c].matches(')').count()
                            && imperative(&s[c + 5..])
                    })
                    .map(|c| c + 5)
            };
            // (An edit's label is no word of the ask: "edit: …".)
            let label = || {
                edits
                    .contains(&k)
                    .then(|| text[f..t].find(':').map(|c| c + 1))
                    .flatten()
            };
            let from = story_before_command(&text[f..t])
                .or_else(premise)
                .or_else(label)
                .unwrap_or(0);
            (f + from, t)
        })
        .collect();
    // Pasted configuration around the ask ("securityContext: capabilities:
    // drop: [ALL] add: [NET_ADMIN]") is part of it: no background then.
    // A terminal session or a listing pasted as evidence ("```\n$ ps aux
    // …```") is background like any other.
    let fences: Vec<(usize, usize)> = {
        let mut at = text.match_indices("```").map(|(i, _)| i);
        std::iter::from_fn(|| Some((at.next()?, at.next()?))).collect()
    };
    // ("sip2-tenants.conf, for reference: ```{…}```": a block shown, not
    // set, is background.)
    let for_reference = |open: usize| {
        let lead = text[..open].trim_end().to_ascii_lowercase();
        lead.ends_with(':')
            && lead.rsplit('\n').next().is_some_and(|l| {
                ["for reference", "for context", "fyi"]
                    .iter()
                    .any(|m| l.contains(m))
            })
    };
    let shown: Vec<(usize, usize)> = fences
        .iter()
        .copied()
        .filter(|&(open, _)| for_reference(open))
        .collect();
    let outside = |at: usize| {
        !kept.iter().any(|&(f, t)| (f..t).contains(&at))
            && !shown.iter().any(|&(f, t)| (f..t).contains(&at))
    };
    let config_block = fences
        .iter()
        .any(|&(open, close)| outside(open) && config_keys(&text[open..close], |_| true) >= 1);
    // (A Docker Compose excerpt is the setup being moved, background like
    // a story: "The db service in its docker-compose.yml: ```db: image: …```".)
    if (config_keys(text, outside) >= 2 || config_block) && !compose_excerpt(text, outside) {
        return None;
    }
    Some(keep_only(text, &kept))
}

/// `text` with everything but the byte ranges `kept` blanked out (offsets
/// kept). Asides elsewhere that say which pods ("(app=zdm-proxy, namespace
/// zdm)") are kept too: the background often names the workload.
fn keep_only(text: &str, kept: &[(usize, usize)]) -> String {
    // "Deny ingress from run=lg to the php Deployment (pods app=php,
    // namespace default)": an ask that names its pods by labels and their
    // namespace needs none from the background.
    let said = |pred: &dyn Fn(&str) -> bool| {
        kept.iter().any(|&(f, t)| {
            text[f..t]
                .split_whitespace()
                .any(|w| pred(w.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ';'))))
        })
    };
    // ("… in namespace formbricks (app: formbricks)": a label's key and
    // value apart.)
    let key_then_value = kept.iter().any(|&(f, t)| {
        text[f..t].split_whitespace().any(|w| {
            w.strip_prefix('(')
                .and_then(|w| w.strip_suffix(':'))
                .is_some_and(|k| !k.is_empty() && super::token_kinds::label_key_ok(k))
        })
    });
    // ("Only the viz prometheus (component=prometheus, namespace
    // linkerd-viz) should be able to reach 4191": the pods it names are
    // the ones let in; whose port it is, the background says.)
    // (Not when it names the pods reached too: "Only the proxy pods (…)
    // may connect to the auth pods (…, namespace teleport) on 3025".)
    let only_lets_in = kept.iter().any(|&(f, t)| {
        let ask = &text[f..t];
        ask.split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("only"))
            && super::masks::parentheses(ask)
                .iter()
                .filter(|&&(o, i)| ask[o + 1..i].contains(['=', ':']))
                .count()
                < 2
    });
    let labelled = (said(&|w| split_label(w).is_some()) || key_then_value)
        && said(&|w| matches!(w.to_ascii_lowercase().as_str(), "namespace" | "ns"))
        && !only_lets_in;
    let asides = if labelled {
        Vec::new()
    } else {
        scope_asides(text)
    };
    super::masks::kept(text, |i, _| {
        kept.iter().any(|&(f, t)| (f..t).contains(&i)) || asides.iter().any(|r| r.contains(&i))
    })
}

/// `text` with the comments of pasted configuration blanked out (offsets
/// kept): inside a code fence, from a `#` that opens a line (after a diff's
/// `+`/`-` and indentation) or follows white space, to the line's end.
/// "# … loses the rest (SYS_ADMIN, NET_RAW, MKNOD)" above `cap_drop: [ALL]`
/// describes the configuration; the keys and values are what it sets.
pub(super) fn without_config_comments(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut in_fence = false;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            out.push_str(line);
            continue;
        }
        let body = line.trim_start_matches(['+', '-', ' ', '\t']);
        let hash = if body.starts_with('#') {
            Some(line.len() - body.len())
        } else {
            line.find(" #").map(|k| k + 1)
        };
        match hash.filter(|_| in_fence) {
            Some(k) => {
                changed = true;
                out.push_str(&line[..k]);
                let end = line.trim_end_matches(['\n', '\r']).len();
                out.extend(line[k..end].chars().map(|c| " ".repeat(c.len_utf8())));
                out.push_str(&line[end..]);
            }
            None => out.push_str(line),
        }
    }
    changed.then_some(out)
}

/// Each sentence of `text` on its own (with the asides that name pods),
/// when there are several: the candidates when the whole text cannot be
/// read as one intent.
pub(super) fn each_sentence(text: &str) -> Vec<String> {
    let spans = sentence_spans(text);
    if spans.len() < 2 {
        return Vec::new();
    }
    spans.iter().map(|&s| keep_only(text, &[s])).collect()
}

/// Whether the configuration pasted in `text` (at the offsets `counted`
/// accepts) is a Docker Compose service (`image:`, `build:`,
/// `container_name:`, `depends_on:`, `healthcheck:`, …) and no Kubernetes
/// object or policy.
fn compose_excerpt(text: &str, counted: impl Fn(usize) -> bool) -> bool {
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| counted(l.as_ptr() as usize - text.as_ptr() as usize + l.len() / 2))
        .filter_map(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.split_once(':').map(|(k, _)| k).filter(|k| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
        })
        .collect();
    let compose = keys.iter().any(|k| compose_key(k));
    let kubernetes = keys.iter().any(|k| {
        matches!(
            *k,
            "apiVersion"
                | "kind"
                | "spec"
                | "securityContext"
                | "podSelector"
                | "matchLabels"
                | "selector"
                | "cap_add"
                | "cap_drop"
                | "privileged"
        )
    });
    compose && !kubernetes
}

/// Whether `key` is one only a Docker Compose service has (`image`,
/// `build`, `container_name`, `depends_on`, `healthcheck`, `services`),
/// written with `_` or, as a form's key words, with a space.
pub(super) fn compose_key(key: &str) -> bool {
    matches!(
        key.replace(' ', "_").as_str(),
        "image" | "build" | "container_name" | "depends_on" | "healthcheck" | "services"
    )
}

/// How many words of `text` (at the offsets `counted` accepts) are keys of
/// pasted configuration: a word ending
/// in `:` at the start of a line or list item (`- allow:`), in code form
/// (`allowExternal:`, `cap_add:`), or followed by a value that is no prose (a
/// nested key, a list or map, a number, a boolean) — not the labels of prose
/// ("Problem: The operator …", "is silently blocked: pelican, …").
fn config_keys(text: &str, counted: impl Fn(usize) -> bool) -> usize {
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
        .collect();
    words
        .iter()
        .enumerate()
        .filter(|(k, (at, w))| {
            if !counted(*at) {
                return false;
            }
            // (Not a quoted message's first word: "'ping: socket: …'".)
            // (Nor a key in an inline code span: "(`ports: - \"3001:3001\"`)",
            // "- `CAP_NET_RAW`: use raw sockets"; a JSON key is:
            // "`\"denyExec\": […]`".)
            let quoted = |w: &str| {
                w.starts_with(['\'', '"']) && !w[1..].contains(['\'', '"'])
                    || w.trim_start_matches('(')
                        .strip_prefix('`')
                        .is_some_and(|k| !k.starts_with('"'))
            };
            let Some(key) = w.strip_suffix(':').filter(|k| !k.is_empty() && !quoted(k)) else {
                return false;
            };
            let line_start = text[..*at].trim_end_matches([' ', '\t']).ends_with('\n')
                || text[..*at].trim().is_empty()
                || *k > 0 && words[k - 1].1 == "-";
            let code = key.contains('_')
                || key.contains('.')
                || key.chars().skip(1).any(|c| c.is_ascii_uppercase())
                    && key.starts_with(|c: char| c.is_ascii_lowercase());
            let value = words.get(k + 1).map(|(_, v)| *v).unwrap_or("");
            let config_value = value.ends_with(':') && !quoted(value)
                || value.starts_with(['[', '{', '-'])
                || value.parse::<f64>().is_ok()
                || matches!(value, "true" | "false" | "null" | "~");
            // "seastar: Unable to set SCHED_FIFO.", "… set SCHED_FIFO:
            // "Unable to …": a log line's component and its message, prose
            // after the colon.
            let prose =
                |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()) && w.len() > 1;
            // ("- gateway fleet: 3 of 11 still on the old forwarder": a
            // count, then prose.)
            let counted_prose = value.parse::<f64>().is_ok()
                && words.get(k + 2).is_some_and(|(_, w)| prose(w))
                && words
                    .get(k + 3)
                    .is_some_and(|(_, w)| prose(w) || w.chars().all(|c| c.is_ascii_digit()));
            let message = counted_prose
                || value
                    .strip_prefix(['"', '“'])
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_uppercase()))
                || value.starts_with(|c: char| c.is_ascii_uppercase())
                    && words.get(k + 2).is_some_and(|(_, w)| prose(w))
                    && words.get(k + 3).is_some_and(|(_, w)| prose(w));
            // ("Schedule: Observability Primary", "Owner: Jonas": a
            // header's field, its label a capitalised word.)
            let field_label = key.starts_with(|c: char| c.is_ascii_uppercase())
                && key[1..].chars().all(|c| c.is_ascii_lowercase() || c == '-');
            (line_start && !field_label || code || config_value) && !message
        })
        .count()
}

/// Byte ranges of the parenthesised asides of `text` that name a workload
/// (a `key=value` label or a namespace).
fn scope_asides(text: &str) -> Vec<std::ops::Range<usize>> {
    super::masks::parentheses(text)
        .into_iter()
        .filter(|&(o, i)| {
            let inner = &text[o + 1..i];
            inner.contains('=')
                || inner
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w.eq_ignore_ascii_case("namespace") || w.eq_ignore_ascii_case("ns"))
        })
        .map(|(o, i)| o..i + 1)
        .collect()
}

/// Whether `p` stands on its own: its pods are named with a namespace (or
/// every namespace), nothing assumed about a missing one.
pub(super) fn complete(p: &ParsedIntent) -> bool {
    let s = &p.intent.scope;
    s.namespace.is_some() || s.cluster_wide
}

/// The engine the whole text names ("DNS-based egress policies in Cilium
/// … Allow …", "A default deny NetworkPolicy … add allow rules …") when the
/// ask alone names none: one engine or policy kind, named by its own word
/// (not the platform's name).
pub(super) fn engine_in(text: &str, domain: Domain) -> Option<Engine> {
    let mut found: Option<Engine> = None;
    let words: Vec<&str> = text.split_whitespace().collect();
    for (k, raw) in words.iter().enumerate() {
        let w = raw
            .trim_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_ascii_lowercase();
        if matches!(w.as_str(), "kubernetes" | "k8s") {
            continue;
        }
        let low = |j: usize| {
            words
                .get(j)
                .map(|x| x.to_ascii_lowercase())
                .unwrap_or_default()
        };
        let prev = k.checked_sub(1).map(low).unwrap_or_default();
        if super::engines::reporter(&prev, raw, &low(k + 1)) {
            continue;
        }
        if let Some((e, _, weak)) = engine_word(&w) {
            if weak && domain != Domain::Network {
                continue;
            }
            // ("Cilium container runtime contains \"apt\"" before a process
            // ask: the product whose pods the ask is about, no engine that
            // could enforce it.)
            if !domain.engines().contains(&e) {
                continue;
            }
            match found {
                Some(f) if f != e => return None,
                _ => found = Some(e),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_end_before_a_capital_not_inside_addresses_or_lists() {
        let t = "I use 10.0.0.1. This is because ports 80, etc. are open. Allow app=x on 443";
        let s: Vec<&str> = sentence_spans(t).iter().map(|&(a, b)| &t[a..b]).collect();
        assert_eq!(
            s,
            [
                "I use 10.0.0.1.",
                "This is because ports 80, etc. are open.",
                "Allow app=x on 443"
            ]
        );
    }

    #[test]
    fn one_imperative_among_background_keeps_offsets() {
        let t = "My pods fail. Block /bin/sh in app=x, namespace y. It is bad.";
        let m = imperative_only(t).unwrap();
        assert_eq!(m.len(), t.len());
        assert_eq!(m.trim(), "Block /bin/sh in app=x, namespace y.");
        // Every sentence asks, or none: the whole text is the intent.
        assert!(imperative_only("Block /bin/sh. Allow /bin/ls in app=x.").is_none());
        // Two asks among background are kept together.
        let t = "fix: block /bin/sh. It ran twice. Fix: also for app=x (namespace y).";
        let m = imperative_only(t).unwrap();
        assert_eq!(
            m.split_whitespace().collect::<Vec<_>>(),
            [
                "fix:",
                "block",
                "/bin/sh.",
                "Fix:",
                "also",
                "for",
                "app=x",
                "(namespace",
                "y)."
            ]
        );
        assert!(imperative_only("Alert! Block /bin/sh in app=x. It runs.").is_some());
        assert!(imperative_only("My pods fail. They run /bin/sh.").is_none());
        // A conclusion that asks, and the workload named in the background.
        let t = "Shells are risky in prod (app=p, namespace q), so block /bin/sh.";
        let m = imperative_only(t).unwrap();
        assert_eq!(
            m.split_whitespace().collect::<Vec<_>>(),
            ["(app=p,", "namespace", "q)", "block", "/bin/sh."]
        );
        // Pasted configuration is part of the ask; a config key is no verb.
        assert!(
            imperative_only("Drop what is not needed. securityContext: capabilities: drop: [ALL]")
                .is_none()
        );
        assert!(imperative_only("Title: redis\n- allow: app=cart on 6379\n- deny: rest").is_none());
        // Prose labels are no configuration; a terminal session is evidence.
        assert!(
            imperative_only("Problem: it fails: pelican, home. Block /bin/sh in app=x.").is_some()
        );
        assert!(
            imperative_only("It runs:\n```\n$ ps\n1 root /bin/sh\n```\nBlock /bin/sh in app=x.")
                .is_some()
        );
        assert!(
            imperative_only("It has:\n```\ncap_add:\n  - KILL\n```\nBlock /bin/sh in app=x.")
                .is_none()
        );
    }
}
