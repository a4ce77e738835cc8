//! Throughput of `collect` into a store: an in-process Hubble relay (the
//! test server) streams N distinct flows (the sample flows of
//! examples/events/hubble.jsonl, each with its own uuid and time, as a busy
//! relay repeats the same behaviour), collected until all are stored.
//!
//!   cargo run --release -p kubescribe-collect --example collect_throughput -- 300000 [STORE]
//!
//! STORE: an SQLite file (must not exist yet; default a temporary one) or a
//! PostgreSQL URL (`postgres://user@host:port/db`, as `kubescribe collect
//! --store` takes it: the store goes in a fresh schema, `bench_<pid>`).
//!
//! With `--serve PORT` it only serves the flows (follow: the stream stays
//! open) for trying `kubescribe collect --hubble 127.0.0.1:PORT` by hand.

#[path = "../tests/common/server.rs"]
mod server;

/// The CLI's allocator (kubescribe-cli's main.rs), so the numbers are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use bytes::Bytes;
use kubescribe_collect::proto::{Timestamp, hubble};
use kubescribe_collect::{CollectOptions, Source, SourceKind, Stop, collect};
use kubescribe_events::store::EventStore;
use kubescribe_store_pg::{AnyStore, PgOptions, PgStore, StoreLocation};
use prost::Message;

fn flows(n: usize) -> Vec<(i64, Bytes)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/events/hubble.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("examples/events/hubble.jsonl");
    let base: Vec<hubble::GetFlowsResponse> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a flow"))
        .collect();
    let t0 = 1_700_000_000_000_000_000i64;
    (0..n)
        .map(|i| {
            let mut m = base[i % base.len()].clone();
            let t = t0 + i as i64 * 1_000;
            if let Some(hubble::Response::Flow(f)) = &mut m.response {
                f.uuid = format!("flow-{i}");
                f.time = Some(Timestamp::from_nanos(t));
            }
            (t, Bytes::from(m.encode_to_vec()))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(4245);
        let n: usize = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(100_000);
        let script = server::Script::new(flows(n), vec![], server::ResumeMode::Since);
        let srv = server::start_on(script, ([127, 0, 0, 1], port).into());
        eprintln!("serving {n} flows on {} (Ctrl-C ends)", srv.addr);
        loop {
            std::thread::park();
        }
    }
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let msgs = flows(n);
    let bytes: usize = msgs.iter().map(|(_, b)| b.len()).sum();
    let script = server::Script::new(msgs, vec![], server::ResumeMode::Since);
    let srv = server::start(script);
    let dir = tempfile::tempdir().expect("temp dir");
    let location = match args.get(1) {
        Some(s) => StoreLocation::parse(s),
        None => StoreLocation::parse(&dir.path().join("collect.db").to_string_lossy()),
    };
    let mut store = match &location {
        StoreLocation::Postgres(url) => AnyStore::Postgres(
            PgStore::open_with(
                url,
                &PgOptions {
                    schema: Some(format!("bench_{}", std::process::id())),
                    ..PgOptions::default()
                },
            )
            .expect("PostgreSQL store"),
        ),
        loc => kubescribe_store_pg::open(loc).expect("store"),
    };
    let sources = vec![Source::Grpc {
        kind: SourceKind::Hubble,
        endpoint: srv.addr.to_string(),
        tls: None,
    }];
    let stop = Stop::new();
    let stopper = stop.clone();
    let started = Instant::now();
    let mut done_at = None;
    let report = collect(
        &mut store,
        &sources,
        &CollectOptions {
            progress_interval: std::time::Duration::from_millis(50),
            ..CollectOptions::default()
        },
        &stop,
        &mut |r| {
            let s = &r.sources[0];
            if done_at.is_none() && s.stored + s.skipped >= n as u64 {
                done_at = Some(started.elapsed());
                stopper.stop();
            }
        },
    )
    .expect("collect");
    let secs = done_at.unwrap_or(report.elapsed).as_secs_f64();
    let s = &report.sources[0];
    let counts = store.counts().expect("counts");
    println!(
        "{} flows ({:.1} MiB of protobuf) from an in-process Hubble relay into {}: {} stored, {} repeats, {} dropped, {} transactions, {:.2} s, {:.0} events/s ({} observations in {} rows)",
        n,
        bytes as f64 / (1024.0 * 1024.0),
        location.display(),
        s.stored,
        s.duplicates,
        s.dropped,
        report.commits,
        secs,
        s.events as f64 / secs,
        counts.observations,
        counts.flows
    );
}
