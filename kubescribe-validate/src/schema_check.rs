//! Layer 1: validating a document against a compiled JSON Schema, and turning
//! the validator's errors into [`Diagnostic`]s with fixes.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, ValidationError};
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::error::ValidateError;
use crate::suggest;

/// A schema compiled for validation, with the JSON it came from (used to
/// look up allowed field names for suggestions).
pub struct CompiledSchema {
    validator: jsonschema::Validator,
    schema: Value,
    /// The schema's `default`s, `$ref`s resolved once.
    defaults: kubescribe_core::policy::schema::Defaults,
    origin: String,
}

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledSchema")
            .field("origin", &self.origin)
            .finish()
    }
}

/// Whether `s` is an IPv4/IPv6 CIDR (`10.0.0.0/8`, `fd00::/8`).
pub fn is_cidr(s: &str) -> bool {
    let Some((ip, len)) = s.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    if len.to_string() != s.split_once('/').map(|x| x.1).unwrap_or("") {
        return false;
    }
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

fn always(_: &str) -> bool {
    true
}

impl CompiledSchema {
    /// Compiles `schema` under `draft`, with RE2 patterns. Formats follow the API server: `cidr`
    /// is checked, number formats and `idn-hostname` (which the API server
    /// does not validate) are accepted as-is.
    pub fn compile(
        mut schema: Value,
        draft: Draft,
        origin: impl Into<String>,
    ) -> Result<Self, ValidateError> {
        let origin = origin.into();
        normalize_patterns(&mut schema);
        let validator = jsonschema::options()
            .with_draft(draft)
            // CRD patterns are Go RE2 syntax, evaluated by the API server with
            // Go's RE2: the `regex` crate implements the same dialect.
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .with_format("cidr", is_cidr)
            .with_format("int32", always)
            .with_format("int64", always)
            .with_format("uint16", always)
            .with_format("uint32", always)
            .with_format("uint64", always)
            .with_format("uint8", always)
            .with_format("double", always)
            .with_format("float", always)
            .with_format("idn-hostname", always)
            .with_format("byte", always)
            .build(&schema)
            .map_err(|e| ValidateError::Schema {
                origin: origin.clone(),
                message: e.to_string(),
            })?;
        let defaults = kubescribe_core::policy::schema::Defaults::compile(&schema);
        Ok(CompiledSchema {
            validator,
            schema,
            defaults,
            origin,
        })
    }

    /// Where the schema came from (`builtin` or a CRD file).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The schema JSON.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// Fills the schema's `default`s into `value`, as the API server does
    /// before validating (compiled once per schema).
    pub fn apply_defaults(&self, value: &mut Value) {
        self.defaults.apply(value);
    }

    /// Whether `value` is valid (fast path, no diagnostics).
    pub fn is_valid(&self, value: &Value) -> bool {
        self.validator.is_valid(value)
    }

    /// All diagnostics for `value`.
    pub fn check(&self, value: &Value) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for err in self.validator.iter_errors(value) {
            self.convert(&err, &mut out);
        }
        out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.rule.cmp(&b.rule)));
        out.dedup_by(|a, b| a.pointer == b.pointer && a.message == b.message);
        out
    }

    fn convert(&self, err: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
        let pointer = err.instance_path().as_str().to_string();
        let instance: &Value = err.instance();
        let origin = self.origin.as_str();
        let d = match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_properties(err.schema_path().as_str());
                for name in unexpected {
                    let fix = suggest::unknown_field(&pointer, name, &allowed);
                    let mut expected = allowed.join(", ");
                    if expected.is_empty() {
                        expected = "no fields".into();
                    }
                    out.push(
                        Diagnostic::schema_error(
                            format!(
                                "{pointer}/{}",
                                kubescribe_core::document::escape_pointer_token(name)
                            ),
                            "additionalProperties",
                            format!("unknown field `{name}`"),
                        )
                        .expected(format!("one of: {expected}"))
                        .fix(fix)
                        .origin(origin),
                    );
                }
                return;
            }
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| property.to_string());
                Diagnostic::schema_error(
                    format!(
                        "{pointer}/{}",
                        kubescribe_core::document::escape_pointer_token(&name)
                    ),
                    "required",
                    format!("missing required field `{name}`"),
                )
                .expected(format!("`{name}` to be set"))
            }
            ValidationErrorKind::Enum { options } => {
                let opts = options.as_array().cloned().unwrap_or_default();
                Diagnostic::schema_error(
                    &pointer,
                    "enum",
                    format!("{} is not an allowed value", suggest::short(instance)),
                )
                .expected(format!("one of {}", suggest::short(options)))
                .actual(suggest::short(instance))
                .fix(suggest::enum_value(&pointer, instance, &opts))
            }
            ValidationErrorKind::Constant { expected_value } => {
                let fix = Some(crate::diagnostic::Fix {
                    message: format!("use {}", suggest::short(expected_value)),
                    pointer: pointer.clone(),
                    replacement: Some((**expected_value).clone()),
                });
                Diagnostic::schema_error(
                    &pointer,
                    "const",
                    format!(
                        "{} must be {}",
                        suggest::short(instance),
                        suggest::short(expected_value)
                    ),
                )
                .expected(suggest::short(expected_value))
                .actual(suggest::short(instance))
                .fix(fix)
            }
            ValidationErrorKind::Pattern { pattern } => Diagnostic::schema_error(
                &pointer,
                "pattern",
                format!(
                    "{} does not match the required pattern",
                    suggest::short(instance)
                ),
            )
            .expected(format!("a value matching {pattern}"))
            .actual(suggest::short(instance))
            .fix(suggest::pattern(&pointer, instance, pattern)),
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => t.to_string(),
                    TypeKind::Multiple(ts) => ts
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                let first = expected.split(" or ").next().unwrap_or("").to_string();
                Diagnostic::schema_error(
                    &pointer,
                    "type",
                    format!("expected {expected}, got {}", json_type(instance)),
                )
                .expected(expected)
                .actual(suggest::short(instance))
                .fix(suggest::type_mismatch(&pointer, instance, &first))
            }
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => Diagnostic::schema_error(
                &pointer,
                "minimum",
                format!("{} is below the minimum {limit}", suggest::short(instance)),
            )
            .expected(format!(">= {limit}"))
            .actual(suggest::short(instance))
            .fix(Some(crate::diagnostic::Fix {
                message: format!("use a value of at least {limit}"),
                pointer: pointer.clone(),
                replacement: Some(limit.clone()),
            })),
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => Diagnostic::schema_error(
                &pointer,
                "maximum",
                format!("{} is above the maximum {limit}", suggest::short(instance)),
            )
            .expected(format!("<= {limit}"))
            .actual(suggest::short(instance))
            .fix(Some(crate::diagnostic::Fix {
                message: format!("use a value of at most {limit}"),
                pointer: pointer.clone(),
                replacement: Some(limit.clone()),
            })),
            ValidationErrorKind::OneOfNotValid { context }
            | ValidationErrorKind::AnyOf { context } => {
                let keyword = if matches!(err.kind(), ValidationErrorKind::AnyOf { .. }) {
                    "anyOf"
                } else {
                    "oneOf"
                };
                // Alternatives that differ only in which field is required
                // ("exactly one of a, b") read best as one message.
                let all_required = context.iter().all(|branch| {
                    !branch.is_empty()
                        && branch
                            .iter()
                            .all(|e| matches!(e.kind(), ValidationErrorKind::Required { .. }))
                });
                if all_required || context.iter().any(Vec::is_empty) {
                    let names: Vec<String> = context
                        .iter()
                        .flatten()
                        .filter_map(|e| match e.kind() {
                            ValidationErrorKind::Required { property } => {
                                property.as_str().map(str::to_string)
                            }
                            _ => None,
                        })
                        .collect();
                    Diagnostic::schema_error(
                        &pointer,
                        keyword,
                        format!("one of these fields must be set: {}", names.join(", ")),
                    )
                    .expected(format!("one of: {}", names.join(", ")))
                } else {
                    // Report the alternative that came closest.
                    if let Some(best) = context.iter().min_by_key(|b| b.len()) {
                        for e in best {
                            self.convert(e, out);
                        }
                        return;
                    }
                    Diagnostic::schema_error(&pointer, keyword, err.masked().to_string())
                }
            }
            ValidationErrorKind::OneOfMultipleValid { .. } => Diagnostic::schema_error(
                &pointer,
                "oneOf",
                "more than one of the mutually exclusive alternatives is set; keep only one"
                    .to_string(),
            ),
            ValidationErrorKind::Format { format } => Diagnostic::schema_error(
                &pointer,
                "format",
                format!("{} is not a valid {format}", suggest::short(instance)),
            )
            .expected(format!("a {format}"))
            .actual(suggest::short(instance)),
            ValidationErrorKind::FalseSchema => {
                Diagnostic::schema_error(&pointer, "false", "no value is allowed here")
            }
            _ => {
                let rule = err
                    .schema_path()
                    .as_str()
                    .rsplit('/')
                    .next()
                    .unwrap_or("schema")
                    .to_string();
                Diagnostic::schema_error(&pointer, rule, err.masked().to_string())
                    .actual(suggest::short(instance))
            }
        };
        out.push(d.origin(origin));
    }

    /// The `properties` names of the schema node holding the keyword at `schema_path`.
    fn allowed_properties(&self, schema_path: &str) -> Vec<String> {
        let mut tokens: Vec<&str> = schema_path.split('/').skip(1).collect();
        tokens.pop(); // the keyword itself
        let mut node = &self.schema;
        for t in tokens {
            let t = t.replace("~1", "/").replace("~0", "~");
            node = match node {
                Value::Object(m) if t == "$ref" => match m.get("$ref").and_then(Value::as_str) {
                    Some(r) => resolve_ref(&self.schema, r).unwrap_or(node),
                    None => node,
                },
                Value::Object(m) => match m.get(&t) {
                    Some(n) => n,
                    None => return Vec::new(),
                },
                Value::Array(a) => match t.parse::<usize>().ok().and_then(|i| a.get(i)) {
                    Some(n) => n,
                    None => return Vec::new(),
                },
                _ => return Vec::new(),
            };
        }
        // The node may itself be a reference.
        if let Some(r) = node.get("$ref").and_then(Value::as_str)
            && node.get("properties").is_none()
        {
            node = resolve_ref(&self.schema, r).unwrap_or(node);
        }
        node.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Rewrites Go RE2's one-letter Unicode classes (`\pL`, `\PC`) into the
/// braced form (`\p{L}`) that both ECMA-262 and RE2 accept, in every
/// `pattern` keyword of a schema.
pub fn normalize_patterns(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(p) if k == "pattern" => *p = braced_unicode_classes(p),
                    _ => normalize_patterns(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_patterns),
        _ => {}
    }
}

fn braced_unicode_classes(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            if (n == 'p' || n == 'P') && i + 2 < chars.len() && chars[i + 2].is_ascii_alphabetic() {
                out.push('\\');
                out.push(n);
                out.push('{');
                out.push(chars[i + 2]);
                out.push('}');
                i += 3;
                continue;
            }
            out.push(c);
            out.push(n);
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn resolve_ref<'a>(root: &'a Value, r: &str) -> Option<&'a Value> {
    root.pointer(r.strip_prefix('#')?)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_unicode_classes_are_braced() {
        assert_eq!(braced_unicode_classes(r"^\PC*$"), r"^\P{C}*$");
        assert_eq!(braced_unicode_classes(r"^\p{L}\\pX"), r"^\p{L}\\pX");
    }

    #[test]
    fn cidr_format() {
        assert!(is_cidr("10.0.0.0/8"));
        assert!(is_cidr("fd00::/8"));
        assert!(!is_cidr("10.0.0.0"));
        assert!(!is_cidr("10.0.0.0/33"));
        assert!(!is_cidr("10.0.0.0/08"));
        assert!(!is_cidr("192.168.0.0/16  Pod CIDR"));
    }
}
