//! `_restore(kind, state)`: the callable every result class's `__reduce__`
//! names, rebuilding the object from its `crate::state::State`. Its own
//! module, above the classes: the class modules use `state`, not this.

use pyo3::prelude::*;
use pyo3::types::PyString;
use serde_json::Value;

use crate::errors::parse_err;
use crate::state::State;

/// Rebuilds a result object from `_restore(kind, state)`.
type Restorer = fn(Python<'_>, Value) -> PyResult<Py<PyAny>>;

fn restorer<T>(py: Python<'_>, state: Value) -> PyResult<Py<PyAny>>
where
    T: State + pyo3::PyClass + Into<pyo3::PyClassInitializer<T>>,
{
    Ok(Py::new(py, T::from_state(state)?)?.into_any())
}

/// The classes `_restore` rebuilds.
fn restorers() -> Vec<(&'static str, Restorer)> {
    use crate::dataset::PyDataset;
    use crate::intent::PyIntent;
    use crate::metrics::PyBatchScores;
    use crate::pipeline_result::PyPipelineResult;
    use crate::policy::PyPolicy;
    use crate::prompt::{PyConversion, PyParsedIntent, PyPrompt};
    use crate::simulation::PySimulation;
    use crate::store::PyContext;
    use crate::validate::{PyDiagnostic, PyReport};
    vec![
        (PyDiagnostic::NAME, restorer::<PyDiagnostic>),
        (PyReport::NAME, restorer::<PyReport>),
        (PyPolicy::NAME, restorer::<PyPolicy>),
        (PyIntent::NAME, restorer::<PyIntent>),
        (PyPrompt::NAME, restorer::<PyPrompt>),
        (PyParsedIntent::NAME, restorer::<PyParsedIntent>),
        (PyConversion::NAME, restorer::<PyConversion>),
        (PyBatchScores::NAME, restorer::<PyBatchScores>),
        (PyPipelineResult::NAME, restorer::<PyPipelineResult>),
        (PySimulation::NAME, restorer::<PySimulation>),
        (PyContext::NAME, restorer::<PyContext>),
        (PyDataset::NAME, restorer::<PyDataset>),
    ]
}

/// Rebuilds a pickled kubescribe result (the callable `__reduce__` names).
#[pyfunction]
#[pyo3(name = "_restore")]
fn restore(py: Python<'_>, kind: &str, state: &Bound<'_, PyString>) -> PyResult<Py<PyAny>> {
    let value: Value = serde_json::from_str(&state.to_cow()?)
        .map_err(|e| parse_err(format!("{kind} state: {e}")))?;
    match restorers().into_iter().find(|(n, _)| *n == kind) {
        Some((_, f)) => f(py, value),
        None => Err(parse_err(format!("_restore: unknown class {kind:?}"))),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(restore, m)?)?;
    Ok(())
}
