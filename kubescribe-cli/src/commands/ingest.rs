//! `kubescribe ingest`: runtime events and Kubernetes manifests into an
//! event store, with a summary of what was stored and skipped.

use std::io::Write;

use anyhow::Result;
use kubescribe_events::store::EventStore;
use kubescribe_events::{IngestOptions, IngestSummary, SkipReason, ingest_file, ingest_reader};

use crate::args::IngestArgs;
use crate::output::{self, Exit};
use crate::store_location;

/// Ingests every file (`-`: standard input) and prints the summary: exit 1
/// when records were malformed or unsupported, 2 when a file was unreadable.
pub fn run(args: IngestArgs) -> Result<Exit> {
    let (files, show_errors) = (&args.files, args.show_errors);
    let store_path = store_location::store_or_default(&args.store);
    let mut store = store_location::open_or_create_store(&store_path)?;
    let options = IngestOptions {
        max_record_bytes: args.max_record_mib.saturating_mul(1024 * 1024),
        ..IngestOptions::default()
    };
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = output::progress_bar(
        total_bytes,
        args.quiet,
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
    );
    let mut total = IngestSummary::default();
    let mut failed = Vec::new();
    let mut done_bytes = 0u64;
    for file in files {
        let name = file.display().to_string();
        let mut on_progress = |p: &kubescribe_events::Progress<'_>| {
            bar.set_position(done_bytes + p.bytes_read);
            bar.set_message(format!("{name}: {} records", p.records_read));
        };
        let result = if file.as_os_str() == "-" {
            ingest_reader(
                &mut store,
                "<stdin>",
                std::io::stdin(),
                &options,
                &mut on_progress,
            )
        } else {
            ingest_file(&mut store, file, &options, &mut on_progress)
        };
        match result {
            Ok(sum) => {
                if sum.files_already_ingested > 0 {
                    bar.suspend(|| eprintln!("{name}: already ingested, skipped"));
                }
                total.merge(&sum, show_errors)
            }
            Err(e) => failed.push(e.to_string()),
        }
        done_bytes += std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        bar.set_position(done_bytes);
    }
    bar.finish_and_clear();
    let mut out = std::io::stdout().lock();
    for e in &failed {
        writeln!(out, "error: {e}")?;
    }
    for e in &total.errors {
        writeln!(out, "{e}")?;
    }
    let skipped = total.records_skipped();
    if skipped as usize > total.errors.len() {
        writeln!(
            out,
            "... {} more skipped record(s) not listed (--show-errors)",
            skipped as usize - total.errors.len()
        )?;
    }
    let join = |m: Vec<String>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            m.join(", ")
        }
    };
    writeln!(
        out,
        "{} file(s) ({} already ingested, {} unreadable), {} bytes",
        total.files + failed.len() as u64,
        total.files_already_ingested,
        failed.len(),
        total.bytes
    )?;
    writeln!(
        out,
        "records: {} read, {} stored, {} skipped",
        total.records_read, total.records_stored, skipped
    )?;
    writeln!(
        out,
        "formats: {}",
        join(
            total
                .formats
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect()
        )
    )?;
    writeln!(
        out,
        "events: {} ({}), workloads: {}",
        total.total_events(),
        join(
            total
                .events_stored
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect()
        ),
        total.workloads_stored
    )?;
    writeln!(
        out,
        "skipped: {}",
        join(
            total
                .skipped
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect()
        )
    )?;
    let counts = store.counts()?;
    writeln!(
        out,
        "store {}: {} process, {} file, {} flow, {} syscall rows ({} observations), {} workloads, {} pods",
        store_location::location(&store_path).display(),
        counts.processes,
        counts.files,
        counts.flows,
        counts.syscalls,
        counts.observations,
        counts.workloads,
        counts.pods
    )?;
    // Records that carry no workload activity (Falco audit alerts, a
    // ServiceAccount in a manifest) are expected; anything else is bad input.
    let bad = total
        .skipped
        .iter()
        .any(|(reason, n)| *reason != SkipReason::NotRuntimeActivity && *n > 0);
    Ok(Exit::of(!failed.is_empty(), bad))
}
