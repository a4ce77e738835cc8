//! The answer budget an intent needs.
//!
//! `--max-new-tokens` (1,024 by default) fits almost every policy, but an
//! intent can need a long one: "deny ICMP" in Cilium names every ICMP type
//! of both families (Cilium has no protocol-wide ICMP rule), ~3,400 tokens.
//! A budget shorter than the policy the intent needs cannot give a faithful
//! answer — the constrained decoder closes the document early, the
//! free one is cut off — so the loop would fail every attempt for a reason
//! the model cannot fix.
//!
//! The shortest faithful answer is known before generating: the
//! deterministic synthesizer's policy for the intent, in the form the model
//! writes (compact JSON under constrained decoding, YAML otherwise),
//! measured in the model's tokens. [`answer_tokens_needed`] is that length
//! plus a quarter and [`SLACK_TOKENS`] for the model's own wording (names,
//! key order). The loop raises an answer's budget to it, and the prompt is
//! fitted to leave it free.

use kubescribe_core::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_synth as synth;
use kubescribe_synth::prompt::OutputFormat;

use crate::generator::{Generator, Prompt};

/// Tokens added to the measured policy for the model's own wording.
pub const SLACK_TOKENS: usize = 64;

/// The tokens a faithful answer to `intent` for `engine` needs at least
/// (with room for the model's wording), in `generator`'s tokens when it
/// counts them (else bounded at two characters a token, plus half); `None` when
/// the synthesizer cannot write the intent (an underspecified intent: the
/// loop's checks say why).
pub fn answer_tokens_needed(
    intent: &Intent,
    engine: Engine,
    generator: Option<&dyn Generator>,
    format: OutputFormat,
) -> Option<usize> {
    let policy = synth::synthesize(intent, Some(engine)).ok()?;
    let text = match format {
        OutputFormat::Json => serde_json::to_string(&policy.to_value().ok()?).ok()?,
        OutputFormat::Yaml => policy.to_canonical_yaml().ok()?,
    };
    match generator.and_then(|g| g.count_tokens(&Prompt::Text(text.clone()))) {
        Some(tokens) => Some(tokens + tokens / 4 + SLACK_TOKENS),
        // Without the model's tokenizer, a bound rather than a guess: JSON
        // with numbers and punctuation runs ~2.3 characters a token
        // (SmolLM2's on Cilium's ICMP list), and the model's own spacing
        // adds more; a server that cannot close the document early (an
        // OpenAI-compatible one) cuts a short budget's answer off.
        None => {
            let tokens = text.chars().count().div_ceil(2);
            Some(tokens + tokens / 2 + SLACK_TOKENS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(json: &str) -> Intent {
        serde_json::from_str(json).expect("an intent")
    }

    fn deny_from_client(protocol: &str) -> Intent {
        intent(&format!(
            r#"{{"engine": "cilium", "scope": {{"namespace": "cilium-test", "labels": {{"kind": "client"}}}},
                "domain": "network", "action": "block", "direction": "ingress",
                "resources": {{"protocols": ["{protocol}"], "peers": [{{"labels": {{"other": "client"}}}}]}}}}"#
        ))
    }

    #[test]
    fn an_intent_that_needs_a_long_policy_needs_a_long_budget() {
        let need = |i: &Intent| answer_tokens_needed(i, Engine::Cilium, None, OutputFormat::Json);
        let icmp = need(&deny_from_client("ICMP")).expect("the synthesizer writes it");
        let tcp = need(&deny_from_client("TCP")).expect("the synthesizer writes it");
        // every ICMP type of both families: far over the 1,024 default
        assert!(icmp > 1024, "{icmp}");
        assert!(tcp < 1024, "{tcp}");
    }

    #[test]
    fn an_intent_the_synthesizer_cannot_write_has_no_budget() {
        // no scope at all: underspecified
        let i = intent(
            r#"{"scope": {}, "domain": "network", "action": "block", "resources": {"protocols": ["TCP"]}}"#,
        );
        assert_eq!(
            answer_tokens_needed(&i, Engine::Cilium, None, OutputFormat::Yaml),
            None
        );
    }
}
