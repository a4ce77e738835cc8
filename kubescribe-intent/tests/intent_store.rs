//! Pod names in intents resolve to labels through the event store's workloads table.

use std::collections::BTreeMap;

use kubescribe_events::Workload;
use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_intent::{IntentParseError, parse_intent_with};

fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A workload; a Service carries the labels as its selector and runs no pods.
fn workload(kind: &str, ns: &str, name: &str, pod_labels: &[(&str, &str)]) -> Workload {
    let service = kind == "Service";
    Workload {
        kind: kind.into(),
        namespace: ns.into(),
        name: name.into(),
        labels: BTreeMap::new(),
        pod_labels: if service {
            BTreeMap::new()
        } else {
            labels(pod_labels)
        },
        selector: if service {
            labels(pod_labels)
        } else {
            BTreeMap::new()
        },
        ports: Vec::new(),
        addresses: Vec::new(),
    }
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("kubescribe.db")).unwrap();
    let mut w = store.begin().unwrap();
    for wl in [
        workload(
            "Deployment",
            "bookinfo",
            "productpage-v1",
            &[("app", "productpage"), ("version", "v1")],
        ),
        workload(
            "Service",
            "bookinfo",
            "productpage",
            &[("app", "productpage")],
        ),
        workload(
            "Deployment",
            "bookinfo",
            "productpage",
            &[("app", "pp-legacy")],
        ),
        workload(
            "StatefulSet",
            "data",
            "redis",
            &[("app", "redis"), ("role", "primary")],
        ),
        workload("Pod", "data", "debug", &[("run", "debug")]),
        workload("DaemonSet", "kube-system", "agent", &[("k8s-app", "agent")]),
        workload("Deployment", "a", "twin", &[("app", "twin-a")]),
        workload("Deployment", "b", "twin", &[("app", "twin-b")]),
    ] {
        w.add_workload(&wl).unwrap();
    }
    w.commit().unwrap();
    (dir, store)
}

#[test]
fn pod_names_resolve_to_workload_pod_labels() {
    let (_dir, mut store) = store();
    // A generated Deployment pod name → the Deployment's pod template labels.
    let p = parse_intent_with(
        "block all ingress to pod productpage-v1-6b746f74dc-9stvs in namespace bookinfo",
        Some(&mut store),
    )
    .unwrap();
    assert_eq!(
        p.intent.scope.labels,
        labels(&[("app", "productpage"), ("version", "v1")])
    );
    assert!(p.intent.scope.pod_names.is_empty());
    assert!(
        p.assumptions
            .iter()
            .any(|a| a.contains("Deployment bookinfo/productpage-v1")),
        "{:?}",
        p.assumptions
    );
    // A workload's own name; the Service of the same name is not a pod.
    let p = parse_intent_with(
        "deny egress from pod productpage to 10.0.0.0/8 in namespace bookinfo",
        Some(&mut store),
    )
    .unwrap();
    assert_eq!(p.intent.scope.labels, labels(&[("app", "pp-legacy")]));
    // StatefulSet ordinal, bare Pod, DaemonSet pod; the namespace comes from the store.
    for (text, want, ns) in [
        (
            "block bash in pod redis-0",
            labels(&[("app", "redis"), ("role", "primary")]),
            "data",
        ),
        (
            "audit reads of /etc/shadow in pod debug",
            labels(&[("run", "debug")]),
            "data",
        ),
        (
            "block CAP_NET_RAW for pod agent-x7k2q",
            labels(&[("k8s-app", "agent")]),
            "kube-system",
        ),
    ] {
        let p = parse_intent_with(text, Some(&mut store)).unwrap();
        assert_eq!(p.intent.scope.labels, want, "{text}");
        assert_eq!(p.intent.scope.namespace.as_deref(), Some(ns), "{text}");
    }
}

#[test]
fn unknown_and_ambiguous_pods_are_errors() {
    let (_dir, mut store) = store();
    let e = parse_intent_with("block bash in pod nosuch-0", Some(&mut store)).unwrap_err();
    assert!(
        matches!(e, IntentParseError::UnknownPod(ref p) if p == "nosuch-0"),
        "{e}"
    );
    // A namespace restricts the lookup.
    let e = parse_intent_with(
        "block bash in pod redis-0 in namespace bookinfo",
        Some(&mut store),
    )
    .unwrap_err();
    assert!(matches!(e, IntentParseError::UnknownPod(_)), "{e}");
    // Same name in two namespaces with different labels.
    let e = parse_intent_with("block bash in pod twin", Some(&mut store)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("a/twin") && msg.contains("b/twin") && msg.contains("namespace"),
        "{msg}"
    );
    let p = parse_intent_with("block bash in pod twin in namespace b", Some(&mut store)).unwrap();
    assert_eq!(p.intent.scope.labels, labels(&[("app", "twin-b")]));
    // Not a generated suffix of the Deployment: unknown.
    let e = parse_intent_with("block bash in pod productpage-v1-x", Some(&mut store)).unwrap_err();
    assert!(matches!(e, IntentParseError::UnknownPod(_)), "{e}");
}
