//! Generator backends, the generate → validate → regenerate loop
//! (`kubescribe_infer::pipeline`) and policy simulation
//! (`kubescribe_simulate`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::{Value, json};

use kubescribe_core::intent::Intent;
use kubescribe_events::Event;
use kubescribe_events::context::WorkloadContext;
use kubescribe_events::store::{EventQuery, EventStore, EventTable};
use kubescribe_infer::Device;
use kubescribe_infer::onnx::{OrtGenerator, OrtOptions};
use kubescribe_infer::openai::{OpenAiConfig, OpenAiGenerator};
use kubescribe_infer::pipeline::{
    Pipeline, PipelineConfig, PipelineResult, PlainPrompts, PromptSource,
};
use kubescribe_infer::{
    ChatMessage, Generation, GenerationConfig, Generator, InferError, Prompt, ReplayGenerator,
    SynthGenerator,
};
use kubescribe_simulate::{Posture, SimOptions, Simulator};
use kubescribe_synth::prompt::{Feedback, Template, build_prompt};
use kubescribe_validate::diagnostic::Diagnostic;

use crate::convert::{Count, at_least_one, from_py, parse_name, to_py};
use crate::errors::{model_err, parse_err, store_err};
use crate::intent::intent_arg;
use crate::pipeline_result::PyPipelineResult;
use crate::policy::{PyPolicy, parse_all};
use crate::simulation::PySimulation;
use crate::store::{PyEventStore, opened, selector_arg};
use crate::validate::Input;

pub(crate) fn generation_config(
    max_new_tokens: usize,
    temperature: f64,
    seed: u64,
    stop: Option<Vec<String>>,
) -> GenerationConfig {
    GenerationConfig {
        max_new_tokens,
        temperature,
        seed,
        stop: stop.unwrap_or_default(),
        ..GenerationConfig::default()
    }
}

/// A prompt given as text or as chat messages (`[{"role", "content"}]`).
fn prompt_arg(obj: &Bound<'_, PyAny>) -> PyResult<Prompt> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Prompt::Text(s.to_cow()?.into_owned()));
    }
    let v = from_py(obj, "prompt")?;
    serde_json::from_value::<Vec<ChatMessage>>(v)
        .map(Prompt::Chat)
        .map_err(|e| {
            parse_err(format!(
                "prompt: expected text or a list of {{\"role\", \"content\"}} dicts: {e}"
            ))
        })
}

/// Pipeline prompts from the prompt builder (`kubescribe_synth::prompt`):
/// one of its templates, the validator's findings as its feedback section.
struct TemplatePrompts(Template);

impl PromptSource for TemplatePrompts {
    fn build(
        &self,
        intent: &Intent,
        context: Option<&WorkloadContext>,
        diagnostics: &[Diagnostic],
    ) -> Result<Prompt, InferError> {
        let feedback: Vec<Feedback> = diagnostics.iter().map(Feedback::from).collect();
        let built = build_prompt(intent, context, self.0, &feedback).map_err(|e| {
            InferError::Generation {
                generator: "prompt".into(),
                message: e.to_string(),
            }
        })?;
        Ok(Prompt::Chat(
            built
                .messages()
                .into_iter()
                .map(|m| ChatMessage {
                    role: m.role,
                    content: m.content,
                })
                .collect(),
        ))
    }
}

fn generation_dict<'py>(py: Python<'py>, g: &Generation) -> PyResult<Bound<'py, PyAny>> {
    to_py(
        py,
        &json!({"text": g.text, "prompt_tokens": g.prompt_tokens,
                "completion_tokens": g.completion_tokens, "elapsed_s": g.elapsed.as_secs_f64()}),
    )
}

/// A text generator: the deterministic synthesizer, recorded outputs, an
/// ONNX Runtime model or an OpenAI-compatible server. Build one with the
/// static constructors; one loaded model can serve many calls and threads.
#[pyclass(name = "Generator", module = "kubescribe", frozen)]
pub struct PyGenerator {
    pub(crate) inner: Arc<dyn Generator>,
}

#[pymethods]
impl PyGenerator {
    /// The deterministic synthesizer (prompts carry intent JSON): for the
    /// intent's engine, or always `engine`.
    #[staticmethod]
    #[pyo3(signature = (engine = None))]
    fn synth(engine: Option<&str>) -> PyResult<Self> {
        let g = match engine {
            Some(e) => SynthGenerator::for_engine(crate::convert::engine(e)?),
            None => SynthGenerator::new(),
        };
        Ok(PyGenerator { inner: Arc::new(g) })
    }

    /// Replays recorded outputs: a dict from prompt text to output, or a
    /// JSONL file as `kubescribe eval --backend replay:FILE` reads it.
    #[staticmethod]
    #[pyo3(signature = (outputs, *, name = "replay"))]
    fn replay(outputs: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        let g = if let Ok(d) = outputs.cast::<PyDict>() {
            let pairs: Vec<(String, String)> = d
                .iter()
                .map(|(k, v)| Ok((k.extract::<String>()?, v.extract::<String>()?)))
                .collect::<PyResult<_>>()
                .map_err(|_: PyErr| parse_err("replay: expected a dict of str to str"))?;
            ReplayGenerator::from_pairs(name, pairs)
        } else {
            let p: PathBuf = outputs.extract().map_err(|_| {
                crate::errors::type_err("replay: expected a dict or a path to a JSONL file")
            })?;
            crate::errors::check_readable_file(&p)?;
            ReplayGenerator::from_jsonl(name, &p).map_err(model_err)?
        };
        Ok(PyGenerator { inner: Arc::new(g) })
    }

    /// An ONNX export (optimum layout, with KV cache) run by ONNX Runtime,
    /// loaded from `$ORT_DYLIB_PATH`. `gpu` asks for the CUDA execution
    /// provider on GPU 0 (a library without it, such as the `onnxruntime`
    /// wheel's, is an error: install `onnxruntime-gpu`).
    #[staticmethod]
    #[pyo3(signature = (model_dir, *, threads = Count(0), gpu = false))]
    fn ort(py: Python<'_>, model_dir: PathBuf, threads: Count, gpu: bool) -> PyResult<Self> {
        let threads = threads.0;
        crate::errors::check_path(&model_dir)?;
        let options = OrtOptions {
            intra_threads: threads,
            device: if gpu { Device::Cuda(0) } else { Device::Cpu },
            ..OrtOptions::default()
        };
        let g = py
            .detach(|| OrtGenerator::load(&model_dir, &options))
            .map_err(model_err)?;
        Ok(PyGenerator { inner: Arc::new(g) })
    }

    /// A local model on candle: a Hugging Face directory (`config.json`,
    /// safetensors, `tokenizer.json`) or a GGUF file. `precision` is `f32`,
    /// `bf16` or `f16` (safetensors only); `lora` merges a PEFT adapter
    /// directory; `gpu` runs on CUDA device 0 (a build with the `cuda` feature).
    #[staticmethod]
    #[pyo3(signature = (model, *, gpu = false, precision = "f32", lora = None, tokenizer = None, name = None))]
    fn candle(
        py: Python<'_>,
        model: PathBuf,
        gpu: bool,
        precision: &str,
        lora: Option<PathBuf>,
        tokenizer: Option<PathBuf>,
        name: Option<String>,
    ) -> PyResult<Self> {
        use kubescribe_infer::candle::Precision;
        for p in [Some(&model), lora.as_ref(), tokenizer.as_ref()]
            .into_iter()
            .flatten()
        {
            crate::errors::check_path(p)?;
        }
        let precision = match precision {
            "f32" => Precision::F32,
            "bf16" => Precision::Bf16,
            "f16" => Precision::F16,
            other => {
                return Err(crate::errors::arg_err(format!(
                    "precision: unknown value {other:?} (expected one of: f32, bf16, f16)"
                )));
            }
        };
        let options = kubescribe_infer::LoadOptions {
            precision,
            device: if gpu { Device::Cuda(0) } else { Device::Cpu },
            lora,
            tokenizer,
            name,
            // GGUF block formats requantized to Q8_0, as the CLI does
            quantize: kubescribe_infer::candle::Quantize::default(),
        };
        let g = py
            .detach(|| kubescribe_infer::CandleGenerator::load(&model, &options))
            .map_err(model_err)?;
        Ok(PyGenerator { inner: Arc::new(g) })
    }

    /// An OpenAI-compatible chat-completions server (`base_url` such as
    /// `http://127.0.0.1:8000/v1`); the key comes from `api_key` or the
    /// environment as the CLI reads it. `context_window`: the server's
    /// context in tokens (the CLI's `--context-window`), so prompts are
    /// fitted to leave the answer its room.
    #[staticmethod]
    #[pyo3(signature = (base_url, model = "default", *, api_key = None, timeout_s = 120.0, context_window = None))]
    fn openai(
        base_url: &str,
        model: &str,
        api_key: Option<String>,
        timeout_s: f64,
        context_window: Option<Count>,
    ) -> PyResult<Self> {
        let mut cfg = OpenAiConfig::new(base_url, model);
        if api_key.is_some() {
            cfg.api_key = api_key;
        }
        cfg.timeout = Duration::from_secs_f64(timeout_s.max(0.001));
        cfg.context_window = context_window.map(|c| c.0).filter(|n| *n > 0);
        let g = OpenAiGenerator::new(cfg).map_err(model_err)?;
        Ok(PyGenerator { inner: Arc::new(g) })
    }

    /// Any in-process model as a generator: `fn(messages)` gets the prompt
    /// as chat messages (`[{"role", "content"}]`) and returns the text (or
    /// a dict with `text` and optionally `prompt_tokens`,
    /// `completion_tokens`). With `constrained=True` the loop's constrained
    /// attempts call `fn(messages, target)` with a `ConstraintTarget` (the
    /// intent-shaped schema) for the callable to constrain its own decoding
    /// (e.g. with `IntentLogitsProcessor`); with `settings=True` the loop's
    /// `max_new_tokens`, `temperature` and `seed` go along as keywords. An
    /// exception in `fn` fails the attempt with `ModelError`.
    ///
    /// Token level, with `vocab` (a `ConstraintVocab`): `fn(messages,
    /// tokens)` is the model, not the decoder. It gets the output token ids
    /// so far and returns the next token's logits (`vocab_size` floats, or
    /// fewer: the rest never win) or a token id; kubescribe's decoding loop
    /// does the rest (sampling by the loop's `temperature` and `seed`, EOS,
    /// the token budget) and decodes every attempt under the intent-shaped
    /// grammar of the Rust decoders, so each output is a document of the
    /// target's schema. A token id the grammar refuses fails the attempt.
    /// `constrained` is implied.
    #[staticmethod]
    #[pyo3(signature = (r#fn, *, name = "callable", constrained = false, settings = false, vocab = None))]
    fn from_callable(
        r#fn: &Bound<'_, PyAny>,
        name: &str,
        constrained: bool,
        settings: bool,
        vocab: Option<PyRef<'_, crate::constraint::PyConstraintVocab>>,
    ) -> PyResult<Self> {
        if !r#fn.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "from_callable: expected a callable, got {}",
                r#fn.get_type().name()?
            )));
        }
        if let Some(v) = vocab {
            let g = crate::token_generator::TokenCallableGenerator::new(
                r#fn.clone().unbind(),
                name.to_string(),
                v.inner.clone(),
                settings,
            );
            return Ok(PyGenerator { inner: Arc::new(g) });
        }
        let g = crate::generator::CallableGenerator::new(
            r#fn.clone().unbind(),
            name.to_string(),
            constrained,
            settings,
        );
        Ok(PyGenerator { inner: Arc::new(g) })
    }

    /// A Hugging Face `transformers` model and its (fast) tokenizer in this
    /// process: `from_callable` over `kubescribe.transformers_callable`,
    /// which applies the tokenizer's chat template, runs `model.generate`
    /// (the loop's `max_new_tokens`, `temperature`, `seed`; `gen_kwargs`
    /// override them) and, with `constrain` (default), decodes under the
    /// intent-shaped grammar through `IntentLogitsProcessor`.
    #[staticmethod]
    #[pyo3(signature = (model, tokenizer, *, name = None, constrain = true, **gen_kwargs))]
    fn from_transformers(
        py: Python<'_>,
        model: &Bound<'_, PyAny>,
        tokenizer: &Bound<'_, PyAny>,
        name: Option<String>,
        constrain: bool,
        gen_kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let adapter = py
            .import("kubescribe._transformers")?
            .getattr("transformers_callable")?;
        let kwargs = PyDict::new(py);
        if let Some(g) = gen_kwargs {
            kwargs.update(g.as_mapping())?;
        }
        let f = adapter.call((model, tokenizer), Some(&kwargs))?;
        let name = match name {
            Some(n) => n,
            None => adapter
                .py()
                .import("kubescribe._transformers")?
                .getattr("model_name")?
                .call1((model,))?
                .extract()?,
        };
        let g = crate::generator::CallableGenerator::new(f.unbind(), name, constrain, true);
        Ok(PyGenerator { inner: Arc::new(g) })
    }

    /// The generator's name in reports.
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Generates text for a prompt (text, or chat messages); returns
    /// `{"text", "prompt_tokens", "completion_tokens", "elapsed_s"}`.
    /// Raises `ModelError` when the backend fails.
    #[pyo3(signature = (prompt, *, max_new_tokens = Count(1024), temperature = 0.0, seed = 0, stop = None))]
    fn generate<'py>(
        &self,
        py: Python<'py>,
        prompt: &Bound<'py, PyAny>,
        max_new_tokens: Count,
        temperature: f64,
        seed: u64,
        stop: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let prompt = prompt_arg(prompt)?;
        let cfg = generation_config(max_new_tokens.0, temperature, seed, stop);
        let g = py
            .detach(|| self.inner.generate(&prompt, &cfg))
            .map_err(model_err)?;
        generation_dict(py, &g)
    }

    /// Generates for many prompts in one call (the ONNX backend batches them
    /// into one forward pass per step; seeded output equals one-by-one
    /// output). Returns one dict per prompt, in order; raises `ModelError`
    /// naming the first prompt that failed.
    #[pyo3(signature = (prompts, *, max_new_tokens = Count(1024), temperature = 0.0, seed = 0, stop = None))]
    fn generate_batch<'py>(
        &self,
        py: Python<'py>,
        prompts: &Bound<'py, PyAny>,
        max_new_tokens: Count,
        temperature: f64,
        seed: u64,
        stop: Option<Vec<String>>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let prompts: Vec<Prompt> = prompts
            .try_iter()?
            .map(|p| prompt_arg(&p?))
            .collect::<PyResult<_>>()?;
        let cfg = generation_config(max_new_tokens.0, temperature, seed, stop);
        let results = py.detach(|| self.inner.generate_batch(&prompts, &cfg));
        results
            .iter()
            .enumerate()
            .map(|(i, r)| match r {
                Ok(g) => generation_dict(py, g),
                Err(e) => Err(model_err(format!("prompts[{i}]: {e}"))),
            })
            .collect()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Generator({})", crate::state::pyrepr(py, self.inner.name()))
    }
}

/// The generate → validate → regenerate loop over one generator: intent →
/// context (from the store, when given) → prompt → generate → validate
/// (layer 1 and the intent's engine; layers 2-3 with a store; then intent
/// fidelity unless `fidelity=False`: a valid policy that does not implement
/// the intent is a failed attempt) → the findings and the previous answer
/// go into the next prompt, up to `max_attempts`. `constrain` (default on)
/// constrains decoding to the target kind's schema on backends that can
/// (candle, ort); `template` picks a prompt-builder template instead of the
/// CLI's plain prompts. A `max_new_tokens` shorter than the policy the
/// intent needs is raised to that size, as the CLI does; the trace's
/// `answer_budget_raised_to` says to what.
#[pyclass(name = "Pipeline", module = "kubescribe", frozen)]
pub struct PyPipeline {
    generator: Arc<dyn Generator>,
    config: PipelineConfig,
    template: Option<Template>,
}

#[pymethods]
impl PyPipeline {
    #[new]
    #[pyo3(signature = (generator, *, max_attempts = Count(3), fallback_to_synth = false,
                        context_budget = Count(400), max_new_tokens = Count(1024), temperature = 0.0, seed = 0,
                        template = None, constrain = true, fidelity = true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        generator: PyRef<'_, PyGenerator>,
        max_attempts: Count,
        fallback_to_synth: bool,
        context_budget: Count,
        max_new_tokens: Count,
        temperature: f64,
        seed: u64,
        template: Option<&str>,
        constrain: bool,
        fidelity: bool,
    ) -> PyResult<Self> {
        let template = template.map(crate::convert::template_arg).transpose()?;
        let max_attempts = at_least_one(max_attempts.0, "max_attempts")?;
        let max_new_tokens = at_least_one(max_new_tokens.0, "max_new_tokens")?;
        if !(temperature.is_finite() && temperature >= 0.0) {
            return Err(crate::errors::arg_err(format!(
                "temperature must be a number >= 0, got {temperature}"
            )));
        }
        Ok(PyPipeline {
            template,
            generator: generator.inner.clone(),
            config: PipelineConfig {
                max_attempts,
                generation: generation_config(max_new_tokens, temperature, seed, None),
                context_budget: context_budget.0,
                fallback_to_synth,
                constrain,
                fidelity,
                keep: None,
            },
        })
    }

    /// Runs the loop for an intent (an `Intent`, dict or JSON text); `store`
    /// feeds the context and layer-2 checks. Raises `ModelError` when the
    /// generator cannot run at all; failed attempts are in the result.
    #[pyo3(signature = (intent, *, store = None))]
    fn run(
        &self,
        py: Python<'_>,
        intent: &Bound<'_, PyAny>,
        store: Option<PyRef<'_, PyEventStore>>,
    ) -> PyResult<PyPipelineResult> {
        let intent = intent_arg(intent)?;
        let store = store.as_deref();
        let inner = py.detach(|| -> PyResult<PipelineResult> {
            let validator = kubescribe_validate::Validator::new();
            let templated = self.template.map(TemplatePrompts);
            let prompts: &dyn PromptSource = match &templated {
                Some(t) => t,
                None => &PlainPrompts,
            };
            let pipeline = Pipeline::new(
                self.generator.as_ref(),
                prompts,
                &validator,
                self.config.clone(),
            );
            match store {
                Some(s) => {
                    let mut guard = s.lock()?;
                    let st = opened(&mut guard)?;
                    pipeline.run(&intent, Some(st as &mut dyn EventStore))
                }
                None => pipeline.run(&intent, None),
            }
            .map_err(model_err)
        })?;
        PyPipelineResult::new(inner)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Pipeline(generator={}, max_attempts={})",
            crate::state::pyrepr(py, self.generator.name()),
            self.config.max_attempts
        )
    }
}

/// Policies given as a Policy, a dict, a file (`str` or `os.PathLike`), or a list or tuple of those.
fn policies_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<kubescribe_core::Policy>> {
    if let Ok(p) = obj.cast::<PyPolicy>() {
        return Ok(vec![p.get().inner.clone()]);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<pyo3::types::PyTuple>() {
        let mut out = Vec::new();
        for item in obj.try_iter()? {
            out.extend(policies_arg(py, &item?)?);
        }
        return Ok(out);
    }
    parse_all(py, Input::extract(obj)?, None)
}

/// An event given as a dict: a store row (`{"event": …, "count": n}`) or an
/// event itself (the `event` of a row).
fn event_arg(obj: &Bound<'_, PyAny>, i: usize) -> PyResult<(Event, u64)> {
    let v = from_py(obj, &format!("events[{i}]"))?;
    let (event, count) = match v.get("event") {
        Some(e) => (
            e.clone(),
            v.get("count").and_then(Value::as_u64).unwrap_or(1),
        ),
        None => (v, 1),
    };
    let e: Event = serde_json::from_value(event)
        .map_err(|e| parse_err(format!("events[{i}]: not an event: {e}")))?;
    Ok((e, count))
}

/// Replays events against policies (what would be allowed, audited,
/// blocked, unknown or not simulated, per event and per rule) before they
/// are applied.
/// Events come from `store` (all tables, optionally one namespace, each
/// row counted `count` times) or from `events` (store rows or event dicts).
/// `posture` is KubeArmor's default posture outside allow-lists (`"block"`
/// or `"audit"`). Policies are `Policy` objects, dicts, files (`str` or
/// `os.PathLike`) or a list of those. Returns a `Simulation`: a read-only
/// mapping with `totals` (`allowed`, `audited`, `blocked`, `unknown`,
/// `not_simulated`), `rules`, `decisions` (one per event, in order) and
/// `notes` (parts not simulated); `.to_pandas()` gives one row per event.
#[pyfunction]
#[pyo3(signature = (policies, *, store = None, events = None, namespace = None, selector = None, posture = "block"))]
fn simulate<'py>(
    py: Python<'py>,
    policies: &Bound<'py, PyAny>,
    store: Option<PyRef<'py, PyEventStore>>,
    events: Option<&Bound<'py, PyAny>>,
    namespace: Option<String>,
    selector: Option<&Bound<'py, PyAny>>,
    posture: &str,
) -> PyResult<PySimulation> {
    let policies = policies_arg(py, policies)?;
    let posture: Posture = parse_name(posture, "posture", &["block", "audit"])?;
    let mut rows: Vec<(Event, u64)> = Vec::new();
    if let Some(evs) = events {
        for (i, item) in evs.try_iter()?.enumerate() {
            rows.push(event_arg(&item?, i)?);
        }
    }
    let selector = selector_arg(selector)?;
    let store = store.as_deref();
    let report = py.detach(|| -> PyResult<_> {
        let mut inventory = kubescribe_simulate::Inventory::new();
        if let Some(s) = store {
            let mut guard = s.lock()?;
            let st = opened(&mut guard)?;
            // Namespace labels and container port names of the store's manifests.
            inventory = kubescribe_simulate::Inventory::from_store(st).map_err(store_err)?;
            let q = EventQuery {
                namespace: namespace.clone(),
                selector: selector.clone(),
                ..EventQuery::default()
            };
            for t in EventTable::ALL {
                for r in st.events(t, &q).map_err(store_err)? {
                    rows.push((r.event, r.count));
                }
            }
        }
        let sim = Simulator::new(
            &policies,
            SimOptions {
                kubearmor_posture: posture,
                ..SimOptions::default()
            },
        )
        .map_err(parse_err)?
        .with_inventory(inventory);
        Ok(sim.run_weighted(rows.iter().map(|(e, n)| (e, *n))))
    })?;
    PySimulation::new(&report, &rows)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGenerator>()?;
    m.add_class::<PyPipeline>()?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    Ok(())
}
