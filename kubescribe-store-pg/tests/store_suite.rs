//! The store test suite, run on every backend (SQLite; PostgreSQL when
//! `KUBESCRIBE_TEST_POSTGRES` names a server, `NOT RUN` otherwise): ingestion
//! of Falco, Tetragon, KubeArmor and Hubble events and Kubernetes manifests,
//! bad input, idempotency, deduplication, queries, validity tags and
//! concurrent writers (threads and processes).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteStore};
use kubescribe_store_pg::AnyStore;

mod backends;
use backends::{Backend, each_backend};
use kubescribe_events::{
    Direction, EventKind, FileOperation, IngestOptions, IngestSummary, ProcessAction, SkipReason,
    SyscallKind, Validity, ingest_file,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubescribe-events/tests/fixtures/events")
        .join(name)
}

fn ingest(store: &mut AnyStore, path: &Path) -> IngestSummary {
    let mut calls = 0;
    let sum = ingest_file(store, path, &IngestOptions::default(), &mut |_| calls += 1)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        calls >= 1 || sum.files_already_ingested == 1,
        "progress callback never called"
    );
    assert_eq!(
        sum.records_read,
        sum.records_stored + sum.records_skipped(),
        "{sum:#?}"
    );
    sum
}

fn kinds(sum: &IngestSummary) -> BTreeMap<&str, u64> {
    sum.events_stored
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect()
}

fn sel(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn falco_sample() {
    each_backend("falco_sample", falco_sample_on);
}

fn falco_sample_on(b: &Backend) {
    let mut store = b.open();
    let sum = ingest(&mut store, &fixture("falco.jsonl"));
    assert_eq!((sum.records_read, sum.records_stored), (6, 5));
    assert_eq!(
        sum.skipped,
        BTreeMap::from([(SkipReason::NotRuntimeActivity, 1)])
    );
    assert_eq!(sum.errors[0].line, 5);
    assert_eq!(
        kinds(&sum),
        BTreeMap::from([("file", 2), ("network", 1), ("process", 5)])
    );
    let procs = store
        .events(EventTable::Processes, &EventQuery::default())
        .unwrap();
    assert_eq!(procs.len(), 4);
    let bash = &procs[0];
    assert_eq!(bash.count, 2);
    assert_eq!(bash.first_seen, Some(1_740_830_401_000_000_001));
    assert_eq!(bash.last_seen, Some(1_740_830_411_000_000_000));
    assert_eq!(bash.event.pod.namespace.as_deref(), Some("shop"));
    assert_eq!(bash.event.pod.labels, sel(&[("app", "web")]));
    let EventKind::Process(p) = &bash.event.kind else {
        panic!()
    };
    assert_eq!(
        (
            p.binary.as_str(),
            p.args.as_deref(),
            p.parent.as_deref(),
            p.uid
        ),
        ("/usr/bin/bash", Some("-il"), Some("runc"), Some(0))
    );
    let files = store
        .events(EventTable::Files, &EventQuery::default())
        .unwrap();
    let ops: BTreeMap<String, FileOperation> = files
        .iter()
        .map(|f| match &f.event.kind {
            EventKind::File(x) => (x.path.clone(), x.operation),
            _ => panic!(),
        })
        .collect();
    assert_eq!(ops["/etc/shadow"], FileOperation::Read);
    assert_eq!(ops["/usr/bin/evil"], FileOperation::Write);
    let flows = store
        .events(EventTable::Flows, &EventQuery::default())
        .unwrap();
    let EventKind::Network(n) = &flows[0].event.kind else {
        panic!()
    };
    assert_eq!(n.direction, Direction::Egress);
    assert_eq!(
        (n.protocol.as_str(), n.remote_ip.as_deref(), n.remote_port),
        ("TCP", Some("10.96.0.1"), Some(443))
    );
    assert_eq!(n.process.as_deref(), Some("/usr/bin/curl"));
}

#[test]
fn tetragon_sample() {
    each_backend("tetragon_sample", tetragon_sample_on);
}

fn tetragon_sample_on(b: &Backend) {
    let mut store = b.open();
    let sum = ingest(&mut store, &fixture("tetragon.jsonl"));
    assert_eq!((sum.records_read, sum.records_stored), (7, 6));
    assert_eq!(
        sum.skipped,
        BTreeMap::from([(SkipReason::NotRuntimeActivity, 1)])
    );
    assert_eq!(
        kinds(&sum),
        BTreeMap::from([("file", 1), ("network", 1), ("process", 2), ("syscall", 2)])
    );
    let procs = store
        .events(EventTable::Processes, &EventQuery::default())
        .unwrap();
    let actions: Vec<ProcessAction> = procs
        .iter()
        .map(|p| match &p.event.kind {
            EventKind::Process(x) => x.action,
            _ => panic!(),
        })
        .collect();
    assert!(actions.contains(&ProcessAction::Exec) && actions.contains(&ProcessAction::Exit));
    let exec = procs
        .iter()
        .find(|p| matches!(&p.event.kind, EventKind::Process(x) if x.action == ProcessAction::Exec))
        .unwrap();
    let EventKind::Process(x) = &exec.event.kind else {
        panic!()
    };
    assert_eq!(x.args.as_deref(), Some("-g \"daemon off;\""));
    assert_eq!(
        x.parent.as_deref(),
        Some("/usr/bin/containerd-shim-runc-v2")
    );
    assert_eq!(exec.event.pod.node.as_deref(), Some("node-b"));
    assert_eq!(exec.event.pod.container.as_deref(), Some("nginx"));
    let files = store
        .events(EventTable::Files, &EventQuery::default())
        .unwrap();
    let EventKind::File(f) = &files[0].event.kind else {
        panic!()
    };
    assert_eq!(
        (f.path.as_str(), f.operation, f.syscall.as_deref()),
        (
            "/etc/nginx/nginx.conf",
            FileOperation::Read,
            Some("security_file_permission")
        )
    );
    let sys = store
        .events(EventTable::Syscalls, &EventQuery::default())
        .unwrap();
    let mut names: Vec<(SyscallKind, String)> = sys
        .iter()
        .map(|s| match &s.event.kind {
            EventKind::Syscall(x) => (x.kind, x.name.clone()),
            _ => panic!(),
        })
        .collect();
    names.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        names,
        vec![
            (SyscallKind::Capability, "CAP_NET_BIND_SERVICE".to_string()),
            (SyscallKind::Syscall, "__x64_sys_setuid".to_string())
        ]
    );
}

#[test]
fn kubearmor_samples_line_json_and_pretty_json() {
    each_backend(
        "kubearmor_samples_line_json_and_pretty_json",
        kubearmor_samples_line_json_and_pretty_json_on,
    );
}

fn kubearmor_samples_line_json_and_pretty_json_on(b: &Backend) {
    let mut store = b.open();
    let sum = ingest(&mut store, &fixture("kubearmor.jsonl"));
    assert_eq!(
        (sum.records_read, sum.records_stored),
        (7, 7),
        "{:?}",
        sum.errors
    );
    assert_eq!(
        kinds(&sum),
        BTreeMap::from([("file", 2), ("network", 1), ("process", 2), ("syscall", 2)])
    );
    let pretty = ingest(&mut store, &fixture("kubearmor-pretty.json"));
    assert_eq!((pretty.records_read, pretty.records_stored), (1, 1));
    let files = store
        .events(
            EventTable::Files,
            &EventQuery {
                namespace: Some("shop".into()),
                selector: sel(&[("app", "db")]),
                ..EventQuery::default()
            },
        )
        .unwrap();
    let ops: BTreeMap<String, FileOperation> = files
        .iter()
        .map(|f| match &f.event.kind {
            EventKind::File(x) => (x.path.clone(), x.operation),
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        ops,
        BTreeMap::from([
            ("/etc/mysql/my.cnf".to_string(), FileOperation::Read),
            ("/run/secrets/db-password".to_string(), FileOperation::Read),
            ("/var/lib/mysql/ibdata1".to_string(), FileOperation::Write),
        ])
    );
    let blocked: Vec<_> = store
        .events(EventTable::Processes, &EventQuery::default())
        .unwrap()
        .into_iter()
        .filter(|p| p.event.result.as_deref() == Some("Permission denied"))
        .collect();
    assert_eq!(blocked.len(), 1);
    let flows = store
        .events(EventTable::Flows, &EventQuery::default())
        .unwrap();
    let EventKind::Network(n) = &flows[0].event.kind else {
        panic!()
    };
    assert_eq!((n.direction, n.local_port), (Direction::Listen, Some(3306)));
}

#[test]
fn hubble_sample_dedups_replies_and_ephemeral_ports() {
    each_backend(
        "hubble_sample_dedups_replies_and_ephemeral_ports",
        hubble_sample_dedups_replies_and_ephemeral_ports_on,
    );
}

fn hubble_sample_dedups_replies_and_ephemeral_ports_on(b: &Backend) {
    let mut store = b.open();
    let sum = ingest(&mut store, &fixture("hubble.jsonl"));
    assert_eq!((sum.records_read, sum.records_stored), (6, 5));
    assert_eq!(
        sum.skipped,
        BTreeMap::from([(SkipReason::UnknownEventType, 1)])
    );
    assert_eq!(sum.errors[0].line, 6);
    let flows = store
        .events(EventTable::Flows, &EventQuery::default())
        .unwrap();
    assert_eq!(flows.len(), 3);
    assert_eq!(flows[0].count, 3);
    let EventKind::Network(n) = &flows[0].event.kind else {
        panic!()
    };
    assert_eq!(n.remote_port, Some(6379));
    assert_eq!(n.local_port, None);
    let peer = n.peer.as_ref().unwrap();
    assert_eq!(peer.labels, sel(&[("app", "cache")]));
    // Cilium's policy labels are identity labels Cilium selectors match on: kept.
    assert_eq!(
        flows[0].event.pod.labels,
        sel(&[
            ("app", "web"),
            ("io.cilium.k8s.policy.cluster", "default"),
            ("tier", "frontend")
        ])
    );
    // By peer.
    let to_cache = store
        .events(
            EventTable::Flows,
            &EventQuery {
                peer_namespace: Some("shop".into()),
                peer_selector: sel(&[("app", "cache")]),
                ..EventQuery::default()
            },
        )
        .unwrap();
    assert_eq!(to_cache.len(), 1);
    let dns: Vec<_> = flows
        .iter()
        .filter_map(|f| match &f.event.kind {
            EventKind::Network(n) => n.dns_name.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(dns, vec!["api.example.com".to_string()]);
    let dropped = flows
        .iter()
        .find(|f| f.event.result.as_deref() == Some("DROPPED"))
        .unwrap();
    let EventKind::Network(n) = &dropped.event.kind else {
        panic!()
    };
    assert_eq!((n.direction, n.local_port), (Direction::Ingress, Some(22)));
    assert!(
        n.peer
            .as_ref()
            .unwrap()
            .labels
            .contains_key("reserved:world")
    );
}

#[test]
fn manifests_become_workloads() {
    each_backend("manifests_become_workloads", manifests_become_workloads_on);
}

fn manifests_become_workloads_on(b: &Backend) {
    let mut store = b.open();
    let sum = ingest(&mut store, &fixture("workloads.yaml"));
    assert_eq!((sum.records_read, sum.records_stored), (6, 5));
    assert_eq!(sum.workloads_stored, 5);
    assert_eq!(sum.errors[0].reason, SkipReason::NotRuntimeActivity);
    assert!(sum.errors[0].message.contains("ConfigMap"));
    let web = store
        .workloads(Some("shop"), &sel(&[("app", "web")]))
        .unwrap();
    let names: Vec<(String, String)> = web
        .iter()
        .map(|w| (w.kind.clone(), w.name.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("Deployment".into(), "web".into()),
            ("Service".into(), "web".into())
        ]
    );
    assert_eq!(web[0].ports[0].port, 8080);
    assert_eq!(web[1].ports[0].port, 80);
    assert_eq!(web[1].ports[0].target_port.as_deref(), Some("http"));
    let agent = store
        .workloads(Some("monitoring"), &BTreeMap::new())
        .unwrap();
    assert_eq!(agent[0].ports.len(), 2);
    assert_eq!(agent[0].ports[1].protocol, "UDP");
    let debug = store
        .workloads(Some("default"), &sel(&[("run", "debug")]))
        .unwrap();
    assert_eq!(debug[0].kind, "Pod");
    assert_eq!(store.workloads(None, &BTreeMap::new()).unwrap().len(), 5);
}

#[test]
fn queries_validity_and_idempotent_reingestion() {
    each_backend(
        "queries_validity_and_idempotent_reingestion",
        queries_validity_and_idempotent_reingestion_on,
    );
}

fn queries_validity_and_idempotent_reingestion_on(b: &Backend) {
    let mut store = b.open();
    let names = [
        "falco.jsonl",
        "tetragon.jsonl",
        "kubearmor.jsonl",
        "kubearmor-pretty.json",
        "hubble.jsonl",
        "workloads.yaml",
    ];
    for n in names {
        ingest(&mut store, &fixture(n));
    }
    let before = store.counts().unwrap();
    assert_eq!(before.ingested_files, 6);
    for n in names {
        let again = ingest(&mut store, &fixture(n));
        assert_eq!((again.files_already_ingested, again.records_read), (1, 0));
    }
    drop(store);
    let mut store = b.open();
    assert_eq!(store.counts().unwrap(), before);

    // Path prefix (a range on the path index).
    let etc = store
        .events(
            EventTable::Files,
            &EventQuery {
                path_prefix: Some("/etc/".into()),
                ..EventQuery::default()
            },
        )
        .unwrap();
    let mut paths: Vec<String> = etc
        .iter()
        .map(|f| match &f.event.kind {
            EventKind::File(x) => x.path.clone(),
            _ => panic!(),
        })
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/etc/mysql/my.cnf", "/etc/nginx/nginx.conf", "/etc/shadow"]
    );
    if let AnyStore::Sqlite(s) = &store {
        let plan: String = s
            .connection()
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM files WHERE path >= '/etc/' AND path < '/etc0'",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("files_by_path"), "{plan}");
    }

    // Namespace + label selector.
    let web = |store: &mut AnyStore, s: &[(&str, &str)]| {
        store
            .events(
                EventTable::Processes,
                &EventQuery {
                    namespace: Some("shop".into()),
                    selector: sel(s),
                    ..EventQuery::default()
                },
            )
            .unwrap()
    };
    assert_eq!(web(&mut store, &[("app", "web")]).len(), 6);
    assert_eq!(
        web(&mut store, &[("app", "web"), ("tier", "frontend")]).len(),
        2
    );
    assert_eq!(web(&mut store, &[("app", "nope")]).len(), 0);

    // Validity tags.
    let row = web(&mut store, &[("app", "web"), ("tier", "frontend")])[0].clone();
    assert_eq!(row.event.validity, Validity::Unreviewed);
    assert!(
        store
            .set_validity(EventTable::Processes, row.id, Validity::Denied)
            .unwrap()
    );
    assert!(
        !store
            .set_validity(EventTable::Processes, 999_999, Validity::Approved)
            .unwrap()
    );
    let denied = store
        .events(
            EventTable::Processes,
            &EventQuery {
                validity: Some(Validity::Denied),
                ..EventQuery::default()
            },
        )
        .unwrap();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].id, row.id);
    assert_eq!(denied[0].event.validity, Validity::Denied);
}

fn write_lines(path: &Path, lines: impl IntoIterator<Item = Vec<u8>>) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for l in lines {
        f.write_all(&l).unwrap();
        f.write_all(b"\n").unwrap();
    }
}

#[test]
fn bad_input_is_reported_per_line_and_counted_exactly() {
    each_backend(
        "bad_input_is_reported_per_line_and_counted_exactly",
        bad_input_is_reported_per_line_and_counted_exactly_on,
    );
}

fn bad_input_is_reported_per_line_and_counted_exactly_on(b: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    let falco = std::fs::read_to_string(fixture("falco.jsonl")).unwrap();
    let kubearmor = std::fs::read_to_string(fixture("kubearmor.jsonl")).unwrap();
    let hubble = std::fs::read_to_string(fixture("hubble.jsonl")).unwrap();
    let mut huge = b"{\"output_fields\": {\"proc.cmdline\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    huge.extend(b"\"}}");
    let lines: Vec<Vec<u8>> = vec![
        falco.lines().next().unwrap().into(),                                         // 1 ok
        br#"{"output": "x", "rule": "r", "output_fields": {"proc.name": "sh""#.to_vec(), // 2 truncated
        br#"{"process_exec": {"process": {"binary": 42}}, "time": "2025-03-01T00:00:00Z"}"#.to_vec(), // 3 wrong type
        huge,                                                                         // 4 10 MB
        br#"{"process_teleport": {"process": {"binary": "/x"}}}"#.to_vec(),           // 5 unknown type
        kubearmor.lines().nth(1).unwrap().into(),                                     // 6 ok
        hubble.lines().next().unwrap().into(),                                        // 7 ok
        b"not json at all".to_vec(),                                                  // 8 malformed
        b"[1, 2, 3]".to_vec(),                                                        // 9 unknown format
        br#"{"foo": 1}"#.to_vec(),                                                    // 10 unknown format
        Vec::new(),                                                                   // 11 blank
        br#"{"Type": "Alert", "Operation": "File", "Resource": "/x"}"#.to_vec(),      // 12 unknown type
        b"{\"a\": \"\xff\xfe\"}".to_vec(),                                            // 13 not UTF-8
        b"{".to_vec(),                                                                // 14 pretty, ok
        br#"  "process_kprobe": {"process": {"binary": "/bin/true"}, "function_name": "__x64_sys_sync"},"#.to_vec(),
        br#"  "time": "2025-03-01T00:00:00Z""#.to_vec(),
        b"}".to_vec(),
        b"{".to_vec(),                                                                // 18 truncated pretty
        br#"  "flow": {"verdict": "FORWARDED""#.to_vec(),
    ];
    write_lines(&path, lines);
    let mut store = b.open();
    let sum = ingest(&mut store, &path);
    assert_eq!(sum.records_read, 14, "{:#?}", sum.errors);
    assert_eq!(sum.records_stored, 4);
    assert_eq!(
        sum.skipped,
        BTreeMap::from([
            (SkipReason::TooLong, 1),
            (SkipReason::NotUtf8, 1),
            (SkipReason::MalformedJson, 1),
            (SkipReason::Truncated, 2),
            (SkipReason::UnknownFormat, 2),
            (SkipReason::UnknownEventType, 2),
            (SkipReason::InvalidField, 1),
        ])
    );
    let at: Vec<(usize, SkipReason)> = sum.errors.iter().map(|e| (e.line, e.reason)).collect();
    assert_eq!(
        at,
        vec![
            (2, SkipReason::Truncated),
            (3, SkipReason::InvalidField),
            (4, SkipReason::TooLong),
            (5, SkipReason::UnknownEventType),
            (8, SkipReason::MalformedJson),
            (9, SkipReason::UnknownFormat),
            (10, SkipReason::UnknownFormat),
            (12, SkipReason::UnknownEventType),
            (13, SkipReason::NotUtf8),
            (18, SkipReason::Truncated),
        ]
    );
    let shown = sum.errors[1].to_string();
    assert!(
        shown.starts_with(&format!("{}:3: invalid-field: ", path.display())),
        "{shown}"
    );
    assert!(shown.contains("binary"), "{shown}");
    assert_eq!(sum.formats.get("falco"), Some(&1));
    assert_eq!(sum.formats.get("tetragon"), Some(&3));
    let c = store.counts().unwrap();
    assert_eq!((c.processes, c.files, c.flows, c.syscalls), (1, 1, 1, 1));
}

#[test]
fn concurrent_writers_lose_nothing() {
    each_backend(
        "concurrent_writers_lose_nothing",
        concurrent_writers_lose_nothing_on,
    );
}

fn concurrent_writers_lose_nothing_on(backend: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    // Two files of distinct events, and one file both writers ingest.
    let make = |name: &str, tag: &str, n: usize| {
        let path = dir.path().join(name);
        write_lines(
            &path,
            (0..n).map(|i| {
                format!(
                    r#"{{"rule":"r","priority":"Notice","output":"o","source":"syscall","output_fields":{{"evt.time":{i},"k8s.ns.name":"ns","k8s.pod.name":"p-{tag}","proc.exepath":"/bin/{tag}-{i}","proc.cmdline":"{tag}-{i} --run"}}}}"#
                )
                .into_bytes()
            }),
        );
        path
    };
    let a = make("a.jsonl", "a", 3000);
    let b = make("b.jsonl", "b", 3000);
    let common = make("c.jsonl", "c", 500);
    backend.open();
    let handles: Vec<_> = [a, b]
        .into_iter()
        .map(|own| {
            let backend = backend.clone();
            let common = common.clone();
            std::thread::spawn(move || {
                let mut store = backend.open();
                let mut sum = IngestSummary::default();
                for f in [&own, &common] {
                    let s =
                        ingest_file(&mut store, f, &IngestOptions::default(), &mut |_| {}).unwrap();
                    sum.merge(&s, 10);
                }
                sum
            })
        })
        .collect();
    let sums: Vec<IngestSummary> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let stored: u64 = sums.iter().map(|s| s.records_stored).sum();
    let already: u64 = sums.iter().map(|s| s.files_already_ingested).sum();
    assert_eq!(already, 1, "the common file is ingested exactly once");
    assert_eq!(stored, 6500);
    let mut store = backend.open();
    let c = store.counts().unwrap();
    assert_eq!(
        (c.processes, c.observations, c.ingested_files),
        (6500, 6500, 3)
    );
}

/// Four OS processes (this test binary, re-run as children) ingest into one
/// store at the same time while this one reads it: every read opens
/// without waiting for the writers (SQLite: a 20 ms busy timeout would fail
/// it; PostgreSQL: readers take no lock) and sees whole files only, and at
/// the end nothing is lost or counted twice.
#[test]
fn concurrent_processes_lose_nothing() {
    if let (Ok(backend), Some(file)) = (
        std::env::var("KS_INGEST_CHILD_STORE"),
        std::env::var_os("KS_INGEST_CHILD_FILE"),
    ) {
        let mut store = Backend::decode(&backend).open();
        let s = ingest_file(
            &mut store,
            Path::new(&file),
            &IngestOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(s.records_stored, 4000);
        return;
    }
    each_backend(
        "concurrent_processes_lose_nothing",
        concurrent_processes_lose_nothing_on,
    );
}

fn concurrent_processes_lose_nothing_on(b: &Backend) {
    let dir = tempfile::tempdir().unwrap();
    b.open();
    let tags = ["w", "x", "y", "z"];
    let mut children: Vec<_> = tags
        .iter()
        .map(|tag| {
            let path = dir.path().join(format!("{tag}.jsonl"));
            write_lines(
                &path,
                (0..4000).map(|i| {
                    format!(
                        r#"{{"process_exec":{{"process":{{"binary":"/bin/{tag}-{i}","pod":{{"namespace":"ns","name":"p-{tag}"}}}}}},"time":"2025-03-01T00:00:00Z"}}"#
                    )
                    .into_bytes()
                }),
            );
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["concurrent_processes_lose_nothing", "--exact", "--test-threads=1"])
                .env("KS_INGEST_CHILD_STORE", b.encode())
                .env("KS_INGEST_CHILD_FILE", &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let reader_options = kubescribe_events::store::SqliteOptions {
        busy_timeout: std::time::Duration::from_millis(20),
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let done = children.iter_mut().all(|c| c.try_wait().unwrap().is_some());
        let mut reader = match b {
            Backend::Sqlite(db) => AnyStore::Sqlite(
                SqliteStore::open_with(db, &reader_options)
                    .expect("a reader opens while the writers write"),
            ),
            Backend::Postgres { .. } => b.open(),
        };
        let c = reader.counts().unwrap();
        assert_eq!(c.observations % 4000, 0, "a file half seen: {c:?}");
        assert_eq!(c.observations / 4000, c.ingested_files, "{c:?}");
        assert!(seen.last().is_none_or(|&l| l <= c.observations));
        seen.push(c.observations);
        if done {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for mut c in children {
        assert!(c.wait().unwrap().success(), "child ingestion failed");
    }
    let mut store = b.open();
    let c = store.counts().unwrap();
    assert_eq!(
        (c.processes, c.observations, c.ingested_files),
        (16000, 16000, 4)
    );
}

/// A long stream, read on the parse thread and written on the caller's in
/// many batches: counts, the skipped lines (in order), progress reports and
/// the stored rows are those of reading it record by record.
#[test]
fn a_stream_of_many_batches_is_counted_reported_and_stored_in_order() {
    each_backend(
        "a_stream_of_many_batches_is_counted_reported_and_stored_in_order",
        a_stream_of_many_batches_is_counted_reported_and_stored_in_order_on,
    );
}

fn a_stream_of_many_batches_is_counted_reported_and_stored_in_order_on(b: &Backend) {
    let n = 5_000usize;
    let mut text = String::new();
    for i in 1..=n {
        if i % 7 == 0 {
            text.push_str("not json\n");
        } else if i % 1_000 == 0 {
            text.push_str(&format!(
                r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"w{i}","namespace":"shop"}},"spec":{{"template":{{"metadata":{{"labels":{{"app":"w{i}"}}}}}}}}}}"#
            ));
            text.push('\n');
        } else {
            // Every third line repeats an earlier one's row.
            let job = if i % 3 == 0 { i - 1 } else { i };
            text.push_str(&format!(
                r#"{{"rule":"r","priority":"Notice","output_fields":{{"evt.time":{i},"evt.type":"execve","proc.exepath":"/bin/sh","proc.cmdline":"sh -c job-{job}","k8s.ns.name":"shop","k8s.pod.name":"web-0"}}}}"#
            ));
            text.push('\n');
        }
    }
    let options = IngestOptions {
        progress_every: 100,
        max_errors_kept: 10_000,
        ..IngestOptions::default()
    };
    let mut reports = Vec::new();
    let mut store = b.open();
    let sum = kubescribe_events::ingest_reader(
        &mut store,
        "many.jsonl",
        text.as_bytes(),
        &options,
        &mut |p| reports.push((p.records_read, p.bytes_read)),
    )
    .unwrap();
    let malformed = n / 7;
    let workloads = (1..=n).filter(|i| i % 1_000 == 0 && i % 7 != 0).count();
    assert_eq!(sum.records_read, n as u64);
    assert_eq!(sum.records_skipped(), malformed as u64);
    assert_eq!(sum.workloads_stored, workloads as u64);
    let events = (n - malformed - workloads) as u64;
    assert_eq!(sum.events_stored.get("process"), Some(&events));
    let lines: Vec<usize> = sum.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, (7..=n).step_by(7).collect::<Vec<_>>());
    // A report every 100 records, as a sequential run makes them, then the last.
    let expected: Vec<u64> = (100..=n as u64).step_by(100).chain([n as u64]).collect();
    assert_eq!(reports.iter().map(|r| r.0).collect::<Vec<_>>(), expected);
    assert!(reports.windows(2).all(|w| w[0].1 <= w[1].1));
    assert_eq!(reports.last().unwrap().1, text.len() as u64);
    let c = store.counts().unwrap();
    assert_eq!(c.observations, events);
    assert_eq!(c.workloads, workloads as u64);
    // Rows in first-seen order: ids follow the jobs' first lines.
    let rows = store
        .events(EventTable::Processes, &EventQuery::default())
        .unwrap();
    let mut by_id: Vec<(i64, String, u64)> = rows
        .iter()
        .map(|r| match &r.event.kind {
            EventKind::Process(p) => (r.id, p.args.clone().unwrap_or_default(), r.count),
            _ => unreachable!(),
        })
        .collect();
    by_id.sort();
    let jobs: Vec<usize> = by_id
        .iter()
        .map(|(_, a, _)| a.trim_start_matches("-c job-").parse().unwrap())
        .collect();
    assert!(jobs.windows(2).all(|w| w[0] < w[1]), "first-seen order");
    assert_eq!(
        by_id.iter().map(|r| r.2).sum::<u64>(),
        events,
        "every event counted once"
    );
}

/// A reader failing mid-stream stops ingestion with the error; nothing of
/// the input is committed.
#[test]
fn a_read_error_on_the_parse_thread_is_returned_and_nothing_is_kept() {
    each_backend(
        "a_read_error_on_the_parse_thread_is_returned_and_nothing_is_kept",
        a_read_error_on_the_parse_thread_is_returned_and_nothing_is_kept_on,
    );
}

fn a_read_error_on_the_parse_thread_is_returned_and_nothing_is_kept_on(b: &Backend) {
    struct Failing {
        data: Vec<u8>,
        at: usize,
    }
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.at >= self.data.len() {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.data.len() - self.at).min(4096);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }
    let line = std::fs::read_to_string(fixture("falco.jsonl")).unwrap();
    let line = line.lines().next().unwrap();
    let data = format!("{line}\n").repeat(3_000).into_bytes();
    let mut store = b.open();
    let err = kubescribe_events::ingest_reader(
        &mut store,
        "failing.jsonl",
        Failing { data, at: 0 },
        &IngestOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    let c = store.counts().unwrap();
    assert_eq!((c.observations, c.ingested_files), (0, 0));
}
