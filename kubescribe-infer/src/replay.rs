//! A generator that replays recorded outputs: score what another system
//! (a vLLM run, a fine-tuning notebook) produced, through the same harness.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::error::InferError;
use crate::generator::{Generation, GenerationConfig, Generator, Prompt};

/// Replays outputs recorded as JSONL lines `{"prompt": "...", "output": "..."}`.
/// A prompt that was not recorded is an error, never an empty output.
#[derive(Debug, Clone)]
pub struct ReplayGenerator {
    name: String,
    outputs: HashMap<String, String>,
}

impl ReplayGenerator {
    /// Loads recorded outputs.
    pub fn from_jsonl(name: impl Into<String>, path: &Path) -> Result<Self, InferError> {
        let file = std::fs::File::open(path).map_err(|e| InferError::io(path, e))?;
        let mut outputs = HashMap::new();
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| InferError::io(path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: String| InferError::Input {
                source_name: path.display().to_string(),
                line: i + 1,
                message,
            };
            let v: Value = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            let field = |k: &str| -> Result<String, InferError> {
                match v.get(k) {
                    Some(Value::String(s)) => Ok(s.clone()),
                    Some(Value::Array(_)) if k == "prompt" => {
                        let p: Prompt =
                            serde_json::from_value(v[k].clone()).map_err(|e| bad(e.to_string()))?;
                        Ok(p.as_text())
                    }
                    _ => Err(bad(format!("expected a string field `{k}`"))),
                }
            };
            outputs.insert(field("prompt")?, field("output")?);
        }
        Ok(ReplayGenerator {
            name: name.into(),
            outputs,
        })
    }

    /// Builds a replay generator from pairs in memory.
    pub fn from_pairs(
        name: impl Into<String>,
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        ReplayGenerator {
            name: name.into(),
            outputs: pairs.into_iter().collect(),
        }
    }
}

impl Generator for ReplayGenerator {
    fn name(&self) -> &str {
        &self.name
    }

    /// The name and every recorded (prompt, output) pair: other recordings
    /// under the same name are other outputs.
    fn fingerprint(&self) -> String {
        let mut pairs: Vec<(&String, &String)> = self.outputs.iter().collect();
        pairs.sort();
        let text = serde_json::to_string(&pairs).unwrap_or_default();
        format!(
            "replay {} {:016x}",
            self.name,
            crate::eval::fnv1a64(text.as_bytes())
        )
    }

    fn generate(
        &self,
        prompt: &Prompt,
        _config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        let key = prompt.as_text();
        match self.outputs.get(&key) {
            Some(text) => Ok(Generation {
                text: text.clone(),
                prompt_tokens: None,
                completion_tokens: None,
                elapsed: Duration::ZERO,
            }),
            None => Err(InferError::Generation {
                generator: self.name.clone(),
                message: format!(
                    "no recorded output for prompt {:?}",
                    key.chars().take(60).collect::<String>()
                ),
            }),
        }
    }
}
