//! `kubescribe intent parse`: a natural-language intent → `Intent` + entity spans.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use kubescribe_core::intent::{ParsedIntent, PodResolver, parse_intent_with};
use kubescribe_core::store::SqliteStore;

/// Parses `text` (resolving pod names through the store at `store`, when given).
pub fn parse(
    text: &str,
    store: Option<&Path>,
) -> Result<std::result::Result<ParsedIntent, String>> {
    let mut opened = match store {
        Some(p) => {
            if !p.exists() {
                anyhow::bail!(
                    "store {} does not exist (see `kubescribe ingest`)",
                    p.display()
                );
            }
            Some(SqliteStore::open(p).with_context(|| format!("opening {}", p.display()))?)
        }
        None => None,
    };
    Ok(parse_with(
        text,
        opened.as_mut().map(|s| s as &mut dyn PodResolver),
    ))
}

/// Parses `text`, resolving pod names through `resolver` (a store, a cluster).
pub fn parse_with(
    text: &str,
    resolver: Option<&mut dyn PodResolver>,
) -> std::result::Result<ParsedIntent, String> {
    parse_intent_with(text, resolver).map_err(|e| e.to_string())
}

/// Prints the parse: the intent, the entities with byte spans, the assumptions.
pub fn run(text: &str, store: Option<&Path>, json: bool) -> Result<ExitCode> {
    let parsed = match parse(text, store)? {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kubescribe: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&parsed)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("intent:");
    for line in serde_json::to_string_pretty(&parsed.intent)?.lines() {
        println!("  {line}");
    }
    println!("entities:");
    for e in &parsed.entities {
        let kind = serde_json::to_value(e.kind)?;
        println!(
            "  {:<15} {:>4}..{:<4} {}",
            kind.as_str().unwrap_or_default(),
            e.start,
            e.end,
            e.text
        );
    }
    if !parsed.assumptions.is_empty() {
        println!("assumptions:");
        for a in &parsed.assumptions {
            println!("  - {a}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
