//! # kubescribe-benches
//!
//! Shared workload for the criterion benchmarks and the Python comparison
//! scripts: valid documents per engine (the corpus when `KUBESCRIBE_CORPUS`
//! is set, else `examples/policies`). It holds no benchmark logic of its own
//! (that is `benches/benches/*.rs`) and is never a dependency of a library.
//!
//! ```no_run
//! let docs = kubescribe_benches::valid_documents_by_engine();
//! assert!(!docs.is_empty());
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{Engine, Policy};
use serde_json::Value;

/// Valid documents per engine: from the corpus when `KUBESCRIBE_CORPUS` is
/// set, else the project's own examples.
pub fn valid_documents_by_engine() -> BTreeMap<Engine, Vec<Value>> {
    let validator = kubescribe_validate::Validator::new();
    let mut out: BTreeMap<Engine, Vec<Value>> = BTreeMap::new();
    for file in policy_files() {
        let Ok(set) = document::read_file(&file, &ReadLimits::default()) else {
            continue;
        };
        for d in set.documents {
            let mut v = d.value;
            document::prune_nulls(&mut v);
            let Ok(kind) = Policy::kind_of(&v) else {
                continue;
            };
            if validator.validate_value(&v).is_valid() {
                out.entry(kind.engine()).or_default().push(v);
            }
        }
    }
    out
}

fn policy_files() -> Vec<PathBuf> {
    let cwd = std::env::current_dir().ok();
    let corpus = std::env::var_os("KUBESCRIBE_CORPUS")
        .and_then(|c| kubescribe_testkit::corpus::resolve(Path::new(&c), cwd.as_deref()));
    let root = match corpus {
        Some(c) => c.join("policies"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies"),
    };
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Writes the workload (documents and built-in schemas) where the Python
/// comparison script reads it: `<dir>/<engine>.json` = {"schemas": {kind: schema}, "docs": [...]}.
pub fn export_workload(dir: &Path, docs: &BTreeMap<Engine, Vec<Value>>) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (engine, list) in docs {
        let mut schemas = serde_json::Map::new();
        for k in engine.kinds() {
            schemas.insert(
                format!("{}/{}", k.api_version(), k.kind()),
                kubescribe_core::policy::schema::builtin_schema(k),
            );
        }
        let v = serde_json::json!({"engine": engine.name(), "schemas": schemas, "docs": list});
        std::fs::write(
            dir.join(format!("{}.json", engine.name())),
            serde_json::to_vec(&v)?,
        )?;
    }
    Ok(())
}
