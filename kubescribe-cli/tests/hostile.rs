//! Hostile input through the CLI (issue 19): deep selectors, control
//! characters in names and keys, large valid files.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// An empty event store (simulate needs one).
fn empty_store(dir: &Path) -> String {
    let events = dir.join("none.jsonl");
    std::fs::write(&events, "").unwrap();
    let store = dir.join("s.db");
    let o = run(&[
        "ingest",
        events.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    store.to_str().unwrap().to_string()
}

fn calico_policy(selector: &str) -> String {
    serde_json::json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deep", "namespace": "shop"},
        "spec": {"selector": selector, "types": ["Ingress"], "ingress": [{"action": "Allow"}]}
    })
    .to_string()
}

#[test]
fn deep_selectors_are_a_clear_error_in_simulate_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let store = empty_store(dir.path());
    for (name, selector) in [
        (
            "parens",
            format!("{}app == 'x'{}", "(".repeat(10_000), ")".repeat(10_000)),
        ),
        ("bangs", format!("{}has(app)", "!".repeat(300_000))),
    ] {
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, calico_policy(&selector)).unwrap();
        let o = run(&["simulate", file.to_str().unwrap(), "--store", &store]);
        let (out, err) = text(&o);
        // Before: SIGABRT (stack overflow), no exit code.
        assert_eq!(o.status.code(), Some(2), "{name}: {out}{err}");
        assert!(err.contains("/spec/selector"), "{name}: {err}");
        assert!(err.contains("SELECTOR_MAX_CHARS"), "{name}: {err}");
        assert!(
            err.len() < 2_000,
            "{name}: the error repeats the whole selector"
        );
        let o = run(&["validate", file.to_str().unwrap()]);
        let (out, err) = text(&o);
        assert!(o.status.code().is_some(), "{name}: killed by a signal");
        assert_ne!(o.status.code(), Some(0), "{name}: {out}{err}");
    }
}

#[test]
fn large_valid_multi_document_files_validate() {
    // Over 300,000 YAML nodes in 1,000 valid NetworkPolicies (~2 MiB): the
    // YAML reader's default node budget (250,000) called this malformed.
    let mut s = String::new();
    for i in 0..1_000 {
        s.push_str(&format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p{i}\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels: {{app: web}}\n  policyTypes: [Ingress]\n  ingress:\n"
        ));
        for r in 0..20 {
            s.push_str(&format!(
                "  - from:\n    - podSelector: {{matchLabels: {{app: c{r}}}}}\n    ports:\n    - {{port: {}, protocol: TCP}}\n",
                1000 + r
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("many.yaml");
    std::fs::write(&f, &s).unwrap();
    let o = run(&["validate", f.to_str().unwrap(), "-o", "json"]);
    let (out, err) = text(&o);
    assert!(!err.contains("malformed"), "{err}");
    assert!(!err.contains("exceeds the limit"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let n = v
        .as_array()
        .map(Vec::len)
        .or_else(|| v["reports"].as_array().map(Vec::len))
        .unwrap_or(0);
    assert_eq!(n, 1_000, "{err}");
}

/// A Hubble flow (as `hubble observe -o json` prints it) from
/// `frontend` to `cartservice` in `shop` on TCP `port`, seen at the
/// destination.
fn flow(port: u16, n: u32) -> String {
    let ep = |app: &str, id: u32| {
        format!(
            r#"{{"ID":{id},"identity":{id},"namespace":"shop","labels":["k8s:app={app}","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"{app}-{id}"}}"#
        )
    };
    format!(
        r#"{{"flow":{{"time":"2025-03-01T12:40:{n:02}.000000000Z","verdict":"FORWARDED","IP":{{"source":"10.1.0.10","destination":"10.1.0.20","ipVersion":"IPv4"}},"l4":{{"TCP":{{"source_port":{},"destination_port":{port},"flags":{{"SYN":true}}}}}},"source":{},"destination":{},"Type":"L3_L4","node_name":"node-a","event_type":{{"type":4}},"traffic_direction":"INGRESS","is_reply":false}},"node_name":"node-a","time":"2025-03-01T12:40:{n:02}.000000000Z"}}"#,
        40000 + n,
        ep("frontend", 100 + n),
        ep("cartservice", 200),
    )
}

const FORGED: &str = "x\u{1b}[2J\nFORGED: ok";

/// No raw control character, and no line the input wrote.
fn assert_inert(what: &str, s: &str) {
    for c in ['\u{1b}', '\r', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!s.contains(c), "{what}: raw {c:?} in {s:?}");
    }
    assert!(
        !s.lines().any(|l| l.trim_start().starts_with("FORGED")),
        "{what}: a forged line in {s}"
    );
}

#[test]
fn control_characters_in_names_and_keys_are_escaped_in_reports() {
    let dir = tempfile::tempdir().unwrap();
    let policy = serde_json::json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": FORGED,
            "namespace": "shop",
            "labels": {"\nFORGED: ok": "\u{1b}[31mred", "a\u{202e}b": "\r\u{7}"}
        },
        "spec": {
            "podSelector": {"matchLabels": {"app": "cartservice"}},
            "policyTypes": ["Ingress"],
            "ingress": [{
                "from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}],
                "ports": [{"port": 7070, "protocol": "TCP"}]
            }]
        }
    });
    let file = dir.path().join("hostile.json");
    std::fs::write(&file, policy.to_string()).unwrap();

    // validate: text and JSON.
    for format in ["text", "json"] {
        let o = run(&["validate", file.to_str().unwrap(), "-o", format]);
        let (out, err) = text(&o);
        assert!(o.status.code().is_some());
        assert!(out.contains("NetworkPolicy"), "{out}{err}");
        assert_inert(&format!("validate -o {format} stdout"), &out);
        assert_inert(&format!("validate -o {format} stderr"), &err);
    }

    // simulate: a blocked flow names the policy and its rule.
    let events = dir.path().join("flows.jsonl");
    std::fs::write(&events, format!("{}\n{}\n", flow(7070, 1), flow(22, 2))).unwrap();
    let store = dir.path().join("s.db");
    let o = run(&[
        "ingest",
        events.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = run(&[
        "simulate",
        file.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("blocked events (1)"), "{out}");
    assert!(out.contains("x\\u{1b}[2J\\nFORGED: ok"), "{out}");
    assert_inert("simulate stdout", &out);
    assert_inert("simulate stderr", &err);

    // An error that repeats user data (a selector that does not parse).
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, calico_policy("app == 'x' \u{1b}[2J\nFORGED: ok")).unwrap();
    let o = run(&[
        "simulate",
        bad.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(err.contains("/spec/selector"), "{err}");
    assert_inert("simulate error", &err);
}

#[test]
fn deep_crds_and_documents_are_a_limit_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    // A CRD schema nested 480 levels (YAML): reading it overflowed the
    // stack (the CRD reader allowed 512 levels).
    let mut lines: Vec<String> = [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata: {name: ws.example.com}",
        "spec:",
        "  group: example.com",
        "  names: {kind: W, plural: ws}",
        "  scope: Namespaced",
        "  versions:",
        "  - name: v1",
        "    served: true",
        "    storage: true",
        "    schema:",
        "      openAPIV3Schema:",
        "        type: object",
        "        properties:",
        "          spec:",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut indent = 12;
    for _ in 0..240 {
        lines.push(format!("{}type: object", " ".repeat(indent)));
        lines.push(format!("{}properties:", " ".repeat(indent)));
        lines.push(format!("{}a:", " ".repeat(indent + 2)));
        indent += 4;
    }
    lines.push(format!("{}type: string", " ".repeat(indent)));
    let crd = dir.path().join("crd.yaml");
    std::fs::write(&crd, lines.join("\n") + "\n").unwrap();
    let doc = dir.path().join("w.json");
    std::fs::write(
        &doc,
        r#"{"apiVersion":"example.com/v1","kind":"W","metadata":{"name":"w","namespace":"x"},"spec":{}}"#,
    )
    .unwrap();
    let o = run(&[
        "validate",
        doc.to_str().unwrap(),
        "--crd",
        crd.to_str().unwrap(),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(err.contains("DOCUMENT_MAX_DEPTH"), "{err}");
    // JSON nested past serde_json's limit: a limit too, not "malformed YAML".
    let deep = dir.path().join("deep.json");
    std::fs::write(&deep, format!("{}1{}", "[".repeat(300), "]".repeat(300))).unwrap();
    let o = run(&["validate", deep.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        format!("{out}{err}").contains("DOCUMENT_MAX_DEPTH"),
        "{out}{err}"
    );
}

#[test]
fn simulate_names_the_file_limit_and_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let store = empty_store(dir.path());
    let file = dir.path().join("big.yaml");
    let mut s = String::new();
    for i in 0..3_000 {
        s.push_str(&format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{i}, namespace: shop}}\nspec: {{podSelector: {{}}, policyTypes: [Ingress], ingress: [{{from: [{{podSelector: {{matchLabels: {{app: a{i}}}}}}}]}}]}}\n"
        ));
    }
    assert!(s.len() > 400_000 && s.len() < 1024 * 1024, "{}", s.len());
    std::fs::write(&file, &s).unwrap();
    // Over a limit of 0 MiB: refused, naming the flag that raises it.
    let o = run(&[
        "simulate",
        file.to_str().unwrap(),
        "--store",
        &store,
        "--max-file-mib",
        "0",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        err.contains("DOCUMENT_MAX_BYTES") && err.contains("--max-file-mib"),
        "{err}"
    );
    // Within it: simulated.
    let o = run(&["simulate", file.to_str().unwrap(), "--store", &store]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("against 3000 policies"), "{out}");
}
