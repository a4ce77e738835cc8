//! Layer 2 against an event store built from the core crate's fixtures.

use std::path::Path;

use kubescribe_core::document::{ReadLimits, read_bytes};
use kubescribe_core::events::{IngestOptions, ingest_file};
use kubescribe_core::store::SqliteStore;
use kubescribe_validate::{Layer, Severity, Validator, resources};

fn store() -> SqliteStore {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubescribe-core/tests/fixtures/events");
    for f in ["workloads.yaml", "kubearmor.jsonl", "tetragon.jsonl"] {
        ingest_file(&mut s, &dir.join(f), &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    s
}

fn reports(yaml: &str, s: &mut SqliteStore) -> Vec<kubescribe_validate::Diagnostic> {
    let set = read_bytes("p.yaml", yaml.as_bytes(), &ReadLimits::default()).unwrap();
    let r = Validator::new().validate_set_with(&set, &mut |p| resources::check(p, s).unwrap());
    r.into_iter().flat_map(|r| r.diagnostics).collect()
}

const KSP: &str = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: db, namespace: shop}\nspec:\n  selector: {matchLabels: {app: APP}}\n  file:\n    matchPaths:\n    - path: PATH\n  action: Block\n";

#[test]
fn a_selector_matching_no_workload_is_an_error_with_the_nearest_label() {
    let mut s = store();
    let d = reports(
        &KSP.replace("APP", "dbb")
            .replace("PATH", "/etc/mysql/my.cnf"),
        &mut s,
    );
    let sel = d
        .iter()
        .find(|d| d.rule == "selector")
        .expect("selector diagnostic");
    assert_eq!(sel.layer, Layer::Resource);
    assert_eq!(sel.severity, Severity::Error);
    assert_eq!(sel.pointer, "/spec/selector/matchLabels/app");
    assert_eq!(sel.line, Some(5));
    assert_eq!(
        sel.fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("db"))
    );
}

#[test]
fn observed_paths_pass_and_unobserved_ones_warn_with_the_nearest() {
    let mut s = store();
    let ok = reports(
        &KSP.replace("APP", "db")
            .replace("PATH", "/etc/mysql/my.cnf"),
        &mut s,
    );
    assert!(ok.is_empty(), "{ok:#?}");
    let d = reports(
        &KSP.replace("APP", "db")
            .replace("PATH", "/etc/mysql/my.conf"),
        &mut s,
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].severity, Severity::Warning);
    assert_eq!(d[0].pointer, "/spec/file/matchPaths/0/path");
    assert_eq!(
        d[0].fix.as_ref().unwrap().replacement,
        Some(serde_json::json!("/etc/mysql/my.cnf"))
    );
}

#[test]
fn an_unknown_namespace_is_said_once_not_guessed() {
    let mut s = store();
    let d = reports(
        &KSP.replace("APP", "db")
            .replace("PATH", "/x")
            .replace("namespace: shop", "namespace: elsewhere"),
        &mut s,
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(d[0].message.contains("no workloads"), "{}", d[0].message);
}
