//! Batched generation on the candle backend: several prompts decoded
//! together ([`crate::decode_batch`]), one KV cache per sequence, each
//! sequence with its own constraint, stop strings, end-of-sequence and
//! budget, ending independently.
//!
//! Which models batch: Llama-family safetensors directories (Llama-2/3,
//! CodeLlama, DeepSeek-Coder, SmolLM2), which run on our own forward pass
//! ([`super::packed_llama`]). Mistral and Qwen2 directories and GGUF files
//! run on candle-transformers' models, whose single KV cache holds one
//! sequence: their batches are decoded one request after another (the same
//! outputs, without the speed-up); [`CandleGenerator::unbatched_reason`]
//! says so.
//!
//! A sequence decoded in a batch gets bit for bit the logits it gets
//! alone, so the same tokens, greedy or sampled: every layer computes each
//! sequence's rows as it computes them alone (linear layers through a row
//! kernel whose result for a row does not depend on the other rows,
//! prompts through candle's matmul one sequence at a time, attention over
//! the sequence's own cache); see [`super::row_linear`],
//! [`super::step_attention`] and [`super::packed_llama`].

use crate::constrained::{ConstraintTarget, SchemaConstraint};
use crate::decode::DecodeOutput;
use crate::decode_batch::{BatchInput, BatchItem, BatchOutput, BatchTokenModel, decode_batch};
use crate::error::InferError;
use crate::generator::{BatchRequest, Generation, GenerationConfig};

use super::{CandleGenerator, Loaded, Net, packed_llama};

impl Loaded {
    fn unbatched_reason(&self) -> Option<&'static str> {
        match self.net {
            Net::Llama(_) => None,
            Net::Mistral(_) | Net::Qwen2(_) => Some(
                "Mistral and Qwen2 run on candle-transformers' models, whose KV cache holds one sequence",
            ),
            Net::Gguf(_) => Some(
                "GGUF files run on candle-transformers' quantized Llama, whose KV cache holds one sequence",
            ),
        }
    }

    fn batch_err(&self, message: impl std::fmt::Display) -> InferError {
        InferError::Generation {
            generator: "candle".into(),
            message: message.to_string(),
        }
    }
}

impl BatchTokenModel for Loaded {
    fn vocab_size(&self) -> usize {
        self.vocab
    }

    fn reset_batch(&mut self, sequences: usize) -> Result<(), InferError> {
        match &mut self.net {
            Net::Llama(m) => {
                m.reset(sequences);
                Ok(())
            }
            _ => Err(self.batch_err(self.unbatched_reason().unwrap_or("not batched"))),
        }
    }

    fn forward_batch(&mut self, inputs: &[BatchInput<'_>]) -> Result<Vec<Vec<f32>>, InferError> {
        let Net::Llama(m) = &mut self.net else {
            return Err(self.batch_err(self.unbatched_reason().unwrap_or("not batched")));
        };
        let inputs: Vec<packed_llama::Input<'_>> = inputs
            .iter()
            .map(|i| packed_llama::Input {
                seq: i.seq,
                tokens: i.tokens,
                pos: i.pos,
            })
            .collect();
        m.forward(&inputs)
            .and_then(|t| t.to_vec2::<f32>())
            .map_err(|e| self.batch_err(e))
    }
}

/// One prompt of [`CandleGenerator::run_tokens_batch`].
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// Prompt token ids.
    pub ids: Vec<u32>,
    /// The grammar the output must follow (see
    /// [`CandleGenerator::constraint`]).
    pub constraint: Option<SchemaConstraint>,
}

impl CandleGenerator {
    /// Why this model decodes a batch one request after another (`None`:
    /// it decodes the requests together). See [`Self::run_tokens_batch`].
    pub fn unbatched_reason(&self) -> Option<&'static str> {
        self.lock().ok().and_then(|l| l.unbatched_reason())
    }

    /// Decodes several prompts together, as [`Self::run_tokens`] decodes
    /// each alone (same settings, each request with its own constraint,
    /// its `max_new_tokens` cut to what the context leaves it): one forward
    /// pass per step for all running sequences, each with its own KV cache;
    /// a sequence ends on its own EOS, stop string, grammar or budget and
    /// leaves the batch. `on_text` gets each request's new text with its
    /// index; `false` ends that request. Models that do not batch
    /// ([`Self::unbatched_reason`]) run the requests one after another.
    /// One result per request, in order: a request fails alone (a prompt
    /// that does not fit the context, a constraint error).
    pub fn run_tokens_batch(
        &self,
        requests: &mut [TokenRequest],
        config: &GenerationConfig,
        on_text: &mut dyn FnMut(usize, &str) -> bool,
    ) -> Vec<BatchOutput> {
        let started = std::time::Instant::now();
        let mut loaded = match self.lock() {
            Ok(l) => l,
            Err(e) => {
                let message = e.to_string();
                return requests
                    .iter()
                    .map(|_| BatchOutput {
                        output: Err(self.gen_err(message.clone())),
                        elapsed: started.elapsed(),
                    })
                    .collect();
            }
        };
        if loaded.unbatched_reason().is_some() {
            drop(loaded);
            return requests
                .iter_mut()
                .enumerate()
                .map(|(i, r)| BatchOutput {
                    output: self.run_tokens(&r.ids, config, r.constraint.as_mut(), &mut |t| {
                        on_text(i, t)
                    }),
                    elapsed: started.elapsed(),
                })
                .collect();
        }
        let context = loaded.context;
        // Requests whose prompt fills the context fail alone.
        let mut results: Vec<Option<BatchOutput>> = requests
            .iter()
            .map(|r| {
                (r.ids.len() >= context).then(|| BatchOutput {
                    output: Err(self.gen_err(format!(
                        "the prompt is {} tokens but the model's context holds {context}: shorten it",
                        r.ids.len()
                    ))),
                    elapsed: started.elapsed(),
                })
            })
            .collect();
        let run: Vec<usize> = (0..requests.len())
            .filter(|&i| results[i].is_none())
            .collect();
        let items: Vec<BatchItem<'_>> = requests
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| results[*i].is_none())
            .map(|(_, r)| BatchItem {
                prompt: &r.ids,
                max_new_tokens: config.max_new_tokens.min(context - r.ids.len()),
                constraint: r.constraint.as_mut(),
            })
            .collect();
        let dec = |t: &[u32]| self.decode_tokens(t);
        let outs = decode_batch(&mut *loaded, items, config, &self.eos, &dec, &mut |k, t| {
            on_text(run[k], t)
        });
        for (k, out) in outs.into_iter().enumerate() {
            results[run[k]] = Some(out);
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| BatchOutput {
                    output: Err(self.gen_err("the request was not run".into())),
                    elapsed: started.elapsed(),
                })
            })
            .collect()
    }

    /// A constraint for `target` bound to this model's tokenizer (compiled
    /// once per target, then cloned), as
    /// [`crate::Generator::generate_constrained`] builds it.
    pub fn constraint_for(
        &self,
        target: &ConstraintTarget,
    ) -> Result<SchemaConstraint, InferError> {
        self.constraints
            .constraint(target, self.constraint_tokenizer()?)
    }

    /// [`crate::Generator::generate_requests`]: prompts encoded and
    /// constraints built per request (a failure fails its request only),
    /// then one [`Self::run_tokens_batch`]. A generation's `elapsed` runs
    /// from the start of the batch to the end of its own sequence.
    pub(super) fn batch_generations(
        &self,
        requests: &[BatchRequest<'_>],
        config: &GenerationConfig,
    ) -> Vec<Result<Generation, InferError>> {
        let started = std::time::Instant::now();
        let prepared: Vec<Result<TokenRequest, InferError>> = requests
            .iter()
            .map(|r| {
                let ids = self.encode(r.prompt)?;
                let constraint = match r.target {
                    Some(t) => Some(self.constraint_for(t)?),
                    None => None,
                };
                Ok(TokenRequest { ids, constraint })
            })
            .collect();
        let mut ok: Vec<TokenRequest> = Vec::new();
        let mut slots: Vec<Result<usize, InferError>> = Vec::with_capacity(prepared.len());
        for p in prepared {
            slots.push(p.map(|r| {
                ok.push(r);
                ok.len() - 1
            }));
        }
        let prepared_in = started.elapsed();
        let mut outs: Vec<Option<BatchOutput>> = self
            .run_tokens_batch(&mut ok, config, &mut |_, _| true)
            .into_iter()
            .map(Some)
            .collect();
        slots
            .into_iter()
            .map(|slot| {
                let k = slot?;
                let out = outs.get_mut(k).and_then(Option::take).ok_or_else(|| {
                    self.gen_err("the batch returned fewer results than requests".into())
                })?;
                let dec: DecodeOutput = out.output?;
                Ok(Generation {
                    text: self.decode_tokens(&dec.tokens),
                    prompt_tokens: Some(dec.stats.prompt_tokens),
                    completion_tokens: Some(dec.stats.output_tokens),
                    elapsed: prepared_in + out.elapsed,
                })
            })
            .collect()
    }
}
