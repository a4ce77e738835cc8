//! Calico `NetworkPolicy` in the intent's namespace (`GlobalNetworkPolicy`
//! without one), `projectcalico.org/v3`.
//!
//! | intent | policy |
//! |---|---|
//! | scope labels / selector expression | `selector` (`k == 'v' && …`, the expression ANDed; `all()` when empty) |
//! | direction | `types` |
//! | peers | `source`/`destination` `selector` (+ `namespaceSelector` for a peer namespace) |
//! | CIDRs | `nets` |
//! | ports | `destination.ports` (`a:b` ranges), one rule per protocol |
//! | allow / block / audit | `action: Allow / Deny / Log` |
//!
//! FQDNs are unsupported (domain rules are a Calico Enterprise feature).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{SynthError, directions, metadata, proto_upper, require_network_resources};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Intent, Protocol};

const E: Engine = Engine::Calico;

fn selector_expr(labels: &BTreeMap<String, String>, extra: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k} == '{v}'"))
        .collect();
    if let Some(e) = extra.filter(|e| !e.trim().is_empty()) {
        parts.push(format!("({e})"));
    }
    if parts.is_empty() {
        "all()".into()
    } else {
        parts.join(" && ")
    }
}

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    require_network_resources(intent)?;
    if !intent.scope.pod_names.is_empty() {
        return Err(SynthError::Incomplete(
            "the scope names pods; resolve them to labels first".into(),
        ));
    }
    let r = &intent.resources;
    if !r.fqdns.is_empty() {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "FQDNs (domain rules are Calico Enterprise only)".into(),
            hint: Some("use Cilium toFQDNs".into()),
        });
    }
    let action = match intent.action {
        Action::Allow => "Allow",
        Action::Block => "Deny",
        Action::Audit => "Log",
    };
    // Group ports by protocol: a Calico rule has one protocol.
    let mut by_proto: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for p in &r.ports {
        let port = match p.end_port {
            Some(e) => json!(format!("{}:{e}", p.port)),
            None => json!(p.port),
        };
        let list = by_proto.entry(proto_upper(p.protocol)).or_default();
        if p.protocol != Protocol::Icmp {
            list.push(port);
        }
    }
    let peer_sides: Vec<Value> = if r.peers.is_empty() && r.cidrs.is_empty() {
        vec![json!({})]
    } else {
        let mut sides: Vec<Value> = r
            .peers
            .iter()
            .map(|p| {
                let mut v = json!({"selector": selector_expr(&p.labels, None)});
                if let Some(ns) = &p.namespace {
                    v["namespaceSelector"] =
                        json!(format!("kubernetes.io/metadata.name == '{ns}'"));
                }
                v
            })
            .collect();
        if !r.cidrs.is_empty() {
            sides.push(json!({"nets": r.cidrs}));
        }
        sides
    };
    let rules = |inbound: bool| -> Vec<Value> {
        let mut out = Vec::new();
        for peer in &peer_sides {
            let protos: Vec<(Option<&str>, Vec<Value>)> = if by_proto.is_empty() {
                vec![(None, Vec::new())]
            } else {
                by_proto
                    .iter()
                    .map(|(p, ports)| (Some(*p), ports.clone()))
                    .collect()
            };
            for (proto, ports) in protos {
                let mut rule = json!({"action": action});
                if let Some(p) = proto {
                    rule["protocol"] = json!(p);
                }
                let mut dest = if inbound { json!({}) } else { peer.clone() };
                if !ports.is_empty() {
                    dest["ports"] = json!(ports);
                }
                if inbound && peer.as_object().is_some_and(|m| !m.is_empty()) {
                    rule["source"] = peer.clone();
                }
                if dest.as_object().is_some_and(|m| !m.is_empty()) {
                    rule["destination"] = dest;
                }
                out.push(rule);
            }
        }
        if intent.action != Action::Allow {
            // A policy that selects the endpoint and ends without a verdict
            // denies (end of tier): pass what a block or audit intent does
            // not name on to the next tier (and finally the profile).
            out.push(json!({"action": "Pass"}));
        }
        out
    };
    let (ingress, egress) = directions(intent);
    let mut spec = json!({
        "selector": selector_expr(&intent.scope.labels, intent.scope.selector.as_deref()),
        "types": [],
    });
    if ingress {
        if let Some(a) = spec["types"].as_array_mut() {
            a.push(json!("Ingress"));
        }
        spec["ingress"] = json!(rules(true));
    }
    if egress {
        if let Some(a) = spec["types"].as_array_mut() {
            a.push(json!("Egress"));
        }
        spec["egress"] = json!(rules(false));
    }
    let namespaced = intent.scope.namespace.is_some();
    Ok(json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": if namespaced { "NetworkPolicy" } else { "GlobalNetworkPolicy" },
        "metadata": metadata(intent, E, namespaced),
        "spec": spec,
    }))
}
