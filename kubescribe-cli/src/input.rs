//! What several commands read the same way: policy documents from a file or
//! standard input, and an existing event store.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use kubescribe_core::CoreError;
use kubescribe_core::document::{self, DocumentSet, ReadLimits};
use kubescribe_events::store::SqliteStore;

/// Reads the documents of `file` (`-`: standard input, read up to the size
/// limit), within `limits`.
pub fn read_documents(file: &Path, limits: &ReadLimits) -> Result<DocumentSet, CoreError> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(limits.max_bytes as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CoreError::Unreadable {
                source_name: "<stdin>".into(),
                reason: e.to_string(),
            })?;
        document::read_bytes("<stdin>", &buf, limits)
    } else {
        document::read_file(file, limits)
    }
}

/// Opens the event store at `path`, which must exist (the error says how to
/// make one).
pub fn open_store(path: &Path) -> Result<SqliteStore> {
    if !path.exists() {
        bail!(
            "no store at {} (create one with `kubescribe ingest FILE... --store {}`)",
            path.display(),
            path.display()
        );
    }
    SqliteStore::open(path).with_context(|| format!("opening {}", path.display()))
}
