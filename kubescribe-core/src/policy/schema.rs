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
use std::collections::HashMap;

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
///
/// Compiles the schema's defaults each call: for many values, compile once
/// with [`Defaults::compile`] and [`Defaults::apply`] it.
pub fn apply_defaults(schema: &Value, value: &mut Value) {
    Defaults::compile(schema).apply(value);
}

/// A schema's `default`s compiled for [`apply_defaults`]: `$ref`s and
/// single alternatives resolved once, and every subschema with no default
/// anywhere below it dropped, so applying them walks only the parts of a
/// value where a default can land. The result is the same as walking the
/// schema itself.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    nodes: Vec<DefaultsNode>,
}

#[derive(Debug, Clone, Default)]
struct DefaultsNode {
    /// In schema order: name, the default (the property's own, else its
    /// resolved schema's), the node of its resolved schema.
    props: Vec<(String, Option<Value>, usize)>,
    /// The node of an object `additionalProperties`, and the names
    /// `properties` declares (`None`: no `properties`).
    additional: Option<(usize, Option<std::collections::HashSet<String>>)>,
    /// The node of an object `items`.
    items: Option<usize>,
    /// Whether a default can land at or below this node.
    useful: bool,
}

impl Defaults {
    /// Compiles the defaults of `schema` (its `$ref`s point into itself).
    pub fn compile(schema: &Value) -> Defaults {
        let mut d = Defaults { nodes: Vec::new() };
        let mut ids: HashMap<*const Value, usize> = HashMap::new();
        d.node(schema, schema, &mut ids);
        // Usefulness through cycles: a fixed point from the nodes with defaults.
        loop {
            let mut changed = false;
            for i in 0..d.nodes.len() {
                if d.nodes[i].useful {
                    continue;
                }
                let n = &d.nodes[i];
                let useful = n
                    .props
                    .iter()
                    .any(|(_, def, c)| def.is_some() || d.nodes[*c].useful)
                    || n.additional
                        .as_ref()
                        .is_some_and(|(c, _)| d.nodes[*c].useful)
                    || n.items.is_some_and(|c| d.nodes[c].useful);
                if useful {
                    d.nodes[i].useful = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // Properties that can neither take a default nor lead to one.
        let useful: Vec<bool> = d.nodes.iter().map(|n| n.useful).collect();
        for n in &mut d.nodes {
            n.props.retain(|(_, def, c)| def.is_some() || useful[*c]);
        }
        d
    }

    /// The node of the schema `node` resolves to (created on first sight).
    fn node(
        &mut self,
        root: &Value,
        node: &Value,
        ids: &mut HashMap<*const Value, usize>,
    ) -> usize {
        let schema = resolve(root, node);
        if let Some(&id) = ids.get(&(schema as *const Value)) {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(DefaultsNode::default());
        ids.insert(schema as *const Value, id);
        let mut props = Vec::new();
        if let Some(ps) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in ps {
                let prop_schema = resolve(root, prop);
                let default = prop
                    .get("default")
                    .or_else(|| prop_schema.get("default"))
                    .cloned();
                let child = self.node(root, prop, ids);
                props.push((name.clone(), default, child));
            }
        }
        let additional = match schema.get("additionalProperties").filter(|a| a.is_object()) {
            Some(ap) => {
                let declared = schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|d| d.keys().cloned().collect());
                Some((self.node(root, ap, ids), declared))
            }
            None => None,
        };
        let items = schema
            .get("items")
            .filter(|i| i.is_object())
            .map(|it| self.node(root, it, ids));
        let n = &mut self.nodes[id];
        n.props = props;
        n.additional = additional;
        n.items = items;
        id
    }

    /// Fills the defaults into `value`.
    pub fn apply(&self, value: &mut Value) {
        if !self.nodes.is_empty() {
            self.fill(0, value, 0);
        }
    }

    fn fill(&self, id: usize, value: &mut Value, depth: usize) {
        let n = &self.nodes[id];
        if depth > 64 || !n.useful {
            return;
        }
        match value {
            Value::Object(obj) => {
                for (name, default, child) in &n.props {
                    if !obj.contains_key(name)
                        && let Some(d) = default
                    {
                        obj.insert(name.clone(), d.clone());
                    }
                    if let Some(v) = obj.get_mut(name) {
                        self.fill(*child, v, depth + 1);
                    }
                }
                if let Some((ap, declared)) = &n.additional
                    && self.nodes[*ap].useful
                {
                    for (k, child) in obj.iter_mut() {
                        if declared.as_ref().is_none_or(|d| !d.contains(k)) {
                            self.fill(*ap, child, depth + 1);
                        }
                    }
                }
            }
            Value::Array(items) => {
                if let Some(it) = n.items {
                    for item in items {
                        self.fill(it, item, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
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

/// The walk [`Defaults`] compiles, kept as the reference its tests compare
/// against.
#[cfg(test)]
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

    /// Compiled defaults give exactly what walking the schema gives: keys,
    /// values and key order, through `$ref` cycles, `additionalProperties`,
    /// `items` and single alternatives.
    #[test]
    fn compiled_defaults_equal_the_schema_walk() {
        let handmade = json!({
            "type": "object",
            "properties": {
                "a": {"$ref": "#/$defs/node", "default": {"x": 1}},
                "b": {"type": "array", "items": {"allOf": [{"$ref": "#/$defs/leaf"}]}},
                "c": {"type": "object", "properties": {"known": {"type": "string"}},
                      "additionalProperties": {"$ref": "#/$defs/leaf"}},
                "d": {"type": "object", "additionalProperties": {"type": "object",
                      "properties": {"z": {"default": 0}}}},
                "e": {"type": "string", "default": "e"},
                "none": {"type": "object", "properties": {"deep": {"type": "object"}}}
            },
            "$defs": {
                "node": {"type": "object", "properties": {
                    "next": {"$ref": "#/$defs/node"},
                    "kind": {"type": "string", "default": "k"}}},
                "leaf": {"type": "object", "properties": {"v": {"default": "leaf"},
                         "w": {"$ref": "#/$defs/leaf"}}}
            }
        });
        let values = [
            json!({}),
            json!({"a": {"next": {"next": {}}}, "b": [{}, {"w": {"w": {}}}, 3],
                   "c": {"known": "x", "other": {}, "more": {"v": 1}},
                   "d": {"p": {}, "q": {"z": 5}}, "none": {"deep": {}}}),
            json!({"e": null, "a": [], "b": {}, "c": [], "d": "s"}),
            json!([{"a": {}}]),
        ];
        let compiled = Defaults::compile(&handmade);
        for v in values {
            let (mut by_walk, mut by_compiled) = (v.clone(), v.clone());
            fill(&handmade, &handmade, &mut by_walk, 0);
            compiled.apply(&mut by_compiled);
            assert_eq!(
                serde_json::to_string(&by_compiled).unwrap(),
                serde_json::to_string(&by_walk).unwrap(),
                "{v}"
            );
        }
        // A value nested past the walk's depth limit stops where it stops.
        let mut deep = json!({});
        for _ in 0..80 {
            deep = json!({"next": deep});
        }
        let mut v = json!({"a": deep});
        let mut w = v.clone();
        fill(&handmade, &handmade, &mut w, 0);
        compiled.apply(&mut v);
        assert_eq!(v, w);
        // The built-in schemas on the repository's example policies.
        let examples = [
            include_str!("../../../examples/policies/calico-db-ordered.yaml"),
            include_str!("../../../examples/policies/kubearmor-nginx-www.yaml"),
            include_str!("../../../examples/policies/network-shop.yaml"),
            include_str!("../../../examples/policies/tetragon-block-passwd-write.yaml"),
        ];
        for text in examples {
            let set = crate::document::read_bytes(
                "example",
                text.as_bytes(),
                &crate::document::ReadLimits::default(),
            )
            .unwrap();
            for doc in &set.documents {
                for &kind in PolicyKind::ALL {
                    let schema = builtin_schema(kind);
                    let (mut by_walk, mut by_compiled) = (doc.value.clone(), doc.value.clone());
                    fill(&schema, &schema, &mut by_walk, 0);
                    Defaults::compile(&schema).apply(&mut by_compiled);
                    assert_eq!(
                        serde_json::to_string(&by_compiled).unwrap(),
                        serde_json::to_string(&by_walk).unwrap(),
                        "{kind}"
                    );
                }
            }
        }
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
