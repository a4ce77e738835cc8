//! `PipelineResult`: what `Pipeline.run` returns, kept as plain values
//! (the policies, the status, the last diagnostics and the trace as JSON)
//! so that it pickles, compares and hashes by value (`crate::state`).
//!
//! The trace's diagnostics and feedback are written as `Diagnostic.to_dict`
//! writes them (`path`, `suggestion`, `fix_path`, `replacement`), not in the
//! Rust field names of the CLI's `--trace` file (`pointer`, `fix`).

use pyo3::prelude::*;
use serde_json::{Value, json};

use kubescribe_core::Policy;
use kubescribe_infer::pipeline::{PipelineResult, Status};

use crate::convert::{to_json, to_py, to_yaml};
use crate::errors::{core_err, parse_err};
use crate::policy::PyPolicy;
use crate::state::{self, State, field, pyrepr};
use crate::validate::{DiagnosticState, PyDiagnostic};

/// The result of `Pipeline.run`: the policy (when one is valid), the status
/// and the trace of every attempt.
#[pyclass(name = "PipelineResult", module = "kubescribe", frozen)]
pub struct PyPipelineResult {
    policy: Option<Policy>,
    best_effort: Option<Policy>,
    status: &'static str,
    diagnostics: Vec<kubescribe_validate::Diagnostic>,
    trace: Value,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Valid => "valid",
        Status::Fallback => "fallback",
        Status::Failed => "failed",
    }
}

/// A diagnostic as the trace's Python form writes it.
fn diagnostic_value(d: &kubescribe_validate::Diagnostic) -> Value {
    PyDiagnostic { inner: d.clone() }.as_value()
}

impl PyPipelineResult {
    pub(crate) fn new(r: PipelineResult) -> PyResult<Self> {
        let mut trace = serde_json::to_value(&r.trace).map_err(parse_err)?;
        if let Some(attempts) = trace.get_mut("attempts").and_then(Value::as_array_mut) {
            for (a, rust) in attempts.iter_mut().zip(&r.trace.attempts) {
                a["diagnostics"] =
                    Value::Array(rust.diagnostics.iter().map(diagnostic_value).collect());
                a["feedback"] = Value::Array(rust.feedback.iter().map(diagnostic_value).collect());
            }
        }
        Ok(PyPipelineResult {
            status: status_name(r.status()),
            diagnostics: r.last_diagnostics().to_vec(),
            policy: r.policy,
            best_effort: r.best_effort,
            trace,
        })
    }

    fn attempts_value(&self) -> &[Value] {
        self.trace
            .get("attempts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn records(&self) -> Vec<Value> {
        self.attempts_value()
            .iter()
            .map(|a| {
                let errors = a
                    .get("diagnostics")
                    .and_then(Value::as_array)
                    .map(|ds| {
                        ds.iter()
                            .filter(|d| d.get("severity") == Some(&json!("error")))
                            .count()
                    })
                    .unwrap_or(0);
                let g = |k: &str| a.get(k).cloned().unwrap_or(Value::Null);
                json!({"number": g("number"), "generator": g("generator"), "valid": g("valid"),
                       "faithful": g("faithful"), "error": g("error"), "errors": errors,
                       "prompt_tokens": g("prompt_tokens"), "completion_tokens": g("completion_tokens"),
                       "prompt_ms": g("prompt_ms"), "generate_ms": g("generate_ms"),
                       "validate_ms": g("validate_ms")})
            })
            .collect()
    }
}

fn policy_value(p: &Option<Policy>) -> PyResult<Value> {
    p.as_ref()
        .map(|p| p.to_value().map_err(core_err))
        .transpose()
        .map(|v| v.unwrap_or(Value::Null))
}

fn policy_of(v: Value) -> PyResult<Option<Policy>> {
    match v {
        Value::Null => Ok(None),
        v => Policy::from_value(v).map(Some).map_err(core_err),
    }
}

impl State for PyPipelineResult {
    const NAME: &'static str = "PipelineResult";
    fn state(&self) -> PyResult<Value> {
        Ok(json!({
            "policy": policy_value(&self.policy)?,
            "best_effort": policy_value(&self.best_effort)?,
            "status": self.status,
            "diagnostics": self.diagnostics.iter().map(DiagnosticState::of).collect::<Vec<_>>(),
            "trace": self.trace,
        }))
    }
    fn from_state(state: Value) -> PyResult<Self> {
        let status: String = field(&state, "status", Self::NAME)?;
        let status = ["valid", "fallback", "failed"]
            .into_iter()
            .find(|s| *s == status)
            .ok_or_else(|| parse_err(format!("PipelineResult state: status {status:?}")))?;
        let diagnostics: Vec<DiagnosticState> = field(&state, "diagnostics", Self::NAME)?;
        Ok(PyPipelineResult {
            policy: policy_of(state.get("policy").cloned().unwrap_or(Value::Null))?,
            best_effort: policy_of(state.get("best_effort").cloned().unwrap_or(Value::Null))?,
            status,
            diagnostics: diagnostics
                .into_iter()
                .map(DiagnosticState::into_diagnostic)
                .collect::<PyResult<_>>()?,
            trace: field(&state, "trace", Self::NAME)?,
        })
    }
}

#[pymethods]
impl PyPipelineResult {
    /// The first valid policy that implements the intent (or the marked
    /// synthesizer fallback); None when every attempt failed.
    #[getter]
    fn policy(&self) -> Option<PyPolicy> {
        self.policy.clone().map(|inner| PyPolicy { inner })
    }
    /// When every attempt failed: the last valid policy that does not
    /// implement the intent (never the answer; review before use).
    #[getter]
    fn best_effort(&self) -> Option<PyPolicy> {
        self.best_effort.clone().map(|inner| PyPolicy { inner })
    }
    /// `"valid"` (the generator produced a valid policy), `"fallback"` or `"failed"`.
    #[getter]
    fn status(&self) -> &'static str {
        self.status
    }
    /// Number of attempts made.
    #[getter]
    fn attempts(&self) -> usize {
        self.attempts_value().len()
    }
    /// The diagnostics of the last attempt.
    #[getter]
    fn diagnostics(&self) -> Vec<PyDiagnostic> {
        self.diagnostics
            .iter()
            .map(|d| PyDiagnostic { inner: d.clone() })
            .collect()
    }
    /// The trace as a dict: generator, intent, engine, context, attempts
    /// (prompt, output, diagnostics and feedback as `Diagnostic.to_dict`
    /// gives them, timings, tokens), status.
    #[getter]
    fn trace<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.trace)
    }
    /// One record per attempt (number, generator, valid, faithful, error,
    /// errors, timings, tokens).
    fn attempt_records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.records())
    }
    /// `attempt_records()` as a `pandas.DataFrame` (needs pandas).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        state::data_frame(
            py,
            to_py(py, &self.records())?,
            Some(&[
                "number",
                "generator",
                "valid",
                "faithful",
                "error",
                "errors",
                "prompt_tokens",
                "completion_tokens",
                "prompt_ms",
                "generate_ms",
                "validate_ms",
            ]),
        )
    }
    /// The trace as a dict (same as `.trace`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.trace(py)
    }
    /// The trace as JSON.
    #[pyo3(signature = (indent = false))]
    fn to_json(&self, indent: bool) -> PyResult<String> {
        to_json(&self.trace, indent)
    }
    /// The trace as YAML.
    fn to_yaml(&self) -> PyResult<String> {
        to_yaml(&self.trace)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "PipelineResult(status={}, attempts={}, policy={})",
            pyrepr(py, self.status),
            self.attempts(),
            pyrepr(py, self.policy.as_ref().and_then(|p| p.name()))
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

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPipelineResult>()?;
    Ok(())
}
