//! Port values each engine refuses when it reads a policy, although its
//! CRD's schema lets them through (layer 1, like the API server's rules):
//!
//! * Cilium `toPorts[].ports[]` (CiliumNetworkPolicy and the clusterwide
//!   kind, every rule list, `specs` too): `port` is a number the agent
//!   parses as 16 bits or an IANA service name (`PortProtocol.sanitize`,
//!   `pkg/policy/api/rule_validation.go`); the CRD's pattern is not
//!   anchored, so `"70700"` passes it. `endPort` is 0–65535 and not below
//!   a numeric `port`.
//! * Calico `source`/`destination` `ports` and `notPorts`
//!   (`numorstring.Port`, `libcalico-go/lib/numorstring/port.go`): a
//!   number 0–65535, a range `"a:b"` of two such numbers with `a <= b`, or
//!   a named port; the CRD declares them as any integer or any string.
//! * Calico's staged Kubernetes policy: the NetworkPolicy port rules
//!   ([`apiserver`](crate::apiserver)).
//! * Tetragon `matchArgs` with a port operator (`SPort`, `DPort`,
//!   `NotSPort`, `NotDPort`): each value a port or a range `"a:b"` of
//!   16-bit numbers.
//!
//! KubeArmor policies name protocols, never ports.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use kubescribe_core::{Engine, PolicyKind};

use crate::diagnostic::Diagnostic;

/// An IANA service name as Cilium reads one: at most 15 characters of
/// letters, digits and inner single hyphens, at least one letter.
static SVC_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$").unwrap());

fn is_svc_name(s: &str) -> bool {
    s.len() <= 15 && SVC_NAME.is_match(s) && s.chars().any(|c| c.is_ascii_alphabetic())
}

fn err(pointer: String, origin: &str, message: String, expected: &str) -> Diagnostic {
    Diagnostic::schema_error(pointer, "port", message)
        .origin(origin)
        .expected(expected)
}

/// A decimal port number, when `s` is one within 0–65535.
fn port_number(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Diagnostics for the port values of a policy of `kind`.
pub fn check(kind: Option<PolicyKind>, value: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    match kind {
        Some(PolicyKind::CalicoStagedKubernetesNetworkPolicy) => {
            for (p, port) in np_ports(value) {
                crate::apiserver::check_np_port(&p, port, &mut out);
            }
        }
        Some(k) if k.engine() == Engine::Cilium => cilium(value, &mut out),
        Some(k) if k.engine() == Engine::Calico => calico(value, &mut out),
        Some(k) if k.engine() == Engine::Tetragon => tetragon(value, "", &mut out),
        _ => {}
    }
    out
}

fn items<'a>(v: Option<&'a Value>, at: &str) -> impl Iterator<Item = (String, &'a Value)> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(move |(i, x)| (format!("{at}/{i}"), x))
}

fn np_ports(value: &Value) -> Vec<(String, &Value)> {
    let spec = value.get("spec");
    let mut out = Vec::new();
    for list in ["ingress", "egress"] {
        for (p, rule) in items(spec.and_then(|s| s.get(list)), &format!("/spec/{list}")) {
            out.extend(items(rule.get("ports"), &format!("{p}/ports")));
        }
    }
    out
}

fn cilium(value: &Value, out: &mut Vec<Diagnostic>) {
    let mut specs: Vec<(String, &Value)> = value
        .get("spec")
        .map(|s| ("/spec".to_string(), s))
        .into_iter()
        .collect();
    specs.extend(items(value.get("specs"), "/specs"));
    for (sp, spec) in specs {
        for list in ["ingress", "egress", "ingressDeny", "egressDeny"] {
            for (rp, rule) in items(spec.get(list), &format!("{sp}/{list}")) {
                for (tp, to_port) in items(rule.get("toPorts"), &format!("{rp}/toPorts")) {
                    for (pp, port) in items(to_port.get("ports"), &format!("{tp}/ports")) {
                        cilium_port(&pp, port, out);
                    }
                }
            }
        }
    }
}

fn cilium_port(p: &str, port: &Value, out: &mut Vec<Diagnostic>) {
    let expected =
        "a port number 0-65535 or an IANA service name (at most 15 letters, digits and hyphens)";
    let numeric = match port.get("port") {
        Some(Value::String(s)) if is_svc_name(s) && port_number(s).is_none() => None,
        Some(Value::String(s)) => match port_number(s) {
            Some(n) => Some(n),
            None => {
                out.push(err(
                    format!("{p}/port"),
                    "cilium",
                    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
                        format!("port {s} is outside 0-65535")
                    } else {
                        format!("{:?} is neither a port number nor a named port", s)
                    },
                    expected,
                ));
                None
            }
        },
        _ => None,
    };
    if let Some(end) = port.get("endPort").and_then(Value::as_i64) {
        if !(0..=65535).contains(&end) {
            out.push(err(
                format!("{p}/endPort"),
                "cilium",
                format!("endPort {end} is outside 0-65535"),
                "0-65535",
            ));
        } else if let Some(start) = numeric
            && end != 0
            && end < i64::from(start)
        {
            out.push(err(
                format!("{p}/endPort"),
                "cilium",
                format!("endPort {end} is below port {start}"),
                &format!(">= {start}"),
            ));
        }
    }
}

fn calico(value: &Value, out: &mut Vec<Diagnostic>) {
    let spec = value.get("spec");
    for list in ["ingress", "egress"] {
        for (rp, rule) in items(spec.and_then(|s| s.get(list)), &format!("/spec/{list}")) {
            for side in ["source", "destination"] {
                let Some(entity) = rule.get(side) else {
                    continue;
                };
                for field in ["ports", "notPorts"] {
                    for (pp, port) in items(entity.get(field), &format!("{rp}/{side}/{field}")) {
                        calico_port(&pp, port, out);
                    }
                }
            }
        }
    }
}

/// Why `s` is not a port or a `"a:b"` range of 16-bit numbers (`None`: it
/// is one).
fn range_problem(s: &str) -> Option<String> {
    match s.split_once(':') {
        Some((a, b)) => match (port_number(a), port_number(b)) {
            (Some(a), Some(b)) if a <= b => None,
            (Some(a), Some(b)) => Some(format!("range {a}:{b} ends below its start")),
            _ => Some(format!("range {s:?} is not two port numbers 0-65535")),
        },
        None if port_number(s).is_some() => None,
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(format!("port {s} is outside 0-65535"))
        }
        None => Some(format!("{s:?} is not a port number")),
    }
}

fn calico_port(p: &str, port: &Value, out: &mut Vec<Diagnostic>) {
    let expected = "a port number 0-65535, a range \"min:max\" or a named port";
    let problem = match port {
        Value::Number(n) => match n.as_u64() {
            Some(v) if v <= 65535 => None,
            _ => Some(format!("port {n} is outside 0-65535")),
        },
        Value::String(s) if s.contains(':') || s.bytes().all(|b| b.is_ascii_digit()) => {
            range_problem(s)
        }
        // A named port: Calico resolves it against the pods' container ports.
        Value::String(s) if !s.is_empty() => None,
        other => Some(format!("{other} is not a port")),
    };
    if let Some(message) = problem {
        out.push(err(p.to_string(), "calico", message, expected));
    }
}

const PORT_OPERATORS: &[&str] = &["SPort", "DPort", "NotSPort", "NotDPort"];

/// Every `matchArgs` entry with a port operator, anywhere in the spec.
fn tetragon(v: &Value, at: &str, out: &mut Vec<Diagnostic>) {
    match v {
        Value::Object(map) => {
            if let Some(op) = map.get("operator").and_then(Value::as_str)
                && PORT_OPERATORS.contains(&op)
            {
                for (vp, val) in items(map.get("values"), &format!("{at}/values")) {
                    let problem = match val.as_str() {
                        Some(s) => range_problem(s),
                        None => Some(format!("{val} is not a string")),
                    };
                    if let Some(message) = problem {
                        out.push(err(
                            vp,
                            "tetragon",
                            format!("{op} value: {message}"),
                            "a port number 0-65535 or a range \"min:max\"",
                        ));
                    }
                }
            }
            for (k, x) in map {
                tetragon(x, &format!("{at}/{}", escape(k)), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                tetragon(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// A JSON-pointer token (RFC 6901).
fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(kind: PolicyKind, v: Value) -> Vec<String> {
        check(Some(kind), &v)
            .into_iter()
            .map(|d| d.pointer)
            .collect()
    }

    #[test]
    fn cilium_ports() {
        let v = json!({"spec": {"egress": [{"toPorts": [{"ports": [
            {"port": "70700"}, {"port": "443", "endPort": 400}, {"port": "http"},
            {"port": "8080", "endPort": 8090}, {"port": "0"}, {"port": "no_such!"},
            {"port": "80", "endPort": 70000}
        ]}]}]}, "specs": [{"ingressDeny": [{"toPorts": [{"ports": [{"port": "65536"}]}]}]}]});
        assert_eq!(
            pointers(PolicyKind::CiliumNetworkPolicy, v),
            [
                "/spec/egress/0/toPorts/0/ports/0/port",
                "/spec/egress/0/toPorts/0/ports/1/endPort",
                "/spec/egress/0/toPorts/0/ports/5/port",
                "/spec/egress/0/toPorts/0/ports/6/endPort",
                "/specs/0/ingressDeny/0/toPorts/0/ports/0/port",
            ]
        );
    }

    #[test]
    fn calico_ports() {
        let v = json!({"spec": {"ingress": [{"destination": {"ports": [
            80, 70000, "8000:8100", "9000:100", "1:70000", "http", "65536"
        ]}, "source": {"notPorts": [-1]}}]}});
        assert_eq!(
            pointers(PolicyKind::CalicoGlobalNetworkPolicy, v),
            [
                "/spec/ingress/0/source/notPorts/0",
                "/spec/ingress/0/destination/ports/1",
                "/spec/ingress/0/destination/ports/3",
                "/spec/ingress/0/destination/ports/4",
                "/spec/ingress/0/destination/ports/6",
            ]
        );
    }

    #[test]
    fn staged_kubernetes_and_tetragon_ports() {
        let v = json!({"spec": {"ingress": [{"ports": [{"port": 70000}, {"port": 80}]}]}});
        assert_eq!(
            pointers(PolicyKind::CalicoStagedKubernetesNetworkPolicy, v),
            ["/spec/ingress/0/ports/0/port"]
        );
        let v = json!({"spec": {"kprobes": [{"selectors": [{"matchArgs": [
            {"index": 0, "operator": "DPort", "values": ["80", "70000", "1000:2000"]},
            {"index": 0, "operator": "Equal", "values": ["70000"]}
        ]}]}]}});
        assert_eq!(
            pointers(PolicyKind::TracingPolicy, v),
            ["/spec/kprobes/0/selectors/0/matchArgs/0/values/1"]
        );
    }
}
