//! Cilium: `CiliumNetworkPolicy` in the intent's namespace (cluster-wide
//! `CiliumClusterwideNetworkPolicy` without one).
//!
//! | intent | policy |
//! |---|---|
//! | scope labels | `endpointSelector.matchLabels` |
//! | peers | `fromEndpoints` / `toEndpoints` (`k8s:io.kubernetes.pod.namespace` for a peer namespace) |
//! | CIDRs | `fromCIDR` / `toCIDR` |
//! | FQDNs (egress) | `toFQDNs` (`matchName`, or `matchPattern` with `*`) plus the DNS rule to kube-dns that FQDN policies need |
//! | ports | `toPorts` (`port`, `endPort`, `protocol`) |
//! | allow / block | `ingress`/`egress` / `ingressDeny`/`egressDeny` |
//!
//! Audit (no per-policy audit mode) and denying FQDNs are unsupported.

use serde_json::{Value, json};

use super::{
    SynthError, directions, metadata, proto_upper, require_network_resources, scope_labels,
};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Intent};

const E: Engine = Engine::Cilium;
const NS_LABEL: &str = "k8s:io.kubernetes.pod.namespace";

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    require_network_resources(intent)?;
    let labels = scope_labels(intent, E)?;
    let r = &intent.resources;
    if intent.action == Action::Audit {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "audit-only policies (audit mode is per endpoint, not per policy)".into(),
            hint: Some("enable policy-audit-mode, or use Calico's Log action".into()),
        });
    }
    let deny = intent.action == Action::Block;
    if deny && !r.fqdns.is_empty() {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "denying FQDNs (toFQDNs is allow-only)".into(),
            hint: Some("allow-list the FQDNs instead".into()),
        });
    }
    let (ingress, egress) = directions(intent);
    if ingress && !r.fqdns.is_empty() && !egress {
        return Err(SynthError::Unsupported {
            engine: E,
            what: "FQDNs on ingress".into(),
            hint: None,
        });
    }
    let ports: Vec<Value> = r
        .ports
        .iter()
        .map(|p| {
            let mut v = json!({"port": p.port.to_string(), "protocol": proto_upper(p.protocol)});
            if let Some(e) = p.end_port {
                v["endPort"] = json!(e);
            }
            v
        })
        .collect();
    let peers: Vec<Value> = r
        .peers
        .iter()
        .map(|p| {
            let mut m = serde_json::Map::new();
            for (k, v) in &p.labels {
                m.insert(k.clone(), json!(v));
            }
            if let Some(ns) = &p.namespace {
                m.insert(NS_LABEL.into(), json!(ns));
            }
            json!({"matchLabels": m})
        })
        .collect();
    let rule = |dir_in: bool| -> Value {
        let mut rule = json!({});
        if !peers.is_empty() {
            rule[if dir_in {
                "fromEndpoints"
            } else {
                "toEndpoints"
            }] = json!(peers);
        }
        if !r.cidrs.is_empty() {
            rule[if dir_in { "fromCIDR" } else { "toCIDR" }] = json!(r.cidrs);
        }
        if !dir_in && !r.fqdns.is_empty() {
            rule["toFQDNs"] = json!(
                r.fqdns
                    .iter()
                    .map(|f| if f.contains('*') {
                        json!({"matchPattern": f})
                    } else {
                        json!({"matchName": f})
                    })
                    .collect::<Vec<_>>()
            );
        }
        if !ports.is_empty() {
            rule["toPorts"] = json!([{"ports": ports}]);
        }
        if rule.as_object().is_some_and(|m| m.is_empty()) {
            rule[if dir_in { "fromEntities" } else { "toEntities" }] = json!(["all"]);
        }
        rule
    };
    let mut spec = json!({"endpointSelector": {"matchLabels": labels}});
    if ingress {
        spec[if deny { "ingressDeny" } else { "ingress" }] = json!([rule(true)]);
    }
    if egress {
        let mut rules = vec![rule(false)];
        if !r.fqdns.is_empty() {
            // FQDN rules only work when Cilium's DNS proxy sees the lookups.
            rules.push(json!({
                "toEndpoints": [{"matchLabels": {NS_LABEL: "kube-system", "k8s:k8s-app": "kube-dns"}}],
                "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}],
            }));
        }
        spec[if deny { "egressDeny" } else { "egress" }] = json!(rules);
    }
    if deny {
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
    let namespaced = intent.scope.namespace.is_some();
    Ok(json!({
        "apiVersion": "cilium.io/v2",
        "kind": if namespaced { "CiliumNetworkPolicy" } else { "CiliumClusterwideNetworkPolicy" },
        "metadata": metadata(intent, E, namespaced),
        "spec": spec,
    }))
}
