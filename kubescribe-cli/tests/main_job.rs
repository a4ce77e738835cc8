//! The main job as the README shows it (`generate --intent … --events …`
//! over the bundled samples), `generate --store`, `kubescribe prompt` and
//! `kubescribe dataset build`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run kubescribe")
}

fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Splits a shell command line: words, double-quoted strings.
fn shell_words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

const SAMPLES: [&str; 5] = [
    "examples/events/falco.jsonl",
    "examples/events/tetragon.jsonl",
    "examples/events/kubearmor.jsonl",
    "examples/events/hubble.jsonl",
    "examples/manifests/shop.yaml",
];

#[test]
fn the_readme_main_job_runs_offline_on_the_bundled_samples() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| {
            l.starts_with("cargo run -p kubescribe-cli -- generate") && l.contains("--events")
        })
        .expect("the README shows the main job with --events");
    let words = shell_words(line);
    let args: Vec<&str> = words
        .iter()
        .skip_while(|w| *w != "--")
        .skip(1)
        .map(String::as_str)
        .collect();
    assert_eq!(args[0], "generate");
    for f in SAMPLES {
        assert!(args.contains(&f), "the README command should ingest {f}");
    }
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ingested 5 file(s) into a temporary store"),
        "{err}"
    );
    for part in [
        "layer 1 (schema and API-server rules): ok",
        "layer 2 (selector, paths and binaries against the store): ok",
        "layer 3 (properties: ports and protocols served, peers exist, CIDRs sane): ok",
        "simulation (24 distinct event(s) of namespace shop, 25 observation(s), replayed; KubeArmor posture block): 24 allowed, 0 audited, 1 blocked, 0 unknown",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    // The README's intent blocks writes below /etc/nginx/ for nginx: the
    // sample Falco write of /etc/nginx/conf.d/evil.conf is blocked, the
    // configuration reads are not.
    assert!(
        err.contains("blocked: shop/nginx-6d4cf56db6-x7k2p: write /etc/nginx/conf.d/evil.conf"),
        "{err}"
    );
    assert!(
        !err.contains("blocked: shop/nginx-6d4cf56db6-x7k2p: read"),
        "{err}"
    );
    // The printed policy validates again, and against the samples' store.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, &o.stdout).unwrap();
    let store = dir.path().join("s.db");
    let mut ingest = vec!["ingest", "-q", "--store", store.to_str().unwrap()];
    ingest.extend(SAMPLES);
    let i = run(&ingest);
    assert_eq!(i.status.code(), Some(0), "{}", text(&i));
    let v = run(&[
        "validate",
        policy.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    // --store gives the same policy as --events over the same files.
    let mut with_store: Vec<&str> = Vec::new();
    let mut in_events = false;
    for a in &args {
        if *a == "--events" {
            in_events = true;
            continue;
        }
        if in_events && !a.starts_with("--") {
            continue;
        }
        in_events = false;
        with_store.push(a);
    }
    with_store.extend(["--store", store.to_str().unwrap()]);
    let s = run(&with_store);
    assert_eq!(s.status.code(), Some(0), "{}", text(&s));
    assert_eq!(s.stdout, o.stdout);
}

#[test]
fn generate_events_reports_unreadable_files_and_conflicts_with_store() {
    let o = run(&[
        "generate",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--events",
        "examples/events/no-such-file.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no-such-file.jsonl"), "{}", text(&o));
    let o = run(&[
        "generate",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--events",
        "examples/events/falco.jsonl",
        "--store",
        "x.db",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot be used with"), "{}", text(&o));
    // A malformed record is listed with its line, not silently dropped.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    let good = std::fs::read_to_string(root().join("examples/events/kubearmor.jsonl")).unwrap();
    std::fs::write(&bad, format!("{good}{{\"not\": \"an event\"\n")).unwrap();
    let o = run(&[
        "generate",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--events",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("skipped record:") && err.contains(":8"),
        "{err}"
    );
    assert!(
        err.contains("1 malformed or unsupported record(s) skipped"),
        "{err}"
    );
}

#[test]
fn prompt_prints_the_prompt_with_the_stores_context() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let mut ingest = vec!["ingest", "-q", "--store", store.to_str().unwrap()];
    ingest.extend(SAMPLES);
    assert_eq!(run(&ingest).status.code(), Some(0));
    let s = store.to_str().unwrap();
    let o = run(&[
        "prompt",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--store",
        s,
        "--template",
        "checklist",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    // System prompt (KubeArmor grammar), scope, observed context, intent.
    assert!(out.contains("KubeArmorPolicy"), "{out}");
    assert!(out.contains("\"shop\""), "{out}");
    assert!(out.contains("/var/www/html"), "{out}");
    assert!(out.contains("\"/usr/sbin/nginx\""), "{out}");
    // A smaller budget gives a shorter context; another template another text.
    let small = run(&[
        "prompt",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--store",
        s,
        "--template",
        "checklist",
        "--budget",
        "20",
    ]);
    assert!(small.stdout.len() < o.stdout.len());
    let minimal = run(&[
        "prompt",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--template",
        "minimal",
    ]);
    assert_eq!(minimal.status.code(), Some(0), "{}", text(&minimal));
    assert!(minimal.stdout.len() < o.stdout.len());
    // Natural language, JSON messages, ChatML formatting.
    let j = run(&[
        "prompt",
        "--intent",
        "block writes to /etc/nginx/ for app=nginx in namespace shop",
        "--store",
        s,
        "-o",
        "json",
    ]);
    assert_eq!(j.status.code(), Some(0), "{}", text(&j));
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(v["kind"], "KubeArmorPolicy");
    assert_eq!(v["messages"][0]["role"], "system");
    assert!(
        v["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("/etc/nginx/")
    );
    let c = run(&[
        "prompt",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--chat",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    let chat = String::from_utf8_lossy(&c.stdout);
    assert!(
        chat.starts_with("<|im_start|>system\n") && chat.ends_with("<|im_start|>assistant\n"),
        "{chat}"
    );
    let bad = run(&[
        "prompt",
        "--intent-file",
        "examples/intents/nginx-www.json",
        "--template",
        "fancy",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("zero-shot, few-shot"), "{}", text(&bad));
}

const SEED_POLICIES: &str = r#"apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: no-shells, namespace: ci}
spec:
  selector: {matchLabels: {app: runner}}
  process:
    matchPaths: [{path: /bin/sh}, {path: /bin/bash}]
  action: Block
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: cart-from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: cartservice}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{protocol: TCP, port: 7070}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api-egress, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: api}}
  egress:
  - toCIDR: [10.20.0.0/16]
    toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: ssh-keys, namespace: web}
spec:
  selector: {matchLabels: {app: nginx}}
  file:
    matchPaths: [{path: /root/.ssh/authorized_keys, readOnly: true}]
  action: Block
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: Bad_Name, namespace: shop}
spec: {podSelector: {}}
"#;

#[test]
fn dataset_build_writes_reproducible_pairs_the_eval_harness_reads() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    std::fs::write(policies.join("seeds.yaml"), SEED_POLICIES).unwrap();
    let store = dir.path().join("s.db");
    let mut ingest = vec!["ingest", "-q", "--store", store.to_str().unwrap()];
    ingest.extend(SAMPLES);
    assert_eq!(run(&ingest).status.code(), Some(0));
    let build = |out: &str| {
        run_in(
            dir.path(),
            &[
                "dataset",
                "build",
                "--policies",
                "policies",
                "--store",
                "s.db",
                "--out",
                out,
                "--seed",
                "3",
                "--test-share",
                "0.25",
                "--augment",
                "8",
            ],
        )
    };
    let o = build("a");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains("read: 5 policy document(s) in 1 path(s); 4 valid seed(s)"),
        "{summary}"
    );
    assert!(summary.contains("invalid at layer 1"), "{summary}");
    assert!(
        summary.contains("4 from the policies themselves"),
        "{summary}"
    );
    let again = build("b");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    for f in [
        "train.jsonl",
        "test.jsonl",
        "skipped.jsonl",
        "manifest.json",
    ] {
        let a = std::fs::read(dir.path().join("a").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between two builds with the same seed");
    }
    let lines: Vec<serde_json::Value> = ["train.jsonl", "test.jsonl"]
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(dir.path().join("a").join(f))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(lines.len() >= 12, "{}", lines.len());
    // Store workloads reach the augmentation: label sets only the samples have.
    let from_store = |l: &serde_json::Value| {
        let labels = &l["intent"]["scope"]["labels"];
        *labels == serde_json::json!({"app": "redis-cart"})
            || *labels == serde_json::json!({"app": "nginx", "tier": "web"})
    };
    assert!(
        lines
            .iter()
            .any(|l| l["origin"] == "synth" && from_store(l)),
        "no variant uses the store's workloads"
    );
    // The evaluation harness reads the split and the synthesizer scores it.
    let eval = run_in(
        dir.path(),
        &[
            "eval",
            "--dataset",
            "a/train.jsonl",
            "--backend",
            "synth",
            "--out",
            "eval",
            "-q",
        ],
    );
    assert_eq!(eval.status.code(), Some(0), "{}", text(&eval));
    // Bad arguments.
    let o = run_in(
        dir.path(),
        &["dataset", "build", "--policies", "nowhere", "--out", "c"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nowhere"));
    let o = run_in(
        dir.path(),
        &[
            "dataset",
            "build",
            "--policies",
            "policies",
            "--out",
            "c",
            "--test-share",
            "1.5",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
