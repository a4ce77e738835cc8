//! Policy-level evaluation metrics (`kubescribe_infer::eval::policy`):
//! compile rate and coverage rate.

use pyo3::prelude::*;
use pyo3::types::PyString;
use rayon::prelude::*;

use kubescribe_infer::eval::policy as pm;
use kubescribe_validate::Validator;

use crate::errors::{parse_err, type_err};
use crate::policy::PyPolicy;
use crate::validate::PyValidator;

fn validator_of(v: Option<&PyRef<'_, PyValidator>>) -> Validator {
    v.map(|v| v.inner.clone()).unwrap_or_default()
}

/// A policy given as text or as a `Policy`.
enum PolicyArg {
    Text(String),
    Policy(kubescribe_core::Policy),
}

impl PolicyArg {
    fn extract(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<PolicyArg> {
        if let Ok(p) = obj.cast::<PyPolicy>() {
            return Ok(PolicyArg::Policy(p.get().inner.clone()));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(PolicyArg::Text(s.to_cow()?.into_owned()));
        }
        Err(type_err(format!(
            "{what}: expected a Policy or YAML/JSON text, got {}",
            obj.get_type().name()?
        )))
    }

    fn text(&self) -> PyResult<String> {
        match self {
            PolicyArg::Text(t) => Ok(t.clone()),
            PolicyArg::Policy(p) => p.to_canonical_yaml().map_err(crate::errors::core_err),
        }
    }
}

/// Whether generated text holds at least one policy document and every
/// document passes layer-1 validation (built-in schemas, or `validator`'s).
#[pyfunction]
#[pyo3(signature = (text, *, validator = None))]
fn compiles(py: Python<'_>, text: &str, validator: Option<PyRef<'_, PyValidator>>) -> bool {
    let v = validator_of(validator.as_ref());
    py.detach(|| pm::compiles(&v, text))
}

/// The share (0–1) of `outputs` that compile (0 for none); computed in parallel.
#[pyfunction]
#[pyo3(signature = (outputs, *, validator = None))]
fn compile_rate(
    py: Python<'_>,
    outputs: Vec<String>,
    validator: Option<PyRef<'_, PyValidator>>,
) -> f64 {
    let v = validator_of(validator.as_ref());
    py.detach(|| {
        if outputs.is_empty() {
            return 0.0;
        }
        let ok = outputs.par_iter().filter(|o| pm::compiles(&v, o)).count();
        ok as f64 / outputs.len() as f64
    })
}

/// The share (0–1) of the reference policy's essential resources (labels,
/// paths, ports, CIDRs, actions… by engine) that the generated policy also
/// names. Text that does not decode to a valid policy covers 0; a reference
/// that does not decode gives None.
#[pyfunction]
#[pyo3(signature = (generated, reference, *, validator = None))]
fn coverage(
    py: Python<'_>,
    generated: &Bound<'_, PyAny>,
    reference: &Bound<'_, PyAny>,
    validator: Option<PyRef<'_, PyValidator>>,
) -> PyResult<Option<f64>> {
    let g = PolicyArg::extract(generated, "generated")?;
    let r = PolicyArg::extract(reference, "reference")?;
    if let (PolicyArg::Policy(g), PolicyArg::Policy(r)) = (&g, &r) {
        return Ok(Some(pm::coverage(g, r)));
    }
    let v = validator_of(validator.as_ref());
    let (g, r) = (g.text()?, r.text()?);
    Ok(py.detach(|| pm::coverage_text(&v, &g, &r)))
}

/// The essential resources of a policy (what coverage compares), as
/// sorted `(category, value)` tuples such as `("label", "app=nginx")`.
#[pyfunction]
fn essential_resources(
    py: Python<'_>,
    policy: &Bound<'_, PyAny>,
) -> PyResult<Vec<(String, String)>> {
    let p = match PolicyArg::extract(policy, "policy")? {
        PolicyArg::Policy(p) => p,
        PolicyArg::Text(t) => {
            let mut all = crate::policy::parse_all(py, crate::validate::Input::Text(t), None)?;
            if all.len() != 1 {
                return Err(parse_err(format!(
                    "expected exactly one policy document, found {}",
                    all.len()
                )));
            }
            all.remove(0)
        }
    };
    Ok(pm::essential_resources(&p)
        .into_iter()
        .map(|(c, v)| (c.to_string(), v))
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compiles, m)?)?;
    m.add_function(wrap_pyfunction!(compile_rate, m)?)?;
    m.add_function(wrap_pyfunction!(coverage, m)?)?;
    m.add_function(wrap_pyfunction!(essential_resources, m)?)?;
    Ok(())
}
