//! The embedded SQLite store.
//!
//! One file, WAL mode (readers never block the writer), a busy timeout and
//! `BEGIN IMMEDIATE` write transactions so several processes can ingest into
//! the same file: writers queue, none loses data.
//!
//! Schema: `pods` (namespace, pod, container, node, labels; peers of flows
//! are rows here too), a normalised `labels(kind, id, key, value)` table
//! indexed on `(kind, key, value)` so label selectors are index lookups, the
//! event tables `processes`, `files` (indexed on `path`: a prefix is a range
//! `path >= p AND path < p || U+10FFFF`), `flows` (indexed on the peer and the
//! remote address) and `syscalls`, each row unique on its
//! content with `count`, `first_seen`, `last_seen` and `validity`; and
//! `workloads` + `workload_ports` from manifests. `ingested_files` keeps
//! content hashes for idempotent re-ingestion.
//!
//! An event row is found by `key_hash` (unique, [`RowKey::stable_hash`] of
//! its key columns), not by an index over the key columns themselves: the
//! upsert merges only when every key column matches too, and probes the next
//! hash value when another key holds it. A write transaction folds repeated
//! events in memory first ([`PendingRows`]) and writes each distinct row
//! once. Stores of schema version 1 (a unique index over the key columns)
//! are rebuilt into version 2 when opened.
//!
//! Schema 4 adds a flow's HTTP request (`http_method`, `http_path`,
//! `http_host`: key columns, so two requests on one connection endpoint
//! stay two rows) and the addresses of `Endpoints` / `EndpointSlice`
//! workloads (`workloads.addresses`, a JSON list). Older stores gain the
//! columns when opened (empty: no HTTP request, no addresses); their rows
//! keep their `key_hash` ([`RowKey::stable_hash`] hashes the new columns
//! only when one is set).
//!
//! Every event table is indexed on `pod_id` (schema 3), so the queries the
//! pipeline makes for one workload (`context`, `prompt`, `validate
//! --store`, `simulate --namespace`) read that workload's rows through the
//! pod's namespace (the `pods` unique index starts with it) or its labels
//! (`labels_by_selector`), never every event of the store;
//! [`SqliteStore::query_plan`] shows the plan and a test checks it. The
//! `labels` index serves selectors by kind (`pod`, `workload`,
//! `selector`); no query filters on time, so no time index is kept.
//!
//! Migrations are versioned ([`MIGRATIONS`]): the schema version lives in
//! `meta.schema_version`, each step brings a store of the version before it
//! to its own, in one write transaction, and `schema_migrations` records
//! each version reached (schema 5 added that history; a store created new
//! records every version as created). A store of a newer version than this
//! kubescribe knows is refused, never written.
//!
//! A write transaction whose first flush holds many rows
//! (`DEFER_INDEXES_FROM_ROWS`) drops the secondary indexes of the event
//! tables that are still empty and creates them again just before it
//! commits, in the same transaction: a first bulk load sorts each index once
//! instead of inserting every row into it. The `key_hash` unique index the
//! upsert relies on is always kept, and a load that is rolled back or killed
//! leaves the indexes as they were.
//!
//! Time windows ([`EventQuery::since`], [`EventQuery::until`]) and
//! [`EventStore::prune`] filter on `first_seen` / `last_seen` without an
//! index: an index on them would cost every ingested row an insertion for
//! the rare retention run, and a window is combined with the pod set, whose
//! rows are reached through `pod_id`.
//!
//! Opening a store that is already at this schema version reads the version
//! and takes no lock: a reader (`context` during an `ingest`) never waits
//! for a writer and sees what is committed. Only creating the schema or
//! migrating takes the write lock, once.
//!
//! Flows are deduplicated per connection endpoint, not per socket: the
//! ephemeral side's port (the local port of an egress flow, the remote port
//! of an ingress flow) is not stored.
//!
//! Size: one implementation of the `EventStore` trait; its queries and the writer share the private statement and row helpers, and the schema migration lives with the schema.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use hashlink::LruCache;
use rusqlite::{
    Connection, OptionalExtension, StatementStatus, TransactionBehavior, params, params_from_iter,
};

use super::decode::{
    HEAD_COLUMNS, RowRead, addresses_json, decode_event, labels_json, opt, parse_addresses,
    parse_labels, pod_meta, table_columns, unopt,
};
use super::rows::{
    INTS, PendingRows, ProbeTable, RowKey, Seen, TEXTS, close_probe_gaps, key_columns,
};
use super::{
    EventQuery, EventStore, EventTable, IngestedFile, PruneSummary, StoreCounts, StoreError,
    StoreWriter, StoredEvent,
};
use crate::{Event, EventKind, NetworkEvent, PodMeta, Validity, Workload, WorkloadPort};

/// The schema version this kubescribe writes: the last of [`MIGRATIONS`].
pub const SCHEMA_VERSION: &str = "5";

/// The schema's versions, oldest first, and what each changed. A store of
/// version `v` is migrated by the steps of every later version, in order
/// ([`migrate_step`]).
pub const MIGRATIONS: &[(u32, &str)] = &[
    (1, "event tables unique on their key columns"),
    (
        2,
        "event rows found by key_hash instead of a unique index over their key columns",
    ),
    (3, "every event table indexed on pod_id"),
    (
        4,
        "a flow's HTTP request (method, path, host); addresses of Endpoints workloads",
    ),
    (5, "schema_migrations: the history of versions reached"),
];

/// The history of versions reached (schema 5).
const MIGRATION_HISTORY: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL, \
     how TEXT NOT NULL)";

/// The `pod_id` indexes of schema 3 (also in [`SCHEMA`]).
const POD_INDEXES: &str = "CREATE INDEX IF NOT EXISTS processes_by_pod ON processes (pod_id); \
     CREATE INDEX IF NOT EXISTS files_by_pod ON files (pod_id); \
     CREATE INDEX IF NOT EXISTS flows_by_pod ON flows (pod_id); \
     CREATE INDEX IF NOT EXISTS syscalls_by_pod ON syscalls (pod_id);";

/// Brings a store of version `version - 1` to `version`.
fn migrate_step(tx: &rusqlite::Transaction<'_>, version: u32) -> Result<(), StoreError> {
    match version {
        2 => migrate_v1(tx),
        3 => Ok(tx.execute_batch(POD_INDEXES)?),
        4 => add_v4_columns(tx),
        5 => Ok(tx.execute_batch(MIGRATION_HISTORY)?),
        v => Err(StoreError::Corrupt(format!(
            "no migration to schema version {v}"
        ))),
    }
}

/// Records in `schema_migrations` that versions `versions` were reached.
fn record_versions(
    tx: &rusqlite::Transaction<'_>,
    versions: impl Iterator<Item = u32>,
    how: &str,
) -> Result<(), StoreError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut stmt = tx.prepare(
        "INSERT OR REPLACE INTO schema_migrations (version, description, applied_at, how) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for v in versions {
        let description = MIGRATIONS
            .iter()
            .find(|(n, _)| *n == v)
            .map_or("", |(_, d)| d);
        stmt.execute(params![v, description, now, how])?;
    }
    Ok(())
}

/// The columns schema 4 added, as `ALTER TABLE ... ADD COLUMN` declares
/// them (also in [`SCHEMA`]).
const ADDED_IN_V4: &[(&str, &str, &str)] = &[
    ("flows", "http_method", "TEXT NOT NULL DEFAULT ''"),
    ("flows", "http_path", "TEXT NOT NULL DEFAULT ''"),
    ("flows", "http_host", "TEXT NOT NULL DEFAULT ''"),
    ("workloads", "addresses", "TEXT NOT NULL DEFAULT '[]'"),
];

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ingested_files (
    hash TEXT PRIMARY KEY, path TEXT NOT NULL, bytes INTEGER NOT NULL,
    ingested_at INTEGER NOT NULL, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pods (
    id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, pod TEXT NOT NULL,
    container TEXT NOT NULL, node TEXT NOT NULL, labels TEXT NOT NULL,
    UNIQUE (namespace, pod, container, node, labels));
CREATE TABLE IF NOT EXISTS labels (
    kind TEXT NOT NULL, id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (kind, id, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS labels_by_selector ON labels (kind, key, value, id);
CREATE TABLE IF NOT EXISTS processes (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    action TEXT NOT NULL, binary TEXT NOT NULL, args TEXT NOT NULL, parent TEXT NOT NULL,
    uid INTEGER NOT NULL,
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    key_hash INTEGER NOT NULL UNIQUE);
CREATE INDEX IF NOT EXISTS processes_by_pod ON processes (pod_id);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    path TEXT NOT NULL, operation TEXT NOT NULL, flags TEXT NOT NULL, syscall TEXT NOT NULL,
    process TEXT NOT NULL,
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    key_hash INTEGER NOT NULL UNIQUE);
CREATE INDEX IF NOT EXISTS files_by_path ON files (path);
CREATE INDEX IF NOT EXISTS files_by_pod ON files (pod_id);
CREATE TABLE IF NOT EXISTS flows (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    protocol TEXT NOT NULL, direction TEXT NOT NULL, local_ip TEXT NOT NULL,
    local_port INTEGER NOT NULL, remote_ip TEXT NOT NULL, remote_port INTEGER NOT NULL,
    peer_id INTEGER NOT NULL, dns_name TEXT NOT NULL, process TEXT NOT NULL,
    http_method TEXT NOT NULL DEFAULT '', http_path TEXT NOT NULL DEFAULT '',
    http_host TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    key_hash INTEGER NOT NULL UNIQUE);
CREATE INDEX IF NOT EXISTS flows_by_peer ON flows (peer_id);
CREATE INDEX IF NOT EXISTS flows_by_remote ON flows (remote_ip, remote_port);
CREATE INDEX IF NOT EXISTS flows_by_pod ON flows (pod_id);
CREATE TABLE IF NOT EXISTS syscalls (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    kind TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL, process TEXT NOT NULL,
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    key_hash INTEGER NOT NULL UNIQUE);
CREATE INDEX IF NOT EXISTS syscalls_by_pod ON syscalls (pod_id);
CREATE TABLE IF NOT EXISTS workloads (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    labels TEXT NOT NULL, pod_labels TEXT NOT NULL, selector TEXT NOT NULL,
    addresses TEXT NOT NULL DEFAULT '[]',
    UNIQUE (kind, namespace, name));
CREATE INDEX IF NOT EXISTS workloads_by_namespace ON workloads (namespace);
CREATE TABLE IF NOT EXISTS workload_ports (
    workload_id INTEGER NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL,
    port INTEGER NOT NULL, target_port TEXT NOT NULL, protocol TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS workload_ports_by_workload ON workload_ports (workload_id);
CREATE INDEX IF NOT EXISTS workload_ports_by_port ON workload_ports (port, protocol);
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL,
    how TEXT NOT NULL);
"#;

/// Indexes earlier releases created that no query reads (no query filters
/// on a process's binary or a flow's DNS name): each cost every ingested
/// row an index insertion. A write transaction drops them where they are
/// left ([`SqliteStore::begin`]); the format is otherwise the same, so the
/// schema version stays.
const UNUSED_INDEXES: &str = "DROP INDEX IF EXISTS processes_by_binary; \
     DROP INDEX IF EXISTS flows_by_dns;";

/// The upsert of one pending row into `table`. Parameters follow
/// [`RowKey`]'s layout: `?1`–`?4` its integer columns, `?5`–`?15` its text
/// columns (a table leaves those it lacks unreferenced), then `?16` the
/// count, `?17` first seen, `?18` last seen and `?19` the key hash. A row
/// holding the hash with other key columns (a collision) is left alone and
/// the statement changes nothing: the caller probes the next hash value.
/// Pruning closes the gaps it leaves in probe sequences
/// ([`close_probe_gaps`]), so a probe never stops short of its row.
fn upsert_sql(table: EventTable) -> &'static str {
    static SQL: LazyLock<[String; 4]> = LazyLock::new(|| {
        EventTable::ALL.map(|table| {
            let (ints, texts) = key_columns(table);
            let columns: Vec<&str> = ints.iter().chain(texts).copied().collect();
            let values: Vec<String> = (1..=ints.len())
                .chain(INTS + 1..=INTS + texts.len())
                .map(|i| format!("?{i}"))
                .collect();
            let same: Vec<String> = columns
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            let n = INTS + TEXTS;
            format!(
                "INSERT INTO {table} ({}, count, first_seen, last_seen, key_hash) \
                 VALUES ({}, ?{}, ?{}, ?{}, ?{}) \
                 ON CONFLICT (key_hash) DO UPDATE SET count = count + excluded.count, \
                 first_seen = CASE WHEN first_seen IS NULL OR excluded.first_seen < first_seen \
                     THEN coalesce(excluded.first_seen, first_seen) ELSE first_seen END, \
                 last_seen = CASE WHEN last_seen IS NULL OR excluded.last_seen > last_seen \
                     THEN coalesce(excluded.last_seen, last_seen) ELSE last_seen END \
                 WHERE {}",
                columns.join(", "),
                values.join(", "),
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                same.join(" AND ")
            )
        })
    });
    &SQL[table as usize]
}

/// Migrates a version-1 store: each event table is rebuilt with `key_hash`
/// in place of the unique index over its key columns. Ids, counts, times
/// and validity are kept.
fn migrate_v1(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    for table in EventTable::ALL {
        let t = table.as_str();
        tx.execute_batch(&format!("ALTER TABLE {t} RENAME TO {t}_v1"))?;
        // Its indexes moved with it; their names are the new table's.
        let indexes: Vec<String> = tx
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL",
            )?
            .query_map([format!("{t}_v1")], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for index in indexes {
            tx.execute_batch(&format!("DROP INDEX \"{index}\""))?;
        }
    }
    tx.execute_batch(SCHEMA)?;
    for table in EventTable::ALL {
        let t = table.as_str();
        let (ints, texts) = key_columns(table);
        // The columns a version-1 table has (schema 4's are left empty).
        let n_texts = texts
            .iter()
            .take_while(|c| !ADDED_IN_V4.iter().any(|(at, ac, _)| *at == t && ac == *c))
            .count();
        let texts = &texts[..n_texts];
        let columns = ints
            .iter()
            .chain(texts)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {t} (id, {columns}, count, first_seen, last_seen, validity, key_hash) \
             VALUES ({}) ON CONFLICT (key_hash) DO NOTHING",
            (1..=ints.len() + texts.len() + 6)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let mut select = tx.prepare(&format!(
            "SELECT id, {columns}, count, first_seen, last_seen, validity FROM {t}_v1 ORDER BY id"
        ))?;
        let mut rows = select.query([])?;
        while let Some(row) = rows.next()? {
            let mut key: RowKey<String> = RowKey {
                table,
                ints: [0; INTS],
                texts: Default::default(),
            };
            let mut values: Vec<rusqlite::types::Value> = vec![row.get(0)?];
            for (i, slot) in key.ints.iter_mut().take(ints.len()).enumerate() {
                *slot = row.get(1 + i)?;
                values.push((*slot).into());
            }
            for (i, slot) in key.texts.iter_mut().take(texts.len()).enumerate() {
                *slot = row.get(1 + ints.len() + i)?;
                values.push(slot.clone().into());
            }
            for i in 0..4 {
                values.push(row.get(1 + ints.len() + texts.len() + i)?);
            }
            let mut hash = key.stable_hash();
            while insert.execute(params_from_iter(values.iter().chain([&hash.into()])))? == 0 {
                hash = hash.wrapping_add(1);
            }
        }
        tx.execute_batch(&format!("DROP TABLE {t}_v1"))?;
    }
    Ok(())
}

/// Adds the columns of schema 4 that a store of an older version lacks
/// (a version-1 store's event tables were rebuilt with them already).
fn add_v4_columns(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    for (table, column, decl) in ADDED_IN_V4 {
        let has: bool = tx
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))?
            .exists([column])?;
        if !has {
            tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
        }
    }
    Ok(())
}

/// Writes one row with `stmt` (its table's [`upsert_sql`]): `count` events
/// with the given time range, merged into the row with the same key if there
/// is one. `hash` is the key's [`RowKey::stable_hash`].
fn write_row(
    stmt: &mut rusqlite::Statement<'_>,
    key: &RowKey<&str>,
    hash: i64,
    seen: &Seen,
) -> Result<(), StoreError> {
    // Only the parameters the table's statement reads are bound (the
    // others are unreferenced): binding is a good part of a row's cost.
    let (ints, texts) = key_columns(key.table);
    for (i, v) in key.ints.iter().take(ints.len()).enumerate() {
        stmt.raw_bind_parameter(1 + i, v)?;
    }
    for (i, t) in key.texts.iter().take(texts.len()).enumerate() {
        stmt.raw_bind_parameter(INTS + 1 + i, t)?;
    }
    let n = INTS + TEXTS;
    stmt.raw_bind_parameter(n + 1, seen.count)?;
    stmt.raw_bind_parameter(n + 2, seen.first)?;
    stmt.raw_bind_parameter(n + 3, seen.last)?;
    let mut hash = hash;
    loop {
        stmt.raw_bind_parameter(n + 4, hash)?;
        if stmt.raw_execute()? != 0 {
            return Ok(());
        }
        hash = hash.wrapping_add(1);
    }
}

/// Drops the secondary indexes (not the `key_hash` unique index the
/// upsert needs) of every event table that holds no row yet, returning
/// their `CREATE INDEX` statements for [`SqliteWriter::commit`] to run.
/// A bulk load into an empty table then inserts each row into its table
/// and `key_hash` index only, and each secondary index is built once from
/// the sorted rows, which costs less than one insertion per row into it.
/// Both happen in the write transaction: a rolled-back or killed ingestion
/// leaves the indexes as they were.
fn defer_indexes(tx: &rusqlite::Transaction<'_>) -> Result<Vec<String>, StoreError> {
    let mut deferred = Vec::new();
    for table in EventTable::ALL {
        let t = table.as_str();
        let empty: bool =
            tx.query_row(&format!("SELECT NOT EXISTS (SELECT 1 FROM {t})"), [], |r| {
                r.get(0)
            })?;
        if !empty {
            continue;
        }
        let indexes: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 \
                 AND sql IS NOT NULL ORDER BY name",
            )?
            .query_map([t], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (name, sql) in indexes {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
            deferred.push(sql);
        }
    }
    Ok(deferred)
}

/// Settings for opening a store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// How long a writer waits for another writer's transaction (default 10 minutes:
    /// one transaction holds one whole input file).
    pub busy_timeout: Duration,
    /// The page cache of the connection, in MiB (default 32). Ingestion
    /// touches the unique indexes of every event table; once they outgrow
    /// the cache, each upsert re-reads pages from the file and spills dirty
    /// ones to the WAL mid-transaction. A bounded cache keeps memory flat.
    pub cache_mib: u32,
    /// Pod ids a writer keeps in memory (least recently used dropped first;
    /// default [`SqliteOptions::POD_CACHE_ENTRIES`]). A pod not in the cache
    /// is found through the `pods` table's unique index, so the bound costs
    /// a look-up, never a duplicate. Memory: at most this many entries of
    /// the pod's namespace, name, container, node and labels (as JSON) plus
    /// about 200 bytes each: about 6 MiB at the default with typical names
    /// and a few labels, however many pods the events name.
    pub pod_cache_entries: usize,
}

impl SqliteOptions {
    /// The default bound of the pod-id cache.
    pub const POD_CACHE_ENTRIES: usize = 16_384;
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(600),
            cache_mib: 32,
            pod_cache_entries: Self::POD_CACHE_ENTRIES,
        }
    }
}

/// A pod the writer's cache holds: its identity, owned, and its id.
struct CachedPod {
    namespace: String,
    pod: String,
    container: String,
    node: String,
    labels: BTreeMap<String, String>,
    id: i64,
}

impl CachedPod {
    fn is(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        node: &str,
        labels: &BTreeMap<String, String>,
    ) -> bool {
        self.namespace == namespace
            && self.pod == pod
            && self.container == container
            && self.node == node
            && &self.labels == labels
    }
}

/// Pod ids handed out, up to a bound (least recently used dropped first),
/// found by a 64-bit hash of the pod's identity computed from the event's
/// borrowed fields: a hit allocates nothing and serializes no labels. An
/// entry is used only when its identity equals the event's, so two pods
/// sharing a hash cost a look-up in the `pods` table, never a wrong id.
struct PodCache {
    ids: LruCache<u64, CachedPod>,
    /// The encoding buffer of [`PodCache::hash`].
    scratch: Vec<u8>,
}

impl PodCache {
    fn new(entries: usize) -> PodCache {
        PodCache {
            ids: LruCache::new(entries.max(1)),
            scratch: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.ids.clear();
    }

    /// XXH3 of the identity, each text length-prefixed (in memory only,
    /// never stored).
    fn hash(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        node: &str,
        labels: &BTreeMap<String, String>,
    ) -> u64 {
        let buf = &mut self.scratch;
        buf.clear();
        let mut put = |s: &str| {
            buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
            buf.extend_from_slice(s.as_bytes());
        };
        for s in [namespace, pod, container, node] {
            put(s);
        }
        for (k, v) in labels {
            put(k);
            put(v);
        }
        xxhash_rust::xxh3::xxh3_64(buf)
    }
}

/// An event store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    pod_ids: PodCache,
    /// Rows of the open write transaction not yet written (kept here so
    /// its allocation is reused from one transaction to the next).
    pending: PendingRows,
}

impl SqliteStore {
    /// Opens (creating if needed) a store file.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, &SqliteOptions::default())
    }

    /// Opens a store file with options.
    pub fn open_with(path: &Path, options: &SqliteOptions) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn, options, true)
    }

    /// A private in-memory store (for tests and one-shot pipelines).
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        Self::init(
            Connection::open_in_memory()?,
            &SqliteOptions::default(),
            false,
        )
    }

    fn init(
        mut conn: Connection,
        options: &SqliteOptions,
        wal: bool,
    ) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(options.busy_timeout)?;
        // Negative: KiB rather than pages.
        conn.pragma_update(None, "cache_size", -(i64::from(options.cache_mib) * 1024))?;
        // Switching a new file to WAL takes an exclusive lock that SQLite's
        // busy handler does not wait for: retry while other processes open
        // the same new file.
        let deadline = std::time::Instant::now() + options.busy_timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            match Self::setup(&mut conn, wal) {
                Err(StoreError::Sqlite(e))
                    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                other => {
                    other?;
                    break;
                }
            }
        }
        Ok(SqliteStore {
            conn,
            pod_ids: PodCache::new(options.pod_cache_entries),
            pending: PendingRows::default(),
        })
    }

    /// The schema version of the file, read without a write lock: `None`
    /// when the schema is not there yet.
    fn schema_version(conn: &Connection) -> Result<Option<String>, StoreError> {
        let has_meta = conn
            .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")?
            .exists([])?;
        if !has_meta {
            return Ok(None);
        }
        Ok(conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn setup(conn: &mut Connection, wal: bool) -> Result<(), StoreError> {
        if wal {
            let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Corrupt(format!(
                    "cannot switch to WAL mode (got {mode})"
                )));
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // The common case, a store at this version: a read, no lock, so an
        // open never waits for another process's ingestion.
        if Self::schema_version(conn)?.as_deref() == Some(SCHEMA_VERSION) {
            return Ok(());
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        let version: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
        match version {
            None => {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                    [SCHEMA_VERSION],
                )?;
                record_versions(&tx, MIGRATIONS.iter().map(|(v, _)| *v), "created")?;
            }
            Some(v) if v == SCHEMA_VERSION => {}
            // Each later version's step, in order (SCHEMA above created
            // what is missing: a step finds its tables there).
            Some(v) if v.parse::<u32>().is_ok_and(|n| (1..latest).contains(&n)) => {
                let from: u32 = v.parse().unwrap_or(latest);
                for step in from + 1..=latest {
                    migrate_step(&tx, step)?;
                }
                record_versions(&tx, from + 1..=latest, "migrated")?;
                tx.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
                    [SCHEMA_VERSION],
                )?;
            }
            Some(v) => {
                return Err(StoreError::Corrupt(format!(
                    "schema version {v}, this kubescribe reads versions 1 to {SCHEMA_VERSION}"
                )));
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The underlying connection (read-only use is safe; for ad-hoc queries).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Pod ids the writer's cache holds now (at most
    /// [`SqliteOptions::pod_cache_entries`]).
    pub fn cached_pods(&self) -> usize {
        self.pod_ids.ids.len()
    }

    /// SQLite's plan for the query [`EventStore::events`] runs for `q`: one
    /// line per step (`SEARCH t USING INDEX processes_by_pod (pod_id=?)`,
    /// `SCAN t` for a full scan of the event table).
    pub fn query_plan(&self, table: EventTable, q: &EventQuery) -> Result<Vec<String>, StoreError> {
        let (sql, args) = event_sql(table, q);
        let mut stmt = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let lines = stmt
            .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))?
            .collect::<Result<_, _>>()?;
        Ok(lines)
    }

    /// Runs the query [`EventStore::events`] runs for `q` and counts its
    /// work: rows returned and SQLite virtual-machine steps (a measure of
    /// cost that does not depend on the machine's speed).
    pub fn query_cost(&self, table: EventTable, q: &EventQuery) -> Result<QueryCost, StoreError> {
        let (sql, args) = event_sql(table, q);
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = 0u64;
        {
            let mut it = stmt.query(params_from_iter(args.iter()))?;
            while it.next()?.is_some() {
                rows += 1;
            }
        }
        Ok(QueryCost {
            rows,
            vm_steps: stmt.get_status(StatementStatus::VmStep).max(0) as u64,
            fullscan_steps: stmt.get_status(StatementStatus::FullscanStep).max(0) as u64,
        })
    }
}

/// The work of one query ([`SqliteStore::query_cost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryCost {
    /// Rows returned.
    pub rows: u64,
    /// SQLite virtual-machine steps.
    pub vm_steps: u64,
    /// Steps of full table scans (0 when every table is reached by index).
    pub fullscan_steps: u64,
}

/// One event table of a write transaction, for [`close_probe_gaps`].
struct SqliteProbe<'t, 'c> {
    tx: &'t rusqlite::Transaction<'c>,
    table: EventTable,
}

impl ProbeTable for SqliteProbe<'_, '_> {
    type Error = StoreError;

    fn key_at(&mut self, hash: i64) -> Result<Option<RowKey<String>>, StoreError> {
        let (ints, texts) = key_columns(self.table);
        let columns: Vec<&str> = ints.iter().chain(texts).copied().collect();
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {} FROM {} WHERE key_hash = ?1",
            columns.join(", "),
            self.table.as_str()
        ))?;
        let mut rows = stmt.query([hash])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let mut key = RowKey {
            table: self.table,
            ints: [0; INTS],
            texts: Default::default(),
        };
        for (i, slot) in key.ints.iter_mut().take(ints.len()).enumerate() {
            *slot = row.get(i)?;
        }
        for (i, slot) in key.texts.iter_mut().take(texts.len()).enumerate() {
            *slot = row.get(ints.len() + i)?;
        }
        Ok(Some(key))
    }

    fn move_row(&mut self, from: i64, to: i64) -> Result<(), StoreError> {
        self.tx.execute(
            &format!(
                "UPDATE {} SET key_hash = ?2 WHERE key_hash = ?1",
                self.table.as_str()
            ),
            params![from, to],
        )?;
        Ok(())
    }
}

impl RowRead for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.get(i)?)
    }
}

/// A write transaction on a [`SqliteStore`].
pub struct SqliteWriter<'a> {
    tx: Option<rusqlite::Transaction<'a>>,
    pod_ids: &'a mut PodCache,
    pending: &'a mut PendingRows,
    /// Whether the first flush decided which indexes to defer.
    deferral_checked: bool,
    /// The `CREATE INDEX` statements of the secondary indexes dropped for
    /// this transaction's bulk load ([`SqliteWriter::defer_indexes`]),
    /// run again before it commits.
    deferred_indexes: Vec<String>,
}

/// Pending rows from which a first flush into an empty event table builds
/// that table's secondary indexes once, at commit, instead of row by row.
const DEFER_INDEXES_FROM_ROWS: usize = 4_096;

impl Drop for SqliteWriter<'_> {
    fn drop(&mut self) {
        if self.tx.is_some() {
            // Rolled back: ids handed out in this transaction are void.
            self.pod_ids.clear();
        }
        self.pending.clear();
    }
}

impl SqliteWriter<'_> {
    /// Writes the pending rows, one upsert each.
    fn flush(&mut self) -> Result<(), StoreError> {
        let Some(tx) = self.tx.as_ref() else {
            return Err(StoreError::Corrupt("transaction already finished".into()));
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        if !self.deferral_checked {
            self.deferral_checked = true;
            if self.pending.len() >= DEFER_INDEXES_FROM_ROWS {
                self.deferred_indexes = defer_indexes(tx)?;
            }
        }
        // One statement per table for the whole flush (no cache look-up per row).
        let mut stmts = Vec::with_capacity(EventTable::ALL.len());
        for table in EventTable::ALL {
            stmts.push(tx.prepare_cached(upsert_sql(table))?);
        }
        self.pending.drain_each(|key, hash, seen| {
            write_row(&mut stmts[key.table as usize], key, hash, seen)
        })?;
        Ok(())
    }

    fn tx(&self) -> Result<&rusqlite::Transaction<'_>, StoreError> {
        self.tx
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("transaction already finished".into()))
    }

    fn pod_id(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        node: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<i64, StoreError> {
        let hash = self.pod_ids.hash(namespace, pod, container, node, labels);
        if let Some(cached) = self.pod_ids.ids.get(&hash)
            && cached.is(namespace, pod, container, node, labels)
        {
            return Ok(cached.id);
        }
        let lj = labels_json(labels);
        let tx = self.tx()?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO pods (namespace, pod, container, node, labels) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![namespace, pod, container, node, lj])?;
        let id = if inserted == 1 {
            let id = tx.last_insert_rowid();
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO labels (kind, id, key, value) VALUES ('pod', ?1, ?2, ?3)",
            )?;
            for (k, v) in labels {
                stmt.execute(params![id, k, v])?;
            }
            id
        } else {
            tx.prepare_cached(
                "SELECT id FROM pods WHERE namespace = ?1 AND pod = ?2 AND container = ?3 AND node = ?4 AND labels = ?5",
            )?
            .query_row(params![namespace, pod, container, node, lj], |r| r.get(0))?
        };
        // A pod that shares its hash with a cached one takes its place.
        self.pod_ids.ids.insert(
            hash,
            CachedPod {
                namespace: namespace.to_string(),
                pod: pod.to_string(),
                container: container.to_string(),
                node: node.to_string(),
                labels: labels.clone(),
                id,
            },
        );
        Ok(id)
    }
}

impl StoreWriter for SqliteWriter<'_> {
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx()?
            .prepare_cached("SELECT 1 FROM ingested_files WHERE hash = ?1")?
            .exists([hash])?)
    }

    fn add_event(&mut self, e: &Event) -> Result<(), StoreError> {
        let p = &e.pod;
        let pod_id = self.pod_id(
            opt(&p.namespace),
            opt(&p.pod),
            opt(&p.container),
            opt(&p.node),
            &p.labels,
        )?;
        let peer_id = match &e.kind {
            EventKind::Network(NetworkEvent {
                peer: Some(peer), ..
            }) => self.pod_id(opt(&peer.namespace), opt(&peer.pod), "", "", &peer.labels)?,
            _ => 0,
        };
        self.pending
            .add(&RowKey::of(e, pod_id, peer_id), e.timestamp_ns);
        if self.pending.is_full() {
            self.flush()?;
        }
        Ok(())
    }

    fn add_workload(&mut self, w: &Workload) -> Result<(), StoreError> {
        let tx = self.tx()?;
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO workloads (kind, namespace, name, labels, pod_labels, selector, addresses) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (kind, namespace, name) DO UPDATE SET labels = excluded.labels, \
                 pod_labels = excluded.pod_labels, selector = excluded.selector, addresses = excluded.addresses RETURNING id",
            )?
            .query_row(
                params![w.kind, w.namespace, w.name, labels_json(&w.labels), labels_json(&w.pod_labels), labels_json(&w.selector), addresses_json(&w.addresses)],
                |r| r.get(0),
            )?;
        tx.prepare_cached("DELETE FROM labels WHERE kind IN ('workload', 'selector') AND id = ?1")?
            .execute([id])?;
        tx.prepare_cached("DELETE FROM workload_ports WHERE workload_id = ?1")?
            .execute([id])?;
        let mut lab = tx.prepare_cached(
            "INSERT OR REPLACE INTO labels (kind, id, key, value) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (k, v) in &w.pod_labels {
            lab.execute(params!["workload", id, k, v])?;
        }
        for (k, v) in &w.selector {
            lab.execute(params!["selector", id, k, v])?;
        }
        let mut port = tx.prepare_cached(
            "INSERT INTO workload_ports (workload_id, container, name, port, target_port, protocol) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for p in &w.ports {
            port.execute(params![
                id,
                opt(&p.container),
                opt(&p.name),
                p.port,
                opt(&p.target_port),
                p.protocol
            ])?;
        }
        Ok(())
    }

    fn record_file(&mut self, f: &IngestedFile) -> Result<(), StoreError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        self.tx()?
            .prepare_cached(
                "INSERT OR IGNORE INTO ingested_files (hash, path, bytes, ingested_at, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![f.hash, f.path, f.bytes as i64, now, f.summary])?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.flush()?;
        match self.tx.take() {
            Some(tx) => {
                // In the same transaction: a store is never committed
                // without its indexes.
                for sql in self.deferred_indexes.drain(..) {
                    tx.execute_batch(&sql)?;
                }
                if let Err(e) = tx.commit() {
                    self.pod_ids.clear();
                    return Err(e.into());
                }
                Ok(())
            }
            None => Err(StoreError::Corrupt("transaction already finished".into())),
        }
    }
}

/// The pods a namespace and a label selector pick, as a condition on a pod
/// id column (`t.pod_id`, whose pod row is joined as `alias`): nothing when
/// both are empty. The set comes from `labels_by_selector` (`col IN (…
/// INTERSECT …)`, the namespace then checked on the joined pod row) or,
/// without a selector, from the `pods` unique index, which starts with the
/// namespace; the event table is then reached through its `pod_id` (or
/// `peer_id`) index, row by selected row.
fn pod_set_clause(
    col: &str,
    alias: &str,
    namespace: Option<&str>,
    selector: &BTreeMap<String, String>,
    args: &mut Vec<String>,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut namespace_check = String::new();
    if let Some(ns) = namespace {
        args.push(ns.to_string());
        if selector.is_empty() {
            parts.push(format!(
                "SELECT id FROM pods WHERE namespace = ?{}",
                args.len()
            ));
        } else {
            // `+`: not a term for an index, so SQLite does not walk the
            // whole namespace's pods first.
            namespace_check = format!(" AND +{alias}.namespace = ?{}", args.len());
        }
    }
    for (k, v) in selector {
        args.push(k.clone());
        args.push(v.clone());
        parts.push(format!(
            "SELECT id FROM labels WHERE kind = 'pod' AND key = ?{} AND value = ?{}",
            args.len() - 1,
            args.len()
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        " AND {col} IN ({}){namespace_check}",
        parts.join(" INTERSECT ")
    )
}

/// The query of [`EventStore::events`] and its parameters.
fn event_sql(table: EventTable, q: &EventQuery) -> (String, Vec<String>) {
    let mut args: Vec<String> = Vec::new();
    let mut wh = String::from(" WHERE 1 = 1");
    wh.push_str(&pod_set_clause(
        "t.pod_id",
        "p",
        q.namespace.as_deref(),
        &q.selector,
        &mut args,
    ));
    if let Some(v) = q.validity {
        args.push(v.as_str().to_string());
        wh.push_str(&format!(" AND t.validity = ?{}", args.len()));
    }
    // The window of `EventQuery::in_window` (NULL times compare false).
    if let Some(since) = q.since {
        args.push(since.to_string());
        wh.push_str(&format!(
            " AND t.last_seen >= CAST(?{} AS INTEGER)",
            args.len()
        ));
    }
    if let Some(until) = q.until {
        args.push(until.to_string());
        wh.push_str(&format!(
            " AND t.first_seen < CAST(?{} AS INTEGER)",
            args.len()
        ));
    }
    let (cols, join) = table_columns(table);
    match table {
        EventTable::Processes | EventTable::Syscalls => {}
        EventTable::Files => {
            if let Some(prefix) = &q.path_prefix {
                args.push(prefix.clone());
                args.push(format!("{prefix}\u{10FFFF}"));
                wh.push_str(&format!(
                    " AND t.path >= ?{} AND t.path < ?{}",
                    args.len() - 1,
                    args.len()
                ));
            }
        }
        EventTable::Flows => {
            wh.push_str(&pod_set_clause(
                "t.peer_id",
                "q",
                q.peer_namespace.as_deref(),
                &q.peer_selector,
                &mut args,
            ));
            if let Some(ip) = &q.remote_ip {
                args.push(ip.clone());
                wh.push_str(&format!(" AND t.remote_ip = ?{}", args.len()));
            }
        }
    }
    let limit = q.limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    let sql = format!(
        "SELECT {HEAD_COLUMNS}, {cols} \
         FROM {} t JOIN pods p ON p.id = t.pod_id{join}{wh} ORDER BY t.count DESC, t.id{limit}",
        table.as_str()
    );
    (sql, args)
}

impl EventStore for SqliteStore {
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM ingested_files WHERE hash = ?1")?
            .exists([hash])?)
    }

    fn ingested_as(&mut self, path: &str, bytes: u64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM ingested_files WHERE path = ?1 AND bytes = ?2")?
            .exists(params![path, bytes as i64])?)
    }

    fn begin(&mut self) -> Result<Box<dyn StoreWriter + '_>, StoreError> {
        let SqliteStore {
            conn,
            pod_ids,
            pending,
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(UNUSED_INDEXES)?;
        pending.clear();
        Ok(Box::new(SqliteWriter {
            tx: Some(tx),
            pod_ids,
            pending,
            deferral_checked: false,
            deferred_indexes: Vec::new(),
        }))
    }

    fn set_validity(
        &mut self,
        table: EventTable,
        id: i64,
        validity: Validity,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            &format!("UPDATE {} SET validity = ?1 WHERE id = ?2", table.as_str()),
            params![validity.as_str(), id],
        )?;
        Ok(n > 0)
    }

    fn events(
        &mut self,
        table: EventTable,
        q: &EventQuery,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let (sql, args) = event_sql(table, q);
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(decode_event(table, r)?);
        }
        Ok(out)
    }

    fn pods_with_events(&mut self, table: EventTable) -> Result<Vec<PodMeta>, StoreError> {
        // One index probe per pod (`<table>_by_pod`), no event row read.
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.namespace, p.pod, p.container, p.node, p.labels FROM pods p \
             WHERE EXISTS (SELECT 1 FROM {} t WHERE t.pod_id = p.id) ORDER BY p.id",
            table.as_str()
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let labels: String = r.get(4)?;
            out.push(pod_meta(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                &labels,
            )?);
        }
        Ok(out)
    }

    fn workloads(
        &mut self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Vec<Workload>, StoreError> {
        let mut args: Vec<String> = Vec::new();
        let mut sql = String::from(
            "SELECT w.id, w.kind, w.namespace, w.name, w.labels, w.pod_labels, w.selector, w.addresses FROM workloads w WHERE 1 = 1",
        );
        if let Some(ns) = namespace {
            args.push(ns.to_string());
            sql.push_str(&format!(" AND w.namespace = ?{}", args.len()));
        }
        for (k, v) in selector {
            args.push(k.clone());
            args.push(v.clone());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM labels l WHERE l.id = w.id AND l.kind = \
                 (CASE WHEN w.kind = 'Service' THEN 'selector' ELSE 'workload' END) AND l.key = ?{} AND l.value = ?{})",
                args.len() - 1,
                args.len()
            ));
        }
        sql.push_str(" ORDER BY w.namespace, w.kind, w.name");
        let mut stmt = self.conn.prepare(&sql)?;
        type Row = (i64, String, String, String, String, String, String, String);
        let rows: Vec<Row> = stmt
            .query_map(params_from_iter(args.iter()), |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut ports = self.conn.prepare_cached(
            "SELECT container, name, port, target_port, protocol FROM workload_ports WHERE workload_id = ?1 ORDER BY rowid",
        )?;
        let mut out = Vec::new();
        for (id, kind, namespace, name, labels, pod_labels, sel, addresses) in rows {
            let ps: Vec<WorkloadPort> = ports
                .query_map([id], |r| {
                    let port: i64 = r.get(2)?;
                    Ok(WorkloadPort {
                        container: unopt(r.get(0)?),
                        name: unopt(r.get(1)?),
                        port: u16::try_from(port).unwrap_or(0),
                        target_port: unopt(r.get(3)?),
                        protocol: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            out.push(Workload {
                kind,
                namespace,
                name,
                labels: parse_labels(&labels)?,
                pod_labels: parse_labels(&pod_labels)?,
                selector: parse_labels(&sel)?,
                ports: ps,
                addresses: parse_addresses(&addresses)?,
            });
        }
        Ok(out)
    }

    fn ingested_files(&mut self) -> Result<Vec<IngestedFile>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT hash, path, bytes, summary FROM ingested_files ORDER BY ingested_at, path",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let bytes: i64 = r.get(2)?;
                Ok(IngestedFile {
                    hash: r.get(0)?,
                    path: r.get(1)?,
                    bytes: bytes.max(0) as u64,
                    summary: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn counts(&mut self) -> Result<StoreCounts, StoreError> {
        // One read transaction: every count from the same snapshot, even
        // while other processes commit (a deferred transaction takes no
        // write lock).
        let tx = self.conn.transaction()?;
        let one = |sql: &str| -> Result<u64, StoreError> {
            let n: i64 = tx.query_row(sql, [], |r| r.get(0))?;
            Ok(n.max(0) as u64)
        };
        let counts = StoreCounts {
            pods: one("SELECT count(*) FROM pods")?,
            processes: one("SELECT count(*) FROM processes")?,
            files: one("SELECT count(*) FROM files")?,
            flows: one("SELECT count(*) FROM flows")?,
            syscalls: one("SELECT count(*) FROM syscalls")?,
            workloads: one("SELECT count(*) FROM workloads")?,
            observations: one(
                "SELECT (SELECT coalesce(sum(count), 0) FROM processes) + (SELECT coalesce(sum(count), 0) FROM files) \
                 + (SELECT coalesce(sum(count), 0) FROM flows) + (SELECT coalesce(sum(count), 0) FROM syscalls)",
            )?,
            ingested_files: one("SELECT count(*) FROM ingested_files")?,
        };
        tx.commit()?;
        Ok(counts)
    }

    fn prune(&mut self, before: i64) -> Result<PruneSummary, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut summary = PruneSummary::default();
        for table in EventTable::ALL {
            let mut deleted: Vec<i64> = Vec::new();
            {
                let mut stmt = tx.prepare(&format!(
                    "DELETE FROM {} WHERE last_seen < ?1 RETURNING key_hash, count",
                    table.as_str()
                ))?;
                let mut rows = stmt.query([before])?;
                while let Some(r) = rows.next()? {
                    deleted.push(r.get(0)?);
                    let count: i64 = r.get(1)?;
                    summary.observations += count.max(0) as u64;
                }
            }
            summary.rows[table as usize] = deleted.len() as u64;
            deleted.sort_unstable();
            close_probe_gaps(&mut SqliteProbe { tx: &tx, table }, deleted)?;
        }
        tx.commit()?;
        Ok(summary)
    }
}
