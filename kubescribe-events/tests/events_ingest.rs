//! Ingestion into the SQLite store that only SQLite has: a new store file
//! opened by many threads at once, and mangled input (property test). The
//! store test suite proper (samples, bad input, idempotency, queries,
//! concurrent writers and processes) runs on every backend in
//! `kubescribe-store-pg/tests/store_suite.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};

use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_events::{IngestOptions, ingest_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/events")
        .join(name)
}

fn write_lines(path: &Path, lines: impl IntoIterator<Item = Vec<u8>>) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for l in lines {
        f.write_all(&l).unwrap();
        f.write_all(b"\n").unwrap();
    }
}

#[test]
fn concurrent_open_of_a_new_store_file() {
    for _ in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("new.db");
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || SqliteStore::open(&db).map(|_| ()))
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    }
}

mod garbage {
    use super::*;
    use proptest::prelude::*;

    fn sample_lines() -> Vec<String> {
        [
            "falco.jsonl",
            "tetragon.jsonl",
            "kubearmor.jsonl",
            "hubble.jsonl",
        ]
        .iter()
        .flat_map(|n| {
            std::fs::read_to_string(fixture(n))
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Cut, spliced and random lines never stop ingestion, and the
        /// counts always add up.
        #[test]
        fn mangled_input_is_counted_never_fatal(
            picks in proptest::collection::vec((0usize..27, 0usize..4000, any::<bool>(), "[ -~]{0,40}"), 1..40)
        ) {
            let lines = sample_lines();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("mangled.jsonl");
            write_lines(&path, picks.iter().map(|(i, cut, keep, noise)| {
                let l = &lines[i % lines.len()];
                if *keep {
                    l.clone().into_bytes()
                } else {
                    let mut at = (*cut).min(l.len());
                    while !l.is_char_boundary(at) {
                        at -= 1;
                    }
                    format!("{}{noise}", &l[..at]).into_bytes()
                }
            }));
            let mut store = SqliteStore::open_in_memory().unwrap();
            let sum = ingest_file(&mut store, &path, &IngestOptions::default(), &mut |_| {}).unwrap();
            prop_assert_eq!(sum.records_read, sum.records_stored + sum.records_skipped());
            prop_assert!(sum.records_read <= picks.len() as u64);
            let c = store.counts().unwrap();
            prop_assert_eq!(c.observations, sum.total_events());
        }
    }
}
