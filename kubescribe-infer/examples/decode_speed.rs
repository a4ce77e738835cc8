//! Decode speed of one backend on one model: prefill, then exactly
//! `--steps` greedy steps on the KV cache (end-of-sequence ignored, so every
//! run does the same work), repeated `--runs` times after a warm-up; one
//! JSON line per run on standard output.
//!
//! ```text
//! CANDLE_NUM_THREADS=2 RAYON_NUM_THREADS=2 \
//!   cargo run --release -p kubescribe-infer --example decode_speed -- \
//!   --backend candle --model SmolLM2-135M-Instruct.Q4_1.gguf --threads 2
//! ORT_DYLIB_PATH=… cargo run --release -p kubescribe-infer --example decode_speed -- \
//!   --backend ort --model smollm2-135m-onnx --threads 2
//! ```
//!
//! `--device cuda[:N]` runs on a GPU (candle: a build with the `cuda`
//! feature, scripts/gpu/build.sh; ort: a GPU build of ONNX Runtime);
//! `--precision bf16|f16` loads a safetensors model in that precision
//! (candle). `--constrained` adds two generations of up to
//! `--constrained-tokens` tokens (default 128) through the real decoding
//! loop, free and constrained to a NetworkPolicy (`"mode"` lines: time per
//! forward pass and per token in the grammar);
//! `--batch N` adds one of N copies of the prompt decoded together (candle
//! models that batch; `"mode": "batch"`).
//!
//! candle sizes its thread pools from the environment when first used
//! (`kubescribe_infer::candle::THREAD_ENV`): set them as above; on the CPU
//! the example refuses to run when they disagree with `--threads`.
//! `scripts/perf/decode.py` runs the CPU comparison, `scripts/gpu/check.py`
//! the GPU one.

use std::process::ExitCode;

use kubescribe_core::PolicyKind;
use kubescribe_infer::candle::{
    CandleGenerator, LoadOptions, Precision, Quantize, TokenRequest, cpu_threads,
};
use kubescribe_infer::constrained::{SchemaLimits, Tightening};
use kubescribe_infer::decode::DecodeOutput;
use kubescribe_infer::onnx::{OrtGenerator, OrtOptions};
use kubescribe_infer::{ChatMessage, Device, GenerationConfig, Prompt};

/// The same prompt for every backend: a generate-shaped request.
const PROMPT: &str = "Write a Kubernetes NetworkPolicy for the pods labelled app=api in namespace \
shop: allow ingress only from pods labelled app=frontend on TCP port 8080, and egress only to \
pods labelled app=db on TCP port 5432. Answer with the policy as JSON.";

#[path = "common/args.rs"]
mod args;
use args::{arg, num};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(backend), Some(model)) = (arg(&args, "--backend"), arg(&args, "--model")) else {
        eprintln!(
            "usage: decode_speed --backend candle|ort --model PATH [--threads N] [--steps 64] [--runs 3] [--quantize q8_0|keep] [--device cpu|cuda[:N]] [--precision f32|bf16|f16] [--constrained] [--constrained-tokens 128] [--batch N]"
        );
        return ExitCode::from(2);
    };
    let nums = || -> Result<_, String> {
        Ok((
            num(&args, "--threads", 1)?,
            num(&args, "--steps", 64)?,
            num(&args, "--runs", 3)?,
            num(&args, "--constrained-tokens", 128)?,
            num(&args, "--batch", 0)?,
        ))
    };
    let (threads, steps, runs, constrained_tokens, batch) = match nums() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("decode_speed: {e}");
            return ExitCode::from(2);
        }
    };
    let quantize: Quantize = match arg(&args, "--quantize").unwrap_or("q8_0".into()).parse() {
        Ok(q) => q,
        Err(e) => {
            eprintln!("decode_speed: {e}");
            return ExitCode::from(2);
        }
    };
    let device: Device = match arg(&args, "--device").unwrap_or("cpu".into()).parse() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("decode_speed: --device: {e}");
            return ExitCode::from(2);
        }
    };
    let precision = match arg(&args, "--precision").as_deref() {
        None | Some("f32") => Precision::F32,
        Some("bf16") => Precision::Bf16,
        Some("f16") => Precision::F16,
        Some(other) => {
            eprintln!("decode_speed: --precision {other:?}: expected f32, bf16 or f16");
            return ExitCode::from(2);
        }
    };
    let constrained = args.iter().any(|a| a == "--constrained");
    let prompt = Prompt::Chat(vec![ChatMessage {
        role: "user".into(),
        content: PROMPT.into(),
    }]);
    type Timer =
        Box<dyn Fn(&[u32], usize) -> Result<(std::time::Duration, std::time::Duration), String>>;
    let mut extra: Option<Extra> = None;
    let (ids, time, label): (Vec<u32>, Timer, String) = match backend.as_str() {
        "candle" => {
            if device == Device::Cpu && cpu_threads() != threads {
                eprintln!(
                    "decode_speed: candle would use {} threads: set CANDLE_NUM_THREADS={threads} RAYON_NUM_THREADS={threads}",
                    cpu_threads()
                );
                return ExitCode::from(2);
            }
            let options = LoadOptions {
                quantize,
                device,
                precision,
                ..LoadOptions::default()
            };
            let g = match CandleGenerator::load(&model, &options) {
                Ok(g) => g,
                Err(e) => {
                    eprintln!("decode_speed: {e}");
                    return ExitCode::from(2);
                }
            };
            let ids = match g.encode(&prompt) {
                Ok(i) => i,
                Err(e) => {
                    eprintln!("decode_speed: {e}");
                    return ExitCode::from(2);
                }
            };
            let label = format!("candle {quantize:?} {precision:?}");
            let g = std::sync::Arc::new(g);
            extra = Some(Extra::Candle(g.clone()));
            (
                ids,
                Box::new(move |p, n| g.time_prefill_decode(p, n).map_err(|e| e.to_string())),
                label,
            )
        }
        "ort" => {
            let options = OrtOptions {
                intra_threads: threads,
                device,
                ..OrtOptions::default()
            };
            let g = match OrtGenerator::load(&model, &options) {
                Ok(g) => g,
                Err(e) => {
                    eprintln!("decode_speed: {e}");
                    return ExitCode::from(2);
                }
            };
            let ids = match g.encode(&prompt) {
                Ok(i) => i,
                Err(e) => {
                    eprintln!("decode_speed: {e}");
                    return ExitCode::from(2);
                }
            };
            (
                ids,
                Box::new(move |p, n| g.time_prefill_decode(p, n).map_err(|e| e.to_string())),
                "ort f32".into(),
            )
        }
        other => {
            eprintln!("decode_speed: unknown backend {other:?} (candle, ort)");
            return ExitCode::from(2);
        }
    };
    // warm-up
    if let Err(e) = time(&ids, 8) {
        eprintln!("decode_speed: {e}");
        return ExitCode::from(1);
    }
    for run in 0..runs {
        match time(&ids, steps) {
            Ok((prefill, decode)) => println!(
                "{{\"backend\":\"{backend}\",\"label\":\"{label}\",\"device\":\"{device}\",\"threads\":{threads},\"run\":{run},\"prompt_tokens\":{},\"steps\":{steps},\"prefill_ms\":{:.1},\"decode_tok_s\":{:.2}}}",
                ids.len(),
                prefill.as_secs_f64() * 1e3,
                steps as f64 / decode.as_secs_f64()
            ),
            Err(e) => {
                eprintln!("decode_speed: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let Some(Extra::Candle(g)) = extra else {
        if constrained || batch > 0 {
            eprintln!("decode_speed: --constrained and --batch time the candle backend only");
        }
        return ExitCode::SUCCESS;
    };
    if constrained
        && let Err(e) = free_and_constrained(&g, &ids, constrained_tokens, &backend, device)
    {
        eprintln!("decode_speed: {e}");
        return ExitCode::from(1);
    }
    if batch > 0
        && let Err(e) = batched(&g, &ids, steps, batch, &backend, device)
    {
        eprintln!("decode_speed: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// What the extra modes run on.
enum Extra {
    Candle(std::sync::Arc<CandleGenerator>),
}

/// Up to `tokens` tokens through the decoding loop, free then constrained to
/// a NetworkPolicy; a JSON line each: milliseconds per forward pass and per
/// step in the grammar (masks, commits, the close-out check).
fn free_and_constrained(
    g: &CandleGenerator,
    ids: &[u32],
    tokens: usize,
    backend: &str,
    device: Device,
) -> Result<(), String> {
    let config = GenerationConfig {
        max_new_tokens: tokens,
        ..GenerationConfig::default()
    };
    let mut constraint = g
        .constraint(
            PolicyKind::NetworkPolicy,
            &Tightening::default(),
            &SchemaLimits::default(),
        )
        .map_err(|e| e.to_string())?;
    for mode in ["free", "constrained"] {
        constraint.reset();
        let c = (mode == "constrained").then_some(&mut constraint);
        let out = g
            .run_tokens(ids, &config, c, &mut |_| true)
            .map_err(|e| e.to_string())?;
        println!("{}", mode_line(backend, device, mode, 1, &out));
    }
    Ok(())
}

/// `batch` copies of the prompt decoded together (greedy, up to `steps`
/// tokens each, [`CandleGenerator::run_tokens_batch`]); one JSON line:
/// all output tokens over the wall time, and the batched passes' times.
fn batched(
    g: &CandleGenerator,
    ids: &[u32],
    steps: usize,
    batch: usize,
    backend: &str,
    device: Device,
) -> Result<(), String> {
    if let Some(why) = g.unbatched_reason() {
        return Err(format!(
            "--batch: this model is not decoded in batches: {why}"
        ));
    }
    let config = GenerationConfig {
        max_new_tokens: steps,
        ..GenerationConfig::default()
    };
    let requests = || -> Vec<TokenRequest> {
        (0..batch)
            .map(|_| TokenRequest {
                ids: ids.to_vec(),
                constraint: None,
            })
            .collect()
    };
    // warm-up: the batched passes' shapes
    let warm = GenerationConfig {
        max_new_tokens: 4,
        ..config.clone()
    };
    for out in g.run_tokens_batch(&mut requests(), &warm, &mut |_, _| true) {
        out.output.map_err(|e| e.to_string())?;
    }
    let started = std::time::Instant::now();
    let outs = g.run_tokens_batch(&mut requests(), &config, &mut |_, _| true);
    let wall = started.elapsed();
    let mut outputs = Vec::with_capacity(outs.len());
    for out in outs {
        outputs.push(out.output.map_err(|e| e.to_string())?);
    }
    let tokens: usize = outputs.iter().map(|o| o.stats.output_tokens).sum();
    // The sequence that ran longest took part in every batched pass.
    let longest = outputs
        .iter()
        .max_by_key(|o| o.stats.decode_steps)
        .ok_or("--batch 0")?;
    let s = &longest.stats;
    println!(
        "{{\"backend\":\"{backend}\",\"device\":\"{device}\",\"mode\":\"batch\",\"batch\":{batch},\"prompt_tokens\":{},\"output_tokens\":{tokens},\"decode_steps\":{},\"prefill_ms\":{:.1},\"forward_ms_per_step\":{:.3},\"wall_ms\":{:.1},\"decode_tok_s\":{:.2},\"wall_tok_s\":{:.2}}}",
        ids.len(),
        s.decode_steps,
        s.prefill.as_secs_f64() * 1e3,
        s.decode.as_secs_f64() * 1e3 / s.decode_steps.max(1) as f64,
        wall.as_secs_f64() * 1e3,
        tokens as f64 / s.decode.as_secs_f64().max(1e-9),
        tokens as f64 / wall.as_secs_f64().max(1e-9),
    );
    Ok(())
}

/// One JSON line for a decoding-loop run: totals (the grammar forces some
/// tokens without a forward pass, so per-token figures mix the two) and the
/// time per forward pass and per grammar step.
fn mode_line(
    backend: &str,
    device: Device,
    mode: &str,
    batch: usize,
    out: &DecodeOutput,
) -> String {
    let s = &out.stats;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let grammar = s.mask + s.close_check;
    // a grammar step per output token (masks before sampling, commits and
    // forced tokens after)
    let grammar_steps = s.output_tokens.max(1) as f64;
    format!(
        "{{\"backend\":\"{backend}\",\"device\":\"{device}\",\"mode\":\"{mode}\",\"batch\":{batch},\"prompt_tokens\":{},\"output_tokens\":{},\"sampled_tokens\":{},\"forced_tokens\":{},\"decode_steps\":{},\"prefill_ms\":{:.1},\"forward_ms\":{:.1},\"grammar_ms\":{:.1},\"forward_ms_per_step\":{:.3},\"grammar_ms_per_token\":{:.3},\"decode_tok_s\":{:.2}}}",
        s.prompt_tokens,
        s.output_tokens,
        s.sampled_tokens,
        s.forced_tokens,
        s.decode_steps,
        ms(s.prefill),
        ms(s.decode),
        ms(grammar),
        ms(s.decode) / s.decode_steps.max(1) as f64,
        ms(grammar) / grammar_steps,
        s.output_tokens as f64 / (s.decode + grammar).as_secs_f64().max(1e-9),
    )
}
