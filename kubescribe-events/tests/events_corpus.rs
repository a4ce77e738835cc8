//! Every event sample of the corpus (and the demo workloads' manifests) goes
//! through ingestion: nothing is skipped except records that carry no
//! workload activity, and the counts add up. Runs when `KUBESCRIBE_CORPUS`
//! is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_events::{IngestOptions, IngestSummary, SkipReason, ingest_file};

use kubescribe_testkit::corpus::corpus;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn corpus_event_samples_ingest() {
    let Some(root) = corpus() else { return };
    let mut files = Vec::new();
    walk(&root.join("events"), &mut files);
    assert!(
        !files.is_empty(),
        "no event samples under {}",
        root.display()
    );
    // One fresh store per file: counts per sample, unaffected by identical
    // samples elsewhere in the corpus.
    let mut per_format: BTreeMap<String, IngestSummary> = BTreeMap::new();
    for f in &files {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let sum = ingest_file(&mut store, f, &IngestOptions::default(), &mut |_| {})
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(sum.records_read, sum.records_stored + sum.records_skipped());
        assert!(sum.records_read > 0, "{}: no records", f.display());
        for e in &sum.errors {
            assert_eq!(e.reason, SkipReason::NotRuntimeActivity, "{e}");
        }
        let format = f
            .strip_prefix(root.join("events"))
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .to_string();
        per_format.entry(format).or_default().merge(&sum, 0);
    }
    for (format, s) in &per_format {
        println!(
            "{format}: {} files, {} records read, {} stored, {} skipped {:?}, events {:?}",
            s.files,
            s.records_read,
            s.records_stored,
            s.records_skipped(),
            s.skipped,
            s.events_stored
        );
        assert!(s.records_stored > 0, "{format}: nothing stored");
    }
    let hubble = &per_format["hubble"];
    assert_eq!(hubble.records_read, 1916);
    assert_eq!(hubble.records_stored, 1916);
    assert_eq!(per_format["kubearmor"].records_stored, 63 + 11);
    assert_eq!(per_format["falco"].records_read, 24);
    let tetragon = &per_format["tetragon"];
    assert_eq!(
        tetragon.records_skipped(),
        6,
        "4 process_close, 2 process_throttle"
    );

    // All of them into one store file: identical samples are ingested once.
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("corpus.db")).unwrap();
    let mut total = IngestSummary::default();
    for f in &files {
        let s = ingest_file(&mut store, f, &IngestOptions::default(), &mut |_| {}).unwrap();
        total.merge(&s, 0);
    }
    let c = store.counts().unwrap();
    println!("one store: {total:?}\n{c:?}");
    assert_eq!(c.observations, total.total_events());
    assert_eq!(
        c.ingested_files + total.files_already_ingested,
        files.len() as u64
    );
}

#[test]
fn corpus_workload_manifests_ingest() {
    let Some(root) = corpus() else { return };
    let boutique = root
        .join("workloads/GoogleCloudPlatform-microservices-demo/release/kubernetes-manifests.yaml");
    let mut store = SqliteStore::open_in_memory().unwrap();
    let sum = ingest_file(
        &mut store,
        &boutique,
        &IngestOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    println!("online boutique: {sum:?}");
    assert_eq!(sum.records_read, sum.records_stored + sum.records_skipped());
    assert_eq!(sum.workloads_stored, 24, "12 Deployments + 12 Services");
    let frontend = store
        .workloads(
            Some("default"),
            &BTreeMap::from([("app".to_string(), "frontend".to_string())]),
        )
        .unwrap();
    let kinds: Vec<&str> = frontend.iter().map(|w| w.kind.as_str()).collect();
    assert!(
        kinds.contains(&"Deployment") && kinds.contains(&"Service"),
        "{kinds:?}"
    );
    let deploy = frontend.iter().find(|w| w.kind == "Deployment").unwrap();
    assert_eq!(deploy.ports[0].port, 8080);

    // Every other manifest of the demo workloads that is plain YAML.
    let mut files = Vec::new();
    walk(&root.join("workloads"), &mut files);
    let mut read = 0;
    for f in files {
        let name = f.to_string_lossy();
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if !yaml || name.contains("/templates/") || name.contains("martian-bank") {
            continue;
        }
        let mut store = SqliteStore::open_in_memory().unwrap();
        let s = ingest_file(&mut store, &f, &IngestOptions::default(), &mut |_| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.records_read, s.records_stored + s.records_skipped());
        for e in &s.errors {
            assert!(matches!(e.reason, SkipReason::NotRuntimeActivity), "{e}");
        }
        read += s.records_read;
    }
    println!("workload manifests: {read} documents");
    assert!(read > 24);
}
