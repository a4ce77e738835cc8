//! Asks filled into a request form, one field a line ("Workload: …",
//! "Namespace: …", "Direction: inbound", "Peers: …", "Ports: 50000/TCP",
//! "Action: allow"): the fields that say the rule are rewritten as the one
//! sentence they stand for ("allow ingress to … in namespace ci from … on
//! port 50000/TCP."), a "Details:" field after it as prose; who asks, why
//! and until when are background. The rewrite maps its bytes back to the
//! input's, as a table's does. A field may also be a Jira `*Field:*` line,
//! a `Field | value` or tab-separated row, a numbered question answered on
//! its line, a `Q:`/`A:` pair, an issue form's `### Field` heading with
//! its answer (checked `- [x]` boxes) under it, or a JSON or YAML request's
//! key (lists of values under it); keys are matched by their words.

use super::form_fields::{Field, field, key_verb, spaced};
use super::lexicon::{ALLOW_WORDS, AUDIT_WORDS, BLOCK_WORDS};
use super::tables::Rewrite;

/// A field line: the field, the key's words, the line's byte range and its
/// value's (trimmed).
#[derive(Debug, Clone)]
struct Line {
    field: Field,
    key: String,
    line: (usize, usize),
    value: (usize, usize),
    /// A value given in parts (an issue form's checked boxes, a JSON
    /// list's items); empty when `value` is all of it.
    parts: Vec<(usize, usize)>,
    /// Words a peer's value needs before it ("namespaces labelled " for
    /// `allowFromNamespacesLabelled: team=ml`).
    prefix: &'static str,
}

impl Line {
    fn new(field: Field, key: &str, line: (usize, usize), value: (usize, usize)) -> Line {
        Line {
            field,
            key: spaced(key),
            line,
            value,
            parts: Vec::new(),
            prefix: "",
        }
    }

    /// The value's parts.
    fn parts(&self) -> Vec<(usize, usize)> {
        if self.parts.is_empty() {
            vec![self.value]
        } else {
            self.parts.clone()
        }
    }
}

/// The key and the value's start of a line `text[from..to]` that fills a
/// field: "Key: value", "- Key: value", "**Key:** value", "*Key:* value",
/// "3) Key: value", "4. Which pods? value", "Key | value".
fn key_value(text: &str, from: usize, to: usize) -> Option<(String, usize)> {
    let line = &text[from..to];
    let mut body = line.trim_start().trim_start_matches(['-', '*', ' ']);
    let numbered = {
        let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let rest = &body[digits..];
        digits > 0 && (rest.starts_with(". ") || rest.starts_with(") "))
    };
    if numbered {
        body = body.trim_start_matches(|c: char| c.is_ascii_digit())[2..].trim_start();
    }
    // A bold key closed by its mark: "*What do you need?* …",
    // "*Submitted by* @ops".
    let lead = line.trim_start().trim_start_matches(['-', ' ']);
    let mark = lead
        .chars()
        .next()
        .filter(|c| matches!(c, '*' | '_') && !lead[1..].starts_with(' '));
    let body = body.trim_start_matches(['*', '_']);
    // A row of a two-column table without a separator line ("| Namespace |
    // iot |", Confluence's "|| Field || Value ||" header aside).
    let body = match body.strip_prefix('|') {
        Some(b) if !b.starts_with('|') => b.trim_end().trim_end_matches('|').trim(),
        Some(_) => return None,
        None => body,
    };
    // A JSON member: `"namespace": "ray",`.
    if let Some(inner) = body.strip_prefix('"')
        && let Some(q) = inner.find('"')
        && inner[q + 1..].trim_start().starts_with(':')
    {
        let key = &inner[..q];
        let colon = q + 1 + (inner[q + 1..].len() - inner[q + 1..].trim_start().len());
        let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let value_at = inner.as_ptr() as usize - text.as_ptr() as usize + colon + 1;
        return ok.then(|| (key.to_string(), value_at));
    }
    // (A colon closes the key when a space, the line's end or a bold
    // mark follows: "*Summary:* …", "**Port:** …".)
    let colon = body.match_indices(':').map(|(i, _)| i).find(|&i| {
        let rest = body[i + 1..].trim_start_matches(['*', '_']);
        rest.is_empty() || rest.starts_with(' ')
    });
    let question = numbered.then(|| body.find("? ")).flatten();
    let pipe = body.find(" | ").or_else(|| body.find('\t'));
    let closed = mark.and_then(|m| {
        let c = body.find(m).filter(|&c| c > 0)?;
        let marks = body[c..].len() - body[c..].trim_start_matches(m).len();
        let colon = usize::from(body[c + marks..].starts_with(':'));
        field(body[..c].trim_end_matches([':', ' '])).map(|_| (c, marks + colon))
    });
    let (at, sep) = [
        colon.map(|c| (c, 1)),
        question.map(|q| (q, 1)),
        pipe.map(|p| (p, 3)),
        closed,
    ]
    .into_iter()
    .flatten()
    .min()?;
    // (A tab is one byte.)
    let sep = if sep == 3 && body[at..].starts_with('\t') {
        1
    } else {
        sep
    };
    let key = body[..at].trim_end_matches(['*', '_', ' ', ':']);
    let asked = numbered || key.ends_with('?');
    // (A field's name is short; a numbered form's question may be longer.
    // A parenthesis is a whole one: "Destination(s)", "Workload (labels)".)
    let ok = !key.is_empty()
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key.split_whitespace().count() <= if asked { 10 } else { 5 }
        && key.matches('(').count() == key.matches(')').count()
        && !key.contains(['=', '.', '`', '"', '\'', '’', '<', '>']);
    if !ok || sep == 3 && pipe == Some(at) && key.split_whitespace().count() > 4 {
        return None;
    }
    let value_at = body.as_ptr() as usize - text.as_ptr() as usize + at + sep;
    Some((key.to_string(), value_at))
}

/// A chat command's options as field lines: `/netpol request --namespace
/// ci --selector "app=a" --ingress --port 80/tcp --action allow`, or its
/// `key=value` words (`namespace=ci pods="app=a" direction=egress`); a
/// flag alone that names a direction (`--ingress`) fills Direction. Empty
/// unless the line starts with a command (`/word`, not a path) and two of
/// its options fill fields a rule reads.
fn command_lines(text: &str, from: usize, to: usize) -> Vec<Line> {
    let line = &text[from..to];
    let start = from + (line.len() - line.trim_start().len());
    let command_end = text[start..to]
        .find(char::is_whitespace)
        .map_or(to, |i| start + i);
    let command = &text[start..command_end];
    let is_command = command.len() > 1
        && command.starts_with('/')
        && command[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        && !command[1..].contains('/');
    if !is_command {
        return Vec::new();
    }
    // The words after it, a quoted part kept whole (`pods="app=a b"`).
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut i = command_end;
    while i < to {
        let rest = &text[i..to];
        let Some(skip) = rest.find(|c: char| !c.is_whitespace()) else {
            break;
        };
        let begin = i + skip;
        let mut j = begin;
        while j < to {
            let c = text[j..to].chars().next().unwrap_or(' ');
            if c.is_whitespace() {
                break;
            }
            j += c.len_utf8();
            if c == '"' {
                j = text[j..to].find('"').map_or(to, |q| j + q + 1);
            }
        }
        words.push((begin, j));
        i = j;
    }
    let unquoted = |(a, b): (usize, usize)| {
        let w = &text[a..b];
        if w.len() >= 2 && w.starts_with('"') && w.ends_with('"') {
            (a + 1, b - 1)
        } else {
            (a, b)
        }
    };
    let mut lines = Vec::new();
    let mut k = 0;
    while k < words.len() {
        let (a, b) = words[k];
        k += 1;
        let flag = text[a..b].starts_with("--");
        let key_from = if flag { a + 2 } else { a };
        let (key, value) = match text[key_from..b].find('=') {
            Some(eq) => ((key_from, key_from + eq), unquoted((key_from + eq + 1, b))),
            None if flag && k < words.len() && !text[words[k].0..].starts_with("--") => {
                k += 1;
                ((key_from, b), unquoted(words[k - 1]))
            }
            None if flag => ((key_from, b), (key_from, b)),
            None => continue,
        };
        let name = &text[key.0..key.1];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            continue;
        }
        let f = if value == key {
            matches!(name, "ingress" | "egress" | "inbound" | "outbound")
                .then_some(Field::Direction)
        } else {
            Some(field(&name.replace('-', " ")).unwrap_or(Field::Background))
        };
        if let Some(f) = f {
            let mut l = Line::new(f, &name.replace('-', " "), (a, value.1.max(b)), value);
            // (`to="github.com,api.github.com"`: a list.)
            let v = &text[value.0..value.1];
            if v.contains(',') && !v.contains(' ') {
                l.parts = v
                    .split(',')
                    .scan(value.0, |at, p| {
                        let here = *at;
                        *at += p.len() + 1;
                        Some((here, here + p.len()))
                    })
                    .filter(|&(x, y)| y > x)
                    .collect();
            }
            lines.push(l);
        }
    }
    let known = lines
        .iter()
        .filter(|l| l.field != Field::Background)
        .count();
    if known < 2 {
        lines.clear();
    }
    // (The command itself is the form's, not prose before it.)
    if let Some(first) = lines.first_mut() {
        first.line.0 = start;
    }
    lines
}

/// For a key of two fields ("Cluster / namespace") and a value of as many
/// parts ("prod-eu-1 / monitoring"): the part a rule reads (the namespace)
/// and its key.
fn split_pair(text: &str, key: &str, from: usize, to: usize) -> Option<(String, usize, usize)> {
    let keys: Vec<&str> = key.split(" / ").collect();
    let value = &text[from..to];
    let parts: Vec<(usize, &str)> = value
        .split(" / ")
        .scan(0, |at, p| {
            let here = *at;
            *at += p.len() + 3;
            Some((here, p))
        })
        .collect();
    if keys.len() < 2 || keys.len() != parts.len() {
        return None;
    }
    let k = keys
        .iter()
        .position(|k| matches!(field(k), Some(f) if f != Field::Background))?;
    let (off, p) = parts[k];
    Some((keys[k].to_string(), from + off, from + off + p.len()))
}

/// The value's trimmed range, its bold marks dropped.
fn trimmed(text: &str, from: usize, to: usize) -> (usize, usize) {
    let v = &text[from..to];
    let v2 = v.trim_start().trim_start_matches(['*', '_']).trim_start();
    let start = from + (v.len() - v2.len());
    let v3 = v2.trim_end();
    // (A JSON value: `"ray",`.)
    let inner = v3.trim_end_matches([',', '|']).trim_end();
    if inner.len() > 2 && inner.starts_with('"') && inner.ends_with('"') {
        return (start + 1, start + inner.len() - 1);
    }
    (start, start + inner.len())
}

/// What an Action field says to do: its first verb ("log only, do not
/// block anything" logs; "must not run" blocks).
fn verb(value: &str) -> Option<&'static str> {
    let words: Vec<String> = value
        .split(|c: char| !c.is_ascii_alphabetic() && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.iter().enumerate().find_map(|(i, w)| {
        // ("allow-only", "log-only": the verb before the hyphen.)
        let w = if w.contains('-') && !w.starts_with("allow-list") {
            w.split('-').next().unwrap_or(w)
        } else {
            w.as_str()
        };
        let next = words.get(i + 1).map_or("", String::as_str);
        if AUDIT_WORDS.contains(&w) {
            Some("audit")
        } else if BLOCK_WORDS.contains(&w)
            || matches!(w, "must" | "should" | "may" | "can" | "do") && next == "not"
            || matches!(
                w,
                "never" | "forbid" | "forbidden" | "prohibit" | "disallow"
            )
        {
            Some("block")
        } else if ALLOW_WORDS.contains(&w)
            || matches!(
                w,
                "allow-list" | "allowlist" | "whitelist" | "permit" | "only"
            )
        {
            Some("allow")
        } else if matches!(w, "add" | "open" | "grant" | "let") {
            // ("add an egress rule": an allow, unless the rule it adds
            // says otherwise, "add a deny rule".)
            Some(verb(&words[i + 1..].join(" ")).unwrap_or("allow"))
        } else {
            None
        }
    })
}

/// Whether a value leaves its field empty ("n/a", "none", "-").
fn blank(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "n/a" | "na" | "none" | "-" | "—" | "no" | "not applicable" | ">" | ">-" | "|"
    )
}

/// The field lines of the first form in `text`: a run of lines that fill
/// fields, with blank lines, indented continuations (a YAML `>` block)
/// and `Q:`/`A:` pairs among them.
fn form_lines(text: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut at = 0;
    let mut ended = false;
    let mut question: Option<(String, usize)> = None;
    // The indentation of a field whose value is a YAML block (`>`, `|`):
    // lines indented deeper continue it, whatever they look like.
    let mut block: Option<usize> = None;
    // Under an issue form's "### Field" heading: its answer's lines.
    let mut heading = false;
    // Inside a JSON list (`"ports": [`): its items.
    let mut list = false;
    for l in text.split_inclusive('\n') {
        let end = at + l.trim_end_matches(['\n', '\r']).len();
        let raw = &text[at..end];
        let started = !lines.is_empty() || question.is_some();
        let trimmed_line = raw.trim_start();
        if ended {
            break;
        }
        let indent = raw.len() - trimmed_line.len();
        // "### Workload (pod labels)": the lines under it answer it;
        // "- [x] Ingress" a checked box, "- [ ] Egress" none,
        // "_No response_" nothing.
        let hashes = trimmed_line.len() - trimmed_line.trim_start_matches('#').len();
        if (2..=6).contains(&hashes) && trimmed_line[hashes..].starts_with(' ') {
            let key = trimmed_line[hashes..].trim();
            let f = field(key).unwrap_or(Field::Background);
            lines.push(Line::new(f, key, (at, end), (end, end)));
            heading = true;
            at += l.len();
            continue;
        }
        if heading {
            if let Some(last) = lines.last_mut()
                && !trimmed_line.is_empty()
            {
                last.line.1 = end;
                let (checked, from) = match trimmed_line.get(..6) {
                    Some("- [x] " | "- [X] ") => (true, end - trimmed_line.len() + 6),
                    Some("- [ ] ") => (false, end),
                    _ => (trimmed_line != "_No response_", at),
                };
                if checked {
                    let part = trimmed(text, from, end);
                    if last.parts.is_empty() {
                        last.value = part;
                    }
                    last.parts.push(part);
                }
            }
            at += l.len();
            continue;
        }
        if list {
            if trimmed_line.starts_with(']') {
                list = false;
            } else if let Some(last) = lines.last_mut()
                && !trimmed_line.is_empty()
            {
                let part = trimmed(text, at, end);
                if last.parts.is_empty() {
                    last.value = part;
                }
                last.parts.push(part);
                last.line.1 = end;
            }
            at += l.len();
            continue;
        }
        // (A JSON object's braces.)
        if started
            && !trimmed_line.is_empty()
            && trimmed_line
                .chars()
                .all(|c| matches!(c, '{' | '}' | '[' | ']' | ','))
        {
            at += l.len();
            continue;
        }
        if block.is_some_and(|b| indent > b && !trimmed_line.is_empty()) {
            if let Some(last) = lines.last_mut() {
                last.line.1 = end;
                if blank(&text[last.value.0..last.value.1]) {
                    last.value = trimmed(text, at, end);
                } else {
                    last.value.1 = end;
                }
            }
            at += l.len();
            continue;
        }
        block = None;
        let command = command_lines(text, at, end);
        if !command.is_empty() {
            lines.extend(command);
        } else if let Some(q) = trimmed_line.strip_prefix("Q:") {
            question = Some((q.trim().to_string(), at));
        } else if let (Some(a), Some((q, q_at))) =
            (trimmed_line.strip_prefix("A:"), question.take())
        {
            let vstart = end - a.len();
            let f = field(&q).unwrap_or(Field::Background);
            lines.push(Line::new(f, &q, (q_at, end), trimmed(text, vstart, end)));
        } else if let Some((key, vstart)) = key_value(text, at, end) {
            if matches!(
                text[vstart..end].trim(),
                ">" | ">-" | "|" | "|-" | ">+" | "|+"
            ) {
                block = Some(indent);
            }
            list = text[vstart..end].trim() == "[";
            let f = field(&key);
            // "Cluster / namespace: prod-eu-1 / monitoring": the part of the
            // value that stands where the key says the field.
            let (key, vstart, vend) = match split_pair(text, &key, vstart, end) {
                Some((k, vs, ve)) => (k, vs, ve),
                None => (key, vstart, end),
            };
            let f = f.and(field(&key)).or(f);
            match f {
                Some(field) => lines.push(Line::new(
                    field,
                    &key,
                    (at, end),
                    trimmed(text, vstart, vend),
                )),
                // (A field no rule reads, "Service: BookStack wiki", inside
                // a form: background.)
                None if started => lines.push(Line::new(
                    Field::Background,
                    &key,
                    (at, end),
                    trimmed(text, vstart, end),
                )),
                None => {}
            }
        } else if started && raw.trim().is_empty() {
        } else if started && raw.starts_with([' ', '\t']) {
            // An indented continuation of the field before; a YAML list's
            // item ("- 9000") one part of its value.
            if let Some(last) = lines.last_mut()
                && let Some(item) = trimmed_line.strip_prefix("- ")
                && (!last.parts.is_empty() || blank(&text[last.value.0..last.value.1]))
            {
                let part = trimmed(text, end - item.len(), end);
                if last.parts.is_empty() {
                    last.value = part;
                }
                last.parts.push(part);
                last.line.1 = end;
            } else if let Some(last) = lines.last_mut() {
                last.line.1 = end;
                if last.value.0 == last.value.1 || blank(&text[last.value.0..last.value.1]) {
                    last.value = trimmed(text, at, end);
                } else {
                    last.value.1 = end;
                }
            }
        } else if started
            && trimmed_line.split_whitespace().count() <= 3
            && !trimmed_line.contains(['.', '!', '?', '='])
        {
            // (A section's label inside the form: "Properties", "Custom
            // fields".)
        } else if started {
            ended = true;
        }
        at += l.len();
    }
    // "Enforcement: log only, do not block anything": how to enforce, said
    // by a verb and no engine.
    for l in &mut lines {
        let v = text[l.value.0..l.value.1].to_ascii_lowercase();
        let engine = [
            "cilium",
            "calico",
            "kubearmor",
            "tetragon",
            "networkpolicy",
            "kubernetes",
        ]
        .iter()
        .any(|e| v.contains(e));
        if l.field == Field::Engine && !engine && verb(&v).is_some() {
            l.field = Field::Action;
        }
        // "allowedNamespaces: [monitoring]", "allowFromNamespacesLabelled:
        // team=ml": peers named by their namespace.
        let key_words: Vec<&str> = l.key.split(|c: char| !c.is_ascii_alphabetic()).collect();
        let by_namespace = key_words.iter().any(|w| w.starts_with("namespace"));
        if matches!(l.field, Field::Sources | Field::Destinations | Field::Peers)
            && by_namespace
            && !v.contains("namespace")
        {
            l.prefix = if v.contains('=') || key_words.iter().any(|w| w.starts_with("label")) {
                "namespaces labelled "
            } else {
                "namespace "
            };
        }
    }
    lines
}

/// `text` with its request form rewritten as the sentence its fields say;
/// `None` when it has none (three field lines or more, among them the
/// workload, the action or the rule in words, and one that says the rule).
pub(super) fn rewritten(text: &str) -> Option<Rewrite> {
    let lines = form_lines(text);
    let has = |f: Field| lines.iter().any(|l| l.field == f);
    let rule = [
        Field::Direction,
        Field::Peers,
        Field::Sources,
        Field::Destinations,
        Field::Ports,
        Field::Executables,
        Field::Paths,
        Field::Capabilities,
        Field::Ask,
    ];
    let known = lines
        .iter()
        .filter(|l| l.field != Field::Background)
        .count();
    // (A Kubernetes manifest is no form: its comments may ask, and its
    // keys are read where it is pasted.)
    let manifest = lines.iter().any(|l| {
        // (The key's words joined again: "api version" was `apiVersion`.)
        matches!(
            l.key.replace(' ', "").as_str(),
            "apiversion" | "kind" | "metadata" | "spec" | "containers" | "matchlabels"
        )
        // (Docker Compose's, a setup quoted beside the ask.)
        || super::sentences::compose_key(&l.key)
    });
    let filled = |f: Field| {
        lines
            .iter()
            .any(|l| l.field == f && !blank(&text[l.value.0..l.value.1]))
    };
    if lines.len() < 3
        || known < 2
        || manifest
        || !(filled(Field::Workload) || filled(Field::Namespace) || has(Field::Action))
        || !rule.iter().any(|&f| has(f))
    {
        return None;
    }
    let said = |r: (usize, usize)| &text[r.0..r.1];
    let values = |f: Field| field_values(text, &lines, f);
    let value = |f: Field| values(f).first().copied();
    let first = lines[0].line.0;
    let last = lines[lines.len() - 1].line.1;
    let form = (first, last);
    let mut rw = Rewrite::new(text.len() + 64);
    // The lines before the form; a title among them ("🚨 *Emergency change
    // request* (workflow: Incident containment)") is the form's name, not
    // its pods', when a field names them.
    let mut at = 0;
    for l in text[..first].split_inclusive('\n') {
        let words = l.split_whitespace().count();
        let title = l
            .trim_end()
            .ends_with(|c: char| !matches!(c, '.' | '!' | '?' | ':'))
            && words <= 12;
        if !(title && filled(Field::Workload)) {
            rw.copy_prose(text, at, at + l.len());
        }
        at += l.len();
    }
    // A field left to be decided ("Port: tbd"): what the rule still needs.
    for l in &lines {
        let question = match l.field {
            Field::Workload => "which pods",
            Field::Ports => "which port",
            Field::Peers | Field::Sources | Field::Destinations => "which traffic",
            Field::Executables => "which executables",
            Field::Paths => "which files",
            Field::Capabilities => "which capabilities",
            _ => continue,
        };
        if super::tables::open(said(l.value)) {
            rw.leave_open(format!(
                "{question}: the form's \"{}\" says \"{}\"",
                l.key,
                said(l.value)
            ));
        }
    }
    // The verb: the Action field's, a key's own ("allow:"), or what the
    // keys of the rule fields say ("Allowed sources", "Which executables
    // does the app need?").
    let action = lines.iter().find(|l| l.field == Field::Action);
    let structured = rule
        .iter()
        .any(|&f| f != Field::Ask && !values(f).is_empty());
    let verb = match action {
        Some(l) if blank(said(l.value)) && key_verb(&l.key).is_some() => key_verb(&l.key),
        // ("Action: TBD, waiting on Rui (… or only NodeODM?)": open,
        // whatever verb the reason says.)
        Some(l) => match verb(said(l.value)).filter(|_| !super::tables::open(said(l.value))) {
            Some(w) => Some(w),
            None => {
                rw.leave_open(format!(
                    "what to do: the form's action (\"{}\") says {}; allow, audit or block?",
                    l.key,
                    if blank(said(l.value)) {
                        "nothing".to_string()
                    } else {
                        format!("\"{}\"", said(l.value))
                    }
                ));
                None
            }
        },
        None => lines
            .iter()
            .filter(|l| rule.contains(&l.field))
            .any(|l| {
                l.key
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .any(|w| matches!(w, "allowed" | "need" | "needs" | "permitted"))
            })
            .then_some("allow")
            // ("Policy change: add an egress rule" beside the fields that
            // say the rule.)
            .or_else(|| {
                // (Only a short one: a whole sentence is read as it is.)
                structured
                    .then(|| {
                        value(Field::Ask)
                            .filter(|&a| said(a).split_whitespace().count() <= 6)
                            .and_then(|a| verb(said(a)))
                    })
                    .flatten()
            }),
    };
    let workload = values(Field::Workload)
        .into_iter()
        .find(|&w| said(w).contains(['=', ':']))
        .or_else(|| value(Field::Workload));
    let pods = |rw: &mut Rewrite| {
        if let Some(w) = workload {
            rw.copy(text, w.0, w.1);
        } else {
            rw.insert("the pods", form);
        }
        if let Some(n) = value(Field::Namespace) {
            rw.insert(" in namespace ", form);
            rw.copy(text, n.0, n.1);
        }
    };
    let list = |rw: &mut Rewrite, f: Field| {
        for (k, v) in values(f).into_iter().enumerate() {
            if k > 0 {
                rw.insert(" and ", form);
            }
            rw.copy(text, v.0, v.1);
        }
    };
    // The rule in words when the fields say no verb or no rule of their
    // own ("Request: Runtime process allow-list" over numbered questions
    // that say it is a title).
    if let Some(ask) = value(Field::Ask).filter(|_| verb.is_none() || !structured) {
        // The rule in the requester's words, the form's pods before it.
        rw.insert("For ", form);
        pods(&mut rw);
        if let Some(e) = value(Field::Engine) {
            rw.insert(", with ", form);
            rw.copy(text, e.0, e.1);
        }
        rw.insert(": ", form);
        rw.copy_prose(text, ask.0, ask.1);
    } else {
        if let Some(v) = verb {
            rw.insert(v, action.map_or(form, |l| l.value));
            rw.insert(" ", form);
        }
        if has(Field::Executables) {
            rw.insert("running ", form);
            list(&mut rw, Field::Executables);
            rw.insert(" in ", form);
            pods(&mut rw);
        } else if has(Field::Paths) {
            // ("Action: Block writes (reads keep working)": what is done.)
            let writes = action.filter(|l| said(l.value).to_ascii_lowercase().contains("write"));
            match (value(Field::Access), writes) {
                (Some(a), _) => rw.copy(text, a.0, a.1),
                (None, Some(l)) => rw.insert("writes", l.value),
                (None, None) => rw.insert("access", form),
            }
            rw.insert(" of ", form);
            list(&mut rw, Field::Paths);
            // ("Who may access: the broker only, /usr/sbin/mosquitto".)
            if let Some(w) = value(Field::Who).or_else(|| value(Field::Peers)) {
                rw.insert(" by ", form);
                rw.copy(text, w.0, w.1);
            }
            rw.insert(" in ", form);
            pods(&mut rw);
        } else if has(Field::Capabilities) && !has(Field::Ports) {
            rw.insert("capabilities ", form);
            list(&mut rw, Field::Capabilities);
            rw.insert(" in ", form);
            pods(&mut rw);
        } else {
            network(&mut rw, text, &lines, form, pods);
        }
        if let Some(e) = value(Field::Engine) {
            rw.insert(" with ", form);
            rw.copy(text, e.0, e.1);
        }
    }
    rw.insert(".", form);
    for l in lines.iter().filter(|l| l.field == Field::Details) {
        if !blank(said(l.value)) {
            rw.insert(" ", form);
            rw.copy_prose(text, l.value.0, l.value.1);
        }
    }
    rw.insert("\n", form);
    rw.copy_prose(text, last, text.len());
    Some(rw)
}

/// The parts of the values given for field `f`, blank ones left out.
fn field_values(text: &str, lines: &[Line], f: Field) -> Vec<(usize, usize)> {
    lines
        .iter()
        .filter(|l| l.field == f)
        .flat_map(Line::parts)
        .filter(|&(a, b)| !blank(&text[a..b]) && !super::tables::open(&text[a..b]))
        .collect()
}

/// A network rule's words: "ingress to <pods> from <peers> on port <ports>".
fn network(
    rw: &mut Rewrite,
    text: &str,
    lines: &[Line],
    form: (usize, usize),
    pods: impl Fn(&mut Rewrite),
) {
    let said = |r: (usize, usize)| &text[r.0..r.1];
    let values = |f: Field| field_values(text, lines, f);
    // Peers with the words their values need before them.
    let peers_of = |f: Field| -> Vec<(&'static str, (usize, usize))> {
        lines
            .iter()
            .filter(|l| l.field == f)
            .flat_map(|l| l.parts().into_iter().map(move |p| (l.prefix, p)))
            .filter(|&(_, p)| !blank(said(p)))
            .collect()
    };
    let dir = values(Field::Direction).first().copied();
    let d = dir
        .map(|d| said(d).to_ascii_lowercase())
        .unwrap_or_default();
    let ingress = ["inbound", "ingress", "incoming", "in"]
        .iter()
        .any(|w| d.starts_with(w));
    let egress = ["outbound", "egress", "outgoing", "out"]
        .iter()
        .any(|w| d.starts_with(w));
    let peers = peers_of(Field::Peers);
    let mut sources = peers_of(Field::Sources);
    let mut dests = peers_of(Field::Destinations);
    if egress {
        dests.extend(peers);
    } else {
        sources.extend(peers);
    }
    let ports: Vec<(&str, (usize, usize))> =
        values(Field::Ports).into_iter().map(|p| ("", p)).collect();
    let everything = sources.is_empty()
        && dests.is_empty()
        && ports.is_empty()
        && lines.iter().any(|l| {
            let v = said(l.value).to_ascii_lowercase();
            l.field == Field::Action && (v.contains(" all") || v.contains("everything"))
        });
    if everything {
        rw.insert("all ", form);
    }
    // (The direction's word quotes the Direction field.)
    let said_dir = dir.unwrap_or(form);
    if egress || !dests.is_empty() && sources.is_empty() {
        rw.insert("egress", said_dir);
        rw.insert(" from ", form);
    } else if ingress || !sources.is_empty() {
        rw.insert("ingress", said_dir);
        rw.insert(" to ", form);
    }
    pods(rw);
    // "Traffic: inbound, from the internet": the words after the
    // direction's.
    if let Some(d) = dir {
        let v = said(d);
        let first = v
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(v.len());
        let rest = v[first..].trim_start_matches([',', ';', ' ', '-']);
        if !rest.is_empty() && (ingress || egress) {
            rw.insert(" ", form);
            rw.copy(text, d.1 - rest.len(), d.1);
        }
    }
    for (prep, side) in [
        (" from ", &sources),
        (" to ", &dests),
        (" on port ", &ports),
    ] {
        for (k, (prefix, v)) in side.iter().enumerate() {
            rw.insert(if k == 0 { prep } else { " and " }, form);
            rw.insert(prefix, form);
            rw.copy(text, v.0, v.1);
        }
    }
    if let Some(p) = values(Field::Protocol).first() {
        rw.insert(" over ", form);
        rw.copy(text, p.0, p.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_one_sentence_and_its_values_map_back() {
        let text = "Policy request PR-0412\nRequester: build team\nWorkload: app=jenkins\nNamespace: ci\nDirection: inbound\nPeers: agents (jenkins=agent)\nPorts: 50000/TCP\nAction: allow\nJustification: agents \"cannot connect to the controller at all\".\nExpiry: none\n";
        let rw = rewritten(text).expect("a form");
        assert!(
            rw.text.contains(
                "allow ingress to app=jenkins in namespace ci from agents (jenkins=agent) on port 50000/TCP."
            ),
            "{}",
            rw.text
        );
        assert!(!rw.text.contains("build team"), "{}", rw.text);
        assert!(!rw.text.contains("controller"), "{}", rw.text);
        let at = rw.text.find("jenkins=agent").unwrap();
        let (s, e) = rw.original(at, at + "jenkins=agent".len());
        assert_eq!(&text[s..e], "jenkins=agent");
    }

    #[test]
    fn an_undecided_action_is_left_open_and_prose_is_no_form() {
        let text = "Workload: app=a\nNamespace: n\nPorts: 80\nAction: TBD\n";
        assert_eq!(rewritten(text).unwrap().missing.len(), 1);
        assert!(rewritten("Note: the pods.\nAllow app=a to reach app=b.\n").is_none());
    }

    #[test]
    fn a_form_cut_anywhere_is_read_without_a_panic() {
        // Every shape, cut at every character: the offsets into the input
        // stay on its character boundaries.
        let forms = [
            "*Summary:* “lock” it\n*Workload:* app=a\n*Namespace:* n\n| Ports | 80/TCP |\nAction\tallow\n",
            "### Workload\n\napp=a\n\n### Namespace\n\nn\n\n### Direction\n\n- [x] Ingress\n- [ ] Egress\n\n### Ports\n\n_No response_\n",
            "{\n  \"podLabels\": \"app=a\",\n  \"namespace\": \"n\",\n  \"ports\": [\n    \"80/TCP\",\n  ],\n  \"action\": \"allow\"\n}\n",
            "Q: Pods\nA: app=ä\nQ: Namespace\nA: n\n2) Which ports? 80 — ok\nallow:\n  - from: app=b\n    port: 81\nreason: >\n  é\n",
        ];
        for form in forms {
            for (at, _) in form.char_indices() {
                let _ = rewritten(&form[..at]);
                let _ = rewritten(&form[at..]);
            }
        }
    }
}
