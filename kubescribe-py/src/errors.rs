//! The exception hierarchy: every error the module raises derives from
//! `KubescribeError`, one subclass per kind of failure. The classes are
//! defined in `python/kubescribe/_errors.py` (two of them have two bases:
//! `MissingFileError` is a `FileNotFoundError`, `ParseError` a `ValueError`,
//! …, which `create_exception!` cannot express, and all compare by value and
//! pickle) and imported here when the extension loads.
//!
//! | exception | raised for | also a |
//! |---|---|---|
//! | `MissingFileError` | a path argument that does not exist | `FileNotFoundError` |
//! | `FileReadError` | a path that exists but cannot be read | `OSError` |
//! | `ArgumentError` | an argument value out of range or not an accepted name | `ValueError` |
//! | `ParseError` | malformed YAML/JSON, a document or intent that does not fit its schema | `ValueError` |
//! | `ValidationError` | an invalid policy | `ValueError` |
//! | `SynthesisError`, `ConversionError`, `MetricsError` | an intent, policy or metric input that cannot be handled | `ValueError` |
//! | `StoreError`, `ModelError` | the store or a model backend failed | |
//!
//! Wrong argument *types* are plain `TypeError`s (`type_err`).

use std::path::Path;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

pyo3::import_exception!(kubescribe._errors, KubescribeError);
pyo3::import_exception!(kubescribe._errors, FileReadError);
pyo3::import_exception!(kubescribe._errors, MissingFileError);
pyo3::import_exception!(kubescribe._errors, ArgumentError);
pyo3::import_exception!(kubescribe._errors, ParseError);
pyo3::import_exception!(kubescribe._errors, ValidationError);
pyo3::import_exception!(kubescribe._errors, SynthesisError);
pyo3::import_exception!(kubescribe._errors, ModelError);
pyo3::import_exception!(kubescribe._errors, ConversionError);
pyo3::import_exception!(kubescribe._errors, StoreError);
pyo3::import_exception!(kubescribe._errors, MetricsError);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("KubescribeError", py.get_type::<KubescribeError>())?;
    m.add("FileReadError", py.get_type::<FileReadError>())?;
    m.add("MissingFileError", py.get_type::<MissingFileError>())?;
    m.add("ArgumentError", py.get_type::<ArgumentError>())?;
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

/// An `ArgumentError` (a `ValueError`) with `msg`.
pub(crate) fn arg_err(msg: impl std::fmt::Display) -> PyErr {
    ArgumentError::new_err(msg.to_string())
}

/// A plain `TypeError` with `msg` (an argument of a type the call does not take).
pub(crate) fn type_err(msg: impl std::fmt::Display) -> PyErr {
    PyTypeError::new_err(msg.to_string())
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

/// An I/O error on `path` as Python's `OSError(errno, strerror, filename)`:
/// `MissingFileError` (a `FileNotFoundError`) when it does not exist,
/// `FileReadError` otherwise.
pub(crate) fn io_err(path: &Path, e: &std::io::Error) -> PyErr {
    let errno = e.raw_os_error().unwrap_or(match e.kind() {
        std::io::ErrorKind::NotFound => 2,
        std::io::ErrorKind::PermissionDenied => 13,
        _ => 5,
    });
    let strerror = match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
        _ => {
            // io::Error's text ends in " (os error N)"; Python's strerror has no suffix.
            let s = e.to_string();
            match s.rfind(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    let args = (errno, strerror, path.display().to_string());
    if e.kind() == std::io::ErrorKind::NotFound {
        MissingFileError::new_err(args)
    } else {
        FileReadError::new_err(args)
    }
}

/// Checks that `path` exists and its metadata can be read, before a call
/// that reads it: a missing path raises `MissingFileError`, another I/O
/// failure `FileReadError`.
pub(crate) fn check_path(path: &Path) -> PyResult<()> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| io_err(path, &e))
}

/// Checks that `path` is a file that can be opened for reading (a
/// directory is `FileReadError` with `errno.EISDIR`).
pub(crate) fn check_readable_file(path: &Path) -> PyResult<()> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, &e))?;
    match f.metadata() {
        Ok(m) if m.is_dir() => Err(FileReadError::new_err((
            21,
            "Is a directory".to_string(),
            path.display().to_string(),
        ))),
        Ok(_) => Ok(()),
        Err(e) => Err(io_err(path, &e)),
    }
}
