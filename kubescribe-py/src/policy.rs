//! Typed policies: `Policy` (validated, canonical YAML/JSON), policy
//! parsing and the built-in schemas.

use pyo3::prelude::*;
use serde_json::{Value, json};

use kubescribe_core::document::ReadLimits;
use kubescribe_core::{Policy, PolicyKind};
use kubescribe_validate::{DocumentReport, Validator};

use crate::convert::{to_json, to_py};
use crate::errors::{core_err, parse_err, type_err};
use crate::state::{self, State, html, pyrepr};
use crate::validate::{Input, PyReport, validation_error};

/// A policy that passed layer-1 validation, decoded into kubescribe's typed
/// model of its engine. Build one with `Policy.from_yaml`,
/// `Policy.from_dict`, `parse_policies` or `synthesize`.
#[pyclass(name = "Policy", module = "kubescribe", frozen, skip_from_py_object)]
#[derive(Clone)]
pub struct PyPolicy {
    pub(crate) inner: Policy,
}

impl State for PyPolicy {
    const NAME: &'static str = "Policy";
    fn state(&self) -> PyResult<Value> {
        self.inner.to_value().map_err(core_err)
    }
    fn from_state(state: Value) -> PyResult<Self> {
        Ok(PyPolicy {
            inner: Policy::from_value(state).map_err(core_err)?,
        })
    }
}

/// Reads and validates every document of `input`; malformed YAML/JSON raises
/// `ParseError`, invalid documents `ValidationError` carrying all reports.
pub(crate) fn parse_all(py: Python<'_>, input: Input, name: Option<&str>) -> PyResult<Vec<Policy>> {
    let outcome = py.detach(|| -> PyResult<Result<Vec<Policy>, Vec<DocumentReport>>> {
        let validator = Validator::new();
        let (set, from_values) = match input.read(name, &ReadLimits::default())? {
            Ok(x) => x,
            Err(report) => {
                let d = report.diagnostics.first();
                return Err(parse_err(format!(
                    "{}:{}: {}",
                    report.source,
                    report.line.unwrap_or(0),
                    d.map(|d| d.message.as_str())
                        .unwrap_or("malformed YAML/JSON")
                )));
            }
        };
        let mut policies = Vec::new();
        let mut bad = Vec::new();
        for doc in &set.documents {
            let o = validator.validate_value(&doc.value);
            match (o.is_valid(), o.policy) {
                (true, Some(p)) => policies.push(p),
                _ => {
                    // The full report, with lines, through the validator's own path.
                    let mut reports = validator.validate_set(&set);
                    if from_values {
                        for r in &mut reports {
                            r.line = None;
                            r.diagnostics.iter_mut().for_each(|d| d.line = None);
                        }
                    }
                    bad = reports.into_iter().filter(|r| !r.valid).collect();
                    break;
                }
            }
        }
        Ok(if bad.is_empty() {
            Ok(policies)
        } else {
            Err(bad)
        })
    })?;
    match outcome {
        Ok(p) => Ok(p),
        Err(reports) => {
            let reports = reports
                .into_iter()
                .map(|inner| Py::new(py, PyReport { inner }))
                .collect::<PyResult<Vec<_>>>()?;
            Err(validation_error(py, &reports)?)
        }
    }
}

fn parse_one(py: Python<'_>, input: Input, name: Option<&str>) -> PyResult<PyPolicy> {
    let mut all = parse_all(py, input, name)?;
    match all.len() {
        1 => Ok(PyPolicy {
            inner: all.remove(0),
        }),
        n => Err(parse_err(format!(
            "expected exactly one policy document, found {n} (use parse_policies for several)"
        ))),
    }
}

#[pymethods]
impl PyPolicy {
    /// Parses and validates one YAML/JSON document; raises `ParseError` for
    /// malformed text and `ValidationError` (with `.diagnostics`) for an
    /// invalid policy.
    #[staticmethod]
    fn from_yaml(py: Python<'_>, text: String) -> PyResult<Self> {
        parse_one(py, Input::Text(text), None)
    }

    /// Same as `from_yaml` (JSON is YAML).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: String) -> PyResult<Self> {
        parse_one(py, Input::Text(text), None)
    }

    /// Validates a document given as a dict.
    #[staticmethod]
    fn from_dict(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        if !document.is_instance_of::<pyo3::types::PyDict>() {
            return Err(type_err(format!(
                "from_dict: expected a dict, got {}",
                document.get_type().name()?
            )));
        }
        parse_one(py, Input::extract(document)?, None)
    }

    /// Reads and validates the one policy document of a file (`str` or
    /// `os.PathLike`); `MissingFileError` when it does not exist.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Self> {
        if path.is_instance_of::<pyo3::types::PyDict>() {
            return Err(type_err(
                "from_file: expected a path, got dict (use from_dict)",
            ));
        }
        parse_one(py, Input::extract(path)?, None)
    }

    /// The engine: `kubearmor`, `tetragon`, `cilium`, `kubernetes` or `calico`.
    #[getter]
    fn engine(&self) -> &'static str {
        self.inner.engine().name()
    }
    /// The `kind`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind().kind()
    }
    /// The `apiVersion`.
    #[getter]
    fn api_version(&self) -> &'static str {
        self.inner.kind().api_version()
    }
    /// `metadata.name`.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.inner.name()
    }
    /// `metadata.namespace`.
    #[getter]
    fn namespace(&self) -> Option<&str> {
        self.inner.namespace()
    }
    /// The policy as a dict (model field order, nulls dropped).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.inner.to_value().map_err(core_err)?;
        to_py(py, &v)
    }
    /// Canonical YAML: model field order, maps sorted, nulls dropped.
    fn to_yaml(&self) -> PyResult<String> {
        self.inner.to_canonical_yaml().map_err(core_err)
    }
    /// Canonical JSON (pretty-printed when `indent`).
    #[pyo3(signature = (indent = true))]
    fn to_json(&self, indent: bool) -> PyResult<String> {
        let v = self.inner.to_value().map_err(core_err)?;
        to_json(&v, indent)
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Ok(match other.cast::<PyPolicy>() {
            Ok(o) => pyo3::types::PyBool::new(py, o.get().inner == self.inner)
                .to_owned()
                .into_any()
                .unbind(),
            Err(_) => py.NotImplemented(),
        })
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
    fn __str__(&self) -> PyResult<String> {
        self.to_yaml()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Policy(kind={}, name={}, namespace={})",
            pyrepr(py, self.kind()),
            pyrepr(py, self.name()),
            pyrepr(py, self.namespace())
        )
    }
    fn _repr_html_(&self) -> PyResult<String> {
        Ok(format!(
            "<p><b>{}</b> {}{} ({}, <code>{}</code>)</p><pre>{}</pre>",
            html(self.kind()),
            html(self.name().unwrap_or("")),
            self.namespace()
                .map(|n| format!(" in namespace {}", html(n)))
                .unwrap_or_default(),
            html(self.engine()),
            html(self.api_version()),
            html(&self.to_yaml()?)
        ))
    }
}

/// Parses and validates every document of a file (`str` or
/// `os.PathLike`), a dict, a list of dicts, or YAML/JSON text given as
/// `text=`; raises `ValidationError` (with `.reports` and `.diagnostics`) if
/// any document is invalid.
#[pyfunction]
#[pyo3(signature = (source = None, *, text = None, name = None))]
fn parse_policies(
    py: Python<'_>,
    source: Option<&Bound<'_, PyAny>>,
    text: Option<String>,
    name: Option<&str>,
) -> PyResult<Vec<PyPolicy>> {
    let input = Input::source_or_text(source, text)?;
    Ok(parse_all(py, input, name)?
        .into_iter()
        .map(|inner| PyPolicy { inner })
        .collect())
}

/// Canonical YAML of one or more policies, as a multi-document stream.
#[pyfunction]
fn to_yaml(policies: Vec<PyRef<'_, PyPolicy>>) -> PyResult<String> {
    let mut out = String::new();
    for (i, p) in policies.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&p.inner.to_canonical_yaml().map_err(core_err)?);
    }
    Ok(out)
}

pub(crate) fn find_kind(kind: &str) -> PyResult<PolicyKind> {
    let found: Vec<PolicyKind> = PolicyKind::ALL
        .iter()
        .copied()
        .filter(|k| {
            k.kind().eq_ignore_ascii_case(kind)
                || format!("{}/{}", k.api_version(), k.kind()).eq_ignore_ascii_case(kind)
        })
        .collect();
    match found.as_slice() {
        [k] => Ok(*k),
        [] => Err(crate::errors::arg_err(format!(
            "unknown kind {kind:?}; policy_kinds() lists them"
        ))),
        many => Err(crate::errors::arg_err(format!(
            "{kind:?} is ambiguous: {}",
            many.iter()
                .map(|k| format!("{}/{}", k.api_version(), k.kind()))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The built-in JSON Schema of a policy kind (`"KubeArmorPolicy"`, or
/// `"projectcalico.org/v3/NetworkPolicy"` where the kind alone is ambiguous).
#[pyfunction]
fn policy_schema<'py>(py: Python<'py>, kind: &str) -> PyResult<Bound<'py, PyAny>> {
    let k = find_kind(kind)?;
    to_py(py, &kubescribe_core::policy::schema::builtin_schema(k))
}

/// The modelled policy kinds as records: engine, api_version, kind, namespaced.
#[pyfunction]
fn policy_kinds<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    let rows: Vec<Value> = PolicyKind::ALL
        .iter()
        .map(|k| {
            json!({"engine": k.engine().name(), "api_version": k.api_version(),
                   "kind": k.kind(), "namespaced": k.namespaced()})
        })
        .collect();
    to_py(py, &rows)
}

/// The engine names.
#[pyfunction]
fn engines() -> Vec<&'static str> {
    kubescribe_core::Engine::ALL
        .iter()
        .map(|e| e.name())
        .collect()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPolicy>()?;
    m.add_function(wrap_pyfunction!(parse_policies, m)?)?;
    m.add_function(wrap_pyfunction!(to_yaml, m)?)?;
    m.add_function(wrap_pyfunction!(policy_schema, m)?)?;
    m.add_function(wrap_pyfunction!(policy_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(engines, m)?)?;
    Ok(())
}
