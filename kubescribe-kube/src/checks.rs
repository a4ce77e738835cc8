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
use kubescribe_validate::{Diagnostic, Validator};

use crate::apply::{ApplyOptions, ApplyResult};
use crate::blocking::KubeCluster;
use crate::bundled;

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
                "{api_version} {kind}: checked against the CRD given with --crd (its CEL rules, if any, evaluated client-side), not the cluster's"
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
                let version = api_version.rsplit_once('/').map_or("", |(_, v)| v);
                let own_rules = crd
                    .pointer("/spec/versions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
                    .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
                    .is_some_and(kubescribe_validate::cel::has_rules);
                let origin = format!("cluster CRD {name}");
                let (crd, note) = if own_rules {
                    (
                        crd,
                        format!(
                            "{api_version} {kind}: checked against {origin}: its schema, and its CEL rules (x-kubernetes-validations) evaluated client-side"
                        ),
                    )
                } else if let Some(merged) = bundled::with_bundled_rules(&crd, &api_version, &kind)
                {
                    (
                        merged,
                        format!(
                            "{api_version} {kind}: checked against {origin}'s schema; the cluster stores it without CEL rules (API servers before 1.25 drop x-kubernetes-validations), so the CEL rules of the upstream CRD kubescribe bundles were evaluated client-side"
                        ),
                    )
                } else {
                    (
                        crd,
                        format!(
                            "{api_version} {kind}: checked against {origin}'s schema; it carries no CEL rules and kubescribe bundles none for this kind, so no CEL rule was evaluated (pass the upstream CRD with --crd to evaluate its rules)"
                        ),
                    )
                };
                validator
                    .add_crd_value(&origin, &crd)
                    .map_err(|e| ClusterError::Other(e.to_string()))?;
                notes.push(note);
            }
            None => notes.push(format!(
                "{api_version} {kind}: the cluster has no CRD for it (engine not installed?)"
            )),
        }
    }
    Ok(notes)
}

/// Layers 2/3 against live objects, then (when they found no error and
/// `dry_run` is set) a server-side dry-run apply of `document` — the user's
/// document exactly as written, never the model's rendering with defaults
/// filled in — whose rejection becomes diagnostics at the server's field
/// paths. A cluster that cannot be asked (unreachable, timed out, forbidden)
/// is an error: the policy was not checked, so it is not called invalid.
pub fn final_checks(
    cluster: &mut KubeCluster,
    policy: &Policy,
    document: &Value,
    dry_run: bool,
    opts: &ApplyOptions,
) -> Result<Vec<Diagnostic>, ClusterError> {
    let mut out = kubescribe_validate::cluster::check(policy, cluster)?;
    if !dry_run || out.iter().any(Diagnostic::is_error) {
        return Ok(out);
    }
    let opts = ApplyOptions {
        dry_run: true,
        ..opts.clone()
    };
    match cluster.apply(document, &opts)? {
        ApplyResult::Applied(_) => {}
        ApplyResult::Rejected {
            code: 403,
            reason,
            message,
            ..
        } => {
            return Err(ClusterError::Api {
                what: "server-side dry run".into(),
                code: 403,
                reason,
                message,
            });
        }
        ApplyResult::Rejected { diagnostics, .. } => out.extend(diagnostics),
    }
    Ok(out)
}
