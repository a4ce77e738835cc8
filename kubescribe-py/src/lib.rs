//! # kubescribe-py
//!
//! Python bindings for kubescribe: the module `kubescribe._kubescribe`,
//! built by maturin and re-exported by the pure-Python package `kubescribe`
//! (`python/kubescribe/__init__.py`, typed by `_kubescribe.pyi`).
//!
//! Everything here is a thin wrapper over the Rust crates, so notebooks and
//! fine-tuning code run exactly the validation, synthesis, store and metric
//! code the CLI runs; no logic is re-implemented in Python. Long calls
//! release the GIL (`py.detach`) and batch metric calls run on rayon's pool.
//!
//! | Python | Rust |
//! |---|---|
//! | `validate`, `Validator`, `Report`, `Diagnostic` | `kubescribe_validate` (layer 1 and, with a store, layers 2-3) |
//! | `Policy`, `parse_policies`, `policy_schema`, `policy_kinds` | `kubescribe_core::Policy`, canonical YAML |
//! | `Intent`, `synthesize` | `kubescribe_core::intent`, `kubescribe_synth::synthesize` |
//! | `EventStore`, `Context` | `kubescribe_events::{store, context}` and the event types |
//! | `bleu`, `chrf`, `rouge`, `meteor`, `score`, `score_batch`, `WordNet` … | `kubescribe_metrics` |
//! | `compile_rate`, `compiles`, `coverage`, `essential_resources` | `kubescribe_infer::eval::policy` |
//! | `Generator`, `Pipeline`, `PipelineResult` | `kubescribe_infer` backends and `pipeline` (`Generator.from_callable`: `generator`; its token-level form: `token_generator`) |
//! | `ConstraintTarget`, `ConstraintVocab`, `TokenConstraint` | `kubescribe_infer::constrained` (the intent-shaped grammar, for Python decoders) |
//! | `simulate`, `Simulation` | `kubescribe_simulate` |
//! | `parse_intent`, `ParsedIntent` | `kubescribe_intent::parse_intent_with` |
//! | `build_prompt`, `Prompt`, `templates`, `system_prompt` | `kubescribe_synth::prompt` |
//! | `convert`, `Conversion` | `kubescribe_synth::convert` |
//! | `build_dataset`, `Dataset` | `kubescribe_infer::dataset` |
//!
//! It holds conversions between Python and Rust values and the exception
//! mapping, no kubescribe logic. The example below is Python (checked by
//! `tests/` with pytest and `typing/usage.py` with mypy, not by rustdoc):
//!
//! ```python
//! import kubescribe as ks
//! report = ks.validate(open("policy.yaml").read())
//! print(report.valid, [d.path for d in report.diagnostics])
//! ```

use pyo3::prelude::*;

/// The CLI's allocator for the Rust side of the module (Python objects keep
/// Python's): the batch metrics allocate a few short vectors per pair, and
/// inside the Python process glibc's allocator cost them up to 1.6× their
/// time in a pure-Rust process (docs/perf.md, *Python batch metrics*).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod constraint;
mod context_state;
mod convert;
mod dataset;
mod errors;
mod eval;
mod generator;
mod infer;
mod intent;
mod metrics;
mod pipeline_result;
mod policy;
mod prompt;
mod restore;
mod simulation;
mod state;
mod store;
mod token_generator;
mod validate;

/// The `kubescribe._kubescribe` extension module.
#[pymodule]
fn _kubescribe(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    validate::register(m)?;
    policy::register(m)?;
    intent::register(m)?;
    store::register(m)?;
    metrics::register(m)?;
    eval::register(m)?;
    infer::register(m)?;
    pipeline_result::register(m)?;
    simulation::register(m)?;
    constraint::register(m)?;
    prompt::register(m)?;
    dataset::register(m)?;
    restore::register(m)?;
    Ok(())
}
