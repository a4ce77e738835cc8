//! Evaluation: policy-level metrics ([`policy`]) and the harness that runs
//! generators over a dataset and reports text and policy metrics per model
//! ([`harness`], [`report`]).

pub mod harness;
pub mod policy;
pub mod report;

pub use harness::{EvalOptions, Progress, Sample, fnv1a64, load_dataset, run};
pub use policy::{compile_rate, compiles, coverage, coverage_text, essential_resources};
pub use report::ModelSummary;
