//! The intent restated in plain words ("understood as"), so the operator
//! sees what was understood before anything is applied.
//!
//! The restatement is written in the parser's own forms (`docs/intents.md`):
//! parsing it gives the same intent back, which the tests check.

use std::collections::BTreeMap;

use kubescribe_core::intent::{Action, Direction, Domain, Intent, PeerSelector, Resources};

/// One sentence that says what `intent` means.
pub fn restate(intent: &Intent) -> String {
    let mut out: Vec<String> = Vec::new();
    let r = &intent.resources;
    let verb = match intent.action {
        Action::Allow => "allow",
        Action::Block => "block",
        Action::Audit => "audit",
    };
    match intent.domain {
        Domain::File if !r.sources.is_empty() => {
            let ops = file_ops(r, intent.action, true);
            match intent.action {
                Action::Block => {
                    out.push(list(&r.sources));
                    out.push(format!("may not {ops}"));
                }
                _ => {
                    out.push(verb.into());
                    out.push(list(&r.sources));
                    out.push(format!("to {ops}"));
                }
            }
            out.push(files(r));
        }
        Domain::File => {
            out.push(verb.into());
            out.push(file_ops(r, intent.action, false));
            out.push(files(r));
        }
        Domain::Process => {
            // The programs that run them: "block /usr/sbin/nginx from
            // executing /bin/sh".
            if r.sources.is_empty() {
                out.push(verb.into());
                out.push("execution of".into());
            } else {
                out.push(verb.into());
                out.push(list(&r.sources));
                out.push(
                    match intent.action {
                        Action::Block => "from executing",
                        Action::Allow => "to execute",
                        Action::Audit => "executing",
                    }
                    .into(),
                );
            }
            let mut all = r.binaries.clone();
            all.extend(r.paths.iter().cloned());
            all.extend(r.dirs.iter().cloned());
            out.push(list(&all));
            if !r.dirs.is_empty() && !r.recursive {
                out.push("(non-recursive)".into());
            }
        }
        Domain::Syscall => {
            out.push(verb.into());
            out.push("the system calls".into());
            out.push(list(&r.syscalls));
        }
        Domain::Capability => {
            out.push(verb.into());
            if r.all {
                out.push("all capabilities".into());
            } else {
                out.push("the capabilities".into());
                out.push(list(&r.capabilities));
            }
        }
        Domain::Network => {
            out.push(verb.into());
            if r.all {
                out.push("all".into());
            }
            out.push(
                match intent.direction {
                    Some(Direction::Ingress) => "ingress",
                    Some(Direction::Egress) => "egress",
                    Some(Direction::Both) => "traffic in both directions",
                    None => "traffic",
                }
                .into(),
            );
        }
    }
    out.push(scope(intent));
    if intent.domain == Domain::Network {
        out.push(network(r, intent.direction));
    }
    if let Some(e) = intent.engine {
        out.push(format!("with {}", e.name()));
    }
    let mut text = out
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(d) = &intent.deny {
        text.push_str(", but block ");
        if intent.domain == Domain::Network {
            text.push_str("traffic ");
            text.push_str(&network(d, intent.direction));
        } else {
            text.push_str(&file_ops(d, Action::Block, false));
            text.push(' ');
            text.push_str(&files(d));
        }
    }
    text
}

/// "reads of", "writes to", "access to" (or the verb after a source: "read").
fn file_ops(r: &Resources, action: Action, bare: bool) -> String {
    let s = match (r.read_only, action, bare) {
        (true, Action::Allow, false) => "reads of",
        (true, Action::Allow, true) => "read",
        (true, _, false) => "writes to",
        (true, _, true) => "write",
        (false, _, false) => "access to",
        (false, _, true) => "access",
    };
    s.to_string()
}

fn files(r: &Resources) -> String {
    let mut all = r.paths.clone();
    all.extend(r.dirs.iter().cloned());
    let mut s = list(&all);
    if !r.dirs.is_empty() && !r.recursive {
        s.push_str(" (non-recursive)");
    }
    if r.owner_only {
        s.push_str(" (owner only)");
    }
    s
}

fn labels(l: &BTreeMap<String, String>) -> String {
    l.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn scope(intent: &Intent) -> String {
    let s = &intent.scope;
    let mut out = Vec::new();
    let cue = if intent.domain == Domain::Network {
        match intent.direction {
            Some(Direction::Egress) => "from",
            Some(Direction::Ingress) | None => "to",
            Some(Direction::Both) => "for",
        }
    } else {
        "for"
    };
    if s.all_pods {
        out.push("for all pods".to_string());
    } else if !s.labels.is_empty() {
        out.push(format!("{cue} pods labelled {}", labels(&s.labels)));
    } else if !s.pod_names.is_empty() {
        out.push(format!("{cue} pod {}", s.pod_names.join(", pod ")));
    } else {
        out.push(cue.to_string());
    }
    if let Some(sel) = &s.selector {
        out.push(sel.clone());
    }
    if let Some(ns) = &s.namespace {
        out.push(format!("in namespace {ns}"));
    }
    if s.cluster_wide {
        out.push("across the cluster".into());
    }
    out.join(" ")
}

fn peer(p: &PeerSelector) -> String {
    let mut out = Vec::new();
    if !p.labels.is_empty() {
        out.push(format!("pods labelled {}", labels(&p.labels)));
        if let Some(ns) = &p.namespace {
            out.push(format!("in namespace {ns}"));
        }
    } else if let Some(ns) = &p.namespace {
        out.push(format!("namespace {ns}"));
    }
    // ("pods labelled a=1 in namespaces labelled b=2": one peer.)
    let of_pods = if p.labels.is_empty() { "" } else { "in " };
    if !p.namespace_labels.is_empty() {
        out.push(format!(
            "{of_pods}namespaces labelled {}",
            labels(&p.namespace_labels)
        ));
    }
    if p.any_namespace {
        out.push(format!("{of_pods}any namespace"));
    }
    if out.is_empty() {
        // A peer that selects nothing in particular: every pod of the
        // policy's own namespace.
        out.push("all pods in the same namespace".into());
    }
    out.join(" ")
}

/// The peers, ports and protocols of network resources `r`, with the cue
/// of `direction` ("to" for egress, "from" otherwise).
fn network(r: &Resources, direction: Option<Direction>) -> String {
    let mut out = Vec::new();
    let cue = match direction {
        Some(Direction::Egress) => "to",
        _ => "from",
    };
    let mut peers: Vec<String> = r.peers.iter().map(peer).collect();
    for c in &r.cidrs {
        let inside: Vec<&String> = r
            .except_cidrs
            .iter()
            .filter(|e| {
                let (Some(c), Some(e)) = (
                    kubescribe_core::cidr::Cidr::parse(c),
                    kubescribe_core::cidr::Cidr::parse(e),
                ) else {
                    return false;
                };
                c.prefix <= e.prefix && c.contains(e.addr)
            })
            .collect();
        if inside.is_empty() {
            peers.push(c.clone());
        } else {
            peers.push(format!(
                "{c} except {}",
                inside
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
    }
    peers.extend(r.entities.iter().map(|e| format!("the {}", e.name())));
    peers.extend(r.fqdns.iter().cloned());
    for p in &peers {
        out.push(format!("{cue} {p}"));
    }
    let ports: Vec<String> = r
        .ports
        .iter()
        .map(|p| {
            let proto = p.protocol.as_str().to_lowercase();
            match p.end_port {
                Some(e) => format!("{}-{e}/{proto}", p.port),
                None => format!("{}/{proto}", p.port),
            }
        })
        .collect();
    // ("on the port named http", not "on port the port named http".)
    let named: Vec<String> = r
        .named_ports
        .iter()
        .map(|n| format!("the port named {}", n.name))
        .collect();
    match (ports.is_empty(), named.is_empty()) {
        (false, true) => out.push(format!("on port {}", ports.join(", "))),
        (false, false) => out.push(format!("on port {} and {}", ports.join(", "), list(&named))),
        (true, false) => out.push(format!("on {}", list(&named))),
        (true, true) => {}
    }
    if !r.protocols.is_empty() {
        let p: Vec<&str> = r.protocols.iter().map(|p| p.as_str()).collect();
        out.push(format!("over {}", p.join(" and ")));
    }
    out.join(" ")
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
