//! Ingestion throughput into an on-disk SQLite store, per format: events
//! (records) per second, parse + deduplicated upsert + commit, on one
//! thread. Records are the core crate's fixtures (Falco, Tetragon,
//! KubeArmor, Hubble) repeated with the pod name varied over 50 pods, so the
//! store sees both new rows and repeats (counts bumped), as real logs do.
//! Each iteration ingests into a fresh store file.
//!
//! Run one core: `taskset -c 0 cargo bench -p kubescribe-benches --bench ingest`.

use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kubescribe_events::store::SqliteStore;
use kubescribe_events::{IngestOptions, ingest_reader};
use serde_json::Value;

const N: usize = 100_000;

/// Appends `-{i % 50}` to every pod name in a record.
fn vary(v: &mut Value, parent: &str, i: usize) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                let pod_name = matches!(k.as_str(), "k8s.pod.name" | "PodName" | "pod_name")
                    || (k == "name" && parent == "pod");
                if pod_name && let Value::String(s) = child {
                    s.push_str(&format!("-{}", i % 50));
                } else {
                    vary(child, k, i);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| vary(c, parent, i)),
        _ => {}
    }
}

fn records(fixture: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubescribe-events/tests/fixtures/events")
        .join(fixture);
    let text = std::fs::read_to_string(&path).expect("fixture");
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(!lines.is_empty(), "{fixture}: no records");
    let mut out = Vec::new();
    for i in 0..N {
        let mut v = lines[i % lines.len()].clone();
        vary(&mut v, "", i / lines.len());
        serde_json::to_writer(&mut out, &v).expect("json");
        out.push(b'\n');
    }
    out
}

fn fresh_store(dir: &Path, n: &mut u64) -> (SqliteStore, PathBuf) {
    *n += 1;
    let path = dir.join(format!("ingest-bench-{}-{n}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    (SqliteStore::open(&path).expect("store"), path)
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    let mut n = 0u64;
    for (name, fixture) in [
        ("falco", "falco.jsonl"),
        ("tetragon", "tetragon.jsonl"),
        ("kubearmor", "kubearmor.jsonl"),
        ("hubble", "hubble.jsonl"),
    ] {
        let data = records(fixture);
        g.bench_function(format!("{name}_100k_records"), |b| {
            b.iter_batched(
                || fresh_store(&dir, &mut n),
                |(mut store, path)| {
                    let s = ingest_reader(
                        &mut store,
                        name,
                        data.as_slice(),
                        &IngestOptions::default(),
                        &mut |_| {},
                    )
                    .expect("ingest");
                    assert_eq!(s.records_read, N as u64);
                    drop(store);
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                    s.records_stored
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
