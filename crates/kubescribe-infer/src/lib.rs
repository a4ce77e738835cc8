//! # kubescribe-infer
//!
//! Policy generation with local and remote models: the `Generator` trait,
//! the candle / ONNX Runtime / OpenAI-compatible backends, schema-constrained
//! decoding and the generate → validate → regenerate loop, plus the
//! evaluation harness. So far it holds the evaluation metrics: the text
//! metrics of [`kubescribe_metrics`] (re-exported as [`metrics`]) and the
//! policy-level compile and coverage rates ([`eval`]). The backends and the
//! harness follow.

pub mod eval;

pub use kubescribe_metrics as metrics;
