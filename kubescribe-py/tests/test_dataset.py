"""The dataset builder from Python (the Rust `kubescribe_infer::dataset`)."""

import json

import pytest

import kubescribe
from conftest import EXAMPLES

POLICIES = EXAMPLES / "policies"


def test_builds_valid_reproducible_split_pairs(tmp_path):
    d = kubescribe.build_dataset([POLICIES], seed=7, augment=2)
    pairs = d.train + d.test
    assert len(d) == len(pairs) > 0 and d.documents > 0
    for p in pairs:
        [report] = kubescribe.validate(text=p["reference"])
        assert report.valid, (p["id"], report.to_dict())
        assert [m["role"] for m in p["prompt"]] == ["system", "user"]
        assert p["template"] in kubescribe.templates() and p["origin"] in {"corpus", "synth"}
        assert kubescribe.Policy.from_yaml(p["reference"]).engine == p["engine"]
    corpus = [p for p in pairs if p["origin"] == "corpus"]
    assert corpus and all(p["source"].split("#")[0].endswith((".yaml", ".yml", ".json")) for p in corpus)
    # The split is by seed policy: no group in both.
    assert not {p["group"] for p in d.train} & {p["group"] for p in d.test}
    # The invalid example file is read and left out with the reason.
    assert any("kubearmor-mistakes.yaml" in s["source"] for s in d.skipped), d.skipped
    # Same seed, same dataset; another seed, other choices.
    again = kubescribe.build_dataset([POLICIES], seed=7, augment=2)
    assert (again.train, again.test) == (d.train, d.test)
    other = kubescribe.build_dataset([POLICIES], seed=8, augment=2)
    assert [p["id"] for p in other.train + other.test] != [p["id"] for p in pairs]

    d.write(tmp_path / "a")
    again.write(tmp_path / "b")
    for name in ["train.jsonl", "test.jsonl", "skipped.jsonl", "manifest.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    lines = (tmp_path / "a" / "train.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == d.train
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert (manifest["train"], manifest["test"], manifest["seed"]) == (len(d.train), len(d.test), 7)


def test_templates_share_store_and_bad_arguments():
    only = kubescribe.build_dataset([POLICIES], templates=["minimal"], augment=1, test_share=0.0)
    assert not only.test and {p["template"] for p in only.train} == {"minimal"}
    store = kubescribe.EventStore()
    store.ingest_files(EXAMPLES / "events" / "shop-workloads.yaml", EXAMPLES / "events" / "kubearmor-nginx.jsonl")
    grounded = kubescribe.build_dataset([POLICIES], store=store, augment=1)
    assert any("<workload-context>" in p["prompt"][1]["content"] for p in grounded.train + grounded.test)
    with pytest.raises(kubescribe.ArgumentError, match="unknown template"):
        kubescribe.build_dataset([POLICIES], templates=["haiku"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        kubescribe.build_dataset([POLICIES], test_share=1.5)
    with pytest.raises(FileNotFoundError, match="No such file"):
        kubescribe.build_dataset([POLICIES / "nope"])
    with pytest.raises(ValueError, match=">= 0"):
        kubescribe.build_dataset([POLICIES], augment=-1)
