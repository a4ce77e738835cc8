//! A bulk load into empty event tables builds their secondary indexes once,
//! at commit, instead of row by row: the rows, ids and indexes are those of
//! a load that maintained the indexes all along, and a load rolled back
//! after its first flush leaves the indexes in place.

use std::collections::BTreeMap;

use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteStore};
use kubescribe_events::{
    Direction, Event, EventKind, FileEvent, FileOperation, NetworkEvent, Peer, PodMeta,
    ProcessAction, ProcessEvent, SourceEngine, Validity,
};

fn pod(i: usize) -> PodMeta {
    PodMeta {
        namespace: Some(format!("ns-{}", i % 3)),
        pod: Some(format!("pod-{i}")),
        container: Some("c".into()),
        labels: BTreeMap::from([("app".to_string(), format!("a{}", i % 5))]),
        node: None,
    }
}

/// `n` records' worth of distinct events over 40 pods (three tables), with
/// every tenth event a repeat of an earlier one.
fn events(n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..n {
        let j = if i % 10 == 9 { i / 2 } else { i };
        let kind = match j % 3 {
            0 => EventKind::Process(ProcessEvent {
                action: ProcessAction::Exec,
                binary: format!("/bin/b{}", j % 17),
                args: Some(format!("-n {j}")),
                parent: None,
                uid: Some(0),
                by_owner: None,
            }),
            1 => EventKind::File(FileEvent {
                path: format!("/etc/f{j}"),
                operation: FileOperation::parse("read").unwrap(),
                flags: None,
                syscall: None,
                process: None,
                by_owner: None,
            }),
            _ => EventKind::Network(NetworkEvent {
                protocol: "tcp".into(),
                direction: Direction::Egress,
                local_ip: None,
                local_port: None,
                remote_ip: Some(format!("10.0.{}.{}", j / 250 % 250, j % 250)),
                remote_port: Some(443),
                peer: Some(Peer {
                    namespace: Some("peers".into()),
                    pod: Some(format!("peer-{}", j % 3)),
                    labels: BTreeMap::new(),
                }),
                dns_name: None,
                process: None,
                http: None,
            }),
        };
        out.push(Event {
            timestamp_ns: Some(i as i64),
            source: SourceEngine::Falco,
            pod: pod(j % 40),
            validity: Validity::Unreviewed,
            result: None,
            kind,
        });
    }
    out
}

fn indexes(store: &SqliteStore) -> Vec<(String, String)> {
    store
        .connection()
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn every_row(store: &mut SqliteStore) -> Vec<String> {
    let mut out = Vec::new();
    for table in EventTable::ALL {
        for e in store.events(table, &EventQuery::default()).unwrap() {
            out.push(format!("{e:?}"));
        }
    }
    out
}

#[test]
fn a_bulk_load_into_an_empty_store_equals_one_that_kept_its_indexes() {
    let all = events(12_000);
    // One transaction into empty tables: the indexes are deferred.
    let mut bulk = SqliteStore::open_in_memory().unwrap();
    let mut w = bulk.begin().unwrap();
    for e in &all {
        w.add_event(e).unwrap();
    }
    w.commit().unwrap();
    // One event of each table first: the rest then goes into tables that
    // are not empty, whose indexes are kept up row by row.
    let mut kept = SqliteStore::open_in_memory().unwrap();
    let mut w = kept.begin().unwrap();
    for e in &all[..3] {
        w.add_event(e).unwrap();
    }
    w.commit().unwrap();
    let mut w = kept.begin().unwrap();
    for e in &all[3..] {
        w.add_event(e).unwrap();
    }
    w.commit().unwrap();
    let fresh = SqliteStore::open_in_memory().unwrap();
    assert_eq!(indexes(&bulk), indexes(&fresh), "indexes rebuilt at commit");
    let rows = every_row(&mut bulk);
    assert!(rows.len() > 10_000, "{} rows", rows.len());
    assert_eq!(rows, every_row(&mut kept));
    for table in EventTable::ALL {
        let q = EventQuery {
            namespace: Some("ns-1".into()),
            ..EventQuery::default()
        };
        let plan = bulk.query_plan(table, &q).unwrap();
        assert!(
            plan.iter().any(|l| l.contains("_by_pod")),
            "{table}: {plan:#?}"
        );
    }
    let check: String = bulk
        .connection()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn a_bulk_load_rolled_back_after_a_flush_leaves_the_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = SqliteStore::open(&path).unwrap();
    let before = indexes(&store);
    // More distinct rows than a writer holds before it flushes.
    let all = events(80_000);
    {
        let mut w = store.begin().unwrap();
        for e in &all {
            w.add_event(e).unwrap();
        }
        // Dropped without a commit: rolled back.
    }
    assert_eq!(indexes(&store), before);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(indexes(&reopened), before);
    assert_eq!(store.counts().unwrap().observations, 0);
}
