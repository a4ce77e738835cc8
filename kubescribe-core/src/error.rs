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
    #[error("{}", unknown_kind_text(api_version.as_deref(), kind.as_deref(), expected))]
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

/// `unsupported kind v1/ConfigMap (kubescribe handles …)`, or what the
/// document lacks, in plain words.
fn unknown_kind_text(api_version: Option<&str>, kind: Option<&str>, expected: &str) -> String {
    let what = match (api_version, kind) {
        (Some(a), Some(k)) => format!("unsupported kind {a}/{k}"),
        (None, Some(k)) => format!("kind {k} without an apiVersion"),
        (Some(a), None) => format!("a document of apiVersion {a} without a kind"),
        (None, None) => "a document without apiVersion and kind".to_string(),
    };
    format!("{what} (kubescribe handles {expected})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_kind_is_said_in_plain_words() {
        // Was: unknown kind: apiVersion Some("v1"), kind Some("ConfigMap") (…)
        let e = CoreError::UnknownKind {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
            expected: "networking.k8s.io/v1/NetworkPolicy".into(),
        };
        assert_eq!(
            e.to_string(),
            "unsupported kind v1/ConfigMap (kubescribe handles networking.k8s.io/v1/NetworkPolicy)"
        );
        let e = CoreError::UnknownKind {
            api_version: None,
            kind: None,
            expected: "x".into(),
        };
        assert!(!e.to_string().contains("None"), "{e}");
    }
}
