//! `kubescribe generate` and `kubescribe eval --backend synth` end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .output()
        .expect("run kubescribe")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn generated_policies_are_valid_and_revalidate_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    for intent in [
        "nginx-www.json",
        "cart-from-frontend.json",
        "block-passwd-write.json",
    ] {
        let f = examples().join("intents").join(intent);
        let o = run(&["generate", "--intent-file", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{intent}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(": valid"),
            "{}",
            text(&o)
        );
        // The printed YAML validates again through `kubescribe validate`.
        let out = dir.path().join(intent.replace(".json", ".yaml"));
        std::fs::write(&out, &o.stdout).unwrap();
        let v = run(&["validate", out.to_str().unwrap()]);
        assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    }
    let f = examples().join("intents/cart-from-frontend.json");
    let o = run(&[
        "generate",
        "--intent-file",
        f.to_str().unwrap(),
        "--engine",
        "calico",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "NetworkPolicy");
    assert_eq!(v["engine"], "calico");
    assert_eq!(v["valid"], true);
    assert_eq!(v["policy"]["spec"]["selector"], "app == 'cartservice'");
}

#[test]
fn inexpressible_and_unreadable_intents() {
    // A NetworkPolicy cannot block: exit 1 naming what cannot be expressed.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("block.json");
    std::fs::write(&f, r#"{"scope": {"namespace": "a", "labels": {"app": "x"}}, "domain": "network", "action": "block", "resources": {"cidrs": ["10.0.0.0/8"]}}"#).unwrap();
    let o = run(&[
        "generate",
        "--intent-file",
        f.to_str().unwrap(),
        "--engine",
        "kubernetes",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("cannot express block rules"),
        "{}",
        text(&o)
    );
    assert!(o.stdout.is_empty(), "nothing may be printed as a policy");
    // Not an intent: exit 2 pointing at the schema.
    std::fs::write(&f, r#"{"scope": {}, "domain": "files"}"#).unwrap();
    let o = run(&["generate", "--intent-file", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("schema intent"), "{}", text(&o));
}

#[test]
fn eval_with_the_synthesizer_backend() {
    let dir = tempfile::tempdir().unwrap();
    let ds = examples().join("eval/dataset.jsonl");
    let o = run(&[
        "eval",
        "--dataset",
        ds.to_str().unwrap(),
        "--backend",
        "synth",
        "--out",
        dir.path().to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("| synth | 3 | 0 | 100.0 | 100.0 |"),
        "{}",
        text(&o)
    );
    assert!(dir.path().join("metrics.svg").exists());
}

#[test]
fn context_summarizes_an_ingested_store_within_budget() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubescribe-events/tests/fixtures/events");
    let mut args = vec![
        "ingest".to_string(),
        "-q".into(),
        "--store".into(),
        db.display().to_string(),
    ];
    for f in ["tetragon.jsonl", "kubearmor.jsonl", "hubble.jsonl"] {
        args.push(fixtures.join(f).display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
    let small = run(&["context", "--store", db.to_str().unwrap(), "--budget", "60"]);
    let large = run(&[
        "context",
        "--store",
        db.to_str().unwrap(),
        "--budget",
        "4000",
    ]);
    assert_eq!(small.status.code(), Some(0), "{}", text(&small));
    assert!(
        small.stdout.len() < large.stdout.len(),
        "a smaller budget gives a shorter summary"
    );
    assert!(String::from_utf8_lossy(&large.stdout).contains("Observed behaviour"));
    let j = run(&["context", "--store", db.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert!(v["observations"].as_u64().unwrap() > 0);
    let missing = run(&[
        "context",
        "--store",
        dir.path().join("none.db").to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing).contains("kubescribe ingest"),
        "{}",
        text(&missing)
    );
}

#[test]
fn validate_with_a_store_checks_the_selector() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubescribe-events/tests/fixtures/events");
    let o = run(&[
        "ingest",
        "-q",
        "--store",
        db.to_str().unwrap(),
        fixtures.join("workloads.yaml").to_str().unwrap(),
        fixtures.join("kubearmor.jsonl").to_str().unwrap(),
    ]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
    let policy = dir.path().join("p.yaml");
    let ksp = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: db, namespace: shop}\nspec:\n  selector: {matchLabels: {app: APP}}\n  process:\n    matchPaths:\n    - path: /usr/bin/apt\n  action: Block\n";
    std::fs::write(&policy, ksp.replace("APP", "dbb")).unwrap();
    let o = run(&[
        "validate",
        "--store",
        db.to_str().unwrap(),
        policy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("fix: use app=db"), "{}", text(&o));
    std::fs::write(&policy, ksp.replace("APP", "db")).unwrap();
    let o = run(&[
        "validate",
        "--store",
        db.to_str().unwrap(),
        policy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Without --store, layer 2 does not run.
    std::fs::write(&policy, ksp.replace("APP", "dbb")).unwrap();
    assert_eq!(
        run(&["validate", policy.to_str().unwrap()]).status.code(),
        Some(0)
    );
}

#[test]
fn generate_from_natural_language() {
    let o = run(&[
        "generate",
        "--intent",
        "Cilium: only allow app=web in namespace shop to reach api.stripe.com on port 443",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kind"], "CiliumNetworkPolicy");
    assert_eq!(v["valid"], true);
    assert_eq!(v["policy"]["metadata"]["namespace"], "shop");
    let o = run(&[
        "generate",
        "--intent",
        "block writes to /etc/passwd for app=nginx in namespace shop",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("KubeArmorPolicy"));
    // Incomplete: the error names what to supply.
    let o = run(&["generate", "--intent", "block writes to /etc/passwd"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("which pods"), "{}", text(&o));
    assert!(o.stdout.is_empty(), "{}", text(&o));
    // One of --intent / --intent-file is required, not both.
    assert_eq!(run(&["generate"]).status.code(), Some(2));
    let o = run(&["generate", "--intent", "x", "--intent-file", "y.json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn intent_parse_prints_the_intent_and_entity_spans() {
    let t = "deny egress from app=api in namespace billing to 10.0.0.0/8 on 443/tcp";
    let o = run(&["intent", "parse", t, "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["intent"]["direction"], "egress");
    assert_eq!(v["intent"]["resources"]["cidrs"][0], "10.0.0.0/8");
    let ents = v["entities"].as_array().unwrap();
    for e in ents {
        let (s, en) = (
            e["start"].as_u64().unwrap() as usize,
            e["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&t[s..en], e["text"].as_str().unwrap());
    }
    assert!(
        ents.iter()
            .any(|e| e["kind"] == "PORT" && e["text"] == "443")
    );
    let o = run(&["intent", "parse", t]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("entities:") && out.contains("CIDR"), "{out}");
    let o = run(&["intent", "parse", "app=web in namespace shop"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("what to do"), "{}", text(&o));
    // What was understood is said in words, on standard error.
    let o = run(&["intent", "parse", t]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "understood as: block egress from pods labelled app=api in namespace billing to 10.0.0.0/8 on port 443/tcp"
        ),
        "{}",
        text(&o)
    );
    let o = run(&[
        "intent",
        "parse",
        "block bash in pod x-0",
        "--store",
        "/nonexistent/k.db",
    ]);
    assert_ne!(o.status.code(), Some(0));
}

#[test]
fn an_underspecified_intent_is_refused_not_guessed() {
    // A namespace alone names no workload: exit 1, the gap on standard
    // error, nothing on standard output (the old synthesizer wrote a policy
    // selecting every pod of the namespace).
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("gap.json");
    std::fs::write(
        &f,
        r#"{"scope": {"namespace": "shop"}, "domain": "network", "action": "allow",
            "resources": {"ports": [{"port": 5432}]}}"#,
    )
    .unwrap();
    for backend in [&[][..], &["--backend", "synth", "--trace"][..]] {
        let trace = dir.path().join("trace.json");
        let mut args = vec!["generate", "--intent-file", f.to_str().unwrap()];
        args.extend_from_slice(backend);
        if !backend.is_empty() {
            args.push(trace.to_str().unwrap());
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(o.stdout.is_empty(), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("which pods"),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn an_invalid_policy_is_never_printed() {
    // A namespace name Kubernetes rejects: the synthesized policy fails
    // layer 1, and nothing reaches standard output (it used to be printed,
    // exit 2).
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad-label.json");
    std::fs::write(
        &f,
        r#"{"scope": {"namespace": "Shop_X", "labels": {"app": "db"}},
            "domain": "network", "action": "allow", "resources": {"ports": [{"port": 80}]}}"#,
    )
    .unwrap();
    for format in ["yaml", "json"] {
        let o = run(&[
            "generate",
            "--intent-file",
            f.to_str().unwrap(),
            "--engine",
            "kubernetes",
            "-o",
            format,
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(o.stdout.is_empty(), "{format}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("not valid"),
            "{}",
            text(&o)
        );
    }
}

#[test]
fn the_synthesizer_backend_is_not_retried() {
    // A NetworkPolicy cannot block: with the loop (--backend synth and a
    // trace) the deterministic failure is tried once, not three times.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("block.json");
    std::fs::write(
        &f,
        r#"{"engine": "kubernetes", "scope": {"namespace": "a", "labels": {"app": "x"}},
            "domain": "network", "action": "block", "resources": {"ports": [{"port": 22}]}}"#,
    )
    .unwrap();
    let trace = dir.path().join("trace.json");
    let o = run(&[
        "generate",
        "--intent-file",
        f.to_str().unwrap(),
        "--backend",
        "synth",
        "--max-attempts",
        "3",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(o.stdout.is_empty(), "{}", text(&o));
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(t["attempts"].as_array().unwrap().len(), 1, "{t:#}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("after 1 attempt"),
        "{}",
        text(&o)
    );
}

/// The distinct events the report says it replayed (`simulation (N distinct
/// event(s)`), from `generate`'s standard error.
fn replayed(o: &Output) -> usize {
    let err = String::from_utf8_lossy(&o.stderr);
    let Some(at) = err.find("simulation (") else {
        panic!("no simulation line: {}", text(o))
    };
    let rest = &err[at + "simulation (".len()..];
    rest.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count: {}", text(o)))
}

#[test]
fn generate_sees_only_the_since_until_window_of_the_store() {
    // The sample Falco alerts are at 2025-11-20 10:15:01, :04, :09 and :12
    // (their evt.time); the report replays the rows the window holds.
    let intent = examples().join("intents").join("block-passwd-write.json");
    let events = examples().join("events").join("falco.jsonl");
    let gen_with = |window: &[&str]| {
        let mut args = vec![
            "generate",
            "--intent-file",
            intent.to_str().unwrap(),
            "--backend",
            "synth",
            "--events",
            events.to_str().unwrap(),
        ];
        args.extend_from_slice(window);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{window:?}: {}", text(&o));
        o
    };
    let all = replayed(&gen_with(&[]));
    assert!(all >= 4, "the sample's events: {all}");
    let none = replayed(&gen_with(&["--until", "2025-11-20T10:00:00Z"]));
    assert_eq!(none, 0, "a window before every event replays nothing");
    let early = replayed(&gen_with(&["--until", "2025-11-20T10:15:05Z"]));
    let late = replayed(&gen_with(&["--since", "2025-11-20T10:15:05Z"]));
    assert!(early > 0 && late > 0, "early {early}, late {late}");
    assert_eq!(early + late, all, "the halves of a cut add up to the whole");
    let both = replayed(&gen_with(&[
        "--since",
        "2025-11-20T10:15:00Z",
        "--until",
        "2025-11-20T10:16:00Z",
    ]));
    assert_eq!(both, all);
    // Without a store the window means nothing: refused, not ignored.
    let o = Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args([
            "generate",
            "--intent-file",
            intent.to_str().unwrap(),
            "--since",
            "1h",
        ])
        .env_remove("KUBESCRIBE_STORE")
        .output()
        .expect("run kubescribe");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--since/--until"), "{}", text(&o));
}
