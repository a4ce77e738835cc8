//! kubectl's and kubeconform's conventions, offline (issue 21): `-f` with
//! files, directories and `-R`; `--dry-run` that never swallows a file;
//! durations; `--cluster NAME` and the old switch's error; a wrong
//! `--context` named with the contexts there are; unknown kinds in plain
//! words; `validate -o junit|tap|name` and `--summary`; a closed standard
//! output or error ends quietly.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn kubescribe(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("HOME", home)
        .env("KUBECONFIG", home.join("no-such-kubeconfig"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const NETPOL: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
const BAD: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Sideways]\n";

fn tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a.yaml"), NETPOL).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a policy").unwrap();
    std::fs::write(dir.join("sub/b.yml"), BAD).unwrap();
}

#[test]
fn filename_takes_files_directories_and_recursive() {
    let home = tempfile::tempdir().unwrap();
    let d = home.path().join("policies");
    tree(&d);
    let ds = d.to_str().unwrap();
    // A directory: its .yaml/.yml/.json files, not its subdirectories.
    let o = kubescribe(&["validate", "-f", ds], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("1 document(s)"),
        "{}",
        text(&o.stdout)
    );
    // -R: the subdirectory's invalid policy too.
    let o = kubescribe(&["validate", "-R", "--filename", ds], home.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("2 document(s): 1 valid, 1 invalid"),
        "{}",
        text(&o.stdout)
    );
    // Nothing given: says how.
    let o = kubescribe(&["validate"], home.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("-f FILE"), "{}", text(&o.stderr));
}

#[test]
fn dry_run_never_swallows_the_next_argument() {
    let home = tempfile::tempdir().unwrap();
    let f = home.path().join("a.yaml");
    std::fs::write(&f, NETPOL).unwrap();
    let fs = f.to_str().unwrap();
    // Was: "invalid value '…/a.yaml' for '--dry-run'". Now the file stays a
    // file (bare --dry-run is kubectl's client) and the command gets as far
    // as the cluster, which is not configured here.
    for args in [
        vec!["apply", "--dry-run", fs],
        vec!["apply", "--dry-run=server", fs],
        vec!["delete", "--dry-run", "-f", fs],
    ] {
        let o = kubescribe(&args, home.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o.stderr).contains("no cluster configured"),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
    // The space form of a value is a file that is not there: the error says how to write it.
    let o = kubescribe(&["apply", fs, "--dry-run", "server"], home.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--dry-run=server"),
        "{}",
        text(&o.stderr)
    );
    let o = kubescribe(&["apply", "--dry-run=maybe", fs], home.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("possible values"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn request_timeout_takes_durations() {
    let home = tempfile::tempdir().unwrap();
    for t in ["5s", "1m", "500ms", "10"] {
        let o = kubescribe(&["cluster", "--request-timeout", t], home.path());
        // Parsed (was: "invalid digit found in string" for 5s); no cluster here.
        assert!(
            text(&o.stderr).contains("no cluster configured"),
            "{t}: {}",
            text(&o.stderr)
        );
    }
    let o = kubescribe(&["cluster", "--request-timeout", "soon"], home.path());
    assert!(
        text(&o.stderr).contains("not a duration"),
        "{}",
        text(&o.stderr)
    );
}

fn kubeconfig(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("kubeconfig");
    std::fs::write(
        &p,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: dev\n  context: {cluster: c1, user: u}\n- name: prod\n  context: {cluster: c1, user: u}\ncurrent-context: dev\n",
    )
    .unwrap();
    p
}

#[test]
fn cluster_flags_as_kubectl_means_them() {
    let home = tempfile::tempdir().unwrap();
    let kc = kubeconfig(home.path());
    let kcs = kc.to_str().unwrap();
    // A wrong --context names it and lists the contexts (was: "failed to
    // load current context: nope").
    let o = kubescribe(
        &["cluster", "--kubeconfig", kcs, "--context", "nope"],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains("context `nope`") && e.contains("(it has: dev, prod)"),
        "{e}"
    );
    // --cluster NAME picks a kubeconfig cluster.
    let o = kubescribe(
        &["cluster", "--kubeconfig", kcs, "--cluster", "c9"],
        home.path(),
    );
    assert!(
        text(&o.stderr).contains("cluster `c9`"),
        "{}",
        text(&o.stderr)
    );
    // The old switch: a clear error pointing at --live.
    let o = kubescribe(
        &[
            "validate",
            "examples/policies/network-shop.yaml",
            "--cluster",
        ],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("use --live"),
        "{}",
        text(&o.stderr)
    );
    let o = kubescribe(
        &[
            "validate",
            "--cluster",
            "examples/policies/network-shop.yaml",
        ],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("is a file"), "{}", text(&o.stderr));
    // --server and --token are enough on their own (no kubeconfig): the
    // request goes to that server.
    let o = kubescribe(
        &[
            "cluster",
            "--server",
            "https://127.0.0.1:1",
            "--token",
            "t",
            "--request-timeout",
            "2s",
        ],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("cannot reach the cluster at https://127.0.0.1:1"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn unknown_kinds_are_said_in_plain_words() {
    let home = tempfile::tempdir().unwrap();
    let f = home.path().join("cm.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").unwrap();
    let o = kubescribe(&["validate", f.to_str().unwrap()], home.path());
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains("unsupported kind v1/ConfigMap (kubescribe handles"),
        "{out}"
    );
    assert!(!out.contains("Some("), "{out}");
}

#[test]
fn validate_writes_junit_tap_name_and_summary() {
    let home = tempfile::tempdir().unwrap();
    let d = home.path().join("p");
    tree(&d);
    let ds = d.to_str().unwrap();
    let o = kubescribe(&["validate", "-R", "-f", ds, "-o", "junit"], home.path());
    assert_eq!(o.status.code(), Some(1));
    let x = text(&o.stdout);
    assert!(x.starts_with("<?xml"), "{x}");
    assert!(
        x.contains(r#"<testsuites name="kubescribe validate" tests="2" failures="1" errors="0">"#),
        "{x}"
    );
    assert_eq!(x.matches("<testcase ").count(), 2, "{x}");
    assert_eq!(x.matches("<failure ").count(), 1, "{x}");
    assert!(x.contains("Sideways"), "{x}");
    let o = kubescribe(&["validate", "-R", "-f", ds, "-o", "tap"], home.path());
    let t = text(&o.stdout);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[0], "TAP version 13");
    assert_eq!(lines[1], "1..2");
    assert!(
        lines[2].starts_with("ok 1 - ") && lines[2].contains("NetworkPolicy deny"),
        "{t}"
    );
    assert!(t.contains("\nnot ok 2 - "), "{t}");
    let o = kubescribe(&["validate", "-R", "-f", ds, "-o", "name"], home.path());
    assert_eq!(text(&o.stdout), "networkpolicy/deny\n");
    assert!(
        text(&o.stderr).contains("NetworkPolicy bad: invalid"),
        "{}",
        text(&o.stderr)
    );
    let o = kubescribe(&["validate", "-R", "-f", ds, "--summary"], home.path());
    assert_eq!(text(&o.stdout), "2 document(s): 1 valid, 1 invalid\n");
}

#[test]
fn a_closed_standard_output_ends_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(["validate", "-f", "examples/policies"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("HOME", home.path())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn a_closed_standard_error_ends_quietly_too() {
    // `generate … 2>&1 | head -1`: its progress notes go to a pipe already
    // closed (it panicked, exit 101).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args([
            "generate",
            "--intent",
            "nginx (app=nginx, namespace shop) must never modify its configuration under /etc/nginx/",
            "--events",
            "examples/events/falco.jsonl",
            "examples/manifests/shop.yaml",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::from(writer))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn kubernetes_version_flags_fields_an_older_server_drops() {
    let home = tempfile::tempdir().unwrap();
    let f = home.path().join("range.yaml");
    std::fs::write(
        &f,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: r, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - ports:\n    - {port: 8000, endPort: 8100, protocol: TCP}\n",
    )
    .unwrap();
    let fs = f.to_str().unwrap();
    let o = kubescribe(
        &["validate", fs, "--kubernetes-version", "1.20"],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(
        out.contains(":9: error: /spec/egress/0/ports/0/endPort"),
        "{out}"
    );
    assert!(out.contains("needs Kubernetes 1.22 or later"), "{out}");
    let o = kubescribe(
        &["validate", fs, "--kubernetes-version", "v1.30.2"],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let o = kubescribe(
        &["validate", fs, "--kubernetes-version", "latest"],
        home.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not a Kubernetes version"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn namespace_flag_fills_and_refuses_like_kubectl() {
    let home = tempfile::tempdir().unwrap();
    let f = home.path().join("a.yaml");
    std::fs::write(&f, NETPOL).unwrap();
    let fs = f.to_str().unwrap();
    let o = kubescribe(&["validate", fs, "-n", "shop"], home.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let o = kubescribe(&["validate", fs, "--namespace", "other"], home.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout)
            .contains("namespace `shop` does not match the namespace `other` given with -n"),
        "{}",
        text(&o.stdout)
    );
}
