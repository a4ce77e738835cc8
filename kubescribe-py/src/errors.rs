//! The exception hierarchy: every error the module raises derives from
//! `KubescribeError`, one subclass per kind of failure.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    kubescribe,
    KubescribeError,
    PyException,
    "Base class of every error kubescribe raises."
);
create_exception!(
    kubescribe,
    ParseError,
    KubescribeError,
    "Input is not well-formed (YAML/JSON syntax, an intent or argument that does not fit its schema)."
);
create_exception!(
    kubescribe,
    ValidationError,
    KubescribeError,
    "A policy failed validation; `.diagnostics` lists the findings."
);
create_exception!(
    kubescribe,
    SynthesisError,
    KubescribeError,
    "The synthesizer cannot express an intent for the chosen engine, or the intent is incomplete."
);
create_exception!(
    kubescribe,
    ModelError,
    KubescribeError,
    "A generator backend or model failed."
);
create_exception!(
    kubescribe,
    ConversionError,
    KubescribeError,
    "A network policy cannot be converted to the target engine (or, strict, not without losses; `.losses` lists them)."
);
create_exception!(
    kubescribe,
    StoreError,
    KubescribeError,
    "The event store failed (SQLite error, unreadable input file)."
);
create_exception!(
    kubescribe,
    MetricsError,
    KubescribeError,
    "Metric set-up failed (WordNet database unreadable, mismatched input lengths)."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("KubescribeError", py.get_type::<KubescribeError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("SynthesisError", py.get_type::<SynthesisError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("ConversionError", py.get_type::<ConversionError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("MetricsError", py.get_type::<MetricsError>())?;
    Ok(())
}

/// A `ParseError` with `msg`.
pub(crate) fn parse_err(msg: impl std::fmt::Display) -> PyErr {
    ParseError::new_err(msg.to_string())
}

/// A `StoreError` with `msg`.
pub(crate) fn store_err(msg: impl std::fmt::Display) -> PyErr {
    StoreError::new_err(msg.to_string())
}

/// A `MetricsError` with `msg`.
pub(crate) fn metrics_err(msg: impl std::fmt::Display) -> PyErr {
    MetricsError::new_err(msg.to_string())
}

/// Maps a core error: syntax and model errors are parse errors, the rest too
/// (unreadable input is reported with its reason).
pub(crate) fn core_err(e: kubescribe_core::CoreError) -> PyErr {
    parse_err(e)
}

/// A model backend's failure as `ModelError`.
pub(crate) fn model_err(e: impl std::fmt::Display) -> PyErr {
    ModelError::new_err(e.to_string())
}
