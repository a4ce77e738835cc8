//! `kubescribe intent parse`: a natural-language intent → `Intent` + entity
//! spans, with the offline parser or a language model
//! ([`kubescribe_infer::LlmIntentParser`]).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kubescribe_events::store::SqliteStore;
use kubescribe_infer::{IntentAttempt, LlmIntentError, LlmIntentParser};
use kubescribe_synth::parse::{ParsedIntent, PodResolver, parse_intent_with};

use crate::backend::{self, Backend, ModelArgs};

/// Parse with a language model instead of the offline parser.
pub struct Llm<'a> {
    /// The backend.
    pub backend: Backend,
    /// Model and decoding settings.
    pub model: &'a ModelArgs,
    /// Attempts before giving up.
    pub max_attempts: usize,
}

fn open_store(store: Option<&Path>) -> Result<Option<SqliteStore>> {
    Ok(match store {
        Some(p) => {
            if !p.exists() {
                bail!(
                    "store {} does not exist (see `kubescribe ingest`)",
                    p.display()
                );
            }
            Some(SqliteStore::open(p).with_context(|| format!("opening {}", p.display()))?)
        }
        None => None,
    })
}

/// Parses `text` (resolving pod names through the store at `store`, when given).
pub fn parse(
    text: &str,
    store: Option<&Path>,
) -> Result<std::result::Result<ParsedIntent, String>> {
    let mut opened = open_store(store)?;
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

/// Parses `text` with a model: the parse and its attempts, or (as `Err` in
/// the inner result) why no valid intent came out. Model and store failures
/// are outer errors.
#[allow(clippy::type_complexity)]
fn parse_llm(
    text: &str,
    store: Option<&Path>,
    llm: &Llm<'_>,
) -> Result<std::result::Result<(ParsedIntent, Vec<IntentAttempt>), String>> {
    if llm.backend == Backend::Synth {
        bail!(
            "--backend synth writes policies, not intents: leave --backend out for the offline parser, or use ort/openai"
        );
    }
    let mut opened = open_store(store)?;
    let generator = backend::open(llm.backend, llm.model)?;
    let parser =
        LlmIntentParser::new(generator.as_ref(), llm.model.generation(), llm.max_attempts)?;
    let resolver = opened.as_mut().map(|s| s as &mut dyn PodResolver);
    match parser.parse_with(text, resolver) {
        Ok(p) => Ok(Ok((p.parsed, p.attempts))),
        Err(e @ (LlmIntentError::Generation(_) | LlmIntentError::Schema(_))) => Err(e.into()),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// Prints the parse: the intent, the entities with byte spans, the
/// assumptions (and, with a model, the attempts).
pub fn run(text: &str, store: Option<&Path>, json: bool, llm: Option<Llm<'_>>) -> Result<ExitCode> {
    let result = match &llm {
        None => parse(text, store)?.map(|p| (p, Vec::new())),
        Some(l) => parse_llm(text, store, l)?,
    };
    let (parsed, attempts) = match result {
        Ok(p) => p,
        Err(e) => {
            eprintln!("kubescribe: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if json {
        let mut v = serde_json::to_value(&parsed)?;
        if llm.is_some() {
            v["attempts"] = serde_json::to_value(&attempts)?;
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    if llm.is_some() {
        println!("attempts: {}", attempts.len());
        for (i, a) in attempts.iter().enumerate() {
            for p in &a.problems {
                println!("  attempt {}: {p}", i + 1);
            }
        }
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
