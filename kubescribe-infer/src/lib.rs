//! # kubescribe-infer
//!
//! Policy generation with local and remote models: the `Generator` trait,
//! the candle / ONNX Runtime / OpenAI-compatible backends, schema-constrained
//! decoding and the generate → validate → regenerate loop, plus the
//! evaluation harness. So far it holds the evaluation metrics: the text
//! metrics of [`kubescribe_metrics`] (re-exported as [`metrics`]) and the
//! policy-level compile and coverage rates, and the evaluation harness
//! ([`eval`]); the [`Generator`] trait with the deterministic synthesizer
//! ([`SynthGenerator`]) and a replay backend for recorded outputs
//! ([`ReplayGenerator`]). The model backends follow.

#[cfg(feature = "candle")]
pub mod candle;
pub mod constrained;
pub mod dataset;
pub mod decode;
pub mod error;
pub mod eval;
pub mod generator;
pub mod intent_llm;
pub mod onnx;
pub mod openai;
pub mod pipeline;
pub mod replay;
pub mod sampling;
pub mod synth;

#[cfg(feature = "candle")]
pub use candle::{CandleGenerator, LoadOptions};
pub use constrained::{
    ConstraintTarget, ConstraintTokenizer, SchemaConstraint, SchemaLimits, Tightening,
};
pub use error::InferError;
pub use generator::{ChatMessage, Generation, GenerationConfig, Generator, Prompt};
pub use intent_llm::{IntentAttempt, LlmIntentError, LlmIntentParser, LlmParse};
pub use kubescribe_metrics as metrics;
pub use onnx::{OrtDevice, OrtGenerator, OrtOptions};
pub use openai::{OpenAiConfig, OpenAiGenerator};
pub use replay::ReplayGenerator;
pub use synth::SynthGenerator;
