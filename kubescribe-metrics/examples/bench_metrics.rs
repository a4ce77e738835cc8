//! Times each metric over a JSONL pairs file, sequentially and on rayon's
//! global pool, and prints one JSON object with seconds per metric.
//! Used by `scripts/metrics/bench.py` and, as the pure-Rust reference of the
//! Python batch calls, `scripts/py/bench_batch_lengths.py`: it runs on the
//! allocator the CLI and the Python module use (mimalloc), and rayon's pool
//! is started before the first timing, as it is in a Python process that
//! has called a batch function before.
//!
//! Usage: `bench_metrics PAIRS.jsonl [--wordnet DIR]`

use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

use kubescribe_metrics::{
    Options, Pair, WordNet, corpus_bleu, corpus_chrf_pp, meteor, rouge_scores, score_batch,
    sentence_bleu, sentence_chrf_pp,
};
use rayon::prelude::*;
use serde_json::{Map, Value, json};

/// The CLI's and the Python module's allocator, so the reference runs the
/// same code as they do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One metric applied to one pair.
type MetricFn<'a> = dyn Fn(&Pair) -> f64 + Sync + 'a;

fn time_metric(pairs: &[Pair], f: &MetricFn<'_>) -> (f64, f64, f64) {
    let t = Instant::now();
    let seq: f64 = pairs.iter().map(f).sum();
    let seq_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let par: Vec<f64> = pairs.par_iter().map(f).collect();
    let par_s = t.elapsed().as_secs_f64();
    (seq_s, par_s, seq - par.iter().sum::<f64>())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: bench_metrics PAIRS.jsonl [--wordnet DIR]")?;
    let mut wn_dir = None;
    while let Some(a) = args.next() {
        if a == "--wordnet" {
            wn_dir = args.next();
        }
    }
    let file = std::io::BufReader::new(std::fs::File::open(&path)?);
    let mut pairs = Vec::new();
    for line in file.lines() {
        let line = line?;
        if !line.trim().is_empty() {
            pairs.push(serde_json::from_str::<Pair>(&line)?);
        }
    }
    let mut out = Map::new();
    // Start the pool's threads outside the timings.
    rayon::broadcast(|_| ());
    let t = Instant::now();
    let wn = wn_dir.map(WordNet::load).transpose()?.map(Arc::new);
    out.insert("wordnet_load_s".into(), json!(t.elapsed().as_secs_f64()));
    out.insert("pairs".into(), json!(pairs.len()));
    out.insert("threads".into(), json!(rayon::current_num_threads()));
    let opts_wn = wn.clone();
    let wn = wn.as_deref();
    let metrics: Vec<(&str, Box<MetricFn<'_>>)> = vec![
        (
            "bleu",
            Box::new(|p| sentence_bleu(&p.hypothesis, &p.reference)),
        ),
        (
            "chrf_pp",
            Box::new(|p| sentence_chrf_pp(&p.hypothesis, &p.reference)),
        ),
        (
            "rouge",
            Box::new(|p| {
                rouge_scores(&p.reference, &p.hypothesis, false)
                    .rouge_l
                    .fmeasure
            }),
        ),
        (
            "rouge_stem",
            Box::new(|p| {
                rouge_scores(&p.reference, &p.hypothesis, true)
                    .rouge_l
                    .fmeasure
            }),
        ),
        (
            "meteor",
            Box::new(move |p| meteor(&p.hypothesis, &p.reference, wn)),
        ),
    ];
    for (name, f) in &metrics {
        let (seq_s, par_s, _) = time_metric(&pairs, f.as_ref());
        out.insert((*name).into(), json!({"seq_s": seq_s, "par_s": par_s}));
    }
    let hr: Vec<(&str, &str)> = pairs
        .iter()
        .map(|p| (p.hypothesis.as_str(), p.reference.as_str()))
        .collect();
    let t = Instant::now();
    let b = corpus_bleu(&hr);
    out.insert(
        "corpus_bleu".into(),
        json!({"seq_s": t.elapsed().as_secs_f64(), "value": b}),
    );
    let t = Instant::now();
    let c = corpus_chrf_pp(&hr);
    out.insert(
        "corpus_chrf_pp".into(),
        json!({"seq_s": t.elapsed().as_secs_f64(), "value": c}),
    );
    let mut opts = Options {
        wordnet: opts_wn,
        parallel: false,
    };
    let t = Instant::now();
    let _ = score_batch(&pairs, &opts);
    let seq_s = t.elapsed().as_secs_f64();
    opts.parallel = true;
    let t = Instant::now();
    let _ = score_batch(&pairs, &opts);
    out.insert(
        "all".into(),
        json!({"seq_s": seq_s, "par_s": t.elapsed().as_secs_f64()}),
    );
    println!("{}", Value::Object(out));
    Ok(())
}
