//! A chat thread pasted as the ask ("dan: …", "fred: …", one message per
//! line, the decision last): the earlier messages are the discussion, and
//! the last message that asks for something is the intent (its refusal
//! too, when it leaves something out).

use super::lexicon::{ALLOW_WORDS, AUDIT_WORDS, BLOCK_WORDS};

/// The speaker's handle that opens a chat line ("dan: …", "felix-dev: …"),
/// and where its message starts; `None` for any other line.
fn turn(line: &str) -> Option<(&str, usize)> {
    let (handle, message) = line.split_once(": ")?;
    let handle_ok = !handle.is_empty()
        && handle.len() <= 24
        && handle.starts_with(|c: char| c.is_ascii_alphabetic())
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        // Labels and fields of pasted configuration or tickets are no
        // speakers ("app: web", "Fix: …", "k8s.ns: …"); a name and its
        // initial are ("maria.k: …").
        && (!handle.contains('.')
            || handle.split_once('.').is_some_and(|(a, b)| {
                !a.is_empty()
                    && !b.is_empty()
                    && a.chars().chain(b.chars()).all(|c| c.is_ascii_lowercase())
            }))
        && !matches!(
            handle.to_ascii_lowercase().as_str(),
            "app" | "name" | "namespace" | "ns" | "labels" | "pods" | "fix" | "goal" | "note"
                | "problem" | "expected" | "description" | "summary" | "title" | "action"
                | "selector" | "message" | "severity" | "rule" | "output" | "priority"
                // A structured ask's fields ("Scope: …", "What: …", "Why: …").
                | "scope" | "what" | "why" | "where" | "when" | "who" | "how" | "target"
                | "reason" | "impact" | "owner" | "ticket" | "status" | "request" | "ask"
                | "context" | "background" | "environment" | "env" | "team" | "service"
                | "component" | "cluster" | "policy" | "engine" | "direction" | "port"
                | "ports" | "path" | "paths" | "files" | "binary" | "binaries" | "peers"
                | "peer" | "source" | "destination" | "requirement" | "requirements"
        );
    (handle_ok && message.split_whitespace().count() >= 3).then(|| (handle, handle.len() + 2))
}

/// Whether a message asks for something: a sentence that asks, or an
/// action word of the lexicon.
fn asks(message: &str) -> bool {
    super::ask_forms::asks(message)
        || message.split_whitespace().any(|w| {
            let w = w
                .trim_matches(|c: char| !c.is_ascii_alphabetic())
                .to_ascii_lowercase();
            ALLOW_WORDS.contains(&w.as_str())
                || BLOCK_WORDS.contains(&w.as_str())
                || AUDIT_WORDS.contains(&w.as_str())
                || matches!(w.as_str(), "only" | "must" | "should" | "may")
        })
}

/// `text` with everything but the last message that asks blanked out
/// (offsets kept), when it is a chat thread: three or more lines open with
/// a speaker's handle, of at least two speakers, and every line does.
pub(super) fn last_ask(text: &str) -> Option<String> {
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for line in text.split('\n') {
        if !line.trim().is_empty() {
            lines.push((at, line));
        }
        at += line.len() + 1;
    }
    let turns: Vec<(usize, &str, usize)> = lines
        .iter()
        .filter_map(|&(start, line)| turn(line).map(|(h, m)| (start, h, m)))
        .collect();
    let mut speakers: Vec<&str> = turns.iter().map(|&(_, h, _)| h).collect();
    speakers.sort_unstable();
    speakers.dedup();
    if turns.len() < 3 || turns.len() != lines.len() || speakers.len() < 2 {
        return None;
    }
    let &(start, _, message) = turns.iter().rev().find(|&&(start, _, m)| {
        let line = &text[start..];
        let end = line.find('\n').unwrap_or(line.len());
        asks(&line[m..end])
    })?;
    let from = start + message;
    let to = text[from..].find('\n').map_or(text.len(), |e| from + e);
    Some(
        text.char_indices()
            .map(|(i, c)| {
                if (from..to).contains(&i) || c == '\n' {
                    c.to_string()
                } else {
                    " ".repeat(c.len_utf8())
                }
            })
            .collect(),
    )
}
