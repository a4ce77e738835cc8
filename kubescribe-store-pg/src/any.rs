//! A store by location: an SQLite file or a PostgreSQL URL, one type for
//! the commands that take `--store`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kubescribe_events::store::{
    EventQuery, EventStore, EventTable, IngestedFile, PruneSummary, SqliteStore, StoreCounts,
    StoreError, StoreWriter, StoredEvent,
};
use kubescribe_events::{PodMeta, Validity, Workload};

use crate::PgStore;

/// The environment variable naming the store when `--store` is not given.
pub const STORE_ENV: &str = "KUBESCRIBE_STORE";

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl StoreLocation {
    /// A `postgres://` or `postgresql://` URL is PostgreSQL; anything else
    /// is a file path.
    pub fn parse(spec: &str) -> StoreLocation {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            StoreLocation::Postgres(spec.to_string())
        } else {
            StoreLocation::Sqlite(PathBuf::from(spec))
        }
    }

    /// For messages: the path, or the URL with its password hidden.
    pub fn display(&self) -> String {
        match self {
            StoreLocation::Sqlite(p) => p.display().to_string(),
            StoreLocation::Postgres(url) => hide_password(url),
        }
    }

    /// Whether the store is there to open: a file that exists; a server is
    /// asked when opened.
    pub fn exists(&self) -> bool {
        match self {
            StoreLocation::Sqlite(p) => p.exists(),
            StoreLocation::Postgres(_) => true,
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Opens (creating if needed) the store at `location`.
pub fn open(location: &StoreLocation) -> Result<AnyStore, StoreError> {
    Ok(match location {
        StoreLocation::Sqlite(p) => AnyStore::Sqlite(SqliteStore::open(p)?),
        StoreLocation::Postgres(url) => AnyStore::Postgres(PgStore::open(url)?),
    })
}

/// A store of either backend.
pub enum AnyStore {
    /// The embedded SQLite store.
    Sqlite(SqliteStore),
    /// A PostgreSQL store.
    Postgres(PgStore),
}

impl std::fmt::Debug for AnyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnyStore::Sqlite(_) => "AnyStore::Sqlite",
            AnyStore::Postgres(_) => "AnyStore::Postgres",
        })
    }
}

impl AnyStore {
    fn inner(&mut self) -> &mut dyn EventStore {
        match self {
            AnyStore::Sqlite(s) => s,
            AnyStore::Postgres(s) => s,
        }
    }
}

impl EventStore for AnyStore {
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError> {
        self.inner().is_ingested(hash)
    }
    fn ingested_as(&mut self, path: &str, bytes: u64) -> Result<bool, StoreError> {
        self.inner().ingested_as(path, bytes)
    }
    fn begin(&mut self) -> Result<Box<dyn StoreWriter + '_>, StoreError> {
        self.inner().begin()
    }
    fn set_validity(
        &mut self,
        table: EventTable,
        id: i64,
        validity: Validity,
    ) -> Result<bool, StoreError> {
        self.inner().set_validity(table, id, validity)
    }
    fn events(
        &mut self,
        table: EventTable,
        query: &EventQuery,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner().events(table, query)
    }
    fn pods_with_events(&mut self, table: EventTable) -> Result<Vec<PodMeta>, StoreError> {
        self.inner().pods_with_events(table)
    }
    fn workloads(
        &mut self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Vec<Workload>, StoreError> {
        self.inner().workloads(namespace, selector)
    }
    fn ingested_files(&mut self) -> Result<Vec<IngestedFile>, StoreError> {
        self.inner().ingested_files()
    }
    fn counts(&mut self) -> Result<StoreCounts, StoreError> {
        self.inner().counts()
    }
    fn prune(&mut self, before: i64) -> Result<PruneSummary, StoreError> {
        self.inner().prune(before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_hidden_passwords() {
        assert_eq!(
            StoreLocation::parse("kubescribe.db"),
            StoreLocation::Sqlite("kubescribe.db".into())
        );
        let pg = StoreLocation::parse("postgres://ks:s3cret@db:5432/ks?sslmode=disable");
        assert_eq!(pg.display(), "postgres://ks:***@db:5432/ks?sslmode=disable");
        assert_eq!(
            StoreLocation::parse("postgresql://ks@db/ks").display(),
            "postgresql://ks@db/ks"
        );
    }
}
