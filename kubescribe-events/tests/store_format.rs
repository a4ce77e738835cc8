//! The store's row identity: events folded in memory before they are
//! written, rows found by their stored key hash (with probing past a
//! colliding row), and stores of the previous format migrated on open.

use std::collections::BTreeMap;

use kubescribe_events::store::rows::{PendingRows, RowKey};
use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteStore};
use kubescribe_events::{
    Event, EventKind, FileEvent, FileOperation, PodMeta, ProcessAction, ProcessEvent, SourceEngine,
    Validity,
};
use rusqlite::Connection;

fn pod() -> PodMeta {
    PodMeta {
        namespace: Some("shop".into()),
        pod: Some("web-0".into()),
        container: Some("web".into()),
        node: None,
        labels: BTreeMap::from([("app".into(), "web".into())]),
    }
}

fn exec(binary: &str, args: &str, ts: i64) -> Event {
    Event {
        timestamp_ns: Some(ts),
        source: SourceEngine::Falco,
        pod: pod(),
        validity: Validity::default(),
        result: None,
        kind: EventKind::Process(ProcessEvent {
            action: ProcessAction::Exec,
            binary: binary.into(),
            args: Some(args.into()),
            parent: None,
            uid: Some(0),
            by_owner: None,
        }),
    }
}

fn read(path: &str, ts: i64) -> Event {
    Event {
        kind: EventKind::File(FileEvent {
            path: path.into(),
            operation: FileOperation::Read,
            flags: None,
            syscall: None,
            process: Some("nginx".into()),
            by_owner: None,
        }),
        ..exec("", "", ts)
    }
}

fn write_all(store: &mut SqliteStore, events: &[Event]) {
    let mut w = store.begin().unwrap();
    for e in events {
        w.add_event(e).unwrap();
    }
    w.commit().unwrap();
}

/// (id, count, first seen, last seen, what) of every row, by id.
fn rows(store: &mut SqliteStore, table: EventTable) -> Vec<(i64, u64, i64, i64, String)> {
    let mut rows: Vec<_> = store
        .events(table, &EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|s| {
            let what = match &s.event.kind {
                EventKind::Process(p) => {
                    format!("{} {}", p.binary, p.args.as_deref().unwrap_or(""))
                }
                EventKind::File(f) => f.path.clone(),
                other => format!("{other:?}"),
            };
            (
                s.id,
                s.count,
                s.first_seen.unwrap(),
                s.last_seen.unwrap(),
                what,
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn counts_and_times_are_exact_across_flushes_and_transactions() {
    // More distinct rows than one flush holds, each seen 1 to 3 times,
    // spread over two transactions.
    let distinct = PendingRows::FLUSH_AT + 1_000;
    let events: Vec<Event> = (0..distinct)
        .flat_map(|i| {
            let n = 1 + i % 3;
            (0..n).map(move |k| exec("/bin/sh", &format!("-c job-{i}"), (i * 10 + k) as i64))
        })
        .collect();
    let (a, b) = events.split_at(events.len() / 2);
    let mut store = SqliteStore::open_in_memory().unwrap();
    write_all(&mut store, a);
    write_all(&mut store, b);
    let got = rows(&mut store, EventTable::Processes);
    assert_eq!(got.len(), distinct);
    for (i, (id, count, first, last, what)) in got.iter().enumerate() {
        // Ids follow first-seen order.
        assert_eq!(*id, i as i64 + 1);
        assert_eq!(what, &format!("/bin/sh -c job-{i}"));
        let n = 1 + i % 3;
        assert_eq!(*count, n as u64, "{what}");
        assert_eq!((*first, *last), ((i * 10) as i64, (i * 10 + n - 1) as i64));
    }
}

#[test]
fn a_row_holding_the_hash_of_another_key_is_probed_past_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = SqliteStore::open(&path).unwrap();
    write_all(&mut store, &[read("/etc/other", 1)]);
    // Make the stored row claim the hash `/etc/nginx.conf` will have.
    let wanted = read("/etc/nginx.conf", 5);
    let hash = RowKey::of(&wanted, 1, 0).stable_hash();
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE files SET key_hash = ?1", [hash])
        .unwrap();
    write_all(&mut store, &[wanted.clone(), read("/etc/nginx.conf", 9)]);
    write_all(&mut store, &[wanted]);
    let got = rows(&mut store, EventTable::Files);
    assert_eq!(
        got,
        vec![
            (1, 1, 1, 1, "/etc/other".into()),
            (2, 3, 5, 9, "/etc/nginx.conf".into()),
        ]
    );
    let probed: i64 = Connection::open(&path)
        .unwrap()
        .query_row("SELECT key_hash FROM files WHERE id = 2", [], |r| r.get(0))
        .unwrap();
    assert_eq!(probed, hash.wrapping_add(1));
}

/// The event tables as schema version 1 wrote them (a unique index over
/// the key columns, no `key_hash`).
const V1_EVENT_TABLES: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE pods (
    id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, pod TEXT NOT NULL,
    container TEXT NOT NULL, node TEXT NOT NULL, labels TEXT NOT NULL,
    UNIQUE (namespace, pod, container, node, labels));
CREATE TABLE processes (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    action TEXT NOT NULL, binary TEXT NOT NULL, args TEXT NOT NULL, parent TEXT NOT NULL,
    uid INTEGER NOT NULL,
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    UNIQUE (pod_id, binary, action, args, parent, uid, source, result));
CREATE INDEX processes_by_binary ON processes (binary);
CREATE TABLE files (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    path TEXT NOT NULL, operation TEXT NOT NULL, flags TEXT NOT NULL, syscall TEXT NOT NULL,
    process TEXT NOT NULL,
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    UNIQUE (pod_id, path, operation, flags, syscall, process, source, result));
CREATE INDEX files_by_path ON files (path);
CREATE TABLE flows (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    protocol TEXT NOT NULL, direction TEXT NOT NULL, local_ip TEXT NOT NULL,
    local_port INTEGER NOT NULL, remote_ip TEXT NOT NULL, remote_port INTEGER NOT NULL,
    peer_id INTEGER NOT NULL, dns_name TEXT NOT NULL, process TEXT NOT NULL,
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    UNIQUE (pod_id, direction, protocol, remote_ip, remote_port, local_ip, local_port,
            peer_id, dns_name, process, source, result));
CREATE INDEX flows_by_peer ON flows (peer_id);
CREATE INDEX flows_by_remote ON flows (remote_ip, remote_port);
CREATE INDEX flows_by_dns ON flows (dns_name);
CREATE TABLE syscalls (
    id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL, source TEXT NOT NULL, result TEXT NOT NULL,
    kind TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL, process TEXT NOT NULL,
    count INTEGER NOT NULL, first_seen INTEGER, last_seen INTEGER,
    validity TEXT NOT NULL DEFAULT 'unreviewed',
    UNIQUE (pod_id, kind, name, args, process, source, result));
INSERT INTO pods VALUES (1, 'shop', 'web-0', 'web', '', '{"app":"web"}');
INSERT INTO processes VALUES (4, 1, 'falco', '', 'exec', '/bin/sh', '-c x', '', 0, 3, 10, 30, 'approved');
INSERT INTO processes VALUES (9, 1, 'falco', '', 'exec', '/bin/ls', '', '', 0, 1, 40, 40, 'unreviewed');
INSERT INTO files VALUES (2, 1, 'falco', '', '/etc/nginx.conf', 'read', '', '', 'nginx', 7, 1, 8, 'denied');
INSERT INTO flows VALUES (3, 1, 'hubble', '', 'TCP', 'egress', '', 0, '10.0.0.9', 5432, 0, '', '', 2, 5, 6, 'unreviewed');
"#;

#[test]
fn a_version_1_store_is_migrated_keeping_ids_counts_and_validity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch(V1_EVENT_TABLES)
        .unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    let version: String = store
        .connection()
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, kubescribe_events::store::sqlite::SCHEMA_VERSION);
    let procs = store
        .events(EventTable::Processes, &EventQuery::default())
        .unwrap();
    assert_eq!(
        procs
            .iter()
            .map(|s| (s.id, s.count, s.event.validity))
            .collect::<Vec<_>>(),
        vec![(4, 3, Validity::Approved), (9, 1, Validity::Unreviewed)]
    );
    // The same behaviour observed again lands on the migrated rows.
    write_all(
        &mut store,
        &[exec("/bin/sh", "-c x", 50), read("/etc/nginx.conf", 0)],
    );
    assert_eq!(
        rows(&mut store, EventTable::Processes)[0],
        (4, 4, 10, 50, "/bin/sh -c x".into())
    );
    assert_eq!(
        rows(&mut store, EventTable::Files),
        vec![(2, 8, 0, 8, "/etc/nginx.conf".into())]
    );
    let flows = store
        .events(EventTable::Flows, &EventQuery::default())
        .unwrap();
    assert_eq!((flows[0].id, flows[0].count), (3, 2));
    // The old tables and their indexes are gone, the new indexes exist.
    let names: Vec<String> = store
        .connection()
        .prepare("SELECT name FROM sqlite_master WHERE name LIKE '%v1%' OR name LIKE '%_by_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        names,
        [
            "files_by_path",
            "files_by_pod",
            "flows_by_peer",
            "flows_by_pod",
            "flows_by_remote",
            "labels_by_selector",
            "processes_by_pod",
            "syscalls_by_pod",
            "workload_ports_by_port",
            "workload_ports_by_workload",
            "workloads_by_namespace"
        ]
    );
    // Opening again is a no-op.
    drop(store);
    let mut again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.counts().unwrap().processes, 2);
}

#[test]
fn indexes_no_query_reads_are_dropped_by_the_next_write() {
    // A store written by an earlier release: schema 4 with an index on a
    // process's binary and on a flow's DNS name, which no query reads.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let mut store = SqliteStore::open(&path).unwrap();
    write_all(&mut store, &[exec("/bin/sh", "-c a", 1)]);
    let unused = |store: &SqliteStore| -> Vec<String> {
        store
            .connection()
            .prepare("SELECT name FROM sqlite_master WHERE name IN ('processes_by_binary', 'flows_by_dns') ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(unused(&store).is_empty(), "a new store has neither");
    store
        .connection()
        .execute_batch(
            "CREATE INDEX processes_by_binary ON processes (binary); \
             CREATE INDEX flows_by_dns ON flows (dns_name);",
        )
        .unwrap();
    drop(store);
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(unused(&store).len(), 2, "opening writes nothing");
    write_all(&mut store, &[exec("/bin/sh", "-c a", 5), read("/etc/x", 6)]);
    assert!(unused(&store).is_empty());
    assert_eq!(
        rows(&mut store, EventTable::Processes),
        vec![(1, 2, 1, 5, "/bin/sh -c a".into())]
    );
    assert_eq!(store.counts().unwrap().observations, 3);
}
