//! Batched decoding: several sequences share each forward pass of a model
//! that keeps one KV cache per sequence ([`BatchTokenModel`]), while each
//! sequence decodes exactly as [`crate::decode::decode`] would decode it
//! alone — its own sampler (seeded as if alone), constraint, stop strings,
//! end-of-sequence and budget — and ends independently; the batch shrinks
//! as sequences end.
//!
//! A forward pass takes every running sequence's pending tokens (the whole
//! prompt at first, one sampled token plus any tokens the grammar forced
//! afterwards), so the prompts are prefilled together and sequences of
//! different lengths need no padding.

use std::time::{Duration, Instant};

use crate::constrained::SchemaConstraint;
use crate::decode::{DecodeOutput, Ends, Sequence};
use crate::error::InferError;
use crate::generator::GenerationConfig;

/// One sequence's input to a batched forward pass.
#[derive(Debug, Clone, Copy)]
pub struct BatchInput<'a> {
    /// The sequence (its KV cache), `0..n` of [`BatchTokenModel::reset_batch`].
    pub seq: usize,
    /// Tokens to feed.
    pub tokens: &'a [u32],
    /// Their first position: the number of tokens fed to this sequence
    /// before.
    pub pos: usize,
}

/// A causal language model that runs several sequences in one forward
/// pass, each with its own KV cache.
pub trait BatchTokenModel {
    /// Logits width.
    fn vocab_size(&self) -> usize;
    /// Forgets every cache and opens `sequences` empty ones.
    fn reset_batch(&mut self, sequences: usize) -> Result<(), InferError>;
    /// Feeds each input's tokens to its sequence; the logits after each
    /// input's last token, in the order of `inputs` (a sequence appears at
    /// most once).
    fn forward_batch(&mut self, inputs: &[BatchInput<'_>]) -> Result<Vec<Vec<f32>>, InferError>;
}

/// One sequence of a batch.
pub struct BatchItem<'c> {
    /// Prompt token ids (not empty).
    pub prompt: &'c [u32],
    /// Most new tokens (a model's context may leave less than the
    /// configuration's `max_new_tokens`).
    pub max_new_tokens: usize,
    /// The grammar its output must follow.
    pub constraint: Option<&'c mut SchemaConstraint>,
}

/// What one sequence of a batch gave.
#[derive(Debug)]
pub struct BatchOutput {
    /// Its decoding record, or why it failed (alone: a failed constraint
    /// fails its sequence only; a failed forward pass fails the sequences
    /// in it).
    pub output: Result<DecodeOutput, InferError>,
    /// From the start of the batch to this sequence's end.
    pub elapsed: Duration,
}

/// Decodes `items` together (see the module documentation). `on_text`
/// receives each sequence's new text with its index in `items`; returning
/// `false` ends that sequence ([`crate::decode::FinishReason::Cancelled`]).
/// The statistics' forward-pass times are those of the batched passes each
/// sequence took part in.
pub fn decode_batch(
    model: &mut dyn BatchTokenModel,
    items: Vec<BatchItem<'_>>,
    config: &GenerationConfig,
    eos: &[u32],
    decode_text: &dyn Fn(&[u32]) -> String,
    on_text: &mut dyn FnMut(usize, &str) -> bool,
) -> Vec<BatchOutput> {
    let started = Instant::now();
    let n = items.len();
    let ends = Ends {
        eos,
        stop: &config.stop,
        decode_text,
    };
    let mut results: Vec<Option<BatchOutput>> = (0..n).map(|_| None).collect();
    let done = |results: &mut Vec<Option<BatchOutput>>, i: usize, r| {
        results[i] = Some(BatchOutput {
            output: r,
            elapsed: started.elapsed(),
        });
    };
    let mut seqs: Vec<Option<Sequence<'_>>> = Vec::with_capacity(n);
    for (i, item) in items.into_iter().enumerate() {
        match Sequence::new(item.prompt, config, item.max_new_tokens, item.constraint) {
            Ok(s) => seqs.push(Some(s)),
            Err(e) => {
                seqs.push(None);
                done(&mut results, i, Err(e));
            }
        }
    }
    if let Err(e) = model.reset_batch(n) {
        let message = e.to_string();
        for (i, s) in seqs.iter_mut().enumerate() {
            if s.take().is_some() {
                done(&mut results, i, Err(batch_err(&message)));
            }
        }
    }
    // Runs sequence `i` up to its next forward pass; an ended one leaves
    // the batch with its result.
    let mut step = |seqs: &mut Vec<Option<Sequence<'_>>>,
                    results: &mut Vec<Option<BatchOutput>>,
                    i: usize,
                    logits: Option<(Vec<f32>, Duration)>| {
        let Some(s) = seqs[i].as_mut() else { return };
        let mut on = |t: &str| on_text(i, t);
        let r = match logits {
            Some((l, took)) => s.accept(l, took, &ends, &mut on),
            None => Ok(()),
        }
        .and_then(|()| s.advance(&ends, &mut on));
        match r {
            Ok(true) => {}
            Ok(false) => {
                if let Some(s) = seqs[i].take() {
                    done(results, i, Ok(s.into_output()));
                }
            }
            Err(e) => {
                seqs[i] = None;
                done(results, i, Err(e));
            }
        }
    };
    for i in 0..n {
        step(&mut seqs, &mut results, i, None);
    }
    loop {
        let running: Vec<usize> = (0..n).filter(|&i| seqs[i].is_some()).collect();
        if running.is_empty() {
            break;
        }
        let t0 = Instant::now();
        let logits = {
            let inputs: Vec<BatchInput<'_>> = running
                .iter()
                .filter_map(|&i| {
                    seqs[i].as_ref().map(|s| BatchInput {
                        seq: i,
                        tokens: &s.pending,
                        pos: s.pos,
                    })
                })
                .collect();
            model.forward_batch(&inputs)
        };
        let took = t0.elapsed();
        match logits {
            Ok(rows) if rows.len() == running.len() => {
                for (&i, row) in running.iter().zip(rows) {
                    step(&mut seqs, &mut results, i, Some((row, took)));
                }
            }
            other => {
                let message = match other {
                    Err(e) => e.to_string(),
                    Ok(rows) => format!(
                        "the model gave {} rows of logits for {} sequences",
                        rows.len(),
                        running.len()
                    ),
                };
                for &i in &running {
                    seqs[i] = None;
                    done(&mut results, i, Err(batch_err(&message)));
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| BatchOutput {
                output: Err(batch_err("the sequence never ended")),
                elapsed: started.elapsed(),
            })
        })
        .collect()
}

fn batch_err(message: &str) -> InferError {
    InferError::Generation {
        generator: "decode".into(),
        message: format!("batched forward pass: {message}"),
    }
}
