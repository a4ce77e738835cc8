//! Time windows, retention, row identity and migrations, on every backend
//! (SQLite; PostgreSQL when `KUBESCRIBE_TEST_POSTGRES` names a server), and
//! the context summarizer's output, which must not depend on the backend.

use std::collections::BTreeMap;
use std::path::Path;

use kubescribe_events::context::Observed;
use kubescribe_events::store::rows::{PendingRows, RowKey};
use kubescribe_events::store::{EventQuery, EventStore, EventTable};
use kubescribe_events::{
    Event, EventKind, FileEvent, FileOperation, IngestOptions, PodMeta, ProcessAction,
    ProcessEvent, SourceEngine, Validity, ingest_file,
};
use kubescribe_store_pg::AnyStore;

mod backends;
use backends::{Backend, backends, each_backend};

fn pod(ns: &str, name: &str) -> PodMeta {
    PodMeta {
        namespace: Some(ns.into()),
        pod: Some(name.into()),
        container: Some("c".into()),
        node: None,
        labels: BTreeMap::from([("app".into(), name.into())]),
    }
}

fn exec(binary: &str, args: &str, ts: Option<i64>) -> Event {
    Event {
        timestamp_ns: ts,
        source: SourceEngine::Falco,
        pod: pod("shop", "web"),
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

fn read(path: &str, ts: Option<i64>) -> Event {
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

fn write_all(store: &mut AnyStore, events: &[Event]) {
    let mut w = store.begin().unwrap();
    for e in events {
        w.add_event(e).unwrap();
    }
    w.commit().unwrap();
}

/// (count, first, last, what) of every row of `table` the query selects.
fn rows(
    store: &mut AnyStore,
    table: EventTable,
    q: &EventQuery,
) -> Vec<(u64, Option<i64>, Option<i64>, String)> {
    let mut out: Vec<_> = store
        .events(table, q)
        .unwrap()
        .into_iter()
        .map(|s| {
            let what = match &s.event.kind {
                EventKind::Process(p) => p.args.clone().unwrap_or_default(),
                EventKind::File(f) => f.path.clone(),
                other => format!("{other:?}"),
            };
            (s.count, s.first_seen, s.last_seen, what)
        })
        .collect();
    out.sort_by(|a, b| a.3.cmp(&b.3));
    out
}

/// Rows seen at 10–20, 30–30, 50–90 and without a time.
fn timed_events() -> Vec<Event> {
    vec![
        exec("/bin/sh", "a", Some(10)),
        exec("/bin/sh", "a", Some(20)),
        exec("/bin/sh", "b", Some(30)),
        exec("/bin/sh", "c", Some(90)),
        exec("/bin/sh", "c", Some(50)),
        exec("/bin/sh", "c", Some(70)),
        exec("/bin/sh", "untimed", None),
    ]
}

#[test]
fn windows_keep_the_rows_observed_inside_them() {
    each_backend("windows_keep_the_rows_observed_inside_them", |b| {
        let mut store = b.open();
        write_all(&mut store, &timed_events());
        let all = rows(&mut store, EventTable::Processes, &EventQuery::default());
        assert_eq!(all.len(), 4);
        let names = |since: Option<i64>, until: Option<i64>| -> Vec<String> {
            let q = EventQuery {
                since,
                until,
                ..EventQuery::default()
            };
            let got = rows(&mut b.open(), EventTable::Processes, &q);
            // The SQL states EventQuery::in_window.
            let expected: Vec<String> = all
                .iter()
                .filter(|r| q.in_window(r.1, r.2))
                .map(|r| r.3.clone())
                .collect();
            let got: Vec<String> = got.into_iter().map(|r| r.3).collect();
            assert_eq!(got, expected, "since {since:?} until {until:?}");
            got
        };
        assert_eq!(names(None, None), ["a", "b", "c", "untimed"]);
        assert_eq!(names(Some(25), None), ["b", "c"]);
        assert_eq!(names(None, Some(30)), ["a"]);
        assert_eq!(names(Some(20), Some(31)), ["a", "b"]);
        assert_eq!(names(Some(60), Some(61)), ["c"], "inside c's range");
        assert!(names(Some(91), None).is_empty());
        // A window keeps a row's whole count.
        let c = rows(
            &mut store,
            EventTable::Processes,
            &EventQuery {
                since: Some(60),
                ..EventQuery::default()
            },
        );
        assert_eq!(c, [(3, Some(50), Some(90), "c".to_string())]);
    });
}

#[test]
fn prune_deletes_rows_last_seen_before_and_keeps_the_rest() {
    each_backend(
        "prune_deletes_rows_last_seen_before_and_keeps_the_rest",
        |b| {
            let mut store = b.open();
            let mut events = timed_events();
            events.push(read("/etc/old", Some(5)));
            events.push(read("/etc/new", Some(100)));
            write_all(&mut store, &events);
            let before = store.counts().unwrap();
            assert_eq!(before.observations, 9);
            let sum = store.prune(30).unwrap();
            // a (10–20) and /etc/old (5); b's last sighting is 30, not before.
            assert_eq!(sum.rows, [1, 1, 0, 0]);
            assert_eq!(sum.observations, 3);
            assert_eq!(sum.total_rows(), 2);
            let after = store.counts().unwrap();
            assert_eq!(
                (after.processes, after.files, after.observations),
                (3, 1, 6)
            );
            let left: Vec<String> = rows(&mut store, EventTable::Processes, &EventQuery::default())
                .into_iter()
                .map(|r| r.3)
                .collect();
            assert_eq!(left, ["b", "c", "untimed"]);
            // Nothing left before 30: pruning again deletes nothing.
            assert_eq!(store.prune(30).unwrap().total_rows(), 0);
            // Pruned behaviour seen again is a new row.
            write_all(&mut store, &[exec("/bin/sh", "a", Some(200))]);
            let a = rows(
                &mut store,
                EventTable::Processes,
                &EventQuery {
                    since: Some(150),
                    ..EventQuery::default()
                },
            );
            assert_eq!(a, [(1, Some(200), Some(200), "a".to_string())]);
        },
    );
}

/// Sets the stored hash of every row of `table` (a forged collision).
fn set_key_hash(store: &mut AnyStore, table: EventTable, where_: &str, hash: i64) {
    let sql = format!(
        "UPDATE {} SET key_hash = {hash} WHERE {where_}",
        table.as_str()
    );
    match store {
        AnyStore::Sqlite(s) => {
            s.connection().execute(&sql, []).unwrap();
        }
        AnyStore::Postgres(p) => {
            p.client().execute(&sql, &[]).unwrap();
        }
    }
}

fn key_hash_of(store: &mut AnyStore, table: EventTable, where_: &str) -> i64 {
    let sql = format!("SELECT key_hash FROM {} WHERE {where_}", table.as_str());
    match store {
        AnyStore::Sqlite(s) => s.connection().query_row(&sql, [], |r| r.get(0)).unwrap(),
        AnyStore::Postgres(p) => p.client().query_one(&sql, &[]).unwrap().get(0),
    }
}

#[test]
fn a_colliding_row_is_probed_past_and_found_again_after_pruning() {
    each_backend(
        "a_colliding_row_is_probed_past_and_found_again_after_pruning",
        |b| {
            let mut store = b.open();
            write_all(&mut store, &[read("/etc/other", Some(1))]);
            // Make the stored row claim the hash `/etc/nginx.conf` will have.
            let wanted = read("/etc/nginx.conf", Some(5));
            let hash = RowKey::of(&wanted, 1, 0).stable_hash();
            set_key_hash(&mut store, EventTable::Files, "path = '/etc/other'", hash);
            write_all(
                &mut store,
                &[wanted.clone(), read("/etc/nginx.conf", Some(9))],
            );
            write_all(&mut store, std::slice::from_ref(&wanted));
            assert_eq!(
                rows(&mut store, EventTable::Files, &EventQuery::default()),
                [
                    (3, Some(5), Some(9), "/etc/nginx.conf".to_string()),
                    (1, Some(1), Some(1), "/etc/other".to_string()),
                ]
            );
            assert_eq!(
                key_hash_of(&mut store, EventTable::Files, "path = '/etc/nginx.conf'"),
                hash.wrapping_add(1),
                "probed past the colliding row"
            );
            // Pruning the colliding row moves the probed one home: seen
            // again, it is counted on its row, not written twice.
            assert_eq!(store.prune(2).unwrap().rows, [0, 1, 0, 0]);
            assert_eq!(
                key_hash_of(&mut store, EventTable::Files, "path = '/etc/nginx.conf'"),
                hash
            );
            write_all(&mut store, &[read("/etc/nginx.conf", Some(11))]);
            assert_eq!(
                rows(&mut store, EventTable::Files, &EventQuery::default()),
                [(4, Some(5), Some(11), "/etc/nginx.conf".to_string())]
            );
        },
    );
}

#[test]
fn counts_and_times_are_exact_across_flushes_and_transactions() {
    each_backend(
        "counts_and_times_are_exact_across_flushes_and_transactions",
        |b| {
            // More distinct rows than one flush holds, each seen 1 to 3
            // times, spread over two transactions.
            let distinct = PendingRows::FLUSH_AT + 1_000;
            let events: Vec<Event> = (0..distinct)
                .flat_map(|i| {
                    let n = 1 + i % 3;
                    (0..n).map(move |k| {
                        exec("/bin/sh", &format!("job-{i:06}"), Some((i * 10 + k) as i64))
                    })
                })
                .collect();
            let (x, y) = events.split_at(events.len() / 2);
            let mut store = b.open();
            write_all(&mut store, x);
            write_all(&mut store, y);
            let mut got = store
                .events(EventTable::Processes, &EventQuery::default())
                .unwrap();
            got.sort_by_key(|r| r.id);
            assert_eq!(got.len(), distinct);
            for (i, r) in got.iter().enumerate() {
                let EventKind::Process(p) = &r.event.kind else {
                    panic!()
                };
                // Ids follow first-seen order.
                assert_eq!(p.args.as_deref(), Some(format!("job-{i:06}").as_str()));
                let n = 1 + i % 3;
                assert_eq!(r.count, n as u64);
                assert_eq!(
                    (r.first_seen, r.last_seen),
                    (Some((i * 10) as i64), Some((i * 10 + n - 1) as i64))
                );
            }
        },
    );
}

#[test]
fn migrations_are_recorded() {
    each_backend("migrations_are_recorded", |b| {
        let mut store = b.open();
        let versions: Vec<i64> = match &mut store {
            AnyStore::Sqlite(s) => s
                .connection()
                .prepare("SELECT version FROM schema_migrations ORDER BY version")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap(),
            AnyStore::Postgres(p) => {
                assert_eq!(
                    p.schema_version().unwrap(),
                    kubescribe_store_pg::MIGRATIONS.last().unwrap().0
                );
                p.client()
                    .query(
                        "SELECT version FROM schema_migrations ORDER BY version",
                        &[],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| i64::from(r.get::<_, i32>(0)))
                    .collect()
            }
        };
        let expected: Vec<i64> = match b {
            Backend::Sqlite(_) => kubescribe_events::store::sqlite::MIGRATIONS
                .iter()
                .map(|m| i64::from(m.0))
                .collect(),
            Backend::Postgres { .. } => kubescribe_store_pg::MIGRATIONS
                .iter()
                .map(|m| i64::from(m.0))
                .collect(),
        };
        assert_eq!(versions, expected);
        // Opening again applies nothing.
        drop(store);
        let mut again = b.open();
        assert_eq!(again.counts().unwrap().observations, 0);
    });
}

/// Every namespace's and workload's summary, as a prompt carries it, from
/// the README's sample events and manifests.
fn summaries(store: &mut AnyStore, window: (Option<i64>, Option<i64>)) -> Vec<String> {
    let mut scopes: Vec<(Option<String>, BTreeMap<String, String>)> = vec![(None, BTreeMap::new())];
    for w in store.workloads(None, &BTreeMap::new()).unwrap() {
        scopes.push((Some(w.namespace.clone()), BTreeMap::new()));
        scopes.push((Some(w.namespace.clone()), w.pod_labels.clone()));
    }
    scopes.sort();
    scopes.dedup();
    let mut out = Vec::new();
    for (ns, sel) in scopes {
        let q = EventQuery {
            namespace: ns.clone(),
            selector: sel.clone(),
            since: window.0,
            until: window.1,
            ..EventQuery::default()
        };
        let observed = Observed::from_query(store, &q).unwrap();
        for budget in [60usize, 400, 4000] {
            out.push(
                observed
                    .summarize_within(ns.as_deref(), &sel, budget)
                    .render(),
            );
        }
        let mut events: Vec<String> = EventTable::ALL
            .iter()
            .flat_map(|t| store.events(*t, &q).unwrap())
            .map(|r| {
                format!(
                    "{} {} {:?} {:?} {}",
                    r.table,
                    r.count,
                    r.first_seen,
                    r.last_seen,
                    serde_json_line(&r.event)
                )
            })
            .collect();
        events.sort();
        out.extend(events);
    }
    out
}

fn serde_json_line(e: &Event) -> String {
    format!("{e:?}")
}

#[test]
fn the_summarizer_reads_the_same_from_every_backend() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<_> = std::fs::read_dir(examples.join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(examples.join("manifests/shop.yaml"));
    files.sort();
    let mut outputs = Vec::new();
    for b in backends("the_summarizer_reads_the_same_from_every_backend") {
        let mut store = b.open();
        for f in &files {
            ingest_file(&mut store, f, &IngestOptions::default(), &mut |_| {}).unwrap();
        }
        let all = summaries(&mut store, (None, None));
        assert!(all.len() > 20, "{all:#?}");
        assert!(all.iter().any(|s| s.contains("/etc/nginx")), "{all:#?}");
        // A window that cuts the samples in two.
        let mut times: Vec<i64> = EventTable::ALL
            .iter()
            .flat_map(|t| store.events(*t, &EventQuery::default()).unwrap())
            .filter_map(|r| r.first_seen)
            .collect();
        times.sort();
        let mid = times[times.len() / 2];
        let windowed = summaries(&mut store, (Some(mid), None));
        assert_ne!(all, windowed, "the window leaves events out");
        outputs.push((b.name(), all, windowed));
    }
    if outputs.len() < 2 {
        println!("NOT RUN (the summarizer on PostgreSQL compared with SQLite): no server");
        return;
    }
    let (first, rest) = outputs.split_first().unwrap();
    for other in rest {
        assert_eq!(first.1, other.1, "{} vs {}", first.0, other.0);
        assert_eq!(first.2, other.2, "{} vs {} (windowed)", first.0, other.0);
    }
}

/// A reader opens and reads while a writer's transaction holds the write
/// lock and has written (flushed) rows it has not committed: it sees the
/// committed state at once and never waits; after the commit it sees all.
#[test]
fn readers_never_wait_for_a_writer() {
    each_backend("readers_never_wait_for_a_writer", |b| {
        let mut writer_store = b.open();
        write_all(&mut writer_store, &[exec("/bin/sh", "committed", Some(1))]);
        let mut w = writer_store.begin().unwrap();
        // More distinct rows than a flush holds: rows written, uncommitted.
        for i in 0..PendingRows::FLUSH_AT + 10 {
            w.add_event(&exec("/bin/sh", &format!("open-{i}"), Some(2)))
                .unwrap();
        }
        let backend = b.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = match &backend {
                // A writer holds SQLite's lock: a reader must not need it.
                Backend::Sqlite(p) => AnyStore::Sqlite(
                    kubescribe_events::store::SqliteStore::open_with(
                        p,
                        &kubescribe_events::store::SqliteOptions {
                            busy_timeout: std::time::Duration::from_millis(20),
                            ..Default::default()
                        },
                    )
                    .unwrap(),
                ),
                Backend::Postgres { .. } => backend.open(),
            };
            let counts = reader.counts().unwrap();
            let rows = reader
                .events(EventTable::Processes, &EventQuery::default())
                .unwrap()
                .len();
            tx.send((counts.processes, rows)).unwrap();
        });
        // Generous: a reader that waited for the writer would wait forever.
        let seen = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the reader waited for the writer");
        assert_eq!(seen, (1, 1), "only what was committed");
        w.commit().unwrap();
        let mut reader = b.open();
        assert_eq!(
            reader.counts().unwrap().processes,
            PendingRows::FLUSH_AT as u64 + 11
        );
    });
}
