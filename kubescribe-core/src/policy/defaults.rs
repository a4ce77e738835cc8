//! The defaults an API server fills in that no schema `default` states:
//! what a cluster stores, and so what the engines enforce, when a field is
//! left out. Simulation and validation both apply them first.
//!
//! * Kubernetes `NetworkPolicy` (`SetDefaults_NetworkPolicy`,
//!   `SetDefaults_NetworkPolicyPort` in kubernetes
//!   `pkg/apis/networking/v1/defaults.go`): `policyTypes` absent or `[]`
//!   becomes `[Ingress]`, plus `Egress` when `egress` holds a rule; a port's
//!   `protocol` defaults to `TCP`.
//! * Calico `NetworkPolicy` / `GlobalNetworkPolicy` and their staged kinds
//!   (projectcalico.org/v3; Calico's `defaultPolicyTypesField`): `types`
//!   absent or `[]` becomes `[Ingress]` without egress rules, `[Egress]` with
//!   egress rules only, `[Ingress, Egress]` with both.
//!
//! Cilium policies have no such defaults (an absent `toPorts` protocol is
//! `ANY`, which the simulator reads as such).

use serde_json::{Value, json};

/// One default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaulted {
    /// JSON pointer of the field set.
    pub pointer: String,
    /// What was given (`None`: absent).
    pub given: Option<Value>,
    /// What the API server stores.
    pub value: Value,
}

impl std::fmt::Display for Defaulted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.given {
            Some(g) => write!(f, "{}: {g} is stored as {}", self.pointer, self.value),
            None => write!(f, "{}: absent, stored as {}", self.pointer, self.value),
        }
    }
}

fn non_empty(v: Option<&Value>) -> bool {
    v.and_then(Value::as_array).is_some_and(|a| !a.is_empty())
}

fn is_unset_list(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// Fills in the API server's defaults for the document's kind; returns what
/// it changed (nothing for kinds without such defaults).
pub fn apply(doc: &mut Value) -> Vec<Defaulted> {
    let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (api, kind) = (text("apiVersion"), text("kind"));
    let group = api.split('/').next().unwrap_or("").to_string();
    let mut out = Vec::new();
    let Some(spec) = doc.get_mut("spec").and_then(Value::as_object_mut) else {
        return out;
    };
    match (group.as_str(), kind.as_str()) {
        ("networking.k8s.io", "NetworkPolicy") => {
            if is_unset_list(spec.get("policyTypes")) {
                let mut types = vec![json!("Ingress")];
                if non_empty(spec.get("egress")) {
                    types.push(json!("Egress"));
                }
                let value = Value::Array(types);
                out.push(Defaulted {
                    pointer: "/spec/policyTypes".into(),
                    given: spec.get("policyTypes").cloned(),
                    value: value.clone(),
                });
                spec.insert("policyTypes".into(), value);
            }
            for dir in ["ingress", "egress"] {
                let Some(rules) = spec.get_mut(dir).and_then(Value::as_array_mut) else {
                    continue;
                };
                for (i, rule) in rules.iter_mut().enumerate() {
                    let Some(ports) = rule.get_mut("ports").and_then(Value::as_array_mut) else {
                        continue;
                    };
                    for (j, port) in ports.iter_mut().enumerate() {
                        let Some(p) = port.as_object_mut() else {
                            continue;
                        };
                        if p.get("protocol").is_none_or(Value::is_null) {
                            p.insert("protocol".into(), json!("TCP"));
                            out.push(Defaulted {
                                pointer: format!("/spec/{dir}/{i}/ports/{j}/protocol"),
                                given: None,
                                value: json!("TCP"),
                            });
                        }
                    }
                }
            }
        }
        (
            "projectcalico.org" | "crd.projectcalico.org",
            "NetworkPolicy"
            | "GlobalNetworkPolicy"
            | "StagedNetworkPolicy"
            | "StagedGlobalNetworkPolicy",
        ) if is_unset_list(spec.get("types")) => {
            let (ing, eg) = (
                non_empty(spec.get("ingress")),
                non_empty(spec.get("egress")),
            );
            let value = match (ing, eg) {
                (_, false) => json!(["Ingress"]),
                (false, true) => json!(["Egress"]),
                (true, true) => json!(["Ingress", "Egress"]),
            };
            out.push(Defaulted {
                pointer: "/spec/types".into(),
                given: spec.get("types").cloned(),
                value: value.clone(),
            });
            spec.insert("types".into(), value);
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn np(spec: Value) -> Value {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "p"}, "spec": spec})
    }

    #[test]
    fn network_policy_types_and_protocols() {
        let mut d = np(json!({"podSelector": {}, "policyTypes": [],
            "ingress": [{"ports": [{"port": 80}]}]}));
        let changed = apply(&mut d);
        assert_eq!(d["spec"]["policyTypes"], json!(["Ingress"]));
        assert_eq!(d["spec"]["ingress"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(changed.len(), 2);
        assert_eq!(
            changed[0].to_string(),
            r#"/spec/policyTypes: [] is stored as ["Ingress"]"#
        );
        // Egress only when an egress rule exists (`egress: []` has none).
        let mut d = np(json!({"podSelector": {}, "egress": [{}]}));
        apply(&mut d);
        assert_eq!(d["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        let mut d = np(json!({"podSelector": {}, "egress": []}));
        apply(&mut d);
        assert_eq!(d["spec"]["policyTypes"], json!(["Ingress"]));
        // Given types stay.
        let mut d = np(json!({"podSelector": {}, "policyTypes": ["Egress"]}));
        assert!(apply(&mut d).is_empty());
    }

    #[test]
    fn calico_types() {
        let gnp = |spec: Value| {
            json!({"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                   "metadata": {"name": "p"}, "spec": spec})
        };
        for (spec, want) in [
            (json!({}), json!(["Ingress"])),
            (json!({"egress": [{"action": "Allow"}]}), json!(["Egress"])),
            (
                json!({"ingress": [{"action": "Allow"}], "egress": [{"action": "Allow"}], "types": []}),
                json!(["Ingress", "Egress"]),
            ),
        ] {
            let mut d = gnp(spec);
            apply(&mut d);
            assert_eq!(d["spec"]["types"], want);
        }
    }
}
