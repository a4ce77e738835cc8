//! # kubescribe-infer
//!
//! Policy generation with local and remote models: the `Generator` trait,
//! the candle / ONNX Runtime / OpenAI-compatible backends, schema-constrained
//! decoding and the generate → validate → regenerate loop, plus the
//! evaluation harness. Not yet implemented: this crate currently only
//! re-exports the text metrics of [`kubescribe_metrics`], which the
//! evaluation harness will build on.

pub use kubescribe_metrics as metrics;
