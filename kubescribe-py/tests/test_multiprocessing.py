"""Results leave the process: a policy generation + validation run in a
`multiprocessing` pool started with `spawn` (fresh interpreters that import
kubescribe themselves), results and errors pickled back to the parent."""

import json
import multiprocessing
import os
import pickle

import pytest

import _workers
import kubescribe
from conftest import EXAMPLES

INTENTS = sorted((EXAMPLES / "intents").glob("*.json"))
MISTAKES = EXAMPLES / "policies" / "invalid" / "kubearmor-mistakes.yaml"


def test_generation_and_validation_in_a_spawn_pool_come_back_equal():
    intents = [json.loads(p.read_text()) for p in INTENTS]
    assert len(intents) >= 3
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        remote = pool.map(_workers.generate_and_validate, intents)
        pids = pool.map(_workers.pid, range(4))
    assert os.getpid() not in pids  # it really ran elsewhere
    local = [_workers.generate_and_validate(i) for i in intents]
    for (r_result, r_policy, r_reports, r_intent), (l_result, l_policy, l_reports, l_intent) in zip(remote, local):
        assert isinstance(r_result, kubescribe.PipelineResult) and r_result.status == "valid"
        assert r_policy == l_policy and hash(r_policy) == hash(l_policy)
        assert r_result.policy == r_policy
        assert r_reports == l_reports and all(r.valid for r in r_reports)
        assert r_intent == l_intent and hash(r_intent) == hash(l_intent)
        # The trace came back whole; timings differ between runs, the rest does not.
        assert r_result.trace["intent"] == l_result.trace["intent"]
        assert [a["output"] for a in r_result.trace["attempts"]] == [a["output"] for a in l_result.trace["attempts"]]


def test_an_error_in_a_worker_comes_back_with_its_diagnostics():
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        with pytest.raises(kubescribe.ValidationError) as remote:
            pool.apply(_workers.validate_file, (str(MISTAKES),))
        with pytest.raises(kubescribe.MissingFileError) as missing:
            pool.apply(_workers.validate_file, (str(EXAMPLES / "no-such.yaml"),))
    with pytest.raises(kubescribe.ValidationError) as local:
        _workers.validate_file(str(MISTAKES))
    assert remote.value == local.value
    assert [d.path for d in remote.value.diagnostics] == [d.path for d in local.value.diagnostics]
    assert remote.value.reports == local.value.reports
    assert isinstance(missing.value, FileNotFoundError) and missing.value.filename.endswith("no-such.yaml")


def test_datasets_map_style_pickling_of_what_a_mapped_function_returns():
    # datasets.map(num_proc=…) pickles each batch's results back to the parent.
    intent = kubescribe.Intent.from_file(INTENTS[0])
    policy = kubescribe.synthesize(intent)
    [report] = kubescribe.validate(policy.to_dict())
    batch = {"intent": [intent], "policy": [policy], "report": [report], "prompt": [kubescribe.build_prompt(intent)]}
    back = pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == batch
    assert back["policy"][0].to_yaml() == policy.to_yaml()
