//! candle backend speed: prefill and decode tokens/s, constrained-decoding
//! mask cost per token as a share of a decode step, and the share of
//! forced (fast-forwarded) tokens.
//!
//! ```text
//! RAYON_NUM_THREADS=1 KUBESCRIBE_SMOLLM2_GGUF=…/SmolLM2-135M-Instruct.Q4_1.gguf \
//!     cargo bench -p kubescribe-infer --bench candle
//! ```
//!
//! With SmolLM2 it measures Q8_0 (requantized in Rust from the shipped
//! Q4_1) and f32 safetensors (derived in Rust from the GGUF); without it,
//! only the tiny random Llama the benchmark writes itself.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::quantized::GgmlDType;
use kubescribe_core::PolicyKind;
use kubescribe_infer::candle::fixture::{TinyConfig, write_tiny_llama};
use kubescribe_infer::candle::gguf::{gguf_to_hf_dir, requantize};
use kubescribe_infer::candle::{CandleGenerator, LoadOptions};
use kubescribe_infer::constrained::{SchemaLimits, Tightening};
use kubescribe_infer::decode::DecodeStats;
use kubescribe_infer::{ChatMessage, GenerationConfig, Prompt};

const PROMPT: &str = "Write a KubeArmor policy for the payments deployment in namespace shop: \
    allow /usr/bin/python3 and /bin/sh, block everything under /etc/ except /etc/ssl/, \
    audit writes to /var/log/, and allow outbound TCP to port 5432 of the postgres service. \
    Keep the policy minimal, name it payments-hardening, and label it app=payments.";

fn speed(label: &str, g: &CandleGenerator) {
    let prompt = Prompt::Text(PROMPT.repeat(2));
    let cfg = GenerationConfig {
        max_new_tokens: 64,
        ..GenerationConfig::default()
    };
    // Warm-up, then three runs.
    let _ = g.run(&prompt, &cfg, None, &mut |_| true);
    let mut prefill_tps = Vec::new();
    let mut decode_tps = Vec::new();
    let mut step_ms = Vec::new();
    for _ in 0..3 {
        let out = g.run(&prompt, &cfg, None, &mut |_| true).expect("runs");
        let s = &out.stats;
        prefill_tps.push(s.prompt_tokens as f64 / s.prefill.as_secs_f64());
        decode_tps.push(s.decode_steps as f64 / s.decode.as_secs_f64());
        step_ms.push(s.decode.as_secs_f64() * 1e3 / s.decode_steps.max(1) as f64);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let prompt_tokens = g.encode(&prompt).map(|t| t.len()).unwrap_or(0);
    println!(
        "{label}: prefill {:.0} tok/s ({prompt_tokens} tokens), decode {:.1} tok/s ({:.2} ms/step), median of 3",
        med(&mut prefill_tps),
        med(&mut decode_tps),
        med(&mut step_ms)
    );
}

fn constrained(label: &str, g: &CandleGenerator, per_kind: usize, max_new_tokens: usize) {
    let limits = SchemaLimits::default();
    let mut total = DecodeStats::default();
    let mut n = 0;
    let started = Instant::now();
    for &kind in PolicyKind::ALL {
        let t0 = Instant::now();
        let mut c = g
            .constraint(kind, &Tightening::default(), &limits)
            .expect("compiles");
        let compile = t0.elapsed();
        if n == 0 {
            println!(
                "{label}: schema compile {} {:.1} ms",
                kind.kind(),
                compile.as_secs_f64() * 1e3
            );
        }
        for i in 0..per_kind {
            c.reset();
            let prompt = Prompt::Chat(vec![ChatMessage {
                role: "user".into(),
                content: format!("Write a {} as JSON for workload {i}.", kind.kind()),
            }]);
            let cfg = GenerationConfig {
                max_new_tokens,
                temperature: if i.is_multiple_of(2) { 0.0 } else { 0.8 },
                seed: i as u64,
                ..GenerationConfig::default()
            };
            let out = g
                .run(&prompt, &cfg, Some(&mut c), &mut |_| true)
                .expect("runs");
            let s = out.stats;
            total.output_tokens += s.output_tokens;
            total.sampled_tokens += s.sampled_tokens;
            total.forced_tokens += s.forced_tokens;
            total.closing_tokens += s.closing_tokens;
            total.decode_steps += s.decode_steps;
            total.decode += s.decode;
            total.mask += s.mask;
            total.close_check += s.close_check;
            n += 1;
        }
    }
    let step = total.decode.as_secs_f64() / total.decode_steps.max(1) as f64;
    let grammar_steps = (total.sampled_tokens + total.closing_tokens).max(1) as f64;
    let mask = total.mask.as_secs_f64() / grammar_steps;
    let check = total.close_check.as_secs_f64() / grammar_steps;
    println!(
        "{label}: {n} constrained generations in {:.1} s; decode step {:.3} ms; grammar (mask+commit+forced) {:.1} µs/token = {:.1}% of a decode step; \
         close-out checks {:.1} µs/token ({:.1}%); forced tokens {:.1}% of {} output tokens; {} tokens chosen by the close-out",
        started.elapsed().as_secs_f64(),
        step * 1e3,
        mask * 1e6,
        100.0 * mask / step,
        check * 1e6,
        100.0 * check / step,
        100.0 * total.forced_tokens as f64 / total.output_tokens.max(1) as f64,
        total.output_tokens,
        total.closing_tokens,
    );
}

fn main() {
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into());
    println!("RAYON_NUM_THREADS={threads}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let tiny = write_tiny_llama(&tmp.path().join("tiny"), &TinyConfig::default()).expect("tiny");
    let g = CandleGenerator::load(&tiny.dir, &LoadOptions::default()).expect("loads");
    speed("tiny random llama f32", &g);
    constrained("tiny random llama f32", &g, 2, 400);

    let Some(src) = std::env::var_os("KUBESCRIBE_SMOLLM2_GGUF").map(PathBuf::from) else {
        println!("SmolLM2 NOT MEASURED: KUBESCRIBE_SMOLLM2_GGUF is unset");
        return;
    };
    let q8 = tmp.path().join("smollm2-q8_0.gguf");
    let t0 = Instant::now();
    requantize(&src, &q8, GgmlDType::Q8_0).expect("requantize");
    println!(
        "requantize Q4_1 -> Q8_0: {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let hf = tmp.path().join("smollm2-f32");
    let t0 = Instant::now();
    gguf_to_hf_dir(&src, &hf).expect("derive f32");
    println!(
        "derive f32 safetensors: {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let models: [(&str, &Path); 3] = [
        ("SmolLM2-135M Q8_0 GGUF", &q8),
        ("SmolLM2-135M f32 safetensors", &hf),
        ("SmolLM2-135M Q4_1 GGUF", &src),
    ];
    for (label, path) in models {
        let g = CandleGenerator::load(path, &LoadOptions::default()).expect("loads");
        speed(label, &g);
    }
    let g = CandleGenerator::load(&q8, &LoadOptions::default()).expect("loads");
    constrained("SmolLM2-135M Q8_0 GGUF", &g, 1, 320);
}
