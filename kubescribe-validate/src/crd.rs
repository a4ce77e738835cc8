//! User-supplied schemas: a CustomResourceDefinition (YAML or JSON, as
//! `kubectl get crd -o yaml|json` prints it) or an OpenAPI v3 document of a
//! built-in API group (e.g. `networking.k8s.io/v1`), turned into JSON Schema
//! with the API server's semantics:
//!
//! * `openAPIV3Schema` is OpenAPI 3.0 → compiled as draft 4;
//! * `nullable: true` admits `null`;
//! * strict field validation: structural object nodes without
//!   `x-kubernetes-preserve-unknown-fields` reject undeclared fields (nodes
//!   under `oneOf`/`anyOf`/`allOf`/`not` are validation-only and left open);
//! * `x-kubernetes-int-or-string` admits integers and strings;
//! * `x-kubernetes-list-type: set` requires unique items;
//! * `metadata` is validated as ObjectMeta, as the API server does;
//! * CEL rules (`x-kubernetes-validations`) are kept in [`CrdSchema::raw`]
//!   and evaluated by [`crate::cel`].

use serde_json::{Map, Value, json};

use crate::error::ValidateError;

/// One kind's schema taken from a user-supplied file.
#[derive(Debug, Clone)]
pub struct CrdSchema {
    /// `group/version` (or `v1` for the core group).
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// Draft-4 JSON Schema with API-server semantics applied.
    pub schema: Value,
    /// The `openAPIV3Schema` as the CRD gives it (for its CEL rules); `None`
    /// for kinds taken from an OpenAPI document.
    pub raw: Option<Value>,
}

/// Reads every served version of every CRD (or OpenAPI kind) in `text`.
pub fn load(origin: &str, text: &str) -> Result<Vec<CrdSchema>, ValidateError> {
    let err = |message: String| ValidateError::Crd {
        origin: origin.to_string(),
        message,
    };
    let limits = kubescribe_core::ReadLimits {
        max_bytes: kubescribe_core::limits::CRD_MAX_BYTES,
        max_depth: kubescribe_core::limits::CRD_MAX_DEPTH,
        ..Default::default()
    };
    let set = kubescribe_core::document::read_bytes(origin, text.as_bytes(), &limits)?;
    let mut out = Vec::new();
    for doc in &set.documents {
        let v = &doc.value;
        if v.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition") {
            out.extend(from_crd(v).map_err(err)?);
        } else if v.pointer("/components/schemas").is_some() {
            out.extend(from_openapi(v));
        }
    }
    if out.is_empty() {
        return Err(err(
            "no CustomResourceDefinition with an openAPIV3Schema, and no OpenAPI v3 `components.schemas` with x-kubernetes-group-version-kind".into(),
        ));
    }
    Ok(out)
}

fn from_crd(crd: &Value) -> Result<Vec<CrdSchema>, String> {
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .ok_or("CRD without spec.group")?;
    let kind = crd
        .pointer("/spec/names/kind")
        .and_then(Value::as_str)
        .ok_or("CRD without spec.names.kind")?;
    let mut out = Vec::new();
    for ver in crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if ver.get("served") == Some(&Value::Bool(false)) {
            continue;
        }
        let name = ver
            .get("name")
            .and_then(Value::as_str)
            .ok_or("version without name")?;
        let Some(root) = ver.pointer("/schema/openAPIV3Schema").cloned() else {
            continue;
        };
        let raw = root.clone();
        let mut schema = root;
        // The API server always accepts the type and object metadata at the
        // root, whether or not the CRD's schema declares them.
        if let Value::Object(m) = &mut schema {
            let props = m.entry("properties").or_insert_with(|| json!({}));
            if let Value::Object(p) = props {
                for k in ["apiVersion", "kind"] {
                    p.entry(k).or_insert_with(|| json!({"type": "string"}));
                }
                p.entry("metadata")
                    .or_insert_with(|| json!({"type": "object"}));
            }
        }
        convert(&mut schema, true);
        use_object_meta(&mut schema);
        out.push(CrdSchema {
            api_version: format!("{group}/{name}"),
            kind: kind.to_string(),
            schema,
            raw: Some(raw),
        });
    }
    Ok(out)
}

fn from_openapi(doc: &Value) -> Vec<CrdSchema> {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let mut converted = Map::new();
    for (name, s) in schemas {
        let mut s = s.clone();
        convert(&mut s, true);
        converted.insert(name.clone(), s);
    }
    let mut out = Vec::new();
    for (name, s) in schemas {
        for gvk in s
            .get("x-kubernetes-group-version-kind")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let group = gvk.get("group").and_then(Value::as_str).unwrap_or("");
            let version = gvk.get("version").and_then(Value::as_str).unwrap_or("");
            let kind = gvk.get("kind").and_then(Value::as_str).unwrap_or("");
            let api_version = if group.is_empty() {
                version.to_string()
            } else {
                format!("{group}/{version}")
            };
            out.push(CrdSchema {
                api_version,
                kind: kind.to_string(),
                schema: json!({
                    "allOf": [{"$ref": format!("#/components/schemas/{}", name.replace('~', "~0").replace('/', "~1"))}],
                    "components": {"schemas": Value::Object(converted.clone())},
                }),
                raw: None,
            });
        }
    }
    out
}

/// Applies API-server semantics to an OpenAPI v3 schema node (see module docs).
fn convert(node: &mut Value, structural: bool) {
    let Value::Object(map) = node else { return };
    if map.remove("nullable") == Some(Value::Bool(true))
        && let Some(Value::String(t)) = map.get("type").cloned()
    {
        map.insert("type".into(), json!([t, "null"]));
    }
    if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        map.remove("type");
        if !map.contains_key("anyOf") {
            map.insert(
                "anyOf".into(),
                json!([{"type": "integer"}, {"type": "string"}]),
            );
        }
    }
    if map.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("set") {
        map.insert("uniqueItems".into(), Value::Bool(true));
    }
    let preserve = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || map.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
    let is_object =
        map.get("type").and_then(Value::as_str) == Some("object") || map.contains_key("properties");
    if structural && is_object && !preserve && !map.contains_key("additionalProperties") {
        map.entry("properties").or_insert_with(|| json!({}));
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        props.values_mut().for_each(|p| convert(p, structural));
    }
    if let Some(items) = map.get_mut("items") {
        convert(items, structural);
    }
    if let Some(ap @ Value::Object(_)) = map.get_mut("additionalProperties") {
        convert(ap, structural);
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(alts)) = map.get_mut(k) {
            alts.iter_mut().for_each(|a| convert(a, false));
        }
    }
    if let Some(not) = map.get_mut("not") {
        convert(not, false);
    }
}

/// Validates `metadata` as ObjectMeta (the API server's own check), using the
/// same schema the built-in models use.
fn use_object_meta(schema: &mut Value) {
    let meta = kubescribe_core::policy::schema::object_meta_schema();
    let Value::Object(root) = schema else { return };
    let mut defs = meta.get("$defs").cloned().unwrap_or_else(|| json!({}));
    let mut meta_only = meta.clone();
    if let Value::Object(m) = &mut meta_only {
        m.remove("$defs");
        m.remove("$schema");
    }
    if let Value::Object(d) = &mut defs {
        d.insert("ObjectMeta".into(), meta_only);
    }
    root.insert("$defs".into(), defs);
    if let Some(Value::Object(props)) = root.get_mut("properties") {
        props.insert("metadata".into(), json!({"$ref": "#/$defs/ObjectMeta"}));
    }
}
