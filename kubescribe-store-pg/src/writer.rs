//! The write side of the PostgreSQL store: a transaction that folds events
//! into pending rows ([`PendingRows`]) and writes each table's rows in bulk
//! (a binary `COPY` into a staging table, then one merge and one insert:
//! [`Staged`]); pods and workloads; probing past a hash another key holds,
//! and closing the gaps pruning leaves ([`PgProbe`]).

use std::collections::BTreeMap;

use hashlink::LruCache;
use kubescribe_events::store::decode::{addresses_json, labels_json, opt};
use kubescribe_events::store::rows::{INTS, PendingRows, ProbeTable, RowKey, Seen, key_columns};
use kubescribe_events::store::{EventTable, IngestedFile, StoreError, StoreWriter};
use kubescribe_events::{Event, EventKind, NetworkEvent, Workload};
use postgres::Transaction;
use postgres::types::ToSql;

use crate::stage::Staged;
use crate::{digest, now_secs, pg};

/// Writers queue on this transaction-scoped advisory lock (one per schema).
pub(crate) const WRITER_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/kubescribe-writer'))";

/// The upsert of `table`'s rows from arrays (one per key column, then
/// count, first seen, last seen, key hash; used for the rows written one
/// by one, probing past a hash another key holds): rows merged into an existing
/// row with the same key, or inserted; `RETURNING key_hash` names the rows
/// written, so a row whose hash another key holds (not returned) is probed
/// on by the caller.
fn upsert_sql(table: EventTable) -> String {
    let (ints, texts) = key_columns(table);
    let columns: Vec<&str> = ints.iter().chain(texts).copied().collect();
    let mut arrays: Vec<String> = Vec::new();
    let mut n = 0;
    for _ in ints {
        n += 1;
        arrays.push(format!("${n}::int8[]"));
    }
    for _ in texts {
        n += 1;
        arrays.push(format!("${n}::text[]"));
    }
    for _ in 0..4 {
        n += 1;
        arrays.push(format!("${n}::int8[]"));
    }
    let same: Vec<String> = columns
        .iter()
        .map(|c| format!("t.{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} AS t ({}, count, first_seen, last_seen, key_hash) \
         SELECT * FROM unnest({}) \
         ON CONFLICT (key_hash) DO UPDATE SET count = t.count + excluded.count, \
         first_seen = CASE WHEN t.first_seen IS NULL OR excluded.first_seen < t.first_seen \
             THEN coalesce(excluded.first_seen, t.first_seen) ELSE t.first_seen END, \
         last_seen = CASE WHEN t.last_seen IS NULL OR excluded.last_seen > t.last_seen \
             THEN coalesce(excluded.last_seen, t.last_seen) ELSE t.last_seen END \
         WHERE {} RETURNING key_hash",
        columns.join(", "),
        arrays.join(", "),
        same.join(" AND ")
    )
}

/// Pending rows of one table, column by column.
#[derive(Default)]
struct Columns {
    ints: Vec<Vec<i64>>,
    texts: Vec<Vec<String>>,
    count: Vec<i64>,
    first: Vec<Option<i64>>,
    last: Vec<Option<i64>>,
    hash: Vec<i64>,
}

impl Columns {
    fn new(table: EventTable) -> Columns {
        let (ints, texts) = key_columns(table);
        Columns {
            ints: vec![Vec::new(); ints.len()],
            texts: vec![Vec::new(); texts.len()],
            ..Columns::default()
        }
    }

    fn push(&mut self, key: &RowKey<&str>, hash: i64, seen: &Seen) {
        for (col, v) in self.ints.iter_mut().zip(key.ints) {
            col.push(v);
        }
        for (col, v) in self.texts.iter_mut().zip(key.texts) {
            col.push(v.to_string());
        }
        self.count.push(seen.count);
        self.first.push(seen.first);
        self.last.push(seen.last);
        self.hash.push(hash);
    }

    fn len(&self) -> usize {
        self.hash.len()
    }

    /// Writes the rows with `stmt` (the table's [`upsert_sql`]); returns the
    /// indexes of rows not written (their hash is another key's).
    fn upsert<S>(&self, tx: &mut Transaction<'_>, stmt: &S) -> Result<Vec<usize>, StoreError>
    where
        S: ?Sized + postgres::ToStatement,
    {
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        for c in &self.ints {
            params.push(c);
        }
        for c in &self.texts {
            params.push(c);
        }
        params.push(&self.count);
        params.push(&self.first);
        params.push(&self.last);
        params.push(&self.hash);
        let written: std::collections::HashSet<i64> = tx
            .query(stmt, &params)
            .map_err(pg)?
            .iter()
            .map(|r| r.get::<_, i64>(0))
            .collect();
        Ok((0..self.len())
            .filter(|i| !written.contains(&self.hash[*i]))
            .collect())
    }
}

/// Writes one row (a one-row [`Columns`]) at its hash or, when another key
/// holds that, at the next free one.
fn write_probing(tx: &mut Transaction<'_>, sql: &str, mut row: Columns) -> Result<(), StoreError> {
    loop {
        if row.upsert(tx, sql)?.is_empty() {
            return Ok(());
        }
        row.hash[0] = row.hash[0].wrapping_add(1);
    }
}

/// An owned key borrowed.
fn borrow_key(key: &RowKey<String>) -> RowKey<&str> {
    RowKey {
        table: key.table,
        ints: key.ints,
        texts: key.texts.each_ref().map(String::as_str),
    }
}

/// A write transaction on a [`PgStore`].
pub struct PgWriter<'a> {
    pub(crate) tx: Option<Transaction<'a>>,
    pub(crate) pod_ids: &'a mut LruCache<[u8; 32], i64>,
    pub(crate) pending: &'a mut PendingRows,
}

impl Drop for PgWriter<'_> {
    fn drop(&mut self) {
        if self.tx.is_some() {
            // Rolled back: ids handed out in this transaction are void.
            self.pod_ids.clear();
        }
        self.pending.clear();
    }
}

fn finished() -> StoreError {
    StoreError::Corrupt("transaction already finished".into())
}

impl PgWriter<'_> {
    /// Writes the pending rows: per table, one binary `COPY` of them into
    /// the session's staging table, one `UPDATE … FROM` merging those whose
    /// key a row holds and one `INSERT … SELECT` of those whose hash no row
    /// holds ([`Staged`]); then the rows whose hash another key holds, and
    /// the rows of this flush sharing a hash with an earlier one, one by
    /// one, probing on.
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut staged: Vec<Option<Staged>> = EventTable::ALL.iter().map(|_| None).collect();
        // Two keys of one flush sharing a hash cannot go in one statement
        // (it would update one row twice): the later ones are written one
        // by one after the rest.
        let mut hashes = std::collections::HashSet::new();
        let mut single: Vec<(EventTable, Columns)> = Vec::new();
        self.pending.drain_each(|key, hash, seen| {
            if hashes.insert((key.table, hash)) {
                staged[key.table as usize]
                    .get_or_insert_with(|| Staged::new(key.table))
                    .push(key, hash, seen)
            } else {
                let mut one = Columns::new(key.table);
                one.push(key, hash, seen);
                single.push((key.table, one));
                Ok(())
            }
        })?;
        let tx = self.tx.as_mut().ok_or_else(finished)?;
        for s in staged.into_iter().flatten() {
            let table = s.table;
            for (key, hash, seen) in s.write(tx)? {
                let mut one = Columns::new(table);
                one.push(&borrow_key(&key), hash.wrapping_add(1), &seen);
                write_probing(tx, &upsert_sql(table), one)?;
            }
        }
        for (table, one) in single {
            write_probing(tx, &upsert_sql(table), one)?;
        }
        Ok(())
    }

    fn pod_id(
        &mut self,
        fields: [&str; 4],
        labels: &BTreeMap<String, String>,
    ) -> Result<i64, StoreError> {
        let lj = labels_json(labels);
        let d = digest(&[fields[0], fields[1], fields[2], fields[3], &lj]);
        if let Some(&id) = self.pod_ids.get(&d) {
            return Ok(id);
        }
        let tx = self.tx.as_mut().ok_or_else(finished)?;
        let inserted = tx
            .query_opt(
                "INSERT INTO pods (digest, namespace, pod, container, node, labels) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (digest) DO NOTHING RETURNING id",
                &[&&d[..], &fields[0], &fields[1], &fields[2], &fields[3], &lj],
            )
            .map_err(pg)?;
        let id: i64 = match inserted {
            Some(row) => {
                let id: i64 = row.get(0);
                let stmt = tx
                    .prepare(
                        "INSERT INTO labels (kind, id, key, value) VALUES ('pod', $1, $2, $3) \
                         ON CONFLICT (kind, id, key) DO UPDATE SET value = excluded.value",
                    )
                    .map_err(pg)?;
                for (k, v) in labels {
                    tx.execute(&stmt, &[&id, k, v]).map_err(pg)?;
                }
                id
            }
            None => tx
                .query_one("SELECT id FROM pods WHERE digest = $1", &[&&d[..]])
                .map_err(pg)?
                .get(0),
        };
        self.pod_ids.insert(d, id);
        Ok(id)
    }
}

impl StoreWriter for PgWriter<'_> {
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError> {
        let tx = self.tx.as_mut().ok_or_else(finished)?;
        Ok(tx
            .query_opt("SELECT 1 FROM ingested_files WHERE hash = $1", &[&hash])
            .map_err(pg)?
            .is_some())
    }

    fn add_event(&mut self, e: &Event) -> Result<(), StoreError> {
        let p = &e.pod;
        let pod_id = self.pod_id(
            [
                opt(&p.namespace),
                opt(&p.pod),
                opt(&p.container),
                opt(&p.node),
            ],
            &p.labels,
        )?;
        let peer_id = match &e.kind {
            EventKind::Network(NetworkEvent {
                peer: Some(peer), ..
            }) => self.pod_id([opt(&peer.namespace), opt(&peer.pod), "", ""], &peer.labels)?,
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
        let tx = self.tx.as_mut().ok_or_else(finished)?;
        let d = digest(&[&w.kind, &w.namespace, &w.name]);
        let id: i64 = tx
            .query_one(
                "INSERT INTO workloads (digest, kind, namespace, name, labels, pod_labels, selector, addresses) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (digest) DO UPDATE SET labels = excluded.labels, pod_labels = excluded.pod_labels, \
                 selector = excluded.selector, addresses = excluded.addresses RETURNING id",
                &[
                    &&d[..],
                    &w.kind,
                    &w.namespace,
                    &w.name,
                    &labels_json(&w.labels),
                    &labels_json(&w.pod_labels),
                    &labels_json(&w.selector),
                    &addresses_json(&w.addresses),
                ],
            )
            .map_err(pg)?
            .get(0);
        tx.execute(
            "DELETE FROM labels WHERE kind IN ('workload', 'selector') AND id = $1",
            &[&id],
        )
        .map_err(pg)?;
        tx.execute("DELETE FROM workload_ports WHERE workload_id = $1", &[&id])
            .map_err(pg)?;
        let lab = tx
            .prepare(
                "INSERT INTO labels (kind, id, key, value) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind, id, key) DO UPDATE SET value = excluded.value",
            )
            .map_err(pg)?;
        for (k, v) in &w.pod_labels {
            tx.execute(&lab, &[&"workload", &id, k, v]).map_err(pg)?;
        }
        for (k, v) in &w.selector {
            tx.execute(&lab, &[&"selector", &id, k, v]).map_err(pg)?;
        }
        let port = tx
            .prepare(
                "INSERT INTO workload_ports (workload_id, container, name, port, target_port, protocol) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .map_err(pg)?;
        for p in &w.ports {
            tx.execute(
                &port,
                &[
                    &id,
                    &opt(&p.container),
                    &opt(&p.name),
                    &i64::from(p.port),
                    &opt(&p.target_port),
                    &p.protocol,
                ],
            )
            .map_err(pg)?;
        }
        Ok(())
    }

    fn record_file(&mut self, f: &IngestedFile) -> Result<(), StoreError> {
        let tx = self.tx.as_mut().ok_or_else(finished)?;
        tx.execute(
            "INSERT INTO ingested_files (hash, path, bytes, ingested_at, summary) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING",
            &[&f.hash, &f.path, &(f.bytes as i64), &now_secs(), &f.summary],
        )
        .map_err(pg)?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.flush()?;
        let tx = self.tx.take().ok_or_else(finished)?;
        if let Err(e) = tx.commit() {
            self.pod_ids.clear();
            return Err(pg(e));
        }
        Ok(())
    }
}

/// One event table of a transaction, for [`close_probe_gaps`].
pub(crate) struct PgProbe<'t, 'c> {
    pub(crate) tx: &'t mut Transaction<'c>,
    pub(crate) table: EventTable,
}

impl ProbeTable for PgProbe<'_, '_> {
    type Error = StoreError;

    fn key_at(&mut self, hash: i64) -> Result<Option<RowKey<String>>, StoreError> {
        let (ints, texts) = key_columns(self.table);
        let columns: Vec<&str> = ints.iter().chain(texts).copied().collect();
        let row = self
            .tx
            .query_opt(
                &format!(
                    "SELECT {} FROM {} WHERE key_hash = $1",
                    columns.join(", "),
                    self.table.as_str()
                ),
                &[&hash],
            )
            .map_err(pg)?;
        let Some(row) = row else { return Ok(None) };
        let mut key = RowKey {
            table: self.table,
            ints: [0; INTS],
            texts: Default::default(),
        };
        for (i, slot) in key.ints.iter_mut().take(ints.len()).enumerate() {
            *slot = row.try_get(i).map_err(pg)?;
        }
        for (i, slot) in key.texts.iter_mut().take(texts.len()).enumerate() {
            *slot = row.try_get(ints.len() + i).map_err(pg)?;
        }
        Ok(Some(key))
    }

    fn move_row(&mut self, from: i64, to: i64) -> Result<(), StoreError> {
        self.tx
            .execute(
                &format!(
                    "UPDATE {} SET key_hash = $2 WHERE key_hash = $1",
                    self.table.as_str()
                ),
                &[&from, &to],
            )
            .map_err(pg)?;
        Ok(())
    }
}
