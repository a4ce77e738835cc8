#!/usr/bin/env python3
"""Checks of the study's data recipe (issue 25): the held-out test set never trains.

Runs scripts/study/testset.py into a temporary directory (with $KUBESCRIBE_BIN, default the
release build, else the debug one) and checks: the same bytes twice; test ids and groups disjoint
from train ids and groups; no train intent means the same as a test intent; no few-shot bank
policy is a test reference; all five engines and both sources in the test set and in its first
30 lines (the study's --subset prefix). Needs the corpus (../shared/corpus or $KUBESCRIBE_CORPUS);
without it: NOT RUN.

    python3 scripts/study/test_study.py
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from testset import meaning  # noqa: E402


def binary() -> str:
    if os.environ.get("KUBESCRIBE_BIN"):
        return os.environ["KUBESCRIBE_BIN"]
    for p in ("target/release/kubescribe", "target/debug/kubescribe"):
        if (ROOT / p).exists():
            return str(ROOT / p)
    raise unittest.SkipTest("no kubescribe binary (cargo build -p kubescribe-cli)")


def corpus() -> Path:
    c = Path(os.environ.get("KUBESCRIBE_CORPUS", ROOT.parent / "shared/corpus"))
    if not c.is_absolute():
        c = ROOT / c
    return c / "policies"


def rows(p: Path) -> list[dict]:
    return [json.loads(l) for l in p.read_text().splitlines() if l.strip()]


class HeldOut(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not corpus().is_dir():
            print("NOT RUN: no corpus at", corpus())
            raise unittest.SkipTest("no corpus")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = Path(cls.tmp.name)
        for sub in ("a", "b"):
            subprocess.run([sys.executable, str(HERE / "testset.py"), "--out", str(cls.out / sub),
                            "--kubescribe", binary(), "--policies", str(corpus())],
                           check=True, stdout=subprocess.DEVNULL)
        cls.test = rows(cls.out / "a/test.jsonl")
        cls.train = rows(cls.out / "a/train.jsonl")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_same_bytes_twice(self):
        for f in ("test.jsonl", "train.jsonl", "manifest.json"):
            self.assertEqual((self.out / "a" / f).read_bytes(), (self.out / "b" / f).read_bytes(), f)

    def test_ids_and_groups_disjoint(self):
        self.assertFalse({r["id"] for r in self.test} & {r["id"] for r in self.train})
        self.assertFalse({r["group"] for r in self.test} & {r["group"] for r in self.train})
        # the dataset builder's ids without the study's prefix, too
        raw_test = {r["group"].removeprefix("ds-") for r in self.test if r["origin_set"] == "dataset"}
        self.assertFalse(raw_test & {r["group"] for r in self.train})

    def test_no_train_intent_means_a_test_intent(self):
        test_meanings = {meaning(r["intent"]) for r in self.test}
        self.assertFalse([r["id"] for r in self.train if meaning(r["intent"]) in test_meanings])

    def test_bank_holds_no_test_reference(self):
        bank = {p.read_text() for p in (self.out / "a/bank").glob("*.yaml")}
        self.assertEqual(len(bank) > 0, True)
        self.assertFalse([r["id"] for r in self.test if r["reference"] in bank])

    def test_every_engine_and_source_in_the_set_and_its_prefix(self):
        engines = {"kubearmor", "tetragon", "cilium", "kubernetes", "calico"}
        self.assertEqual({r["engine"] for r in self.test}, engines)
        head = self.test[:30]
        self.assertEqual({r["origin_set"] for r in head}, {"intent-eval", "dataset"})
        self.assertGreaterEqual(len({r["engine"] for r in head}), 4)
        ie = [r for r in self.test if r["origin_set"] == "intent-eval"]
        self.assertTrue(all(r["intent"] and r["text"] for r in ie))
        self.assertTrue(any(r["events"] for r in ie))


if __name__ == "__main__":
    unittest.main(verbosity=2)
