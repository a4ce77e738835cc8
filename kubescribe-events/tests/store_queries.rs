//! The store's per-workload queries reach rows through indexes (checked with
//! `EXPLAIN QUERY PLAN` and SQLite's own step counters, never the clock),
//! readers never wait for a writer, and the pod-id cache stays bounded.

use std::collections::BTreeMap;
use std::time::Duration;

use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteOptions, SqliteStore};
use kubescribe_events::{
    Direction, Event, EventKind, FileEvent, FileOperation, NetworkEvent, Peer, PodMeta,
    ProcessAction, ProcessEvent, SourceEngine, SyscallEvent, SyscallKind, Validity,
};

fn pod(ns: &str, name: &str, app: &str) -> PodMeta {
    PodMeta {
        namespace: Some(ns.into()),
        pod: Some(name.into()),
        container: Some("c".into()),
        labels: BTreeMap::from([("app".to_string(), app.to_string())]),
        node: None,
    }
}

fn event(pod: PodMeta, kind: EventKind, ts: i64) -> Event {
    Event {
        timestamp_ns: Some(ts),
        source: SourceEngine::Falco,
        pod,
        validity: Validity::Unreviewed,
        result: None,
        kind,
    }
}

/// `n` distinct events of each table for one pod.
fn events_of(pod: &PodMeta, n: usize, tag: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(event(
            pod.clone(),
            EventKind::Process(ProcessEvent {
                action: ProcessAction::Exec,
                binary: format!("/bin/{tag}-{i}"),
                args: None,
                parent: None,
                uid: Some(0),
                by_owner: None,
            }),
            i as i64,
        ));
        out.push(event(
            pod.clone(),
            EventKind::File(FileEvent {
                path: format!("/etc/{tag}/{i}"),
                operation: FileOperation::parse("read").unwrap(),
                flags: None,
                syscall: None,
                process: None,
                by_owner: None,
            }),
            i as i64,
        ));
        out.push(event(
            pod.clone(),
            EventKind::Network(NetworkEvent {
                protocol: "tcp".into(),
                direction: Direction::Egress,
                local_ip: None,
                local_port: None,
                remote_ip: Some(format!("10.0.{}.{}", i / 250, i % 250)),
                remote_port: Some(443),
                peer: Some(Peer {
                    namespace: Some("peers".into()),
                    pod: Some(format!("peer-{}", i % 3)),
                    labels: BTreeMap::from([("role".to_string(), format!("r{}", i % 3))]),
                }),
                dns_name: None,
                process: None,
                http: None,
            }),
            i as i64,
        ));
        out.push(event(
            pod.clone(),
            EventKind::Syscall(SyscallEvent {
                kind: SyscallKind::Syscall,
                name: format!("sys_{tag}_{i}"),
                args: None,
                process: None,
            }),
            i as i64,
        ));
    }
    out
}

fn write(store: &mut SqliteStore, events: &[Event]) {
    let mut w = store.begin().unwrap();
    for e in events {
        w.add_event(e).unwrap();
    }
    w.commit().unwrap();
}

/// A store holding the `web` workload's 20 events per table and `others`
/// pods of noise (10 events per table each), half of them in web's namespace.
fn store_with(others: usize) -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().unwrap();
    write(
        &mut store,
        &events_of(&pod("shop", "web-0", "web"), 20, "web"),
    );
    let mut noise = Vec::new();
    for i in 0..others {
        let ns = if i % 2 == 0 { "shop" } else { "other" };
        noise.extend(events_of(
            &pod(ns, &format!("noise-{i}"), &format!("n{i}")),
            10,
            &format!("n{i}"),
        ));
    }
    write(&mut store, &noise);
    store
}

fn per_workload_queries() -> Vec<(&'static str, EventQuery)> {
    let web = BTreeMap::from([("app".to_string(), "web".to_string())]);
    vec![
        (
            "namespace",
            EventQuery {
                namespace: Some("shop".into()),
                ..EventQuery::default()
            },
        ),
        (
            "selector",
            EventQuery {
                selector: web.clone(),
                ..EventQuery::default()
            },
        ),
        (
            "namespace + selector",
            EventQuery {
                namespace: Some("shop".into()),
                selector: web.clone(),
                ..EventQuery::default()
            },
        ),
        (
            "namespace + selector + validity",
            EventQuery {
                namespace: Some("shop".into()),
                selector: web,
                validity: Some(Validity::Unreviewed),
                ..EventQuery::default()
            },
        ),
    ]
}

#[test]
fn per_workload_queries_never_scan_an_event_table() {
    let store = store_with(50);
    let mut queries = per_workload_queries();
    queries.push((
        "peer namespace + peer selector",
        EventQuery {
            peer_namespace: Some("peers".into()),
            peer_selector: BTreeMap::from([("role".to_string(), "r1".to_string())]),
            ..EventQuery::default()
        },
    ));
    for table in EventTable::ALL {
        for (what, q) in &queries {
            if what.starts_with("peer") && table != EventTable::Flows {
                continue;
            }
            let plan = store.query_plan(table, q).unwrap();
            assert!(
                plan.iter().all(|l| !l.starts_with("SCAN")),
                "{table} by {what} scans: {plan:#?}"
            );
            assert!(
                plan.iter().any(|l| l.starts_with("SEARCH t USING INDEX")),
                "{table} by {what} does not reach the events by an index: {plan:#?}"
            );
        }
    }
}

#[test]
fn the_cost_of_a_workload_query_follows_the_workload_not_the_store() {
    let small = store_with(10);
    let large = store_with(1000);
    for table in EventTable::ALL {
        for (what, q) in per_workload_queries()
            .into_iter()
            .filter(|(w, _)| w.contains("selector"))
        {
            let s = small.query_cost(table, &q).unwrap();
            let l = large.query_cost(table, &q).unwrap();
            assert_eq!((s.rows, l.rows), (20, 20), "{table} by {what}");
            assert_eq!(l.fullscan_steps, 0, "{table} by {what}: {l:?}");
            // 100 times the other pods' events; the same work give or take
            // a few steps of index descent.
            assert!(
                l.vm_steps <= s.vm_steps + s.vm_steps / 4,
                "{table} by {what}: {s:?} on the small store, {l:?} on the large one; plan {:#?}",
                large.query_plan(table, &q).unwrap()
            );
        }
    }
    // A namespace alone selects every pod of it: the work follows those.
    let q = EventQuery {
        namespace: Some("other".into()),
        ..EventQuery::default()
    };
    let cost = large.query_cost(EventTable::Files, &q).unwrap();
    assert_eq!((cost.rows, cost.fullscan_steps), (500 * 10, 0));
}

#[test]
fn a_version_2_store_gains_the_pod_indexes_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        write(
            &mut store,
            &events_of(&pod("shop", "web-0", "web"), 3, "web"),
        );
        let conn = store.connection();
        for t in EventTable::ALL {
            conn.execute_batch(&format!("DROP INDEX {t}_by_pod"))
                .unwrap();
        }
        conn.execute(
            "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    let version: String = store
        .connection()
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        version,
        kubescribe_events::store::sqlite::SCHEMA_VERSION,
        "the current version"
    );
    let q = EventQuery {
        namespace: Some("shop".into()),
        ..EventQuery::default()
    };
    let plan = store.query_plan(EventTable::Processes, &q).unwrap();
    assert!(
        plan.iter().any(|l| l.contains("processes_by_pod")),
        "{plan:#?}"
    );
    assert_eq!(store.events(EventTable::Processes, &q).unwrap().len(), 3);
}

/// A reader opening the store while another connection holds the write
/// lock (an `ingest` in the middle of a file) opens at once and reads what
/// is committed, not waiting for the writer to finish.
#[test]
fn a_reader_opens_and_reads_while_a_writer_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db");
    let web = pod("shop", "web-0", "web");
    let mut writer_store = SqliteStore::open(&path).unwrap();
    write(&mut writer_store, &events_of(&web, 5, "committed"));
    let mut open_tx = writer_store.begin().unwrap();
    for e in events_of(&web, 7, "uncommitted") {
        open_tx.add_event(&e).unwrap();
    }
    // The writer's rows reach SQLite before the reader looks.
    open_tx
        .record_file(&kubescribe_events::store::IngestedFile {
            hash: "h".into(),
            path: "p".into(),
            bytes: 1,
            summary: "{}".into(),
        })
        .unwrap();
    // Any wait for the write lock fails after 50 ms instead of 10 minutes.
    let options = SqliteOptions {
        busy_timeout: Duration::from_millis(50),
        ..SqliteOptions::default()
    };
    let mut reader = SqliteStore::open_with(&path, &options)
        .expect("opening a store at the current schema takes no lock");
    let q = EventQuery {
        namespace: Some("shop".into()),
        ..EventQuery::default()
    };
    assert_eq!(reader.events(EventTable::Processes, &q).unwrap().len(), 5);
    assert_eq!(reader.counts().unwrap().observations, 20);
    open_tx.commit().unwrap();
    assert_eq!(reader.counts().unwrap().observations, 48);
}

fn falco_line(ns: &str, pod: &str, binary: &str) -> String {
    format!(
        r#"{{"rule":"r","priority":"Notice","output":"o","source":"syscall","output_fields":{{"evt.time":1,"k8s.ns.name":"{ns}","k8s.pod.name":"{pod}","proc.exepath":"{binary}"}}}}"#
    )
}

/// Events naming more pods than the cache holds: the cache stays at its
/// bound and every pod still gets exactly one id.
#[test]
fn the_pod_id_cache_is_bounded_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pods.jsonl");
    let mut text = String::new();
    for round in 0..2 {
        for i in 0..2000 {
            text.push_str(&falco_line("ns", &format!("pod-{i}"), "/bin/sh"));
            text.push('\n');
            if round == 0 && i % 7 == 0 {
                text.push_str(&falco_line("ns", &format!("pod-{}", i / 2), "/bin/ls"));
                text.push('\n');
            }
        }
    }
    std::fs::write(&file, &text).unwrap();
    let options = SqliteOptions {
        pod_cache_entries: 64,
        ..SqliteOptions::default()
    };
    let mut store = SqliteStore::open_with(&dir.path().join("s.db"), &options).unwrap();
    let sum = kubescribe_events::ingest_file(
        &mut store,
        &file,
        &kubescribe_events::IngestOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert!(
        store.cached_pods() <= 64,
        "{} pods cached",
        store.cached_pods()
    );
    let c = store.counts().unwrap();
    let ls = (0..2000).filter(|i| i % 7 == 0).count() as u64;
    assert_eq!(sum.records_stored, 4000 + ls);
    assert_eq!(
        (c.pods, c.processes, c.observations),
        (2000, 2000 + ls, 4000 + ls)
    );
    let default = SqliteStore::open_in_memory().unwrap();
    assert_eq!(default.cached_pods(), 0);
    assert_eq!(
        SqliteOptions::default().pod_cache_entries,
        SqliteOptions::POD_CACHE_ENTRIES
    );
}

/// The pods with rows in a table, answered from the pods (one index probe
/// each): the same pods as every row's pod, and no peer that has no row.
#[test]
fn pods_with_events_are_the_pods_of_the_rows() {
    let mut store = store_with(30);
    // A pod with processes only.
    write(
        &mut store,
        &events_of(&pod("solo", "solo-0", "solo"), 2, "solo")[..1],
    );
    for table in EventTable::ALL {
        let mut from_rows: Vec<PodMeta> = store
            .events(table, &EventQuery::default())
            .unwrap()
            .into_iter()
            .map(|r| r.event.pod)
            .collect();
        from_rows.sort();
        from_rows.dedup();
        let mut listed = store.pods_with_events(table).unwrap();
        let n = listed.len();
        listed.sort();
        listed.dedup();
        assert_eq!(n, listed.len(), "{table}: each pod once");
        assert_eq!(listed, from_rows, "{table}");
        let solo = listed
            .iter()
            .any(|p| p.namespace.as_deref() == Some("solo"));
        assert_eq!(solo, table == EventTable::Processes, "{table}");
        assert!(
            listed
                .iter()
                .all(|p| p.namespace.as_deref() != Some("peers")),
            "{table}: flow peers have no rows of their own"
        );
    }
}
