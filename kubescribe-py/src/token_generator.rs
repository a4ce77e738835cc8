//! A token-level Python callable as a `kubescribe_infer::Generator`:
//! `Generator.from_callable(fn, vocab=ConstraintVocab)`. The callable is the
//! model (the output token ids so far → next-token logits, or a token id);
//! the decoding loop is the Rust decoders' (`kubescribe_infer::decode`:
//! sampling, EOS, the token budget) and, for a constrained attempt, under
//! the same intent-shaped grammar (`ConstraintCache`: compiled once per
//! target, forced tokens, the grammar-only close-out near the end of the
//! budget), so every constrained output is a document of the target's
//! schema.

use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use kubescribe_infer::constrained::{ConstraintCache, ConstraintTarget, ConstraintTokenizer};
use kubescribe_infer::decode::{TokenModel, decode};
use kubescribe_infer::{Generation, GenerationConfig, Generator, InferError, Prompt};

use crate::convert::to_py;
use crate::generator::messages;

/// Calls `fn(messages, tokens)` for every decoding step (with `settings`,
/// the loop's `max_new_tokens`, `temperature` and `seed` as keywords).
pub(crate) struct TokenCallableGenerator {
    callable: Py<PyAny>,
    name: String,
    vocab: Arc<ConstraintTokenizer>,
    settings: bool,
    constraints: ConstraintCache,
}

impl TokenCallableGenerator {
    pub(crate) fn new(
        callable: Py<PyAny>,
        name: String,
        vocab: Arc<ConstraintTokenizer>,
        settings: bool,
    ) -> Self {
        TokenCallableGenerator {
            callable,
            name,
            vocab,
            settings,
            constraints: ConstraintCache::default(),
        }
    }

    fn fail(&self, message: impl std::fmt::Display) -> InferError {
        InferError::Generation {
            generator: self.name.clone(),
            message: message.to_string(),
        }
    }

    fn run(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: Option<&ConstraintTarget>,
    ) -> Result<Generation, InferError> {
        let started = Instant::now();
        let mut constraint = match target {
            Some(t) => Some(self.constraints.constraint(t, &self.vocab)?),
            None => None,
        };
        let (messages, kwargs) = Python::attach(|py| -> PyResult<_> {
            let kwargs = PyDict::new(py);
            if self.settings {
                kwargs.set_item("max_new_tokens", config.max_new_tokens)?;
                kwargs.set_item("temperature", config.temperature)?;
                kwargs.set_item("seed", config.seed)?;
            }
            Ok((to_py(py, &messages(prompt))?.unbind(), kwargs.unbind()))
        })
        .map_err(|e| self.fail(e))?;
        let mut model = CallableModel {
            generator: self,
            messages,
            kwargs,
            output: Vec::new(),
            last_id: None,
        };
        // The callable holds the prompt as messages: the loop's one prompt
        // token is a placeholder it never sees.
        let placeholder = [self.vocab.eos().first().copied().unwrap_or(0)];
        let vocab = &self.vocab;
        let out = decode(
            &mut model,
            &placeholder,
            config,
            vocab.eos(),
            constraint.as_mut(),
            &|t| vocab.decode(t),
            &mut |_| true,
        )
        .map_err(|e| match (model.last_id, target) {
            // A one-hot answer the grammar masked away.
            (Some(id), Some(_)) if e.to_string().contains("no finite logit") => self.fail(format!(
                "the callable chose token {id}, which the intent's grammar does not allow here"
            )),
            _ => e,
        })?;
        Ok(Generation {
            text: vocab.decode(&out.tokens),
            prompt_tokens: None,
            completion_tokens: Some(out.stats.output_tokens),
            elapsed: started.elapsed(),
        })
    }
}

/// The callable as a [`TokenModel`]: it is handed every output token so
/// far (forced ones included) and answers for the next one.
struct CallableModel<'a> {
    generator: &'a TokenCallableGenerator,
    messages: Py<PyAny>,
    kwargs: Py<PyDict>,
    output: Vec<u32>,
    /// The last answer, when it was a token id.
    last_id: Option<u32>,
}

impl TokenModel for CallableModel<'_> {
    fn vocab_size(&self) -> usize {
        self.generator.vocab.vocab_size()
    }

    fn reset(&mut self) {
        self.output.clear();
    }

    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, InferError> {
        // The first feed is the placeholder prompt token.
        self.output.extend_from_slice(if pos == 0 {
            &tokens[tokens.len().min(1)..]
        } else {
            tokens
        });
        let g = self.generator;
        let n = self.vocab_size();
        self.last_id = None;
        let last_id = &mut self.last_id;
        let (messages, kwargs, output) = (&self.messages, &self.kwargs, &self.output);
        Python::attach(|py| -> Result<Vec<f32>, InferError> {
            let out = g
                .callable
                .call(
                    py,
                    (messages.clone_ref(py), output.clone()),
                    Some(kwargs.bind(py)),
                )
                .map_err(|e| g.fail(format!("the callable raised {e}")))?;
            let out = out.bind(py);
            if out.is_instance_of::<pyo3::types::PyInt>()
                && !out.is_instance_of::<pyo3::types::PyBool>()
            {
                let id: u32 = out
                    .extract()
                    .map_err(|_| g.fail("the callable returned a token id out of range"))?;
                if id as usize >= n {
                    return Err(g.fail(format!(
                        "the callable returned token {id}; the vocabulary has {n}"
                    )));
                }
                // Only this token: under a constraint that refuses it, the
                // loop fails with "no finite logit".
                let mut logits = vec![f32::NEG_INFINITY; n];
                logits[id as usize] = 0.0;
                *last_id = Some(id);
                return Ok(logits);
            }
            let mut logits: Vec<f32> = out.extract().map_err(|_| {
                g.fail("the callable must return a token id (int) or the next-token logits (a sequence of float)")
            })?;
            if logits.len() > n {
                return Err(g.fail(format!(
                    "the callable returned {} logits; the vocabulary has {n}",
                    logits.len()
                )));
            }
            // A model narrower than the padded vocabulary: the rest never wins.
            logits.resize(n, f32::NEG_INFINITY);
            Ok(logits)
        })
    }
}

impl Generator for TokenCallableGenerator {
    fn name(&self) -> &str {
        &self.name
    }

    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        self.run(prompt, config, None)
    }

    fn generate_constrained(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
    ) -> Result<Option<Generation>, InferError> {
        self.run(prompt, config, Some(target)).map(Some)
    }
}
