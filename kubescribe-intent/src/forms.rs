//! Asks filled into a request form, one field a line ("Workload: …",
//! "Namespace: …", "Direction: inbound", "Peers: …", "Ports: 50000/TCP",
//! "Action: allow"): the fields that say the rule are rewritten as the one
//! sentence they stand for ("allow ingress to … in namespace ci from … on
//! port 50000/TCP."), a "Details:" field after it as prose; who asks, why
//! and until when are background. The rewrite maps its bytes back to the
//! input's, as a table's does.

use super::lexicon::{ALLOW_WORDS, AUDIT_WORDS, BLOCK_WORDS};
use super::tables::Rewrite;

/// What a form's field says, from its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Workload,
    Namespace,
    Direction,
    /// Peers on the side the direction says.
    Peers,
    Sources,
    Destinations,
    Ports,
    Protocol,
    Action,
    Executables,
    Paths,
    Access,
    /// The process that reads or writes the paths.
    Who,
    Capabilities,
    /// The engine or policy kind asked for ("Enforcement:
    /// CiliumNetworkPolicy").
    Engine,
    /// Free text that may refine the ask ("Details:", "Notes:").
    Details,
    /// Who asks, why, until when: not the rule.
    Background,
}

fn field(key: &str) -> Option<Field> {
    let k = key
        .trim()
        .trim_matches(|c: char| c == '*' || c == '_' || c == '`')
        .to_ascii_lowercase();
    Some(match k.as_str() {
        "workload" | "workloads" | "target" | "target workload" | "targets" | "pods"
        | "selector" | "pod selector" | "application" | "applies to" => Field::Workload,
        "namespace" | "namespaces" | "project" => Field::Namespace,
        "direction" | "traffic direction" => Field::Direction,
        "peers" | "peer" | "allowed peers" => Field::Peers,
        "source" | "sources" | "from" | "clients" | "callers" | "allowed from" => Field::Sources,
        "destination" | "destinations" | "to" | "allowed to" | "egress to" => Field::Destinations,
        "port" | "ports" => Field::Ports,
        "protocol" | "protocols" => Field::Protocol,
        "action" | "requested action" | "decision" | "verdict" => Field::Action,
        "executables" | "executable" | "binaries" | "binary" | "processes" | "process"
        | "programs" | "commands" => Field::Executables,
        "paths" | "path" | "files" | "file" | "directories" | "directory" => Field::Paths,
        "access" | "operation" | "operations" => Field::Access,
        "who" | "accessed by" | "readers" | "writers" => Field::Who,
        "capabilities" | "capability" | "caps" => Field::Capabilities,
        "enforcement" | "policy engine" | "engine" | "policy kind" | "policy type" | "cni" => {
            Field::Engine
        }
        "details" | "notes" | "note" | "description" | "comment" | "comments"
        | "additional details" => Field::Details,
        "requester"
        | "requested by"
        | "owner"
        | "team"
        | "contact"
        | "approver"
        | "approved by"
        | "justification"
        | "business justification"
        | "reason"
        | "rationale"
        | "expiry"
        | "expires"
        | "expiration"
        | "ticket"
        | "priority"
        | "date"
        | "status"
        | "request type"
        | "due"
        | "submitted by"
        | "reviewer" => Field::Background,
        _ => return None,
    })
}

/// A field line: the field, the line's byte range and its value's (trimmed).
type Line = (Field, (usize, usize), (usize, usize));

/// The field a line `text[from..to]` fills: "Key: value", "- Key: value",
/// "**Key:** value".
fn field_line(text: &str, from: usize, to: usize) -> Option<Line> {
    let line = &text[from..to];
    let body = line.trim_start().trim_start_matches(['-', '*', ' ']);
    let colon = body.find(':')?;
    let f = field(body[..colon].trim_end_matches('*'))?;
    let after = &body[colon + 1..];
    let after = after.trim_start_matches('*');
    let lead = after.len() - after.trim_start().len();
    let vstart = to - after.len() + lead;
    Some((f, (from, to), (vstart, vstart + after.trim().len())))
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
        let w = w.as_str();
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
        } else {
            None
        }
    })
}

/// Whether a value leaves its field empty ("n/a", "none", "-").
fn blank(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "n/a" | "na" | "none" | "-" | "—" | "no" | "not applicable"
    )
}

/// `text` with its request form rewritten as the sentence its fields say;
/// `None` when it has none (three field lines or more, among them the
/// workload or the action and one that says the rule).
pub(super) fn rewritten(text: &str) -> Option<Rewrite> {
    let mut lines: Vec<Line> = Vec::new();
    let mut at = 0;
    let mut started = false;
    let mut ended = false;
    for l in text.split_inclusive('\n') {
        let end = at + l.trim_end_matches(['\n', '\r']).len();
        match field_line(text, at, end) {
            Some(line) if !ended => {
                lines.push(line);
                started = true;
            }
            _ if started && text[at..end].trim().is_empty() => {}
            _ if started => ended = true,
            _ => {}
        }
        at += l.len();
    }
    let has = |f: Field| lines.iter().any(|l| l.0 == f);
    let rule = [
        Field::Direction,
        Field::Peers,
        Field::Sources,
        Field::Destinations,
        Field::Ports,
        Field::Executables,
        Field::Paths,
        Field::Capabilities,
    ];
    if lines.len() < 3
        || !(has(Field::Workload) || has(Field::Action))
        || !rule.iter().any(|&f| has(f))
    {
        return None;
    }
    let value = |f: Field| {
        lines
            .iter()
            .find(|l| l.0 == f && !blank(&text[l.2.0..l.2.1]))
            .map(|l| l.2)
    };
    let said = |r: (usize, usize)| &text[r.0..r.1];
    let first = lines[0].1.0;
    let last = lines[lines.len() - 1].1.1;
    let mut rw = Rewrite::new(text.len() + 64);
    rw.copy_prose(text, 0, first);
    let form = (first, last);
    // The verb.
    let action = lines.iter().find(|l| l.0 == Field::Action).map(|l| l.2);
    let verb = match action {
        Some(v) => match verb(said(v)) {
            Some(w) => Some(w),
            None => {
                rw.leave_open(format!(
                    "what to do: the form's Action field says \"{}\"; allow, audit or block?",
                    said(v)
                ));
                None
            }
        },
        None => None,
    };
    if let Some(v) = verb {
        rw.insert(v, action.unwrap_or(form));
        rw.insert(" ", form);
    }
    let pods = |rw: &mut Rewrite| {
        if let Some(w) = value(Field::Workload) {
            rw.copy(text, w.0, w.1);
        } else {
            rw.insert("the pods", form);
        }
        if let Some(n) = value(Field::Namespace) {
            rw.insert(" in namespace ", form);
            rw.copy(text, n.0, n.1);
        }
    };
    if has(Field::Executables) {
        rw.insert("running ", form);
        if let Some(x) = value(Field::Executables) {
            rw.copy(text, x.0, x.1);
        }
        rw.insert(" in ", form);
        pods(&mut rw);
    } else if has(Field::Paths) {
        match value(Field::Access) {
            Some(a) => rw.copy(text, a.0, a.1),
            None => rw.insert("access", form),
        }
        rw.insert(" of ", form);
        if let Some(p) = value(Field::Paths) {
            rw.copy(text, p.0, p.1);
        }
        if let Some(w) = value(Field::Who) {
            rw.insert(" by ", form);
            rw.copy(text, w.0, w.1);
        }
        rw.insert(" in ", form);
        pods(&mut rw);
    } else if has(Field::Capabilities) && !has(Field::Ports) {
        rw.insert("capabilities ", form);
        if let Some(c) = value(Field::Capabilities) {
            rw.copy(text, c.0, c.1);
        }
        rw.insert(" in ", form);
        pods(&mut rw);
    } else {
        let dir = value(Field::Direction).map(|d| said(d).to_ascii_lowercase());
        let dir = dir.as_deref().unwrap_or("");
        let ingress = ["inbound", "ingress", "incoming", "in"]
            .iter()
            .any(|w| dir.starts_with(w));
        let egress = ["outbound", "egress", "outgoing", "out"]
            .iter()
            .any(|w| dir.starts_with(w));
        let peers = value(Field::Peers);
        let sources = value(Field::Sources).or(peers.filter(|_| !egress));
        let dests = value(Field::Destinations).or(peers.filter(|_| egress));
        let ports = value(Field::Ports);
        let everything = sources.is_none()
            && dests.is_none()
            && ports.is_none()
            && action.is_some_and(|a| {
                let l = said(a).to_ascii_lowercase();
                l.contains(" all") || l.contains("everything")
            });
        if everything {
            rw.insert("all ", form);
        }
        // (The direction's word quotes the Direction field.)
        let said_dir = value(Field::Direction).unwrap_or(form);
        if egress || dests.is_some() && sources.is_none() {
            rw.insert("egress", said_dir);
            rw.insert(" from ", form);
        } else if ingress || sources.is_some() {
            rw.insert("ingress", said_dir);
            rw.insert(" to ", form);
        }
        pods(&mut rw);
        for (prep, side) in [(" from ", sources), (" to ", dests)] {
            if let Some(p) = side {
                rw.insert(prep, form);
                rw.copy(text, p.0, p.1);
            }
        }
        if let Some(p) = ports {
            rw.insert(" on port ", form);
            rw.copy(text, p.0, p.1);
        }
        if let Some(p) = value(Field::Protocol) {
            rw.insert(" over ", form);
            rw.copy(text, p.0, p.1);
        }
    }
    if let Some(e) = value(Field::Engine) {
        rw.insert(" with ", form);
        rw.copy(text, e.0, e.1);
    }
    rw.insert(".", form);
    for l in lines.iter().filter(|l| l.0 == Field::Details) {
        rw.insert(" ", form);
        rw.copy_prose(text, l.2.0, l.2.1);
    }
    rw.insert("\n", form);
    rw.copy_prose(text, last, text.len());
    Some(rw)
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
}
