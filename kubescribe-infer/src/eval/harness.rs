//! The evaluation harness: a dataset × generators → per-sample outputs and
//! scores, and a per-model summary.
//!
//! Layout of the output directory:
//! * `generations-<model>.jsonl`: one line per sample as it is generated
//!   (`id`, `key`, `output` or `error`, `elapsed_ms`). A rerun skips the ids
//!   already there, so an interrupted run resumes where it stopped. `key`
//!   hashes what the generation depended on (the prompt, the decoding
//!   settings, the generator's [`Generator::fingerprint`]: model, URL or
//!   recorded outputs; kubescribe's version): a line made under another key
//!   is never reused. Such lines (or lines of samples the dataset no longer
//!   has) stop the run with [`InferError::Stale`], unless
//!   [`EvalOptions::replace_stale`], which regenerates them.
//! * `scores-<model>.jsonl`: per-sample text metrics (as `kubescribe score`),
//!   plus `compiles`, `coverage` and, for samples with an intent,
//!   `faithful` (the output implements the intent: [`crate::fidelity`]).
//!
//! The harness measures what `kubescribe generate` does: for a sample with
//! an intent, the prompt comes from the same builder as generate's
//! ([`EvalOptions::prompts`], [`PlainPrompts`] by default) and decoding is
//! constrained to the schema shaped by the intent
//! ([`ConstraintTarget::for_intent`]) on backends that can
//! ([`EvalOptions::constrain`], on by default); samples without an intent
//! use their prompt as written, unconstrained.
//! * `summary.json`, `summary.csv`, `summary.md` and the plots ([`super::report`]).
//!
//! With [`EvalOptions::batch`] above 1, samples go to the generator that
//! many at a time ([`Generator::generate_requests`]): the candle backend
//! decodes them together (Llama-family safetensors models), each with its
//! own constraint, and gives each the output it gets alone.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use kubescribe_metrics::{Options as MetricOptions, Pair, score_batch};
use kubescribe_validate::Validator;

use kubescribe_core::intent::Intent;

use crate::constrained::ConstraintTarget;
use crate::error::InferError;
use crate::eval::policy::{compiles, coverage_text};
use crate::eval::report::ModelSummary;
use crate::generator::{BatchRequest, Generation, GenerationConfig, Generator, Prompt};
use crate::pipeline::{PlainPrompts, PromptSource, extract_policy_text, target_engine};

/// One dataset sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Unique id.
    pub id: String,
    /// The prompt given to the generator.
    pub prompt: Prompt,
    /// The reference policy text.
    pub reference: String,
    /// The intent, when the dataset gives one (an `intent` object, or a
    /// prompt that is an intent's JSON): the prompt is then built as
    /// `generate` builds it, decoding is constrained, and fidelity is scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
}

/// Reads a dataset: JSONL lines `{"id", "prompt", "reference"}` (`prompt` a
/// string or chat messages; `intent` is accepted in place of `prompt` and
/// used as the prompt text). Ids must be unique; a missing id becomes the
/// 1-based line number.
pub fn load_dataset(path: &Path) -> Result<Vec<Sample>, InferError> {
    let file = std::fs::File::open(path).map_err(|e| InferError::io(path, e))?;
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| InferError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| InferError::Input {
            source_name: path.display().to_string(),
            line: i + 1,
            message,
        };
        let v: Value = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let id = match v.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            None => (i + 1).to_string(),
            Some(other) => {
                return Err(bad(format!("`id` must be a string or number, got {other}")));
            }
        };
        let prompt_value = v
            .get("prompt")
            .or_else(|| v.get("intent"))
            .ok_or_else(|| bad("missing `prompt` (or `intent`)".into()))?;
        let prompt: Prompt = serde_json::from_value(prompt_value.clone()).map_err(|_| {
            bad("`prompt` must be a string or a list of {role, content} messages".into())
        })?;
        let intent: Option<Intent> = v
            .get("intent")
            .filter(|i| i.is_object())
            .and_then(|i| serde_json::from_value(i.clone()).ok())
            .or_else(|| match &prompt {
                Prompt::Text(t) => serde_json::from_str(t).ok(),
                Prompt::Chat(_) => None,
            });
        let reference = v
            .get("reference")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("missing string `reference`".into()))?;
        if let Some(prev) = seen.insert(id.clone(), i + 1) {
            return Err(bad(format!("duplicate id {id:?} (first on line {prev})")));
        }
        out.push(Sample {
            id,
            prompt,
            reference: reference.to_string(),
            intent,
        });
    }
    Ok(out)
}

/// Settings of an evaluation run.
#[derive(Clone)]
pub struct EvalOptions {
    /// Decoding settings passed to every generator (fixed seed by default).
    pub generation: GenerationConfig,
    /// Text-metric settings (WordNet for METEOR).
    pub metrics: MetricOptions,
    /// Regenerate (and drop from the generations file) stored generations
    /// made from other prompts, settings or models, instead of stopping.
    pub replace_stale: bool,
    /// Constrain decoding of samples with an intent to the schema shaped
    /// by it, as `generate` does (default on; backends that cannot
    /// constrain generate freely).
    pub constrain: bool,
    /// The prompt builder of samples with an intent (default: generate's,
    /// [`PlainPrompts`]).
    pub prompts: std::sync::Arc<dyn PromptSource>,
    /// Samples generated together ([`Generator::generate_requests`];
    /// default 1: one at a time). Backends that decode batches (candle
    /// with a Llama-family safetensors model) run them in one batch, each
    /// as it would be alone; the others one after another. A sample's
    /// `elapsed_ms` is then from the start of its batch to the end of its
    /// own output.
    pub batch: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            generation: GenerationConfig::default(),
            metrics: MetricOptions::default(),
            replace_stale: false,
            constrain: true,
            prompts: std::sync::Arc::new(PlainPrompts),
            batch: 1,
        }
    }
}

impl std::fmt::Debug for EvalOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalOptions")
            .field("generation", &self.generation)
            .field("replace_stale", &self.replace_stale)
            .field("constrain", &self.constrain)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

/// The prompt a sample is generated from, and the target its decoding is
/// constrained to (when it has an intent and `opts.constrain`).
fn sample_request(
    s: &Sample,
    opts: &EvalOptions,
) -> Result<(Prompt, Option<ConstraintTarget>), InferError> {
    match &s.intent {
        Some(i) => {
            let prompt = opts.prompts.build(i, None, &[])?;
            let target = opts
                .constrain
                .then(|| ConstraintTarget::for_intent(i, target_engine(i), None));
            Ok((prompt, target))
        }
        None => Ok((s.prompt.clone(), None)),
    }
}

/// Progress of a run, for a caller's progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The model being run.
    pub model: &'a str,
    /// Samples done for this model (resumed ones included).
    pub done: usize,
    /// Samples in the dataset.
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct GenerationRecord {
    id: String,
    /// [`record_key`] of the generation (empty in files of older versions).
    #[serde(default)]
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    elapsed_ms: f64,
}

/// File-name-safe form of a model name.
pub fn file_stem(model: &str) -> String {
    model
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// 64-bit FNV-1a: a stable hash (the same across builds and platforms) for
/// cache keys.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// What one generation depends on: kubescribe's version, the generator's
/// fingerprint, the decoding settings and the prompt.
fn record_key(
    fingerprint: &str,
    config: &GenerationConfig,
    prompt: &Prompt,
    constrained_to: Option<&ConstraintTarget>,
) -> String {
    let mut v = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "generator": fingerprint,
        "config": config,
        "prompt": prompt,
    });
    if let Some(t) = constrained_to {
        // Unconstrained keys stay as they were, so older files resume.
        v["constrained_to"] = serde_json::json!({
            "document": t.document.label(),
            "tightening": t.tightening,
            "limits": t.limits,
        });
    }
    let text = v.to_string();
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

/// Drops the records not made under the current keys: an error naming the
/// file unless `replace`, else the file is rewritten with the others.
fn drop_stale(
    path: &Path,
    records: &mut HashMap<String, GenerationRecord>,
    keys: &HashMap<&str, String>,
    replace: bool,
) -> Result<(), InferError> {
    let mut stale: Vec<&str> = records
        .iter()
        .filter(|(id, r)| keys.get(id.as_str()) != Some(&r.key))
        .map(|(id, _)| id.as_str())
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    stale.sort_unstable();
    if !replace {
        return Err(InferError::Stale {
            path: path.display().to_string(),
            message: format!(
                "{} of its {} generation(s) (sample {:?} first) were made from another prompt, other decoding settings or another model, backend or kubescribe version, or for a sample the dataset no longer has; they are not reused, and regenerating would replace them",
                stale.len(),
                records.len(),
                stale[0]
            ),
        });
    }
    let stale: Vec<String> = stale.into_iter().map(str::to_string).collect();
    records.retain(|id, _| !stale.contains(id));
    let mut kept: Vec<&GenerationRecord> = records.values().collect();
    kept.sort_by(|a, b| a.id.cmp(&b.id));
    let mut text = String::new();
    for r in kept {
        text.push_str(&serde_json::to_string(r).map_err(|e| InferError::Report(e.to_string()))?);
        text.push('\n');
    }
    let tmp = path.with_extension("jsonl.tmp");
    std::fs::write(&tmp, text).map_err(|e| InferError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| InferError::io(path, e))
}

fn read_records(path: &Path) -> Result<HashMap<String, GenerationRecord>, InferError> {
    let mut out = HashMap::new();
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(out);
    };
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| InferError::io(path, e))?;
        // A line cut short by an interruption is regenerated.
        if let Ok(r) = serde_json::from_str::<GenerationRecord>(&line) {
            out.insert(r.id.clone(), r);
        }
    }
    Ok(out)
}

/// Runs every generator over the dataset (resuming), scores, and writes the
/// per-sample files and the summary tables and plots into `out_dir`.
pub fn run(
    samples: &[Sample],
    generators: &[&dyn Generator],
    out_dir: &Path,
    opts: &EvalOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<ModelSummary>, InferError> {
    std::fs::create_dir_all(out_dir).map_err(|e| InferError::io(out_dir, e))?;
    let validator = Validator::new();
    let mut summaries = Vec::new();
    for g in generators {
        let model = g.name();
        let gen_path = out_dir.join(format!("generations-{}.jsonl", file_stem(model)));
        let fingerprint = g.fingerprint();
        let requests: HashMap<&str, (Prompt, Option<ConstraintTarget>)> = samples
            .iter()
            .map(|s| Ok((s.id.as_str(), sample_request(s, opts)?)))
            .collect::<Result<_, InferError>>()?;
        let keys: HashMap<&str, String> = requests
            .iter()
            .map(|(id, (prompt, target))| {
                (
                    *id,
                    record_key(&fingerprint, &opts.generation, prompt, target.as_ref()),
                )
            })
            .collect();
        let mut records = read_records(&gen_path)?;
        drop_stale(&gen_path, &mut records, &keys, opts.replace_stale)?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&gen_path)
            .map_err(|e| InferError::io(&gen_path, e))?;
        let resumed = samples
            .iter()
            .filter(|s| records.contains_key(&s.id))
            .count();
        progress(Progress {
            model,
            done: resumed,
            total: samples.len(),
        });
        let todo: Vec<&Sample> = samples
            .iter()
            .filter(|s| !records.contains_key(&s.id))
            .collect();
        let mut done = resumed;
        for chunk in todo.chunks(opts.batch.max(1)) {
            let t = Instant::now();
            let results: Vec<Result<Generation, InferError>> = if chunk.len() == 1 {
                let (prompt, target) = &requests[chunk[0].id.as_str()];
                vec![match target {
                    Some(t) => match g.generate_constrained(prompt, &opts.generation, t) {
                        Ok(Some(out)) => Ok(out),
                        Ok(None) => g.generate(prompt, &opts.generation),
                        Err(e) => Err(e),
                    },
                    None => g.generate(prompt, &opts.generation),
                }]
            } else {
                let batch: Vec<BatchRequest<'_>> = chunk
                    .iter()
                    .map(|s| {
                        let (prompt, target) = &requests[s.id.as_str()];
                        BatchRequest {
                            prompt,
                            target: target.as_ref(),
                        }
                    })
                    .collect();
                g.generate_requests(&batch, &opts.generation)
            };
            let whole = t.elapsed();
            for (s, result) in chunk.iter().zip(results) {
                let elapsed = match (&result, chunk.len()) {
                    (Ok(r), n) if n > 1 => r.elapsed,
                    _ => whole,
                };
                let rec = GenerationRecord {
                    id: s.id.clone(),
                    key: keys[s.id.as_str()].clone(),
                    elapsed_ms: elapsed.as_secs_f64() * 1e3,
                    output: result.as_ref().ok().map(|r| r.text.clone()),
                    error: result.err().map(|e| e.to_string()),
                };
                let line =
                    serde_json::to_string(&rec).map_err(|e| InferError::Report(e.to_string()))?;
                writeln!(file, "{line}")
                    .and_then(|_| file.flush())
                    .map_err(|e| InferError::io(&gen_path, e))?;
                records.insert(rec.id.clone(), rec);
                done += 1;
                progress(Progress {
                    model,
                    done,
                    total: samples.len(),
                });
            }
        }
        summaries.push(score_model(
            model, samples, &records, &validator, opts, out_dir,
        )?);
    }
    crate::eval::report::write_all(out_dir, &summaries)?;
    Ok(summaries)
}

/// Whether `output` (a model's answer) holds one policy that implements `intent`.
fn faithful_text(intent: &Intent, output: &str) -> bool {
    let text = extract_policy_text(output);
    let Ok(set) = kubescribe_core::document::read_bytes(
        "output",
        text.as_bytes(),
        &kubescribe_core::document::ReadLimits::default(),
    ) else {
        return false;
    };
    match set.documents.as_slice() {
        [d] => crate::fidelity::is_faithful(&crate::fidelity::check(
            intent,
            &d.value,
            &crate::fidelity::FidelityOptions::default(),
        )),
        _ => false,
    }
}

fn score_model(
    model: &str,
    samples: &[Sample],
    records: &HashMap<String, GenerationRecord>,
    validator: &Validator,
    opts: &EvalOptions,
    out_dir: &Path,
) -> Result<ModelSummary, InferError> {
    let outputs: Vec<String> = samples
        .iter()
        .map(|s| {
            records
                .get(&s.id)
                .and_then(|r| r.output.clone())
                .unwrap_or_default()
        })
        .collect();
    let pairs: Vec<Pair> = samples
        .iter()
        .zip(&outputs)
        .map(|(s, o)| Pair {
            id: Value::String(s.id.clone()),
            hypothesis: o.clone(),
            reference: s.reference.clone(),
        })
        .collect();
    let batch = score_batch(&pairs, &opts.metrics);
    let path = out_dir.join(format!("scores-{}.jsonl", file_stem(model)));
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&path).map_err(|e| InferError::io(&path, e))?,
    );
    let (mut compiled, mut cov_sum, mut cov_n) = (0usize, 0.0, 0usize);
    let (mut faithful_n, mut with_intent) = (0usize, 0usize);
    for ((s, o), scores) in samples.iter().zip(&outputs).zip(&batch.pairs) {
        let ok = compiles(validator, o);
        let faithful = s.intent.as_ref().map(|i| ok && faithful_text(i, o));
        if let Some(f) = faithful {
            with_intent += 1;
            faithful_n += f as usize;
        }
        let cov = coverage_text(validator, o, &s.reference);
        compiled += ok as usize;
        if let Some(c) = cov {
            cov_sum += c;
            cov_n += 1;
        }
        let mut line =
            serde_json::to_value(scores).map_err(|e| InferError::Report(e.to_string()))?;
        if let Value::Object(m) = &mut line {
            m.insert("model".into(), Value::from(model));
            m.insert("compiles".into(), Value::from(ok));
            m.insert("coverage".into(), cov.map_or(Value::Null, Value::from));
            if let Some(f) = faithful {
                m.insert("faithful".into(), Value::from(f));
            }
            if let Some(err) = records.get(&s.id).and_then(|r| r.error.clone()) {
                m.insert("error".into(), Value::from(err));
            }
        }
        writeln!(file, "{line}").map_err(|e| InferError::io(&path, e))?;
    }
    file.flush().map_err(|e| InferError::io(&path, e))?;
    let n = samples.len().max(1) as f64;
    let latency: f64 = samples
        .iter()
        .filter_map(|s| records.get(&s.id))
        .map(|r| r.elapsed_ms)
        .sum();
    Ok(ModelSummary {
        model: model.to_string(),
        samples: samples.len(),
        errors: samples
            .iter()
            .filter(|s| records.get(&s.id).is_some_and(|r| r.error.is_some()))
            .count(),
        compile_rate: compiled as f64 / n,
        coverage_rate: if cov_n == 0 {
            0.0
        } else {
            cov_sum / cov_n as f64
        },
        fidelity_rate: (with_intent > 0).then(|| faithful_n as f64 / with_intent as f64),
        bleu: batch.corpus.bleu,
        chrf_pp: batch.corpus.chrf_pp,
        rouge1: batch.corpus.rouge1,
        rouge2: batch.corpus.rouge2,
        rouge_l: batch.corpus.rouge_l,
        meteor: batch.corpus.meteor,
        mean_latency_ms: latency / n,
    })
}
