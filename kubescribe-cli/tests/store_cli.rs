//! The store from the command line, on each backend: `--store FILE` or a
//! `postgres://` URL (when `KUBESCRIBE_TEST_POSTGRES` names a server; NOT RUN
//! otherwise), `KUBESCRIBE_STORE` in place of `--store`, `--since`/`--until`
//! windows on `context` and `simulate`, and `store prune`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubescribe"));
    c.env_remove("KUBESCRIBE_STORE");
    c
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The observation count of `context`'s first line ("… (N events):").
fn events_of(context: &str) -> u64 {
    let first = context.lines().next().unwrap_or("");
    let n = first
        .rsplit_once('(')
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    n.unwrap_or_else(|| panic!("no count in {first:?}"))
}

#[test]
fn windows_prune_and_the_store_variable_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    for store in common::stores(dir.path(), "s.db", "cli_windows_prune") {
        let mut c = bin();
        c.args(["ingest", "--quiet"]);
        for f in [
            "examples/events/falco.jsonl",
            "examples/events/tetragon.jsonl",
            "examples/events/kubearmor.jsonl",
            "examples/events/kubearmor-nginx.jsonl",
            "examples/events/hubble.jsonl",
            "examples/manifests/shop.yaml",
        ] {
            c.arg(root().join(f));
        }
        // KUBESCRIBE_STORE stands in for --store.
        let text = ok(c.env("KUBESCRIBE_STORE", &store).output().unwrap());
        assert!(text.contains("33 observations"), "{text}");
        let context = |extra: &[&str]| {
            events_of(&ok(bin()
                .args(["context", "--store", &store, "--namespace", "shop"])
                .args(extra)
                .output()
                .unwrap()))
        };
        let all = context(&[]);
        let cut = "2026-01-01T00:00:00Z";
        let late = context(&["--since", cut]);
        let early = context(&["--until", cut]);
        assert_eq!(all, 33);
        assert!(late > 0 && early > 0, "{late} {early}");
        assert_eq!(late + early, all, "the samples have no row spanning {cut}");
        // simulate sees the window too.
        let sim = |extra: &[&str]| {
            let out = bin()
                .args(["simulate", "--store", &store, "-o", "json"])
                .arg(root().join("examples/policies/kubearmor-nginx-www.yaml"))
                .args(extra)
                .output()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
            v["totals"].to_string()
        };
        assert_ne!(sim(&[]), sim(&["--since", cut]));
        // Retention: everything before the cut goes, once.
        let pruned = ok(bin()
            .args([
                "store", "prune", "--store", &store, "--before", cut, "-o", "json",
            ])
            .output()
            .unwrap());
        let v: serde_json::Value = serde_json::from_str(&pruned).unwrap();
        assert_eq!(v["observations"], early, "{pruned}");
        assert_eq!(context(&[]), late);
        assert_eq!(context(&["--until", cut]), 0);
        let again = ok(bin()
            .args(["store", "prune", "--store", &store, "--before", cut])
            .output()
            .unwrap());
        assert!(again.starts_with("pruned 0 row(s)"), "{again}");
    }
}

#[test]
fn a_bad_time_is_refused_naming_the_forms() {
    let out = bin()
        .args(["store", "prune", "--before", "yesterday"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("RFC 3339"), "{err}");
}
