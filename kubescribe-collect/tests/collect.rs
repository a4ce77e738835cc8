//! `collect` against in-process servers: a Hubble relay, Tetragon and the
//! two KubeArmor streams (tonic servers in the test) and Falco posting to the
//! listener, replaying the sample events (and the corpus's with
//! KUBESCRIBE_CORPUS), dropping connections, stalling and resuming with
//! repeats. Every distinct event sent is stored exactly once: the store
//! equals the one `ingest` makes from the same records as files, and every
//! record received is accounted for (stored, skipped, duplicate or dropped).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::server::{self, Cue, ResumeMode, Script};
use kubescribe_collect::proto::{self, hubble, kubearmor, tetragon};
use kubescribe_collect::{
    CollectOptions, CollectReport, OnFull, Source, SourceKind, SourceStats, Stop, collect,
};
use kubescribe_events::InputFormat;
use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteStore, StoreCounts};
use prost::Message;
use serde_json::Value;

fn hubble_messages() -> Vec<(i64, Bytes)> {
    let mut flows: Vec<(i64, hubble::GetFlowsResponse)> =
        common::samples("hubble", InputFormat::Hubble, true)
            .into_iter()
            .map(|v| {
                let m: hubble::GetFlowsResponse = serde_json::from_value(v).expect("a flow");
                let t = match &m.response {
                    Some(hubble::Response::Flow(f)) => f.time.or(m.time),
                    _ => m.time,
                };
                (t.map_or(0, |t| t.as_nanos()), m)
            })
            .collect();
    // Without the corpus the samples are a handful of flows: copies with
    // their own uuid, a second apart, give the drops and stalls below room.
    let base = flows.clone();
    let mut copy = 0i64;
    while flows.len() < 40 && !base.is_empty() {
        copy += 1;
        for (t, m) in &base {
            let mut m = m.clone();
            let t = t + copy * 1_000_000_000;
            if let Some(hubble::Response::Flow(f)) = &mut m.response {
                f.uuid = format!("copy-{copy}");
                f.time = Some(proto::Timestamp::from_nanos(t));
            }
            flows.push((t, m));
        }
    }
    // A relay streams in time order; resuming `since` a time relies on it.
    flows.sort_by_key(|(t, _)| *t);
    server::distinct(server::encode(&flows))
}

fn tetragon_messages() -> Vec<(i64, Bytes)> {
    let events: Vec<(i64, tetragon::GetEventsResponse)> =
        common::samples("tetragon", InputFormat::Tetragon, true)
            .into_iter()
            .filter_map(|v| serde_json::from_value::<tetragon::GetEventsResponse>(v).ok())
            // Kinds Tetragon's gRPC API has no member for (process_connect,
            // …) read as an empty event: not something a server sends.
            .filter(|m| m.event.is_some())
            .map(|m| (0, m))
            .collect();
    server::distinct(server::encode(&events))
}

fn kubearmor_messages(alerts: bool) -> Vec<(i64, Bytes)> {
    let mut records = common::samples("kubearmor", InputFormat::KubeArmor, true);
    records.extend(common::records_of(
        &common::root().join("examples/events/kubearmor-nginx.jsonl"),
        InputFormat::KubeArmor,
    ));
    let is_alert = |v: &Value| {
        v.get("Type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with("Matched"))
    };
    let mut chosen: Vec<Value> = records
        .iter()
        .filter(|v| is_alert(v) == alerts)
        .cloned()
        .collect();
    if chosen.is_empty() && alerts {
        // The samples without the corpus hold logs only: alerts made of them
        // (a policy matched the same operation).
        chosen = records
            .into_iter()
            .map(|mut v| {
                v["Type"] = Value::from("MatchedPolicy");
                v["PolicyName"] = Value::from("ksp-test");
                v["Action"] = Value::from("Block");
                v
            })
            .collect();
    }
    let mut out = Vec::new();
    for v in chosen {
        let bytes = if alerts {
            serde_json::from_value::<kubearmor::Alert>(v).map(|m| m.encode_to_vec())
        } else {
            serde_json::from_value::<kubearmor::Log>(v).map(|m| m.encode_to_vec())
        };
        out.push((0, Bytes::from(bytes.expect("a KubeArmor record"))));
    }
    server::distinct(out)
}

/// The JSON record the collector makes of a message (what a file of the
/// engine's export would hold).
fn as_json(kind: SourceKind, bytes: &[u8]) -> Value {
    match kind {
        SourceKind::Hubble => proto::to_json(&hubble::GetFlowsResponse::decode(bytes).unwrap()),
        SourceKind::Tetragon => {
            proto::to_json(&tetragon::GetEventsResponse::decode(bytes).unwrap())
        }
        SourceKind::KubeArmorLogs => proto::to_json(&kubearmor::Log::decode(bytes).unwrap()),
        SourceKind::KubeArmorAlerts => proto::to_json(&kubearmor::Alert::decode(bytes).unwrap()),
        SourceKind::Falco => serde_json::from_slice(bytes).unwrap(),
    }
}

/// What `ingest` makes of the same records read as a file.
fn expected_store(records: &[(SourceKind, Bytes)]) -> SqliteStore {
    let mut text = String::new();
    for (kind, bytes) in records {
        text.push_str(&as_json(*kind, bytes).to_string());
        text.push('\n');
    }
    let mut store = SqliteStore::open_in_memory().unwrap();
    kubescribe_events::ingest_reader(
        &mut store,
        "expected.jsonl",
        text.as_bytes(),
        &Default::default(),
        &mut |_| {},
    )
    .unwrap();
    store
}

/// The store's content: counts (ingested inputs aside) and every row with
/// its observation count.
fn snapshot(store: &mut dyn EventStore) -> (StoreCounts, Vec<Vec<(String, u64)>>) {
    let counts = StoreCounts {
        ingested_files: 0,
        ..store.counts().unwrap()
    };
    let tables = EventTable::ALL
        .iter()
        .map(|t| {
            let mut rows: Vec<(String, u64)> = store
                .events(*t, &EventQuery::default())
                .unwrap()
                .into_iter()
                .map(|r| (format!("{:?}", r.event), r.count))
                .collect();
            rows.sort();
            rows
        })
        .collect();
    (counts, tables)
}

fn accounted(s: &SourceStats) {
    assert_eq!(
        s.received,
        s.stored + s.skipped + s.duplicates + s.dropped,
        "{}: every record received is stored, skipped, a duplicate or dropped: {s:?}",
        s.name
    );
}

fn test_options() -> CollectOptions {
    CollectOptions {
        queue_records: 16,
        batch_records: 64,
        commit_interval: Duration::from_millis(20),
        progress_interval: Duration::from_millis(20),
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(100),
        connect_timeout: Duration::from_secs(5),
        ..CollectOptions::default()
    }
}

/// Collects until `done` says so (checked at every progress report), or
/// until a generous bound passes (then the assertions fail, saying what
/// arrived).
fn run(
    store: &mut dyn EventStore,
    sources: &[Source],
    options: &CollectOptions,
    mut on_report: impl FnMut(&CollectReport) -> bool,
) -> CollectReport {
    let stop = Stop::new();
    let finished = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let stop = stop.clone();
        let finished = finished.clone();
        std::thread::spawn(move || {
            for _ in 0..1200 {
                if finished.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            stop.stop();
        })
    };
    let stopper = stop.clone();
    let report = collect(store, sources, options, &stop, &mut |r| {
        if on_report(r) {
            stopper.stop();
        }
    })
    .expect("collect");
    finished.store(true, Ordering::SeqCst);
    watchdog.join().unwrap();
    assert!(report.done);
    report
}

// --- Falco: a plain HTTP/1.1 client ---------------------------------------

fn post(addr: SocketAddr, token: Option<&str>, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect to the listener");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "POST /falco HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Sends the headers and half the body, then closes: a post cut off.
fn post_cut(addr: SocketAddr, token: &str, body: &[u8]) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(&body[..body.len() / 2]).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Both);
}

struct FalcoPlan {
    /// Distinct records, as posted.
    records: Vec<Bytes>,
}

impl FalcoPlan {
    fn new() -> FalcoPlan {
        let values = common::samples("falco", InputFormat::Falco, true);
        let records: Vec<Bytes> = values
            .iter()
            .map(|v| Bytes::from(serde_json::to_vec(v).unwrap()))
            .collect();
        FalcoPlan {
            records: server::distinct(records.into_iter().map(|b: Bytes| (0, b)).collect())
                .into_iter()
                .map(|(_, b)| b)
                .collect(),
        }
    }

    /// Posts every record once, some twice (retries), the last two as one
    /// array, one with a wrong token and one cut off before its real post.
    /// Returns (posts refused, records re-sent).
    fn send(&self, addr: SocketAddr, token: &str) -> (u64, u64) {
        let n = self.records.len();
        let mut refused = 0;
        let mut again = 0;
        assert_eq!(post(addr, Some("wrong"), &self.records[0]), 401);
        refused += 1;
        post_cut(addr, token, &self.records[n / 2]);
        refused += 1;
        let singles = n.saturating_sub(2);
        for (i, r) in self.records[..singles].iter().enumerate() {
            assert_eq!(post(addr, Some(token), r), 200);
            if i % 5 == 0 {
                assert_eq!(
                    post(addr, Some(token), r),
                    200,
                    "a retried post is answered 200"
                );
                again += 1;
            }
        }
        let mut array = b"[".to_vec();
        array.extend_from_slice(&self.records[singles]);
        if n >= 2 {
            array.push(b',');
            array.extend_from_slice(&self.records[n - 1]);
        }
        array.push(b']');
        assert_eq!(post(addr, Some(token), &array), 200);
        assert_eq!(post(addr, Some(token), &self.records[singles]), 200);
        again += 1;
        (refused, again)
    }
}

#[test]
fn every_event_arrives_exactly_once_across_drops_stalls_and_reconnects() {
    let hubble_msgs = hubble_messages();
    let tetragon_msgs = tetragon_messages();
    let logs = kubearmor_messages(false);
    let alerts = kubearmor_messages(true);
    let falco = FalcoPlan::new();
    assert!(hubble_msgs.len() >= 4 && tetragon_msgs.len() >= 3);
    assert!(!logs.is_empty() && !alerts.is_empty() && falco.records.len() >= 3);

    let hubble_script = Script::new(
        hubble_msgs.clone(),
        vec![
            Cue::Drop { session: 0, at: 3 },
            Cue::Stall {
                session: 1,
                at: 1,
                ms: 150,
            },
            Cue::Drop { session: 1, at: 2 },
            Cue::Drop {
                session: 2,
                at: hubble_msgs.len() / 2,
            },
        ],
        ResumeMode::Since,
    );
    let tetragon_script = Script::new(
        tetragon_msgs.clone(),
        vec![
            Cue::Drop { session: 0, at: 2 },
            Cue::Stall {
                session: 1,
                at: 1,
                ms: 100,
            },
            Cue::Drop { session: 1, at: 3 },
        ],
        ResumeMode::Back(2),
    );
    let logs_script = Script::new(
        logs.clone(),
        vec![Cue::Drop { session: 0, at: 1 }],
        ResumeMode::Back(1),
    );
    let alerts_script = Script::new(
        alerts.clone(),
        vec![Cue::Drop { session: 0, at: 1 }],
        ResumeMode::Back(3),
    );
    let servers = [
        server::start(hubble_script.clone()),
        server::start(tetragon_script.clone()),
        server::start(logs_script.clone()),
        server::start(alerts_script.clone()),
    ];
    let grpc = |kind, i: usize| Source::Grpc {
        kind,
        endpoint: servers[i].addr.to_string(),
        tls: None,
    };
    let token = "s3cret";
    let sources = vec![
        grpc(SourceKind::Hubble, 0),
        grpc(SourceKind::Tetragon, 1),
        grpc(SourceKind::KubeArmorLogs, 2),
        grpc(SourceKind::KubeArmorAlerts, 3),
        Source::Falco {
            listen: "127.0.0.1:0".parse().unwrap(),
            token: Some(token.into()),
        },
    ];
    let expected = [
        hubble_msgs.len() as u64,
        tetragon_msgs.len() as u64,
        logs.len() as u64,
        alerts.len() as u64,
        falco.records.len() as u64,
    ];

    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    let client = std::thread::spawn({
        let falco = FalcoPlan {
            records: falco.records.clone(),
        };
        move || {
            let addr = addr_rx.recv().unwrap();
            falco.send(addr, token)
        }
    });
    let mut sent_addr = false;
    let mut store = SqliteStore::open_in_memory().unwrap();
    let report = run(&mut store, &sources, &test_options(), |r| {
        if !sent_addr && let Some(a) = r.sources[4].address {
            addr_tx.send(a).unwrap();
            sent_addr = true;
        }
        r.sources
            .iter()
            .zip(expected)
            .all(|(s, e)| s.stored + s.skipped >= e)
            && client.is_finished()
    });
    let (refused, again) = client.join().unwrap();

    for s in &report.sources {
        accounted(s);
        assert_eq!(s.dropped, 0, "{}: nothing dropped when blocking", s.name);
    }
    for (s, e) in report.sources.iter().zip(expected) {
        assert_eq!(
            s.stored + s.skipped,
            e,
            "{}: each distinct record once",
            s.name
        );
    }
    let [h, t, l, a, f] = &report.sources[..] else {
        unreachable!()
    };
    // Hubble was resumed `since` the last flow's time: the relay sent that
    // flow (at least) again, and it was recognised.
    assert!(h.disconnects >= 3 && h.connects >= 4, "{h:?}");
    assert!(h.duplicates >= 3, "{h:?}");
    assert!(t.disconnects >= 2 && t.duplicates >= 2, "{t:?}");
    assert!(l.disconnects >= 1 && a.disconnects >= 1, "{l:?} {a:?}");
    assert_eq!(f.rejected, refused, "{f:?}");
    assert_eq!(f.duplicates, again, "{f:?}");
    assert!(
        report.max_queued <= test_options().queue_records + test_options().batch_records,
        "memory bounded: {} records at most waited",
        report.max_queued
    );
    assert!(report.commits >= 2);

    let mut all = Vec::new();
    for (kind, msgs) in [
        (SourceKind::Hubble, &hubble_msgs),
        (SourceKind::Tetragon, &tetragon_msgs),
        (SourceKind::KubeArmorLogs, &logs),
        (SourceKind::KubeArmorAlerts, &alerts),
    ] {
        all.extend(msgs.iter().map(|(_, b)| (kind, b.clone())));
    }
    all.extend(falco.records.iter().map(|b| (SourceKind::Falco, b.clone())));
    let mut want = expected_store(&all);
    assert_eq!(snapshot(&mut store), snapshot(&mut want));
    assert!(snapshot(&mut store).0.observations > 0);
}

#[test]
fn a_store_that_falls_behind_drops_and_counts_under_the_drop_policy() {
    // 3,000 distinct flows (the samples with their node renamed), a queue of
    // 4, and a writer held up 20 ms at every progress report (the callback
    // runs on the writer's thread): the store falls behind.
    let base: Vec<hubble::GetFlowsResponse> = hubble_messages()
        .iter()
        .map(|(_, b)| hubble::GetFlowsResponse::decode(b.as_ref()).unwrap())
        .collect();
    let msgs: Vec<(i64, Bytes)> = (0..3_000)
        .map(|i| {
            let mut m = base[i % base.len()].clone();
            m.node_name = format!("node-{i}");
            (0, Bytes::from(m.encode_to_vec()))
        })
        .collect();
    let script = Script::new(msgs.clone(), vec![], ResumeMode::Since);
    let srv = server::start(script.clone());
    let sources = vec![Source::Grpc {
        kind: SourceKind::Hubble,
        endpoint: format!("http://{}", srv.addr),
        tls: None,
    }];
    let options = CollectOptions {
        queue_records: 4,
        batch_records: 8,
        on_full: OnFull::Drop,
        ..test_options()
    };
    let mut store = SqliteStore::open_in_memory().unwrap();
    let report = run(&mut store, &sources, &options, |r| {
        std::thread::sleep(Duration::from_millis(20));
        let s = &r.sources[0];
        s.received == msgs.len() as u64 && r.queued == 0
    });
    let s = &report.sources[0];
    accounted(s);
    assert_eq!(s.received, msgs.len() as u64);
    assert!(s.dropped > 0, "the queue overflowed: {s:?}");
    assert!(s.stored > 0, "{s:?}");
    // What was not dropped is in the store, once.
    let (counts, _) = snapshot(&mut store);
    assert_eq!(counts.observations, s.events, "{s:?}");
}

#[test]
fn a_restarted_collection_resumes_hubble_from_the_store_without_repeats() {
    let msgs = hubble_messages();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("collect.db");
    let half = (msgs.len() / 2) as u64;
    let script = Script::new(
        msgs.clone(),
        vec![Cue::Stall {
            session: 0,
            at: half as usize,
            ms: 300,
        }],
        ResumeMode::Since,
    );
    let srv = server::start(script.clone());
    let sources = vec![Source::Grpc {
        kind: SourceKind::Hubble,
        endpoint: srv.addr.to_string(),
        tls: None,
    }];
    let first = {
        let mut store = SqliteStore::open(&path).unwrap();
        run(&mut store, &sources, &test_options(), |r| {
            r.sources[0].stored + r.sources[0].skipped >= half
        })
    };
    let got = first.sources[0].stored + first.sources[0].skipped;
    assert!(
        got >= half && got < msgs.len() as u64,
        "stopped midway: {got}"
    );
    let second = {
        let mut store = SqliteStore::open(&path).unwrap();
        run(&mut store, &sources, &test_options(), |r| {
            got + r.sources[0].stored + r.sources[0].skipped >= msgs.len() as u64
        })
    };
    let s = &second.sources[0];
    accounted(s);
    assert_eq!(got + s.stored + s.skipped, msgs.len() as u64, "{s:?}");
    // The second run was sent the last instant's flows again and recognised
    // them from the store's resume point.
    assert!(s.duplicates >= 1, "{s:?}");
    let mut store = SqliteStore::open(&path).unwrap();
    let all: Vec<_> = msgs
        .iter()
        .map(|(_, b)| (SourceKind::Hubble, b.clone()))
        .collect();
    let mut want = expected_store(&all);
    assert_eq!(snapshot(&mut store), snapshot(&mut want));
}
