//! Layer 2: the resources a policy names, checked against what the event
//! store has seen.
//!
//! * **Selector**: the policy's pod selector must match the labels of some
//!   workload or observed pod in its namespace. A selector that matches
//!   nothing is an error; for each label no workload carries, the nearest
//!   observed value (or key) is suggested: `productpagee` → `productpage`.
//! * **KubeArmor paths and binaries**: each file `path`/`dir` and process
//!   `path` is compared with what the selected workloads were observed
//!   touching or running. One never observed is a warning (a block rule for
//!   something that has not happened yet is legitimate), with the nearest
//!   observed path as the suggestion.
//!
//! When the store knows nothing about the namespace, one warning says so and
//! nothing else is checked.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use kubescribe_core::Policy;
use kubescribe_core::events::EventKind;
use kubescribe_core::store::{EventQuery, EventStore, EventTable, StoreError};

use crate::diagnostic::{Diagnostic, Fix, Layer, Severity};
use crate::suggest;

fn diag(severity: Severity, pointer: &str, rule: &str, message: String) -> Diagnostic {
    let mut d = Diagnostic::schema_error(pointer, rule, message).origin("store");
    d.layer = Layer::Resource;
    d.severity = severity;
    d
}

/// Where a policy keeps its pod selector's `matchLabels`, by kind.
fn selector_pointer(policy: &Policy) -> Option<&'static str> {
    use kubescribe_core::PolicyKind::*;
    Some(match policy.kind() {
        KubeArmorPolicy => "/spec/selector/matchLabels",
        TracingPolicyNamespaced => "/spec/podSelector/matchLabels",
        CiliumNetworkPolicy => "/spec/endpointSelector/matchLabels",
        NetworkPolicy => "/spec/podSelector/matchLabels",
        _ => return None,
    })
}

/// A Cilium label key without its source prefix (`k8s:app` → `app`).
fn plain_key(k: &str) -> &str {
    k.strip_prefix("k8s:")
        .or_else(|| k.strip_prefix("any:"))
        .unwrap_or(k)
}

/// Layer-2 diagnostics for one policy.
pub fn check(policy: &Policy, store: &mut dyn EventStore) -> Result<Vec<Diagnostic>, StoreError> {
    let mut out = Vec::new();
    let Some(sel_ptr) = selector_pointer(policy) else {
        return Ok(out);
    };
    let Ok(value) = policy.to_value() else {
        return Ok(out);
    };
    let namespace = policy.namespace().map(str::to_string);
    let selector: BTreeMap<String, String> = value
        .pointer(sel_ptr)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !k.starts_with("k8s:io.kubernetes.pod.namespace"))
                .filter_map(|(k, v)| {
                    v.as_str()
                        .map(|v| (plain_key(k).to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();

    // Every label set the store knows in the namespace: workloads and observed pods.
    let mut label_sets: BTreeSet<BTreeMap<String, String>> = BTreeSet::new();
    for w in store.workloads(namespace.as_deref(), &BTreeMap::new())? {
        if w.kind != "Service" {
            label_sets.insert(w.pod_labels.clone());
        }
    }
    let ns_query = EventQuery {
        namespace: namespace.clone(),
        ..EventQuery::default()
    };
    for table in EventTable::ALL {
        for row in store.events(table, &ns_query)? {
            if !row.event.pod.labels.is_empty() {
                label_sets.insert(row.event.pod.labels.clone());
            }
        }
    }
    if label_sets.is_empty() {
        out.push(diag(
            Severity::Warning,
            "/metadata/namespace",
            "store",
            format!(
                "the event store has no workloads or labelled events in namespace {}; resources were not checked",
                namespace.as_deref().unwrap_or("(none)")
            ),
        ));
        return Ok(out);
    }
    let matches = label_sets
        .iter()
        .any(|l| selector.iter().all(|(k, v)| l.get(k) == Some(v)));
    if !matches {
        let mut d = diag(
            Severity::Error,
            sel_ptr,
            "selector",
            format!(
                "selects no observed workload in namespace {}",
                namespace.as_deref().unwrap_or("(any)")
            ),
        );
        // Point at the first label no workload carries, with the nearest value.
        for (k, v) in &selector {
            if label_sets.iter().any(|l| l.get(k) == Some(v)) {
                continue;
            }
            let values: BTreeSet<&str> = label_sets
                .iter()
                .filter_map(|l| l.get(k).map(String::as_str))
                .collect();
            let keys: BTreeSet<&str> = label_sets
                .iter()
                .flat_map(|l| l.keys().map(String::as_str))
                .collect();
            let ptr = format!(
                "{sel_ptr}/{}",
                kubescribe_core::document::escape_pointer_token(k)
            );
            d.pointer = ptr.clone();
            d.actual = Some(format!("{k}={v}"));
            d.expected = Some(format!(
                "one of the observed values of `{k}`: {}",
                values.iter().copied().collect::<Vec<_>>().join(", ")
            ));
            d.fix = if let Some(near) = suggest::nearest(v, values.iter().copied()) {
                Some(Fix {
                    message: format!("use {k}={near}"),
                    pointer: ptr,
                    replacement: Some(Value::from(near)),
                })
            } else {
                suggest::nearest(k, keys.iter().copied()).map(|near| Fix {
                    message: format!("no workload has a `{k}` label; did you mean `{near}`?"),
                    pointer: ptr,
                    replacement: None,
                })
            };
            break;
        }
        out.push(d);
        return Ok(out);
    }

    if let Policy::KubeArmorPolicy(_) = policy {
        let q = EventQuery {
            namespace,
            selector,
            ..EventQuery::default()
        };
        let mut files = BTreeSet::new();
        let mut binaries = BTreeSet::new();
        for row in store.events(EventTable::Files, &q)? {
            if let EventKind::File(f) = &row.event.kind {
                files.insert(f.path.clone());
            }
        }
        for row in store.events(EventTable::Processes, &q)? {
            if let EventKind::Process(p) = &row.event.kind {
                binaries.insert(p.binary.clone());
            }
        }
        let checks = [
            ("/spec/file/matchPaths", "path", &files, "accessed"),
            ("/spec/file/matchDirectories", "dir", &files, "accessed"),
            ("/spec/process/matchPaths", "path", &binaries, "run"),
            ("/spec/process/matchDirectories", "dir", &binaries, "run"),
        ];
        for (list_ptr, key, seen, verb) in checks {
            for (i, item) in value
                .pointer(list_ptr)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let Some(p) = item.get(key).and_then(Value::as_str) else {
                    continue;
                };
                let observed = if key == "dir" {
                    seen.iter().any(|s| s.starts_with(p))
                } else {
                    seen.contains(p)
                };
                if observed || seen.is_empty() {
                    continue;
                }
                let ptr = format!("{list_ptr}/{i}/{key}");
                let mut d = diag(
                    Severity::Warning,
                    &ptr,
                    "observed",
                    format!(
                        "{p} was never {verb} by the selected workloads ({} distinct paths observed)",
                        seen.len()
                    ),
                );
                d.fix = suggest::nearest(p, seen.iter().map(String::as_str)).map(|near| Fix {
                    message: format!("the nearest observed path is {near}"),
                    pointer: ptr.clone(),
                    replacement: Some(Value::from(near)),
                });
                out.push(d);
            }
        }
    }
    Ok(out)
}
