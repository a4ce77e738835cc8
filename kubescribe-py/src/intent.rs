//! Intents and the deterministic synthesizer: `Intent`, `synthesize`.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde_json::Value;

use kubescribe_core::intent::Intent;

use crate::convert::{engine, from_py, to_json, to_py, to_yaml};
use crate::errors::{SynthesisError, check_readable_file, parse_err, type_err};
use crate::policy::PyPolicy;
use crate::state::{self, State, pyrepr};

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

impl State for PyIntent {
    const NAME: &'static str = "Intent";
    fn state(&self) -> PyResult<Value> {
        serde_json::to_value(&self.inner).map_err(parse_err)
    }
    fn from_state(state: Value) -> PyResult<Self> {
        Ok(PyIntent {
            inner: from_value(state)?,
        })
    }
}

/// An intent read from a JSON file (`MissingFileError` when it does not exist).
fn intent_file(path: &std::path::Path) -> PyResult<Intent> {
    check_readable_file(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| crate::errors::io_err(path, &e))?;
    serde_json::from_str(&text).map_err(|e| parse_err(format!("intent: {}: {e}", path.display())))
}

/// An `Intent`, a dict, or a path (`str` or `os.PathLike`) to an intent's
/// JSON file, as an intent; JSON text goes through `Intent.from_json`.
pub(crate) fn intent_arg(obj: &Bound<'_, PyAny>) -> PyResult<Intent> {
    if let Ok(i) = obj.cast::<PyIntent>() {
        return Ok(i.get().inner.clone());
    }
    if obj.is_instance_of::<PyDict>() {
        return from_value(from_py(obj, "intent")?);
    }
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        let p: std::path::PathBuf = obj.extract()?;
        return intent_file(&p);
    }
    Err(type_err(format!(
        "intent: expected an Intent, a dict or a path to an intent JSON file, got {} \
         (JSON text goes through Intent.from_json)",
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
            return Err(type_err(format!(
                "intent: expected a dict, got {}",
                data.get_type().name()?
            )));
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
    /// An intent from a JSON file (`str` or `os.PathLike`).
    #[staticmethod]
    fn from_file(path: std::path::PathBuf) -> PyResult<Self> {
        Ok(PyIntent {
            inner: intent_file(&path)?,
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
    /// `Intent(scope={...}, domain='file', ...)`: the keyword arguments that
    /// build the same intent.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = to_py(py, &self.inner)?;
        let d = d.cast::<PyDict>()?;
        let mut parts = Vec::new();
        for (k, v) in d.iter() {
            parts.push(format!("{}={}", k.str()?, pyrepr(py, v)));
        }
        Ok(format!("Intent({})", parts.join(", ")))
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
    Ok(d.engines().iter().map(|e| e.name()).collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyIntent>()?;
    m.add_function(wrap_pyfunction!(synthesize, m)?)?;
    m.add_function(wrap_pyfunction!(engines_for, m)?)?;
    Ok(())
}
