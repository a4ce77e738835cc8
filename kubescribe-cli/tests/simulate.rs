//! `kubescribe simulate` end to end: ingest Hubble flows, replay them
//! against the example network policies.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
}

/// A Hubble flow (as `hubble observe -o json` prints it) from `src` to `dst`
/// on TCP `port`, seen at the destination (ingress).
fn flow(src: (&str, &str, &str), dst: (&str, &str, &str), port: u16, n: u32) -> String {
    let ep = |(app, ns, ip): (&str, &str, &str), id: u32| {
        format!(
            r#"{{"ID":{id},"identity":{id},"namespace":"{ns}","labels":["k8s:app={app}","k8s:io.kubernetes.pod.namespace={ns}"],"pod_name":"{app}-{id}"}}"#
        )
        .replace("IPADDR", ip)
    };
    format!(
        r#"{{"flow":{{"time":"2025-03-01T12:40:{n:02}.000000000Z","verdict":"FORWARDED","IP":{{"source":"{}","destination":"{}","ipVersion":"IPv4"}},"l4":{{"TCP":{{"source_port":{},"destination_port":{port},"flags":{{"SYN":true}}}}}},"source":{},"destination":{},"Type":"L3_L4","node_name":"node-a","event_type":{{"type":4}},"traffic_direction":"INGRESS","is_reply":false}},"node_name":"node-a","time":"2025-03-01T12:40:{n:02}.000000000Z"}}"#,
        src.2,
        dst.2,
        40000 + n,
        ep(src, 100 + n),
        ep(dst, 200),
    )
}

#[test]
fn simulate_reports_per_rule_and_lists_blocked_events() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("flows.jsonl");
    let cart = ("cartservice", "shop", "10.1.0.20");
    let lines = [
        flow(("frontend", "shop", "10.1.0.10"), cart, 7070, 1),
        flow(("frontend", "shop", "10.1.0.11"), cart, 7070, 2),
        flow(("checkout", "shop", "10.1.0.30"), cart, 7070, 3),
        flow(("frontend", "shop", "10.1.0.10"), cart, 22, 4),
    ];
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();
    let store = dir.path().join("s.db");
    let o = bin()
        .args([
            "ingest",
            events.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let policies =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies/network-shop.yaml");
    let o = bin()
        .args([
            "simulate",
            policies.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "blocked events exit 1: {out}");
    assert!(out.contains("blocked events (2)"), "{out}");
    assert!(out.contains(":7070"), "{out}");
    assert!(out.contains(":22"), "{out}");
    assert!(out.contains("/spec/ingress/0"), "{out}");

    let o = bin()
        .args([
            "simulate",
            policies.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Flows are stored once per direction of observation: each event is one row here.
    let t = &v["totals"];
    assert_eq!(
        t["allowed"].as_u64().unwrap() + t["blocked"].as_u64().unwrap(),
        4,
        "{t}"
    );
    assert_eq!(t["blocked"], 2, "{t}");
    let events = v["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["decision"]["verdict"].is_string()));
}

#[test]
fn simulate_rejects_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("none.db");
    let pol = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies/network-shop.yaml");
    let o = bin()
        .args([
            "simulate",
            pol.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no store at"));
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x, namespace: a}\nspec:\n  selector: app = 'x'\n",
    )
    .unwrap();
    let events = dir.path().join("e.jsonl");
    std::fs::write(
        &events,
        flow(("a", "a", "10.0.0.1"), ("b", "a", "10.0.0.2"), 80, 1) + "\n",
    )
    .unwrap();
    let ok = dir.path().join("ok.db");
    bin()
        .args([
            "ingest",
            events.to_str().unwrap(),
            "--store",
            ok.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    let o = bin()
        .args([
            "simulate",
            bad.to_str().unwrap(),
            "--store",
            ok.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("/spec/selector") && err.contains("character 5"),
        "{err}"
    );
}

/// Tetragon events under a TracingPolicy: calls its selectors match are
/// blocked (Sigkill), a process start an exec hook may see is "not
/// simulated", and neither is counted as allowed.
#[test]
fn simulate_judges_tetragon_calls_and_counts_what_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("tetragon.jsonl");
    let pod = r#""pod":{"namespace":"shop","name":"web-1","pod_labels":{"app":"web"}}"#;
    let lines = [
        format!(
            r#"{{"process_kprobe":{{"process":{{"binary":"/bin/cat",{pod}}},"function_name":"security_file_permission","args":[{{"file_arg":{{"path":"/etc/shadow"}}}},{{"int_arg":4}}]}},"time":"2025-03-01T12:00:00Z"}}"#
        ),
        format!(
            r#"{{"process_exec":{{"process":{{"binary":"/usr/bin/nc",{pod}}}}},"time":"2025-03-01T12:00:01Z"}}"#
        ),
    ];
    std::fs::write(&events, lines.join("\n") + "\n").unwrap();
    let policy = dir.path().join("tp.yaml");
    std::fs::write(
        &policy,
        r#"apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata: {name: guard}
spec:
  kprobes:
  - call: security_file_permission
    syscall: false
    args: [{index: 0, type: file}, {index: 1, type: int}]
    selectors:
    - matchArgs:
      - {index: 0, operator: Prefix, values: [/etc/shadow]}
      - {index: 1, operator: Equal, values: ["4"]}
      matchActions: [{action: Sigkill}]
  - call: sys_execve
    syscall: true
    args: [{index: 0, type: string}]
    selectors:
    - matchArgs: [{index: 0, operator: Postfix, values: [/nc]}]
      matchActions: [{action: Sigkill}]
"#,
    )
    .unwrap();
    let store = dir.path().join("s.db");
    let o = bin()
        .args([
            "ingest",
            events.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--quiet",
        ])
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
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "a blocked call exits 1: {out}");
    assert!(
        out.contains("0 allowed, 0 audited, 1 blocked, 0 unknown, 1 not simulated"),
        "{out}"
    );
    assert!(out.contains("not simulated events (1)"), "{out}");
    assert!(out.contains("sys_execve"), "{out}");
    let o = bin()
        .args([
            "simulate",
            policy.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["totals"]["not_simulated"], 1);
    assert_eq!(v["totals"]["allowed"], 0);
}

/// KubeArmor's allow-list falls back to the default posture; a namespace's
/// own posture (its `kubearmor-file-posture` annotation) is given with
/// --namespace-posture.
#[test]
fn simulate_takes_a_namespace_kubearmor_posture() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("ka.jsonl");
    std::fs::write(
        &events,
        r#"{"Type":"ContainerLog","Operation":"File","Resource":"/etc/hosts","NamespaceName":"shop","PodName":"web-1","ContainerName":"web","Labels":"app=web","ProcessName":"/bin/cat","Data":"syscall=SYS_OPENAT flags=O_RDONLY","Result":"Passed"}
"#,
    )
    .unwrap();
    let policy = dir.path().join("ksp.yaml");
    std::fs::write(
        &policy,
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: secret-only, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  file:\n    matchPaths:\n    - path: /secret.txt\n  action: Allow\n",
    )
    .unwrap();
    let store = dir.path().join("s.db");
    let o = bin()
        .args([
            "ingest",
            events.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let run = |extra: &[&str]| {
        let mut c = bin();
        c.args([
            "simulate",
            policy.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ]);
        c.args(extra);
        c.output().unwrap()
    };
    let o = run(&[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "block posture: {out}");
    assert!(out.contains("default posture (block)"), "{out}");
    let o = run(&["--namespace-posture", "shop:file=audit"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("0 allowed, 1 audited, 0 blocked"), "{out}");
    // The network posture leaves files alone.
    let o = run(&["--namespace-posture", "shop:network=audit"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["--namespace-posture", "shop:disk=audit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("NS:KIND=POSTURE"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
