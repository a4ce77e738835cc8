//! # kubescribe-infer
//!
//! Policy generation with models: the [`Generator`] trait and its backends
//! (candle for Hugging Face directories and GGUF files, ONNX Runtime, any
//! OpenAI-compatible server, the deterministic synthesizer
//! ([`SynthGenerator`]) and a replay backend for recorded outputs
//! ([`ReplayGenerator`])), sampling, schema-constrained decoding
//! (`constrained`, llguidance) through one decoding loop (`decode`), the
//! model-based intent parser, the generate → validate → regenerate loop
//! (`pipeline`), the evaluation harness with text and policy metrics
//! ([`eval`], [`metrics`]) and the dataset builder (`dataset`).
//!
//! It holds no argument parsing or printing (the CLI and the Python module
//! do that) and no policy logic of its own: prompts and synthesis are
//! `kubescribe-synth`'s, checks `kubescribe-validate`'s.
//!
//! ```
//! use kubescribe_infer::{GenerationConfig, Generator, Prompt, SynthGenerator};
//!
//! let intent = r#"{"scope": {"namespace": "shop", "labels": {"app": "nginx"}},
//!     "domain": "process", "action": "block", "resources": {"binaries": ["/bin/bash"]}}"#;
//! let out = SynthGenerator::new()
//!     .generate(&Prompt::Text(intent.into()), &GenerationConfig::default())
//!     .unwrap();
//! assert!(out.text.contains("kind: KubeArmorPolicy"));
//! ```

pub mod budget;
#[cfg(feature = "candle")]
pub mod candle;
pub mod constrained;
pub mod dataset;
pub mod decode;
pub mod decode_batch;
pub mod device;
pub mod discover;
pub mod error;
pub mod eval;
pub mod fidelity;
pub mod generator;
pub mod intent_llm;
pub mod onnx;
pub mod openai;
pub mod pipeline;
pub mod prompts;
pub mod replay;
pub mod sampling;
pub mod synth;

#[cfg(feature = "candle")]
pub use candle::{CandleGenerator, LoadOptions};
pub use constrained::{
    ConstraintTarget, ConstraintTokenizer, SchemaConstraint, SchemaLimits, Tightening,
};
pub use device::Device;
pub use error::InferError;
pub use generator::{
    BatchRequest, ChatMessage, Generation, GenerationConfig, GenerationProgress, Generator, Prompt,
    WithProgress,
};
pub use intent_llm::{IntentAttempt, LlmIntentError, LlmIntentParser, LlmParse};
pub use kubescribe_metrics as metrics;
pub use onnx::{OrtGenerator, OrtOptions};
pub use openai::{OpenAiConfig, OpenAiGenerator};
pub use replay::ReplayGenerator;
pub use synth::SynthGenerator;
