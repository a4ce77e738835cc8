//! Cluster-side validation, in the order the layers run:
//!
//! 1. layer 1 against the CRD the cluster holds (the version the user runs),
//!    added to a [`Validator`] by [`add_cluster_crds`], CEL rules included;
//! 2. and 3. layers 2/3 against live objects
//!    ([`kubescribe_validate::cluster::check`]);
//! 4. server-side dry-run apply, the final compile check ([`final_checks`]).

use std::collections::BTreeSet;

use serde_json::Value;

use kubescribe_core::Policy;
use kubescribe_events::cluster::{ClusterContext, ClusterError};
use kubescribe_validate::{Diagnostic, Layer, Validator};

use crate::apply::{ApplyOptions, ApplyResult};
use crate::blocking::KubeCluster;

/// Adds to `validator` the cluster's CRD for every custom `apiVersion`/`kind`
/// among `docs` (skipping kinds a user-supplied CRD already covers, since the
/// user's file may be newer than what an old server kept). Returns one note
/// per kind: which CRD was used, or that the cluster serves none.
pub fn add_cluster_crds<'a>(
    cluster: &mut dyn ClusterContext,
    validator: &mut Validator,
    docs: impl IntoIterator<Item = &'a Value>,
) -> Result<Vec<String>, ClusterError> {
    let mut seen = BTreeSet::new();
    let mut notes = Vec::new();
    for doc in docs {
        let s = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (api_version, kind) = (s("apiVersion"), s("kind"));
        let Some((group, _)) = api_version.rsplit_once('/') else {
            continue; // core group
        };
        if !group.contains('.')
            || group.ends_with(".k8s.io")
            || !seen.insert((api_version.clone(), kind.clone()))
        {
            continue;
        }
        if validator.has_crd(&api_version, &kind) {
            notes.push(format!(
                "{api_version} {kind}: using the CRD given with --crd"
            ));
            continue;
        }
        match cluster.crd(group, &kind)? {
            Some(crd) => {
                let name = crd
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                let origin = format!("cluster CRD {name}");
                validator
                    .add_crd_value(&origin, &crd)
                    .map_err(|e| ClusterError::Other(e.to_string()))?;
                notes.push(format!("{api_version} {kind}: validated against {origin}"));
            }
            None => notes.push(format!(
                "{api_version} {kind}: the cluster has no CRD for it (engine not installed?)"
            )),
        }
    }
    Ok(notes)
}

fn cluster_error(e: &ClusterError) -> Diagnostic {
    let mut d = Diagnostic::schema_error("", "cluster", format!("cluster: {e}")).origin("cluster");
    d.layer = Layer::Resource;
    d
}

/// Layers 2/3 against live objects, then (when they found no error and
/// `dry_run` is set) a server-side dry-run apply, whose rejection becomes
/// diagnostics at the server's field paths. A cluster that cannot be asked is
/// one error diagnostic, never a panic.
pub fn final_checks(cluster: &mut KubeCluster, policy: &Policy, dry_run: bool) -> Vec<Diagnostic> {
    let mut out = match kubescribe_validate::cluster::check(policy, cluster) {
        Ok(d) => d,
        Err(e) => return vec![cluster_error(&e)],
    };
    if !dry_run || out.iter().any(Diagnostic::is_error) {
        return out;
    }
    let value = match policy.to_value() {
        Ok(v) => v,
        Err(e) => {
            out.push(Diagnostic::schema_error("", "model", e.to_string()));
            return out;
        }
    };
    let opts = ApplyOptions {
        dry_run: true,
        ..Default::default()
    };
    match cluster.apply(&value, &opts) {
        Ok(ApplyResult::Applied(_)) => {}
        Ok(ApplyResult::Rejected { diagnostics, .. }) => out.extend(diagnostics),
        Err(e) => out.push(cluster_error(&e)),
    }
    out
}
