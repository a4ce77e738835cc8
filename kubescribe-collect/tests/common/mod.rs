//! Shared by the collection tests: the sample events (examples/events, and
//! the corpus's events when KUBESCRIBE_CORPUS is set) as JSON records of
//! one engine.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kubescribe_events::InputFormat;
use kubescribe_events::reader::RecordReader;
use serde_json::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "json" || e == "jsonl") {
            out.push(p);
        }
    }
}

/// Every record of `format` in the file.
pub fn records_of(path: &Path, format: InputFormat) -> Vec<Value> {
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut reader = RecordReader::new(std::io::BufReader::new(f), 4 << 20);
    let mut out = Vec::new();
    while let Ok(Some((_, text))) = reader.next_text() {
        let Ok(text) = text else { continue };
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        if kubescribe_events::detect(&v) == Some(format) {
            out.push(v);
        }
    }
    out
}

/// The sample records of one engine: `examples/events/<name>.jsonl`, and
/// with the corpus every file under `events/<name>/`.
pub fn samples(name: &str, format: InputFormat, with_corpus: bool) -> Vec<Value> {
    let mut out = records_of(
        &root().join(format!("examples/events/{name}.jsonl")),
        format,
    );
    if with_corpus && let Some(corpus) = kubescribe_testkit::corpus::corpus() {
        let mut files = Vec::new();
        files_under(&corpus.join("events").join(name), &mut files);
        for f in files {
            out.extend(records_of(&f, format));
        }
    }
    out
}
pub mod server;
