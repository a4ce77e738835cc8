//! `kubescribe eval`: run generators over a dataset and report metrics per model.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use kubescribe_infer::eval::{self, EvalOptions};
use kubescribe_infer::{Generator, ReplayGenerator};

use crate::args::{EvalArgs, ModelArgs};
use crate::backend;
use crate::output::{self, Exit};

/// Parses `--backend` values: `synth`, `synth:ENGINE`, `replay:FILE`,
/// `replay:NAME=FILE`, `ort:DIR`, `openai:MODEL=URL`, `candle:PATH`.
fn backend(spec: &str, model: &ModelArgs) -> Result<Box<dyn Generator>> {
    let (kind, arg) = spec.split_once(':').unwrap_or((spec, ""));
    if let Some(g) = backend::from_spec(kind, arg, model)? {
        return Ok(g);
    }
    match kind {
        "replay" if arg.is_empty() => bail!("backend replay needs a file: replay:OUTPUTS.jsonl"),
        "replay" => {
            let (name, file) = match arg.split_once('=') {
                Some((n, f)) => (n.to_string(), PathBuf::from(f)),
                None => {
                    let f = PathBuf::from(arg);
                    let stem = f
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "replay".into());
                    (stem, f)
                }
            };
            Ok(Box::new(ReplayGenerator::from_jsonl(name, &file)?))
        }
        other => bail!(
            "unknown backend kind {other:?}; available: synth, synth:ENGINE, replay:FILE, ort:DIR, openai:MODEL=URL, candle:PATH"
        ),
    }
}

/// Runs the evaluation and prints the summary table.
pub fn run(args: EvalArgs) -> Result<Exit> {
    let (dataset, model, out) = (&args.dataset, &args.model, &args.out);
    let samples = eval::load_dataset(dataset)?;
    if samples.is_empty() {
        bail!("{}: no samples", dataset.display());
    }
    let generators: Vec<Box<dyn Generator>> = args
        .backends
        .iter()
        .map(|b| backend(b, model))
        .collect::<Result<_>>()?;
    let mut opts = EvalOptions {
        generation: model.generation(),
        ..EvalOptions::default()
    };
    if let Some(dir) = &args.wordnet {
        opts.metrics = kubescribe_metrics::Options::with_wordnet_dir(dir)
            .with_context(|| format!("loading WordNet from {}", dir.display()))?;
    } else {
        eprintln!(
            "kubescribe: note: no --wordnet DIR given: METEOR uses exact and stem matching only (no synonyms)"
        );
    }
    let bar = output::progress_bar(
        samples.len() as u64,
        args.quiet,
        "{msg:>16} [{bar:40}] {pos}/{len} ({eta})",
    );
    let refs: Vec<&dyn Generator> = generators.iter().map(|g| g.as_ref()).collect();
    let summaries = eval::run(&samples, &refs, out, &opts, &mut |p| {
        bar.set_message(p.model.to_string());
        bar.set_position(p.done as u64);
    })?;
    bar.finish_and_clear();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap_or_default();
    println!("{md}");
    println!(
        "wrote {} (per-sample generations and scores, summary.{{json,csv,md}}, metrics.svg)",
        out.display()
    );
    let errors: usize = summaries.iter().map(|s| s.errors).sum();
    if errors > 0 {
        eprintln!(
            "kubescribe: {errors} generation(s) failed; see the scores-*.jsonl `error` fields"
        );
    }
    Ok(Exit::Ok)
}
