//! Structured diagnostics.

use std::fmt;

use serde::Serialize;

/// The validation layer a diagnostic comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// Reading the document: YAML syntax, unknown kind, typed model.
    Parse,
    /// Layer 1: the kind's schema (built-in or a user-supplied CRD) and the
    /// API server's object rules.
    Schema,
    /// Layer 2: resources the policy names exist (event store / cluster).
    Resource,
    /// Layer 3: properties (ports, protocols, CIDRs) fit the selected workloads.
    Property,
    /// Layer 4: the policy is valid but over-permissive (allows `/`, every
    /// pod, every address, domain or port); warnings, from the document
    /// alone ([`crate::permissive`]).
    Permissive,
    /// Intent fidelity: the policy implements the intent it was written for
    /// (scope, resources, actions, nothing more, replayed events); checked
    /// by `kubescribe_infer::fidelity` when an intent is given.
    Fidelity,
}

impl Layer {
    /// The layer's number as the docs count them (parse = 0).
    pub fn number(self) -> u8 {
        match self {
            Layer::Parse => 0,
            Layer::Schema => 1,
            Layer::Resource => 2,
            Layer::Property => 3,
            Layer::Permissive => 4,
            Layer::Fidelity => 5,
        }
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy is invalid.
    Error,
    /// Valid, but probably not what was meant.
    Warning,
}

/// A suggested correction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// What to do, in words.
    pub message: String,
    /// JSON pointer of the value to replace (may differ from the diagnostic's,
    /// e.g. a renamed key).
    pub pointer: String,
    /// The replacement value, when there is one obvious value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<serde_json::Value>,
}

/// One finding about one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The layer that found it.
    pub layer: Layer,
    /// Error or warning.
    pub severity: Severity,
    /// JSON pointer of the offending value (`""` = the whole document).
    pub pointer: String,
    /// The rule broken: a JSON Schema keyword (`enum`, `pattern`, `required`,
    /// `additionalProperties`, …) or a named check (`metadata.name`, `yaml`).
    pub rule: String,
    /// What is wrong, in words.
    pub message: String,
    /// What was expected, when it can be said briefly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// A suggested fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Which schema produced it: `builtin`, or the CRD file it came from.
    pub origin: String,
    /// 1-based source line, when the document came from text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Diagnostic {
    /// A layer-1 error at `pointer`.
    pub fn schema_error(
        pointer: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            layer: Layer::Schema,
            severity: Severity::Error,
            pointer: pointer.into(),
            rule: rule.into(),
            message: message.into(),
            expected: None,
            actual: None,
            fix: None,
            origin: "builtin".into(),
            line: None,
        }
    }

    /// Sets `expected`.
    pub fn expected(mut self, s: impl Into<String>) -> Self {
        self.expected = Some(s.into());
        self
    }

    /// Sets `actual`.
    pub fn actual(mut self, s: impl Into<String>) -> Self {
        self.actual = Some(s.into());
        self
    }

    /// Sets the fix.
    pub fn fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }

    /// Sets the origin.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = origin.into();
        self
    }

    /// Whether this diagnostic makes the document invalid.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// One line; user data in it (pointer, message, expected value, fix) has
    /// its control characters escaped ([`kubescribe_core::quote::escape_control`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use kubescribe_core::quote::Printable as P;
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{sev}[layer {} {}] {}: {}",
            self.layer.number(),
            P(&self.rule),
            P(at),
            P(&self.message)
        )?;
        if let Some(e) = &self.expected {
            write!(f, "; expected {}", P(e))?;
        }
        if let Some(fix) = &self.fix {
            write!(f, "; fix: {}", P(&fix.message))?;
        }
        Ok(())
    }
}

impl From<&Diagnostic> for kubescribe_core::feedback::Feedback {
    /// The finding as a regeneration prompt carries it: the message with
    /// what was expected, the fix with its replacement value.
    fn from(d: &Diagnostic) -> Self {
        let mut message = d.message.clone();
        if let Some(e) = &d.expected {
            message.push_str(&format!(" (expected: {e})"));
        }
        let fix = d.fix.as_ref().map(|f| match &f.replacement {
            Some(v) => format!("{} (set {} to {v})", f.message, f.pointer),
            None => f.message.clone(),
        });
        kubescribe_core::feedback::Feedback {
            layer: d.layer.number(),
            rule: (!d.rule.is_empty()).then(|| d.rule.clone()),
            pointer: d.pointer.clone(),
            message,
            fix,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn diagnostics_become_feedback() {
        let v = crate::Validator::new().validate_value(&serde_json::json!({
            "apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
            "metadata": {"name": "Bad_Name", "namespace": "shop"},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "file": {"matchPaths": [{"path": "/etc/nginx/"}]}, "action": "Block"}
        }));
        let fb: Vec<kubescribe_core::feedback::Feedback> =
            v.diagnostics.iter().map(Into::into).collect();
        let name = fb.iter().find(|f| f.pointer == "/metadata/name").unwrap();
        assert_eq!(name.layer, 1);
        assert_eq!(name.rule.as_deref(), Some("metadata.name"));
        assert!(name.message.contains("(expected: a DNS-1123"), "{name:?}");
        assert!(
            name.fix.as_deref().unwrap().contains("bad-name"),
            "{name:?}"
        );
    }

    #[test]
    fn a_diagnostic_prints_as_one_inert_line() {
        let v = crate::Validator::new().validate_value(&serde_json::json!({
            "apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicy",
            "metadata": {"name": "x\u{1b}[2J\nFORGED: ok", "namespace": "shop",
                         "labels": {"\nFORGED: ok": "\u{1b}[31m"}},
            "spec": {"selector": {"matchLabels": {"app\r\nFORGED: ok": "x"}},
                     "file": {"matchPaths": [{"path": "/etc/\u{1b}]0;t\u{7}"}]}, "action": "Block"}
        }));
        // The findings carry the raw text (a pointer names the key as it is)...
        assert!(
            v.diagnostics
                .iter()
                .any(|d| format!("{}{}", d.pointer, d.message).contains('\n')),
            "{:#?}",
            v.diagnostics
        );
        // ...and print it escaped.
        for d in &v.diagnostics {
            let line = d.to_string();
            assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
            assert!(
                !line.contains('\u{1b}') && !line.contains('\u{7}'),
                "{line:?}"
            );
        }
    }
}
