//! The built-in JSON Schema of each policy kind, produced from the typed models.
//!
//! schemars turns the Rust types into JSON Schema (draft 2020-12). The
//! generated models already carry every CRD constraint as attributes; this
//! module adds what the API server applies to every object:
//!
//! * strict field validation: every object with declared `properties` and no
//!   `additionalProperties` gets `additionalProperties: false` (this reaches
//!   k8s-openapi's types, which do not deny unknown fields themselves);
//! * `x-kubernetes-int-or-string` becomes `type: [integer, string]`;
//! * Kubernetes NetworkPolicy: `apiVersion`/`kind` constants and the
//!   `podSelector` requirement (defaulted to `{}`) of the 1.33 OpenAPI schema.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::{calico, cilium, kubearmor, kubernetes, tetragon};
use crate::engine::PolicyKind;

fn schema_of<T: JsonSchema>() -> Value {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.to_value()
}

/// The built-in JSON Schema (draft 2020-12) for a policy kind.
pub fn builtin_schema(kind: PolicyKind) -> Value {
    let mut schema = match kind {
        PolicyKind::KubeArmorPolicy => schema_of::<kubearmor::KubeArmorPolicy>(),
        PolicyKind::KubeArmorHostPolicy => schema_of::<kubearmor::KubeArmorHostPolicy>(),
        PolicyKind::KubeArmorClusterPolicy => schema_of::<kubearmor::KubeArmorClusterPolicy>(),
        PolicyKind::KubeArmorNetworkPolicy => schema_of::<kubearmor::KubeArmorNetworkPolicy>(),
        PolicyKind::TracingPolicy => schema_of::<tetragon::TracingPolicy>(),
        PolicyKind::TracingPolicyNamespaced => schema_of::<tetragon::TracingPolicyNamespaced>(),
        PolicyKind::CiliumNetworkPolicy => schema_of::<cilium::CiliumNetworkPolicy>(),
        PolicyKind::CiliumClusterwideNetworkPolicy => {
            schema_of::<cilium::CiliumClusterwideNetworkPolicy>()
        }
        PolicyKind::NetworkPolicy => {
            let mut s = schema_of::<kubernetes::NetworkPolicy>();
            kubernetes_overlay(&mut s);
            s
        }
        PolicyKind::CalicoNetworkPolicy => schema_of::<calico::NetworkPolicy>(),
        PolicyKind::CalicoGlobalNetworkPolicy => schema_of::<calico::GlobalNetworkPolicy>(),
        PolicyKind::CalicoStagedNetworkPolicy => schema_of::<calico::StagedNetworkPolicy>(),
        PolicyKind::CalicoStagedGlobalNetworkPolicy => {
            schema_of::<calico::StagedGlobalNetworkPolicy>()
        }
        PolicyKind::CalicoStagedKubernetesNetworkPolicy => {
            schema_of::<calico::StagedKubernetesNetworkPolicy>()
        }
    };
    apply_api_server_semantics(&mut schema);
    schema
}

/// Strict field validation and int-or-string, applied to every sub-schema.
///
/// Also removes the `null` alternatives schemars adds for `Option` fields:
/// nulls are pruned before validation (as the API server does), and without
/// them a validation error points at the real problem instead of at an
/// `anyOf` with `null`.
pub fn apply_api_server_semantics(schema: &mut Value) {
    walk(schema, true);
}

/// `structural` is false below `oneOf`/`anyOf`/`allOf`/`not`: those branches
/// only add constraints (as in a CRD's structural schema) and stay open.
fn walk(schema: &mut Value, structural: bool) {
    let Value::Object(map) = schema else { return };
    strip_null_alternative(map);
    if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
        && !map.contains_key("type")
    {
        map.insert("type".into(), json!(["integer", "string"]));
    }
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if structural
        && map.contains_key("properties")
        && !map.contains_key("additionalProperties")
        && !preserves
    {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (key, v) in map.iter_mut() {
        match key.as_str() {
            "properties" | "$defs" | "definitions" => {
                if let Value::Object(children) = v {
                    children.values_mut().for_each(|c| walk(c, structural));
                }
            }
            "items" | "additionalProperties" => walk(v, structural),
            "oneOf" | "anyOf" | "allOf" => {
                if let Value::Array(alts) = v {
                    // A lone alternative left by null-stripping is structural.
                    let structural_alts = structural && alts.len() == 1;
                    alts.iter_mut().for_each(|a| walk(a, structural_alts));
                }
            }
            "not" => walk(v, false),
            _ => {}
        }
    }
}

fn strip_null_alternative(map: &mut Map<String, Value>) {
    let is_null = |v: &Value| v.get("type") == Some(&Value::from("null"));
    if let Some(Value::Array(alts)) = map.get_mut("anyOf")
        && alts.iter().any(is_null)
    {
        alts.retain(|v| !is_null(v));
        if alts.len() == 1 {
            let only = alts.pop().unwrap_or(Value::Null);
            map.remove("anyOf");
            if let Value::Object(inner) = only {
                for (k, v) in inner {
                    map.entry(k).or_insert(v);
                }
            }
        }
    }
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let t = types.pop().unwrap_or(Value::Null);
            map.insert("type".into(), t);
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

fn kubernetes_overlay(schema: &mut Value) {
    let Some(root) = schema.as_object_mut() else {
        return;
    };
    if let Some(props) = root.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert(
            "apiVersion".into(),
            json!({"type": "string", "const": "networking.k8s.io/v1"}),
        );
        props.insert(
            "kind".into(),
            json!({"type": "string", "const": "NetworkPolicy"}),
        );
    }
    push_required(root, &["apiVersion", "kind", "metadata"]);
    let defs = root.get_mut("$defs").and_then(Value::as_object_mut);
    if let Some(spec) = defs.and_then(|d| {
        d.iter_mut()
            .find(|(k, _)| k.ends_with("NetworkPolicySpec"))
            .map(|(_, v)| v)
    }) && let Some(spec) = spec.as_object_mut()
    {
        // Required, but defaulted to the empty selector (all pods) first.
        push_required(spec, &["podSelector"]);
        if let Some(Value::Object(sel)) = spec
            .get_mut("properties")
            .and_then(|p| p.get_mut("podSelector"))
        {
            sel.insert("default".into(), json!({}));
        }
    }
}

fn push_required(obj: &mut Map<String, Value>, names: &[&str]) {
    let req = obj.entry("required").or_insert_with(|| json!([]));
    if let Some(arr) = req.as_array_mut() {
        for n in names {
            if !arr.iter().any(|v| v == n) {
                arr.push(json!(n));
            }
        }
    }
}

/// The JSON Schema of ObjectMeta used by every kind (with API-server semantics
/// applied; self-contained, referenced types under `$defs`).
pub fn object_meta_schema() -> Value {
    let mut s = schema_of::<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>();
    apply_api_server_semantics(&mut s);
    s
}

/// Applies a schema's `default`s to `value` as the API server does before
/// validation: a missing property whose schema has a `default` gets it, at
/// every level present in the value (through `$ref`, `items`,
/// `additionalProperties` and single-alternative `allOf`/`anyOf`).
pub fn apply_defaults(schema: &Value, value: &mut Value) {
    fill(schema, schema, value, 0);
}

fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(r) = node.get("$ref").and_then(Value::as_str)
            && let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p))
        {
            node = target;
            continue;
        }
        match node
            .get("allOf")
            .or_else(|| node.get("anyOf"))
            .and_then(Value::as_array)
        {
            Some(alts) if alts.len() == 1 && node.get("properties").is_none() => node = &alts[0],
            _ => return node,
        }
    }
    node
}

fn fill(root: &Value, schema: &Value, value: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    let schema = resolve(root, schema);
    match value {
        Value::Object(obj) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    let prop_schema = resolve(root, prop);
                    let default = prop.get("default").or_else(|| prop_schema.get("default"));
                    if !obj.contains_key(name)
                        && let Some(d) = default
                    {
                        obj.insert(name.clone(), d.clone());
                    }
                    if let Some(child) = obj.get_mut(name) {
                        fill(root, prop, child, depth + 1);
                    }
                }
            }
            if let Some(ap) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                let declared = schema.get("properties").and_then(Value::as_object);
                for (k, child) in obj.iter_mut() {
                    if declared.is_none_or(|d| !d.contains_key(k)) {
                        fill(root, ap, child, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|i| i.is_object()) {
                for item in items {
                    fill(root, item_schema, item, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_strict_schema() {
        for &kind in PolicyKind::ALL {
            let s = builtin_schema(kind);
            assert_eq!(s["type"], "object", "{kind}");
            assert_eq!(s["additionalProperties"], false, "{kind}");
            assert!(s["properties"]["metadata"].is_object(), "{kind}");
        }
    }

    #[test]
    fn crd_defaults_are_applied_like_the_api_server() {
        // Tetragon: kprobe args' `type` is required with default `auto`.
        let schema = builtin_schema(PolicyKind::TracingPolicy);
        let mut v = json!({"spec": {"kprobes": [{"call": "fd_install", "args": [{"index": 0}]}]}});
        apply_defaults(&schema, &mut v);
        assert_eq!(v["spec"]["kprobes"][0]["args"][0]["type"], "auto");
        // An explicit value is kept.
        let mut v =
            json!({"spec": {"kprobes": [{"call": "x", "args": [{"index": 0, "type": "int"}]}]}});
        apply_defaults(&schema, &mut v);
        assert_eq!(v["spec"]["kprobes"][0]["args"][0]["type"], "int");
    }

    #[test]
    fn kubearmor_carries_crd_constraints() {
        let s = builtin_schema(PolicyKind::KubeArmorPolicy).to_string();
        // KubeArmor: a matchPaths path must not end in '/', a dir must.
        assert!(s.contains(r#"^\\/+.*[^\\/]$"#), "path pattern missing");
        assert!(s.contains(r#"^\\/$|^\\/.*\\/$"#), "dir pattern missing");
        assert!(s.contains(r#""Audit""#));
    }
}
