//! Python bindings for kubescribe (module `kubescribe._kubescribe`, built by
//! maturin). This first cut exposes validation; the rest of the pipeline is
//! added as it lands (see the project's issues).

use pyo3::prelude::*;

/// Validates policy documents given as YAML/JSON text; returns the reports
/// as a JSON string (a list of per-document reports, as `kubescribe validate -o json`).
#[pyfunction]
fn validate_text(py: Python<'_>, text: &str) -> PyResult<String> {
    let text = text.to_owned();
    py.detach(move || {
        let limits = kubescribe_core::ReadLimits::default();
        let reports =
            match kubescribe_core::document::read_bytes("<string>", text.as_bytes(), &limits) {
                Ok(set) => kubescribe_validate::Validator::new().validate_set(&set),
                Err(kubescribe_core::CoreError::Syntax {
                    source_name,
                    line,
                    column,
                    message,
                }) => {
                    vec![kubescribe_validate::syntax_report(
                        source_name,
                        line,
                        column,
                        message,
                    )]
                }
                Err(e) => return Err(pyo3::exceptions::PyValueError::new_err(e.to_string())),
            };
        serde_json::to_string(&reports)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    })
}

/// The `kubescribe._kubescribe` extension module.
#[pymodule]
fn _kubescribe(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(validate_text, m)?)?;
    Ok(())
}
