//! `kubescribe validate --intent` / `--intent-file`: intent fidelity (layer
//! 5) on any policy file (issue 17).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/intents/cart-from-frontend.json")
}

#[test]
fn validate_with_an_intent_rejects_a_valid_empty_shell_and_accepts_the_intents_policy() {
    let dir = tempfile::tempdir().unwrap();
    let shell = dir.path().join("shell.yaml");
    std::fs::write(
        &shell,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: cart\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: []\n",
    )
    .unwrap();
    let i = intent();
    // Valid without the intent…
    let o = run(&["validate", shell.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // …not the intent's policy with it.
    let o = run(&[
        "validate",
        shell.to_str().unwrap(),
        "--intent-file",
        i.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("fidelity.scope") && t.contains("every pod"),
        "{t}"
    );
    assert!(
        t.contains("fidelity.missing") && t.contains("app=frontend"),
        "{t}"
    );
    let o = run(&[
        "validate",
        shell.to_str().unwrap(),
        "--intent-file",
        i.to_str().unwrap(),
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let diags = v[0]["diagnostics"].as_array().unwrap();
    assert!(
        diags
            .iter()
            .any(|d| d["layer"] == "fidelity" && d["pointer"] == "/spec/podSelector"),
        "{v:#}"
    );
    // The synthesizer's policy for the intent is faithful.
    let o = run(&["generate", "--intent-file", i.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, &o.stdout).unwrap();
    let o = run(&[
        "validate",
        good.to_str().unwrap(),
        "--intent-file",
        i.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // In words, as `intent parse` reads them.
    let o = run(&[
        "validate",
        good.to_str().unwrap(),
        "--intent",
        "allow ingress to app=cartservice in namespace shop from app=frontend on port 7070",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
