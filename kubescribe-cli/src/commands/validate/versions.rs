//! `validate --kubernetes-version X.Y`: fields of the built-in kinds that
//! an API server of that version does not know. Such a server drops them
//! silently (a NetworkPolicy port range becomes its first port), so each is
//! an error at its JSON pointer, saying from which version it exists.

use serde_json::Value;

use kubescribe_validate::Diagnostic;

/// `1.20`, `v1.20`, `1.20.2` → (1, 20).
pub(super) fn parse(s: &str) -> Result<(u32, u32), String> {
    let t = s.trim().trim_start_matches('v');
    let mut parts = t.split('.');
    let major = parts.next().and_then(|p| p.parse().ok());
    let minor = parts.next().and_then(|p| p.parse().ok());
    match (major, minor) {
        (Some(1), Some(m)) => Ok((1, m)),
        _ => Err(format!(
            "`{s}` is not a Kubernetes version (write it as 1.30 or v1.30.2)"
        )),
    }
}

/// The version-gated fields of `doc` a `version` server lacks.
pub(super) fn findings(doc: &Value, version: (u32, u32)) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let is = |av: &str, kind: &str| {
        doc.get("apiVersion").and_then(Value::as_str) == Some(av)
            && doc.get("kind").and_then(Value::as_str) == Some(kind)
    };
    let v = |minor: u32| format!("1.{minor}");
    let too_old = |minor: u32| version < (1, minor);
    let mut flag = |pointer: String, what: &str, minor: u32, effect: &str| {
        out.push(Diagnostic::schema_error(
            pointer,
            "kubernetes-version",
            format!(
                "{what} needs Kubernetes {} or later (--kubernetes-version {}.{}): {effect}",
                v(minor),
                version.0,
                version.1
            ),
        ));
    };
    if is("networking.k8s.io/v1", "NetworkPolicy") {
        if too_old(8) {
            for key in ["egress", "policyTypes"] {
                if doc.pointer(&format!("/spec/{key}")).is_some() {
                    flag(
                        format!("/spec/{key}"),
                        &format!("`{key}`"),
                        8,
                        "the API server drops it",
                    );
                }
            }
        }
        if too_old(22) {
            // endPort: alpha in 1.21 (off by default), beta and on from 1.22.
            for dir in ["ingress", "egress"] {
                let rules = doc
                    .pointer(&format!("/spec/{dir}"))
                    .and_then(Value::as_array);
                for (i, rule) in rules.into_iter().flatten().enumerate() {
                    let ports = rule.get("ports").and_then(Value::as_array);
                    for (j, port) in ports.into_iter().flatten().enumerate() {
                        if port.get("endPort").is_some() {
                            flag(
                                format!("/spec/{dir}/{i}/ports/{j}/endPort"),
                                "`endPort` (a port range)",
                                22,
                                "the API server drops it and the rule covers only `port`",
                            );
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn port_ranges_need_1_22() {
        let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "r"},
            "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 8000, "endPort": 8100}]}]}});
        let d = findings(&np, parse("1.20").unwrap());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].pointer, "/spec/egress/0/ports/0/endPort");
        assert!(d[0].message.contains("1.22"), "{}", d[0].message);
        assert!(findings(&np, parse("v1.22.0").unwrap()).is_empty());
        assert!(parse("2.0").is_err() && parse("x").is_err());
    }
}
