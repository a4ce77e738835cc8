"""Intents and the deterministic synthesizer from Python."""

import json

import pytest

import kubescribe
from conftest import EXAMPLES

NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())
CART = json.loads((EXAMPLES / "intents" / "cart-from-frontend.json").read_text())


def test_intent_round_trips_dicts_json_and_keywords():
    i = kubescribe.Intent.from_dict(NGINX)
    assert i.to_dict() == NGINX
    assert kubescribe.Intent.from_json(i.to_json()) == i
    assert kubescribe.Intent(**NGINX) == i
    assert (i.engine, i.domain, i.action, i.namespace, i.labels) == (
        "kubearmor", "file", "allow", "shop", {"app": "nginx"})
    assert i.rationale == "nginx may only read its web root"
    assert "readOnly: true" in i.to_yaml()
    assert i.with_engine("tetragon").engine == "tetragon"
    schema = kubescribe.Intent.schema()
    assert schema["title"] == "Intent" and "scope" in schema["required"]


def test_a_bad_intent_names_the_field():
    with pytest.raises(kubescribe.ParseError, match="oops"):
        kubescribe.Intent.from_dict({**NGINX, "oops": 1})
    with pytest.raises(kubescribe.ParseError, match="domain"):
        kubescribe.Intent.from_dict({"scope": {}, "action": "allow"})
    with pytest.raises(kubescribe.ParseError):
        kubescribe.Intent.from_dict({**NGINX, "domain": "filesystem"})


def test_synthesize_gives_a_validated_policy_per_engine():
    p = kubescribe.synthesize(NGINX)
    assert (p.engine, p.kind, p.namespace) == ("kubearmor", "KubeArmorPolicy", "shop")
    spec = p.to_dict()["spec"]
    assert spec["selector"]["matchLabels"] == {"app": "nginx"}
    assert spec["action"] == "Allow"
    [r] = kubescribe.validate(text=p.to_yaml())
    assert r.valid
    block = json.loads((EXAMPLES / "intents" / "block-passwd-write.json").read_text())
    for engine in ["tetragon", "kubearmor"]:
        intent = kubescribe.Intent.from_dict({**block, "scope": {"namespace": "shop", "labels": {"app": "web"}}})
        t = kubescribe.synthesize(intent, engine=engine)
        assert t.engine == engine and kubescribe.validate(t.to_dict())[0].valid
    # Network intents: the domain's default engine, or any that can express it.
    assert kubescribe.synthesize(CART).kind == "NetworkPolicy"
    for engine in ["kubernetes", "cilium", "calico"]:
        assert kubescribe.synthesize(kubescribe.Intent.from_json(json.dumps(CART)), engine).engine == engine
    # A str is the path of an intent's JSON file.
    assert kubescribe.synthesize(str(EXAMPLES / "intents" / "nginx-www.json")) == kubescribe.synthesize(NGINX)
    with pytest.raises(kubescribe.MissingFileError):
        kubescribe.synthesize(json.dumps(CART))
    assert kubescribe.engines_for("network") == ["kubernetes", "cilium", "calico", "kubearmor"]


def test_what_an_engine_cannot_express_is_a_synthesis_error():
    with pytest.raises(kubescribe.SynthesisError, match="tetragon cannot express allow-lists"):
        kubescribe.synthesize(NGINX, engine="tetragon")
    with pytest.raises(kubescribe.SynthesisError, match="cilium cannot express file intents"):
        kubescribe.synthesize(NGINX, engine="cilium")
    with pytest.raises(kubescribe.ArgumentError, match="unknown engine"):
        kubescribe.synthesize(NGINX, engine="selinux")
    assert issubclass(kubescribe.SynthesisError, kubescribe.KubescribeError)
