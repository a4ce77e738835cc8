//! Intents and the deterministic synthesizer: `Intent`, `synthesize`.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde_json::Value;

use kubescribe_core::intent::Intent;

use crate::convert::{engine, from_py, to_json, to_py, to_yaml};
use crate::errors::{SynthesisError, parse_err};
use crate::policy::PyPolicy;

/// An engine-agnostic security intent: who (scope), which behaviour
/// (domain), what to do (action, direction) and which resources. Field names
/// as in `Intent.schema()` (camelCase, e.g. `readOnly`, `podNames`).
#[pyclass(name = "Intent", module = "kubescribe", frozen, skip_from_py_object)]
#[derive(Clone)]
pub struct PyIntent {
    pub(crate) inner: Intent,
}

fn from_value(v: Value) -> PyResult<Intent> {
    serde_json::from_value(v).map_err(|e| parse_err(format!("intent: {e}")))
}

/// An `Intent`, a dict or JSON text, as an intent.
pub(crate) fn intent_arg(obj: &Bound<'_, PyAny>) -> PyResult<Intent> {
    if let Ok(i) = obj.cast::<PyIntent>() {
        return Ok(i.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return serde_json::from_str(&s.to_cow()?).map_err(|e| parse_err(format!("intent: {e}")));
    }
    if obj.is_instance_of::<PyDict>() {
        return from_value(from_py(obj, "intent")?);
    }
    Err(parse_err(format!(
        "intent: expected an Intent, a dict or JSON text, got {}",
        obj.get_type().name()?
    )))
}

fn name_of<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

#[pymethods]
impl PyIntent {
    /// Builds an intent from keyword arguments or a dict of the schema's
    /// fields: `Intent(scope={...}, domain="file", action="allow", ...)`.
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let v = match fields {
            Some(d) => from_py(d.as_any(), "intent")?,
            None => Value::Object(Default::default()),
        };
        Ok(PyIntent {
            inner: from_value(v)?,
        })
    }
    /// An intent from a dict; raises `ParseError` naming the offending field.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !data.is_instance_of::<PyDict>() {
            return Err(parse_err("intent: expected a dict"));
        }
        Ok(PyIntent {
            inner: from_value(from_py(data, "intent")?)?,
        })
    }
    /// An intent from JSON text.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(PyIntent {
            inner: serde_json::from_str(text).map_err(|e| parse_err(format!("intent: {e}")))?,
        })
    }
    /// The JSON Schema intents follow (what an LLM intent parser is constrained to).
    #[staticmethod]
    fn schema<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &kubescribe_core::intent::intent_schema())
    }
    /// Target engine, when the intent names one.
    #[getter]
    fn engine(&self) -> Option<String> {
        self.inner.engine.map(|e| e.name().to_string())
    }
    /// `file`, `process`, `network`, `syscall` or `capability`.
    #[getter]
    fn domain(&self) -> String {
        name_of(&self.inner.domain)
    }
    /// `allow`, `audit` or `block`.
    #[getter]
    fn action(&self) -> String {
        name_of(&self.inner.action)
    }
    /// `ingress`, `egress` or `both` (network intents).
    #[getter]
    fn direction(&self) -> Option<String> {
        self.inner.direction.as_ref().map(name_of)
    }
    /// Namespace of the scope.
    #[getter]
    fn namespace(&self) -> Option<&str> {
        self.inner.scope.namespace.as_deref()
    }
    /// Label equality selector of the scope.
    #[getter]
    fn labels(&self) -> BTreeMap<String, String> {
        self.inner.scope.labels.clone()
    }
    /// Free-text rationale.
    #[getter]
    fn rationale(&self) -> Option<&str> {
        self.inner.rationale.as_deref()
    }
    /// The intent as a dict (schema field names).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    /// The intent as JSON.
    #[pyo3(signature = (indent = false))]
    fn to_json(&self, indent: bool) -> PyResult<String> {
        to_json(&self.inner, indent)
    }
    /// The intent as YAML.
    fn to_yaml(&self) -> PyResult<String> {
        to_yaml(&self.inner)
    }
    /// A copy targeting `engine`.
    fn with_engine(&self, engine_name: &str) -> PyResult<Self> {
        let mut inner = self.inner.clone();
        inner.engine = Some(engine(engine_name)?);
        Ok(PyIntent { inner })
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyIntent>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "Intent({})",
            serde_json::to_string(&self.inner).unwrap_or_default()
        )
    }
}

/// Turns an intent (an `Intent`, dict or JSON text) into a policy for its
/// engine, `engine`, or the domain's default engine, with the deterministic
/// synthesizer (no model). Raises `SynthesisError` when the engine cannot
/// express the intent or it is incomplete.
#[pyfunction]
#[pyo3(signature = (intent, engine = None))]
fn synthesize(
    py: Python<'_>,
    intent: &Bound<'_, PyAny>,
    engine: Option<&str>,
) -> PyResult<PyPolicy> {
    let intent = intent_arg(intent)?;
    let engine = engine.map(crate::convert::engine).transpose()?;
    let policy = py
        .detach(|| kubescribe_synth::synthesize(&intent, engine))
        .map_err(|e| SynthesisError::new_err(e.to_string()))?;
    Ok(PyPolicy { inner: policy })
}

/// The engines that can express intents of a domain, default first.
#[pyfunction]
fn engines_for(domain: &str) -> PyResult<Vec<&'static str>> {
    let d: kubescribe_core::intent::Domain = crate::convert::parse_name(
        domain,
        "domain",
        &["file", "process", "network", "syscall", "capability"],
    )?;
    Ok(kubescribe_synth::engines_for(d)
        .iter()
        .map(|e| e.name())
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyIntent>()?;
    m.add_function(wrap_pyfunction!(synthesize, m)?)?;
    m.add_function(wrap_pyfunction!(engines_for, m)?)?;
    Ok(())
}
