//! The dataset builder (`kubescribe_infer::dataset`): (prompt, policy) pairs
//! for fine-tuning and evaluation, as `kubescribe dataset build` makes them.

use std::path::PathBuf;

use pyo3::prelude::*;

use kubescribe_events::store::EventStore;
use kubescribe_infer::dataset::{self, Dataset, DatasetConfig, Pools};

use crate::convert::{Count, template_arg, to_py};
use crate::errors::{arg_err, check_path, store_err};
use crate::store::{PyEventStore, opened};

/// A built dataset: seeded, grouped train/test split of (prompt, policy)
/// pairs, plus every seed or variant left out with the reason.
#[pyclass(name = "Dataset", module = "kubescribe", frozen)]
pub struct PyDataset {
    inner: Dataset,
    config: DatasetConfig,
}

#[pymethods]
impl PyDataset {
    /// Training pairs: dicts with `id`, `prompt` (chat messages),
    /// `reference` (canonical YAML), `intent`, `engine`, `kind`, `template`,
    /// `origin` (`corpus` / `synth`), `group`, `source`.
    #[getter]
    fn train<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.train)
    }
    /// Test pairs (same fields; no group is in both splits).
    #[getter]
    fn test<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.test)
    }
    /// What was left out: `{"source", "reason"}` per unreadable or invalid
    /// document, policy no intent states, or variant the synthesizer or
    /// layer 1 rejected.
    #[getter]
    fn skipped<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.skipped)
    }
    /// Valid seed policies read.
    #[getter]
    fn documents(&self) -> usize {
        self.inner.documents
    }
    /// Writes `train.jsonl`, `test.jsonl`, `skipped.jsonl` and
    /// `manifest.json` into `directory` (the files `kubescribe dataset
    /// build --out` writes; the eval harness reads them).
    fn write(&self, py: Python<'_>, directory: PathBuf) -> PyResult<()> {
        py.detach(|| dataset::write(&self.inner, &directory, &self.config))
            .map_err(store_err)
    }
    fn __len__(&self) -> usize {
        self.inner.train.len() + self.inner.test.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "Dataset(train={}, test={}, skipped={}, documents={})",
            self.inner.train.len(),
            self.inner.test.len(),
            self.inner.skipped.len(),
            self.inner.documents
        )
    }
}

/// Builds a dataset from the policy files under `policies` (directories or
/// files; `.yaml`, `.yml`, `.json`): each valid policy an intent can state
/// gives its own pair plus `augment` synthesized variants (values recombined
/// from the seeds, the store and a built-in pool), prompts from the
/// `templates` in turn (all five by default) with the store's context of
/// the scope, and a seeded split by seed policy. The same arguments give the
/// same dataset.
#[pyfunction]
#[pyo3(signature = (policies, *, store = None, seed = 0, test_share = 0.2, augment = Count(4),
                    templates = None, context_budget = Count(300)))]
#[allow(clippy::too_many_arguments)]
fn build_dataset(
    py: Python<'_>,
    policies: Vec<PathBuf>,
    store: Option<PyRef<'_, PyEventStore>>,
    seed: u64,
    test_share: f64,
    augment: Count,
    templates: Option<Vec<String>>,
    context_budget: Count,
) -> PyResult<PyDataset> {
    let (augment, context_budget) = (augment.0, context_budget.0);
    if !(0.0..=1.0).contains(&test_share) {
        return Err(arg_err(format!(
            "test_share {test_share} is not between 0 and 1"
        )));
    }
    for p in &policies {
        check_path(p)?;
    }
    let templates = match templates {
        Some(names) if !names.is_empty() => names
            .iter()
            .map(|n| template_arg(n))
            .collect::<PyResult<Vec<_>>>()?,
        _ => kubescribe_synth::prompt::Template::ALL.to_vec(),
    };
    let config = DatasetConfig {
        seed,
        test_share,
        augment,
        templates,
        context_budget,
    };
    let store = store.as_deref();
    let built = py.detach(|| -> PyResult<Dataset> {
        let (seeds, mut skipped, _) = dataset::read_seeds(&policies).map_err(store_err)?;
        let mut pools = Pools::builtin();
        let mut guard = match store {
            Some(s) => Some(s.lock()?),
            None => None,
        };
        let mut st = match guard.as_mut() {
            Some(g) => Some(opened(g)?),
            None => None,
        };
        if let Some(s) = st.as_mut() {
            pools.add_store(*s).map_err(store_err)?;
        }
        let mut built =
            dataset::build(&seeds, pools, st.map(|s| s as &mut dyn EventStore), &config)
                .map_err(store_err)?;
        // Unreadable and invalid documents are skips too, listed first (as the CLI does).
        skipped.append(&mut built.skipped);
        built.skipped = skipped;
        Ok(built)
    })?;
    Ok(PyDataset {
        inner: built,
        config,
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDataset>()?;
    m.add_function(wrap_pyfunction!(build_dataset, m)?)?;
    Ok(())
}
