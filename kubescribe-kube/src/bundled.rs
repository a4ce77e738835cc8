//! CEL rules for a CRD the cluster stores without them.
//!
//! API servers before 1.25 drop `x-kubernetes-validations` from the CRDs
//! they store, so the CRD read back from such a cluster has no rules to
//! evaluate. kubescribe's built-in models carry the upstream CRDs' rules
//! (`kubescribe schema policy KIND` shows them); [`with_bundled_rules`]
//! copies them onto the cluster's schema at the same places, so the cluster's
//! structure is checked with the upstream rules.

use serde_json::{Map, Value};

use kubescribe_core::Policy;

const RULES: &str = "x-kubernetes-validations";

/// `schema` with every `$ref` into `defs` replaced by its target (sibling
/// keys kept), up to `depth` levels (recursive types end there).
fn inline(schema: &Value, defs: &Map<String, Value>, depth: usize) -> Value {
    match schema {
        Value::Object(m) => {
            let mut out = Map::new();
            if let Some(target) = m
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .and_then(|name| defs.get(name))
                && depth > 0
                && let Value::Object(t) = inline(target, defs, depth - 1)
            {
                out = t;
            }
            for (k, v) in m {
                if k == "$ref" || k == "$defs" {
                    continue;
                }
                out.entry(k.clone())
                    .or_insert_with(|| inline(v, defs, depth.saturating_sub(1)));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| inline(v, defs, depth)).collect()),
        other => other.clone(),
    }
}

/// A built-in node's structural part: an `anyOf`/`oneOf`/`allOf` of one
/// non-null branch (schemars' `Option<T>`) stands for that branch.
fn structural(node: &Value) -> &Value {
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = node.get(key) {
            let real: Vec<&Value> = branches
                .iter()
                .filter(|b| b.get("type") != Some(&Value::from("null")))
                .collect();
            if let [one] = real.as_slice()
                && node.get("properties").is_none()
                && node.get("items").is_none()
            {
                return structural(one);
            }
        }
    }
    node
}

/// Copies the rules of `bundled` onto `target` where the structures meet;
/// returns how many rule lists were copied.
fn copy_rules(target: &mut Value, bundled: &Value) -> usize {
    let bundled_node = structural(bundled);
    let Value::Object(t) = target else { return 0 };
    let mut n = 0;
    for node in [bundled, bundled_node] {
        if let Some(rules) = node.get(RULES)
            && !t.contains_key(RULES)
        {
            t.insert(RULES.into(), rules.clone());
            n += 1;
        }
    }
    if let (Some(Value::Object(tp)), Some(Value::Object(bp))) =
        (t.get_mut("properties"), bundled_node.get("properties"))
    {
        for (k, b) in bp {
            if let Some(child) = tp.get_mut(k) {
                n += copy_rules(child, b);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let (Some(child), Some(b)) = (t.get_mut(key), bundled_node.get(key))
            && b.is_object()
        {
            n += copy_rules(child, b);
        }
    }
    n
}

/// The cluster's `crd` with the CEL rules of kubescribe's built-in model of
/// `api_version` `kind` added to the version it serves as `api_version`,
/// when that version carries none. `None` when the CRD has rules of its
/// own, kubescribe models no such kind, or the model has no rules.
pub fn with_bundled_rules(crd: &Value, api_version: &str, kind: &str) -> Option<Value> {
    let version = api_version.rsplit_once('/').map_or(api_version, |(_, v)| v);
    let doc = serde_json::json!({"apiVersion": api_version, "kind": kind});
    let model = Policy::kind_of(&doc).ok()?;
    let builtin = kubescribe_core::policy::schema::builtin_schema(model);
    let defs = builtin
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let bundled = inline(&builtin, &defs, 64);
    let mut crd = crd.clone();
    let versions = crd.pointer_mut("/spec/versions")?.as_array_mut()?;
    let v = versions
        .iter_mut()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(version))?;
    let schema = v.pointer_mut("/schema/openAPIV3Schema")?;
    if kubescribe_validate::cel::has_rules(schema) {
        return None;
    }
    (copy_rules(schema, &bundled) > 0).then_some(crd)
}
