//! Which event store a command opens: `--store` (an SQLite file or a
//! `postgres://` URL), else `KUBESCRIBE_STORE`, else the command's default.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use kubescribe_store_pg::{AnyStore, STORE_ENV, StoreLocation};

/// The store `arg` names (`--store`), else the one `KUBESCRIBE_STORE`
/// names, else none.
pub fn store_arg(arg: &Option<PathBuf>) -> Option<PathBuf> {
    arg.clone().or_else(|| {
        std::env::var_os(STORE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// [`store_arg`], else `kubescribe.db` (the commands whose store is not
/// optional).
pub fn store_or_default(arg: &Option<PathBuf>) -> PathBuf {
    store_arg(arg).unwrap_or_else(|| PathBuf::from("kubescribe.db"))
}

/// Where `path` points: a `postgres://` URL is a PostgreSQL store, anything
/// else an SQLite file.
pub fn location(path: &Path) -> StoreLocation {
    StoreLocation::parse(&path.to_string_lossy())
}

/// Opens the event store at `path` (a file, which must exist: the error
/// says how to make one; or a `postgres://` URL).
pub fn open_store(path: &Path) -> Result<AnyStore> {
    let loc = location(path);
    if !loc.exists() {
        bail!(
            "no store at {} (create one with `kubescribe ingest FILE... --store {}`)",
            loc.display(),
            loc.display()
        );
    }
    kubescribe_store_pg::open(&loc).with_context(|| format!("opening {}", loc.display()))
}

/// Opens the event store at `path`, creating it if missing (a file; a
/// PostgreSQL database gets its tables).
pub fn open_or_create_store(path: &Path) -> Result<AnyStore> {
    let loc = location(path);
    kubescribe_store_pg::open(&loc).with_context(|| format!("opening store {}", loc.display()))
}
