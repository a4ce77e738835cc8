//! Errors of the inference crate.

use thiserror::Error;

/// What can go wrong generating or evaluating.
#[derive(Debug, Error)]
pub enum InferError {
    /// A backend failed to produce text.
    #[error("generator {generator}: {message}")]
    Generation {
        /// The generator's name.
        generator: String,
        /// What went wrong.
        message: String,
    },
    /// An input file (dataset, recorded outputs) is malformed.
    #[error("{source_name}:{line}: {message}")]
    Input {
        /// The file.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing files.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Constrained decoding: a schema llguidance cannot compile, a tokenizer
    /// without byte-level tokens, a grammar that got stuck.
    #[error("constrained decoding: {0}")]
    Constraint(String),
    /// An HTTP backend failed: unreachable, timed out, an error status, or a
    /// malformed answer.
    #[error("{url}: {message}")]
    Http {
        /// The URL called.
        url: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
    /// A model directory or file cannot be loaded (missing file, wrong
    /// layout, runtime library absent).
    #[error("{path}: {message}")]
    Model {
        /// The model directory or file.
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A model was asked to run on a device it cannot use: a GPU in a build
    /// without its backend, a machine without a GPU or its libraries, an
    /// ONNX Runtime library without the CUDA execution provider.
    #[error("device {device}: {message}")]
    Device {
        /// The device asked for (`cuda:0`).
        device: String,
        /// Why it cannot be used, and what to do.
        message: String,
    },
    /// Discovery: the event store could not be read, or a discovered
    /// policy could not be built or simulated.
    #[error("discover: {0}")]
    Discover(String),
    /// Writing a report or plot.
    #[error("report: {0}")]
    Report(String),
    /// An output file holds results made from other inputs or settings,
    /// which would be replaced (see `EvalOptions::replace_stale`).
    #[error("{path}: {message}")]
    Stale {
        /// The file.
        path: String,
        /// What differs and how many results it holds.
        message: String,
    },
}

impl InferError {
    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        InferError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
