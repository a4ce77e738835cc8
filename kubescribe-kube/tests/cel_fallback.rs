//! CEL rules with a cluster that stores CRDs without them (API servers
//! before 1.25 drop `x-kubernetes-validations`): the rules of the upstream
//! CRD kubescribe bundles are evaluated, and the note says so; a CRD that
//! keeps its rules is evaluated with its own. No cluster needed: the CRD
//! comes from a stand-in `ClusterContext`.

use serde_json::{Value, json};

use kubescribe_events::cluster::{ClusterContext, ClusterError, CrdInfo, PodInfo, ServiceInfo};
use kubescribe_kube::checks::add_cluster_crds;
use kubescribe_validate::Validator;

/// A cluster holding one CRD.
struct OneCrd(Value);

impl ClusterContext for OneCrd {
    fn describe(&self) -> String {
        "stand-in".into()
    }
    fn namespaces(&mut self) -> Result<Vec<String>, ClusterError> {
        Ok(vec!["default".into()])
    }
    fn pods(&mut self, _: Option<&str>) -> Result<Vec<PodInfo>, ClusterError> {
        Ok(Vec::new())
    }
    fn services(&mut self, _: Option<&str>) -> Result<Vec<ServiceInfo>, ClusterError> {
        Ok(Vec::new())
    }
    fn crds(&mut self) -> Result<Vec<CrdInfo>, ClusterError> {
        Ok(Vec::new())
    }
    fn crd(&mut self, group: &str, kind: &str) -> Result<Option<Value>, ClusterError> {
        let v = &self.0;
        Ok((v.pointer("/spec/group") == Some(&json!(group))
            && v.pointer("/spec/names/kind") == Some(&json!(kind)))
        .then(|| v.clone()))
    }
}

/// The Tetragon TracingPolicyNamespaced CRD as a v1.20 server returns it:
/// structure only, no `x-kubernetes-validations`.
fn stored_crd(host_selector_rules: Option<Value>) -> Value {
    let mut host = json!({"type": "object", "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}}});
    if let Some(r) = host_selector_rules {
        host["x-kubernetes-validations"] = r;
    }
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tracingpoliciesnamespaced.cilium.io"},
        "spec": {"group": "cilium.io", "scope": "Namespaced",
            "names": {"kind": "TracingPolicyNamespaced", "plural": "tracingpoliciesnamespaced"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                        "properties": {"hostSelector": host}}}}}}]}})
}

fn policy() -> Value {
    json!({"apiVersion": "cilium.io/v1alpha1", "kind": "TracingPolicyNamespaced",
        "metadata": {"name": "host", "namespace": "default"},
        "spec": {"hostSelector": {"matchLabels": {"kubernetes.io/hostname": "node-1"}},
                 "kprobes": [{"call": "sys_openat", "syscall": true,
                              "args": [{"index": 1, "type": "string"}]}]}})
}

fn cel_findings(v: &Validator) -> Vec<(String, String)> {
    v.validate_value(&policy())
        .diagnostics
        .into_iter()
        .filter(|d| d.rule == "x-kubernetes-validations")
        .map(|d| (d.pointer, d.message))
        .collect()
}

#[test]
fn rules_the_server_dropped_come_from_the_bundled_upstream_crd() {
    let mut validator = Validator::new();
    let notes =
        add_cluster_crds(&mut OneCrd(stored_crd(None)), &mut validator, [&policy()]).unwrap();
    // Before: the cluster's rule-less CRD was used, nothing evaluated, and
    // the note said "validated against cluster CRD …".
    assert_eq!(
        cel_findings(&validator),
        [(
            "/spec/hostSelector".to_string(),
            "The hostSelector should be either null or {}.".to_string()
        )]
    );
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("stores it without CEL rules") && notes[0].contains("kubescribe bundles"),
        "{notes:?}"
    );
    assert!(!notes[0].contains("validated against"), "{notes:?}");
}

#[test]
fn rules_the_cluster_keeps_are_its_own() {
    let own = json!([{"rule": "!has(self.matchLabels)", "message": "the cluster's own rule"}]);
    let mut validator = Validator::new();
    let notes = add_cluster_crds(
        &mut OneCrd(stored_crd(Some(own))),
        &mut validator,
        [&policy()],
    )
    .unwrap();
    assert_eq!(
        cel_findings(&validator),
        [(
            "/spec/hostSelector".to_string(),
            "the cluster's own rule".to_string()
        )]
    );
    assert!(notes[0].contains("its CEL rules"), "{notes:?}");
}

#[test]
fn a_kind_without_bundled_rules_says_no_rule_was_evaluated() {
    // KubeArmorHostPolicy's model carries no CEL rules.
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "kubearmorhostpolicies.security.kubearmor.com"},
        "spec": {"group": "security.kubearmor.com", "scope": "Cluster",
            "names": {"kind": "KubeArmorHostPolicy", "plural": "kubearmorhostpolicies"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let doc = json!({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorHostPolicy",
        "metadata": {"name": "h"}, "spec": {}});
    let mut validator = Validator::new();
    let notes = add_cluster_crds(&mut OneCrd(crd), &mut validator, [&doc]).unwrap();
    assert!(notes[0].contains("no CEL rule was evaluated"), "{notes:?}");
}
