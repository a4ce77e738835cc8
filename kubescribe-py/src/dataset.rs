//! The dataset builder (`kubescribe_infer::dataset`): (prompt, policy) pairs
//! for fine-tuning and evaluation, as `kubescribe dataset build` makes them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use kubescribe_core::intent::Intent;
use kubescribe_events::store::EventStore;
use kubescribe_infer::dataset::{self, Dataset, DatasetConfig, Pair, Pools, Skipped};
use kubescribe_synth::prompt::Template;

use crate::convert::{Count, template_arg, to_py};
use crate::errors::{arg_err, check_path, parse_err, store_err};
use crate::state::{self, State, field};
use crate::store::{PyEventStore, opened};

/// A built dataset: seeded, grouped train/test split of (prompt, policy)
/// pairs, plus every seed or variant left out with the reason.
#[pyclass(name = "Dataset", module = "kubescribe", frozen)]
pub struct PyDataset {
    inner: Dataset,
    config: DatasetConfig,
}

/// A dataset pair's pickled form (the Rust type only serializes).
#[derive(Serialize, Deserialize)]
struct PairState {
    id: String,
    prompt: kubescribe_infer::Prompt,
    reference: String,
    intent: Intent,
    engine: kubescribe_core::Engine,
    kind: String,
    template: Template,
    origin: String,
    group: String,
    source: String,
}

fn pair_states(pairs: &[Pair]) -> Vec<PairState> {
    pairs
        .iter()
        .map(|p| PairState {
            id: p.id.clone(),
            prompt: p.prompt.clone(),
            reference: p.reference.clone(),
            intent: p.intent.clone(),
            engine: p.engine,
            kind: p.kind.clone(),
            template: p.template,
            origin: p.origin.to_string(),
            group: p.group.clone(),
            source: p.source.clone(),
        })
        .collect()
}

fn pairs_of(states: Vec<PairState>) -> PyResult<Vec<Pair>> {
    states
        .into_iter()
        .map(|p| {
            let origin = match p.origin.as_str() {
                "corpus" => "corpus",
                "synth" => "synth",
                other => return Err(parse_err(format!("Dataset state: origin {other:?}"))),
            };
            Ok(Pair {
                id: p.id,
                prompt: p.prompt,
                reference: p.reference,
                intent: p.intent,
                engine: p.engine,
                kind: p.kind,
                template: p.template,
                origin,
                group: p.group,
                source: p.source,
            })
        })
        .collect()
}

impl State for PyDataset {
    const NAME: &'static str = "Dataset";
    fn state(&self) -> PyResult<Value> {
        let d = &self.inner;
        let c = &self.config;
        Ok(json!({
            "train": serde_json::to_value(pair_states(&d.train)).map_err(parse_err)?,
            "test": serde_json::to_value(pair_states(&d.test)).map_err(parse_err)?,
            "skipped": d.skipped.iter().map(|s| json!({"source": s.source, "reason": s.reason})).collect::<Vec<_>>(),
            "documents": d.documents,
            "config": {"seed": c.seed, "test_share": c.test_share, "augment": c.augment,
                       "templates": c.templates, "context_budget": c.context_budget},
        }))
    }
    fn from_state(state: Value) -> PyResult<Self> {
        let skipped: Vec<BTreeMap<String, String>> = field(&state, "skipped", Self::NAME)?;
        let config = state.get("config").cloned().unwrap_or(Value::Null);
        Ok(PyDataset {
            inner: Dataset {
                train: pairs_of(field(&state, "train", Self::NAME)?)?,
                test: pairs_of(field(&state, "test", Self::NAME)?)?,
                skipped: skipped
                    .into_iter()
                    .map(|mut s| Skipped {
                        source: s.remove("source").unwrap_or_default(),
                        reason: s.remove("reason").unwrap_or_default(),
                    })
                    .collect(),
                documents: field(&state, "documents", Self::NAME)?,
            },
            config: DatasetConfig {
                seed: field(&config, "seed", Self::NAME)?,
                test_share: field(&config, "test_share", Self::NAME)?,
                augment: field(&config, "augment", Self::NAME)?,
                templates: field(&config, "templates", Self::NAME)?,
                context_budget: field(&config, "context_budget", Self::NAME)?,
            },
        })
    }
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
