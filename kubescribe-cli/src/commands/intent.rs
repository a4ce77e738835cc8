//! `kubescribe intent parse`: a natural-language intent → `Intent` + entity
//! spans, with the offline parser or a language model
//! ([`kubescribe_infer::LlmIntentParser`]).

use std::path::Path;

use anyhow::{Result, bail};
use kubescribe_infer::{IntentAttempt, LlmIntentError, LlmIntentParser};
use kubescribe_intent::{ParsedIntent, PodResolver};

use crate::args::{Backend, IntentParseArgs, TextFormat};
use crate::output::{self, Exit};
use crate::store_location;
use crate::{backend, intent_source};

/// Parses `text` with a model: the parse and its attempts, or (as `Err` in
/// the inner result) why no valid intent came out. Model and store failures
/// are outer errors.
#[allow(clippy::type_complexity)]
fn parse_llm(
    text: &str,
    store: Option<&Path>,
    model_backend: Backend,
    args: &IntentParseArgs,
) -> Result<Result<(ParsedIntent, Vec<IntentAttempt>), String>> {
    if model_backend == Backend::Synth {
        bail!(
            "--backend synth writes policies, not intents: leave --backend out for the offline parser, or use ort/openai"
        );
    }
    let mut opened = store.map(store_location::open_store).transpose()?;
    let generator = backend::open(model_backend, &args.model)?;
    let parser = LlmIntentParser::new(
        generator.as_ref(),
        args.model.generation(),
        args.max_attempts,
    )?;
    let resolver = opened.as_mut().map(|s| s as &mut dyn PodResolver);
    match parser.parse_with(text, resolver) {
        Ok(p) => Ok(Ok((p.parsed, p.attempts))),
        Err(e @ (LlmIntentError::Generation(_) | LlmIntentError::Schema(_))) => Err(e.into()),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// Prints the parse: the intent, the entities with byte spans, the
/// assumptions (and, with a model, the attempts).
pub fn run(args: IntentParseArgs) -> Result<Exit> {
    let store_path = store_location::store_arg(&args.store);
    let (text, store) = (args.text.as_str(), store_path.as_deref());
    let result = match args.backend {
        None => intent_source::parse(text, store)?.map(|p| (p, Vec::new())),
        Some(model_backend) => parse_llm(text, store, model_backend, &args)?,
    };
    let (parsed, attempts) = match result {
        Ok(p) => p,
        Err(e) => return Ok(output::fail(Exit::Invalid, e)),
    };
    let understood = kubescribe_intent::restate(&parsed.intent);
    if matches!(args.output, TextFormat::Json) {
        let mut v = serde_json::to_value(&parsed)?;
        v["understoodAs"] = understood.into();
        if args.backend.is_some() {
            v["attempts"] = serde_json::to_value(&attempts)?;
        }
        output::print_json(&v)?;
        return Ok(Exit::Ok);
    }
    if args.backend.is_some() {
        println!("attempts: {}", attempts.len());
        for (i, a) in attempts.iter().enumerate() {
            for p in &a.problems {
                println!("  attempt {}: {p}", i + 1);
            }
        }
    }
    eprintln!("understood as: {understood}");
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
    Ok(Exit::Ok)
}
