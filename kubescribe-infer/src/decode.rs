//! The decoding loop shared by the local backends: a model that turns fed
//! tokens into next-token logits ([`TokenModel`]), sampling
//! ([`Sampler`]: greedy or seeded temperature / top-k / top-p with a
//! repetition penalty, from [`crate::sampling`]), stop strings, and optional schema-constrained
//! decoding ([`SchemaConstraint`]) with forced tokens fed in one batch and
//! a grammar-only close-out when the token budget runs short.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::constrained::SchemaConstraint;
use crate::error::InferError;
use crate::generator::GenerationConfig;
use crate::sampling::Sampler;

/// A causal language model with a KV cache.
pub trait TokenModel {
    /// Logits width.
    fn vocab_size(&self) -> usize;
    /// Forgets the cache (a new sequence starts at position 0).
    fn reset(&mut self);
    /// Feeds `tokens` at position `pos` (the number of tokens fed before)
    /// and returns the logits after the last one.
    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, InferError>;
}

/// A small deterministic RNG (SplitMix64), so seeded runs repeat exactly.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Why decoding ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model (or the grammar) ended the sequence.
    Eos,
    /// A stop string appeared.
    Stop,
    /// The token budget ran out before the end: the output is cut off.
    Length,
    /// The callback asked to stop.
    Cancelled,
}

/// Counters of one decoding run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecodeStats {
    /// Prompt tokens.
    pub prompt_tokens: usize,
    /// Output tokens (sampled plus forced).
    pub output_tokens: usize,
    /// Tokens chosen by sampling from the model.
    pub sampled_tokens: usize,
    /// Tokens forced by the grammar (appended without a forward pass each).
    pub forced_tokens: usize,
    /// Tokens chosen by the grammar-only close-out at the end of the budget.
    pub closing_tokens: usize,
    /// Forward passes after the prompt.
    pub decode_steps: usize,
    /// Time in the prompt's forward pass.
    pub prefill: Duration,
    /// Time in forward passes after the prompt.
    pub decode: Duration,
    /// Time in the grammar per step: masks, commits, forced tokens.
    pub mask: Duration,
    /// Time simulating the close-out to decide when it must take over.
    pub close_check: Duration,
}

/// The result of one decoding run.
#[derive(Debug, Clone)]
pub struct DecodeOutput {
    /// Output token ids (EOS left out).
    pub tokens: Vec<u32>,
    /// Why it ended.
    pub finish: FinishReason,
    /// Whether the grammar-only close-out finished the document.
    pub force_closed: bool,
    /// Counters.
    pub stats: DecodeStats,
}

/// Decodes after `prompt` until EOS, a stop string, the token budget, or the
/// callback returning `false`. `decode_text` turns output tokens into text
/// (for stop strings and the callback); `eos` ends generation.
///
/// With a constraint, every output token is one the grammar allows; when
/// the remaining budget gets close to what the grammar-only close-out needs
/// ([`SchemaConstraint::tokens_to_close`]), the close-out takes over and
/// finishes the document without the model, so a constrained output is a
/// complete document unless even the close-out does not fit (then
/// `finish` is [`FinishReason::Length`]).
#[allow(clippy::too_many_arguments)]
pub fn decode(
    model: &mut dyn TokenModel,
    prompt: &[u32],
    config: &GenerationConfig,
    eos: &[u32],
    constraint: Option<&mut SchemaConstraint>,
    decode_text: &dyn Fn(&[u32]) -> String,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<DecodeOutput, InferError> {
    let mut seq = Sequence::new(prompt, config, config.max_new_tokens, constraint)?;
    model.reset();
    let ends = Ends {
        eos,
        stop: &config.stop,
        decode_text,
    };
    while seq.advance(&ends, on_text)? {
        let t0 = Instant::now();
        let logits = model.forward(&seq.pending, seq.pos)?;
        seq.accept(logits, t0.elapsed(), &ends, on_text)?;
    }
    Ok(seq.into_output())
}

/// What ends a sequence besides its budget and grammar: end-of-sequence
/// ids and stop strings (found in the text `decode_text` makes).
pub(crate) struct Ends<'a> {
    pub(crate) eos: &'a [u32],
    pub(crate) stop: &'a [String],
    pub(crate) decode_text: &'a dyn Fn(&[u32]) -> String,
}

/// One sequence's decoding state between forward passes: the loop of
/// [`decode`] cut at the model, so that several sequences can share one
/// batched forward pass ([`crate::decode_batch`]) and still decode each
/// exactly as alone (own sampler, constraint, stop strings, budget).
pub(crate) struct Sequence<'c> {
    constraint: Option<&'c mut SchemaConstraint>,
    sampler: Sampler,
    budget: usize,
    out: Vec<u32>,
    context: Vec<u32>,
    /// Tokens to feed at the next forward pass, from position `pos`.
    pub(crate) pending: Vec<u32>,
    /// Tokens fed so far (the position of `pending[0]`).
    pub(crate) pos: usize,
    emitted: usize,
    closing: bool,
    last_need: usize,
    max_burst: usize,
    step: usize,
    finish: Option<FinishReason>,
    stats: DecodeStats,
}

impl<'c> Sequence<'c> {
    /// A sequence after `prompt` with `budget` new tokens at most.
    pub(crate) fn new(
        prompt: &[u32],
        config: &GenerationConfig,
        budget: usize,
        constraint: Option<&'c mut SchemaConstraint>,
    ) -> Result<Self, InferError> {
        if prompt.is_empty() {
            return Err(InferError::Generation {
                generator: "decode".into(),
                message: "empty prompt".into(),
            });
        }
        Ok(Sequence {
            constraint,
            sampler: Sampler::new(config),
            budget,
            out: Vec::new(),
            context: prompt.to_vec(),
            pending: prompt.to_vec(),
            pos: 0,
            emitted: 0,
            closing: false,
            last_need: 0,
            max_burst: 1,
            step: 0,
            finish: None,
            stats: DecodeStats {
                prompt_tokens: prompt.len(),
                ..DecodeStats::default()
            },
        })
    }

    /// Goes on without the model (forced tokens, the grammar-only
    /// close-out) until the next token needs a forward pass of `pending`
    /// (`true`) or the sequence has ended (`false`).
    pub(crate) fn advance(
        &mut self,
        ends: &Ends<'_>,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<bool, InferError> {
        while self.finish.is_none() {
            if let Some(c) = self.constraint.as_deref_mut() {
                let t0 = Instant::now();
                let ff = c.forced_tokens()?;
                self.stats.mask += t0.elapsed();
                self.stats.forced_tokens += ff.len();
                self.max_burst = self.max_burst.max(ff.len() + 1);
                self.out.extend_from_slice(&ff);
                self.context.extend_from_slice(&ff);
                self.pending.extend_from_slice(&ff);
                if c.is_finished() {
                    self.finish = Some(FinishReason::Eos);
                    break;
                }
            }
            if self.out.len() >= self.budget {
                self.finish = Some(FinishReason::Length);
                break;
            }
            let remaining = self.budget - self.out.len();
            // Switch to the close-out while it still fits.
            if let Some(c) = self.constraint.as_deref_mut()
                && !self.closing
                && (self.step.is_multiple_of(16)
                    || remaining <= 2 * self.last_need + 4 * self.max_burst + 64)
            {
                let t0 = Instant::now();
                let need = c.tokens_to_close(remaining)?;
                self.stats.close_check += t0.elapsed();
                match need {
                    Some(n) => {
                        self.last_need = n;
                        if n + self.max_burst + 2 >= remaining {
                            self.closing = true;
                        }
                    }
                    None => self.closing = true,
                }
            }
            self.step += 1;
            if !self.closing {
                return Ok(true);
            }
            let c = self
                .constraint
                .as_deref_mut()
                .ok_or_else(|| InferError::Constraint("close-out without a constraint".into()))?;
            let t0 = Instant::now();
            let token = c.closing_token()?;
            self.stats.mask += t0.elapsed();
            self.stats.closing_tokens += 1;
            self.take(token, ends, on_text)?;
        }
        Ok(false)
    }

    /// The logits of the forward pass of `pending` (which took `elapsed`):
    /// masks, samples and takes the next token.
    pub(crate) fn accept(
        &mut self,
        mut logits: Vec<f32>,
        elapsed: Duration,
        ends: &Ends<'_>,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<(), InferError> {
        if self.pos == 0 {
            self.stats.prefill += elapsed;
        } else {
            self.stats.decode += elapsed;
            self.stats.decode_steps += 1;
        }
        self.pos += self.pending.len();
        self.pending.clear();
        if let Some(c) = self.constraint.as_deref_mut() {
            let t0 = Instant::now();
            c.mask(&mut logits)?;
            self.stats.mask += t0.elapsed();
        }
        if !logits.iter().any(|l| l.is_finite()) {
            return Err(InferError::Generation {
                generator: "decode".into(),
                message: "the model produced no finite logit".into(),
            });
        }
        let token = self.sampler.sample(&mut logits, &self.context);
        self.stats.sampled_tokens += 1;
        self.take(token, ends, on_text)
    }

    /// Appends a chosen token: the grammar commits it, EOS ends the
    /// sequence, stop strings cut it, the callback sees the new text.
    fn take(
        &mut self,
        token: u32,
        ends: &Ends<'_>,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<(), InferError> {
        if let Some(c) = self.constraint.as_deref_mut() {
            let t0 = Instant::now();
            c.commit(token)?;
            self.stats.mask += t0.elapsed();
        }
        if ends.eos.contains(&token) {
            self.finish = Some(FinishReason::Eos);
            return Ok(());
        }
        self.out.push(token);
        self.context.push(token);
        self.pending.push(token);
        // Stop strings and streaming work on text.
        if self.constraint.is_none() && !ends.stop.is_empty() {
            let text = (ends.decode_text)(&self.out);
            if let Some(cut) = ends.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
                // Keep only the tokens whose text precedes the stop string.
                while !self.out.is_empty() && (ends.decode_text)(&self.out).len() > cut {
                    self.out.pop();
                }
                self.finish = Some(FinishReason::Stop);
                return Ok(());
            }
        }
        if !on_text(&(ends.decode_text)(&self.out[self.emitted..])) {
            self.finish = Some(FinishReason::Cancelled);
            return Ok(());
        }
        self.emitted = self.out.len();
        Ok(())
    }

    /// The record of the run.
    pub(crate) fn into_output(self) -> DecodeOutput {
        let mut stats = self.stats;
        stats.output_tokens = self.out.len();
        DecodeOutput {
            tokens: self.out,
            finish: self.finish.unwrap_or(FinishReason::Length),
            force_closed: stats.closing_tokens > 0,
            stats,
        }
    }
}
