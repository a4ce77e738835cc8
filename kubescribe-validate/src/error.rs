//! Errors of the validation crate (the validator's own failures, not findings
//! about documents, which are [`crate::Diagnostic`]s).

use thiserror::Error;

/// What can go wrong setting up validation.
#[derive(Debug, Error)]
pub enum ValidateError {
    /// A schema (built-in or from a CRD) could not be compiled.
    #[error("schema from {origin} does not compile: {message}")]
    Schema {
        /// Where the schema came from.
        origin: String,
        /// The compiler's message.
        message: String,
    },
    /// A CRD file could not be read or holds no usable schema.
    #[error("{origin}: {message}")]
    Crd {
        /// The CRD file.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// Reading documents failed.
    #[error(transparent)]
    Core(#[from] kubescribe_core::CoreError),
}
