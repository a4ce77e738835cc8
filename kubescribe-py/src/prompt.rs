//! Natural-language intents (`kubescribe_intent::parse_intent`), the
//! prompt builder (`kubescribe_synth::prompt`) and cross-engine conversion of
//! network policies (`kubescribe_synth::convert`).

use std::path::PathBuf;

use pyo3::prelude::*;
use serde_json::{Value, json};

use kubescribe_infer::{IntentAttempt, LlmIntentError, LlmIntentParser};
use kubescribe_intent::{ParsedIntent, PodResolver, parse_intent_with};
use kubescribe_synth::convert::{ConvertError, Loss};
use kubescribe_synth::prompt::{
    BuiltPrompt, ChatTemplate, Feedback, Template, build_prompt, context_for, system_prompt,
};

use crate::convert::{
    Count, at_least_one, engine as engine_arg, from_py, template_arg, to_json, to_py,
};
use crate::errors::model_err;
use crate::errors::{ConversionError, ModelError, core_err, parse_err};
use crate::infer::{PyGenerator, generation_config};
use crate::intent::{PyIntent, intent_arg};
use crate::policy::{PyPolicy, find_kind, parse_all};
use crate::state::{self, State, field, pyrepr};
use crate::store::{PyContext, PyEventStore, opened};
use crate::validate::{Input, PyDiagnostic};

// ---------------------------------------------------------------- parse_intent

/// An intent parsed from text: the intent, the entities recognised (kind,
/// text, byte offsets), the assumptions the parser made and, for the
/// model-based parser, its attempts.
#[pyclass(name = "ParsedIntent", module = "kubescribe", frozen)]
pub struct PyParsedIntent {
    inner: ParsedIntent,
    /// The model's attempts as the `attempts` property gives them.
    attempts: Value,
}

fn attempt_rows(attempts: &[IntentAttempt]) -> Value {
    Value::Array(
        attempts
            .iter()
            .map(|a| {
                json!({"raw": a.raw, "problems": a.problems,
                       "elapsed_s": a.elapsed.as_secs_f64(), "completion_tokens": a.completion_tokens,
                       "constrained": a.constrained})
            })
            .collect(),
    )
}

impl State for PyParsedIntent {
    const NAME: &'static str = "ParsedIntent";
    fn state(&self) -> PyResult<Value> {
        Ok(json!({
            "parsed": serde_json::to_value(&self.inner).map_err(parse_err)?,
            "attempts": self.attempts,
        }))
    }
    fn from_state(state: Value) -> PyResult<Self> {
        Ok(PyParsedIntent {
            inner: field(&state, "parsed", Self::NAME)?,
            attempts: field(&state, "attempts", Self::NAME)?,
        })
    }
}

#[pymethods]
impl PyParsedIntent {
    /// The intent.
    #[getter]
    fn intent(&self) -> PyIntent {
        PyIntent {
            inner: self.inner.intent.clone(),
        }
    }
    /// Entities in text order: `{"kind", "text", "start", "end"}` (byte offsets).
    #[getter]
    fn entities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.entities)
    }
    /// Resolutions the parser made that the text did not state outright.
    #[getter]
    fn assumptions(&self) -> Vec<String> {
        self.inner.assumptions.clone()
    }
    /// The model's attempts (`{"raw", "problems", "elapsed_s",
    /// "completion_tokens", "constrained"}`, the accepted one last); empty
    /// for the offline parser.
    #[getter]
    fn attempts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.attempts)
    }
    /// `{"intent", "entities", "assumptions"}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    /// The same as JSON.
    #[pyo3(signature = (indent = false))]
    fn to_json(&self, indent: bool) -> PyResult<String> {
        to_json(&self.inner, indent)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let intent = Bound::new(
            py,
            PyIntent {
                inner: self.inner.intent.clone(),
            },
        )?;
        Ok(format!(
            "ParsedIntent(intent={}, entities={}, assumptions={})",
            intent.repr()?,
            self.inner.entities.len(),
            pyrepr(py, self.inner.assumptions.clone())
        ))
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        state::eq(py, self, other)
    }
    fn __hash__(&self) -> PyResult<u64> {
        state::hash(self)
    }
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        state::reduce(py, self)
    }
}

fn llm_err(e: LlmIntentError) -> PyErr {
    match e {
        LlmIntentError::Input(e) => parse_err(e),
        other => model_err(other),
    }
}

/// Parses a natural-language intent, e.g. `"block writes to /etc for
/// app=nginx in namespace shop"`: offline (lexicon and patterns) by
/// default, or with a model when `generator` is given (it writes the intent
/// as JSON under the intent schema; bad replies are fed back, up to
/// `max_attempts`). With `store`, pod names are resolved to their
/// workloads' labels. Raises `ParseError` saying what is missing, ambiguous
/// or unknown, `ModelError` when the model fails or never gives a valid intent.
#[pyfunction]
#[pyo3(signature = (text, *, store = None, generator = None, max_attempts = Count(3),
                    max_new_tokens = Count(512), temperature = 0.0, seed = 0))]
#[allow(clippy::too_many_arguments)]
fn parse_intent(
    py: Python<'_>,
    text: &str,
    store: Option<PyRef<'_, PyEventStore>>,
    generator: Option<PyRef<'_, PyGenerator>>,
    max_attempts: Count,
    max_new_tokens: Count,
    temperature: f64,
    seed: u64,
) -> PyResult<PyParsedIntent> {
    let max_attempts = at_least_one(max_attempts.0, "max_attempts")?;
    let max_new_tokens = at_least_one(max_new_tokens.0, "max_new_tokens")?;
    let store = store.as_deref();
    let generator = generator.as_deref().map(|g| g.inner.clone());
    py.detach(|| -> PyResult<PyParsedIntent> {
        let mut guard = match store {
            Some(s) => Some(s.lock()?),
            None => None,
        };
        let resolver: Option<&mut dyn PodResolver> = match guard.as_mut() {
            Some(g) => Some(opened(g)? as &mut dyn PodResolver),
            None => None,
        };
        match generator {
            None => Ok(PyParsedIntent {
                inner: parse_intent_with(text, resolver).map_err(parse_err)?,
                attempts: Value::Array(Vec::new()),
            }),
            Some(g) => {
                let cfg = generation_config(max_new_tokens, temperature, seed, None);
                let parser =
                    LlmIntentParser::new(g.as_ref(), cfg, max_attempts).map_err(llm_err)?;
                let out = parser.parse_with(text, resolver).map_err(llm_err)?;
                Ok(PyParsedIntent {
                    inner: out.parsed,
                    attempts: attempt_rows(&out.attempts),
                })
            }
        }
    })
}

// ---------------------------------------------------------------- prompts

/// A built prompt: system and user messages, the engine, kind and template.
#[pyclass(name = "Prompt", module = "kubescribe", frozen)]
pub struct PyPrompt {
    pub(crate) inner: BuiltPrompt,
}

impl State for PyPrompt {
    const NAME: &'static str = "Prompt";
    fn state(&self) -> PyResult<Value> {
        let p = &self.inner;
        Ok(json!({
            "engine": p.engine.name(),
            "kind": format!("{}/{}", p.kind.api_version(), p.kind.kind()),
            "template": p.template.name(),
            "system": p.system,
            "user": p.user,
        }))
    }
    fn from_state(state: Value) -> PyResult<Self> {
        let engine: String = field(&state, "engine", Self::NAME)?;
        let kind: String = field(&state, "kind", Self::NAME)?;
        let template: String = field(&state, "template", Self::NAME)?;
        Ok(PyPrompt {
            inner: BuiltPrompt {
                engine: engine_arg(&engine)?,
                kind: find_kind(&kind)?,
                template: template_arg(&template)?,
                system: field(&state, "system", Self::NAME)?,
                user: field(&state, "user", Self::NAME)?,
            },
        })
    }
}

#[pymethods]
impl PyPrompt {
    /// The system message (the engine's grammar essentials).
    #[getter]
    fn system(&self) -> &str {
        &self.inner.system
    }
    /// The user message (engine and scope, workload context, intent JSON, findings).
    #[getter]
    fn user(&self) -> &str {
        &self.inner.user
    }
    /// The engine the policy is for.
    #[getter]
    fn engine(&self) -> &'static str {
        self.inner.engine.name()
    }
    /// The kind the policy should have (`KubeArmorPolicy`, `NetworkPolicy`, …).
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.kind()
    }
    /// The apiVersion of that kind.
    #[getter]
    fn api_version(&self) -> &'static str {
        self.inner.kind.api_version()
    }
    /// The template used.
    #[getter]
    fn template(&self) -> &'static str {
        self.inner.template.name()
    }
    /// The prompt as chat messages: `[{"role": "system", …}, {"role": "user", …}]`.
    fn messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.messages())
    }
    /// The prompt as one text (system, a blank line, user) for completion models.
    fn to_text(&self) -> String {
        self.inner.to_text()
    }
    /// The prompt formatted by a chat template, ending with the assistant's
    /// turn: `template` (Jinja source), else the template of the model at
    /// `model` (`tokenizer_config.json` in a directory, or a GGUF file),
    /// else ChatML.
    #[pyo3(signature = (*, model = None, template = None))]
    fn format_chat(&self, model: Option<PathBuf>, template: Option<&str>) -> PyResult<String> {
        let ct = match (template, model) {
            (Some(src), _) => {
                ChatTemplate::new(src, "template argument", "", "").map_err(parse_err)?
            }
            (None, Some(path)) => {
                crate::errors::check_path(&path)?;
                ChatTemplate::for_model_or_chatml(&path)
                    .map_err(|e| ModelError::new_err(e.to_string()))?
            }
            (None, None) => ChatTemplate::chatml(),
        };
        self.inner.format_chat(&ct).map_err(parse_err)
    }
    /// `{"engine", "kind", "template", "system", "user"}` (a dataset row).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    /// The same as JSON.
    #[pyo3(signature = (indent = false))]
    fn to_json(&self, indent: bool) -> PyResult<String> {
        to_json(&self.inner, indent)
    }
    fn __str__(&self) -> String {
        self.inner.to_text()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Prompt(engine={}, kind={}, template={}, chars={})",
            pyrepr(py, self.inner.engine.name()),
            pyrepr(py, self.inner.kind.kind()),
            pyrepr(py, self.inner.template.name()),
            self.inner.system.chars().count() + self.inner.user.chars().count()
        )
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        state::eq(py, self, other)
    }
    fn __hash__(&self) -> PyResult<u64> {
        state::hash(self)
    }
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        state::reduce(py, self)
    }
}

/// Findings on a previous answer: `Diagnostic` objects or dicts with the
/// keys of `Diagnostic.to_dict()` (`layer` as a name or number, or
/// `layer_number`; `path`, `message`, optional `rule`, `suggestion`).
fn feedback_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Feedback>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, item) in obj.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(d) = item.cast::<PyDiagnostic>() {
            out.push(Feedback::from(&d.get().inner));
            continue;
        }
        if !item.is_instance_of::<pyo3::types::PyDict>() {
            return Err(crate::errors::type_err(format!(
                "feedback[{i}]: expected a Diagnostic or a dict, got {}",
                item.get_type().name()?
            )));
        }
        let v = from_py(&item, &format!("feedback[{i}]"))?;
        out.push(feedback_of(&v).ok_or_else(|| {
            parse_err(format!(
                "feedback[{i}]: expected the keys of Diagnostic.to_dict(): layer (name or number), \
                 path, message (and rule, suggestion)"
            ))
        })?);
    }
    Ok(out)
}

/// A feedback item from a dict shaped like `Diagnostic.to_dict()`.
fn feedback_of(v: &Value) -> Option<Feedback> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let layer = match (v.get("layer_number"), v.get("layer")) {
        (Some(n), _) if n.is_u64() => u8::try_from(n.as_u64()?).ok()?,
        (_, Some(Value::Number(n))) => u8::try_from(n.as_u64()?).ok()?,
        (_, Some(Value::String(name))) => [
            "parse",
            "schema",
            "resource",
            "property",
            "permissive",
            "fidelity",
        ]
        .iter()
        .position(|l| l == name)
        .and_then(|p| u8::try_from(p).ok())?,
        _ => return None,
    };
    // As `Feedback::from(&Diagnostic)` words it: the expected value after
    // the message, the replacement after the fix.
    let mut message = text("message")?;
    if let Some(e) = text("expected") {
        message.push_str(&format!(" (expected: {e})"));
    }
    let fix = text("suggestion").map(|f| {
        match (
            text("fix_path"),
            v.get("replacement").filter(|r| !r.is_null()),
        ) {
            (Some(at), Some(r)) => format!("{f} (set {at} to {r})"),
            _ => f,
        }
    });
    Some(Feedback {
        layer,
        rule: text("rule").filter(|r| !r.is_empty()),
        pointer: text("path")?,
        message,
        fix,
    })
}

/// Builds the prompt for an intent (an `Intent`, dict or JSON text) with one
/// of the five templates. The workload context comes from `context` (an
/// `EventStore.context(...)` result) or is summarized from `store` for the
/// intent's scope within `context_budget` tokens. `feedback` carries the
/// validator's findings on a previous answer (for regeneration prompts).
#[pyfunction]
#[pyo3(name = "build_prompt", signature = (intent, *, template = "zero-shot", store = None, context = None, context_budget = Count(400), feedback = None))]
fn build_prompt_py(
    py: Python<'_>,
    intent: &Bound<'_, PyAny>,
    template: &str,
    store: Option<PyRef<'_, PyEventStore>>,
    context: Option<PyRef<'_, PyContext>>,
    context_budget: Count,
    feedback: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyPrompt> {
    let context_budget = context_budget.0;
    let intent = intent_arg(intent)?;
    let template = template_arg(template)?;
    let feedback = feedback_arg(feedback)?;
    let given = context.as_deref().map(|c| c.inner.clone());
    let store = store.as_deref();
    let built = py.detach(|| -> PyResult<BuiltPrompt> {
        let ctx = match (given, store) {
            (Some(c), _) => Some(c),
            (None, Some(s)) => {
                let mut guard = s.lock()?;
                let st = opened(&mut guard)?;
                Some(context_for(st, &intent, context_budget).map_err(crate::errors::store_err)?)
            }
            (None, None) => None,
        };
        build_prompt(&intent, ctx.as_ref(), template, &feedback).map_err(parse_err)
    })?;
    Ok(PyPrompt { inner: built })
}

/// The names of the five prompt templates.
#[pyfunction]
fn templates() -> Vec<&'static str> {
    Template::ALL.iter().map(|t| t.name()).collect()
}

/// The system prompt of an engine (its grammar essentials).
#[pyfunction]
#[pyo3(name = "system_prompt")]
fn system_prompt_py(engine: &str) -> PyResult<String> {
    Ok(system_prompt(engine_arg(engine)?))
}

// ---------------------------------------------------------------- conversion

/// The result of `convert`: the converted policies (one source may become
/// several) and what could not be expressed.
#[pyclass(name = "Conversion", module = "kubescribe", frozen)]
pub struct PyConversion {
    policies: Vec<kubescribe_core::Policy>,
    /// What could not be expressed, as the `losses` property gives it.
    losses: Vec<Value>,
}

impl State for PyConversion {
    const NAME: &'static str = "Conversion";
    fn state(&self) -> PyResult<Value> {
        let policies = self
            .policies
            .iter()
            .map(|p| p.to_value().map_err(core_err))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(json!({"policies": policies, "losses": self.losses}))
    }
    fn from_state(state: Value) -> PyResult<Self> {
        let policies: Vec<Value> = field(&state, "policies", Self::NAME)?;
        Ok(PyConversion {
            policies: policies
                .into_iter()
                .map(|v| kubescribe_core::Policy::from_value(v).map_err(core_err))
                .collect::<PyResult<_>>()?,
            losses: field(&state, "losses", Self::NAME)?,
        })
    }
}

fn loss_values(losses: &[Loss]) -> PyResult<Vec<Value>> {
    losses
        .iter()
        .map(|l| serde_json::to_value(l).map_err(parse_err))
        .collect()
}

#[pymethods]
impl PyConversion {
    /// The converted policies.
    #[getter]
    fn policies(&self) -> Vec<PyPolicy> {
        self.policies
            .iter()
            .map(|p| PyPolicy { inner: p.clone() })
            .collect()
    }
    /// What could not be expressed: `{"pointer", "feature", "reason", "action"}` per loss.
    #[getter]
    fn losses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.losses)
    }
    /// Whether nothing was lost.
    #[getter]
    fn lossless(&self) -> bool {
        self.losses.is_empty()
    }
    /// The converted policies as YAML documents (`---` between them).
    fn to_yaml(&self) -> PyResult<String> {
        let mut out = String::new();
        for (i, p) in self.policies.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&p.to_canonical_yaml().map_err(core_err)?);
        }
        Ok(out)
    }
    /// `{"policies": [dict], "losses": [dict]}`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let policies = self
            .policies
            .iter()
            .map(|p| p.to_value().map_err(core_err))
            .collect::<PyResult<Vec<_>>>()?;
        to_py(py, &json!({"policies": policies, "losses": self.losses}))
    }
    fn __len__(&self) -> usize {
        self.policies.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "Conversion(policies={}, losses={})",
            self.policies.len(),
            self.losses.len()
        )
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        state::eq(py, self, other)
    }
    fn __hash__(&self) -> PyResult<u64> {
        state::hash(self)
    }
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        state::reduce(py, self)
    }
}

/// Converts a network policy (Kubernetes, Cilium or Calico; a `Policy`, a
/// dict, or a file (`str` or `os.PathLike`) with one document) to `target`. Losses are listed in the
/// result; with `strict`, any loss raises `ConversionError` (its
/// `.losses` lists them). A policy of another engine or one the target
/// cannot express at all raises `ConversionError`.
#[pyfunction]
#[pyo3(signature = (policy, target, *, strict = false))]
fn convert<'py>(
    py: Python<'py>,
    policy: &Bound<'py, PyAny>,
    target: &str,
    strict: bool,
) -> PyResult<PyConversion> {
    let target = engine_arg(target)?;
    let policies = if let Ok(p) = policy.cast::<PyPolicy>() {
        vec![p.get().inner.clone()]
    } else {
        parse_all(py, Input::extract(policy)?, None)?
    };
    let [source] = policies.as_slice() else {
        return Err(parse_err(format!(
            "convert: expected one policy, got {}",
            policies.len()
        )));
    };
    match py.detach(|| kubescribe_synth::convert::convert(source, target, strict)) {
        Ok(c) => Ok(PyConversion {
            losses: loss_values(&c.losses)?,
            policies: c.policies,
        }),
        Err(e) => {
            let losses: &[Loss] = match &e {
                ConvertError::Strict { losses, .. } => losses,
                _ => &[],
            };
            let err = ConversionError::new_err(e.to_string());
            err.value(py).setattr("losses", to_py(py, losses)?)?;
            Err(err)
        }
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyParsedIntent>()?;
    m.add_class::<PyPrompt>()?;
    m.add_class::<PyConversion>()?;
    m.add_function(wrap_pyfunction!(parse_intent, m)?)?;
    m.add_function(wrap_pyfunction!(build_prompt_py, m)?)?;
    m.add_function(wrap_pyfunction!(templates, m)?)?;
    m.add_function(wrap_pyfunction!(system_prompt_py, m)?)?;
    m.add_function(wrap_pyfunction!(convert, m)?)?;
    Ok(())
}
