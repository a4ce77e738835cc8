//! End-to-end tests of the `kubescribe` binary: exit codes, output, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run kubescribe")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn valid_examples_exit_zero() {
    for f in [
        "kubearmor-nginx-www.yaml",
        "network-shop.yaml",
        "tetragon-block-passwd-write.yaml",
    ] {
        let o = run(&["validate", examples().join(f).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", text(&o));
    }
}

#[test]
fn invalid_example_reports_lines_pointers_and_fixes() {
    let f = examples().join("invalid/kubearmor-mistakes.yaml");
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("kubearmor-mistakes.yaml:13: error: /spec/file/matchPaths/0/path"),
        "{t}"
    );
    assert!(t.contains("fix: use `Audit`"), "{t}");
    assert!(
        t.contains("rename `matchDirectorys` to `matchDirectories`"),
        "{t}"
    );

    let o = run(&["validate", "-o", "json", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let diags = reports[0]["diagnostics"].as_array().unwrap();
    let sev = diags
        .iter()
        .find(|d| d["pointer"] == "/spec/severity")
        .unwrap();
    assert_eq!(sev["layer"], "schema");
    assert_eq!(sev["rule"], "maximum");
    assert_eq!(sev["line"], 17);
    assert_eq!(sev["fix"]["replacement"], 10);
}

#[test]
fn unreadable_and_malformed_input() {
    let dir = tempfile::tempdir().unwrap();
    // Missing file: could not read.
    let o = run(&["validate", dir.path().join("nope.yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot read"));
    // Non-UTF-8 bytes: could not read, with the offset.
    let bin_file = dir.path().join("latin1.yaml");
    std::fs::write(&bin_file, b"kind: caf\xe9\n").unwrap();
    let o = run(&["validate", bin_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not UTF-8"), "{}", text(&o));
    // Malformed YAML: invalid, with a line.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: [unclosed\nmetadata: {}\n").unwrap();
    let o = run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("malformed YAML"), "{}", text(&o));
    // Unknown kind: invalid, naming the kinds we know and the nearest one.
    let unk = dir.path().join("unknown.yaml");
    std::fs::write(
        &unk,
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicies\nmetadata: {name: x}\n",
    )
    .unwrap();
    let o = run(&["validate", unk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("did you mean `cilium.io/v2` `CiliumNetworkPolicy`"),
        "{}",
        text(&o)
    );
}

#[test]
fn hostile_input_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // A YAML alias bomb ("billion laughs").
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let f = dir.path().join("bomb.yaml");
    std::fs::write(&f, bomb).unwrap();
    // 10^15 values if expanded: stopped by the parser's budgets (counted
    // steps, not time), and said so: an input over a limit is not read
    // (exit 2, as for the size limit below), not malformed.
    let o = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("budget"), "{}", text(&o));
    assert!(text(&o).contains("exceeds the limit"), "{}", text(&o));
    // A 50 MB document: refused by size before it is parsed.
    let big = dir.path().join("big.yaml");
    let mut s = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n  blob: \"");
    s.push_str(&"x".repeat(50 * 1024 * 1024));
    s.push_str("\"\n");
    std::fs::write(&big, s).unwrap();
    let o = run(&["validate", big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("limit"), "{}", text(&o));
}

#[test]
fn user_crd_and_schema_commands() {
    let dir = tempfile::tempdir().unwrap();
    let crd = dir.path().join("crd.yaml");
    std::fs::write(
        &crd,
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ws.example.com}\nspec:\n  group: example.com\n  names: {kind: W, plural: ws}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              n: {type: integer}\n",
    )
    .unwrap();
    let doc = dir.path().join("w.yaml");
    std::fs::write(
        &doc,
        "apiVersion: example.com/v1\nkind: W\nmetadata: {name: w}\nspec: {n: one}\n",
    )
    .unwrap();
    let o = run(&[
        "validate",
        "--crd",
        crd.to_str().unwrap(),
        doc.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("/spec/n"), "{}", text(&o));

    let o = run(&["schema", "intent"]);
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["title"], "Intent");
    let o = run(&["schema", "policy", "KubeArmorPolicy"]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["schema", "policy", "NetworkPolicy"]);
    assert_eq!(o.status.code(), Some(2), "ambiguous kind must be an error");
    assert!(text(&o).contains("ambiguous"));
}

#[test]
fn score_pairs_writes_one_line_per_pair_and_a_corpus_line() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        "{\"id\":\"same\",\"hypothesis\":\"spec:\\n  action: Block\",\"reference\":\"spec:\\n  action: Block\"}\n{\"id\":\"empty\",\"hypothesis\":\"\",\"reference\":\"spec: {}\"}\n",
    )
    .unwrap();
    let o = run(&["score", "--pairs", pairs.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "same");
    assert!((lines[0]["bleu"].as_f64().unwrap() - 100.0).abs() < 1e-9);
    assert!((lines[0]["rougeL"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(lines[1]["bleu"], 0.0);
    assert_eq!(lines[2]["id"], "__corpus__");
    assert!(
        text(&o).contains("no --wordnet"),
        "the METEOR fallback must be stated"
    );
    // Malformed pairs input names the line.
    std::fs::write(&pairs, "{\"id\":1}\nnot json\n").unwrap();
    let o = run(&["score", "--pairs", pairs.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("line"), "{}", text(&o));
}

#[test]
fn eval_with_a_replay_backend_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let reference = std::fs::read_to_string(examples().join("kubearmor-nginx-www.yaml")).unwrap();
    let dataset = dir.path().join("data.jsonl");
    let outputs = dir.path().join("model-a.jsonl");
    let line = |v: serde_json::Value| format!("{v}\n");
    std::fs::write(&dataset, line(serde_json::json!({"id": "1", "prompt": "nginx may only read /var/www", "reference": reference}))).unwrap();
    std::fs::write(
        &outputs,
        line(serde_json::json!({"prompt": "nginx may only read /var/www", "output": reference})),
    )
    .unwrap();
    let out = dir.path().join("report");
    let o = run(&[
        "eval",
        "--dataset",
        dataset.to_str().unwrap(),
        "--backend",
        &format!("replay:{}", outputs.display()),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("| model-a | 1 | 0 | 100.0 | 100.0 | - | 100.00 |"),
        "{}",
        text(&o)
    );
    for f in [
        "summary.md",
        "summary.csv",
        "summary.json",
        "metrics.svg",
        "scores-model-a.jsonl",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let o = run(&[
        "eval",
        "--dataset",
        dataset.to_str().unwrap(),
        "--backend",
        "candle:x",
        "--out",
        out.to_str().unwrap(),
    ]);
    // candle is a real backend now: a missing model is a clear error
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("x: no such file or directory"),
        "{}",
        text(&o)
    );
}

#[test]
fn convert_prints_policies_losses_and_exit_codes() {
    let shop = examples().join("network-shop.yaml");
    let o = run(&["convert", shop.to_str().unwrap(), "--to", "kubernetes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("kind: NetworkPolicy").count(), 3, "{out}");
    assert!(!out.contains("cilium.io"), "{out}");
    assert!(
        text(&o).contains("3 converted, 0 converted with losses"),
        "{}",
        text(&o)
    );

    let calico = examples().join("calico-db-ordered.yaml");
    let path = calico.to_str().unwrap();
    let o = run(&["convert", path, "--to", "kubernetes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    // Losses name the file line, the pointer and what was done.
    assert!(
        err.contains(&format!("{path}:16: /spec/ingress/0: Deny rule")),
        "{err}"
    );
    assert!(err.contains("/spec/order: order"), "{err}");
    // One NetworkPolicy per term of the `||` selector.
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("name: db-from-api-1") && out.contains("name: db-from-api-2"),
        "{out}"
    );

    let o = run(&["convert", path, "--to", "kubernetes", "--strict"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(o.stdout.is_empty());
    assert!(text(&o).contains("refused (--strict)"), "{}", text(&o));

    let o = run(&["convert", path, "--to", "cilium", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["converted"], true);
    assert_eq!(v[0]["policies"][0]["kind"], "CiliumNetworkPolicy");
    assert_eq!(v[0]["policies"][0]["spec"], serde_json::Value::Null);
    assert_eq!(v[0]["policies"][0]["specs"].as_array().unwrap().len(), 2);
    assert!(
        v[0]["losses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["pointer"] == "/spec/order" && l["line"] == 12)
    );

    // Not a network policy, bad target, unreadable file.
    let ka = examples().join("kubearmor-nginx-www.yaml");
    let o = run(&["convert", ka.to_str().unwrap(), "--to", "cilium"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not a network policy"), "{}", text(&o));
    let o = run(&["convert", path, "--to", "tetragon"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(&["convert", "/nonexistent.yaml", "--to", "cilium"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    // `kubescribe schema policy CiliumNetworkPolicy | head -c 10`: the schema
    // (> 64 KiB, more than a pipe holds) meets a reader that has gone.
    use std::io::Read;
    use std::process::{Command, Stdio};
    for args in [
        &["schema", "policy", "CiliumNetworkPolicy"][..],
        &["schema", "intent"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubescribe"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 10];
        let mut out = child.stdout.take().unwrap();
        let _ = out.read(&mut first);
        drop(out);
        let o = child.wait_with_output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            o.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// eval builds the prompts of samples with an intent as generate does:
/// `--template` changes them (so the generations' cache keys differ), and an
/// unknown template is a usage error.
#[test]
fn eval_prompts_follow_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let root = examples().join("../..");
    let intent: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("examples/intents/nginx-www.json")).unwrap(),
    )
    .unwrap();
    let reference = std::fs::read_to_string(examples().join("kubearmor-nginx-www.yaml")).unwrap();
    let dataset = dir.path().join("data.jsonl");
    std::fs::write(
        &dataset,
        format!(
            "{}\n",
            serde_json::json!({"id": "1", "prompt": "nginx may only read /var/www", "intent": intent, "reference": reference})
        ),
    )
    .unwrap();
    let key = |template: &str| {
        let out = dir.path().join(template);
        let o = run(&[
            "eval",
            "--dataset",
            dataset.to_str().unwrap(),
            "--backend",
            "synth",
            "--template",
            template,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let line = std::fs::read_to_string(out.join("generations-synth.jsonl")).unwrap();
        let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
        v["key"].as_str().unwrap().to_string()
    };
    assert_ne!(key("few-shot"), key("minimal"));
    let o = run(&[
        "eval",
        "--dataset",
        dataset.to_str().unwrap(),
        "--backend",
        "synth",
        "--template",
        "nope",
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--template: unknown template"),
        "{}",
        text(&o)
    );
}
