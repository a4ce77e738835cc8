//! Prints the context of one scope as `kubescribe context --namespace NS
//! [--selector k=v,...]` does, without the CLI: the store query and the
//! summary alone, for whole-process timing on stores of different sizes
//! (`scripts/perf/compare.py context` runs it on 10k- and 1M-event stores),
//! and with `--snapshot` times reading the store as a cluster (what
//! `validate --store` does once).
//!
//! `cargo run --release -p kubescribe-events --example context_scope -- [--snapshot] STORE NAMESPACE [k=v,...]`

use std::collections::BTreeMap;
use std::path::Path;

use kubescribe_events::context::Observed;
use kubescribe_events::store::{EventQuery, EventTable, SqliteStore};

/// The allocator `kubescribe` itself uses, so runs measure what the CLI does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    let usage = "usage: context_scope [--snapshot] STORE NAMESPACE [k=v,...]";
    let snapshot = args.next_if(|a| a == "--snapshot").is_some();
    let store_path = args.next().ok_or(usage)?;
    let namespace = args.next().ok_or(usage)?;
    let mut selector = BTreeMap::new();
    for part in args
        .next()
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = part.split_once('=').ok_or("selector: expected k=v")?;
        selector.insert(k.to_string(), v.to_string());
    }
    let mut store = SqliteStore::open(Path::new(&store_path))?;
    let observed = Observed::from_store(&mut store, Some(&namespace), &selector)?;
    let ctx = observed.summarize_within(Some(&namespace), &selector, 400);
    print!("{}", ctx.render());
    // The work SQLite did for the largest table read, machine-independent.
    let q = EventQuery {
        namespace: Some(namespace.clone()),
        selector: selector.clone(),
        ..EventQuery::default()
    };
    let cost = store.query_cost(EventTable::Processes, &q)?;
    println!(
        "{} observations; processes query: {} rows, {} SQLite steps, {} full-scan steps",
        ctx.observations, cost.rows, cost.vm_steps, cost.fullscan_steps
    );
    if snapshot {
        // What `validate --store` reads once, whatever the policies: the
        // store as a cluster.
        let start = std::time::Instant::now();
        let snap = kubescribe_events::cluster::ClusterSnapshot::from_store(&mut store)?;
        println!(
            "store as a cluster (validate --store): {} pods in {:.1} ms",
            snap.pods.len(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
