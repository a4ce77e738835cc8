//! Ingests event files into a store, no progress bar: the core of
//! `kubescribe ingest` without the CLI (and its inference backends), for
//! throughput and peak-memory runs of the ingestion path alone.
//!
//! `cargo run --release -p kubescribe-core --example ingest_file -- STORE FILE...`
//! (`benches/scripts/ingest_throughput.sh` times it).

use std::path::Path;
use std::time::Instant;

use kubescribe_events::store::SqliteStore;
use kubescribe_events::{IngestOptions, ingest_file};

/// The allocator `kubescribe` itself uses, so runs measure what the CLI does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let store_path = args.next().ok_or("usage: ingest_file STORE FILE...")?;
    let mut store = SqliteStore::open(Path::new(&store_path))?;
    for file in args {
        let start = Instant::now();
        let sum = ingest_file(
            &mut store,
            Path::new(&file),
            &IngestOptions::default(),
            &mut |_| {},
        )?;
        let secs = start.elapsed().as_secs_f64();
        let events = sum.total_events();
        println!(
            "{file}: {} records read, {} stored, {} skipped, {events} events in {secs:.2} s: {:.0} events/s",
            sum.records_read,
            sum.records_stored,
            sum.records_skipped(),
            events as f64 / secs
        );
    }
    Ok(())
}
