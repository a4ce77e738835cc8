//! Conversions between Python objects and serde values.

use pyo3::prelude::*;
use serde::Serialize;
use serde_json::Value;

use kubescribe_synth::prompt::Template;

use crate::errors::parse_err;

/// Any serializable Rust value as plain Python objects (dicts, lists, str,
/// int, float, bool, None); map key order is kept.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

/// A Python object (dict, list, scalars) as a JSON value. `what` names the
/// argument in the error message.
pub(crate) fn from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    pythonize::depythonize::<Value>(obj)
        .map_err(|e| parse_err(format!("{what}: not representable as JSON: {e}")))
}

/// A serializable value as YAML text (block style, two-space indent).
pub(crate) fn to_yaml<T: Serialize + ?Sized>(value: &T) -> PyResult<String> {
    let v = serde_json::to_value(value).map_err(crate::errors::parse_err)?;
    kubescribe_core::document::to_yaml(&v).map_err(crate::errors::core_err)
}

/// A value as JSON text, pretty-printed when `indent` is set.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, indent: bool) -> PyResult<String> {
    if indent {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(crate::errors::parse_err)
}

/// Parses an enum-like string through its serde name (`"kubearmor"`,
/// `"approved"`), listing the accepted names on error.
pub(crate) fn parse_name<T: serde::de::DeserializeOwned>(
    s: &str,
    what: &str,
    accepted: &[&str],
) -> PyResult<T> {
    serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
        crate::errors::arg_err(format!(
            "{what}: unknown value {s:?} (expected one of: {})",
            accepted.join(", ")
        ))
    })
}

/// Parses an engine name (`kubearmor`, `tetragon`, `cilium`, `kubernetes`,
/// `calico`, or an alias the CLI accepts such as `k8s`).
pub(crate) fn engine(s: &str) -> PyResult<kubescribe_core::Engine> {
    s.parse().map_err(crate::errors::arg_err)
}

/// A template name (`zero-shot`, `few-shot`, `checklist`, `schema-first`, `minimal`).
pub(crate) fn template_arg(name: &str) -> PyResult<Template> {
    name.parse::<Template>().map_err(crate::errors::arg_err)
}

/// A count or size argument (`budget`, `limit`, `max_attempts`, …): a Python
/// `int` ≥ 0. A negative or too large one raises `ArgumentError` (a
/// `ValueError`) naming the value, not the `OverflowError` of a plain `usize`;
/// a non-int is a `TypeError`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Count(pub usize);

impl<'a, 'py> FromPyObject<'a, 'py> for Count {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        use pyo3::types::{PyBool, PyInt};
        if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
            return Err(crate::errors::type_err(format!(
                "expected an int, got {}",
                obj.get_type().name()?
            )));
        }
        let n: i128 = obj.extract()?;
        usize::try_from(n).map(Count).map_err(|_| {
            crate::errors::arg_err(if n < 0 {
                format!("expected an int >= 0, got {n}")
            } else {
                format!("{n} is too large")
            })
        })
    }
}

/// `n`, which must be at least 1 (`what` names the argument).
pub(crate) fn at_least_one(n: usize, what: &str) -> PyResult<usize> {
    if n == 0 {
        Err(crate::errors::arg_err(format!(
            "{what} must be at least 1, got 0"
        )))
    } else {
        Ok(n)
    }
}
