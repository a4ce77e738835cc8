//! `kubescribe prompt`: the prompt a model would get for an intent.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kubescribe_core::Engine;
use kubescribe_events::store::SqliteStore;
use kubescribe_synth::prompt::{self, ChatTemplate, Template};

use crate::generate::{self, IntentSource};

/// What `prompt` was asked for.
pub struct Args<'a> {
    pub source: IntentSource<'a>,
    pub engine: Option<&'a str>,
    pub store: Option<&'a Path>,
    pub template: Template,
    pub budget: usize,
    /// Format through this model's chat template (a model directory, a
    /// `tokenizer_config.json` or a GGUF file; ChatML when it has none).
    pub chat: Option<&'a Path>,
    pub json: bool,
}

/// Builds and prints the prompt. Exit 0 printed, 1 the intent text could
/// not be parsed, 2 unreadable intent, store or model file.
pub fn run(a: &Args<'_>) -> Result<ExitCode> {
    if let Some(p) = a.store
        && !p.exists()
    {
        bail!(
            "no store at {} (create one with `kubescribe ingest FILE... --store {}`)",
            p.display(),
            p.display()
        );
    }
    let mut intent = match &a.source {
        IntentSource::File(path) => generate::read_intent_file(path)?,
        IntentSource::Text(text) => match generate::parse_text(text, a.store)? {
            Ok(intent) => intent,
            Err(code) => return Ok(code),
        },
        IntentSource::Parsed(intent) => (**intent).clone(),
    };
    if let Some(e) = a.engine {
        intent.engine = Some(e.parse::<Engine>().map_err(anyhow::Error::msg)?);
    }
    let context = match a.store {
        Some(p) => {
            let mut s = SqliteStore::open(p).with_context(|| format!("opening {}", p.display()))?;
            let ctx = prompt::context_for(&mut s, &intent, a.budget)?;
            if ctx.observations == 0 {
                eprintln!(
                    "kubescribe: the store has no events for this scope; the prompt carries no observed context"
                );
            }
            Some(ctx)
        }
        None => None,
    };
    let built = prompt::build_prompt(&intent, context.as_ref(), a.template, &[])?;
    match (a.chat, a.json) {
        (Some(model), json) => {
            let chat = ChatTemplate::for_model_or_chatml(model)?;
            let text = built.format_chat(&chat)?;
            if json {
                let v = serde_json::json!({"chat_template": chat.origin(), "text": text});
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                eprintln!("kubescribe: chat template from {}", chat.origin());
                print!("{text}");
            }
        }
        (None, true) => {
            let v = serde_json::json!({
                "engine": built.engine.name(),
                "kind": built.kind.kind(),
                "template": built.template.name(),
                "messages": built.messages(),
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        (None, false) => print!("{}", built.to_text()),
    }
    Ok(ExitCode::SUCCESS)
}
