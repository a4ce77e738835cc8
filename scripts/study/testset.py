#!/usr/bin/env python3
"""The model study's data (issue 25): held-out test set, training set, few-shot bank.

Writes into OUT (default `target/study/data/`, ignored by git):

- `test.jsonl`: the held-out test set, as `kubescribe eval --dataset` reads it. Two sources:
  * the intent evaluation set's frozen **test** split
    (`kubescribe-intent/tests/fixtures/intent_eval/test.jsonl`): every case with a labelled intent
    (natural text, intent, scenario events and verdicts, upstream source); the case's `engine` is
    put into the intent. Its reference policy is the deterministic synthesizer's for the labelled
    intent (`kubescribe generate --backend synth`), the one faithful policy kubescribe can name;
    a case the synthesizer cannot express is listed in `skipped.jsonl`, not guessed at;
  * the dataset builder's **test** split (`kubescribe dataset build --policies POLICIES --seed
    DATASET_SEED`): corpus policies (and their synthesized variants) with their intents.
  The order is fixed by `--seed`: each (source, engine) stratum is shuffled with
  `random.Random(seed)`, then the strata are interleaved round-robin, so every prefix of N lines
  (the study's `--subset N`) holds all five engines and both sources in proportion.
- `train.jsonl`: the dataset builder's train split minus every record that could leak the test
  set: a record whose intent means the same as a test intent (scope, domain, action, direction,
  resources; the engine aside), or whose seed policy file is named by a test case's upstream
  source. What was dropped and why: `train-dropped.jsonl`. Fine-tuning reads this file only.
- `bank/`: the few-shot examples the study's prompts retrieve (`--examples`): the references of
  `train.jsonl`, one YAML file each. No test policy can be shown as an example (eval's retrieval
  also never shows an example of the very same intent).
- `manifest.json`: counts by source and engine, seeds, SHA-256 of the inputs and outputs.

Same inputs and seeds, same bytes. `scripts/study/test_study.py` checks the disjointness.

    python3 scripts/study/testset.py   # -> target/study/data
"""

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTENT_TEST = ROOT / "kubescribe-intent/tests/fixtures/intent_eval/test.jsonl"
DEFAULT_ENGINE = {"file": "kubearmor", "process": "kubearmor", "syscall": "kubearmor",
                  "capability": "kubearmor", "network": "kubernetes"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def meaning(intent: dict) -> str:
    """The intent without its engine, as a canonical string (what `same meaning` compares)."""
    i = {k: v for k, v in intent.items() if k not in ("engine", "version")}
    return json.dumps(i, sort_keys=True)


def engine_of(intent: dict) -> str:
    return intent.get("engine") or DEFAULT_ENGINE[intent["domain"]]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")


def synth_reference(binary: str, intent: dict) -> tuple[str | None, str]:
    """The synthesizer's policy for `intent` (YAML), or None and the reason."""
    p = subprocess.run([binary, "generate", "--intent-file", "-", "--backend", "synth", "-q"],
                       input=json.dumps(intent), capture_output=True, text=True)
    if p.returncode != 0:
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        return None, (lines[-1] if lines else f"exit {p.returncode}")[:300]
    return p.stdout, ""


def interleave(rows: list[dict], seed: int) -> list[dict]:
    strata: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        strata.setdefault((r["origin_set"], r["engine"]), []).append(r)
    rng = random.Random(seed)
    keys = sorted(strata)
    for k in keys:
        strata[k].sort(key=lambda r: r["id"])
        rng.shuffle(strata[k])
    # round-robin, each stratum weighted by its size (largest-remainder order)
    total = len(rows)
    out: list[dict] = []
    taken = {k: 0 for k in keys}
    for n in range(1, total + 1):
        # the stratum furthest behind its share of the first n lines
        k = max((k for k in keys if taken[k] < len(strata[k])),
                key=lambda k: (len(strata[k]) * n / total - taken[k], -keys.index(k)))
        out.append(strata[k][taken[k]])
        taken[k] += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "target/study/data")
    ap.add_argument("--kubescribe", default=os.environ.get("KUBESCRIBE_BIN", str(ROOT / "target/release/kubescribe")))
    ap.add_argument("--policies", type=Path, default=ROOT.parent / "shared/corpus/policies")
    ap.add_argument("--seed", type=int, default=25, help="order of the test set (default 25)")
    ap.add_argument("--dataset-seed", type=int, default=42, help="`dataset build --seed` (default 42)")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    ds = out / "dataset"
    subprocess.run([args.kubescribe, "dataset", "build", "--policies", str(args.policies), "--out", str(ds),
                    "--seed", str(args.dataset_seed), "--force", "-q"], check=True,
                   stdout=subprocess.DEVNULL)

    test: list[dict] = []
    skipped: list[dict] = []
    for case in read_jsonl(INTENT_TEST):
        if "intent" not in case:
            continue
        intent = dict(case["intent"])
        if case.get("engine"):
            intent["engine"] = case["engine"]
        ref, why = synth_reference(args.kubescribe, intent)
        if ref is None:
            skipped.append({"id": f"ie-{case['id']}", "reason": why})
            continue
        test.append({
            "id": f"ie-{case['id']}", "group": f"ie-{case['id']}", "origin_set": "intent-eval",
            "prompt": case["text"], "text": case["text"], "reference": ref, "intent": intent,
            "engine": engine_of(intent), "events": case.get("events", []),
            "verdicts": case.get("verdicts", []), "source": case["source"],
        })
    for r in read_jsonl(ds / "test.jsonl"):
        r = dict(r)
        r["id"] = f"ds-{r['id']}"
        r["group"] = f"ds-{r['group']}"
        r["origin_set"] = "dataset"
        test.append(r)
    test = interleave(test, args.seed)

    # training data: the builder's train split minus what could leak the test set
    test_meanings = {meaning(r["intent"]) for r in test}
    test_sources = " ".join(r["source"] for r in test if r["origin_set"] == "intent-eval")
    test_files = {r["source"].split("#")[0] for r in test if r["origin_set"] == "dataset"}
    train, dropped = [], []
    for r in read_jsonl(ds / "train.jsonl"):
        f = r["source"].split("#")[0]
        base = os.path.basename(f)
        reason = None
        if meaning(r["intent"]) in test_meanings:
            reason = "same intent as a test case"
        elif f in test_files:
            reason = "seed policy file of a dataset test case"
        elif base and base in test_sources:
            reason = f"seed policy file {base} is a test case's upstream source"
        if reason:
            dropped.append({"id": r["id"], "group": r["group"], "reason": reason})
        else:
            train.append(r)
    bad_groups = {d["group"] for d in dropped}
    kept = [r for r in train if r["group"] not in bad_groups]
    for r in train:
        if r["group"] in bad_groups:
            dropped.append({"id": r["id"], "group": r["group"], "reason": "variant of a dropped seed policy"})
    train = kept

    write_jsonl(out / "test.jsonl", test)
    write_jsonl(out / "train.jsonl", train)
    write_jsonl(out / "train-dropped.jsonl", dropped)
    write_jsonl(out / "skipped.jsonl", skipped)
    bank = out / "bank"
    bank.mkdir(exist_ok=True)
    keep = {f"{r['id']}.yaml" for r in train}
    for old in bank.glob("*.yaml"):
        if old.name not in keep:
            old.unlink()
    for r in train:  # unchanged files are left alone: a running study may be reading them
        f = bank / f"{r['id']}.yaml"
        if not f.exists() or f.read_text() != r["reference"]:
            f.write_text(r["reference"])

    def counts(rows: list[dict]) -> dict:
        c: dict[str, int] = {}
        for r in rows:
            k = f"{r.get('origin_set', 'dataset')}/{r['engine']}"
            c[k] = c.get(k, 0) + 1
        return dict(sorted(c.items()))

    manifest = {
        "seed": args.seed, "dataset_seed": args.dataset_seed,
        "inputs": {"intent_eval_test": {"path": str(INTENT_TEST.relative_to(ROOT)), "sha256": sha256(INTENT_TEST)},
                   "policies": str(args.policies), "dataset_manifest": json.loads((ds / "manifest.json").read_text())},
        "test": {"n": len(test), "by_source_engine": counts(test), "sha256": sha256(out / "test.jsonl")},
        "train": {"n": len(train), "by_engine": counts(train), "dropped": len(dropped), "sha256": sha256(out / "train.jsonl")},
        "skipped_test_cases": len(skipped), "bank": len(train),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"test: {len(test)} ({', '.join(f'{k} {v}' for k, v in counts(test).items())}); "
          f"{len(skipped)} intent-eval case(s) the synthesizer cannot express (skipped.jsonl)")
    print(f"train: {len(train)} ({len(dropped)} dropped as possible leaks, train-dropped.jsonl); bank: {len(train)} policies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
