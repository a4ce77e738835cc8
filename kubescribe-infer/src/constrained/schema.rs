//! The *generation schema* of a policy kind: the layer-1 schema turned into
//! something llguidance can compile and a decoder can always finish, and
//! optionally tightened with what the event store observed.
//!
//! Every document valid under the generation schema is valid under the
//! kind's layer-1 rules (built-in schema plus the API server's object
//! rules), never the other way round. What changes:
//!
//! * `$ref`s are inlined (so per-path tightening is possible); a recursive
//!   type is cut at its second occurrence (optional there; an error if it
//!   is required);
//! * `apiVersion`/`kind` become constants, `metadata` becomes `name` (a
//!   DNS-1123 subdomain), `namespace` (a DNS-1123 label, namespaced kinds
//!   only) and `labels` (qualified keys, valid values): the API server's
//!   rules as patterns;
//! * `format: cidr` becomes an IPv4 CIDR `pattern`; number formats
//!   (`int32`, …) and others the validator accepts as-is are dropped;
//! * bounds the decoder needs: strings at most `max_string_len`
//!   characters, arrays at most `max_items` items, maps at most
//!   `max_map_entries` entries with label-like keys, `uniqueItems` arrays at
//!   most one item, numbers without bounds within ±`max_number`;
//! * rules that need two fields at once and are not in the schema language
//!   (NetworkPolicy `endPort` ≥ `port`, `except` inside `cidr`, a named
//!   `port` must be an IANA name) are avoided by leaving out `endPort` and
//!   `except` (unless the intent-shaped tightening requires them: then their
//!   values are the intent's, forced) and making NetworkPolicy ports numeric
//!   1–65535;
//! * annotations (`description`, `default`, `x-kubernetes-*`) are dropped.
//!
//! Key order follows the schema's `properties` (llguidance emits keys in
//! that order), so prompts and few-shot examples should use the same order.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use kubescribe_core::PolicyKind;
use kubescribe_core::policy::schema::builtin_schema;
use kubescribe_events::context::WorkloadContext;

use crate::error::InferError;

mod alternatives;
use alternatives::{
    OPEN_ALTERNATIVES_BYTES, choose, chosen_alternative, names, open_alternatives,
    required_only_alternative_holds,
};

/// A DNS-1123 subdomain, at most 63 characters here.
pub const DNS_SUBDOMAIN: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A DNS-1123 label.
pub const DNS_LABEL: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A label key without prefix (a qualified name, at most 32 characters here), for map keys.
pub const LABEL_KEY: &str = r"^[a-z0-9]([-a-z0-9_.]{0,30}[a-z0-9])?$";
/// A label value.
pub const LABEL_VALUE: &str = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
/// An IPv4 CIDR.
pub const IPV4_CIDR: &str = r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$";

/// Bounds that keep every generated document finite and short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaLimits {
    /// Longest free string (characters).
    pub max_string_len: usize,
    /// Most items of an array.
    pub max_items: usize,
    /// Most entries of a map (`matchLabels`, …).
    pub max_map_entries: usize,
    /// Deepest nesting of objects kept for optional properties.
    pub max_depth: usize,
    /// Largest magnitude of a number without its own bounds (the typed
    /// models read integers as 64-bit, and an unbounded literal lets a
    /// model write digits until the token budget runs out).
    pub max_number: i64,
}

impl Default for SchemaLimits {
    fn default() -> Self {
        SchemaLimits {
            max_string_len: 63,
            max_items: 4,
            max_map_entries: 4,
            max_depth: 10,
            max_number: i32::MAX as i64,
        }
    }
}

/// Per-request tightening from the intent and the event store: values the
/// model may use instead of any string. Empty sets leave the field as the
/// schema has it.
///
/// Applied by field name wherever the field occurs: `metadata.namespace`;
/// `matchLabels` maps (keys and values as given: `peer_labels` for every
/// map but the scope's when set, else `labels`); numeric or string `port`
/// fields; KubeArmor `process.matchPaths[].path` and Tetragon
/// `matchBinaries[].values[]` (binaries); KubeArmor `file.matchPaths[].path`
/// (`paths`); KubeArmor `matchDirectories[].dir` (path prefixes).
///
/// The *skeleton* (`forced`, `required`) is applied by path (property names
/// from the document's root joined with `.`, `[]` for an array's items):
/// a forced path has exactly the given value (the scope selector, the
/// action, `policyTypes`); a required path's object must have the listed
/// properties (an array among them at least one item), so a model only
/// fills in what is left open. [`crate::ConstraintTarget::for_intent`] builds
/// all of it from the intent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tightening {
    /// Observed namespaces.
    pub namespaces: BTreeSet<String>,
    /// Observed labels: key → values.
    pub labels: BTreeMap<String, BTreeSet<String>>,
    /// Observed ports.
    pub ports: BTreeSet<u16>,
    /// Observed binaries (absolute paths).
    pub binaries: BTreeSet<String>,
    /// Observed directory prefixes (ending in `/`).
    pub path_prefixes: BTreeSet<String>,
    /// File paths (KubeArmor `file.matchPaths[].path`).
    #[serde(default)]
    pub paths: BTreeSet<String>,
    /// Labels of peers: every `matchLabels` map that is not forced (key →
    /// values); empty: `labels` applies there too.
    #[serde(default)]
    pub peer_labels: BTreeMap<String, BTreeSet<String>>,
    /// Values forced at paths (`spec.podSelector.matchLabels`, `spec.action`).
    #[serde(default)]
    pub forced: BTreeMap<String, Value>,
    /// Properties required at paths (`spec` → `ingress`, `policyTypes`).
    #[serde(default)]
    pub required: BTreeMap<String, BTreeSet<String>>,
    /// Every key of `peer_labels` is required (the intent names one peer
    /// selector).
    #[serde(default)]
    pub peer_labels_exact: bool,
    /// The only properties allowed at paths (the faithful policy's keys
    /// there: no rule section or field the intent does not need).
    #[serde(default)]
    pub closed: BTreeMap<String, BTreeSet<String>>,
    /// Tetragon `matchArgs[].values[]` (the intent's paths and prefixes).
    #[serde(default)]
    pub arg_values: BTreeSet<String>,
    /// KubeArmor `fromSource[].path` (the intent's source executables).
    #[serde(default)]
    pub sources: BTreeSet<String>,
    /// The most items of the list at a path (the faithful policy's
    /// one-entry rule and selector lists stay one entry: left at the
    /// schema-wide limit, a small model repeated a Tetragon kprobe and its
    /// selectors until the answer budget ran out).
    #[serde(default)]
    pub max_items: BTreeMap<String, usize>,
}

impl Tightening {
    /// Whether nothing is tightened.
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
            && self.labels.is_empty()
            && self.ports.is_empty()
            && self.binaries.is_empty()
            && self.path_prefixes.is_empty()
            && self.paths.is_empty()
            && self.peer_labels.is_empty()
            && self.forced.is_empty()
            && self.required.is_empty()
            && self.closed.is_empty()
            && self.arg_values.is_empty()
            && self.sources.is_empty()
            && self.max_items.is_empty()
    }

    /// What a workload's summarized context observed.
    pub fn from_workload_context(ctx: &WorkloadContext) -> Self {
        let mut t = Tightening::default();
        if let Some(ns) = &ctx.namespace {
            t.namespaces.insert(ns.clone());
        }
        for (k, v) in &ctx.selector {
            t.labels.entry(k.clone()).or_default().insert(v.clone());
        }
        for p in &ctx.ports {
            if p.last.saturating_sub(p.first) <= 64 {
                t.ports.extend(p.first..=p.last);
            }
        }
        for b in &ctx.binaries {
            if !b.recursive {
                t.binaries.insert(b.path.clone());
            }
        }
        for f in &ctx.files {
            if f.recursive {
                let mut p = f.path.clone();
                if !p.ends_with('/') {
                    p.push('/');
                }
                t.path_prefixes.insert(p);
            }
        }
        t
    }
}

/// A string of characters YAML can carry (no C0/C1 control characters,
/// no U+FFFE/U+FFFF), for strings the schema leaves free.
const PRINTABLE: &str = r"^[^\x00-\x1F\x7F-\x9F\uFFFE\uFFFF]*$";

/// The characters [`PRINTABLE`] leaves out, as a class body.
const UNPRINTABLE: &str = r"\x00-\x1F\x7F-\x9F\uFFFE\uFFFF";

/// `pattern` for values YAML can carry: every construct that matches any
/// character (`.`, negated classes, `\S`, `\D`, `\W`) narrowed to printable
/// characters (positive classes and literals kept as they are), and the
/// match anchored at both ends (JSON Schema patterns search: `^.*` alone
/// would let anything after the match through). The pattern's own anchors
/// (llguidance takes them only at the ends) are dropped and stand for the
/// outer ones; where it has none, printable characters may come before or
/// after its match.
fn printable_pattern(pattern: &str) -> String {
    let any = format!("[^{UNPRINTABLE}]*");
    let (core, start, end) = narrow(pattern);
    let head = if start { "" } else { any.as_str() };
    let tail = if end { "" } else { any.as_str() };
    format!("^{head}(?:{core}){tail}$")
}

/// [`printable_pattern`]'s narrowing of one regex, without its anchors, and
/// whether it had a `^` and a `$`.
fn narrow(pattern: &str) -> (String, bool, bool) {
    let mut out = String::with_capacity(pattern.len() + 32);
    let (mut start, mut end) = (false, false);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('S' | 'D' | 'W')) if !in_class => {
                    let base = match e {
                        'S' => r"\s",
                        'D' => "0-9",
                        _ => r"\w",
                    };
                    out.push_str(&format!("[^{base}{UNPRINTABLE}]"));
                }
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '^' if !in_class => start = true,
            '$' if !in_class => end = true,
            '.' if !in_class => out.push_str(&format!("[^{UNPRINTABLE}]")),
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                    out.push_str(UNPRINTABLE);
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            other => out.push(other),
        }
    }
    (out, start, end)
}

/// Any JSON Schema (e.g. the Intent's) shaped for generation the way
/// [`generation_schema`] shapes a policy kind's: sizes bounded by `limits`
/// (string lengths, items, map entries, numbers), formats llguidance does
/// not implement dropped, recursion and depth cut where optional.
pub fn bounded_schema(schema: &Value, limits: &SchemaLimits) -> Result<Value, InferError> {
    let tightening = Tightening::default();
    let mut shaper = Shaper {
        root: schema,
        limits,
        tight: &tightening,
        kind: None,
        stack: Vec::new(),
    };
    let mut out = shaper
        .shape(schema, &[], true)?
        .ok_or_else(|| InferError::Constraint("empty schema".into()))?;
    if let Some(obj) = out.as_object_mut() {
        obj.insert("x-guidance".into(), compact_json());
    }
    Ok(out)
}

/// llguidance's compact JSON settings: no free whitespace, which a model
/// could otherwise emit until its token budget runs out.
fn compact_json() -> Value {
    json!({"item_separator": ",", "key_separator": ":", "whitespace_flexible": false})
}

/// The generation schema of `kind` (see the module docs), with llguidance's
/// compact JSON settings (`x-guidance`: no free whitespace).
pub fn generation_schema(
    kind: PolicyKind,
    tightening: &Tightening,
    limits: &SchemaLimits,
) -> Result<Value, InferError> {
    let root = builtin_schema(kind);
    let mut shaper = Shaper {
        root: &root,
        limits,
        tight: tightening,
        kind: Some(kind),
        stack: Vec::new(),
    };
    let mut schema = shaper
        .shape(&root, &[], true)?
        .ok_or_else(|| InferError::Constraint(format!("{}: empty schema", kind.kind())))?;
    let obj = schema
        .as_object_mut()
        .ok_or_else(|| InferError::Constraint("root schema is not an object".into()))?;
    let props = obj
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| InferError::Constraint("root `properties` is not an object".into()))?;
    // The API server writes `status`; a policy someone writes never has one.
    props.remove("status");
    props.insert("apiVersion".into(), json!({"const": kind.api_version()}));
    props.insert("kind".into(), json!({"const": kind.kind()}));
    props.insert("metadata".into(), metadata_schema(kind, tightening, limits));
    // apiVersion, kind, metadata first, in that order, then the rest.
    let mut ordered = Map::new();
    for k in ["apiVersion", "kind", "metadata"] {
        if let Some(v) = props.remove(k) {
            ordered.insert(k.into(), v);
        }
    }
    ordered.extend(std::mem::take(props));
    *props = ordered;
    let mut required: Vec<Value> = vec!["apiVersion".into(), "kind".into(), "metadata".into()];
    if let Some(Value::Array(r)) = obj.get("required") {
        for v in r {
            if !required.contains(v) {
                required.push(v.clone());
            }
        }
    }
    obj.insert("required".into(), Value::Array(required));
    obj.insert("additionalProperties".into(), Value::Bool(false));
    obj.insert("x-guidance".into(), compact_json());
    Ok(schema)
}

fn metadata_schema(kind: PolicyKind, t: &Tightening, limits: &SchemaLimits) -> Value {
    let mut props = Map::new();
    props.insert(
        "name".into(),
        json!({"type": "string", "pattern": DNS_SUBDOMAIN, "minLength": 1, "maxLength": limits.max_string_len.min(63)}),
    );
    if kind.namespaced() {
        let ns = if t.namespaces.is_empty() {
            json!({"type": "string", "pattern": DNS_LABEL, "minLength": 1, "maxLength": limits.max_string_len.min(63)})
        } else {
            json!({"enum": t.namespaces.iter().collect::<Vec<_>>()})
        };
        props.insert("namespace".into(), ns);
    }
    // A document shaped by the intent names no labels of its own (a
    // small model fills a free map with repeated keys).
    if t.forced.is_empty() {
        props.insert("labels".into(), label_map(t, limits));
    }
    // An observed namespace is the one to use, not an option.
    let required = if kind.namespaced() && !t.namespaces.is_empty() {
        json!(["name", "namespace"])
    } else {
        json!(["name"])
    };
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// A label map: observed labels when there are some, else bounded label keys and values.
fn label_map(t: &Tightening, limits: &SchemaLimits) -> Value {
    labels_schema(&t.labels, limits)
}

/// A label map of `labels` (key → allowed values), or any bounded labels when empty.
fn labels_schema(labels: &BTreeMap<String, BTreeSet<String>>, limits: &SchemaLimits) -> Value {
    if labels.is_empty() {
        json!({
            "type": "object",
            "patternProperties": {
                LABEL_KEY: {"type": "string", "pattern": LABEL_VALUE, "maxLength": limits.max_string_len.min(63)}
            },
            "additionalProperties": false,
            "maxProperties": limits.max_map_entries,
        })
    } else {
        let props: Map<String, Value> = labels
            .iter()
            .map(|(k, vs)| (k.clone(), json!({"enum": vs.iter().collect::<Vec<_>>()})))
            .collect();
        json!({"type": "object", "properties": props, "additionalProperties": false})
    }
}

/// Keywords copied as they are.
const KEEP: &[&str] = &[
    "type",
    "enum",
    "const",
    "required",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minProperties",
    "maxProperties",
];

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "definitions",
    "title",
    "description",
    "default",
    "examples",
    "nullable",
    "readOnly",
    "writeOnly",
    "deprecated",
    "$comment",
];

/// Formats llguidance implements (and the validator checks the same way).
const LLG_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// The range an integer `format` (as schemars writes Rust's types) stands
/// for; llguidance does not know these formats, bounds it does.
fn integer_format_bounds(format: &str) -> Option<(i64, i64)> {
    Some(match format {
        "uint8" => (0, u8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        _ => return None,
    })
}

struct Shaper<'a> {
    root: &'a Value,
    limits: &'a SchemaLimits,
    tight: &'a Tightening,
    /// The policy kind, for its own rules; `None` for other documents.
    kind: Option<PolicyKind>,
    stack: Vec<String>,
}

fn types_of(node: &Map<String, Value>) -> Vec<&str> {
    match node.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl Shaper<'_> {
    fn resolve(&self, r: &str) -> Result<&Value, InferError> {
        r.strip_prefix('#')
            .and_then(|p| self.root.pointer(p))
            .ok_or_else(|| InferError::Constraint(format!("unresolvable $ref {r:?}")))
    }

    /// The shaped schema, or `None` when the node cannot be generated here
    /// (a recursion cut or a field left out); `path` is the property names
    /// down to this node.
    fn shape(
        &mut self,
        node: &Value,
        path: &[&str],
        required: bool,
    ) -> Result<Option<Value>, InferError> {
        let node = match node {
            Value::Bool(true) => return Ok(Some(json!({}))),
            Value::Bool(false) => return Ok(None),
            Value::Object(m) => m,
            _ => {
                return Err(InferError::Constraint(format!(
                    "schema at {path:?} is not an object"
                )));
            }
        };
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            let r = r.to_string();
            if self.stack.iter().filter(|s| **s == r).count() >= 1 {
                return if required {
                    Err(InferError::Constraint(format!(
                        "required recursive type {r} at {}",
                        path.join(".")
                    )))
                } else {
                    Ok(None)
                };
            }
            let target = self.resolve(&r)?.clone();
            let mut merged = match target {
                Value::Object(m) => m,
                other => return self.shape(&other, path, required),
            };
            for (k, v) in node {
                if k != "$ref" {
                    merged.insert(k.clone(), v.clone());
                }
            }
            self.stack.push(r);
            let out = self.shape(&Value::Object(merged), path, required);
            self.stack.pop();
            return out;
        }
        if path.len() > self.limits.max_depth && !required {
            return Ok(None);
        }
        if let Some(v) = self.tight.forced.get(&path.join(".")) {
            return Ok(Some(json!({"const": v})));
        }
        if let Some(v) = self.tightened(node, path) {
            return Ok(Some(v));
        }
        let mut out = Map::new();
        for (k, v) in node {
            let k = k.as_str();
            match k {
                _ if KEEP.contains(&k) => {
                    out.insert(k.into(), v.clone());
                }
                _ if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {}
                "format" => {
                    let f = v.as_str().unwrap_or("");
                    if f == "cidr" {
                        out.insert("pattern".into(), Value::String(IPV4_CIDR.into()));
                    } else if LLG_FORMATS.contains(&f) {
                        out.insert("format".into(), v.clone());
                    } else if let Some((lo, hi)) = integer_format_bounds(f) {
                        // The schema's own bounds, when it has them, win.
                        out.entry("minimum").or_insert(lo.into());
                        out.entry("maximum").or_insert(hi.into());
                    }
                }
                "uniqueItems" => {
                    if v == &Value::Bool(true) {
                        out.insert("x-unique".into(), Value::Bool(true));
                    }
                }
                "properties"
                | "additionalProperties"
                | "items"
                | "anyOf"
                | "oneOf"
                | "allOf"
                | "patternProperties" => {}
                other => {
                    return Err(InferError::Constraint(format!(
                        "{}: keyword {other:?} at {} is not supported by constrained decoding",
                        self.kind.map_or("schema", |k| k.kind()),
                        if path.is_empty() {
                            "the root".to_string()
                        } else {
                            path.join(".")
                        }
                    )));
                }
            }
        }
        let req = names(node.get("required"));
        if let Some(Value::Object(props)) = node.get("properties") {
            let mut shaped = Map::new();
            for (name, sub) in props {
                if self.left_out(path, name) {
                    continue;
                }
                let mut p = path.to_vec();
                p.push(name);
                if let Some(s) = self.shape(sub, &p, req.contains(name))? {
                    shaped.insert(name.clone(), s);
                }
            }
            if let Some(allowed) = self.tight.closed.get(&path.join(".")) {
                shaped.retain(|k, _| allowed.contains(k));
            }
            if let Some(names) = self.tight.required.get(&path.join(".")) {
                let present: Vec<&String> =
                    names.iter().filter(|n| shaped.contains_key(*n)).collect();
                for n in &present {
                    // A required rule list has at least one rule.
                    if let Some(o) = shaped.get_mut(*n).and_then(Value::as_object_mut)
                        && (o.get("type") == Some(&json!("array")) || o.contains_key("items"))
                    {
                        let min = o.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                        o.insert("minItems".into(), json!(min.max(1)));
                    }
                }
                alternatives::require(&mut out, present);
            }
            out.insert("properties".into(), Value::Object(shaped));
        }
        match node.get("additionalProperties") {
            Some(Value::Object(sub)) => {
                let mut p = path.to_vec();
                p.push("*");
                let value = self
                    .shape(&Value::Object(sub.clone()), &p, false)?
                    .unwrap_or(json!({"type": "string", "maxLength": 0}));
                let mut pp = Map::new();
                pp.insert(LABEL_KEY.into(), value);
                out.insert("patternProperties".into(), Value::Object(pp));
                out.insert("additionalProperties".into(), Value::Bool(false));
                cap(&mut out, "maxProperties", self.limits.max_map_entries);
            }
            Some(Value::Bool(false)) => {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            _ => {
                // Open objects (preserve-unknown-fields) get only their declared properties.
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        if node.contains_key("patternProperties") {
            return Err(InferError::Constraint(format!(
                "patternProperties at {} is not supported",
                path.join(".")
            )));
        }
        if let Some(items) = node.get("items") {
            let mut p = path.to_vec();
            p.push("[]");
            match self.shape(items, &p, true)? {
                Some(s) => {
                    out.insert("items".into(), s);
                }
                None => {
                    out.insert("maxItems".into(), json!(0));
                }
            }
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(Value::Array(alts)) = node.get(key) {
                let mut shaped = Vec::new();
                for a in alts {
                    match self.shape(a, path, required && key == "allOf")? {
                        Some(s) => shaped.push(s),
                        None if key == "allOf" => return Ok(None),
                        None => {}
                    }
                }
                if shaped.is_empty() {
                    return Ok(None);
                }
                if key != "allOf" {
                    let wanted = self.tight.required.get(&path.join("."));
                    if key == "anyOf"
                        && wanted.is_some_and(|w| required_only_alternative_holds(alts, w))
                    {
                        // "at least one of these properties" (Cilium's spec:
                        // ingress, ingressDeny, egress or egressDeny), and
                        // the skeleton requires one or more of them: the
                        // required names make it hold. Choosing one (or
                        // keeping them disjoint, as oneOf's) would forbid a
                        // policy with two sections.
                        continue;
                    }
                    if let Some(names) = wanted.and_then(|w| chosen_alternative(&shaped, w)) {
                        // The skeleton picks one alternative: it holds, the others' names go.
                        choose(&mut out, &shaped, &names);
                        continue;
                    }
                    let small = out
                        .get("properties")
                        .is_some_and(|p| p.to_string().len() <= OPEN_ALTERNATIVES_BYTES);
                    if small {
                        open_alternatives(&mut shaped, out.get("properties"));
                    }
                }
                out.insert(key.into(), Value::Array(shaped));
            }
        }
        let types = types_of(node);
        let has_values = out.contains_key("enum") || out.contains_key("const");
        // A leaf without a type takes any JSON value: bound its strings and numbers too.
        let untyped = types.is_empty()
            && !["anyOf", "oneOf", "allOf", "$ref", "properties", "items"]
                .iter()
                .any(|k| out.contains_key(*k));
        if !has_values {
            if types.contains(&"string") || untyped {
                cap(&mut out, "maxLength", self.limits.max_string_len);
                // JSON lets C1 control characters stand raw in a string,
                // YAML (the documents' reader) refuses them.
                let printable = match out.get("pattern").and_then(Value::as_str) {
                    Some(p) => printable_pattern(p),
                    None => PRINTABLE.to_string(),
                };
                out.insert("pattern".into(), json!(printable));
            }
            if types.contains(&"integer") || types.contains(&"number") || untyped {
                let m = self.limits.max_number;
                if !out.contains_key("maximum") && !out.contains_key("exclusiveMaximum") {
                    out.insert("maximum".into(), json!(m));
                }
                if !out.contains_key("minimum") && !out.contains_key("exclusiveMinimum") {
                    out.insert("minimum".into(), json!(-m));
                }
            }
            if types.contains(&"array") || out.contains_key("items") {
                let unique = out.remove("x-unique").is_some();
                cap(
                    &mut out,
                    "maxItems",
                    if unique { 1 } else { self.limits.max_items },
                );
                if let Some(&n) = self.tight.max_items.get(&path.join(".")) {
                    cap(&mut out, "maxItems", n);
                }
                let min = out.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                if let Some(max) = out.get("maxItems").and_then(Value::as_u64)
                    && max < min
                {
                    out.insert("maxItems".into(), json!(min));
                }
            }
        }
        out.remove("x-unique");
        // NetworkPolicy: numeric ports only (a named port must be an IANA name).
        if self.kind == Some(PolicyKind::NetworkPolicy) && path.ends_with(&["ports", "[]", "port"])
        {
            return Ok(Some(
                json!({"type": "integer", "minimum": 1, "maximum": 65535}),
            ));
        }
        // Calico: `ports` items are int-or-string (a port, a range "80:90" or a
        // named port); generated ones are port numbers, the intent's when it names some.
        if self
            .kind
            .is_some_and(|k| k.engine() == kubescribe_core::Engine::Calico)
            && path.ends_with(&["ports", "[]"])
        {
            return Ok(Some(if self.tight.ports.is_empty() {
                json!({"type": "integer", "minimum": 1, "maximum": 65535})
            } else {
                json!({"enum": self.tight.ports.iter().collect::<Vec<_>>()})
            }));
        }
        // NetworkPolicy: the API server's policy types, at most two (the
        // OpenAPI schema says "string"; layer 1 refuses anything else).
        if self.kind == Some(PolicyKind::NetworkPolicy) && path.ends_with(&["spec", "policyTypes"])
        {
            out.insert("maxItems".into(), json!(2));
            out.insert("items".into(), json!({"enum": ["Ingress", "Egress"]}));
            return Ok(Some(Value::Object(out)));
        }
        // NetworkPolicy: the API server accepts only these protocols.
        if self.kind == Some(PolicyKind::NetworkPolicy)
            && path.ends_with(&["ports", "[]", "protocol"])
        {
            return Ok(Some(json!({"enum": ["TCP", "UDP", "SCTP"]})));
        }
        Ok(Some(Value::Object(out)))
    }

    /// Fields left out of generation (cross-field rules, see the module
    /// docs), unless the faithful policy states them here (the intent's own
    /// port range or excepted CIDRs, forced as the intent gives them).
    fn left_out(&self, path: &[&str], name: &str) -> bool {
        let cross_field = match self.kind {
            Some(PolicyKind::NetworkPolicy) => {
                name == "endPort" || (name == "except" && path.last() == Some(&"ipBlock"))
            }
            _ => false,
        };
        cross_field
            && !self
                .tight
                .required
                .get(&path.join("."))
                .is_some_and(|names| names.contains(name))
    }

    /// The observed values for this field, when the request tightens it.
    fn tightened(&self, node: &Map<String, Value>, path: &[&str]) -> Option<Value> {
        let t = self.tight;
        let last = *path.last()?;
        let parent = path.len().checked_sub(2).map(|i| path[i]);
        if last == "matchLabels" && !t.peer_labels.is_empty() {
            // Not the scope's (forced above): a peer's.
            let mut m = labels_schema(&t.peer_labels, self.limits);
            if t.peer_labels_exact {
                m["required"] = json!(t.peer_labels.keys().collect::<Vec<_>>());
            }
            return Some(m);
        }
        if last == "matchLabels" && !t.labels.is_empty() {
            return Some(label_map(t, self.limits));
        }
        if last == "port" && !t.ports.is_empty() {
            let types = types_of(node);
            return Some(if types.contains(&"integer") {
                json!({"enum": t.ports.iter().collect::<Vec<_>>()})
            } else {
                json!({"enum": t.ports.iter().map(|p| p.to_string()).collect::<Vec<_>>()})
            });
        }
        let grand = path.len().checked_sub(4).map(|i| path[i]);
        if last == "path"
            && parent == Some("[]")
            && !t.paths.is_empty()
            && path.len() >= 3
            && path[path.len() - 3] == "matchPaths"
            && grand == Some("file")
        {
            // KubeArmor file.matchPaths[].path
            return Some(json!({"enum": t.paths.iter().collect::<Vec<_>>()}));
        }
        if last == "path"
            && parent == Some("[]")
            && !t.sources.is_empty()
            && path.len() >= 3
            && path[path.len() - 3] == "fromSource"
        {
            // KubeArmor fromSource[].path
            return Some(json!({"enum": t.sources.iter().collect::<Vec<_>>()}));
        }
        if last == "path" && parent == Some("[]") && !t.binaries.is_empty() {
            // KubeArmor process.matchPaths[].path
            if path.len() >= 3 && path[path.len() - 3] == "matchPaths" && grand == Some("process") {
                return Some(json!({"enum": t.binaries.iter().collect::<Vec<_>>()}));
            }
        }
        if last == "dir"
            && !t.path_prefixes.is_empty()
            && path.len() >= 3
            && path[path.len() - 3] == "matchDirectories"
        {
            return Some(json!({"enum": t.path_prefixes.iter().collect::<Vec<_>>()}));
        }
        if last == "[]"
            && parent == Some("values")
            && !t.arg_values.is_empty()
            && path.len() >= 4
            && path[path.len() - 4] == "matchArgs"
        {
            // Tetragon matchArgs[].values[]
            return Some(json!({"enum": t.arg_values.iter().collect::<Vec<_>>()}));
        }
        if last == "[]" && parent == Some("values") && !t.binaries.is_empty() {
            // Tetragon matchBinaries[].values[]
            if path.len() >= 4 && path[path.len() - 4] == "matchBinaries" {
                return Some(json!({"enum": t.binaries.iter().collect::<Vec<_>>()}));
            }
        }
        None
    }
}

fn cap(out: &mut Map<String, Value>, key: &str, limit: usize) {
    let v = out
        .get(key)
        .and_then(Value::as_u64)
        .map_or(limit as u64, |x| x.min(limit as u64));
    out.insert(key.into(), json!(v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_narrowed_to_characters_yaml_can_carry() {
        let any = format!("[^{UNPRINTABLE}]*");
        assert_eq!(printable_pattern("^.*"), format!("^(?:{any}){any}$"));
        assert_eq!(
            printable_pattern(r"^\/+.*[^\/]$"),
            format!(r"^(?:\/+{any}[^{UNPRINTABLE}\/])$")
        );
        // Anchors inside alternatives stand for the outer ones.
        assert_eq!(
            printable_pattern(r"(^\/$)|(^[a-z]+$)"),
            r"^(?:(\/)|([a-z]+))$"
        );
        // Literals, escapes and positive classes stay; a dot in a class is a dot.
        assert_eq!(
            printable_pattern(r"[a-z0-9.\-]+\.x\$"),
            format!(r"^{any}(?:[a-z0-9.\-]+\.x\$){any}$")
        );
        assert_eq!(narrow(r"\S+").0, format!(r"[^\s{UNPRINTABLE}]+"));
    }
}
