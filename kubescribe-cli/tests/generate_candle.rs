//! `kubescribe generate --backend candle` end to end on a tiny random Llama
//! the test writes: constrained decoding (the default) turns a model that
//! emits garbage into a valid policy of the intent's kind, tightened to the
//! intent's namespace and labels; `--no-constrain` shows the model alone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kubescribe_infer::candle::fixture::{TinyConfig, write_tiny_llama};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("run kubescribe")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn intent() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/intents/nginx-www.json")
}

#[test]
fn candle_backend_generates_a_valid_policy_with_constrained_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_tiny_llama(&dir.path().join("tiny"), &TinyConfig::default()).unwrap();
    let trace = dir.path().join("trace.json");
    let o = run(&[
        "generate",
        "--intent-file",
        intent().to_str().unwrap(),
        "--backend",
        "candle",
        "--model",
        model.dir.to_str().unwrap(),
        "--max-new-tokens",
        "400",
        "--max-attempts",
        "1",
        "-o",
        "json",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("constrained to security.kubearmor.com/v1/KubeArmorPolicy"),
        "{err}"
    );
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["kind"], "KubeArmorPolicy", "{out}");
    assert_eq!(out["status"], "valid", "{out}");
    // tightened to the intent's scope
    assert_eq!(out["policy"]["metadata"]["namespace"], "shop", "{out}");
    if let Some(labels) = out["policy"]["spec"]["selector"]["matchLabels"].as_object() {
        for (k, v) in labels {
            assert_eq!((k.as_str(), v.as_str()), ("app", Some("nginx")), "{out}");
        }
    }
    let t: Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(
        t["constrained_to"],
        "security.kubearmor.com/v1/KubeArmorPolicy"
    );
    assert_eq!(t["attempts"][0]["constrained"], true);
    assert_eq!(t["attempts"][0]["generator"], "tiny");

    // The same model unconstrained: garbage, every attempt fails (exit 1).
    // Its own trace file: generate never replaces an earlier one without --force.
    let unconstrained_trace = dir.path().join("trace-unconstrained.json");
    let o = run(&[
        "generate",
        "--intent-file",
        intent().to_str().unwrap(),
        "--backend",
        "candle",
        "--model",
        model.dir.to_str().unwrap(),
        "--max-new-tokens",
        "64",
        "--max-attempts",
        "1",
        "--no-constrain",
        "--trace",
        unconstrained_trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(&unconstrained_trace).unwrap()).unwrap();
    assert!(t.get("constrained_to").is_none(), "{t}");
    assert_eq!(t["attempts"][0]["constrained"], false);
    assert_eq!(t["attempts"][0]["valid"], false);

    // A GGUF file works the same way.
    let o = run(&[
        "generate",
        "--intent-file",
        intent().to_str().unwrap(),
        "--backend",
        "candle",
        "--model",
        model.gguf.to_str().unwrap(),
        "--max-new-tokens",
        "400",
        "--max-attempts",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("kind: KubeArmorPolicy"),
        "{}",
        text(&o)
    );
}

#[test]
fn eval_batch_stores_the_generations_of_eval_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let model = write_tiny_llama(&dir.path().join("tiny"), &TinyConfig::default()).unwrap();
    let dataset = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/eval/dataset.jsonl");
    let backend = format!("candle:{}", model.dir.display());
    let generations = |batch: &str| {
        let out = dir.path().join(format!("eval-{batch}"));
        let o = run(&[
            "eval",
            "--dataset",
            dataset.to_str().unwrap(),
            "--backend",
            &backend,
            "--max-new-tokens",
            "160",
            "--batch",
            batch,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let text = std::fs::read_to_string(out.join("generations-tiny.jsonl")).unwrap();
        let mut outputs: Vec<(String, String)> = text
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (v["id"].to_string(), v["output"].to_string())
            })
            .collect();
        outputs.sort();
        outputs
    };
    let one = generations("1");
    assert_eq!(one.len(), 3, "{one:?}");
    assert_eq!(generations("3"), one);
    let o = run(&[
        "eval",
        "--dataset",
        dataset.to_str().unwrap(),
        "--backend",
        &backend,
        "--batch",
        "0",
        "--out",
        dir.path().join("zero").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
