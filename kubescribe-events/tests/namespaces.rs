//! Namespace manifests are ingested for their labels (namespace selectors
//! match them), and the store seen as a cluster lists them as namespaces.

use std::collections::BTreeMap;

use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_events::{IngestOptions, ingest_file};

fn sel(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn namespace_manifests_keep_their_labels() {
    // Namespace objects were skipped as "not runtime activity"; their labels
    // are what `namespaceSelector`s match.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ns.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: 'y'\n  labels: {ns: 'y', team: blue}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: bare}\n",
    )
    .unwrap();
    let mut store = SqliteStore::open_in_memory().unwrap();
    let sum = ingest_file(&mut store, &path, &IngestOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(sum.workloads_stored, 2, "{sum:?}");
    assert!(sum.errors.is_empty(), "{sum:?}");
    let all = store.workloads(None, &BTreeMap::new()).unwrap();
    let y = all.iter().find(|w| w.name == "y").unwrap();
    assert_eq!((y.kind.as_str(), y.namespace.as_str()), ("Namespace", "y"));
    assert_eq!(
        y.labels,
        sel(&[
            ("kubernetes.io/metadata.name", "y"),
            ("ns", "y"),
            ("team", "blue")
        ])
    );
    let bare = all.iter().find(|w| w.name == "bare").unwrap();
    assert_eq!(bare.labels, sel(&[("kubernetes.io/metadata.name", "bare")]));
    // A namespace is no pod: the store seen as a cluster lists it as a
    // namespace only, and no pod name resolves to it.
    let snap = kubescribe_events::cluster::ClusterSnapshot::from_store(&mut store).unwrap();
    assert!(snap.namespaces.contains(&"bare".to_string()));
    assert!(snap.pods.is_empty(), "{:?}", snap.pods);
    assert!(kubescribe_events::store::pod_candidates(&all, "y").is_empty());
}

#[test]
fn hubble_keeps_cilium_identity_labels() {
    let line = r#"{"flow":{"verdict":"FORWARDED","l4":{"TCP":{"source_port":5,"destination_port":80}},"source":{"namespace":"a","labels":["k8s:app=c","k8s:io.cilium.k8s.namespace.labels.team=blue","k8s:io.cilium.k8s.policy.serviceaccount=sa","k8s:io.kubernetes.pod.namespace=a"],"pod_name":"c-1"},"destination":{"namespace":"b","labels":["k8s:app=s","k8s:io.cilium.k8s.policy.cluster=default"],"pod_name":"s-1"},"traffic_direction":"EGRESS"}}"#;
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let (_, out) = kubescribe_events::convert(&v);
    let kubescribe_events::Converted::Events(events) = &out[0] else {
        panic!("{out:?}")
    };
    let e = &events[0];
    assert_eq!(
        e.pod.labels,
        sel(&[
            ("app", "c"),
            ("io.cilium.k8s.namespace.labels.team", "blue"),
            ("io.cilium.k8s.policy.serviceaccount", "sa")
        ])
    );
    let kubescribe_events::EventKind::Network(n) = &e.kind else {
        panic!()
    };
    assert_eq!(
        n.peer.as_ref().unwrap().labels,
        sel(&[("app", "s"), ("io.cilium.k8s.policy.cluster", "default")])
    );
}
