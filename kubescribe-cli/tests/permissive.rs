//! Layer 4 through the binary: `validate` and `generate` report
//! over-permissive rules as warnings (errors with `--deny-warnings`), and
//! `convert` marks the ones a conversion wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .output()
        .expect("run kubescribe")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubescribe-validate/tests/fixtures/permissive")
        .join(name)
}

fn out(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn validate_warns_without_a_store_and_deny_warnings_fails() {
    let f = fixture("cilium-to-entities-world.yaml");
    let f = f.to_str().unwrap();
    let o = run(&["validate", f]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "cilium-to-entities-world.yaml:11: warning: /spec/egress/0/toEntities/0: entity `world`"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("[layer 4 world-entity, permissive]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 valid, 0 invalid, 2 warning(s)"),
        "{stdout}"
    );

    let o = run(&["validate", "-o", "json", f]);
    let reports: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &reports[0]["diagnostics"][0];
    assert_eq!(
        (
            d["layer"].as_str(),
            d["severity"].as_str(),
            d["rule"].as_str()
        ),
        (Some("permissive"), Some("warning"), Some("world-entity"))
    );
    assert_eq!(reports[0]["valid"], true);

    let o = run(&["validate", "--deny-warnings", f]);
    let (stdout, _) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("error: /spec/egress/0/toEntities/0"),
        "{stdout}"
    );
    assert!(stdout.contains("0 valid, 1 invalid"), "{stdout}");

    // A tight policy passes --deny-warnings.
    let tight =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies/network-shop.yaml");
    let o = run(&["validate", "--deny-warnings", tight.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{:?}", out(&o));
}

#[test]
fn generate_prints_the_finding_and_deny_warnings_refuses() {
    let intent = "allow egress to 0.0.0.0/0 for app=web in namespace shop";
    let o = run(&["generate", "--intent", intent]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("cidr: 0.0.0.0/0"), "{stdout}");
    assert!(
        stderr.contains("warning[layer 4 any-address] /spec/egress/0/to/0/ipBlock/cidr: 0.0.0.0/0 allows every IPv4 address"),
        "{stderr}"
    );

    let o = run(&["generate", "--intent", intent, "--deny-warnings"]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(
        stderr.contains("error[layer 4 any-address] /spec/egress/0/to/0/ipBlock/cidr"),
        "{stderr}"
    );

    // A tight intent gives no warning and passes --deny-warnings.
    let o = run(&[
        "generate",
        "--intent",
        "allow egress to 10.0.0.0/8 on port 443/tcp for app=web in namespace shop",
        "--deny-warnings",
    ]);
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn the_generate_loop_reports_the_finding_too() {
    // --trace runs the generate → validate loop (with the synthesizer).
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    let intent = "allow egress to 0.0.0.0/0 for app=web in namespace shop";
    let t = trace.to_str().unwrap();
    let o = run(&["generate", "--intent", intent, "--trace", t]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("egress:"), "{stdout}");
    assert!(
        stderr.contains("warning[layer 4 any-address] /spec/egress/0/to/0/ipBlock/cidr"),
        "{stderr}"
    );
    assert!(stderr.contains("layer 4: 2 warning(s)"), "{stderr}");
    let o = run(&[
        "generate",
        "--intent",
        intent,
        "--trace",
        t,
        "--force",
        "--deny-warnings",
    ]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("error[layer 4 any-address] /spec/egress/0/to/0/ipBlock/cidr"),
        "{stderr}"
    );
}

#[test]
fn convert_marks_allow_all_rules_it_wrote() {
    let f = fixture("cilium-to-entities-world.yaml");
    let o = run(&["convert", f.to_str().unwrap(), "--to", "kubernetes"]);
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "converted policy 1: warning[layer 4 any-address] /spec/egress/0/to/0/ipBlock/cidr"
        ),
        "{stderr}"
    );
    // The source was already over-permissive: not marked as the conversion's.
    assert!(!stderr.contains("the conversion wrote it"), "{stderr}");

    let f = fixture("calico-allow-all-rule.yaml");
    let o = run(&[
        "convert",
        f.to_str().unwrap(),
        "--to",
        "kubernetes",
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let w = &v[0]["warnings"][0];
    assert_eq!(w["rule"], "allow-all-rule");
    assert_eq!(w["pointer"], "/spec/ingress/0");
    assert_eq!(w["introduced_by_conversion"], false);
}
