//! Validation: `validate`, `Validator`, `Report` and `Diagnostic`.
//!
//! Layer 1 (built-in schema or user CRDs, API-server rules) always runs;
//! layers 2 and 3 against the event store (`kubescribe_validate::resources`:
//! selectors, peers, served ports and protocols, CIDRs, KubeArmor paths) run
//! when a store is given. `simulate` replays events against policies.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::{Value, json};

use kubescribe_core::document::{self, DocumentSet, ReadLimits};
use kubescribe_core::{CoreError, Policy};
use kubescribe_validate::{DocumentReport, Layer, Severity, syntax_report};

use crate::convert::{from_py, to_json, to_py, to_yaml};
use crate::errors::{ValidationError, core_err, parse_err};
use crate::store::PyEventStore;

/// One finding about one policy document.
#[pyclass(
    name = "Diagnostic",
    module = "kubescribe",
    frozen,
    skip_from_py_object
)]
#[derive(Clone)]
pub struct PyDiagnostic {
    pub(crate) inner: kubescribe_validate::Diagnostic,
}

fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::Parse => "parse",
        Layer::Schema => "schema",
        Layer::Resource => "resource",
        Layer::Property => "property",
        Layer::Permissive => "permissive",
        Layer::Fidelity => "fidelity",
    }
}

impl PyDiagnostic {
    fn as_value(&self) -> Value {
        let d = &self.inner;
        json!({
            "layer": layer_name(d.layer),
            "layer_number": d.layer.number(),
            "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "path": d.pointer,
            "line": d.line,
            "rule": d.rule,
            "message": d.message,
            "expected": d.expected,
            "actual": d.actual,
            "suggestion": d.fix.as_ref().map(|f| f.message.clone()),
            "fix_path": d.fix.as_ref().map(|f| f.pointer.clone()),
            "replacement": d.fix.as_ref().and_then(|f| f.replacement.clone()),
            "origin": d.origin,
        })
    }
}

#[pymethods]
impl PyDiagnostic {
    /// The layer that found it: `"parse"`, `"schema"` (1), `"resource"` (2) or `"property"` (3).
    #[getter]
    fn layer(&self) -> &'static str {
        layer_name(self.inner.layer)
    }
    /// The layer's number (parse = 0, schema = 1, resource = 2, property = 3).
    #[getter]
    fn layer_number(&self) -> u8 {
        self.inner.layer.number()
    }
    /// `"error"` (the document is invalid) or `"warning"`.
    #[getter]
    fn severity(&self) -> &'static str {
        match self.inner.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
    /// JSON pointer of the offending value (`""` = the whole document).
    #[getter]
    fn path(&self) -> &str {
        &self.inner.pointer
    }
    /// 1-based source line, when the document came from text.
    #[getter]
    fn line(&self) -> Option<usize> {
        self.inner.line
    }
    /// The rule broken: a JSON Schema keyword or a named check.
    #[getter]
    fn rule(&self) -> &str {
        &self.inner.rule
    }
    /// What is wrong, in words.
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }
    /// What was expected, when it can be said briefly.
    #[getter]
    fn expected(&self) -> Option<&str> {
        self.inner.expected.as_deref()
    }
    /// What was found.
    #[getter]
    fn actual(&self) -> Option<&str> {
        self.inner.actual.as_deref()
    }
    /// The suggested fix, in words.
    #[getter]
    fn suggestion(&self) -> Option<&str> {
        self.inner.fix.as_ref().map(|f| f.message.as_str())
    }
    /// JSON pointer the fix applies to (may differ from `path`, e.g. a renamed key).
    #[getter]
    fn fix_path(&self) -> Option<&str> {
        self.inner.fix.as_ref().map(|f| f.pointer.as_str())
    }
    /// The replacement value, when there is one obvious value.
    #[getter]
    fn replacement<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(
            py,
            &self.inner.fix.as_ref().and_then(|f| f.replacement.clone()),
        )
    }
    /// Which schema produced it: `builtin`, `apiserver`, `store` or a CRD file.
    #[getter]
    fn origin(&self) -> &str {
        &self.inner.origin
    }
    /// Whether this diagnostic makes the document invalid.
    #[getter]
    fn is_error(&self) -> bool {
        self.inner.is_error()
    }
    /// A flat dict (one row of a DataFrame).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.as_value())
    }
    fn __str__(&self) -> String {
        self.inner.to_string()
    }
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic(layer={:?}, severity={:?}, path={:?}, rule={:?}, message={:?})",
            self.layer(),
            self.severity(),
            self.inner.pointer,
            self.inner.rule,
            self.inner.message
        )
    }
}

/// The validation result of one document.
#[pyclass(name = "Report", module = "kubescribe", frozen, skip_from_py_object)]
pub struct PyReport {
    pub(crate) inner: DocumentReport,
}

impl PyReport {
    fn as_value(&self) -> PyResult<Value> {
        let mut v = serde_json::to_value(&self.inner).map_err(parse_err)?;
        if let Some(obj) = v.as_object_mut() {
            let diags: Vec<Value> = self
                .inner
                .diagnostics
                .iter()
                .map(|d| PyDiagnostic { inner: d.clone() }.as_value())
                .collect();
            obj.insert("diagnostics".into(), Value::Array(diags));
        }
        Ok(v)
    }
}

#[pymethods]
impl PyReport {
    /// Input name (file name, or the `name` given for text).
    #[getter]
    fn source(&self) -> &str {
        &self.inner.source
    }
    /// 0-based position of the document in its input.
    #[getter]
    fn index(&self) -> usize {
        self.inner.index
    }
    /// 1-based line where the document starts.
    #[getter]
    fn line(&self) -> Option<usize> {
        self.inner.line
    }
    /// The document's `apiVersion`.
    #[getter]
    fn api_version(&self) -> Option<&str> {
        self.inner.api_version.as_deref()
    }
    /// The document's `kind`.
    #[getter]
    fn kind(&self) -> Option<&str> {
        self.inner.kind.as_deref()
    }
    /// The document's `metadata.name`.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }
    /// Whether no diagnostic is an error.
    #[getter]
    fn valid(&self) -> bool {
        self.inner.valid
    }
    /// All findings, errors first.
    #[getter]
    fn diagnostics(&self) -> Vec<PyDiagnostic> {
        self.inner
            .diagnostics
            .iter()
            .map(|d| PyDiagnostic { inner: d.clone() })
            .collect()
    }
    /// The findings that make the document invalid.
    #[getter]
    fn errors(&self) -> Vec<PyDiagnostic> {
        self.inner
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| PyDiagnostic { inner: d.clone() })
            .collect()
    }
    /// The warnings.
    #[getter]
    fn warnings(&self) -> Vec<PyDiagnostic> {
        self.inner
            .diagnostics
            .iter()
            .filter(|d| !d.is_error())
            .map(|d| PyDiagnostic { inner: d.clone() })
            .collect()
    }
    /// Raises `ValidationError` (with `.diagnostics` and `.reports`) when the document is invalid.
    fn raise_for_errors(slf: Bound<'_, Self>) -> PyResult<()> {
        if slf.get().inner.valid {
            return Ok(());
        }
        let py = slf.py();
        Err(validation_error(py, &[slf.unbind()])?)
    }
    /// The report as a dict (diagnostics flattened as in `Diagnostic.to_dict`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.as_value()?)
    }
    /// The report as YAML.
    fn to_yaml(&self) -> PyResult<String> {
        to_yaml(&self.as_value()?)
    }
    /// The report as JSON (the shape of `kubescribe validate -o json`).
    #[pyo3(signature = (indent = false))]
    fn to_json(&self, indent: bool) -> PyResult<String> {
        to_json(&self.inner, indent)
    }
    fn __repr__(&self) -> String {
        format!(
            "Report(source={:?}, index={}, kind={:?}, name={:?}, valid={}, diagnostics={})",
            self.inner.source,
            self.inner.index,
            self.inner.kind,
            self.inner.name,
            self.inner.valid,
            self.inner.diagnostics.len()
        )
    }
}

/// A `ValidationError` naming the first error, carrying `.reports` and
/// `.diagnostics` (the errors of all reports).
pub(crate) fn validation_error(py: Python<'_>, reports: &[Py<PyReport>]) -> PyResult<PyErr> {
    let mut errors = Vec::new();
    for r in reports {
        let r = r.get();
        for d in r.inner.diagnostics.iter().filter(|d| d.is_error()) {
            errors.push((r.inner.source.clone(), d.clone()));
        }
    }
    let msg = match errors.first() {
        Some((src, d)) => {
            let at = d.line.map(|l| format!("{src}:{l}: ")).unwrap_or_default();
            let more = if errors.len() > 1 {
                format!(" (and {} more)", errors.len() - 1)
            } else {
                String::new()
            };
            format!("{at}{d}{more}")
        }
        None => "invalid policy".to_string(),
    };
    let err = ValidationError::new_err(msg);
    let value = err.value(py);
    let diags = PyList::empty(py);
    for (_, d) in errors {
        diags.append(Bound::new(py, PyDiagnostic { inner: d })?)?;
    }
    value.setattr("diagnostics", diags)?;
    let reps = PyList::empty(py);
    for r in reports {
        reps.append(r.clone_ref(py))?;
    }
    value.setattr("reports", reps)?;
    Ok(err)
}

/// What `validate` accepts: text, one document as a dict, a list of dicts,
/// or a path.
pub(crate) enum Input {
    Text(String),
    Values(Vec<Value>),
    File(PathBuf),
}

impl Input {
    pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Input> {
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Input::Text(s.to_cow()?.into_owned()));
        }
        if obj.is_instance_of::<PyDict>() {
            return Ok(Input::Values(vec![from_py(obj, "document")?]));
        }
        if let Ok(list) = obj.cast::<PyList>() {
            let mut out = Vec::with_capacity(list.len());
            for (i, item) in list.iter().enumerate() {
                if !item.is_instance_of::<PyDict>() {
                    return Err(parse_err(format!(
                        "documents[{i}]: expected a dict, got {}",
                        item.get_type().name()?
                    )));
                }
                out.push(from_py(&item, &format!("documents[{i}]"))?);
            }
            return Ok(Input::Values(out));
        }
        if let Ok(p) = obj.extract::<PathBuf>() {
            return Ok(Input::File(p));
        }
        Err(parse_err(format!(
            "expected YAML/JSON text (str), a document (dict), a list of dicts or a path (os.PathLike), got {}",
            obj.get_type().name()?
        )))
    }

    /// Reads the input into a document set; malformed YAML becomes
    /// `Err(report)` as the CLI reports it.
    pub(crate) fn read(
        self,
        name: Option<&str>,
        limits: &ReadLimits,
    ) -> PyResult<Result<(DocumentSet, bool), DocumentReport>> {
        let (read, from_values) = match self {
            Input::Text(t) => (
                document::read_bytes(name.unwrap_or("<string>"), t.as_bytes(), limits),
                false,
            ),
            Input::Values(values) => {
                // A stream of JSON documents (JSON is YAML) keeps each document separate.
                let mut text = String::new();
                for v in &values {
                    text.push_str("---\n");
                    text.push_str(&serde_json::to_string(v).map_err(parse_err)?);
                    text.push('\n');
                }
                (
                    document::read_bytes(name.unwrap_or("<object>"), text.as_bytes(), limits),
                    true,
                )
            }
            Input::File(p) => (document::read_file(&p, limits), false),
        };
        match read {
            Ok(set) => Ok(Ok((set, from_values))),
            Err(CoreError::Syntax {
                source_name,
                line,
                column,
                message,
            }) => Ok(Err(syntax_report(source_name, line, column, message))),
            Err(e) => Err(core_err(e)),
        }
    }
}

/// Validates policy documents against the built-in schemas and user CRDs.
#[pyclass(name = "Validator", module = "kubescribe", frozen)]
pub struct PyValidator {
    pub(crate) inner: kubescribe_validate::Validator,
    crds: Vec<String>,
}

impl PyValidator {
    pub(crate) fn run(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        store: Option<&PyEventStore>,
        name: Option<&str>,
    ) -> PyResult<Vec<Py<PyReport>>> {
        let input = Input::extract(source)?;
        let validator = &self.inner;
        let reports = py.detach(|| -> PyResult<Vec<DocumentReport>> {
            let limits = ReadLimits::default();
            let (set, from_values) = match input.read(name, &limits)? {
                Ok(x) => x,
                Err(report) => return Ok(vec![report]),
            };
            let mut reports = match store {
                None => validator.validate_set(&set),
                Some(s) => {
                    let mut guard = s.lock()?;
                    let st = crate::store::opened(&mut guard)?;
                    let mut layer2 = |p: &Policy| match kubescribe_validate::resources::check(p, st)
                    {
                        Ok(d) => d,
                        Err(e) => vec![kubescribe_validate::Diagnostic::schema_error(
                            "",
                            "store",
                            format!("event store: {e}"),
                        )],
                    };
                    validator.validate_set_with(&set, &mut layer2)
                }
            };
            if from_values {
                // Lines would point into kubescribe's own rendering of the dicts.
                for r in &mut reports {
                    r.line = None;
                    r.diagnostics.iter_mut().for_each(|d| d.line = None);
                }
            }
            Ok(reports)
        })?;
        reports
            .into_iter()
            .map(|inner| Py::new(py, PyReport { inner }))
            .collect()
    }
}

#[pymethods]
impl PyValidator {
    /// `crds`: CRD or OpenAPI v3 files (paths) or texts to validate against
    /// as well; `builtin=False` validates against the CRDs only;
    /// `permissive=False` leaves out layer 4 (warnings about over-permissive
    /// rules: `/` allowed, match-all selectors, every address, domain or port).
    #[new]
    #[pyo3(signature = (crds = None, *, builtin = true, permissive = true))]
    fn new(crds: Option<Vec<Bound<'_, PyAny>>>, builtin: bool, permissive: bool) -> PyResult<Self> {
        let mut inner = kubescribe_validate::Validator::new()
            .use_builtin(builtin)
            .permissive(permissive);
        let mut added = Vec::new();
        for c in crds.unwrap_or_default() {
            let kinds = if let Ok(s) = c.cast::<PyString>() {
                inner.add_crd_str("<crd>", &s.to_cow()?)
            } else {
                let p: PathBuf = c.extract().map_err(|_| {
                    parse_err("crds: expected CRD text (str) or paths (os.PathLike)")
                })?;
                inner.add_crd_file(&p)
            }
            .map_err(parse_err)?;
            added.extend(kinds);
        }
        Ok(PyValidator { inner, crds: added })
    }

    /// The `apiVersion/kind` pairs the CRDs added.
    #[getter]
    fn crd_kinds(&self) -> Vec<String> {
        self.crds.clone()
    }

    /// Validates YAML/JSON text, a document dict, a list of dicts or a file
    /// (`pathlib.Path`); one `Report` per document. With `store`, layers 2
    /// and 3 against the event store (selectors, peers, served ports, CIDRs,
    /// KubeArmor paths) run too.
    #[pyo3(signature = (source, *, store = None, name = None))]
    fn validate(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        store: Option<PyRef<'_, PyEventStore>>,
        name: Option<&str>,
    ) -> PyResult<Vec<Py<PyReport>>> {
        self.run(py, source, store.as_deref(), name)
    }

    fn __repr__(&self) -> String {
        format!("Validator(crd_kinds={:?})", self.crds)
    }
}

/// Validates YAML/JSON text, a document dict, a list of dicts or a file
/// (`pathlib.Path`) with the built-in schemas (and `crds`); one `Report` per
/// document. With `store`, layers 2 and 3 against the event store run too;
/// layer 4 (over-permissive rules, warnings) unless `permissive=False`.
#[pyfunction]
#[pyo3(signature = (source, *, crds = None, store = None, name = None, permissive = true))]
fn validate(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    crds: Option<Vec<Bound<'_, PyAny>>>,
    store: Option<PyRef<'_, PyEventStore>>,
    name: Option<&str>,
    permissive: bool,
) -> PyResult<Vec<Py<PyReport>>> {
    let v = PyValidator::new(crds, true, permissive)?;
    v.run(py, source, store.as_deref(), name)
}

/// One row per diagnostic over `reports` (source, index, kind, name plus the
/// diagnostic's fields); a document without findings gives one row with
/// `severity` None. Made for `pandas.DataFrame(records(reports))`.
#[pyfunction]
fn diagnostics_records<'py>(
    py: Python<'py>,
    reports: Vec<PyRef<'py, PyReport>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut rows = Vec::new();
    for r in &reports {
        let head = json!({
            "source": r.inner.source, "index": r.inner.index, "kind": r.inner.kind,
            "name": r.inner.name, "valid": r.inner.valid,
        });
        if r.inner.diagnostics.is_empty() {
            let mut row = head.clone();
            for k in [
                "layer",
                "severity",
                "path",
                "line",
                "rule",
                "message",
                "suggestion",
            ] {
                row[k] = Value::Null;
            }
            rows.push(row);
        }
        for d in &r.inner.diagnostics {
            let mut row = head.clone();
            if let (Some(o), Value::Object(dv)) = (
                row.as_object_mut(),
                PyDiagnostic { inner: d.clone() }.as_value(),
            ) {
                o.extend(dv);
            }
            rows.push(row);
        }
    }
    to_py(py, &rows)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDiagnostic>()?;
    m.add_class::<PyReport>()?;
    m.add_class::<PyValidator>()?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(diagnostics_records, m)?)?;
    Ok(())
}
