//! Validation: `validate`, `Validator`, `Report` and `Diagnostic`.
//!
//! Layer 1 (built-in schema or user CRDs, API-server rules) always runs;
//! layers 2 and 3 against the event store (`kubescribe_validate::resources`:
//! selectors, peers, served ports and protocols, CIDRs, KubeArmor paths) run
//! when a store is given. `simulate` replays events against policies.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use kubescribe_core::document::{self, DocumentSet, ReadLimits};
use kubescribe_core::{CoreError, Policy};
use kubescribe_validate::diagnostic::Fix;
use kubescribe_validate::{DocumentReport, Layer, Severity, syntax_report};

use crate::convert::{from_py, to_json, to_py, to_yaml};
use crate::errors::{ValidationError, check_readable_file, core_err, parse_err, type_err};
use crate::state::{self, State, html, html_table, pyrepr};
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

/// `Diagnostic`'s pickled form (the Rust type has no `Deserialize`).
#[derive(Serialize, Deserialize, PartialEq)]
pub(crate) struct DiagnosticState {
    layer: String,
    severity: String,
    pointer: String,
    rule: String,
    message: String,
    expected: Option<String>,
    actual: Option<String>,
    fix: Option<(String, String, Option<Value>)>,
    origin: String,
    line: Option<usize>,
}

impl DiagnosticState {
    pub(crate) fn of(d: &kubescribe_validate::Diagnostic) -> Self {
        DiagnosticState {
            layer: layer_name(d.layer).to_string(),
            severity: severity_name(d.severity).to_string(),
            pointer: d.pointer.clone(),
            rule: d.rule.clone(),
            message: d.message.clone(),
            expected: d.expected.clone(),
            actual: d.actual.clone(),
            fix: d
                .fix
                .as_ref()
                .map(|f| (f.message.clone(), f.pointer.clone(), f.replacement.clone())),
            origin: d.origin.clone(),
            line: d.line,
        }
    }

    pub(crate) fn into_diagnostic(self) -> PyResult<kubescribe_validate::Diagnostic> {
        let layer = [
            Layer::Parse,
            Layer::Schema,
            Layer::Resource,
            Layer::Property,
            Layer::Permissive,
            Layer::Fidelity,
        ]
        .into_iter()
        .find(|l| layer_name(*l) == self.layer)
        .ok_or_else(|| parse_err(format!("Diagnostic state: layer {:?}", self.layer)))?;
        let severity = match self.severity.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            other => return Err(parse_err(format!("Diagnostic state: severity {other:?}"))),
        };
        Ok(kubescribe_validate::Diagnostic {
            layer,
            severity,
            pointer: self.pointer,
            rule: self.rule,
            message: self.message,
            expected: self.expected,
            actual: self.actual,
            fix: self.fix.map(|(message, pointer, replacement)| Fix {
                message,
                pointer,
                replacement,
            }),
            origin: self.origin,
            line: self.line,
        })
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

impl State for PyDiagnostic {
    const NAME: &'static str = "Diagnostic";
    fn state(&self) -> PyResult<Value> {
        serde_json::to_value(DiagnosticState::of(&self.inner)).map_err(parse_err)
    }
    fn from_state(state: Value) -> PyResult<Self> {
        let s: DiagnosticState = serde_json::from_value(state).map_err(parse_err)?;
        Ok(PyDiagnostic {
            inner: s.into_diagnostic()?,
        })
    }
}

impl PyDiagnostic {
    pub(crate) fn as_value(&self) -> Value {
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
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Diagnostic(layer={}, severity={}, path={}, line={}, rule={}, message={})",
            pyrepr(py, self.layer()),
            pyrepr(py, self.severity()),
            pyrepr(py, &self.inner.pointer),
            pyrepr(py, self.inner.line),
            pyrepr(py, &self.inner.rule),
            pyrepr(py, &self.inner.message)
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

/// The validation result of one document.
#[pyclass(name = "Report", module = "kubescribe", frozen, skip_from_py_object)]
pub struct PyReport {
    pub(crate) inner: DocumentReport,
}

/// `Report`'s pickled form.
#[derive(Serialize, Deserialize)]
struct ReportState {
    source: String,
    index: usize,
    line: Option<usize>,
    api_version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    valid: bool,
    diagnostics: Vec<DiagnosticState>,
}

impl State for PyReport {
    const NAME: &'static str = "Report";
    fn state(&self) -> PyResult<Value> {
        let r = &self.inner;
        serde_json::to_value(ReportState {
            source: r.source.clone(),
            index: r.index,
            line: r.line,
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            valid: r.valid,
            diagnostics: r.diagnostics.iter().map(DiagnosticState::of).collect(),
        })
        .map_err(parse_err)
    }
    fn from_state(state: Value) -> PyResult<Self> {
        let s: ReportState = serde_json::from_value(state).map_err(parse_err)?;
        Ok(PyReport {
            inner: DocumentReport {
                source: s.source,
                index: s.index,
                line: s.line,
                api_version: s.api_version,
                kind: s.kind,
                name: s.name,
                valid: s.valid,
                diagnostics: s
                    .diagnostics
                    .into_iter()
                    .map(DiagnosticState::into_diagnostic)
                    .collect::<PyResult<_>>()?,
            },
        })
    }
}

/// The columns of `diagnostics_records` and `Report.to_pandas()`.
const RECORD_COLUMNS: [&str; 19] = [
    "source",
    "index",
    "kind",
    "name",
    "valid",
    "layer",
    "layer_number",
    "severity",
    "path",
    "line",
    "rule",
    "message",
    "expected",
    "actual",
    "suggestion",
    "fix_path",
    "replacement",
    "origin",
    "is_error",
];

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
    /// The diagnostics as a `pandas.DataFrame`, one row each (the columns of
    /// `diagnostics_records`; a report without findings gives one row with
    /// `severity` None). Needs pandas (imported only here).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rows = records_of(std::slice::from_ref(&self.inner));
        state::data_frame(py, to_py(py, &rows)?, Some(&RECORD_COLUMNS))
    }
    fn _repr_html_(&self) -> String {
        let r = &self.inner;
        let head = format!(
            "<p><b>{}</b> {} <code>{}</code> ({}{}): <b>{}</b>, {} error(s), {} warning(s)</p>",
            html(r.kind.as_deref().unwrap_or("document")),
            html(r.name.as_deref().unwrap_or("")),
            html(&r.source),
            r.index,
            r.line.map(|l| format!(", line {l}")).unwrap_or_default(),
            if r.valid { "valid" } else { "invalid" },
            r.diagnostics.iter().filter(|d| d.is_error()).count(),
            r.diagnostics.iter().filter(|d| !d.is_error()).count(),
        );
        if r.diagnostics.is_empty() {
            return head;
        }
        let rows: Vec<Value> = r
            .diagnostics
            .iter()
            .map(|d| PyDiagnostic { inner: d.clone() }.as_value())
            .collect();
        head + &html_table(
            &[
                "severity",
                "layer",
                "path",
                "line",
                "rule",
                "message",
                "suggestion",
            ],
            &rows,
        )
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Report(source={}, index={}, kind={}, name={}, valid={}, diagnostics={})",
            pyrepr(py, &self.inner.source),
            self.inner.index,
            pyrepr(py, self.inner.kind.as_deref()),
            pyrepr(py, self.inner.name.as_deref()),
            pyrepr(py, self.inner.valid),
            self.inner.diagnostics.len()
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

/// What `validate` accepts: a path (`str` or `os.PathLike`), one document
/// as a dict, a list or tuple of dicts, or text given explicitly (`text=`).
pub(crate) enum Input {
    Text(String),
    Values(Vec<Value>),
    File(PathBuf),
}

impl Input {
    /// `source` as an input: `str` and `os.PathLike` are paths (the file
    /// must exist: `MissingFileError` otherwise), a dict is one document, a
    /// list or tuple of dicts several; anything else is a `TypeError`.
    pub(crate) fn extract(obj: &Bound<'_, PyAny>) -> PyResult<Input> {
        if obj.is_instance_of::<PyDict>() {
            return Ok(Input::Values(vec![from_py(obj, "document")?]));
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            let mut out = Vec::new();
            for (i, item) in obj.try_iter()?.enumerate() {
                let item = item?;
                if !item.is_instance_of::<PyDict>() {
                    return Err(type_err(format!(
                        "documents[{i}]: expected a dict, got {}",
                        item.get_type().name()?
                    )));
                }
                out.push(from_py(&item, &format!("documents[{i}]"))?);
            }
            return Ok(Input::Values(out));
        }
        if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
            let p: PathBuf = obj.extract()?;
            check_readable_file(&p)?;
            return Ok(Input::File(p));
        }
        Err(type_err(format!(
            "expected a path (str or os.PathLike), a document (dict) or a list of dicts, got {} \
             (YAML/JSON text goes through text= or Policy.from_yaml)",
            obj.get_type().name()?
        )))
    }

    /// The input of a call taking `source` or `text=`: exactly one of them.
    pub(crate) fn source_or_text(
        source: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
    ) -> PyResult<Input> {
        match (source, text) {
            (Some(s), None) if !s.is_none() => Input::extract(s),
            (None, Some(t)) => Ok(Input::Text(t)),
            (Some(s), Some(t)) if s.is_none() => Ok(Input::Text(t)),
            (Some(_), Some(_)) => Err(type_err(
                "give a source (path, dict, list of dicts) or text=, not both",
            )),
            _ => Err(type_err(
                "missing the input: a source (path, dict, list of dicts) or text= (YAML/JSON)",
            )),
        }
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
    /// A validator with the built-in schemas (unless `builtin` is false)
    /// and the CRDs in the files `crds` and the texts `crd_texts`.
    pub(crate) fn build(
        crds: Option<Vec<Bound<'_, PyAny>>>,
        crd_texts: Option<Vec<String>>,
        builtin: bool,
        permissive: bool,
    ) -> PyResult<Self> {
        let mut inner = kubescribe_validate::Validator::new()
            .use_builtin(builtin)
            .permissive(permissive);
        let mut added = Vec::new();
        for c in crds.unwrap_or_default() {
            if !(c.is_instance_of::<PyString>() || c.hasattr("__fspath__")?) {
                return Err(type_err(format!(
                    "crds: expected paths (str or os.PathLike), got {} (CRD text goes through crd_texts=)",
                    c.get_type().name()?
                )));
            }
            let p: PathBuf = c.extract()?;
            check_readable_file(&p)?;
            added.extend(inner.add_crd_file(&p).map_err(parse_err)?);
        }
        for (i, t) in crd_texts.unwrap_or_default().iter().enumerate() {
            added.extend(
                inner
                    .add_crd_str(&format!("<crd_texts[{i}]>"), t)
                    .map_err(parse_err)?,
            );
        }
        Ok(PyValidator { inner, crds: added })
    }

    pub(crate) fn run(
        &self,
        py: Python<'_>,
        input: Input,
        store: Option<&PyEventStore>,
        name: Option<&str>,
    ) -> PyResult<Vec<Py<PyReport>>> {
        let reports = py.detach(|| match store {
            None => validate_input(&self.inner, input, name, None),
            Some(s) => {
                let mut guard = s.lock()?;
                let st = crate::store::opened(&mut guard)?;
                validate_input(&self.inner, input, name, Some(st))
            }
        })?;
        reports
            .into_iter()
            .map(|inner| Py::new(py, PyReport { inner }))
            .collect()
    }

    /// Validates every file of `paths` (checked to exist first), in parallel
    /// on rayon's pool without a store, one after the other with one.
    pub(crate) fn run_files(
        &self,
        py: Python<'_>,
        paths: Vec<Bound<'_, PyAny>>,
        store: Option<&PyEventStore>,
    ) -> PyResult<Vec<Py<PyReport>>> {
        let mut files = Vec::with_capacity(paths.len());
        for p in &paths {
            if !(p.is_instance_of::<PyString>() || p.hasattr("__fspath__")?) {
                return Err(type_err(format!(
                    "paths: expected str or os.PathLike, got {}",
                    p.get_type().name()?
                )));
            }
            let path: PathBuf = p.extract()?;
            check_readable_file(&path)?;
            files.push(path);
        }
        let validator = &self.inner;
        let per_file: Vec<Vec<DocumentReport>> = py.detach(|| -> PyResult<_> {
            match store {
                None => files
                    .par_iter()
                    .map(|f| validate_input(validator, Input::File(f.clone()), None, None))
                    .collect(),
                Some(s) => {
                    let mut guard = s.lock()?;
                    let st = crate::store::opened(&mut guard)?;
                    files
                        .iter()
                        .map(|f| {
                            validate_input(validator, Input::File(f.clone()), None, Some(&mut *st))
                        })
                        .collect()
                }
            }
        })?;
        per_file
            .into_iter()
            .flatten()
            .map(|inner| Py::new(py, PyReport { inner }))
            .collect()
    }
}

/// Reads and validates one input; with a store, layers 2 and 3 too.
fn validate_input(
    validator: &kubescribe_validate::Validator,
    input: Input,
    name: Option<&str>,
    store: Option<&mut kubescribe_events::store::SqliteStore>,
) -> PyResult<Vec<DocumentReport>> {
    let limits = ReadLimits::default();
    let (set, from_values) = match input.read(name, &limits)? {
        Ok(x) => x,
        Err(report) => return Ok(vec![report]),
    };
    let mut reports = match store {
        None => validator.validate_set(&set),
        Some(st) => {
            let mut layer2 = |p: &Policy| match kubescribe_validate::resources::check(p, st) {
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
}

#[pymethods]
impl PyValidator {
    /// `crds`: CRD or OpenAPI v3 files (paths: `str` or `os.PathLike`) to
    /// validate against as well, `crd_texts` the same as text;
    /// `builtin=False` validates against the CRDs only; `permissive=False`
    /// leaves out layer 4 (warnings about over-permissive rules: `/`
    /// allowed, match-all selectors, every address, domain or port).
    #[new]
    #[pyo3(signature = (crds = None, *, crd_texts = None, builtin = true, permissive = true))]
    fn new(
        crds: Option<Vec<Bound<'_, PyAny>>>,
        crd_texts: Option<Vec<String>>,
        builtin: bool,
        permissive: bool,
    ) -> PyResult<Self> {
        Self::build(crds, crd_texts, builtin, permissive)
    }

    /// The `apiVersion/kind` pairs the CRDs added.
    #[getter]
    fn crd_kinds(&self) -> Vec<String> {
        self.crds.clone()
    }

    /// Validates a file (`str` or `os.PathLike`), a document dict or a list
    /// of dicts, or YAML/JSON text given as `text=` (labelled `name` in the
    /// reports); one `Report` per document. With `store`, layers 2 and 3
    /// against the event store (selectors, peers, served ports, CIDRs,
    /// KubeArmor paths) run too.
    #[pyo3(signature = (source = None, *, text = None, store = None, name = None))]
    fn validate(
        &self,
        py: Python<'_>,
        source: Option<&Bound<'_, PyAny>>,
        text: Option<String>,
        store: Option<PyRef<'_, PyEventStore>>,
        name: Option<&str>,
    ) -> PyResult<Vec<Py<PyReport>>> {
        let input = Input::source_or_text(source, text)?;
        self.run(py, input, store.as_deref(), name)
    }

    /// Validates many files in parallel (rayon, GIL released; one after the
    /// other with a `store`): the reports of every document of every file,
    /// in order. Every path is checked to exist before any is read.
    #[pyo3(signature = (paths, *, store = None))]
    fn validate_files(
        &self,
        py: Python<'_>,
        paths: Vec<Bound<'_, PyAny>>,
        store: Option<PyRef<'_, PyEventStore>>,
    ) -> PyResult<Vec<Py<PyReport>>> {
        self.run_files(py, paths, store.as_deref())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Validator(crd_kinds={})", pyrepr(py, self.crds.clone()))
    }
}

/// Validates a file (`str` or `os.PathLike`), a document dict or a list of
/// dicts, or YAML/JSON text given as `text=`, with the built-in schemas (and
/// the CRD files `crds`, CRD texts `crd_texts`); one `Report` per document.
/// With `store`, layers 2 and 3 against the event store run too; layer 4
/// (over-permissive rules, warnings) unless `permissive=False`.
#[pyfunction]
#[pyo3(signature = (source = None, *, text = None, crds = None, crd_texts = None, store = None,
                    name = None, permissive = true))]
#[allow(clippy::too_many_arguments)]
fn validate(
    py: Python<'_>,
    source: Option<&Bound<'_, PyAny>>,
    text: Option<String>,
    crds: Option<Vec<Bound<'_, PyAny>>>,
    crd_texts: Option<Vec<String>>,
    store: Option<PyRef<'_, PyEventStore>>,
    name: Option<&str>,
    permissive: bool,
) -> PyResult<Vec<Py<PyReport>>> {
    let input = Input::source_or_text(source, text)?;
    let v = PyValidator::build(crds, crd_texts, true, permissive)?;
    v.run(py, input, store.as_deref(), name)
}

/// Validates many policy files in parallel on rayon's pool
/// (`RAYON_NUM_THREADS`) with the GIL released: the reports of every
/// document of every file, in input order (`Report.source` names the file).
/// Every path is checked first (`MissingFileError` before anything is
/// read). With `store`, layers 2 and 3 run too, one file after the other.
#[pyfunction]
#[pyo3(signature = (paths, *, crds = None, crd_texts = None, store = None, permissive = true))]
fn validate_files(
    py: Python<'_>,
    paths: Vec<Bound<'_, PyAny>>,
    crds: Option<Vec<Bound<'_, PyAny>>>,
    crd_texts: Option<Vec<String>>,
    store: Option<PyRef<'_, PyEventStore>>,
    permissive: bool,
) -> PyResult<Vec<Py<PyReport>>> {
    let v = PyValidator::build(crds, crd_texts, true, permissive)?;
    v.run_files(py, paths, store.as_deref())
}

/// One row per diagnostic over `reports` (the columns of `RECORD_COLUMNS`);
/// a document without findings gives one row with `severity` None.
fn records_of(reports: &[DocumentReport]) -> Vec<Value> {
    let mut rows = Vec::new();
    for r in reports {
        let mut head = serde_json::Map::new();
        for k in RECORD_COLUMNS {
            head.insert(k.to_string(), Value::Null);
        }
        head.insert("source".into(), json!(r.source));
        head.insert("index".into(), json!(r.index));
        head.insert("kind".into(), json!(r.kind));
        head.insert("name".into(), json!(r.name));
        head.insert("valid".into(), json!(r.valid));
        if r.diagnostics.is_empty() {
            rows.push(Value::Object(head.clone()));
        }
        for d in &r.diagnostics {
            let mut row = head.clone();
            if let Value::Object(dv) = (PyDiagnostic { inner: d.clone() }).as_value() {
                row.extend(dv);
            }
            row.insert("is_error".into(), json!(d.is_error()));
            rows.push(Value::Object(row));
        }
    }
    rows
}

/// One row per diagnostic over `reports` (source, index, kind, name plus the
/// diagnostic's fields); a document without findings gives one row with
/// `severity` None. Made for `pandas.DataFrame(diagnostics_records(reports))`.
#[pyfunction]
fn diagnostics_records<'py>(
    py: Python<'py>,
    reports: Vec<PyRef<'py, PyReport>>,
) -> PyResult<Bound<'py, PyAny>> {
    let inner: Vec<DocumentReport> = reports.iter().map(|r| r.inner.clone()).collect();
    to_py(py, &records_of(&inner))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDiagnostic>()?;
    m.add_class::<PyReport>()?;
    m.add_class::<PyValidator>()?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(validate_files, m)?)?;
    m.add_function(wrap_pyfunction!(diagnostics_records, m)?)?;
    Ok(())
}
