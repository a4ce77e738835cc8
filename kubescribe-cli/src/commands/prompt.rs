//! `kubescribe prompt`: the prompt a model would get for an intent.

use anyhow::Result;
use kubescribe_core::Engine;
use kubescribe_synth::prompt::{self, ChatTemplate};

use crate::args::{PromptArgs, TextFormat};
use crate::intent_source::{self, IntentSource};
use crate::output::{self, Exit};
use crate::store_location;

/// Builds and prints the prompt. Exit 0 printed, 1 the intent text could
/// not be parsed, 2 unreadable intent, store or model file.
pub fn run(a: PromptArgs) -> Result<Exit> {
    let store_path = store_location::store_arg(&a.store);
    let mut opened = store_path
        .as_deref()
        .map(store_location::open_store)
        .transpose()?;
    let mut store = opened.as_mut().map(|s| kubescribe_events::store::Windowed {
        store: s,
        since: a.since,
        until: a.until,
    });
    let source = IntentSource::from_args(a.intent.as_deref(), a.intent_file.as_deref());
    let mut intent = match source {
        IntentSource::File(path) => intent_source::read_intent_file(path)?,
        IntentSource::Text(text) => match intent_source::parse_text(text, store_path.as_deref())? {
            Ok(intent) => intent,
            Err(exit) => return Ok(exit),
        },
        IntentSource::Parsed(intent) => *intent,
    };
    if let Some(e) = &a.engine {
        intent.engine = Some(e.parse::<Engine>().map_err(anyhow::Error::msg)?);
    }
    let context = match store.as_mut() {
        Some(s) => {
            let ctx = prompt::context_for(s, &intent, a.budget)?;
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
    match (a.chat.as_deref(), matches!(a.output, TextFormat::Json)) {
        (Some(model), json) => {
            let chat = ChatTemplate::for_model_or_chatml(model)?;
            let text = built.format_chat(&chat)?;
            if json {
                let v = serde_json::json!({"chat_template": chat.origin(), "text": text});
                output::print_json(&v)?;
            } else {
                eprintln!("kubescribe: chat template from {}", chat.origin());
                output::print_text(&text)?;
            }
        }
        (None, true) => {
            let v = serde_json::json!({
                "engine": built.engine.name(),
                "kind": built.kind.kind(),
                "template": built.template.name(),
                "messages": built.messages(),
            });
            output::print_json(&v)?;
        }
        (None, false) => output::print_text(&built.to_text())?,
    }
    Ok(Exit::Ok)
}
