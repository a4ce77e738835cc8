//! Calico `NetworkPolicy` in the intent's namespace (`GlobalNetworkPolicy`
//! for `scope.clusterWide`, or without a namespace), `projectcalico.org/v3`.
//!
//! | intent | policy |
//! |---|---|
//! | scope labels / selector expression / `allPods` | `selector` (`k == 'v' && …`, the expression ANDed; `all()` when empty) |
//! | direction | `types` |
//! | peers | `source`/`destination` `selector` (+ `namespaceSelector`: `kubernetes.io/metadata.name == '…'` for a peer namespace, its labels for `namespaceLabels`, `all()` for `anyNamespace`) |
//! | CIDRs / excepts | `nets`; a CIDR with excepts: its own rule with `nets: [cidr]` and `notNets` |
//! | ports / ranges / named ports | `destination.ports` (`a:b` ranges, names as strings), one rule per protocol, each port once |
//! | protocols (TCP, UDP, SCTP, ICMP) | a rule with the `protocol` and no ports |
//! | allow / block / audit | `action: Allow / Deny / Log` (block and audit end with a `Pass` rule, so what is not named goes on to the next tier) |
//! | `deny` part of an allow intent | `Deny` rules ordered before the `Allow` rules |
//! | `all` with allow / block / audit | one rule with no match (`Allow`; `Log` then `Pass`) / the direction in `types` with no rules (default deny) |
//!
//! FQDNs (domain rules are a Calico Enterprise feature) and entities are
//! unsupported.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::net::{PortRef, cidr_blocks, port_entries};
use super::{SynthError, dedup_stable, directions, metadata};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Intent, Protocol, Resources};
use kubescribe_core::selector::Selector;

const E: Engine = Engine::Calico;

fn selector_expr(labels: &BTreeMap<String, String>, extra: Option<&Selector>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k} == '{v}'"))
        .collect();
    if let Some(e) = extra.filter(|e| !e.is_all()) {
        parts.push(match e {
            Selector::Or(_) => format!("({e})"),
            _ => e.to_string(),
        });
    }
    if parts.is_empty() {
        "all()".into()
    } else {
        parts.join(" && ")
    }
}

/// The scope's selector expression (Kubernetes' string form, `app in (a,
/// b), tier != db`), read so that it can be written in Calico's syntax.
fn scope_selector(intent: &Intent) -> Result<Option<Selector>, SynthError> {
    intent
        .scope
        .selector
        .as_deref()
        .map(Selector::parse_kubernetes)
        .transpose()
        .map_err(|e| SynthError::Incomplete(format!("scope.selector: {e}")))
}

/// The rules of one direction matching `r`, each with `action`.
fn rules(r: &Resources, action: &str, inbound: bool) -> Vec<Value> {
    if r.all {
        return vec![json!({"action": action})];
    }
    // Group ports by protocol: a Calico rule has one protocol. `None`: every
    // port of the protocol.
    let mut by_proto: BTreeMap<Protocol, Option<Vec<Value>>> = BTreeMap::new();
    for e in port_entries(r) {
        let slot = by_proto
            .entry(e.protocol)
            .or_insert_with(|| Some(Vec::new()));
        // ICMP has no ports: an ICMP entry is all of ICMP.
        let port = match e.port {
            Some(_) if e.protocol == Protocol::Icmp => None,
            p => p,
        };
        let (Some(port), Some(list)) = (port, slot.as_mut()) else {
            *slot = None;
            continue;
        };
        list.push(match port {
            PortRef::Number(p, None) => json!(p),
            PortRef::Number(p, Some(end)) => json!(format!("{p}:{end}")),
            PortRef::Name(n) => json!(n),
        });
    }
    for list in by_proto.values_mut().flatten() {
        dedup_stable(list);
    }
    let mut sides: Vec<Value> = r
        .peers
        .iter()
        .map(|p| {
            let mut v = json!({"selector": selector_expr(&p.labels, None)});
            let mut ns = p.namespace_labels.clone();
            if let Some(name) = &p.namespace {
                ns.insert("kubernetes.io/metadata.name".into(), name.clone());
            }
            if !ns.is_empty() {
                v["namespaceSelector"] = json!(selector_expr(&ns, None));
            } else if p.any_namespace {
                v["namespaceSelector"] = json!("all()");
            }
            v
        })
        .collect();
    let blocks = cidr_blocks(r);
    let plain: Vec<&String> = blocks
        .iter()
        .filter(|(_, e)| e.is_empty())
        .map(|(c, _)| c)
        .collect();
    if !plain.is_empty() {
        sides.push(json!({"nets": plain}));
    }
    for (c, except) in blocks.iter().filter(|(_, e)| !e.is_empty()) {
        sides.push(json!({"nets": [c], "notNets": except}));
    }
    if sides.is_empty() {
        sides.push(json!({}));
    }
    dedup_stable(&mut sides);
    let protos: Vec<(Option<Protocol>, Vec<Value>)> = if by_proto.is_empty() {
        vec![(None, Vec::new())]
    } else {
        by_proto
            .into_iter()
            .map(|(p, ports)| (Some(p), ports.unwrap_or_default()))
            .collect()
    };
    let mut out = Vec::new();
    for peer in &sides {
        for (proto, ports) in &protos {
            let mut rule = json!({"action": action});
            if let Some(p) = proto {
                rule["protocol"] = json!(p.as_str());
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
    dedup_stable(&mut out);
    out
}

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    if !intent.scope.pod_names.is_empty() {
        return Err(SynthError::Incomplete(
            "the scope names pods; resolve them to labels first".into(),
        ));
    }
    let r = &intent.resources;
    let action = match intent.action {
        Action::Allow => "Allow",
        Action::Block => "Deny",
        Action::Audit => "Log",
    };
    let default_deny = intent.action == Action::Block && r.all;
    let direction_rules = |inbound: bool| -> Vec<Value> {
        if default_deny {
            // The direction in `types` and no rule: end of tier denies.
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Some(deny) = &intent.deny {
            // Calico evaluates rules in order: the carve-outs first.
            out.extend(rules(deny, "Deny", inbound));
        }
        out.extend(rules(r, action, inbound));
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
        "selector": selector_expr(&intent.scope.labels, scope_selector(intent)?.as_ref()),
        "types": [],
    });
    for (on, ty, key, inbound) in [
        (ingress, "Ingress", "ingress", true),
        (egress, "Egress", "egress", false),
    ] {
        if !on {
            continue;
        }
        if let Some(a) = spec["types"].as_array_mut() {
            a.push(json!(ty));
        }
        let rules = direction_rules(inbound);
        if !rules.is_empty() {
            spec[key] = json!(rules);
        }
    }
    let namespaced = intent.scope.namespace.is_some() && !intent.scope.cluster_wide;
    Ok(json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": if namespaced { "NetworkPolicy" } else { "GlobalNetworkPolicy" },
        "metadata": metadata(intent, E, namespaced),
        "spec": spec,
    }))
}
