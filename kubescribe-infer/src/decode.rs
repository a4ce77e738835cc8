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
    mut constraint: Option<&mut SchemaConstraint>,
    decode_text: &dyn Fn(&[u32]) -> String,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<DecodeOutput, InferError> {
    let mut stats = DecodeStats {
        prompt_tokens: prompt.len(),
        ..DecodeStats::default()
    };
    if prompt.is_empty() {
        return Err(InferError::Generation {
            generator: "decode".into(),
            message: "empty prompt".into(),
        });
    }
    model.reset();
    let mut sampler = Sampler::new(config);
    let budget = config.max_new_tokens;
    let mut out: Vec<u32> = Vec::new();
    let mut context: Vec<u32> = prompt.to_vec();
    let mut pending: Vec<u32> = prompt.to_vec();
    let mut pos = 0usize;
    let mut emitted = 0usize;
    let mut closing = false;
    let mut last_need = 0usize;
    let mut max_burst = 1usize;
    let mut finish = FinishReason::Length;
    let mut step = 0usize;
    loop {
        if let Some(c) = constraint.as_deref_mut() {
            let t0 = Instant::now();
            let ff = c.forced_tokens()?;
            stats.mask += t0.elapsed();
            stats.forced_tokens += ff.len();
            max_burst = max_burst.max(ff.len() + 1);
            out.extend_from_slice(&ff);
            context.extend_from_slice(&ff);
            pending.extend_from_slice(&ff);
            if c.is_finished() {
                finish = FinishReason::Eos;
                break;
            }
        }
        if out.len() >= budget {
            break;
        }
        let remaining = budget - out.len();
        // Switch to the close-out while it still fits.
        if let Some(c) = constraint.as_deref_mut()
            && !closing
            && (step.is_multiple_of(16) || remaining <= 2 * last_need + 4 * max_burst + 64)
        {
            let t0 = Instant::now();
            let need = c.tokens_to_close(remaining)?;
            stats.close_check += t0.elapsed();
            match need {
                Some(n) => {
                    last_need = n;
                    if n + max_burst + 2 >= remaining {
                        closing = true;
                    }
                }
                None => closing = true,
            }
        }
        step += 1;
        let token = if closing {
            let c = constraint
                .as_deref_mut()
                .ok_or_else(|| InferError::Constraint("close-out without a constraint".into()))?;
            let t0 = Instant::now();
            let t = c.closing_token()?;
            stats.mask += t0.elapsed();
            stats.closing_tokens += 1;
            t
        } else {
            let t0 = Instant::now();
            let mut logits = model.forward(&pending, pos)?;
            if pos == 0 {
                stats.prefill += t0.elapsed();
            } else {
                stats.decode += t0.elapsed();
                stats.decode_steps += 1;
            }
            pos += pending.len();
            pending.clear();
            if let Some(c) = constraint.as_deref_mut() {
                let t0 = Instant::now();
                c.mask(&mut logits)?;
                stats.mask += t0.elapsed();
            }
            if !logits.iter().any(|l| l.is_finite()) {
                return Err(InferError::Generation {
                    generator: "decode".into(),
                    message: "the model produced no finite logit".into(),
                });
            }
            let t = sampler.sample(&mut logits, &context);
            stats.sampled_tokens += 1;
            t
        };
        if let Some(c) = constraint.as_deref_mut() {
            let t0 = Instant::now();
            c.commit(token)?;
            stats.mask += t0.elapsed();
        }
        if eos.contains(&token) {
            finish = FinishReason::Eos;
            break;
        }
        out.push(token);
        context.push(token);
        pending.push(token);
        // Stop strings and streaming work on text.
        if constraint.is_none() && !config.stop.is_empty() {
            let text = decode_text(&out);
            if let Some(cut) = config
                .stop
                .iter()
                .filter_map(|s| text.find(s.as_str()))
                .min()
            {
                // Keep only the tokens whose text precedes the stop string.
                while !out.is_empty() && decode_text(&out).len() > cut {
                    out.pop();
                }
                finish = FinishReason::Stop;
                break;
            }
        }
        if !on_text(&decode_text(&out[emitted..])) {
            finish = FinishReason::Cancelled;
            break;
        }
        emitted = out.len();
    }
    stats.output_tokens = out.len();
    Ok(DecodeOutput {
        tokens: out,
        finish,
        force_closed: stats.closing_tokens > 0,
        stats,
    })
}
