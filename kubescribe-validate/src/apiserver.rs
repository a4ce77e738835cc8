//! Rules the Kubernetes API server enforces in code rather than in a schema,
//! applied on both the built-in and the user-CRD path (they are the server's
//! behaviour whatever the schema says):
//!
//! * `metadata.name` (or `generateName`) is required and a DNS-1123
//!   subdomain; `metadata.namespace` a DNS-1123 label; label keys are
//!   qualified names and label values at most 63 characters of `[-._a-zA-Z0-9]`;
//! * Kubernetes NetworkPolicy's validation (`ValidateNetworkPolicy`):
//!   protocols TCP/UDP/SCTP, ports 1–65535 or an IANA service name,
//!   `endPort` only with a numeric `port` and not below it, valid `ipBlock`
//!   CIDRs with `except` inside them, `policyTypes` Ingress/Egress.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use kubescribe_core::PolicyKind;

use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::schema_check::is_cidr;
use crate::suggest;

static DNS1123_SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").unwrap()
});
static DNS1123_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap());
static QUALIFIED_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").unwrap());
static LABEL_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$").unwrap());
static IANA_SVC_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$").unwrap());

fn err(pointer: impl Into<String>, rule: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::schema_error(pointer, rule, message).origin("apiserver")
}

/// Diagnostics for the API server's object rules.
pub fn check(kind: Option<PolicyKind>, value: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_metadata(kind, value, &mut out);
    if kind == Some(PolicyKind::NetworkPolicy) {
        check_network_policy(value, &mut out);
    }
    out
}

fn check_metadata(kind: Option<PolicyKind>, value: &Value, out: &mut Vec<Diagnostic>) {
    let Some(meta) = value.get("metadata").and_then(Value::as_object) else {
        if value.get("metadata").is_none() {
            out.push(
                err(
                    "/metadata",
                    "required",
                    "missing required field `metadata` (with `name`)",
                )
                .expected("`metadata.name` to be set"),
            );
        }
        return;
    };
    match meta.get("name").and_then(Value::as_str) {
        Some(name) => {
            if name.len() > 253 || !DNS1123_SUBDOMAIN.is_match(name) {
                let fixed = to_dns_name(name);
                out.push(
                    err("/metadata/name", "metadata.name", format!("{name:?} is not a valid object name"))
                        .expected("a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', at most 253 characters")
                        .actual(name)
                        .fix((!fixed.is_empty()).then(|| Fix {
                            message: format!("use {fixed:?}"),
                            pointer: "/metadata/name".into(),
                            replacement: Some(Value::String(fixed)),
                        })),
                );
            }
        }
        None if meta.get("generateName").and_then(Value::as_str).is_some() => {}
        None => out.push(
            err(
                "/metadata/name",
                "required",
                "missing required field `metadata.name`",
            )
            .expected("`metadata.name` to be set"),
        ),
    }
    if let Some(ns) = meta.get("namespace").and_then(Value::as_str) {
        if ns.len() > 63 || !DNS1123_LABEL.is_match(ns) {
            out.push(
                err(
                    "/metadata/namespace",
                    "metadata.namespace",
                    format!("{ns:?} is not a valid namespace name"),
                )
                .expected(
                    "a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters",
                ),
            );
        }
        if kind.is_some_and(|k| !k.namespaced()) {
            let mut d = err(
                "/metadata/namespace",
                "metadata.namespace",
                "cluster-scoped kind: the API server ignores `metadata.namespace`",
            );
            d.severity = Severity::Warning;
            out.push(d);
        }
    }
    if let Some(labels) = meta.get("labels").and_then(Value::as_object) {
        for (k, v) in labels {
            let p = format!(
                "/metadata/labels/{}",
                kubescribe_core::document::escape_pointer_token(k)
            );
            if !valid_label_key(k) {
                out.push(err(
                    &p,
                    "metadata.labels",
                    format!("label key {k:?} is not a qualified name"),
                ));
            }
            if let Some(v) = v.as_str()
                && (v.len() > 63 || !LABEL_VALUE.is_match(v))
            {
                out.push(err(&p, "metadata.labels", format!("label value {v:?} is not valid")).expected(
                    "at most 63 characters: letters, digits, '-', '_', '.', starting and ending alphanumeric",
                ));
            }
        }
    }
}

fn valid_label_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let prefix_ok = prefix.is_none_or(|p| p.len() <= 253 && DNS1123_SUBDOMAIN.is_match(p));
    prefix_ok && !name.is_empty() && name.len() <= 63 && QUALIFIED_NAME.is_match(name)
}

fn to_dns_name(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    lower
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(253)
        .collect()
}

fn check_network_policy(value: &Value, out: &mut Vec<Diagnostic>) {
    let Some(spec) = value.get("spec") else {
        return;
    };
    if let Some(types) = spec.get("policyTypes").and_then(Value::as_array) {
        if types.len() > 2 {
            out.push(err(
                "/spec/policyTypes",
                "policyTypes",
                "at most two policy types (Ingress, Egress)",
            ));
        }
        for (i, t) in types.iter().enumerate() {
            if !matches!(t.as_str(), Some("Ingress") | Some("Egress")) {
                let opts = [Value::from("Ingress"), Value::from("Egress")];
                let p = format!("/spec/policyTypes/{i}");
                out.push(
                    err(
                        &p,
                        "enum",
                        format!("{} is not a policy type", suggest::short(t)),
                    )
                    .expected("Ingress or Egress")
                    .fix(suggest::enum_value(&p, t, &opts)),
                );
            }
        }
    }
    for (dir, peers_key) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in spec
            .get(dir)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let base = format!("/spec/{dir}/{i}");
            for (j, port) in rule
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                check_np_port(&format!("{base}/ports/{j}"), port, out);
            }
            for (j, peer) in rule
                .get(peers_key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(block) = peer.get("ipBlock") {
                    check_ip_block(&format!("{base}/{peers_key}/{j}/ipBlock"), block, out);
                }
            }
        }
    }
}

/// NetworkPolicy's rules for one `ports` entry at `p` (also Calico's staged
/// Kubernetes policy: [`crate::ports`]).
pub(crate) fn check_np_port(p: &str, port: &Value, out: &mut Vec<Diagnostic>) {
    if let Some(proto) = port.get("protocol")
        && !matches!(proto.as_str(), Some("TCP") | Some("UDP") | Some("SCTP"))
    {
        let opts = [Value::from("TCP"), Value::from("UDP"), Value::from("SCTP")];
        let pp = format!("{p}/protocol");
        out.push(
            err(
                &pp,
                "enum",
                format!("{} is not a supported protocol", suggest::short(proto)),
            )
            .expected("TCP, UDP or SCTP")
            .fix(suggest::enum_value(&pp, proto, &opts)),
        );
    }
    let numeric = match port.get("port") {
        Some(Value::Number(n)) => {
            let v = n.as_i64().unwrap_or(-1);
            if !(1..=65535).contains(&v) {
                out.push(
                    err(
                        format!("{p}/port"),
                        "port",
                        format!("port {n} is outside 1-65535"),
                    )
                    .expected("1-65535"),
                );
            }
            Some(v)
        }
        Some(Value::String(s)) => {
            if !(IANA_SVC_NAME.is_match(s) && s.chars().any(|c| c.is_ascii_lowercase())) {
                out.push(
                    err(
                        format!("{p}/port"),
                        "port",
                        format!("{s:?} is neither a port number nor a named port"),
                    )
                    .expected("1-65535 or an IANA service name (lowercase, at most 15 characters)"),
                );
            }
            None
        }
        _ => None,
    };
    if let Some(end) = port.get("endPort") {
        let e = end.as_i64().unwrap_or(-1);
        match numeric {
            None => out.push(err(
                format!("{p}/endPort"),
                "endPort",
                "`endPort` needs a numeric `port`",
            )),
            Some(start) if e < start => out.push(
                err(
                    format!("{p}/endPort"),
                    "endPort",
                    format!("endPort {e} is below port {start}"),
                )
                .expected(format!(">= {start}")),
            ),
            _ => {}
        }
        if !(1..=65535).contains(&e) {
            out.push(err(
                format!("{p}/endPort"),
                "endPort",
                format!("endPort {end} is outside 1-65535"),
            ));
        }
    }
}

fn check_ip_block(p: &str, block: &Value, out: &mut Vec<Diagnostic>) {
    let cidr = block.get("cidr").and_then(Value::as_str).unwrap_or("");
    if !is_cidr(cidr) {
        out.push(
            err(
                format!("{p}/cidr"),
                "format",
                format!("{cidr:?} is not a valid CIDR"),
            )
            .expected("a CIDR such as 10.0.0.0/8"),
        );
        return;
    }
    for (i, ex) in block
        .get("except")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let e = ex.as_str().unwrap_or("");
        if !is_cidr(e) {
            out.push(err(
                format!("{p}/except/{i}"),
                "format",
                format!("{e:?} is not a valid CIDR"),
            ));
        } else if !cidr_contains(cidr, e) {
            out.push(err(
                format!("{p}/except/{i}"),
                "except",
                format!("{e} is not inside {cidr}"),
            ));
        }
    }
}

/// Whether CIDR `inner` lies inside CIDR `outer` (both valid, same family).
pub fn cidr_contains(outer: &str, inner: &str) -> bool {
    fn parse(c: &str) -> Option<(u128, u8, bool)> {
        let (ip, len) = c.split_once('/')?;
        let len: u8 = len.parse().ok()?;
        match ip.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(a) => Some((u32::from(a) as u128, len, false)),
            std::net::IpAddr::V6(a) => Some((u128::from(a), len, true)),
        }
    }
    let (Some((o, ol, o6)), Some((i, il, i6))) = (parse(outer), parse(inner)) else {
        return false;
    };
    if o6 != i6 || il < ol {
        return false;
    }
    let bits = if o6 { 128 } else { 32 };
    let shift = bits - ol as u32;
    if shift >= 128 {
        return true;
    }
    (o >> shift) == (i >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_rules() {
        let d = check(
            Some(PolicyKind::KubeArmorPolicy),
            &json!({"metadata": {"name": "Bad_Name"}}),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].fix.as_ref().unwrap().replacement,
            Some(json!("bad-name"))
        );
        let d = check(Some(PolicyKind::KubeArmorPolicy), &json!({"metadata": {}}));
        assert_eq!(d[0].pointer, "/metadata/name");
        assert!(
            check(
                Some(PolicyKind::KubeArmorPolicy),
                &json!({"metadata": {"name": "ok", "labels": {"app.kubernetes.io/name": "x"}}})
            )
            .is_empty()
        );
    }

    #[test]
    fn network_policy_rules() {
        let np = json!({"metadata": {"name": "n"}, "spec": {"ingress": [{"ports": [{"protocol": "tcp", "port": 70000}],
            "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}]}]}});
        let d = check(Some(PolicyKind::NetworkPolicy), &np);
        let rules: Vec<&str> = d.iter().map(|d| d.rule.as_str()).collect();
        assert_eq!(rules, ["enum", "port", "except"], "{d:#?}");
        assert_eq!(d[0].fix.as_ref().unwrap().replacement, Some(json!("TCP")));
    }

    #[test]
    fn cidr_containment() {
        assert!(cidr_contains("10.0.0.0/8", "10.1.0.0/16"));
        assert!(!cidr_contains("10.0.0.0/8", "11.0.0.0/16"));
        assert!(cidr_contains("0.0.0.0/0", "1.2.3.4/32"));
        assert!(cidr_contains("fd00::/8", "fd00:1::/32"));
    }
}
