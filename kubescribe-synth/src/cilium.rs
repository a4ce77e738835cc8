//! Cilium: `CiliumNetworkPolicy` in the intent's namespace
//! (`CiliumClusterwideNetworkPolicy` for `scope.clusterWide`, or without a
//! namespace).
//!
//! | intent | policy |
//! |---|---|
//! | scope labels / `allPods` | `endpointSelector.matchLabels` / `endpointSelector: {}` |
//! | peers | `fromEndpoints` / `toEndpoints` (`k8s:io.kubernetes.pod.namespace` for a peer namespace, `k8s:io.cilium.k8s.namespace.labels.<key>` for `namespaceLabels`; the namespace key `Exists` for `anyNamespace` and beside `namespaceLabels`, since Cilium confines a selector without it to the policy's namespace) |
//! | CIDRs / excepts | `fromCIDR` / `toCIDR`; a CIDR with excepts: `fromCIDRSet` / `toCIDRSet` `{cidr, except}` |
//! | entities | `fromEntities` / `toEntities` |
//! | FQDNs (egress) | `toFQDNs` (`matchName`, or `matchPattern` with `*`) plus the DNS rule to kube-dns that FQDN policies need |
//! | ports / ranges / named ports | `toPorts` (`port`, `endPort`, `protocol`; a named port is its name) |
//! | protocols (TCP, UDP, SCTP) | `toPorts` with port `"0"` (every port) and the protocol |
//! | ICMP | `icmps` listing every ICMPv4 type (0-255; Cilium's ICMP rules need a type), in a rule of its own beside any ports |
//! | allow / block | `ingress`/`egress` / `ingressDeny`/`egressDeny` (with `enableDefaultDeny: false`, so what is not named stays as it was) |
//! | `deny` part of an allow intent | `ingressDeny`/`egressDeny` beside the allow rules |
//! | `all` with allow / block | `fromEntities: [all]` / `ingress: [{}]` (a rule that selects no peer: default deny) |
//!
//! Audit (no per-policy audit mode), denying FQDNs and FQDNs on ingress
//! are unsupported.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::net::{PortRef, cidr_blocks, port_entries};
use super::{SynthError, dedup_stable, directions, metadata, scope_labels};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Intent, Protocol, Resources};

const E: Engine = Engine::Cilium;
const NS_LABEL: &str = "k8s:io.kubernetes.pod.namespace";
const NS_LABELS_PREFIX: &str = "k8s:io.cilium.k8s.namespace.labels.";

/// The L3/L4 rules of one direction for `r` (`all`: every peer): one, or
/// two when ICMP is named beside ports (an ICMP rule and a ports rule).
fn direction_rules(r: &Resources, dir_in: bool) -> Vec<Value> {
    let key = |i: &str, e: &str| if dir_in { i.to_string() } else { e.to_string() };
    let mut rule = json!({});
    if r.all {
        rule[key("fromEntities", "toEntities")] = json!(["all"]);
        return vec![rule];
    }
    let mut peers: Vec<Value> = r
        .peers
        .iter()
        .map(|p| {
            let mut m: BTreeMap<String, String> = p.labels.clone();
            if let Some(ns) = &p.namespace {
                m.insert(NS_LABEL.into(), ns.clone());
            }
            for (k, v) in &p.namespace_labels {
                m.insert(format!("{NS_LABELS_PREFIX}{k}"), v.clone());
            }
            let mut sel = json!({"matchLabels": m});
            // A selector without the namespace key is confined to the
            // policy's own namespace (Cilium adds it): a peer in any namespace,
            // or in the namespaces a label picks, names the key itself.
            if p.namespace.is_none() && (p.any_namespace || !p.namespace_labels.is_empty()) {
                sel["matchExpressions"] = json!([{"key": NS_LABEL, "operator": "Exists"}]);
            }
            sel
        })
        .collect();
    dedup_stable(&mut peers);
    if !peers.is_empty() {
        rule[key("fromEndpoints", "toEndpoints")] = json!(peers);
    }
    let blocks = cidr_blocks(r);
    let plain: Vec<&String> = blocks
        .iter()
        .filter(|(_, e)| e.is_empty())
        .map(|(c, _)| c)
        .collect();
    let sets: Vec<Value> = blocks
        .iter()
        .filter(|(_, e)| !e.is_empty())
        .map(|(c, e)| json!({"cidr": c, "except": e}))
        .collect();
    if !plain.is_empty() {
        rule[key("fromCIDR", "toCIDR")] = json!(plain);
    }
    if !sets.is_empty() {
        rule[key("fromCIDRSet", "toCIDRSet")] = json!(sets);
    }
    if !r.entities.is_empty() {
        let mut names: Vec<&str> = r.entities.iter().map(|e| e.name()).collect();
        dedup_stable(&mut names);
        rule[key("fromEntities", "toEntities")] = json!(names);
    }
    if !dir_in && !r.fqdns.is_empty() {
        let mut fqdns: Vec<Value> = r
            .fqdns
            .iter()
            .map(|f| {
                if f.contains('*') {
                    json!({"matchPattern": f})
                } else {
                    json!({"matchName": f})
                }
            })
            .collect();
        dedup_stable(&mut fqdns);
        rule["toFQDNs"] = json!(fqdns);
    }
    let entries = port_entries(r);
    let icmp = entries.iter().any(|e| e.protocol == Protocol::Icmp);
    let ports: Vec<Value> = entries
        .into_iter()
        .filter(|e| e.protocol != Protocol::Icmp)
        .map(|e| {
            let proto = e.protocol.as_str();
            match e.port {
                Some(PortRef::Number(p, end)) => {
                    let mut v = json!({"port": p.to_string(), "protocol": proto});
                    if let Some(end) = end {
                        v["endPort"] = json!(end);
                    }
                    v
                }
                Some(PortRef::Name(n)) => json!({"port": n, "protocol": proto}),
                // Port 0: every port of the protocol.
                None => json!({"port": "0", "protocol": proto}),
            }
        })
        .collect();
    if !ports.is_empty() {
        rule["toPorts"] = json!([{"ports": ports}]);
    }
    if rule.as_object().is_some_and(|m| m.is_empty()) && !icmp {
        // Nothing named (a peer with no labels aside): every peer.
        rule[key("fromEntities", "toEntities")] = json!(["all"]);
    }
    let mut rules = Vec::new();
    if icmp {
        // ICMP (v4, as the intent's protocol means) of every type: Cilium's
        // ICMP rules need a type, so all 256 are listed (40 fields a rule).
        let mut l3 = rule.clone();
        if let Some(m) = l3.as_object_mut() {
            m.remove("toPorts");
        }
        let types: Vec<Value> = (0..=255u16)
            .map(|t| json!({"family": "IPv4", "type": t}))
            .collect();
        l3["icmps"] = json!(
            types
                .chunks(40)
                .map(|c| json!({"fields": c}))
                .collect::<Vec<_>>()
        );
        if ports.is_empty() {
            return vec![l3];
        }
        rules.push(l3);
    }
    rules.push(rule);
    rules
}

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    let labels = scope_labels(intent, E)?;
    let r = &intent.resources;
    let block = intent.action == Action::Block;
    let fqdns = !r.fqdns.is_empty() || intent.deny.as_ref().is_some_and(|d| !d.fqdns.is_empty());
    if (block && !r.fqdns.is_empty()) || intent.deny.as_ref().is_some_and(|d| !d.fqdns.is_empty()) {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "denying FQDNs (toFQDNs is allow-only)".into(),
            hint: Some("allow-list the FQDNs instead".into()),
        });
    }
    let (ingress, egress) = directions(intent);
    if fqdns && !egress {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "FQDNs on ingress".into(),
            hint: None,
        });
    }
    let selector = if labels.is_empty() {
        json!({})
    } else {
        json!({"matchLabels": labels})
    };
    let mut spec = json!({"endpointSelector": selector});
    let default_deny = block && r.all;
    for (on, dir_in, allow_key, deny_key) in [
        (ingress, true, "ingress", "ingressDeny"),
        (egress, false, "egress", "egressDeny"),
    ] {
        if !on {
            continue;
        }
        if default_deny {
            // A rule that selects no peer: the endpoint is in default deny
            // for the direction, and other policies may still allow.
            spec[allow_key] = json!([{}]);
            continue;
        }
        let mut rules = direction_rules(r, dir_in);
        if !dir_in && !r.fqdns.is_empty() {
            // FQDN rules only work when Cilium's DNS proxy sees the lookups.
            rules.push(json!({
                "toEndpoints": [{"matchLabels": {NS_LABEL: "kube-system", "k8s:k8s-app": "kube-dns"}}],
                "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}],
            }));
        }
        spec[if block { deny_key } else { allow_key }] = json!(rules);
        if let Some(deny) = &intent.deny {
            spec[deny_key] = json!(direction_rules(deny, dir_in));
        }
    }
    if block && !default_deny {
        // Deny rules alone would put the endpoint into default deny for the
        // direction, blocking everything the intent did not name.
        let mut dd = json!({});
        if ingress {
            dd["ingress"] = json!(false);
        }
        if egress {
            dd["egress"] = json!(false);
        }
        spec["enableDefaultDeny"] = dd;
    }
    let namespaced = intent.scope.namespace.is_some() && !intent.scope.cluster_wide;
    Ok(json!({
        "apiVersion": "cilium.io/v2",
        "kind": if namespaced { "CiliumNetworkPolicy" } else { "CiliumClusterwideNetworkPolicy" },
        "metadata": metadata(intent, E, namespaced),
        "spec": spec,
    }))
}
