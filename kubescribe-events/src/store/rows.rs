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

use std::hash::{BuildHasherDefault, Hash, Hasher};

use indexmap::{Equivalent, IndexMap};
use xxhash_rust::xxh3::xxh3_64;

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
            &["source", "result", "action", "\"binary\"", "args", "parent"],
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
        self.stable_hash_in(&mut Vec::new())
    }

    /// [`RowKey::stable_hash`], encoding the key into `buf` (cleared first;
    /// a caller hashing many keys reuses it) and hashing it in one call.
    pub fn stable_hash_in(&self, buf: &mut Vec<u8>) -> i64 {
        buf.clear();
        buf.extend_from_slice(self.table.as_str().as_bytes());
        for i in self.ints {
            buf.extend_from_slice(&i.to_le_bytes());
        }
        let added = &self.texts[TEXTS_V3..];
        let n = if added.iter().all(|t| t.as_ref().is_empty()) {
            TEXTS_V3
        } else {
            TEXTS
        };
        for t in &self.texts[..n] {
            let t = t.as_ref().as_bytes();
            buf.extend_from_slice(&(t.len() as u64).to_le_bytes());
            buf.extend_from_slice(t);
        }
        xxh3_64(buf) as i64
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

/// An event table seen by its stored hashes, for [`close_probe_gaps`].
pub trait ProbeTable {
    /// The backend's error.
    type Error;
    /// The key of the row stored at `hash`, if any.
    fn key_at(&mut self, hash: i64) -> Result<Option<RowKey<String>>, Self::Error>;
    /// Moves the row stored at `from` to the free hash `to`.
    fn move_row(&mut self, from: i64, to: i64) -> Result<(), Self::Error>;
}

/// Keeps the probe sequences whole after rows were deleted (pruning): a
/// row that collided was stored at the next free hash after its own
/// ([`RowKey::stable_hash`]), and a writer looks for it by probing from its
/// own hash up to the first free one. A deleted row leaves a gap that would
/// end that probe early (the row would be written again, twice stored), so
/// after each gap (`deleted`: the hashes deleted rows held) the rows that
/// follow up to the next free hash are re-seated, as a linear-probing hash
/// table deletes: each row not at its own hash moves to the first free hash
/// from its own. Returns the rows moved (almost always none: a collision
/// of 64-bit hashes is rare).
pub fn close_probe_gaps<T: ProbeTable>(
    table: &mut T,
    deleted: impl IntoIterator<Item = i64>,
) -> Result<u64, T::Error> {
    let mut moved = 0;
    for gap in deleted {
        let mut at = gap.wrapping_add(1);
        while let Some(key) = table.key_at(at)? {
            let home = key.stable_hash();
            if home != at {
                let mut free = home;
                while free != at && table.key_at(free)?.is_some() {
                    free = free.wrapping_add(1);
                }
                if free != at {
                    table.move_row(at, free)?;
                    moved += 1;
                }
            }
            at = at.wrapping_add(1);
            if at == gap {
                break;
            }
        }
    }
    Ok(moved)
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

/// A pending row's key, owned: its text columns in one buffer (one
/// allocation per row instead of one per column), with its stored hash.
#[derive(Debug)]
struct OwnedKey {
    hash: i64,
    table: EventTable,
    ints: [i64; INTS],
    text: String,
    /// Where each text column ends in `text`.
    ends: [u32; TEXTS],
}

impl OwnedKey {
    fn new(key: &RowKey<&str>, hash: i64) -> OwnedKey {
        let len = key.texts.iter().map(|t| t.len()).sum();
        let mut text = String::with_capacity(len);
        let mut ends = [0u32; TEXTS];
        for (t, end) in key.texts.iter().zip(&mut ends) {
            text.push_str(t);
            // A record is at most `max_record_bytes` (4 MiB by default);
            // a longer key saturates and is then never equal to a probe.
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        OwnedKey {
            hash,
            table: key.table,
            ints: key.ints,
            text,
            ends,
        }
    }

    /// The key with its text columns borrowed from the buffer.
    fn key(&self) -> RowKey<&str> {
        let mut texts = [""; TEXTS];
        let mut start = 0usize;
        for (t, &end) in texts.iter_mut().zip(&self.ends) {
            let end = (end as usize).min(self.text.len());
            *t = self.text.get(start..end).unwrap_or("");
            start = end;
        }
        RowKey {
            table: self.table,
            ints: self.ints,
            texts,
        }
    }
}

impl Hash for OwnedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_i64(self.hash);
    }
}

impl PartialEq for OwnedKey {
    fn eq(&self, other: &OwnedKey) -> bool {
        self.hash == other.hash
            && self.table == other.table
            && self.ints == other.ints
            && self.ends == other.ends
            && self.text == other.text
    }
}

impl Eq for OwnedKey {}

/// A look-up of an event's key (borrowed) with its stored hash.
struct Probe<'k, 'a> {
    hash: i64,
    key: &'k RowKey<&'a str>,
}

impl Hash for Probe<'_, '_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_i64(self.hash);
    }
}

impl Equivalent<OwnedKey> for Probe<'_, '_> {
    fn equivalent(&self, owned: &OwnedKey) -> bool {
        if self.hash != owned.hash || self.key.table != owned.table || self.key.ints != owned.ints {
            return false;
        }
        let mut start = 0usize;
        for (t, &end) in self.key.texts.iter().zip(&owned.ends) {
            let end = end as usize;
            if owned.text.as_bytes().get(start..end) != Some(t.as_bytes()) {
                return false;
            }
            start = end;
        }
        true
    }
}

/// The map's hasher: the keys carry their XXH3 hash already
/// ([`RowKey::stable_hash`]), so hashing passes it through.
#[derive(Default)]
struct StoredHash(u64);

impl Hasher for StoredHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_i64` is used; fold anything else in.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_i64(&mut self, v: i64) {
        self.0 = v as u64;
    }
}

/// Rows not yet written, in first-seen order.
#[derive(Debug, Default)]
pub struct PendingRows {
    rows: IndexMap<OwnedKey, Seen, BuildHasherDefault<StoredHash>>,
    /// The encoding buffer of [`RowKey::stable_hash_in`].
    scratch: Vec<u8>,
}

impl PendingRows {
    /// Rows held before a writer should flush: bounds memory however many
    /// distinct rows one input holds (a row is a few hundred bytes).
    pub const FLUSH_AT: usize = 1 << 16;

    /// Folds one event (its key and timestamp) in. The key's stored hash
    /// ([`RowKey::stable_hash`]) is computed here, once, and serves both
    /// this map and the store.
    pub fn add(&mut self, key: &RowKey<&str>, ts: Option<i64>) {
        let hash = key.stable_hash_in(&mut self.scratch);
        if let Some(seen) = self.rows.get_mut(&Probe { hash, key }) {
            seen.add(ts);
            return;
        }
        if self.rows.capacity() == 0 {
            // Sized once for a whole flush: no rehashing while it fills.
            self.rows.reserve(Self::FLUSH_AT);
        }
        self.rows.insert(
            OwnedKey::new(key, hash),
            Seen {
                count: 1,
                first: ts,
                last: ts,
            },
        );
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

    /// Takes the rows out in first-seen order, calling `write` with each
    /// one's key, stored hash ([`RowKey::stable_hash`]) and sightings. Stops
    /// at `write`'s first error; the rows not yet taken are dropped then.
    pub fn drain_each<E>(
        &mut self,
        mut write: impl FnMut(&RowKey<&str>, i64, &Seen) -> Result<(), E>,
    ) -> Result<(), E> {
        for (owned, seen) in self.rows.drain(..) {
            write(&owned.key(), owned.hash, &seen)?;
        }
        Ok(())
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
        let mut rows = Vec::new();
        p.drain_each(|k, hash, seen| {
            assert_eq!(hash, k.stable_hash());
            rows.push((k.to_owned_key(), *seen));
            Ok::<_, ()>(())
        })
        .unwrap();
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
