//! kubescribe's event store on PostgreSQL, for clusters that outgrow one
//! machine: [`PgStore`] implements `kubescribe_events::store::EventStore`
//! and its `StoreWriter`, the same trait the embedded SQLite store
//! implements, with the same rows, queries and answers (one test suite runs
//! on both); [`open`] opens either by location (a file path, or a
//! `postgres://` URL; [`STORE_ENV`] names the default).
//!
//! Concurrency: readers never wait (PostgreSQL's MVCC: a query sees what was
//! committed when it started; [`EventStore::counts`] reads one snapshot).
//! Writers from any number of processes queue on a transaction-scoped
//! advisory lock per schema taken by [`EventStore::begin`], as SQLite's
//! `BEGIN IMMEDIATE` queues them: a transaction holds a whole input file,
//! and two transactions upserting the same rows in different orders would
//! otherwise deadlock. Rows are found by the same stored key hash as in
//! SQLite ([`RowKey::stable_hash`], probing past a collision); a flush
//! writes each table's pending rows with a binary `COPY` into a temporary
//! staging table, one `UPDATE … FROM` of the keys already stored and one
//! plain `INSERT … SELECT` of the hashes absent (the writer lock keeps them
//! absent). Commits are synchronous (the server's `synchronous_commit` is
//! left as configured): a committed input survives a server crash.
//!
//! Limits: the connection is plain TCP or a Unix socket (no TLS:
//! `sslmode=require` is refused by the driver's `NoTls`); PostgreSQL text
//! cannot hold the NUL character, so an event with one in a string is an
//! error at ingestion.

mod any;
mod schema;
mod stage;
mod writer;

use std::collections::BTreeMap;

use hashlink::LruCache;
use kubescribe_events::store::decode::{
    HEAD_COLUMNS, RowRead, decode_event, parse_addresses, parse_labels, pod_meta, table_columns,
    unopt,
};
use kubescribe_events::store::rows::{PendingRows, close_probe_gaps};
use kubescribe_events::store::{
    EventQuery, EventStore, EventTable, IngestedFile, PruneSummary, StoreCounts, StoreError,
    StoreWriter, StoredEvent,
};
use kubescribe_events::{PodMeta, Validity, Workload, WorkloadPort};
use postgres::types::ToSql;
use postgres::{Client, NoTls};
use sha2::{Digest, Sha256};

pub use any::{AnyStore, STORE_ENV, StoreLocation, open};
pub use schema::MIGRATIONS;
pub use writer::PgWriter;
use writer::{PgProbe, WRITER_LOCK};

/// A PostgreSQL error as a store error: the server's message, its detail
/// and hint when it sent them (the driver's own text says only `db error`).
pub(crate) fn pg(e: postgres::Error) -> StoreError {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut t = format!("PostgreSQL {}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                t.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                t.push_str(&format!("; hint: {h}"));
            }
            t
        }
        None => format!("PostgreSQL: {e}"),
    };
    StoreError::Backend(text.into())
}

/// Settings for opening a PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// The schema the tables live in (created if missing; `None`: the
    /// connection's default, `public`). Several stores can share a database
    /// in different schemas; each has its own writer lock.
    pub schema: Option<String>,
    /// Pod ids a writer keeps in memory (least recently used dropped first).
    pub pod_cache_entries: usize,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            schema: None,
            pod_cache_entries: 16_384,
        }
    }
}

/// An event store in a PostgreSQL database.
pub struct PgStore {
    client: Client,
    pod_ids: LruCache<[u8; 32], i64>,
    pending: PendingRows,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// SHA-256 of length-prefixed fields: a unique key whatever their size.
pub(crate) fn digest(fields: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_le_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().into()
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`, or the
    /// `key=value` form) and brings the schema to the latest version.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        Self::open_with(url, &PgOptions::default())
    }

    /// [`PgStore::open`] with options.
    pub fn open_with(url: &str, options: &PgOptions) -> Result<PgStore, StoreError> {
        let mut client = Client::connect(url, NoTls).map_err(pg)?;
        if let Some(schema) = &options.schema {
            let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
            let mut tx = client.transaction().map_err(pg)?;
            // Two processes creating the same schema at once would collide.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext('kubescribe-create-schema'))",
                &[],
            )
            .map_err(pg)?;
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {quoted}"))
                .map_err(pg)?;
            tx.commit().map_err(pg)?;
            client
                .batch_execute(&format!("SET search_path TO {quoted}"))
                .map_err(pg)?;
        }
        migrate(&mut client)?;
        Ok(PgStore {
            client,
            pod_ids: LruCache::new(options.pod_cache_entries.max(1)),
            pending: PendingRows::default(),
        })
    }

    /// The schema version of the connected store.
    pub fn schema_version(&mut self) -> Result<i32, StoreError> {
        current_version(&mut self.client)
    }

    /// The underlying client (for ad-hoc queries).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// The version recorded in `schema_migrations` (0: none).
fn current_version(client: &mut Client) -> Result<i32, StoreError> {
    let has: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .map_err(pg)?
        .get(0);
    if !has {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .map_err(pg)?
        .get(0);
    Ok(v.unwrap_or(0))
}

/// Applies the migrations the store lacks, in order, under a lock; a store
/// at the latest version is only read (no lock).
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let latest = schema::latest();
    if current_version(client)? == latest {
        return Ok(());
    }
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/kubescribe-migrate'))",
        &[],
    )
    .map_err(pg)?;
    tx.batch_execute(schema::HISTORY).map_err(pg)?;
    let v: Option<i32> = tx
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .map_err(pg)?
        .get(0);
    let v = v.unwrap_or(0);
    if v > latest {
        return Err(StoreError::Corrupt(format!(
            "schema version {v}, this kubescribe reads versions up to {latest}"
        )));
    }
    for (version, description, sql) in schema::MIGRATIONS.iter().filter(|m| m.0 > v) {
        tx.batch_execute(sql).map_err(pg)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
            &[version, description, &now_secs()],
        )
        .map_err(pg)?;
    }
    tx.commit().map_err(pg)
}

/// A row of the driver, read as the shared decoder reads rows.
pub(crate) struct PgRow<'a>(pub(crate) &'a postgres::Row);

impl RowRead for PgRow<'_> {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.0.try_get(i).map_err(pg)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.0.try_get(i).map_err(pg)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.0.try_get(i).map_err(pg)
    }
}

/// Query parameters, numbered as pushed (`$1`, `$2`, …).
#[derive(Default)]
struct Params(Vec<Box<dyn ToSql + Sync>>);

impl Params {
    /// Adds a parameter; returns its placeholder.
    fn push(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.0.push(Box::new(v));
        format!("${}", self.0.len())
    }
    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
    }
}

/// `left(col, n) = left(v, n) AND col = v`: the prefix for the index over
/// `left(col, n)`, then the exact value.
fn text_eq(col: &str, n: usize, placeholder: &str) -> String {
    format!("left({col}, {n}) = left({placeholder}, {n}) AND {col} = {placeholder}")
}

/// The pods a namespace and a label selector pick, as a condition on a pod
/// id column (see the SQLite store's `pod_set_clause`).
fn pod_set_clause(
    col: &str,
    alias: &str,
    namespace: Option<&str>,
    selector: &BTreeMap<String, String>,
    params: &mut Params,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut namespace_check = String::new();
    if let Some(ns) = namespace {
        let p = params.push(ns.to_string());
        if selector.is_empty() {
            parts.push(format!(
                "SELECT id FROM pods WHERE {}",
                text_eq("namespace", 256, &p)
            ));
        } else {
            namespace_check = format!(" AND {alias}.namespace = {p}");
        }
    }
    for (k, v) in selector {
        let pk = params.push(k.clone());
        let pv = params.push(v.clone());
        parts.push(format!(
            "SELECT id FROM labels WHERE kind = 'pod' AND {} AND {}",
            text_eq("key", 200, &pk),
            text_eq("value", 200, &pv)
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
fn event_sql(table: EventTable, q: &EventQuery) -> (String, Params) {
    let mut params = Params::default();
    let mut wh = String::from(" WHERE true");
    wh.push_str(&pod_set_clause(
        "t.pod_id",
        "p",
        q.namespace.as_deref(),
        &q.selector,
        &mut params,
    ));
    if let Some(v) = q.validity {
        let p = params.push(v.as_str().to_string());
        wh.push_str(&format!(" AND t.validity = {p}"));
    }
    // The window of `EventQuery::in_window` (NULL times compare false).
    if let Some(since) = q.since {
        let p = params.push(since);
        wh.push_str(&format!(" AND t.last_seen >= {p}"));
    }
    if let Some(until) = q.until {
        let p = params.push(until);
        wh.push_str(&format!(" AND t.first_seen < {p}"));
    }
    match table {
        EventTable::Processes | EventTable::Syscalls => {}
        EventTable::Files => {
            if let Some(prefix) = &q.path_prefix {
                let lo = params.push(prefix.clone());
                let hi = params.push(format!("{prefix}\u{10FFFF}"));
                if prefix.chars().count() <= 512 {
                    wh.push_str(&format!(
                        " AND left(t.path, 512) >= {lo} AND left(t.path, 512) < {hi}"
                    ));
                }
                wh.push_str(&format!(" AND t.path >= {lo} AND t.path < {hi}"));
            }
        }
        EventTable::Flows => {
            wh.push_str(&pod_set_clause(
                "t.peer_id",
                "q",
                q.peer_namespace.as_deref(),
                &q.peer_selector,
                &mut params,
            ));
            if let Some(ip) = &q.remote_ip {
                let p = params.push(ip.clone());
                wh.push_str(&format!(" AND {}", text_eq("t.remote_ip", 256, &p)));
            }
        }
    }
    let (cols, join) = table_columns(table);
    let limit = q.limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    let sql = format!(
        "SELECT {HEAD_COLUMNS}, {cols} FROM {} t JOIN pods p ON p.id = t.pod_id{join}{wh} \
         ORDER BY t.count DESC, t.id{limit}",
        table.as_str()
    );
    (sql, params)
}

impl EventStore for PgStore {
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError> {
        Ok(self
            .client
            .query_opt("SELECT 1 FROM ingested_files WHERE hash = $1", &[&hash])
            .map_err(pg)?
            .is_some())
    }

    fn ingested_as(&mut self, path: &str, bytes: u64) -> Result<bool, StoreError> {
        Ok(self
            .client
            .query_opt(
                "SELECT 1 FROM ingested_files WHERE left(path, 512) = left($1, 512) AND path = $1 AND bytes = $2",
                &[&path, &(bytes as i64)],
            )
            .map_err(pg)?
            .is_some())
    }

    fn begin(&mut self) -> Result<Box<dyn StoreWriter + '_>, StoreError> {
        let PgStore {
            client,
            pod_ids,
            pending,
        } = self;
        let mut tx = client.transaction().map_err(pg)?;
        tx.execute(WRITER_LOCK, &[]).map_err(pg)?;
        pending.clear();
        Ok(Box::new(PgWriter {
            tx: Some(tx),
            pod_ids,
            pending,
        }))
    }

    fn set_validity(
        &mut self,
        table: EventTable,
        id: i64,
        validity: Validity,
    ) -> Result<bool, StoreError> {
        let n = self
            .client
            .execute(
                &format!("UPDATE {} SET validity = $1 WHERE id = $2", table.as_str()),
                &[&validity.as_str(), &id],
            )
            .map_err(pg)?;
        Ok(n > 0)
    }

    fn events(
        &mut self,
        table: EventTable,
        q: &EventQuery,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let (sql, params) = event_sql(table, q);
        let rows = self.client.query(&sql, &params.refs()).map_err(pg)?;
        rows.iter()
            .map(|r| decode_event(table, &PgRow(r)))
            .collect()
    }

    fn pods_with_events(&mut self, table: EventTable) -> Result<Vec<PodMeta>, StoreError> {
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT p.namespace, p.pod, p.container, p.node, p.labels FROM pods p \
                     WHERE EXISTS (SELECT 1 FROM {} t WHERE t.pod_id = p.id) ORDER BY p.id",
                    table.as_str()
                ),
                &[],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let r = PgRow(r);
                pod_meta(r.text(0)?, r.text(1)?, r.text(2)?, r.text(3)?, &r.text(4)?)
            })
            .collect()
    }

    fn workloads(
        &mut self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Vec<Workload>, StoreError> {
        let mut params = Params::default();
        let mut sql = String::from(
            "SELECT w.id, w.kind, w.namespace, w.name, w.labels, w.pod_labels, w.selector, w.addresses \
             FROM workloads w WHERE true",
        );
        if let Some(ns) = namespace {
            let p = params.push(ns.to_string());
            sql.push_str(&format!(" AND {}", text_eq("w.namespace", 256, &p)));
        }
        for (k, v) in selector {
            let pk = params.push(k.clone());
            let pv = params.push(v.clone());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM labels l WHERE l.id = w.id AND l.kind = \
                 (CASE WHEN w.kind = 'Service' THEN 'selector' ELSE 'workload' END) AND {} AND {})",
                text_eq("l.key", 200, &pk),
                text_eq("l.value", 200, &pv)
            ));
        }
        sql.push_str(" ORDER BY w.namespace, w.kind, w.name");
        let rows = self.client.query(&sql, &params.refs()).map_err(pg)?;
        let ports = self
            .client
            .prepare(
                "SELECT container, name, port, target_port, protocol FROM workload_ports \
                 WHERE workload_id = $1 ORDER BY seq",
            )
            .map_err(pg)?;
        let mut out = Vec::new();
        for r in rows {
            let r = PgRow(&r);
            let id = r.int(0)?;
            let ps = self
                .client
                .query(&ports, &[&id])
                .map_err(pg)?
                .iter()
                .map(|p| {
                    let p = PgRow(p);
                    Ok(WorkloadPort {
                        container: unopt(p.text(0)?),
                        name: unopt(p.text(1)?),
                        port: u16::try_from(p.int(2)?).unwrap_or(0),
                        target_port: unopt(p.text(3)?),
                        protocol: p.text(4)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(Workload {
                kind: r.text(1)?,
                namespace: r.text(2)?,
                name: r.text(3)?,
                labels: parse_labels(&r.text(4)?)?,
                pod_labels: parse_labels(&r.text(5)?)?,
                selector: parse_labels(&r.text(6)?)?,
                ports: ps,
                addresses: parse_addresses(&r.text(7)?)?,
            });
        }
        Ok(out)
    }

    fn ingested_files(&mut self) -> Result<Vec<IngestedFile>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT hash, path, bytes, summary FROM ingested_files ORDER BY ingested_at, path",
                &[],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let r = PgRow(r);
                Ok(IngestedFile {
                    hash: r.text(0)?,
                    path: r.text(1)?,
                    bytes: r.int(2)?.max(0) as u64,
                    summary: r.text(3)?,
                })
            })
            .collect()
    }

    fn counts(&mut self) -> Result<StoreCounts, StoreError> {
        // One snapshot for every count, even while other processes commit.
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg)?;
        let row = tx
            .query_one(
                "SELECT (SELECT count(*) FROM pods), (SELECT count(*) FROM processes), \
                 (SELECT count(*) FROM files), (SELECT count(*) FROM flows), \
                 (SELECT count(*) FROM syscalls), (SELECT count(*) FROM workloads), \
                 ((SELECT coalesce(sum(count), 0) FROM processes) + (SELECT coalesce(sum(count), 0) FROM files) \
                  + (SELECT coalesce(sum(count), 0) FROM flows) + (SELECT coalesce(sum(count), 0) FROM syscalls))::bigint, \
                 (SELECT count(*) FROM ingested_files)",
                &[],
            )
            .map_err(pg)?;
        let row = PgRow(&row);
        let n = |i: usize| -> Result<u64, StoreError> { Ok(row.int(i)?.max(0) as u64) };
        let counts = StoreCounts {
            pods: n(0)?,
            processes: n(1)?,
            files: n(2)?,
            flows: n(3)?,
            syscalls: n(4)?,
            workloads: n(5)?,
            observations: n(6)?,
            ingested_files: n(7)?,
        };
        tx.commit().map_err(pg)?;
        Ok(counts)
    }

    fn prune(&mut self, before: i64) -> Result<PruneSummary, StoreError> {
        let mut tx = self.client.transaction().map_err(pg)?;
        tx.execute(WRITER_LOCK, &[]).map_err(pg)?;
        let mut summary = PruneSummary::default();
        for table in EventTable::ALL {
            let rows = tx
                .query(
                    &format!(
                        "DELETE FROM {} WHERE last_seen < $1 RETURNING key_hash, count",
                        table.as_str()
                    ),
                    &[&before],
                )
                .map_err(pg)?;
            summary.rows[table as usize] = rows.len() as u64;
            let mut deleted: Vec<i64> = Vec::with_capacity(rows.len());
            for r in &rows {
                let r = PgRow(r);
                deleted.push(r.int(0)?);
                summary.observations += r.int(1)?.max(0) as u64;
            }
            // Only a gap followed by a row can end a probe early: find those
            // in one query, then close them.
            let next: Vec<i64> = deleted.iter().map(|h| h.wrapping_add(1)).collect();
            let followed: std::collections::HashSet<i64> = tx
                .query(
                    &format!(
                        "SELECT key_hash FROM {} WHERE key_hash = ANY($1)",
                        table.as_str()
                    ),
                    &[&next],
                )
                .map_err(pg)?
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .collect();
            let mut gaps: Vec<i64> = deleted
                .into_iter()
                .filter(|h| followed.contains(&h.wrapping_add(1)))
                .collect();
            gaps.sort_unstable();
            close_probe_gaps(&mut PgProbe { tx: &mut tx, table }, gaps)?;
        }
        tx.commit().map_err(pg)?;
        Ok(summary)
    }
}
