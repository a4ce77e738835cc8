//! Errors of the core crate.

use thiserror::Error;

/// What can go wrong reading or converting policy documents.
#[derive(Debug, Error)]
pub enum CoreError {
    /// The input could not be read at all (I/O, encoding, size).
    #[error("cannot read {source_name}: {reason}")]
    Unreadable {
        /// File name or `<stdin>`/`<string>`.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// The input is not well-formed YAML/JSON.
    #[error("{source_name}:{line}:{column}: malformed YAML: {message}")]
    Syntax {
        /// File name.
        source_name: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A document has no usable `apiVersion`/`kind` or names a kind kubescribe does not model.
    #[error(
        "unknown kind: apiVersion {api_version:?}, kind {kind:?} (expected one of: {expected})"
    )]
    UnknownKind {
        /// The document's `apiVersion`, if any.
        api_version: Option<String>,
        /// The document's `kind`, if any.
        kind: Option<String>,
        /// The supported `apiVersion/kind` pairs.
        expected: String,
    },
    /// A document of a known kind does not fit the typed model.
    #[error("{kind}: {message}")]
    Model {
        /// The kind being decoded.
        kind: String,
        /// serde's message (names the field path when it can).
        message: String,
    },
    /// The input exceeds one of the [limits](crate::limits) on untrusted
    /// input: well-formed, but more than kubescribe reads.
    #[error("{source_name}: {limit}")]
    Limit {
        /// File name.
        source_name: String,
        /// Which limit, its value and what raises it.
        limit: Box<crate::limits::LimitExceeded>,
    },
    /// Serialising to YAML or JSON failed.
    #[error("cannot serialise: {0}")]
    Serialize(String),
}
