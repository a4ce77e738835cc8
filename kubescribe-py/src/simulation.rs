//! `Simulation`: what `simulate` returns. A read-only mapping over the
//! simulator's report (`sim["totals"]`, `sim["decisions"]`, … as before,
//! when it was a dict) that also keeps the events the decisions are about,
//! so that `to_pandas()` gives one row per event with its verdict. Pickles,
//! compares and hashes by value (`crate::state`).

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use serde_json::{Value, json};

use crate::convert::to_py;
use crate::errors::parse_err;
use crate::state::{self, State, field};

/// The verdicts of `simulate`: a read-only mapping with the keys `totals`
/// (`allowed`, `audited`, `blocked`, `unknown`, `not_simulated`), `rules`,
/// `decisions` (one per event, in order), `notes` and, when any,
/// `defaults`; `.events` are the events judged (with their counts) and
/// `to_pandas()` one row per event.
#[pyclass(name = "Simulation", module = "kubescribe", frozen, mapping)]
pub struct PySimulation {
    report: Value,
    /// `{"event": …, "count": n}` per decision, in the same order.
    events: Vec<Value>,
}

impl PySimulation {
    pub(crate) fn new<E: serde::Serialize>(
        report: &kubescribe_simulate::Report,
        events: &[(E, u64)],
    ) -> PyResult<Self> {
        Ok(PySimulation {
            report: serde_json::to_value(report).map_err(parse_err)?,
            events: events
                .iter()
                .map(|(e, n)| {
                    Ok(json!({"event": serde_json::to_value(e).map_err(parse_err)?, "count": n}))
                })
                .collect::<PyResult<_>>()?,
        })
    }

    fn keys_vec(&self) -> Vec<String> {
        self.report
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn rows(&self) -> Vec<Value> {
        let decisions = self
            .report
            .get("decisions")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        decisions
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let e = self.events.get(i);
                let ev = e.and_then(|e| e.get("event"));
                let pod = ev.and_then(|ev| ev.get("pod"));
                let p = d.get("policy");
                let g = |v: Option<&Value>, k: &str| {
                    v.and_then(|v| v.get(k)).cloned().unwrap_or(Value::Null)
                };
                json!({
                    "index": i,
                    "count": g(e, "count"),
                    "namespace": g(pod, "namespace"),
                    "pod": g(pod, "pod"),
                    "kind": g(ev, "kind").get("type").cloned().unwrap_or_else(|| g(ev, "kind")),
                    "verdict": g(Some(d), "verdict"),
                    "policy_kind": g(p, "kind"),
                    "policy_name": g(p, "name"),
                    "rule": g(Some(d), "rule"),
                    "reason": g(Some(d), "reason"),
                    "event": ev.cloned().unwrap_or(Value::Null),
                })
            })
            .collect()
    }
}

impl State for PySimulation {
    const NAME: &'static str = "Simulation";
    fn state(&self) -> PyResult<Value> {
        Ok(json!({"report": self.report, "events": self.events}))
    }
    fn from_state(state: Value) -> PyResult<Self> {
        Ok(PySimulation {
            report: field(&state, "report", Self::NAME)?,
            events: field(&state, "events", Self::NAME)?,
        })
    }
}

#[pymethods]
impl PySimulation {
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.report.get(key) {
            Some(v) => to_py(py, v),
            None => Err(PyKeyError::new_err(key.to_string())),
        }
    }
    fn __len__(&self) -> usize {
        self.report.as_object().map_or(0, |o| o.len())
    }
    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        key.extract::<String>()
            .is_ok_and(|k| self.report.get(&k).is_some())
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self
            .keys_vec()
            .into_pyobject(py)?
            .into_any()
            .try_iter()?
            .into_any())
    }
    /// The report's keys.
    fn keys(&self) -> Vec<String> {
        self.keys_vec()
    }
    /// `(key, value)` pairs of the report.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        self.keys_vec()
            .into_iter()
            .map(|k| {
                let v = to_py(py, &self.report[&k])?;
                Ok((k, v))
            })
            .collect()
    }
    /// The report's values.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.keys_vec()
            .iter()
            .map(|k| to_py(py, &self.report[k]))
            .collect()
    }
    /// `self[key]`, or `default` when the report has no such key.
    #[pyo3(signature = (key, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.report.get(key) {
            Some(v) => Ok(Some(to_py(py, v)?)),
            None => Ok(default),
        }
    }
    /// Totals: `allowed`, `audited`, `blocked`, `unknown`, `not_simulated`.
    #[getter]
    fn totals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report["totals"])
    }
    /// The decisions, one per event, in order.
    #[getter]
    fn decisions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report["decisions"])
    }
    /// The events judged, `{"event", "count"}` each, in the decisions' order.
    #[getter]
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.events)
    }
    /// The report as a plain dict (what `simulate` returned before).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report)
    }
    /// One row per event: index, count, namespace, pod, kind, verdict,
    /// policy_kind, policy_name, rule, reason and the event itself (records
    /// for `pandas.DataFrame`).
    fn records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.rows())
    }
    /// `records()` as a `pandas.DataFrame` (needs pandas, imported only here).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        state::data_frame(
            py,
            to_py(py, &self.rows())?,
            Some(&[
                "index",
                "count",
                "namespace",
                "pod",
                "kind",
                "verdict",
                "policy_kind",
                "policy_name",
                "rule",
                "reason",
                "event",
            ]),
        )
    }
    fn __repr__(&self) -> String {
        let t = &self.report["totals"];
        let n = |k: &str| t.get(k).and_then(Value::as_u64).unwrap_or(0);
        format!(
            "Simulation(allowed={}, audited={}, blocked={}, unknown={}, not_simulated={})",
            n("allowed"),
            n("audited"),
            n("blocked"),
            n("unknown"),
            n("not_simulated")
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
    m.add_class::<PySimulation>()?;
    Ok(())
}
