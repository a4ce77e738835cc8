//! `kubescribe simulate` reads the store's manifests: a Namespace's labels
//! decide a `namespaceSelector`, a Deployment's container port names decide
//! a named port.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
}

/// A Hubble flow from `src` (app, namespace) to app=web in shop on TCP `port`,
/// seen at the destination.
fn flow(src: (&str, &str), port: u16, n: u32) -> String {
    format!(
        r#"{{"flow":{{"time":"2025-03-01T12:40:{n:02}.000000000Z","verdict":"FORWARDED","IP":{{"source":"10.1.0.{n}","destination":"10.1.0.99"}},"l4":{{"TCP":{{"source_port":{},"destination_port":{port}}}}},"source":{{"namespace":"{}","labels":["k8s:app={}"],"pod_name":"{}-{n}"}},"destination":{{"namespace":"shop","labels":["k8s:app=web"],"pod_name":"web-5d8c7b9f6d-x2k9q"}},"traffic_direction":"INGRESS"}}}}"#,
        40000 + n,
        src.1,
        src.0,
        src.0
    )
}

const MANIFESTS: &str = "apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {team: observability}}
---
apiVersion: v1
kind: Namespace
metadata: {name: guests}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web
        ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]
";

const POLICY: &str = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: observability}}}]
    ports: [{port: metrics}]
  - from: [{podSelector: {}}]
    ports: [{port: http}]
";

#[test]
fn simulate_uses_namespace_labels_and_named_ports_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("flows.jsonl");
    let lines = [
        flow(("prometheus", "monitoring"), 9090, 1),
        flow(("crawler", "guests"), 9090, 2),
        flow(("frontend", "shop"), 8080, 3),
        flow(("frontend", "shop"), 9090, 4),
    ];
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();
    let manifests = dir.path().join("manifests.yaml");
    std::fs::write(&manifests, MANIFESTS).unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    let store = dir.path().join("s.db");
    let o = bin()
        .args([
            "ingest",
            events.to_str().unwrap(),
            manifests.to_str().unwrap(),
        ])
        .args(["--store", store.to_str().unwrap(), "--quiet"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = bin()
        .args([
            "simulate",
            policy.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ])
        .args(["-o", "json"])
        .output()
        .unwrap();
    let out: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    let verdict_of = |app: &str, port: u64| -> String {
        out["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["event"]["kind"]["peer"]["labels"]["app"] == app
                    && e["event"]["kind"]["local_port"] == port
            })
            .unwrap_or_else(|| panic!("no event {app}:{port} in {out}"))["decision"]["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(verdict_of("prometheus", 9090), "allow", "{out}");
    assert_eq!(verdict_of("crawler", 9090), "block", "{out}");
    assert_eq!(verdict_of("frontend", 8080), "allow", "{out}");
    assert_eq!(verdict_of("frontend", 9090), "block", "{out}");
    assert_eq!(o.status.code(), Some(1), "something is blocked");
}
