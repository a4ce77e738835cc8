"""Generator backends, the regeneration loop and policy simulation from Python."""

import json
import os

import pytest

import kubescribe
from conftest import EXAMPLES

NGINX = json.loads((EXAMPLES / "intents" / "nginx-www.json").read_text())
BLOCK_PASSWD = {"engine": "kubearmor", "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
                "domain": "file", "action": "block", "resources": {"paths": ["/etc/passwd"]}}


def test_the_synth_generator_answers_intent_json_with_a_valid_policy():
    g = kubescribe.Generator.synth()
    out = g.generate(json.dumps(NGINX))
    assert set(out) == {"text", "prompt_tokens", "completion_tokens", "elapsed_s"}
    [r] = kubescribe.validate(text=out["text"])
    assert r.valid and r.kind == "KubeArmorPolicy"
    assert kubescribe.Generator.synth("tetragon").generate(json.dumps(BLOCK_PASSWD))["text"].count("TracingPolicy") >= 1


def test_the_pipeline_returns_the_policy_and_a_trace(nginx_store):
    result = kubescribe.Pipeline(kubescribe.Generator.synth(), max_attempts=2).run(NGINX, store=nginx_store)
    assert result.status == "valid" and result.attempts == 1
    assert result.policy is not None and result.policy.kind == "KubeArmorPolicy"
    assert result.policy == kubescribe.synthesize(NGINX)
    trace = result.trace
    assert trace["engine"] == "kubearmor" and len(trace["attempts"]) == 1
    assert trace["attempts"][0]["valid"] is True
    assert json.loads(result.to_json())["status"] == "valid"
    [rec] = result.attempt_records()
    assert rec["number"] == 1 and rec["errors"] == 0


def test_failed_attempts_regenerate_then_fail_or_fall_back():
    # Replayed outputs keyed by prompts the loop never sends: every attempt fails.
    bad = kubescribe.Generator.replay({"some other prompt": "kind: Nope"})
    failed = kubescribe.Pipeline(bad, max_attempts=3).run(kubescribe.Intent.from_dict(NGINX))
    assert failed.status == "failed" and failed.policy is None and failed.attempts == 3
    fallback = kubescribe.Pipeline(bad, max_attempts=2, fallback_to_synth=True).run(NGINX)
    assert fallback.status == "fallback" and fallback.policy == kubescribe.synthesize(NGINX)


def test_unreachable_or_missing_models_raise_model_or_file_errors(tmp_path):
    with pytest.raises(kubescribe.ModelError):
        kubescribe.Generator.openai("http://127.0.0.1:9/v1", timeout_s=2).generate("hello")
    with pytest.raises(FileNotFoundError):
        kubescribe.Generator.ort(tmp_path / "no-model")
    assert issubclass(kubescribe.ModelError, kubescribe.KubescribeError)


def test_simulate_replays_store_events_against_policies():
    store = kubescribe.EventStore()
    store.ingest_files(EXAMPLES / "events" / "shop-workloads.yaml", EXAMPLES / "events" / "kubearmor-nginx.jsonl")
    block = kubescribe.synthesize(BLOCK_PASSWD)
    report = kubescribe.simulate(block, store=store, namespace="shop")
    assert report["totals"]["blocked"] == 1
    assert sum(report["totals"].values()) == 8  # every observation, weighted by its count
    blocked = [d for d in report["decisions"] if d["verdict"] == "block"]
    assert len(blocked) == 1 and blocked[0]["rule"].startswith("/spec/file")
    # The same from event dicts (store rows), and an allow-list that blocks what it does not list.
    rows = store.events("files", namespace="shop") + store.events("processes", namespace="shop")
    assert kubescribe.simulate([block], events=rows)["totals"] == report["totals"]
    allow = kubescribe.synthesize(NGINX)
    strict = kubescribe.simulate(allow.to_dict(), store=store, namespace="shop")
    assert strict["totals"]["blocked"] >= 2  # /bin/sh and the /etc/passwd read are outside the allow-list
    audit = kubescribe.simulate(allow, store=store, namespace="shop", posture="audit")
    assert audit["totals"]["blocked"] == 0 and audit["totals"]["audited"] >= 2
    with pytest.raises(kubescribe.ParseError):
        kubescribe.simulate(allow, events=[{"not": "an event"}])


def test_the_candle_backend_loads_a_local_model_or_says_why(tmp_path):
    with pytest.raises(kubescribe.MissingFileError):
        kubescribe.Generator.candle(tmp_path / "no-model")
    with pytest.raises(kubescribe.ModelError):
        kubescribe.Generator.candle(tmp_path)  # a directory without a model
    with pytest.raises(kubescribe.ArgumentError, match="precision"):
        kubescribe.Generator.candle(tmp_path, precision="f8")
    model = os.environ.get("KUBESCRIBE_SMOLLM2_HF")
    if not model:
        print("NOT RUN: candle generation (KUBESCRIBE_SMOLLM2_HF unset; .ci/run sets it)")
        return
    g = kubescribe.Generator.candle(model)
    a = g.generate("Write a KubeArmor policy.", max_new_tokens=8, seed=3)
    b = g.generate("Write a KubeArmor policy.", max_new_tokens=8, seed=3)
    assert a["text"] == b["text"] and 0 < a["completion_tokens"] <= 8
