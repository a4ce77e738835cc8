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
//! candle sizes its thread pools from the environment when first used
//! (`kubescribe_infer::candle::THREAD_ENV`): set them as above; the example
//! refuses to run when they disagree with `--threads`. `scripts/perf/decode.py`
//! runs the comparison.

use std::process::ExitCode;

use kubescribe_infer::candle::{CandleGenerator, LoadOptions, Quantize, cpu_threads};
use kubescribe_infer::onnx::{OrtGenerator, OrtOptions};
use kubescribe_infer::{ChatMessage, Prompt};

/// The same prompt for every backend: a generate-shaped request.
const PROMPT: &str = "Write a Kubernetes NetworkPolicy for the pods labelled app=api in namespace \
shop: allow ingress only from pods labelled app=frontend on TCP port 8080, and egress only to \
pods labelled app=db on TCP port 5432. Answer with the policy as JSON.";

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(backend), Some(model)) = (arg(&args, "--backend"), arg(&args, "--model")) else {
        eprintln!(
            "usage: decode_speed --backend candle|ort --model PATH [--threads N] [--steps 64] [--runs 3] [--quantize q8_0|keep]"
        );
        return ExitCode::from(2);
    };
    let threads: usize = arg(&args, "--threads")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let steps: usize = arg(&args, "--steps")
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let runs: usize = arg(&args, "--runs")
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let quantize: Quantize = match arg(&args, "--quantize").unwrap_or("q8_0".into()).parse() {
        Ok(q) => q,
        Err(e) => {
            eprintln!("decode_speed: {e}");
            return ExitCode::from(2);
        }
    };
    let prompt = Prompt::Chat(vec![ChatMessage {
        role: "user".into(),
        content: PROMPT.into(),
    }]);
    type Timer =
        Box<dyn Fn(&[u32], usize) -> Result<(std::time::Duration, std::time::Duration), String>>;
    let (ids, time, label): (Vec<u32>, Timer, String) = match backend.as_str() {
        "candle" => {
            if cpu_threads() != threads {
                eprintln!(
                    "decode_speed: candle would use {} threads: set CANDLE_NUM_THREADS={threads} RAYON_NUM_THREADS={threads}",
                    cpu_threads()
                );
                return ExitCode::from(2);
            }
            let options = LoadOptions {
                quantize,
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
            let label = format!("candle {quantize:?}");
            (
                ids,
                Box::new(move |p, n| g.time_prefill_decode(p, n).map_err(|e| e.to_string())),
                label,
            )
        }
        "ort" => {
            let options = OrtOptions {
                intra_threads: threads,
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
                "{{\"backend\":\"{backend}\",\"label\":\"{label}\",\"threads\":{threads},\"run\":{run},\"prompt_tokens\":{},\"steps\":{steps},\"prefill_ms\":{:.1},\"decode_tok_s\":{:.2}}}",
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
    ExitCode::SUCCESS
}
