//! Validator findings in the form a prompt quotes them back to a model.
//!
//! `kubescribe-validate` turns its diagnostics into [`Feedback`]
//! (`Feedback::from(&diagnostic)`) and the prompt builder of
//! `kubescribe-synth` renders them; the type lives here so that neither
//! crate depends on the other.

use serde::{Deserialize, Serialize};

/// One validator finding on a previous answer, for regeneration.
///
/// `kubescribe-validate`'s `Diagnostic` converts into this
/// (`Feedback::from(&diagnostic)`); the prompt quotes the pointer, message
/// and fix, which may echo untrusted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// Validation layer (1 schema, 2 resources against the store, 3 cluster).
    pub layer: u8,
    /// The rule broken (`enum`, `pattern`, `metadata.name`, …), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// JSON pointer of the offending value (`""` = the whole document).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// A suggested fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}
