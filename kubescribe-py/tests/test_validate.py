"""Validation from Python: diagnostics carry layer, JSON pointer, line and fix."""

import json

import pytest

import kubescribe
from conftest import EXAMPLES

MISTAKES = EXAMPLES / "policies" / "invalid" / "kubearmor-mistakes.yaml"
GOOD = EXAMPLES / "policies" / "kubearmor-nginx-www.yaml"


def by_path(report):
    return {d.path: d for d in report.diagnostics}


def test_a_file_with_mistakes_gives_pointers_lines_and_fixes():
    [report] = kubescribe.validate(MISTAKES)
    assert report.source == str(MISTAKES)
    assert (report.kind, report.name, report.valid) == ("KubeArmorPolicy", "Nginx_Policy", False)
    d = by_path(report)
    name = d["/metadata/name"]
    assert (name.layer, name.layer_number, name.severity) == ("schema", 1, "error")
    assert name.line == 5
    assert name.rule == "metadata.name"
    assert name.replacement == "nginx-policy"
    assert "nginx-policy" in name.suggestion
    path = d["/spec/file/matchPaths/0/path"]
    assert (path.rule, path.line, path.replacement) == ("pattern", 13, "/etc/nginx")
    unknown = d["/spec/file/matchDirectorys"]
    assert unknown.rule == "additionalProperties"
    assert unknown.replacement == "matchDirectories"
    assert d["/spec/action"].replacement == "Audit"
    assert d["/spec/severity"].rule == "maximum"
    assert len(report.errors) + len(report.warnings) == len(report.diagnostics)
    assert all(x.is_error for x in report.errors)


def test_text_and_dict_input_agree_on_pointers_dicts_have_no_lines():
    text = MISTAKES.read_text()
    [from_text] = kubescribe.validate(text=text, name="mistakes.yaml")
    assert from_text.source == "mistakes.yaml"
    doc = {
        "apiVersion": "security.kubearmor.com/v1",
        "kind": "KubeArmorPolicy",
        "metadata": {"name": "p", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "nginx"}},
            "file": {"matchPaths": [{"path": "/etc/"}]},
            "action": "Block",
        },
    }
    [r] = kubescribe.validate(doc)
    assert not r.valid
    [d] = r.errors
    assert d.path == "/spec/file/matchPaths/0/path"
    assert d.line is None
    assert d.replacement == "/etc"
    two = kubescribe.validate([doc, doc])
    assert [x.index for x in two] == [0, 1]


def test_a_valid_policy_and_its_reports_as_dicts_yaml_and_json():
    [r] = kubescribe.validate(GOOD)
    assert r.valid and r.diagnostics == []
    d = r.to_dict()
    assert d["valid"] is True and d["kind"] == "KubeArmorPolicy" and d["name"] == "nginx-read-www"
    assert "valid: true" in r.to_yaml()
    assert json.loads(r.to_json())["diagnostics"] == []


def test_malformed_yaml_is_a_parse_diagnostic_with_a_line():
    [r] = kubescribe.validate(text="apiVersion: v1\nkind: [unclosed\n")
    assert not r.valid
    [d] = r.diagnostics
    assert (d.layer, d.layer_number, d.rule) == ("parse", 0, "yaml")
    assert d.line is not None


def test_unknown_kind_suggests_the_nearest():
    [r] = kubescribe.validate({"apiVersion": "security.kubearmor.com/v1", "kind": "KubeArmorPolicyy",
                               "metadata": {"name": "x"}})
    [d] = r.diagnostics
    assert (d.layer, d.path, d.replacement) == ("parse", "/kind", "KubeArmorPolicy")


def test_records_are_one_row_per_diagnostic():
    reports = kubescribe.validate(MISTAKES) + kubescribe.validate(GOOD)
    rows = kubescribe.diagnostics_records(reports)
    assert len(rows) == len(reports[0].diagnostics) + 1
    assert {r["path"] for r in rows if r["name"] == "Nginx_Policy"} == {d.path for d in reports[0].diagnostics}
    assert rows[-1]["name"] == "nginx-read-www" and rows[-1]["severity"] is None


def test_policy_from_yaml_raises_validation_error_with_diagnostics():
    with pytest.raises(kubescribe.ValidationError) as e:
        kubescribe.Policy.from_yaml(MISTAKES.read_text())
    assert isinstance(e.value, kubescribe.KubescribeError)
    paths = {d.path for d in e.value.diagnostics}
    assert "/spec/file/matchPaths/0/path" in paths
    assert e.value.reports[0].name == "Nginx_Policy"
    assert "Nginx_Policy" in str(e.value) or "/metadata/name" in str(e.value)
    with pytest.raises(kubescribe.ValidationError):
        kubescribe.validate(MISTAKES)[0].raise_for_errors()
    kubescribe.validate(GOOD)[0].raise_for_errors()


def test_policy_round_trips_through_canonical_yaml_and_dicts():
    p = kubescribe.Policy.from_yaml(GOOD.read_text())
    assert (p.engine, p.kind, p.api_version) == ("kubearmor", "KubeArmorPolicy", "security.kubearmor.com/v1")
    assert (p.name, p.namespace) == ("nginx-read-www", "shop")
    assert kubescribe.Policy.from_yaml(p.to_yaml()) == p
    assert kubescribe.Policy.from_dict(p.to_dict()) == p
    assert kubescribe.Policy.from_json(p.to_json()) == p
    assert p.to_dict()["spec"]["file"]["matchDirectories"][0]["dir"] == "/var/www/"
    assert kubescribe.to_yaml([p, p]).count("---") == 1
    several = kubescribe.parse_policies(EXAMPLES / "policies" / "network-shop.yaml")
    assert len(several) >= 2
    with pytest.raises(kubescribe.ParseError):
        kubescribe.Policy.from_yaml("a: [")


def test_user_crds_add_kinds():
    crd = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
"""
    v = kubescribe.Validator(crd_texts=[crd])
    assert v.crd_kinds == ["example.com/v1/Widget"]
    [r] = v.validate({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                      "spec": {"size": 0}})
    assert [(d.path, d.rule) for d in r.errors] == [("/spec/size", "minimum")]


def test_layer_2_against_the_store(shop_store):
    ksp = ("apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
           "metadata: {name: db, namespace: shop}\nspec:\n  selector: {matchLabels: {app: APP}}\n"
           "  file:\n    matchPaths:\n    - path: PATH\n  action: Block\n")
    [r] = kubescribe.validate(text=ksp.replace("APP", "dbb").replace("PATH", "/etc/mysql/my.cnf"), store=shop_store)
    sel = next(d for d in r.diagnostics if d.rule == "selector")
    assert (sel.layer, sel.layer_number, sel.severity) == ("resource", 2, "error")
    assert (sel.path, sel.line, sel.replacement) == ("/spec/selector/matchLabels/app", 5, "db")
    [ok] = kubescribe.validate(text=ksp.replace("APP", "db").replace("PATH", "/etc/mysql/my.cnf"), store=shop_store)
    assert ok.valid and ok.diagnostics == []
    [w] = kubescribe.validate(text=ksp.replace("APP", "db").replace("PATH", "/etc/mysql/my.conf"), store=shop_store)
    [d] = w.diagnostics
    assert (d.severity, d.path, d.replacement) == ("warning", "/spec/file/matchPaths/0/path", "/etc/mysql/my.cnf")
    assert w.valid
    # Without a store, layer 2 does not run.
    [no_store] = kubescribe.validate(text=ksp.replace("APP", "dbb").replace("PATH", "/x"))
    assert no_store.valid


def test_bad_arguments_raise_type_and_value_errors():
    with pytest.raises(TypeError):
        kubescribe.validate(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        kubescribe.validate([{"a": 1}, "x"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="text="):
        kubescribe.validate()
    with pytest.raises(kubescribe.ArgumentError) as e:
        kubescribe.policy_schema("NoSuchKind")
    assert isinstance(e.value, ValueError)
    assert kubescribe.policy_schema("KubeArmorPolicy")["type"] == "object"
    kinds = kubescribe.policy_kinds()
    assert {"engine": "kubernetes", "api_version": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "namespaced": True} in kinds
    assert kubescribe.engines() == ["kubearmor", "tetragon", "cilium", "kubernetes", "calico"]


def test_over_permissive_rules_are_layer_4_warnings():
    np = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: all-in, namespace: shop}\n"
          "spec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - {}\n")
    [r] = kubescribe.validate(text=np)
    assert r.valid
    [w] = r.warnings
    assert (w.layer, w.layer_number, w.severity) == ("permissive", 4, "warning")
    assert (w.rule, w.path, w.line) == ("allow-all-rule", "/spec/ingress/0", 7)
    [quiet] = kubescribe.validate(text=np, permissive=False)
    assert quiet.diagnostics == []
    assert kubescribe.Validator(permissive=False).validate(text=np)[0].diagnostics == []


def test_a_str_is_a_path_and_text_goes_through_text():
    # The same file given as str, as pathlib.Path and as text= gives the same report.
    [as_str] = kubescribe.validate(str(MISTAKES))
    [as_path] = kubescribe.validate(MISTAKES)
    [as_text] = kubescribe.validate(text=MISTAKES.read_text(), name=str(MISTAKES))
    assert as_str == as_path == as_text
    # YAML passed positionally is taken as a path and is not found (the old meaning is gone).
    with pytest.raises(kubescribe.MissingFileError):
        kubescribe.validate("apiVersion: v1\nkind: NetworkPolicy\n")
    assert kubescribe.parse_policies(str(GOOD)) == kubescribe.parse_policies(text=GOOD.read_text())
    assert kubescribe.Policy.from_file(str(GOOD)) == kubescribe.Policy.from_yaml(GOOD.read_text())


def test_validate_files_validates_many_files_in_input_order():
    files = sorted((EXAMPLES / "policies").rglob("*.yaml"))
    assert len(files) >= 5
    reports = kubescribe.validate_files(files)
    one_by_one = [r for f in files for r in kubescribe.validate(f)]
    assert reports == one_by_one
    assert [r.source for r in reports] == [r.source for r in one_by_one]
    assert any(not r.valid for r in reports) and any(r.valid for r in reports)
    # str and PathLike both; a missing file is reported before anything is validated.
    assert kubescribe.validate_files([str(f) for f in files]) == reports
    with pytest.raises(FileNotFoundError) as e:
        kubescribe.validate_files([files[0], EXAMPLES / "no-such.yaml"])
    assert isinstance(e.value, kubescribe.KubescribeError) and e.value.filename.endswith("no-such.yaml")
    with pytest.raises(TypeError):
        kubescribe.validate_files([{"kind": "x"}])  # type: ignore[list-item]
    assert kubescribe.Validator().validate_files(files) == reports
