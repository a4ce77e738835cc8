//! Kubernetes `NetworkPolicy` (allow-only) in the intent's namespace.
//!
//! | intent | policy |
//! |---|---|
//! | scope labels / `allPods` | `podSelector.matchLabels` / `podSelector: {}` |
//! | direction | `policyTypes` |
//! | peers | `podSelector` (+ `namespaceSelector`: `kubernetes.io/metadata.name` for a peer namespace, its `matchLabels` for `namespaceLabels`, `{}` for `anyNamespace`) |
//! | CIDRs / excepts | `ipBlock.cidr` / `ipBlock.except` (each except under the CIDRs containing it) |
//! | ports / ranges / named ports | `ports` (`protocol`, `port`, `endPort`; a named port is its name) |
//! | protocols (TCP, UDP, SCTP) | a `ports` entry with the protocol and no port |
//! | `all` with allow / block | `ingress: [{}]` (allow all) / the direction in `policyTypes` with no rules (default deny) |
//!
//! Block (other than `all`), audit, deny parts, FQDNs, entities, ICMP and
//! cluster-wide scope are unsupported (the error names Cilium or Calico).

use serde_json::{Value, json};

use super::net::{PortRef, cidr_blocks, port_entries};
use super::{SynthError, dedup_stable, directions, metadata, scope_labels};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::Intent;

const E: Engine = Engine::Kubernetes;

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    let labels = scope_labels(intent, E)?;
    let r = &intent.resources;
    if intent.scope.namespace.is_none() {
        return Err(SynthError::Incomplete(
            "a NetworkPolicy needs a namespace in the scope".into(),
        ));
    }
    let mut ports: Vec<Value> = port_entries(r)
        .into_iter()
        .map(|e| {
            let mut v = json!({"protocol": e.protocol.as_str()});
            match e.port {
                Some(PortRef::Number(p, end)) => {
                    v["port"] = json!(p);
                    if let Some(end) = end {
                        v["endPort"] = json!(end);
                    }
                }
                Some(PortRef::Name(n)) => v["port"] = json!(n),
                None => {}
            }
            v
        })
        .collect();
    dedup_stable(&mut ports);
    let mut peers: Vec<Value> = r
        .peers
        .iter()
        .map(|p| {
            let mut v = json!({"podSelector": {"matchLabels": p.labels}});
            let mut ns_labels = p.namespace_labels.clone();
            if let Some(ns) = &p.namespace {
                ns_labels.insert("kubernetes.io/metadata.name".into(), ns.clone());
            }
            if !ns_labels.is_empty() {
                v["namespaceSelector"] = json!({"matchLabels": ns_labels});
            } else if p.any_namespace {
                v["namespaceSelector"] = json!({});
            }
            v
        })
        .collect();
    peers.extend(cidr_blocks(r).into_iter().map(|(cidr, except)| {
        if except.is_empty() {
            json!({"ipBlock": {"cidr": cidr}})
        } else {
            json!({"ipBlock": {"cidr": cidr, "except": except}})
        }
    }));
    dedup_stable(&mut peers);
    let rule = |key: &str| -> Value {
        let mut rule = json!({});
        if !peers.is_empty() {
            rule[key] = json!(peers);
        }
        if !ports.is_empty() {
            rule["ports"] = json!(ports);
        }
        rule
    };
    let (ingress, egress) = directions(intent);
    // `all` with block: the direction in policyTypes and no rule (default deny).
    let default_deny = r.all && intent.action == kubescribe_core::intent::Action::Block;
    let pod_selector = if labels.is_empty() {
        json!({})
    } else {
        json!({"matchLabels": labels})
    };
    let mut spec = json!({"podSelector": pod_selector, "policyTypes": []});
    for (on, ty, key, peer_key) in [
        (ingress, "Ingress", "ingress", "from"),
        (egress, "Egress", "egress", "to"),
    ] {
        if !on {
            continue;
        }
        if let Some(a) = spec["policyTypes"].as_array_mut() {
            a.push(json!(ty));
        }
        if !default_deny {
            spec[key] = json!([rule(peer_key)]);
        }
    }
    Ok(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(intent, E, true),
        "spec": spec,
    }))
}
