//! A Python callable as a `kubescribe_infer::Generator`, so the generate →
//! validate → fidelity → regenerate loop (`Pipeline`) drives any in-process
//! model: `Generator.from_callable(fn)` and, on top of it in Python,
//! `Generator.from_transformers(model, tokenizer, **gen_kwargs)`. The
//! token-level form (`from_callable(fn, vocab=...)`) is `token_generator`.
//!
//! The loop runs with the GIL released; each call into the callable takes
//! it back for the call's length only.

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde_json::Value;

use kubescribe_infer::constrained::ConstraintTarget;
use kubescribe_infer::{ChatMessage, Generation, GenerationConfig, Generator, InferError, Prompt};

use crate::constraint::PyConstraintTarget;
use crate::convert::{from_py, to_py};

/// The prompt as chat messages (plain text is one user message).
pub(crate) fn messages(prompt: &Prompt) -> Vec<ChatMessage> {
    match prompt {
        Prompt::Chat(m) => m.clone(),
        Prompt::Text(t) => vec![ChatMessage {
            role: "user".into(),
            content: t.clone(),
        }],
    }
}

/// Calls `fn(messages)` (and, when it constrains its own decoding,
/// `fn(messages, target)`) for every generation; with `settings`, the
/// loop's `max_new_tokens`, `temperature` and `seed` go along as keywords.
pub(crate) struct CallableGenerator {
    callable: Py<PyAny>,
    name: String,
    constrained: bool,
    settings: bool,
}

impl CallableGenerator {
    pub(crate) fn new(
        callable: Py<PyAny>,
        name: String,
        constrained: bool,
        settings: bool,
    ) -> Self {
        CallableGenerator {
            callable,
            name,
            constrained,
            settings,
        }
    }

    fn fail(&self, message: impl std::fmt::Display) -> InferError {
        InferError::Generation {
            generator: self.name.clone(),
            message: message.to_string(),
        }
    }

    fn call(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: Option<&ConstraintTarget>,
    ) -> Result<Generation, InferError> {
        let started = Instant::now();
        Python::attach(|py| -> Result<Generation, InferError> {
            let messages = to_py(py, &messages(prompt)).map_err(|e| self.fail(e))?;
            let kwargs = PyDict::new(py);
            if self.settings {
                let settings = || -> PyResult<()> {
                    kwargs.set_item("max_new_tokens", config.max_new_tokens)?;
                    kwargs.set_item("temperature", config.temperature)?;
                    kwargs.set_item("seed", config.seed)?;
                    Ok(())
                };
                settings().map_err(|e| self.fail(e))?;
            }
            let out = match target {
                Some(t) => {
                    let t = Py::new(py, PyConstraintTarget { inner: t.clone() })
                        .map_err(|e| self.fail(e))?;
                    self.callable.call(py, (messages, t), Some(&kwargs))
                }
                None => self.callable.call(py, (messages,), Some(&kwargs)),
            }
            .map_err(|e| self.fail(format!("the callable raised {e}")))?;
            self.answer(out.bind(py), started)
        })
    }

    /// The callable's answer: text, or a dict with `text` (and optionally
    /// `prompt_tokens`, `completion_tokens`).
    fn answer(&self, out: &Bound<'_, PyAny>, started: Instant) -> Result<Generation, InferError> {
        let (text, prompt_tokens, completion_tokens) = if let Ok(s) = out.cast::<PyString>() {
            (s.to_string(), None, None)
        } else if out.is_instance_of::<PyDict>() {
            let v = from_py(out, "answer").map_err(|e| self.fail(e))?;
            let count = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as usize);
            let text = v
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| self.fail("the callable's dict has no \"text\" string"))?
                .to_string();
            (text, count("prompt_tokens"), count("completion_tokens"))
        } else {
            let ty = out
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default();
            return Err(self.fail(format!(
                "the callable returned {ty}: expected str or a dict with \"text\""
            )));
        };
        Ok(Generation {
            text,
            prompt_tokens,
            completion_tokens,
            elapsed: started.elapsed(),
        })
    }
}

impl Generator for CallableGenerator {
    fn name(&self) -> &str {
        &self.name
    }

    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        self.call(prompt, config, None)
    }

    fn generate_constrained(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
    ) -> Result<Option<Generation>, InferError> {
        if !self.constrained {
            return Ok(None);
        }
        self.call(prompt, config, Some(target)).map(Some)
    }
}
