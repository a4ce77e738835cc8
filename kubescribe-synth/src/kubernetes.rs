//! Kubernetes `NetworkPolicy` (allow-only) in the intent's namespace.
//!
//! | intent | policy |
//! |---|---|
//! | scope labels | `podSelector.matchLabels` |
//! | direction | `policyTypes` |
//! | peers | `podSelector` (+ `namespaceSelector` on `kubernetes.io/metadata.name` for a peer namespace) |
//! | CIDRs | `ipBlock.cidr` |
//! | ports | `ports` (`protocol`, `port`, `endPort`) |
//!
//! Block and audit intents, FQDNs and ICMP are unsupported (use Cilium or Calico).

use serde_json::{Value, json};

use super::{
    SynthError, directions, metadata, proto_upper, require_network_resources, scope_labels,
};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Intent, Protocol};

const E: Engine = Engine::Kubernetes;

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    require_network_resources(intent)?;
    let labels = scope_labels(intent, E)?;
    let r = &intent.resources;
    if intent.action != Action::Allow {
        return Err(SynthError::Unsupported {
            engine: E,
            what: format!("{:?} rules (NetworkPolicy only allows)", intent.action).to_lowercase(),
            hint: Some("use Cilium (deny rules) or Calico (Deny/Log actions)".into()),
        });
    }
    if !r.fqdns.is_empty() {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "FQDNs".into(),
            hint: Some("use Cilium toFQDNs".into()),
        });
    }
    if r.ports.iter().any(|p| p.protocol == Protocol::Icmp) {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "ICMP".into(),
            hint: Some("use Cilium or Calico".into()),
        });
    }
    let Some(ns) = &intent.scope.namespace else {
        return Err(SynthError::Incomplete(
            "a NetworkPolicy needs a namespace in the scope".into(),
        ));
    };
    let _ = ns;
    let ports: Vec<Value> = r
        .ports
        .iter()
        .map(|p| {
            let mut v = json!({"protocol": proto_upper(p.protocol), "port": p.port});
            if let Some(e) = p.end_port {
                v["endPort"] = json!(e);
            }
            v
        })
        .collect();
    let mut peers: Vec<Value> = r
        .peers
        .iter()
        .map(|p| {
            let mut v = json!({"podSelector": {"matchLabels": p.labels}});
            if let Some(ns) = &p.namespace {
                v["namespaceSelector"] =
                    json!({"matchLabels": {"kubernetes.io/metadata.name": ns}});
            }
            v
        })
        .collect();
    peers.extend(r.cidrs.iter().map(|c| json!({"ipBlock": {"cidr": c}})));
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
    let mut spec = json!({"podSelector": {"matchLabels": labels}, "policyTypes": []});
    if ingress {
        if let Some(a) = spec["policyTypes"].as_array_mut() {
            a.push(json!("Ingress"));
        }
        spec["ingress"] = json!([rule("from")]);
    }
    if egress {
        if let Some(a) = spec["policyTypes"].as_array_mut() {
            a.push(json!("Egress"));
        }
        spec["egress"] = json!([rule("to")]);
    }
    Ok(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(intent, E, true),
        "spec": spec,
    }))
}
