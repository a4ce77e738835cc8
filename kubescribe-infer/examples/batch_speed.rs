//! Batched generation against one-at-a-time on the candle backend, in one
//! run: `--n` different generate-shaped prompts (intents from
//! `kubescribe-intent/tests/fixtures/intents.jsonl`, through `generate`'s
//! prompt builder), greedy, the same `--max-new` tokens at most, first each
//! prompt alone ([`CandleGenerator::run_tokens`]), then all together
//! ([`CandleGenerator::run_tokens_batch`]). Prints the tokens/s of each
//! (output tokens over wall time, prompts' prefill included), the ratio,
//! and whether every output is the same; exits 1 when one is not.
//!
//! ```text
//! CANDLE_NUM_THREADS=2 RAYON_NUM_THREADS=2 \
//!   cargo run --release -p kubescribe-infer --example batch_speed -- \
//!   --model ~/.cache/kubescribe-models/smollm2-135m-hf --threads 2 --n 8 --max-new 64
//! ```
//!
//! `--constrained` constrains every prompt to the schema shaped by its
//! intent (as `eval` does). candle sizes its thread pools from the
//! environment when first used (`kubescribe_infer::candle::THREAD_ENV`):
//! set them as above; the example refuses to run when they disagree with
//! `--threads`.

use std::process::ExitCode;
use std::time::Instant;

use kubescribe_core::intent::Intent;
use kubescribe_infer::candle::{CandleGenerator, LoadOptions, TokenRequest, cpu_threads};
use kubescribe_infer::pipeline::{PlainPrompts, PromptSource, target_engine};
use kubescribe_infer::{ConstraintTarget, GenerationConfig};

const INTENTS: &str = include_str!("../../kubescribe-intent/tests/fixtures/intents.jsonl");

#[path = "common/args.rs"]
mod args;
use args::{arg, num};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("batch_speed: {e}");
            ExitCode::from(2)
        }
    }
}

/// `n` intents spread over the file (different engines and domains).
fn intents(n: usize) -> Result<Vec<Intent>, String> {
    let lines: Vec<&str> = INTENTS.lines().filter(|l| !l.trim().is_empty()).collect();
    let stride = (lines.len() / n.max(1)).max(1);
    lines
        .iter()
        .step_by(stride)
        .take(n)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).map_err(|e| e.to_string())?;
            serde_json::from_value(v["intent"].clone()).map_err(|e| e.to_string())
        })
        .collect()
}

fn run() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().collect();
    let model = arg(&args, "--model").ok_or(
        "usage: batch_speed --model DIR [--threads N] [--n 8] [--max-new 64] [--constrained]",
    )?;
    let threads = num(&args, "--threads", 1)?;
    let n = num(&args, "--n", 8)?;
    let max_new = num(&args, "--max-new", 64)?;
    let constrained = args.iter().any(|a| a == "--constrained");
    if cpu_threads() != threads {
        return Err(format!(
            "candle would use {} threads: set CANDLE_NUM_THREADS={threads} RAYON_NUM_THREADS={threads}",
            cpu_threads()
        ));
    }
    let g = CandleGenerator::load(&model, &LoadOptions::default()).map_err(|e| e.to_string())?;
    if let Some(why) = g.unbatched_reason() {
        eprintln!("batch_speed: note: this model does not batch: {why}");
    }
    let cfg = GenerationConfig {
        max_new_tokens: max_new,
        ..GenerationConfig::default()
    };
    let mut requests = Vec::new();
    for intent in intents(n)? {
        let prompt = PlainPrompts
            .build(&intent, None, &[])
            .map_err(|e| e.to_string())?;
        let constraint = if constrained {
            let target = ConstraintTarget::for_intent(&intent, target_engine(&intent), None);
            Some(
                g.constraint_for(&target)
                    .map_err(|e| format!("constraint: {e}"))?,
            )
        } else {
            None
        };
        requests.push(TokenRequest {
            ids: g.encode(&prompt).map_err(|e| e.to_string())?,
            constraint,
        });
    }
    let prompt_tokens: Vec<usize> = requests.iter().map(|r| r.ids.len()).collect();
    // warm-up: thread pools, allocator
    let _ = g.run_tokens(
        &requests[0].ids[..8.min(requests[0].ids.len())],
        &GenerationConfig {
            max_new_tokens: 2,
            ..cfg.clone()
        },
        None,
        &mut |_| true,
    );

    let t = Instant::now();
    let mut alone = Vec::new();
    let (mut prefill, mut decode, mut steps) = (0.0, 0.0, 0);
    for r in &requests {
        let mut c = r.constraint.clone();
        let out = g
            .run_tokens(&r.ids, &cfg, c.as_mut(), &mut |_| true)
            .map_err(|e| e.to_string())?;
        prefill += out.stats.prefill.as_secs_f64();
        decode += out.stats.decode.as_secs_f64();
        steps += out.stats.decode_steps;
        alone.push(out.tokens);
    }
    let alone_s = t.elapsed().as_secs_f64();

    let mut batch_requests = requests.clone();
    let t = Instant::now();
    let outs = g.run_tokens_batch(&mut batch_requests, &cfg, &mut |_, _| true);
    let batch_s = t.elapsed().as_secs_f64();
    let mut batched = Vec::new();
    let (mut b_prefill, mut b_decode, mut b_steps) = (0.0f64, 0.0f64, 0);
    for o in outs {
        let out = o.output.map_err(|e| e.to_string())?;
        // every sequence saw the same batched passes: the longest-running one saw them all
        if out.stats.decode_steps >= b_steps {
            b_steps = out.stats.decode_steps;
            b_decode = out.stats.decode.as_secs_f64();
        }
        b_prefill = b_prefill.max(out.stats.prefill.as_secs_f64());
        batched.push(out.tokens);
    }

    let tokens: usize = alone.iter().map(Vec::len).sum();
    let batch_tokens: usize = batched.iter().map(Vec::len).sum();
    let same: Vec<bool> = alone.iter().zip(&batched).map(|(a, b)| a == b).collect();
    let (alone_tps, batch_tps) = (tokens as f64 / alone_s, batch_tokens as f64 / batch_s);
    println!(
        "{{\"model\":{:?},\"threads\":{threads},\"prompts\":{n},\"constrained\":{constrained},\"max_new_tokens\":{max_new},\"prompt_tokens\":{prompt_tokens:?},\"output_tokens\":{:?}}}",
        model,
        alone.iter().map(Vec::len).collect::<Vec<_>>()
    );
    println!("one-at-a-time: {tokens} tokens in {alone_s:.2} s = {alone_tps:.1} tokens/s");
    println!("batched:       {batch_tokens} tokens in {batch_s:.2} s = {batch_tps:.1} tokens/s");
    println!(
        "  one-at-a-time: prefill {prefill:.2} s, {steps} decode steps {:.1} ms each",
        decode * 1e3 / steps.max(1) as f64
    );
    println!(
        "  batched: prefill {b_prefill:.2} s, {b_steps} decode steps {:.1} ms each",
        b_decode * 1e3 / b_steps.max(1) as f64
    );
    println!("ratio: {:.2}x", batch_tps / alone_tps);
    let identical = same.iter().all(|s| *s);
    println!(
        "outputs identical: {} ({}/{} prompts)",
        if identical { "yes" } else { "NO" },
        same.iter().filter(|s| **s).count(),
        same.len()
    );
    if !identical {
        for (i, (a, b)) in alone.iter().zip(&batched).enumerate() {
            if a != b {
                let k = a.iter().zip(b).take_while(|(x, y)| x == y).count();
                eprintln!("prompt {i}: first difference at output token {k}");
            }
        }
    }
    Ok(identical)
}
