//! The deterministic synthesizer as a [`Generator`]: the offline baseline
//! every model is compared against.
//!
//! The prompt must carry an [`Intent`] as JSON: the whole prompt, or the
//! last `{…}` block in it (so a templated prompt that embeds the intent works
//! too). The output is the policy in canonical YAML.

use std::time::Instant;

use kubescribe_core::Engine;
use kubescribe_core::intent::Intent;

use crate::error::InferError;
use crate::generator::{Generation, GenerationConfig, Generator, Prompt};

/// The synthesizer backend.
#[derive(Debug, Clone, Default)]
pub struct SynthGenerator {
    engine: Option<Engine>,
}

impl SynthGenerator {
    /// Targets the intent's own engine (or the domain's default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Targets `engine` whatever the intent says.
    pub fn for_engine(engine: Engine) -> Self {
        SynthGenerator {
            engine: Some(engine),
        }
    }
}

/// The intent carried by a prompt: the whole text as JSON, else the last
/// balanced `{…}` block that parses as an intent.
pub fn intent_from_prompt(text: &str) -> Result<Intent, String> {
    if let Ok(i) = serde_json::from_str::<Intent>(text.trim()) {
        return Ok(i);
    }
    let mut last_err = "no JSON intent found in the prompt".to_string();
    for (start, _) in text
        .match_indices('{')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Intent>();
        match stream.next() {
            Some(Ok(i)) => return Ok(i),
            Some(Err(e)) if e.is_data() => {
                last_err = format!("the prompt's JSON is not an intent: {e}")
            }
            _ => {}
        }
    }
    Err(last_err)
}

impl Generator for SynthGenerator {
    fn name(&self) -> &str {
        "synth"
    }

    fn fingerprint(&self) -> String {
        format!("synth {:?}", self.engine)
    }

    fn deterministic(&self) -> bool {
        true
    }

    fn generate(
        &self,
        prompt: &Prompt,
        _config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        let t = Instant::now();
        let err = |message: String| InferError::Generation {
            generator: "synth".into(),
            message,
        };
        let intent = intent_from_prompt(&prompt.as_text()).map_err(err)?;
        let policy =
            kubescribe_synth::synthesize(&intent, self.engine).map_err(|e| err(e.to_string()))?;
        let text = policy.to_canonical_yaml().map_err(|e| err(e.to_string()))?;
        Ok(Generation {
            text,
            prompt_tokens: None,
            completion_tokens: None,
            elapsed: t.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTENT: &str = r#"{"scope": {"namespace": "shop", "labels": {"app": "nginx"}}, "domain": "process",
        "action": "block", "resources": {"binaries": ["/bin/bash"]}}"#;

    #[test]
    fn synthesizes_from_a_bare_or_embedded_intent() {
        let g = SynthGenerator::new();
        let out = g
            .generate(&Prompt::Text(INTENT.into()), &GenerationConfig::default())
            .unwrap();
        assert!(out.text.contains("kind: KubeArmorPolicy"), "{}", out.text);
        let embedded = format!("Write a policy for this intent:\n{INTENT}\nAnswer in YAML.");
        let again = g
            .generate(&Prompt::Text(embedded), &GenerationConfig::default())
            .unwrap();
        assert_eq!(out.text, again.text);
        let t = SynthGenerator::for_engine(Engine::Tetragon)
            .generate(&Prompt::Text(INTENT.into()), &GenerationConfig::default())
            .unwrap();
        assert!(t.text.contains("security_bprm_check"));
        let e = g
            .generate(
                &Prompt::Text("block bash".into()),
                &GenerationConfig::default(),
            )
            .unwrap_err();
        assert!(e.to_string().contains("no JSON intent"), "{e}");
    }
}
