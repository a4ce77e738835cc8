//! `kubescribe eval`: run generators over a dataset and report metrics per model.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use kubescribe_infer::eval::{self, EvalOptions};
use kubescribe_infer::prompts::TemplatePrompts;
use kubescribe_infer::{Generator, InferError, ReplayGenerator};
use kubescribe_synth::prompt::OutputFormat;

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

/// What `--out` holds the results of: the dataset (hash of its bytes) and
/// the models of the last run, in `eval-inputs.json`.
const INPUTS_FILE: &str = "eval-inputs.json";

/// Refuses (unless `force`) an output directory whose summary is of another
/// dataset, or of models this run would drop from it; then records this
/// run's inputs. The generations themselves are checked per sample by the
/// harness.
fn check_out_dir(
    out: &std::path::Path,
    dataset: &std::path::Path,
    models: &[String],
    force: bool,
) -> Result<()> {
    let bytes = std::fs::read(dataset).with_context(|| format!("reading {}", dataset.display()))?;
    let current = serde_json::json!({
        "dataset": format!("{:016x}", eval::fnv1a64(&bytes)),
        "models": models,
    });
    let inputs = out.join(INPUTS_FILE);
    if !force {
        let hint = "--force replaces them, or choose another --out";
        match std::fs::read_to_string(&inputs) {
            Ok(text) => {
                let prev: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                if prev["dataset"] != current["dataset"] {
                    bail!(
                        "{} holds the results of an evaluation of another dataset (see {INPUTS_FILE}); {hint}",
                        out.display()
                    );
                }
                let dropped: Vec<&str> = prev["models"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m.as_str())
                    .filter(|m| !models.iter().any(|n| n == m))
                    .collect();
                if !dropped.is_empty() {
                    bail!(
                        "{} holds results of model(s) {} that this run would drop from the summary; {hint}",
                        out.display(),
                        dropped.join(", ")
                    );
                }
            }
            Err(_) if out.join("summary.json").exists() => bail!(
                "{} holds the results of an earlier evaluation whose inputs are not recorded; {hint}",
                out.display()
            ),
            Err(_) => {}
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(&inputs, serde_json::to_string_pretty(&current)?)
        .with_context(|| format!("writing {}", inputs.display()))
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
    let names: Vec<String> = generators.iter().map(|g| g.name().to_string()).collect();
    check_out_dir(out, dataset, &names, args.force)?;
    // Prompts as generate builds them (template, examples nearest each
    // intent); not fitted to one model's context, since several may run.
    let few_shot = args.prompting.few_shot;
    let mut prompts = TemplatePrompts::new(
        args.prompting.template()?,
        few_shot,
        if model.no_constrain {
            OutputFormat::Yaml
        } else {
            OutputFormat::Json
        },
    );
    // The bank lives as long as the process: the options hold the prompts.
    prompts.bank = args
        .prompting
        .bank(few_shot)?
        .map(|b| &*Box::leak(Box::new(b)));
    prompts.answer_tokens = model.max_new_tokens.min(512);
    let mut opts = EvalOptions {
        generation: model.generation(),
        replace_stale: args.force,
        constrain: !model.no_constrain,
        prompts: std::sync::Arc::new(prompts),
        batch: usize::from(args.batch),
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
    })
    .map_err(|e| match e {
        InferError::Stale { .. } => anyhow::anyhow!(
            "{e}; --force regenerates them (replacing that file), or choose another --out"
        ),
        e => e.into(),
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
