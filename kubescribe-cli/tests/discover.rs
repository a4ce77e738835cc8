//! `kubescribe discover` on the sample events: policies on standard output
//! (valid YAML, one per workload and engine), the report on standard error
//! (every training event allowed), `--intent` refinement, `--diff` against
//! an earlier discovery, `--holdout`, and the exit statuses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ingest(store: &Path, files: &[&str]) {
    let mut c = bin();
    c.arg("ingest").arg("--store").arg(store).arg("--quiet");
    for f in files {
        c.arg(root().join(f));
    }
    let o = c.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const ALL: &[&str] = &[
    "examples/events/falco.jsonl",
    "examples/events/hubble.jsonl",
    "examples/events/kubearmor.jsonl",
    "examples/events/kubearmor-nginx.jsonl",
    "examples/events/tetragon.jsonl",
    "examples/manifests/shop.yaml",
];

fn discover(store: &Path, extra: &[&str]) -> (Output, String, String) {
    let o = bin()
        .arg("discover")
        .arg("--store")
        .arg(store)
        .args(extra)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (o, out, err)
}

#[test]
fn discover_prints_valid_policies_that_allow_what_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    ingest(&store, ALL);
    let (o, out, err) = discover(
        &store,
        &[
            "-n",
            "shop",
            "--engine",
            "kubearmor",
            "--engine",
            "tetragon",
            "--engine",
            "cilium",
            "--engine",
            "kubernetes",
            "--engine",
            "calico",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("every discovered policy is valid and allows every event it was derived from"),
        "{err}"
    );
    assert!(
        !err.contains("INVALID") && !err.contains("NOT SOUND"),
        "{err}"
    );
    // The printed policies validate on their own.
    let file = dir.path().join("discovered.yaml");
    std::fs::write(&file, &out).unwrap();
    let v = bin().arg("validate").arg(&file).output().unwrap();
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    for kind in [
        "kind: KubeArmorPolicy",
        "kind: TracingPolicyNamespaced",
        "kind: CiliumNetworkPolicy",
        "apiVersion: networking.k8s.io/v1",
        "apiVersion: projectcalico.org/v3",
    ] {
        assert!(out.contains(kind), "{kind} missing:\n{out}");
    }
    // Replayed against the store with `simulate`, nothing the policies
    // were derived from is blocked: only the flow with no peer identity
    // (curl to 203.0.113.50, which no rule was derived from).
    let s = bin()
        .args(["simulate", "-o", "json", "--namespace", "shop", "--store"])
        .arg(&store)
        .arg(&file)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    let blocked: Vec<&serde_json::Value> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["decision"]["verdict"] == "block")
        .collect();
    assert!(
        blocked
            .iter()
            .all(|e| e["event"]["kind"]["remote_ip"] == "203.0.113.50"),
        "{blocked:#?}"
    );
}

#[test]
fn discover_json_and_intent_refinement() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    ingest(&store, ALL);
    let (o, out, err) = discover(
        &store,
        &[
            "-n",
            "shop",
            "--engine",
            "kubearmor",
            "--intent",
            "and block writes to /etc/",
            "-o",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["sound"], true);
    // One block policy per discovered workload (none lost to a name clash).
    let workloads = v["workloads"].as_array().unwrap().len();
    assert_eq!(
        v["intentPolicies"].as_array().unwrap().len(),
        workloads,
        "{out}"
    );
    // The refinement blocks the write to /etc/nginx/conf.d/evil.conf the
    // allow-list alone allowed.
    let by_intent = v["replay"][0]["blockedByIntent"].as_array().unwrap();
    assert_eq!(by_intent.len(), 1, "{out}");
    assert_eq!(
        by_intent[0]["event"]["kind"]["path"],
        "/etc/nginx/conf.d/evil.conf"
    );
    assert!(
        err.contains("understood as: block writes to /etc/"),
        "{err}"
    );
    // An intent that cannot be parsed is exit 1.
    let (o, _, err) = discover(&store, &["--intent", "frobnicate the gizmo"]);
    assert_eq!(o.status.code(), Some(1), "{err}");
}

#[test]
fn discover_diff_names_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let old_store = dir.path().join("old.db");
    ingest(
        &old_store,
        &[
            "examples/events/kubearmor.jsonl",
            "examples/manifests/shop.yaml",
        ],
    );
    let (o, old, err) = discover(&old_store, &["-n", "shop"]);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let old_file = dir.path().join("old.yaml");
    std::fs::write(&old_file, old).unwrap();
    let store = dir.path().join("s.db");
    ingest(&store, ALL);
    let (o, _, err) = discover(
        &store,
        &["-n", "shop", "--diff", old_file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("changes since"), "{err}");
    // Falco saw nginx's pod run /bin/cat; the old discovery had not.
    assert!(
        err.lines()
            .any(|l| l.trim_start().starts_with("+ process matchPaths") && l.contains("/bin/cat")),
        "{err}"
    );
    // Against itself: no change.
    let (_, same, _) = discover(&store, &["-n", "shop"]);
    let same_file = dir.path().join("same.yaml");
    std::fs::write(&same_file, same).unwrap();
    let (_, _, err) = discover(
        &store,
        &["-n", "shop", "--diff", same_file.to_str().unwrap()],
    );
    assert!(err.contains(": 0 policies"), "{err}");
}

#[test]
fn discover_holdout_reports_points_per_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    ingest(&store, ALL);
    let (o, out, err) = discover(
        &store,
        &["--holdout", "0.5", "--thresholds", "0,1,3", "-o", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    assert!(points[0]["threshold"].is_null());
    assert_eq!(points[2]["threshold"], 3);
    let (o, _, err) = discover(&store, &["--holdout", "1.5"]);
    assert_eq!(o.status.code(), Some(2), "{err}");
}

#[test]
fn discover_refuses_what_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _, err) = discover(&dir.path().join("none.db"), &[]);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no store at"), "{err}");
    let store = dir.path().join("s.db");
    ingest(&store, ALL);
    let (o, _, err) = discover(&store, &["--engine", "apparmor"]);
    assert_eq!(o.status.code(), Some(2), "{err}");
}

/// The distinct events of the report's first line ("… from N distinct event(s)").
fn distinct_events(err: &str) -> usize {
    let first = err.lines().next().unwrap_or_default();
    first
        .split(" from ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no event count in {first:?}"))
}

#[test]
fn discover_reads_the_window_and_the_store_variable() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    ingest(&store, ALL);
    let (o, all_out, all_err) = discover(&store, &[]);
    assert_eq!(o.status.code(), Some(0), "{all_err}");
    // The samples have no row spanning the cut (store_cli.rs checks it).
    let cut = "2026-01-01T00:00:00Z";
    let (o, late_out, late_err) = discover(&store, &["--since", cut]);
    assert_eq!(o.status.code(), Some(0), "{late_err}");
    let (o, early_out, early_err) = discover(&store, &["--until", cut]);
    assert_eq!(o.status.code(), Some(0), "{early_err}");
    let (all, late, early) = (
        distinct_events(&all_err),
        distinct_events(&late_err),
        distinct_events(&early_err),
    );
    assert!(late > 0 && early > 0, "{late_err}\n{early_err}");
    assert_eq!(late + early, all, "{late_err}\n{early_err}\n{all_err}");
    assert!(late_out.len() < all_out.len() && early_out.len() < all_out.len());
    // A window holding everything discovers what no window does.
    let (_, whole, _) = discover(&store, &["--since", "0"]);
    assert_eq!(whole, all_out);
    // KUBESCRIBE_STORE stands in for --store.
    let o = bin()
        .arg("discover")
        .env("KUBESCRIBE_STORE", &store)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), all_out);
}
