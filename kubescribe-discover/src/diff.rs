//! What changed between two discoveries: each policy reduced to the
//! permissions it grants (one binary, one file rule, one peer on one port),
//! compared as sets. The input is any set of policies of the five engines
//! (a previous `kubescribe discover` output, or what an operator kept of
//! it, edits included).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use kubescribe_core::Policy;

/// A policy's identity: `kind namespace/name` (with the API group, as
/// Calico's and Kubernetes' `NetworkPolicy` share a kind).
pub fn policy_key(p: &Policy) -> String {
    let group = p.kind().api_version().split('/').next().unwrap_or("");
    format!(
        "{group}/{} {}/{}",
        p.kind().kind(),
        p.namespace().unwrap_or("-"),
        p.name().unwrap_or("(unnamed)")
    )
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn items_at<'a>(v: &'a Value, ptr: &str) -> impl Iterator<Item = &'a Value> {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

const PEER_KEYS: &[&str] = &[
    "toEndpoints",
    "fromEndpoints",
    "toEntities",
    "fromEntities",
    "toCIDR",
    "fromCIDR",
    "toCIDRSet",
    "fromCIDRSet",
    "toFQDNs",
    "toServices",
    "to",
    "from",
];

fn rule_peers(rule: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(o) = rule.as_object() {
        for (k, v) in o {
            if PEER_KEYS.contains(&k.as_str()) {
                for e in v.as_array().into_iter().flatten() {
                    out.push(format!("{k} {}", compact(e)));
                }
            }
            if k == "source" || k == "destination" {
                let mut side = v.clone();
                if let Some(s) = side.as_object_mut() {
                    s.remove("ports");
                    if !s.is_empty() {
                        out.push(format!("{k} {}", compact(&side)));
                    }
                }
            }
        }
    }
    if out.is_empty() {
        out.push("any peer".into());
    }
    out
}

fn rule_ports(rule: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for tp in items_at(rule, "/toPorts") {
        for p in items_at(tp, "/ports") {
            out.push(format!(
                "{}/{}",
                p["port"]
                    .as_str()
                    .map_or_else(|| p["port"].to_string(), str::to_string),
                p["protocol"].as_str().unwrap_or("ANY")
            ));
        }
    }
    for ic in items_at(rule, "/icmps") {
        for f in items_at(ic, "/fields") {
            out.push(format!(
                "icmp {} type {}",
                f["family"].as_str().unwrap_or("IPv4"),
                f["type"]
            ));
        }
    }
    for p in items_at(rule, "/ports") {
        out.push(format!(
            "{}/{}",
            p["port"],
            p["protocol"].as_str().unwrap_or("TCP")
        ));
    }
    let proto = rule["protocol"].as_str();
    for p in items_at(rule, "/destination/ports") {
        out.push(format!("{p}/{}", proto.unwrap_or("ANY")));
    }
    if out.is_empty() {
        out.push(match proto {
            Some(p) => format!("every {p} port"),
            None => "every port".into(),
        });
    }
    out
}

/// The permissions a policy states, one per line (`egress toEndpoints
/// {...} 8080/TCP`, `file matchPaths {"path":"/etc/x"}`, ...).
pub fn grants(p: &Policy) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(v) = p.to_value() else {
        return out;
    };
    for section in ["process", "file", "network", "capabilities", "syscalls"] {
        for list in [
            "matchPaths",
            "matchDirectories",
            "matchPatterns",
            "matchProtocols",
            "matchCapabilities",
            "matchSyscalls",
        ] {
            for e in items_at(&v, &format!("/spec/{section}/{list}")) {
                out.insert(format!("{section} {list} {}", compact(e)));
            }
        }
    }
    for (i, _) in items_at(&v, "/spec/kprobes").enumerate() {
        let call = v
            .pointer(&format!("/spec/kprobes/{i}/call"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        for sel in items_at(&v, &format!("/spec/kprobes/{i}/selectors")) {
            for a in items_at(sel, "/matchArgs") {
                let op = a["operator"].as_str().unwrap_or("?");
                for val in items_at(a, "/values") {
                    out.insert(format!("{call} {op} {}", compact(val)));
                }
            }
        }
    }
    for section in ["ingress", "egress", "ingressDeny", "egressDeny"] {
        for rule in items_at(&v, &format!("/spec/{section}")) {
            let action = rule["action"].as_str().map(|a| format!(" {a}"));
            for peer in rule_peers(rule) {
                for port in rule_ports(rule) {
                    out.insert(format!(
                        "{section}{} {peer} {port}",
                        action.as_deref().unwrap_or("")
                    ));
                }
            }
        }
    }
    out
}

/// One policy's changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    /// [`policy_key`].
    pub policy: String,
    /// Only in the new discovery (the whole policy when it is new).
    pub added: Vec<String>,
    /// Only in the old one (the whole policy when it is gone).
    pub removed: Vec<String>,
    /// Whether the policy is new / gone.
    pub status: &'static str,
}

/// Per policy (by [`policy_key`]), what the new set grants that the old
/// did not and the reverse; policies with no change are left out.
pub fn diff(old: &[Policy], new: &[Policy]) -> Vec<PolicyDiff> {
    let index = |ps: &[Policy]| -> BTreeMap<String, BTreeSet<String>> {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in ps {
            m.entry(policy_key(p)).or_default().extend(grants(p));
        }
        m
    };
    let (o, n) = (index(old), index(new));
    let keys: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    let empty = BTreeSet::new();
    let mut out = Vec::new();
    for k in keys {
        let (a, b) = (o.get(k), n.get(k));
        let status = match (a, b) {
            (None, Some(_)) => "new",
            (Some(_), None) => "gone",
            _ => "changed",
        };
        let (a, b) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
        let added: Vec<String> = b.difference(a).cloned().collect();
        let removed: Vec<String> = a.difference(b).cloned().collect();
        if added.is_empty() && removed.is_empty() && status == "changed" {
            continue;
        }
        out.push(PolicyDiff {
            policy: k.clone(),
            added,
            removed,
            status,
        });
    }
    out
}
