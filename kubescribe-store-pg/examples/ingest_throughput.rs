//! Ingestion throughput into a store (SQLite file or PostgreSQL URL):
//! writes N Falco JSON lines (D distinct behaviours, each repeated N/D
//! times, over 50 pods), ingests the file as `kubescribe ingest` does
//! (parse thread, folding, one transaction) and prints events/s.
//!
//! ```sh
//! cargo run --release -p kubescribe-store-pg --example ingest_throughput -- \
//!     postgres://kubescribe@127.0.0.1:PORT/kubescribe 1000000 100000
//! ```
//! A URL's store goes in a fresh schema (`bench_<pid>`); a file must not
//! exist yet.

use std::io::Write;
use std::time::Instant;

use kubescribe_events::store::EventStore;
use kubescribe_events::{IngestOptions, ingest_file};
use kubescribe_store_pg::{AnyStore, PgOptions, PgStore, StoreLocation};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(store), Some(n), Some(distinct)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: ingest_throughput STORE EVENTS DISTINCT");
        std::process::exit(2);
    };
    let n: usize = n.parse()?;
    let distinct: usize = distinct.parse::<usize>()?.max(1);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("events.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for i in 0..n {
        let d = i % distinct;
        writeln!(
            f,
            r#"{{"rule":"r","priority":"Notice","output":"o","source":"syscall","time":"2025-03-01T00:00:{:02}.{:09}Z","output_fields":{{"evt.time":{},"k8s.ns.name":"bench","k8s.pod.name":"pod-{}","container.id":"c{}","proc.exepath":"/usr/bin/tool-{}","proc.cmdline":"tool-{} --job {}","fd.name":"/var/lib/data/{}/file-{}","evt.type":"openat","proc.name":"tool-{}"}}}}"#,
            (i / 1_000_000_000) % 60,
            i % 1_000_000_000,
            1_740_787_200_000_000_000u64 + i as u64,
            d % 50,
            d % 50,
            d % 97,
            d % 97,
            d,
            d % 13,
            d,
            d % 97
        )?;
    }
    f.flush()?;
    drop(f);
    let bytes = std::fs::metadata(&path)?.len();
    let mut s = match StoreLocation::parse(store) {
        StoreLocation::Postgres(url) => AnyStore::Postgres(PgStore::open_with(
            &url,
            &PgOptions {
                schema: Some(format!("bench_{}", std::process::id())),
                ..PgOptions::default()
            },
        )?),
        loc => kubescribe_store_pg::open(&loc)?,
    };
    let start = Instant::now();
    let sum = ingest_file(&mut s, &path, &IngestOptions::default(), &mut |_| {})?;
    let secs = start.elapsed().as_secs_f64();
    let c = s.counts()?;
    println!(
        "{}: {} events ({} bytes, {} distinct rows stored: {} process, {} file) in {:.2} s: {:.0} events/s",
        StoreLocation::parse(store).display(),
        sum.total_events(),
        bytes,
        c.processes + c.files + c.flows + c.syscalls,
        c.processes,
        c.files,
        secs,
        sum.total_events() as f64 / secs
    );
    Ok(())
}
