//! Where an intent comes from and how it is read: an intent JSON file, or
//! natural language parsed offline (pod names resolved through a store or a
//! cluster). Shared by `generate`, `generate --cluster`, `prompt` and
//! `intent parse`.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use kubescribe_core::intent::Intent;
use kubescribe_intent::{ParsedIntent, PodResolver, parse_intent_with};

use crate::output::{self, Exit};
use crate::store_location;

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

impl<'a> IntentSource<'a> {
    /// `--intent TEXT` or `--intent-file FILE` (clap requires one of them).
    pub fn from_args(text: Option<&'a str>, file: Option<&'a Path>) -> IntentSource<'a> {
        match (text, file) {
            (Some(text), _) => IntentSource::Text(text),
            (None, Some(path)) => IntentSource::File(path),
            (None, None) => unreachable!("clap requires --intent or --intent-file"),
        }
    }
}

/// Reads an intent JSON file (`-`: standard input).
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

/// Parses `text` offline (resolving pod names through the store at `store`,
/// when given). A store that cannot be opened is the outer error; a text
/// that does not parse is the inner one.
pub fn parse(text: &str, store: Option<&Path>) -> Result<Result<ParsedIntent, String>> {
    let mut opened = store.map(store_location::open_store).transpose()?;
    Ok(parse_with(
        text,
        opened.as_mut().map(|s| s as &mut dyn PodResolver),
    ))
}

/// Parses `text` offline, resolving pod names through `resolver` (a store,
/// a cluster).
pub fn parse_with(
    text: &str,
    resolver: Option<&mut dyn PodResolver>,
) -> Result<ParsedIntent, String> {
    parse_intent_with(text, resolver).map_err(|e| e.to_string())
}

/// Parses a natural-language intent (pod names resolved through `store` when
/// given), printing the parser's assumptions; a parse error is printed and
/// becomes [`Exit::Invalid`].
pub fn parse_text(text: &str, store: Option<&Path>) -> Result<Result<Intent, Exit>> {
    Ok(report_parse(parse(text, store)?))
}

/// Prints a parse's assumptions and returns its intent, or prints the parse
/// error and returns [`Exit::Invalid`].
pub fn report_parse(parsed: Result<ParsedIntent, String>) -> Result<Intent, Exit> {
    match parsed {
        Ok(parsed) => {
            for a in &parsed.assumptions {
                eprintln!("kubescribe: assumed: {a}");
            }
            eprintln!(
                "kubescribe: understood as: {}",
                kubescribe_intent::restate(&parsed.intent)
            );
            Ok(parsed.intent)
        }
        Err(e) => Err(output::fail(Exit::Invalid, e)),
    }
}
