//! Bulk writing of one table's pending rows: PostgreSQL's binary `COPY`
//! into a temporary staging table of the session (no WAL, no index), then
//! two set statements under the writer lock:
//!
//! 1. `UPDATE t … FROM stage` merges every staged row whose key a stored row
//!    holds at its hash (count added, first and last seen widened);
//! 2. `INSERT INTO t SELECT … FROM stage WHERE NOT EXISTS` inserts every
//!    staged row whose hash no stored row holds. No other transaction
//!    writes the event tables meanwhile (the advisory writer lock of
//!    [`crate::writer::WRITER_LOCK`] is held), so the rows found absent are
//!    still absent when inserted: a plain insert, without `ON CONFLICT`'s
//!    speculative insertion, which cost about as much again per row.
//!
//! When the two statements wrote fewer rows than were staged, the rest are
//! rows whose hash another key holds: they are read back and the caller
//! writes them one by one, probing on (as the SQLite store does).
//!
//! Measured on the issue-23 benchmark (every record a new row) this path
//! against one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE`
//! statement per 8,192 rows: see README ("Ingestion into PostgreSQL").

use kubescribe_events::store::rows::{INTS, RowKey, Seen, key_columns};
use kubescribe_events::store::{EventTable, StoreError};
use postgres::Transaction;

use crate::pg;

/// The staging table of `table` (temporary: one per session).
fn stage_name(table: EventTable) -> String {
    format!("pg_temp.kubescribe_stage_{}", table.as_str())
}

/// `table`'s key columns, then the four the rows carry.
fn columns(table: EventTable) -> Vec<&'static str> {
    let (ints, texts) = key_columns(table);
    ints.iter()
        .chain(texts)
        .copied()
        .chain(["count", "first_seen", "last_seen", "key_hash"])
        .collect()
}

/// The statements of one table's bulk write: create (if the session has
/// not yet), empty, copy into, merge, insert, and read back the rows whose
/// hash another key holds.
struct Sql {
    create: String,
    truncate: String,
    copy: String,
    merge: String,
    insert: String,
    collided: String,
}

fn sql(table: EventTable) -> Sql {
    let (ints, texts) = key_columns(table);
    let stage = stage_name(table);
    let name = table.as_str();
    let all = columns(table);
    let mut defs: Vec<String> = Vec::new();
    for c in ints {
        defs.push(format!("{c} bigint NOT NULL"));
    }
    for c in texts {
        defs.push(format!("{c} text COLLATE \"C\" NOT NULL"));
    }
    defs.push(
        "count bigint NOT NULL, first_seen bigint, last_seen bigint, key_hash bigint NOT NULL"
            .into(),
    );
    let same: Vec<String> = ints
        .iter()
        .chain(texts)
        .map(|c| format!("t.{c} = s.{c}"))
        .collect();
    let same = same.join(" AND ");
    let s_all: Vec<String> = all.iter().map(|c| format!("s.{c}")).collect();
    Sql {
        create: format!(
            "CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({})",
            defs.join(", ")
        ),
        truncate: format!("TRUNCATE {stage}"),
        copy: format!(
            "COPY {stage} ({}) FROM STDIN (FORMAT binary)",
            all.join(", ")
        ),
        merge: format!(
            "UPDATE {name} AS t SET count = t.count + s.count, \
             first_seen = CASE WHEN t.first_seen IS NULL OR s.first_seen < t.first_seen \
                 THEN coalesce(s.first_seen, t.first_seen) ELSE t.first_seen END, \
             last_seen = CASE WHEN t.last_seen IS NULL OR s.last_seen > t.last_seen \
                 THEN coalesce(s.last_seen, t.last_seen) ELSE t.last_seen END \
             FROM {stage} AS s WHERE t.key_hash = s.key_hash AND {same}"
        ),
        insert: format!(
            "INSERT INTO {name} ({}) SELECT {} FROM {stage} AS s \
             WHERE NOT EXISTS (SELECT 1 FROM {name} AS t WHERE t.key_hash = s.key_hash)",
            all.join(", "),
            s_all.join(", ")
        ),
        collided: format!(
            "SELECT {} FROM {stage} AS s JOIN {name} AS t ON t.key_hash = s.key_hash \
             WHERE NOT ({same})",
            s_all.join(", ")
        ),
    }
}

/// The binary `COPY` header: signature, flags, header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// One table's pending rows, encoded for a binary `COPY` as they come.
pub(crate) struct Staged {
    pub(crate) table: EventTable,
    buf: Vec<u8>,
    rows: u64,
}

impl Staged {
    pub(crate) fn new(table: EventTable) -> Staged {
        Staged {
            table,
            buf: HEADER.to_vec(),
            rows: 0,
        }
    }

    fn int(&mut self, v: i64) {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.buf.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }

    /// Adds a row: its key, stored hash and sightings.
    pub(crate) fn push(
        &mut self,
        key: &RowKey<&str>,
        hash: i64,
        seen: &Seen,
    ) -> Result<(), StoreError> {
        let (ints, texts) = key_columns(self.table);
        let fields = i16::try_from(ints.len() + texts.len() + 4).unwrap_or(i16::MAX);
        self.buf.extend_from_slice(&fields.to_be_bytes());
        for &v in key.ints.iter().take(ints.len()) {
            self.int(v);
        }
        for t in key.texts.iter().take(texts.len()) {
            let len = i32::try_from(t.len()).map_err(|_| {
                StoreError::Backend(
                    format!("a {}-byte text is over PostgreSQL's limit", t.len()).into(),
                )
            })?;
            self.buf.extend_from_slice(&len.to_be_bytes());
            self.buf.extend_from_slice(t.as_bytes());
        }
        self.int(seen.count);
        self.opt_int(seen.first);
        self.opt_int(seen.last);
        self.int(hash);
        self.rows += 1;
        Ok(())
    }

    /// Writes the rows (see the module's description); returns those whose
    /// hash another key holds, for the caller to write probing on.
    pub(crate) fn write(
        mut self,
        tx: &mut Transaction<'_>,
    ) -> Result<Vec<(RowKey<String>, i64, Seen)>, StoreError> {
        let sql = sql(self.table);
        tx.batch_execute(&format!("{}; {}", sql.create, sql.truncate))
            .map_err(pg)?;
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        let mut copy = tx.copy_in(&sql.copy).map_err(pg)?;
        std::io::Write::write_all(&mut copy, &self.buf)
            .map_err(|e| StoreError::Backend(format!("PostgreSQL COPY: {e}").into()))?;
        copy.finish().map_err(pg)?;
        // Each staged row is one probe of the key-hash index: a hash or
        // merge join would read the whole table per flush instead (the
        // planner picks one for a large stage; the table only grows).
        tx.batch_execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
            .map_err(pg)?;
        let merged = tx.execute(&sql.merge, &[]).map_err(pg)?;
        let inserted = if merged < self.rows {
            tx.execute(&sql.insert, &[]).map_err(pg)?
        } else {
            0
        };
        tx.batch_execute("RESET enable_hashjoin; RESET enable_mergejoin")
            .map_err(pg)?;
        if merged + inserted == self.rows {
            return Ok(Vec::new());
        }
        let (ints, texts) = key_columns(self.table);
        let mut out = Vec::new();
        for row in tx.query(&sql.collided, &[]).map_err(pg)? {
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
            let n = ints.len() + texts.len();
            let seen = Seen {
                count: row.try_get(n).map_err(pg)?,
                first: row.try_get(n + 1).map_err(pg)?,
                last: row.try_get(n + 2).map_err(pg)?,
            };
            out.push((key, row.try_get(n + 3).map_err(pg)?, seen));
        }
        Ok(out)
    }
}
