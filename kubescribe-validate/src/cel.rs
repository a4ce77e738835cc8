//! CEL rules of a CRD (`x-kubernetes-validations`), evaluated client-side
//! with `kube-cel`, as the API server (≥ 1.25) does after defaulting.
//!
//! Older servers ignore the rules (1.20 accepts a create and drops them), so
//! this is the only place they are enforced before a policy reaches such a
//! cluster. A rule `kube-cel` cannot evaluate (a CEL macro it does not
//! implement) is reported as a warning naming the rule, never silently
//! passed as satisfied.
//!
//! The interpreter has no step limit, so each rule's cost on the object is
//! bounded first ([`cost`]); when a rule's bound exceeds
//! [`CEL_MAX_COST`](kubescribe_core::limits::CEL_MAX_COST), no rule of the
//! object is evaluated and the error names the rule and the limit.

pub mod cost;

use serde_json::Value;

use kube_cel::{CompiledSchema, ErrorKind, RootContext, ValidationError};

use crate::diagnostic::{Diagnostic, Layer, Severity};

/// The CEL rules of one CRD version, compiled once.
pub struct CelRules {
    compiled: CompiledSchema,
    /// Rules not compiled for their length: (schema pointer, excerpt).
    too_long: Vec<(String, String)>,
    root: RootContext,
    origin: String,
}

impl std::fmt::Debug for CelRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelRules")
            .field("api_version", &self.root.api_version)
            .field("kind", &self.root.kind)
            .field("origin", &self.origin)
            .finish()
    }
}

/// Whether any node of `schema` carries `x-kubernetes-validations`.
pub fn has_rules(schema: &Value) -> bool {
    match schema {
        Value::Object(m) => m.contains_key("x-kubernetes-validations") || m.values().any(has_rules),
        Value::Array(a) => a.iter().any(has_rules),
        _ => false,
    }
}

impl CelRules {
    /// Compiles the rules of an `openAPIV3Schema` as the CRD gives it, or
    /// `None` when it has none.
    pub fn compile(
        open_api_v3_schema: &Value,
        api_version: &str,
        kind: &str,
        origin: &str,
    ) -> Option<CelRules> {
        if !has_rules(open_api_v3_schema) {
            return None;
        }
        let api_group = api_version
            .rsplit_once('/')
            .map(|(g, _)| g.to_string())
            .unwrap_or_default();
        // Over-long rules are left out (and reported on every check); the
        // parser's recursion grows with a rule's length.
        let mut schema = open_api_v3_schema.clone();
        let mut too_long = Vec::new();
        drop_long_rules(&mut schema, String::new(), &mut too_long);
        let compiled = on_big_stack(move || kube_cel::compile_schema(&schema));
        Some(CelRules {
            compiled,
            too_long,
            root: RootContext {
                api_version: api_version.to_string(),
                api_group,
                kind: kind.to_string(),
            },
            origin: origin.to_string(),
        })
    }

    /// Layer-1 diagnostics for the rules `value` breaks.
    pub fn check(&self, value: &Value) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .too_long
            .iter()
            .map(|(at, rule)| self.too_long(at, rule))
            .collect();
        // Evaluation recurses over the rule's syntax tree: on a thread with
        // a stack to match (the rules' length is bounded).
        let found = on_big_stack(|| {
            let over = cost::over_budget(&self.compiled, value);
            if !over.is_empty() {
                return over.iter().map(|o| self.over_budget(o)).collect();
            }
            let validator = kube_cel::Validator::new();
            match validator.validate_compiled_with_context(
                &self.compiled,
                value,
                None,
                Some(&self.root),
            ) {
                Ok(()) => Vec::new(),
                Err(errors) => errors.iter().map(|e| self.diagnostic(e)).collect(),
            }
        });
        out.extend(found);
        out
    }

    fn too_long(&self, at: &str, rule: &str) -> Diagnostic {
        let limit = kubescribe_core::LimitExceeded::new(
            format!("the CEL rule at {at} of the CRD's schema (`{rule}`)"),
            "CEL_RULE_MAX_CHARS",
            kubescribe_core::limits::CEL_RULE_MAX_CHARS as u64,
            "characters",
            "fixed",
        );
        let mut d = Diagnostic::schema_error(
            String::new(),
            "x-kubernetes-validations",
            format!("CEL rule not compiled: {limit}"),
        )
        .origin(format!("{} (CEL)", self.origin));
        d.layer = Layer::Schema;
        d.severity = Severity::Error;
        d
    }

    fn over_budget(&self, o: &cost::OverBudget) -> Diagnostic {
        let limit = kubescribe_core::LimitExceeded::new(
            format!("its estimated cost on this object, {} steps,", o.estimate),
            "CEL_MAX_COST",
            kubescribe_core::limits::CEL_MAX_COST,
            "steps",
            "fixed: the API server's per-call budget",
        );
        let mut d = Diagnostic::schema_error(
            o.pointer.clone(),
            "x-kubernetes-validations",
            format!(
                "CEL rule `{}` not evaluated: {limit}; no CEL rule of this object was evaluated",
                o.rule
            ),
        )
        .expected(format!(
            "CEL rules whose cost on the object stays within {} steps",
            kubescribe_core::limits::CEL_MAX_COST
        ))
        .origin(format!("{} (CEL)", self.origin));
        d.layer = Layer::Schema;
        d.severity = Severity::Error;
        d
    }

    fn diagnostic(&self, e: &ValidationError) -> Diagnostic {
        let pointer = field_path_to_pointer(&e.field_path);
        let (severity, message) = match e.kind {
            ErrorKind::ValidationFailure => (Severity::Error, e.message.clone()),
            ErrorKind::UnsupportedReference => (
                Severity::Warning,
                format!(
                    "CEL rule not evaluated client-side (uses something kube-cel does not implement); the API server is the judge: {}",
                    e.message
                ),
            ),
            _ => (Severity::Error, format!("CEL rule failed: {}", e.message)),
        };
        let mut d = Diagnostic::schema_error(pointer, "x-kubernetes-validations", message)
            .expected(format!("CEL rule `{}` to hold", e.rule))
            .origin(format!("{} (CEL)", self.origin));
        d.layer = Layer::Schema;
        d.severity = severity;
        d
    }
}

/// Runs `f` on a thread with [`CEL_STACK_BYTES`](kubescribe_core::limits::CEL_STACK_BYTES)
/// of stack.
fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    kubescribe_core::limits::with_stack(kubescribe_core::limits::CEL_STACK_BYTES, f)
}

/// Removes the `x-kubernetes-validations` entries whose rule or message
/// expression is over [`CEL_RULE_MAX_CHARS`](kubescribe_core::limits::CEL_RULE_MAX_CHARS),
/// noting each (schema pointer, excerpt) in `out`.
fn drop_long_rules(schema: &mut Value, at: String, out: &mut Vec<(String, String)>) {
    let max = kubescribe_core::limits::CEL_RULE_MAX_CHARS;
    let long = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .is_some_and(|r| r.chars().count() > max)
    };
    match schema {
        Value::Object(m) => {
            if let Some(Value::Array(rules)) = m.get_mut("x-kubernetes-validations") {
                rules.retain(|r| {
                    let refuse = long(r, "rule") || long(r, "messageExpression");
                    if refuse {
                        let text = r.get("rule").and_then(Value::as_str).unwrap_or_default();
                        out.push((
                            format!("{at}/x-kubernetes-validations"),
                            kubescribe_core::limits::excerpt(text, 60),
                        ));
                    }
                    !refuse
                });
            }
            for (k, v) in m.iter_mut() {
                let child = format!(
                    "{at}/{}",
                    kubescribe_core::document::escape_pointer_token(k)
                );
                drop_long_rules(v, child, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter_mut().enumerate() {
                drop_long_rules(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// `spec.ports[0].name` / `.spec['a.b']` (CEL field paths) → `/spec/ports/0/name`.
pub fn field_path_to_pointer(path: &str) -> String {
    let mut out = String::new();
    let mut chars = path.chars().peekable();
    let mut seg = String::new();
    let flush = |seg: &mut String, out: &mut String| {
        if !seg.is_empty() {
            out.push('/');
            out.push_str(&kubescribe_core::document::escape_pointer_token(seg));
            seg.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut seg, &mut out),
            '[' => {
                flush(&mut seg, &mut out);
                let quoted = matches!(chars.peek(), Some('\'' | '"'));
                let quote = if quoted { chars.next() } else { None };
                let mut inner = String::new();
                while let Some(&n) = chars.peek() {
                    chars.next();
                    if Some(n) == quote && chars.peek() == Some(&']') {
                        chars.next();
                        break;
                    }
                    if quote.is_none() && n == ']' {
                        break;
                    }
                    inner.push(n);
                }
                seg = inner;
                flush(&mut seg, &mut out);
            }
            c => seg.push(c),
        }
    }
    flush(&mut seg, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_paths_become_pointers() {
        assert_eq!(field_path_to_pointer(""), "");
        assert_eq!(field_path_to_pointer("spec.replicas"), "/spec/replicas");
        assert_eq!(
            field_path_to_pointer("spec.ports[0].name"),
            "/spec/ports/0/name"
        );
        assert_eq!(
            field_path_to_pointer("spec.labels['a/b.c']"),
            "/spec/labels/a~1b.c"
        );
    }

    #[test]
    fn failing_rule_is_an_error_at_its_field() {
        let schema = json!({
            "type": "object",
            "properties": {"spec": {"type": "object",
                "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}},
                "x-kubernetes-validations": [{"rule": "self.min <= self.max", "message": "min must not exceed max"}]}}
        });
        let rules = CelRules::compile(&schema, "example.com/v1", "Range", "range.yaml").unwrap();
        assert!(
            rules
                .check(&json!({"spec": {"min": 1, "max": 2}}))
                .is_empty()
        );
        let d = rules.check(&json!({"spec": {"min": 3, "max": 2}}));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].pointer, "/spec");
        assert_eq!(d[0].rule, "x-kubernetes-validations");
        assert_eq!(d[0].message, "min must not exceed max");
        assert!(d[0].is_error());
        assert!(CelRules::compile(&json!({"type": "object"}), "v1", "X", "x").is_none());
    }

    #[test]
    fn deeply_nested_rules_do_not_overflow_the_stack() {
        // A user CRD's rule is attacker-controlled text; the CEL parser and
        // evaluator recurse over it (these aborted the process).
        let long = |rule: String| {
            let schema = json!({
                "type": "object",
                "properties": {"spec": {"type": "object",
                    "x-kubernetes-validations": [{"rule": rule}, {"rule": "self.a == 1", "message": "a is 1"}]}}
            });
            let rules = CelRules::compile(&schema, "example.com/v1", "Deep", "deep.yaml").unwrap();
            rules.check(&json!({"spec": {"a": 2}}))
        };
        for rule in [
            format!("{}true{}", "(".repeat(100_000), ")".repeat(100_000)),
            format!("{}true", "!".repeat(300_000)),
            format!("self.a{}", ".b".repeat(100_000)),
            format!("1{}", " + 1".repeat(100_000)),
        ] {
            let d = long(rule);
            assert_eq!(d.len(), 2, "{d:#?}");
            assert!(
                d[0].message.contains("CEL_RULE_MAX_CHARS"),
                "{}",
                d[0].message
            );
            assert!(d[0].message.len() < 500, "{}", d[0].message);
            // The other rules of the CRD are still checked.
            assert_eq!(d[1].message, "a is 1");
        }
        // Within the length limit, as deep as the text allows.
        let limit = kubescribe_core::limits::CEL_RULE_MAX_CHARS;
        for rule in [
            format!(
                "{}true{}",
                "(".repeat(limit / 2 - 2),
                ")".repeat(limit / 2 - 2)
            ),
            format!("{}true", "!".repeat(limit - 4)),
            format!("1{} == 1", " + 1".repeat(limit / 4 - 2)),
            format!("self{}", ".a".repeat(limit / 2 - 4)),
        ] {
            // Evaluated or refused, never a crash.
            let _ = long(rule);
        }
    }

    #[test]
    fn a_rule_over_the_cost_budget_is_an_error_not_a_hang() {
        // Cubic in the list: a billion iterations on a thousand items, which
        // the interpreter (no step limit) would run for minutes.
        let cubic = "self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))";
        let schema = json!({
            "type": "object",
            "properties": {"spec": {"type": "object",
                "properties": {"l": {"type": "array", "items": {"type": "integer"}}},
                "x-kubernetes-validations": [
                    {"rule": cubic},
                    {"rule": "self.l.all(x, x < 100)", "message": "all under 100"}
                ]}}
        });
        let rules = CelRules::compile(&schema, "example.com/v1", "Big", "big.yaml").unwrap();
        let list: Vec<i64> = (0..1_000).collect();
        let d = rules.check(&json!({"spec": {"l": list}}));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].is_error());
        assert_eq!(d[0].pointer, "/spec");
        for part in [cubic, "CEL_MAX_COST", "1000000 steps"] {
            assert!(d[0].message.contains(part), "{part}: {}", d[0].message);
        }
        // On a small object the same rules are evaluated (and the second fails).
        let d = rules.check(&json!({"spec": {"l": [1, 200, 2]}}));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].message, "all under 100");
    }
}
