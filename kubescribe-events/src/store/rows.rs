//! Deduplication of events before they reach the store: an ingestion
//! transaction folds repeated events into one pending row (a count plus first
//! and last seen times) and writes each distinct row once, instead of one
//! upsert per event. Most of a real event stream repeats (the same binary
//! exec'd thousands of times), so this is most of the write work saved.
//!
//! A row's identity is its table plus the columns of the table's unique key,
//! in a fixed layout ([`RowKey`], [`key_columns`]): up to four integer and
//! eleven text columns. Lookups borrow the event's strings; only a row seen for
//! the first time is copied. Rows keep the order they were first seen in, so
//! rows written in one flush get ids in the order the events came.
//!
//! A store finds a row by [`RowKey::stable_hash`], a 64-bit hash that is part
//! of the on-disk format (XXH3 over a length-prefixed encoding, the same on
//! every platform and release), instead of a unique index over the key's
//! text columns, whose maintenance was most of the cost of writing a row.

use std::hash::Hash;

use indexmap::{Equivalent, IndexMap};
use xxhash_rust::xxh3::Xxh3Default;

use super::EventTable;
use crate::{Direction, Event, EventKind};

/// Integer key columns per row (unused ones are 0).
pub const INTS: usize = 4;
/// Text key columns per row (unused ones are empty).
pub const TEXTS: usize = 11;
/// The text columns of schema version 3 and before, always hashed; the
/// columns after them (schema 4: a flow's HTTP method, path and host) are
/// hashed only when one of them is set, so every row an older store holds
/// keeps its hash ([`RowKey::stable_hash`]).
pub const TEXTS_V3: usize = 8;

/// A row's identity: table and unique-key columns. The column layout per
/// table is [`RowKey::of`]'s; the SQL that writes a row must use the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowKey<S> {
    /// The event table.
    pub table: EventTable,
    /// Integer columns.
    pub ints: [i64; INTS],
    /// Text columns.
    pub texts: [S; TEXTS],
}

/// The unique-key columns of an event table, in [`RowKey`] order: integer
/// columns, then text columns. [`RowKey::of`] fills them in this order.
pub fn key_columns(table: EventTable) -> (&'static [&'static str], &'static [&'static str]) {
    match table {
        EventTable::Processes => (
            &["pod_id", "uid"],
            &["source", "result", "action", "binary", "args", "parent"],
        ),
        EventTable::Files => (
            &["pod_id"],
            &[
                "source",
                "result",
                "path",
                "operation",
                "flags",
                "syscall",
                "process",
            ],
        ),
        EventTable::Flows => (
            &["pod_id", "local_port", "remote_port", "peer_id"],
            &[
                "source",
                "result",
                "protocol",
                "direction",
                "local_ip",
                "remote_ip",
                "dns_name",
                "process",
                "http_method",
                "http_path",
                "http_host",
            ],
        ),
        EventTable::Syscalls => (
            &["pod_id"],
            &["source", "result", "kind", "name", "args", "process"],
        ),
    }
}

impl<S: AsRef<str>> RowKey<S> {
    /// The row's hash as stored (`key_hash`): XXH3-64 of the table name,
    /// the integer columns (little-endian) and each text column prefixed by
    /// its length; the columns after [`TEXTS_V3`] only when one of them is
    /// not empty. Stable across platforms and releases; distinct keys may
    /// share it (a store probes on).
    pub fn stable_hash(&self) -> i64 {
        let mut h = Xxh3Default::new();
        h.update(self.table.as_str().as_bytes());
        for i in self.ints {
            h.update(&i.to_le_bytes());
        }
        let added = &self.texts[TEXTS_V3..];
        let n = if added.iter().all(|t| t.as_ref().is_empty()) {
            TEXTS_V3
        } else {
            TEXTS
        };
        for t in &self.texts[..n] {
            let t = t.as_ref().as_bytes();
            h.update(&(t.len() as u64).to_le_bytes());
            h.update(t);
        }
        h.digest() as i64
    }
}

impl<'a> RowKey<&'a str> {
    /// The key of `event`, given the ids of its pod and (flows) its peer, in
    /// the column order of [`key_columns`] (unused columns 0 or empty). The
    /// ephemeral side's port of a flow is 0: flows are deduplicated per
    /// endpoint.
    pub fn of(event: &'a Event, pod_id: i64, peer_id: i64) -> RowKey<&'a str> {
        fn opt(s: &Option<String>) -> &str {
            s.as_deref().unwrap_or("")
        }
        let src = event.source.as_str();
        let result = opt(&event.result);
        let (table, ints, texts) = match &event.kind {
            EventKind::Process(x) => (
                EventTable::Processes,
                [pod_id, x.uid.unwrap_or(-1), 0, 0],
                [
                    src,
                    result,
                    x.action.as_str(),
                    &x.binary,
                    opt(&x.args),
                    opt(&x.parent),
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
            ),
            EventKind::File(x) => (
                EventTable::Files,
                [pod_id, 0, 0, 0],
                [
                    src,
                    result,
                    &x.path,
                    x.operation.as_str(),
                    opt(&x.flags),
                    opt(&x.syscall),
                    opt(&x.process),
                    "",
                    "",
                    "",
                    "",
                ],
            ),
            EventKind::Network(x) => {
                let http = x.http.as_ref();
                let (method, path, host) = (
                    http.map_or("", |h| opt(&h.method)),
                    http.map_or("", |h| opt(&h.path)),
                    http.map_or("", |h| opt(&h.host)),
                );
                let (local_port, remote_port) = match x.direction {
                    Direction::Egress => (0, x.remote_port.unwrap_or(0)),
                    Direction::Ingress => (x.local_port.unwrap_or(0), 0),
                    _ => (x.local_port.unwrap_or(0), x.remote_port.unwrap_or(0)),
                };
                (
                    EventTable::Flows,
                    [
                        pod_id,
                        i64::from(local_port),
                        i64::from(remote_port),
                        peer_id,
                    ],
                    [
                        src,
                        result,
                        &x.protocol,
                        x.direction.as_str(),
                        opt(&x.local_ip),
                        opt(&x.remote_ip),
                        opt(&x.dns_name),
                        opt(&x.process),
                        method,
                        path,
                        host,
                    ],
                )
            }
            EventKind::Syscall(x) => (
                EventTable::Syscalls,
                [pod_id, 0, 0, 0],
                [
                    src,
                    result,
                    x.kind.as_str(),
                    &x.name,
                    opt(&x.args),
                    opt(&x.process),
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
            ),
        };
        RowKey { table, ints, texts }
    }

    /// An owned copy.
    pub fn to_owned_key(&self) -> RowKey<String> {
        RowKey {
            table: self.table,
            ints: self.ints,
            texts: self.texts.map(str::to_string),
        }
    }
}

impl Equivalent<RowKey<String>> for RowKey<&str> {
    fn equivalent(&self, key: &RowKey<String>) -> bool {
        self.table == key.table
            && self.ints == key.ints
            && self.texts.iter().zip(&key.texts).all(|(a, b)| *a == b)
    }
}

/// How often and when a pending row was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// Events folded into the row.
    pub count: i64,
    /// Earliest timestamp (ns), if any event had one.
    pub first: Option<i64>,
    /// Latest timestamp (ns), if any event had one.
    pub last: Option<i64>,
}

impl Seen {
    fn add(&mut self, ts: Option<i64>) {
        self.count += 1;
        if let Some(t) = ts {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
}

/// Rows not yet written, in first-seen order.
#[derive(Debug, Default)]
pub struct PendingRows {
    rows: IndexMap<RowKey<String>, Seen, foldhash::fast::RandomState>,
}

impl PendingRows {
    /// Rows held before a writer should flush: bounds memory however many
    /// distinct rows one input holds (a row is a few hundred bytes).
    pub const FLUSH_AT: usize = 1 << 16;

    /// Folds one event (its key and timestamp) in.
    pub fn add(&mut self, key: &RowKey<&str>, ts: Option<i64>) {
        match self.rows.get_mut(key) {
            Some(seen) => seen.add(ts),
            None => {
                self.rows.insert(
                    key.to_owned_key(),
                    Seen {
                        count: 1,
                        first: ts,
                        last: ts,
                    },
                );
            }
        }
    }

    /// Distinct rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether a writer should flush now.
    pub fn is_full(&self) -> bool {
        self.rows.len() >= Self::FLUSH_AT
    }

    /// Takes the rows out, in first-seen order.
    pub fn drain(&mut self) -> impl Iterator<Item = (RowKey<String>, Seen)> + '_ {
        self.rows.drain(..)
    }

    /// Forgets every row (a rolled-back transaction).
    pub fn clear(&mut self) {
        self.rows.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileEvent, FileOperation, PodMeta, ProcessAction, ProcessEvent, SourceEngine};

    fn exec(binary: &str, ts: Option<i64>) -> Event {
        Event {
            timestamp_ns: ts,
            source: SourceEngine::Falco,
            pod: PodMeta::default(),
            result: None,
            validity: Default::default(),
            kind: EventKind::Process(ProcessEvent {
                action: ProcessAction::Exec,
                binary: binary.into(),
                args: None,
                parent: None,
                uid: None,
                by_owner: None,
            }),
        }
    }

    #[test]
    fn repeated_events_fold_into_one_row_with_count_and_time_range() {
        let mut p = PendingRows::default();
        for (b, ts) in [
            ("/bin/sh", Some(5)),
            ("/bin/ls", None),
            ("/bin/sh", None),
            ("/bin/sh", Some(2)),
            ("/bin/sh", Some(9)),
        ] {
            let e = exec(b, ts);
            p.add(&RowKey::of(&e, 1, 0), e.timestamp_ns);
        }
        let rows: Vec<_> = p.drain().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0.texts[3], "/bin/sh", "first-seen order");
        assert_eq!(
            rows[0].1,
            Seen {
                count: 4,
                first: Some(2),
                last: Some(9)
            }
        );
        assert_eq!(
            rows[1].1,
            Seen {
                count: 1,
                first: None,
                last: None
            }
        );
        assert!(p.is_empty());
    }

    #[test]
    fn the_stored_hash_is_stable_and_tells_columns_apart() {
        let e = exec("/bin/sh", Some(1));
        let k = RowKey::of(&e, 7, 0);
        // Part of the store format: a change here breaks existing stores.
        assert_eq!(k.stable_hash(), k.to_owned_key().stable_hash());
        assert_eq!(k.stable_hash(), -1_453_156_329_104_513_107);
        let mut moved = k.clone();
        moved.texts[3] = "/bin/s";
        moved.texts[4] = "h";
        assert_ne!(k.stable_hash(), moved.stable_hash());
        for (cols, n) in EventTable::ALL.map(|t| (key_columns(t), t)) {
            assert!(cols.0.len() <= INTS && cols.1.len() <= TEXTS, "{n}");
        }
    }

    #[test]
    fn keys_differ_by_table_pod_and_every_column() {
        let mut p = PendingRows::default();
        let e = exec("/bin/sh", None);
        p.add(&RowKey::of(&e, 1, 0), None);
        p.add(&RowKey::of(&e, 2, 0), None);
        let f = Event {
            kind: EventKind::File(FileEvent {
                path: "/bin/sh".into(),
                operation: FileOperation::Read,
                flags: None,
                syscall: None,
                process: None,
                by_owner: None,
            }),
            ..exec("", None)
        };
        p.add(&RowKey::of(&f, 1, 0), None);
        let mut with_args = exec("/bin/sh", None);
        if let EventKind::Process(x) = &mut with_args.kind {
            x.args = Some("-c".into());
        }
        p.add(&RowKey::of(&with_args, 1, 0), None);
        assert_eq!(p.len(), 4);
    }
}
