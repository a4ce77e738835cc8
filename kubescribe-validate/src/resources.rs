//! Layers 2 and 3 against the event store.
//!
//! The store is presented as a cluster ([`ClusterSnapshot::from_store`]:
//! workloads of the manifests, observed pods and flow peers with the ports
//! they were seen serving, Services), and the cluster checks of
//! [`crate::cluster`] run on it unchanged: the selector matches an observed
//! workload (nearest label value suggested: `productpagee` →
//! `productpage`), peers exist, ports and protocols of allow rules are
//! served (the port really served suggested), CIDRs are well-formed and not
//! accidentally all-covering. Added here, for KubeArmor:
//!
//! * **paths and binaries**: each file `path`/`dir` and process `path` is
//!   compared with what the selected workloads were observed touching or
//!   running. One never observed is a warning (a block rule for something
//!   that has not happened yet is legitimate), with the nearest observed path
//!   as the suggestion.
//!
//! When the store knows nothing about the namespace, one warning says so and
//! nothing else but the CIDRs is checked.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use kubescribe_core::Policy;
use kubescribe_events::EventKind;
use kubescribe_events::cluster::ClusterSnapshot;
use kubescribe_events::store::{EventQuery, EventStore, EventTable, StoreError};

use crate::cluster::{Source, check_against};
use crate::diagnostic::{Diagnostic, Fix, Layer, Severity};
use crate::suggest;

fn diag(severity: Severity, pointer: &str, rule: &str, message: String) -> Diagnostic {
    let mut d = Diagnostic::schema_error(pointer, rule, message).origin("store");
    d.layer = Layer::Resource;
    d.severity = severity;
    d
}

/// A Cilium label key without its source prefix (`k8s:app` → `app`).
fn plain_key(k: &str) -> &str {
    k.strip_prefix("k8s:")
        .or_else(|| k.strip_prefix("any:"))
        .unwrap_or(k)
}

/// Layer-2/3 diagnostics for one policy. Reads the whole store; to check
/// many policies, take the snapshot once and use [`check_with`].
pub fn check(policy: &Policy, store: &mut dyn EventStore) -> Result<Vec<Diagnostic>, StoreError> {
    let mut snapshot = ClusterSnapshot::from_store(store)?;
    check_with(policy, store, &mut snapshot)
}

/// Like [`check`], with the store's snapshot taken by the caller
/// (`ClusterSnapshot::from_store(store)`).
pub fn check_with(
    policy: &Policy,
    store: &mut dyn EventStore,
    snapshot: &mut ClusterSnapshot,
) -> Result<Vec<Diagnostic>, StoreError> {
    // A snapshot answers from memory and never fails.
    let mut out = check_against(policy, snapshot, Source::Store)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if out
        .iter()
        .any(|d| d.layer == Layer::Resource && (d.rule == "selector" || d.rule == "store"))
    {
        return Ok(out);
    }
    let Ok(value) = policy.to_value() else {
        return Ok(out);
    };
    let namespace = policy.namespace().map(str::to_string);
    let selector: BTreeMap<String, String> = value
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    v.as_str()
                        .map(|v| (plain_key(k).to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();

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
