//! Tokens per second of the `ort` backend on an ONNX decoder with a KV cache
//! (SmolLM2-135M from scripts/models/install.sh), prefill and decode timed
//! separately, with the same workload as `scripts/models/ort_greedy.py
//! --bench` (a fixed pseudo-random prompt of P tokens, then N greedy decode
//! steps that ignore end-of-sequence; the best of R runs).
//!
//! `KUBESCRIBE_SMOLLM2_ONNX=DIR ORT_DYLIB_PATH=… cargo bench -p kubescribe-benches --bench ort_tokens`
//! Settings from the environment: `BENCH_PROMPT_LEN` (128), `BENCH_DECODE` (64),
//! `BENCH_REPEAT` (3), `BENCH_THREADS` (1; ONNX Runtime intra-op threads).
//! Prints one JSON line.

use kubescribe_infer::onnx::{OrtGenerator, OrtOptions};

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing we need
    let Some(dir) = std::env::var_os("KUBESCRIBE_SMOLLM2_ONNX") else {
        eprintln!(
            "NOT RUN: set KUBESCRIBE_SMOLLM2_ONNX and ORT_DYLIB_PATH (scripts/models/install.sh)"
        );
        return;
    };
    let (p, n, r, threads) = (
        env_usize("BENCH_PROMPT_LEN", 128),
        env_usize("BENCH_DECODE", 64),
        env_usize("BENCH_REPEAT", 3).max(1),
        env_usize("BENCH_THREADS", 1),
    );
    let g = OrtGenerator::load(
        &dir,
        &OrtOptions {
            intra_threads: threads,
            ..OrtOptions::default()
        },
    )
    .expect("load the model");
    let vocab = g.tokenizer().get_vocab_size(true) as u64;
    // the same ids as ort_greedy.py --bench
    let ids: Vec<u32> = (0..p as u64)
        .map(|i| ((i * 7919) % (vocab - 100) + 50) as u32)
        .collect();
    let (mut pre, mut dec) = (f64::MAX, f64::MAX);
    for _ in 0..r {
        let (a, b) = g.time_prefill_decode(&ids, n).expect("run");
        pre = pre.min(a.as_secs_f64());
        dec = dec.min(b.as_secs_f64());
    }
    println!(
        "{}",
        serde_json::json!({
            "runtime": format!("kubescribe ort backend ({})", g.provider()),
            "threads": threads,
            "prompt_len": p,
            "decode_tokens": n,
            "prefill_tok_s": p as f64 / pre,
            "decode_tok_s": n as f64 / dec,
        })
    );
}
