//! A peer picked by its namespace's labels reaches pods in those namespaces
//! under Cilium. Cilium adds the policy's own namespace to any endpoint
//! selector that does not name the namespace key (cilium
//! `pkg/k8s/apis/cilium.io/utils/utils.go`, `getEndpointSelector`), so the
//! selector must say `io.kubernetes.pod.namespace` `Exists` beside the
//! namespace labels, or it matches only pods of the policy's namespace.
//! The same holds for a NetworkPolicy's `namespaceSelector` converted to
//! Cilium.

use kubescribe_core::engine::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_events::Event;
use kubescribe_simulate::{Verdict, simulate_event};
use kubescribe_synth::{convert, synthesize};
use kubescribe_validate::Validator;

fn intent(action: &str) -> Intent {
    serde_json::from_value(serde_json::json!({
        "scope": {"namespace": "alpha-dev", "allPods": true},
        "domain": "network", "action": action, "direction": "ingress",
        "resources": {"peers": [{"namespaceLabels": {"tenant": "beta"}}]}
    }))
    .unwrap()
}

/// Ingress to a pod of `alpha-dev` from a pod of namespace `ns`, whose
/// namespace carries `tenant=<tenant>`.
fn ingress_from(ns: &str, tenant: &str) -> Event {
    serde_json::from_value(serde_json::json!({
        "source": "hubble",
        "pod": {"namespace": "alpha-dev", "pod": "web-0", "container": "main", "labels": {"app": "web"}},
        "kind": {"type": "network", "protocol": "TCP", "direction": "ingress", "local_ip": "10.244.0.5",
                 "process": "/usr/bin/app", "local_port": 8080, "remote_port": 41000,
                 "remote_ip": "10.244.6.70",
                 "peer": {"namespace": ns, "pod": "peer-0", "labels": {
                     "app": "client",
                     "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": ns,
                     "io.cilium.k8s.namespace.labels.tenant": tenant}}}
    }))
    .unwrap()
}

fn verdict(action: &str, event: &Event) -> Verdict {
    let policy = synthesize(&intent(action), Some(Engine::Cilium)).unwrap();
    let outcome = Validator::new().validate_value(&policy.to_value().unwrap());
    assert!(outcome.is_valid(), "{:?}", outcome.diagnostics);
    simulate_event(std::slice::from_ref(&policy), event)
        .unwrap()
        .verdict
}

#[test]
fn a_block_by_namespace_labels_reaches_the_other_namespaces() {
    assert_eq!(
        verdict("block", &ingress_from("beta-dev", "beta")),
        Verdict::Block
    );
    assert_eq!(
        verdict("block", &ingress_from("gamma-dev", "gamma")),
        Verdict::Allow
    );
}

#[test]
fn an_allow_by_namespace_labels_admits_the_other_namespaces() {
    assert_eq!(
        verdict("allow", &ingress_from("beta-dev", "beta")),
        Verdict::Allow
    );
    assert_eq!(
        verdict("allow", &ingress_from("gamma-dev", "gamma")),
        Verdict::Block
    );
}

#[test]
fn a_converted_namespace_selector_reaches_the_other_namespaces() {
    let np = serde_json::json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "from-beta", "namespace": "alpha-dev"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                 "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"tenant": "beta"}}}]}]}
    });
    let source = Validator::new().validate_value(&np).policy.unwrap();
    let conv = convert::convert(&source, Engine::Cilium, true).unwrap();
    assert!(conv.losses.is_empty(), "{:?}", conv.losses);
    for p in &conv.policies {
        let outcome = Validator::new().validate_value(&p.to_value().unwrap());
        assert!(outcome.is_valid(), "{:?}", outcome.diagnostics);
    }
    let verdict = |e: &Event| simulate_event(&conv.policies, e).unwrap().verdict;
    assert_eq!(verdict(&ingress_from("beta-dev", "beta")), Verdict::Allow);
    assert_eq!(verdict(&ingress_from("gamma-dev", "gamma")), Verdict::Block);
}
