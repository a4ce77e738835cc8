//! Validates policy files as `kubescribe validate FILE...` does (built-in
//! schemas, layer 4 on), without the CLI's inference and cluster backends:
//! the validation path alone, for whole-process timing and profiling
//! (`scripts/perf/compare.py` runs it beside the Python validators).
//!
//! `cargo run --release -p kubescribe-validate --example validate_files -- [--jobs N] [--dump] [--files-from LIST] FILE...`
//! (`--jobs`: files on N threads, 0 one per CPU, default 1, as `kubescribe validate --jobs`)
//!
//! Prints one line: documents, invalid documents, diagnostics (`--dump`:
//! before it, the report lines and every report as JSON).

use std::io::Write;
use std::path::PathBuf;

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_validate::{DocumentReport, Validator};

/// The allocator `kubescribe` itself uses, so runs measure what the CLI does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dump = false;
    let mut jobs = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--dump" {
            dump = true;
        } else if a == "--jobs" {
            jobs = args.next().ok_or("--jobs N")?.parse()?;
        } else if a == "--files-from" {
            let list = std::fs::read_to_string(args.next().ok_or("--files-from LIST")?)?;
            files.extend(list.lines().filter(|l| !l.is_empty()).map(PathBuf::from));
        } else {
            files.push(PathBuf::from(a));
        }
    }
    let validator = Validator::new().permissive(true);
    let limits = ReadLimits::default();
    let mut reports: Vec<DocumentReport> = Vec::new();
    let mut unreadable = 0usize;
    for result in validator.validate_files(&files, jobs, |f| document::read_file(f, &limits)) {
        match result {
            Ok(v) => reports.extend(v.reports),
            Err(_) => unreadable += 1,
        }
    }
    // Rendered as the CLI's text output is, line by line into a buffered
    // writer (here one that only counts, but with `--dump`), so the work is the same.
    let stdout = std::io::stdout();
    let mut out = Counted {
        to: std::io::BufWriter::new(if dump {
            Box::new(stdout.lock()) as Box<dyn Write>
        } else {
            Box::new(std::io::sink())
        }),
        bytes: 0,
    };
    for r in &reports {
        for d in &r.diagnostics {
            writeln!(out, "{}:{}: {d}", r.source, d.line.unwrap_or(0))?;
        }
    }
    let rendered = out.bytes;
    if dump {
        for r in &reports {
            serde_json::to_writer(&mut out, r)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    drop(out);
    let invalid = reports.iter().filter(|r| !r.valid).count();
    let diags: usize = reports.iter().map(|r| r.diagnostics.len()).sum();
    println!(
        "{} documents, {invalid} invalid, {diags} diagnostics, {unreadable} unreadable files, {} bytes of report",
        reports.len(),
        rendered
    );
    Ok(())
}

/// A writer that counts what passes through it.
struct Counted<W: Write> {
    to: W,
    bytes: usize,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.to.write(buf)?;
        self.bytes += n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.to.flush()
    }
}
