//! `kubescribe generate`: intent → validated policy, offline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use kubescribe_core::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_synth as synth;
use kubescribe_validate::Validator;

/// Where the intent comes from.
pub enum IntentSource<'a> {
    /// An intent JSON file (`-`: standard input).
    File(&'a Path),
    /// Natural language, parsed offline (as `kubescribe intent parse` does).
    Text(&'a str),
    /// An intent already read or parsed (e.g. with pod names resolved
    /// through a cluster).
    Parsed(Box<Intent>),
}

/// Reads (or parses) the intent, synthesizes, validates, prints.
pub fn run(
    source: IntentSource<'_>,
    engine: Option<&str>,
    json: bool,
    apply: Option<&crate::cluster_cmd::GenerateApply>,
) -> Result<ExitCode> {
    let intent = match source {
        IntentSource::File(path) => read_intent_file(path)?,
        IntentSource::Text(text) => match parse_text(text, None)? {
            Ok(intent) => intent,
            Err(code) => return Ok(code),
        },
        IntentSource::Parsed(intent) => *intent,
    };
    let engine: Option<Engine> = engine
        .map(str::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let policy = match synth::synthesize(&intent, engine) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kubescribe: cannot generate: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let value = policy.to_value()?;
    let outcome = Validator::new().validate_value(&value);
    if json {
        let out = serde_json::json!({
            "engine": policy.engine().name(),
            "kind": policy.kind().kind(),
            "policy": value,
            "valid": outcome.is_valid(),
            "diagnostics": outcome.diagnostics,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", policy.to_canonical_yaml()?);
    }
    if outcome.is_valid() {
        let warnings = outcome.diagnostics.len();
        eprintln!(
            "kubescribe: {} {} for {}: valid (layer 1: built-in schema and API-server rules){}",
            policy.kind().kind(),
            policy.name().unwrap_or(""),
            policy.engine(),
            if warnings > 0 {
                format!(", {warnings} warning(s)")
            } else {
                String::new()
            }
        );
        for d in &outcome.diagnostics {
            eprintln!("  {d}");
        }
        match apply {
            Some(a) => crate::cluster_cmd::apply_generated(a, &policy),
            None => Ok(ExitCode::SUCCESS),
        }
    } else {
        // The synthesizer's own tests keep this from happening; say so loudly if it does.
        eprintln!("kubescribe: internal error: the synthesized policy is invalid:");
        for d in &outcome.diagnostics {
            eprintln!("  {d}");
        }
        Ok(ExitCode::from(2))
    }
}

pub fn read_intent_file(intent_file: &Path) -> Result<Intent> {
    let text = if intent_file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the intent from standard input")?;
        s
    } else {
        std::fs::read_to_string(intent_file)
            .with_context(|| format!("cannot read {}", intent_file.display()))?
    };
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid intent (see `kubescribe schema intent`)",
            intent_file.display()
        )
    })
}

/// Parses a natural-language intent (pod names resolved through `store` when
/// given), printing the parser's assumptions; a parse error is printed and
/// becomes exit status 1.
pub fn parse_text(text: &str, store: Option<&Path>) -> Result<Result<Intent, ExitCode>> {
    Ok(report_parse(crate::intent_cmd::parse(text, store)?))
}

/// Prints a parse's assumptions and returns its intent, or prints the parse
/// error and returns exit status 1.
pub fn report_parse(
    parsed: std::result::Result<kubescribe_synth::parse::ParsedIntent, String>,
) -> Result<Intent, ExitCode> {
    match parsed {
        Ok(parsed) => {
            for a in &parsed.assumptions {
                eprintln!("kubescribe: assumed: {a}");
            }
            Ok(parsed.intent)
        }
        Err(e) => {
            eprintln!("kubescribe: {e}");
            Err(ExitCode::from(1))
        }
    }
}

/// Ingests `files` (runtime events and manifests, as `kubescribe ingest`
/// reads them) into a new store in a temporary directory, which lives as
/// long as the returned guard. The summary and every skipped record go to
/// standard error; an unreadable file is an error.
pub fn ingest_events(files: &[PathBuf]) -> Result<(tempfile::TempDir, PathBuf)> {
    use kubescribe_events::store::SqliteStore;
    use kubescribe_events::{IngestOptions, IngestSummary, SkipReason, ingest_file};

    let dir = tempfile::tempdir().context("creating a temporary directory for the event store")?;
    let path = dir.path().join("events.db");
    let mut store =
        SqliteStore::open(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut total = IngestSummary::default();
    for f in files {
        let sum = ingest_file(&mut store, f, &IngestOptions::default(), &mut |_| {})
            .with_context(|| format!("ingesting {}", f.display()))?;
        total.merge(&sum, usize::MAX);
    }
    for e in &total.errors {
        eprintln!("kubescribe: skipped record: {e}");
    }
    let other = total
        .skipped
        .iter()
        .filter(|(r, _)| **r == SkipReason::NotRuntimeActivity)
        .map(|(_, n)| n)
        .sum::<u64>();
    eprintln!(
        "kubescribe: ingested {} file(s) into a temporary store: {} record(s), {} event(s), {} workload(s){}{}",
        files.len(),
        total.records_read,
        total.total_events(),
        total.workloads_stored,
        match total.records_skipped() - other {
            0 => String::new(),
            n => format!(", {n} malformed or unsupported record(s) skipped (listed above)"),
        },
        if other > 0 {
            format!(", {other} without workload activity")
        } else {
            String::new()
        }
    );
    Ok((dir, path))
}
