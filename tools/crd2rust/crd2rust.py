#!/usr/bin/env python3
"""Generate kubescribe's typed policy models from an engine's CRD `openAPIV3Schema`.

This is a development tool, run by hand when an engine's CRD changes (see
tools/crd2rust/README.md); its output is committed under
kubescribe-core/src/policy/<engine>/model.rs and is the project's own
model from then on. The run-time JSON Schema of each kind is produced from
these Rust types by schemars, so every constraint the CRD imposes (pattern,
enum, range, length, format, oneOf/anyOf, list-type set, CEL rules as
metadata) is written onto the Rust type as a serde/schemars attribute.

Design:
* every object schema with `properties` becomes a `struct` with
  `#[serde(deny_unknown_fields)]` (kubectl's strict field validation);
* structurally identical sub-schemas (descriptions ignored) share one type,
  named after the property that first uses it;
* string enums become Rust enums (one `#[serde(rename)]` per value);
* `x-kubernetes-int-or-string` becomes k8s-openapi's `IntOrString`;
* `x-kubernetes-preserve-unknown-fields` objects without properties become
  `serde_json::Value`;
* constraints without a Rust-type form are written as schemars `extend`
  keywords on the field (or on the struct, for object-level keywords).

Usage: crd2rust.py CONFIG.json   (see tools/crd2rust/engines.json)
"""
import hashlib
import json
import keyword
import re
import subprocess
import sys

import yaml

RUST_KEYWORDS = set(
    "as break const continue crate else enum extern false fn for if impl in let loop match mod move mut "
    "pub ref return self Self static struct super trait true type unsafe use where while async await dyn "
    "abstract become box do final macro override priv typeof unsized virtual yield try gen".split()
)

# Type names that would shadow the Rust prelude or the module's imports.
PRELUDE_NAMES = {"Option", "Result", "Box", "String", "Vec", "Value", "Default", "Some", "None", "Ok", "Err",
                 "BTreeMap", "ObjectMeta", "IntOrString", "JsonSchema", "Serialize", "Deserialize"}

SCALAR_KEYWORDS = [
    "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "multipleOf",
]
ARRAY_KEYWORDS = ["minItems", "maxItems"]
OBJECT_KEYWORDS = ["oneOf", "anyOf", "allOf", "not", "minProperties", "maxProperties"]


def strip_descriptions(s):
    if isinstance(s, dict):
        return {k: strip_descriptions(v) for k, v in s.items() if k != "description"}
    if isinstance(s, list):
        return [strip_descriptions(x) for x in s]
    return s


def key_of(schema):
    return hashlib.sha1(json.dumps(strip_descriptions(schema), sort_keys=True).encode()).hexdigest()


def pascal(name):
    parts = re.split(r"[^0-9A-Za-z]+", name)
    out = []
    for p in parts:
        if not p:
            continue
        out.append(p[0].upper() + p[1:])
    s = "".join(out) or "Value"
    if s[0].isdigit():
        s = "V" + s
    return s


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[^0-9A-Za-z_]+", "_", s).strip("_").lower()
    if not s:
        s = "field"
    if s[0].isdigit():
        s = "f_" + s
    if s in RUST_KEYWORDS:
        s = "r#" + s
    return s


def singular(name):
    for suf, rep in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x")):
        if name.endswith(suf) and len(name) > len(suf) + 1:
            return name[: -len(suf)] + rep
    if name.endswith("s") and not name.endswith("ss") and len(name) > 3:
        return name[:-1]
    return name + "Item"


def doc_lines(desc, indent):
    if not desc:
        return []
    para = desc.strip().split("\n\n")[0]
    para = " ".join(para.split())
    if len(para) > 500:
        cut = para[:500]
        dot = cut.rfind(". ")
        para = cut[: dot + 1] if dot > 200 else cut.rstrip() + "…"
    para = para.replace("*/", "* /")
    return [f"{indent}/// {para}"]


def rust_str(s):
    """A Rust string literal holding s (raw only when it needs escaping)."""
    if re.fullmatch(r"[A-Za-z0-9_.:/ -]*", s):
        return f'"{s}"'
    hashes = "#"
    while f'"{hashes}' in s:
        hashes += "#"
    return f'r{hashes}"{s}"{hashes}'


def json_literal(v):
    """A serde_json::json!-compatible literal for schemars `extend`."""
    return json.dumps(v, ensure_ascii=False)


class Gen:
    def __init__(self, engine):
        self.engine = engine
        self.types = {}  # key -> name
        self.names = set()
        self.items = []  # (name, code)
        self.uses_int_or_string = False

    def fresh(self, hint, parent):
        if hint in PRELUDE_NAMES:
            hint = "Policy" + hint
        name = hint
        if name in self.names:
            name = parent + hint if parent and not hint.startswith(parent) else hint
        base, n = name, 2
        while name in self.names:
            name = f"{base}{n}"
            n += 1
        self.names.add(name)
        return name

    # ---- types -------------------------------------------------------------
    def field_type(self, schema, hint, parent):
        """Returns (rust_type, extend_dict) for a property schema."""
        ext = {}
        if schema.get("x-kubernetes-int-or-string"):
            self.uses_int_or_string = True
            for k in SCALAR_KEYWORDS:
                if k in schema:
                    ext[k] = schema[k]
            ext["x-kubernetes-int-or-string"] = True
            return "IntOrString", ext
        t = schema.get("type")
        if "enum" in schema and t == "string":
            return self.enum_type(schema, hint, parent), {k: schema[k] for k in SCALAR_KEYWORDS if k in schema and k != "format"}
        if t == "string":
            for k in SCALAR_KEYWORDS + ["enum"]:
                if k in schema:
                    ext[k] = schema[k]
            return "String", ext
        if t == "integer":
            for k in SCALAR_KEYWORDS + ["enum"]:
                if k in schema:
                    ext[k] = schema[k]
            return ("i32" if schema.get("format") == "int32" else "i64"), ext
        if t == "number":
            for k in SCALAR_KEYWORDS + ["enum"]:
                if k in schema:
                    ext[k] = schema[k]
            return "f64", ext
        if t == "boolean":
            return "bool", ext
        if t == "array":
            items = schema.get("items", {})
            inner, inner_ext = self.field_type(items, singular(hint), parent)
            for k in ARRAY_KEYWORDS:
                if k in schema:
                    ext[k] = schema[k]
            if schema.get("x-kubernetes-list-type") == "set":
                ext["uniqueItems"] = True
            if inner_ext:
                item_schema = {"type": json_type_of(inner)} if json_type_of(inner) else {}
                item_schema.update(inner_ext)
                ext["items"] = item_schema
            return f"Vec<{inner}>", ext
        if t == "object" or "properties" in schema or "additionalProperties" in schema:
            if "properties" in schema:
                return self.struct_type(schema, hint, parent), ext
            ap = schema.get("additionalProperties")
            if isinstance(ap, dict):
                inner, inner_ext = self.field_type(ap, singular(hint), parent)
                if inner_ext:
                    s = {"type": json_type_of(inner)} if json_type_of(inner) else {}
                    s.update(inner_ext)
                    ext["additionalProperties"] = s
                return f"BTreeMap<String, {inner}>", ext
            if schema.get("x-kubernetes-preserve-unknown-fields") or ap is True:
                return "serde_json::Value", ext
            # `type: object` with nothing declared: the API server prunes every
            # field, strict validation rejects them: an empty struct.
            return self.struct_type({**schema, "properties": {}}, hint, parent), ext
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return "serde_json::Value", ext
        if not schema or set(schema) <= {"description"}:
            return "serde_json::Value", ext
        raise SystemExit(f"unhandled schema at {parent}.{hint}: {json.dumps(schema)[:300]}")

    def enum_type(self, schema, hint, parent):
        k = key_of({"enum": schema["enum"]})
        if k in self.types:
            return self.types[k]
        name = self.fresh(pascal(hint), parent)
        self.types[k] = name
        lines = doc_lines(schema.get("description"), "")
        lines.append("#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]")
        lines.append(f"pub enum {name} {{")
        used = set()
        default = schema.get("default", schema["enum"][0])
        for v in schema["enum"]:
            vn = pascal(str(v)) if str(v) else "Empty"
            if str(v) and str(v)[0].islower() and pascal(str(v)) in used:
                vn = vn + "Lower"
            base, n = vn, 2
            while vn in used:
                vn = f"{base}{n}"
                n += 1
            used.add(vn)
            if v == default:
                lines.append("    #[default]")
            lines.append(f"    #[serde(rename = {rust_str(str(v))})]")
            lines.append(f"    {vn},")
        lines.append("}")
        self.items.append((name, "\n".join(lines)))
        return name

    def struct_type(self, schema, hint, parent, name=None):
        k = key_of(schema)
        if k in self.types and name is None:
            return self.types[k]
        name = name or self.fresh(pascal(hint), parent)
        self.types[k] = name
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        fields = []
        for pname in sorted(props):
            ps = props[pname]
            ty, ext = self.field_type(ps, pascal(pname), name)
            if "default" in ps:
                # The API server applies CRD defaults before validating.
                ext = {**ext, "default": ps["default"]}
            fields.append((pname, ps, ty, ext, pname in required))
        obj_ext = {k2: schema[k2] for k2 in OBJECT_KEYWORDS if k2 in schema}
        if "x-kubernetes-validations" in schema:
            obj_ext["x-kubernetes-validations"] = schema["x-kubernetes-validations"]
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        lines = doc_lines(schema.get("description"), "")
        lines.append("#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]")
        lines.append("#[serde(deny_unknown_fields)]" if not preserve else "")
        if obj_ext:
            lines.append(f"#[schemars(extend({', '.join(f'{json_literal(k2)} = {json_literal(v)}' for k2, v in obj_ext.items())}))]")
        lines.append(f"pub struct {name} {{")
        for pname, ps, ty, ext, req in fields:
            lines.extend(doc_lines(ps.get("description"), "    "))
            fname = snake(pname)
            attrs = []
            if fname.lstrip("r#") != pname:
                attrs.append(f"rename = {rust_str(pname)}")
            if not req:
                if ty.startswith("Vec<"):
                    attrs.append('default, skip_serializing_if = "Option::is_none"')
                    ty_out = f"Option<{ty}>"
                else:
                    attrs.append('default, skip_serializing_if = "Option::is_none"')
                    ty_out = f"Option<{ty}>"
            else:
                ty_out = ty
            if attrs:
                lines.append(f"    #[serde({', '.join(attrs)})]")
            if ext:
                lines.append(f"    #[schemars(extend({', '.join(f'{json_literal(k2)} = {json_literal(v)}' for k2, v in ext.items())}))]")
            lines.append(f"    pub {fname}: {ty_out},")
        if preserve:
            lines.append("    /// Fields the schema preserves without declaring them.")
            lines.append("    #[serde(flatten)]")
            lines.append("    pub extra: BTreeMap<String, serde_json::Value>,")
        lines.append("}")
        self.items.append((name, "\n".join(l for l in lines if l != "")))
        return name


def json_type_of(rust_ty):
    return {
        "String": "string", "i32": "integer", "i64": "integer", "f64": "number", "bool": "boolean",
    }.get(rust_ty)


def load_crd(path):
    with open(path) as f:
        for d in yaml.safe_load_all(f):
            if d and d.get("kind") == "CustomResourceDefinition":
                return d
    raise SystemExit(f"no CRD in {path}")


def main():
    cfg = json.load(open(sys.argv[1]))
    corpus = cfg["corpus"]
    for eng in cfg["engines"]:
        g = Gen(eng["name"])
        roots = []
        for kind_cfg in eng["kinds"]:
            crd = load_crd(f"{corpus}/{kind_cfg['crd']}")
            ver = next(v for v in crd["spec"]["versions"] if v.get("storage"))
            root = ver["schema"]["openAPIV3Schema"]
            kind = crd["spec"]["names"]["kind"]
            spec_props = {}
            for top in ("spec", "specs"):
                if top in root.get("properties", {}):
                    spec_props[top] = root["properties"][top]
            specs = {}
            for top, s in spec_props.items():
                ty, _ext = g.field_type(s, f"{kind}Spec" if top == "spec" else f"{kind}Specs", "")
                specs[top] = ty
            roots.append((kind, crd["spec"]["group"], ver["name"], crd["spec"]["scope"], root, specs))
        out = [
            f"//! Typed model of the {eng['title']} policy kinds.",
            "//!",
            "//! Generated by `tools/crd2rust/crd2rust.py` from the upstream CRDs",
            *[f"//! `{k['crd']}`" for k in eng["kinds"]],
            "//! and committed as the project's own model; regenerate rather than edit by",
            "//! hand. Constraints the CRD imposes are carried as schemars attributes, so",
            "//! the JSON Schema produced from these types validates what the CRD does.",
            "//!",
            "//! Size: generated (one type per CRD schema); regenerate rather than split by hand.",
            "#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)]",
            "",
            "use std::collections::BTreeMap;",
            "",
            "use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;",
            "use schemars::JsonSchema;",
            "use serde::{Deserialize, Serialize};",
            "",
            "#[allow(unused_imports)]",
            "use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;",
            "",
        ]
        for kind, group, version, scope, root, specs in roots:
            required = set(root.get("required", []))
            api_version = f"{group}/{version}"
            out.extend(doc_lines(root.get("description") or f"A {kind} ({api_version}).", ""))
            out.append("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]")
            out.append("#[serde(deny_unknown_fields)]")
            out.append(f"pub struct {kind} {{")
            out.append(f"    /// Always `{api_version}`.")
            out.append('    #[serde(rename = "apiVersion")]')
            out.append(f'    #[schemars(extend("const" = "{api_version}"))]')
            out.append("    pub api_version: String,")
            out.append(f"    /// Always `{kind}`.")
            out.append(f'    #[schemars(extend("const" = "{kind}"))]')
            out.append("    pub kind: String,")
            out.append("    /// Standard object metadata (name, namespace, labels, annotations).")
            out.append("    pub metadata: ObjectMeta,")
            for top, ty in specs.items():
                if top in required:
                    out.append(f"    pub {top}: {ty},")
                else:
                    out.append('    #[serde(default, skip_serializing_if = "Option::is_none")]')
                    out.append(f"    pub {top}: Option<{ty}>,")
            if "status" in root.get("properties", {}):
                out.append("    /// Status written by the engine's controller; ignored on create.")
                out.append('    #[serde(default, skip_serializing_if = "Option::is_none")]')
                out.append("    pub status: Option<serde_json::Value>,")
            out.append("}")
            out.append("")
            out.append(f"impl {kind} {{")
            out.append(f'    /// `apiVersion` of this kind.\n    pub const API_VERSION: &str = "{api_version}";')
            out.append(f'    /// `kind` of this kind.\n    pub const KIND: &str = "{kind}";')
            out.append(f"    /// Whether objects of this kind live in a namespace.\n    pub const NAMESPACED: bool = {'true' if scope == 'Namespaced' else 'false'};")
            out.append("}")
            out.append("")
        for _name, code in g.items:
            out.append(code)
            out.append("")
        text = "\n".join(out).rstrip() + "\n"
        with open(eng["out"], "w") as f:
            f.write(text)
        # Committed output is rustfmt-clean, so regenerating gives no spurious diff.
        subprocess.run(["rustfmt", "--edition", "2024", eng["out"]], check=True)
        print(f"{eng['name']}: {len(g.items)} types -> {eng['out']}")


if __name__ == "__main__":
    main()
