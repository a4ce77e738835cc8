#!/usr/bin/env python3
"""Validator-in-the-loop training data for the model study (issue 25): rejection sampling.

Samples answers from a (tuned) model on train intents through `kubescribe eval` (candle, the
zero-shot prompt the product builds, `--temperature`, `--samples` seeds per intent; decoding
unconstrained, or with `--constrain` constrained by the intent-shaped grammar as `generate` decodes:
the grammar makes the answers valid, the fidelity check still rejects the unfaithful ones, and
training on the accepted answers teaches the model unconstrained what the grammar forced), keeps only those that validate (layer 1) and implement the intent (the fidelity check,
eval's `faithful`: scope, every resource with the intent's action, nothing more), and writes them
as training examples {id, engine, messages, answer} for `finetune.py --extra`. The intents are
train records that the first round did not see (ids in OUT/../*/finetune-picked are skipped when
--exclude names that file), so an accepted answer is new data, not a copy of a reference.

    $KUBESCRIBE_STUDY_PYTHON scripts/study/selftrain.py --model target/study/runs/tuned-r1/merged \
        --n 24 --samples 2 --out target/study/runs/selftrain-r1

Writes OUT/accepted.jsonl and OUT/selftrain.json (candidates, valid, faithful, accepted, seconds).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import capture  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "target/study/data")
    ap.add_argument("--model", type=Path, required=True, help="HF dir candle loads (finetune.py's merged/)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=24, help="train intents to sample on")
    ap.add_argument("--samples", type=int, default=2, help="answers per intent (seeds 0..N-1)")
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--max-new-tokens", type=int, default=384)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--constrain", action="store_true", help="sample with the intent-shaped grammar")
    ap.add_argument("--exclude", type=Path, action="append", default=[], help="JSONL whose ids to skip")
    ap.add_argument("--seed", type=int, default=26)
    ap.add_argument("--kubescribe", default=os.environ.get("KUBESCRIBE_BIN", str(ROOT / "target/release/kubescribe")))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    skip = set()
    for p in a.exclude:
        skip |= {json.loads(l)["id"] for l in p.read_text().splitlines() if l.strip()}
    rows = [json.loads(l) for l in (a.data / "train.jsonl").read_text().splitlines() if l.strip()]
    rows = sorted((r for r in rows if r["id"] not in skip), key=lambda r: r["id"])
    random.Random(a.seed).shuffle(rows)
    by_engine: dict[str, list[dict]] = {}
    for r in rows:
        by_engine.setdefault(r["engine"], []).append(r)
    picked: list[dict] = []
    while len(picked) < min(a.n, len(rows)):
        for e in sorted(by_engine):
            if by_engine[e] and len(picked) < a.n:
                picked.append(by_engine[e].pop())
    ds = a.out / "intents.jsonl"
    ds.write_text("".join(json.dumps(r) + "\n" for r in picked))
    prompts = capture.capture(a.kubescribe, ds, "zero-shot", 0, None, a.constrain)
    t0 = time.time()
    cands, accepted = [], []
    for s in range(a.samples):
        out = a.out / f"eval-seed{s}"
        subprocess.run([a.kubescribe, "eval", "--dataset", str(ds), "--backend", f"candle:{a.model}",
                        "--template", "zero-shot", "--few-shot", "0",
                        "--temperature", str(a.temperature), "--seed", str(s),
                        "--max-new-tokens", str(a.max_new_tokens), "--threads", str(a.threads),
                        "--out", str(out), "-q", "--force"] + ([] if a.constrain else ["--no-constrain"]),
                       check=True, stdout=subprocess.DEVNULL)
        gens = {json.loads(l)["id"]: json.loads(l) for l in next(out.glob("generations-*.jsonl")).read_text().splitlines() if l.strip()}
        for l in next(out.glob("scores-*.jsonl")).read_text().splitlines():
            sc = json.loads(l)
            g = gens.get(sc["id"], {})
            cands.append({"id": sc["id"], "seed": s, "compiles": sc.get("compiles"), "faithful": sc.get("faithful")})
            if sc.get("compiles") and sc.get("faithful") and g.get("output"):
                eng = next(r["engine"] for r in picked if r["id"] == sc["id"])
                accepted.append({"id": f"{sc['id']}-s{s}", "engine": eng, "messages": prompts[sc["id"]],
                                 "answer": g["output"].strip() + "\n"})
    secs = time.time() - t0
    (a.out / "accepted.jsonl").write_text("".join(json.dumps(x) + "\n" for x in accepted))
    info = {"model": str(a.model), "constrained": a.constrain, "intents": len(picked), "samples_per_intent": a.samples,
            "temperature": a.temperature, "candidates": len(cands),
            "valid": sum(bool(c["compiles"]) for c in cands), "faithful": sum(bool(c["faithful"]) for c in cands),
            "accepted": len(accepted), "intents_with_an_accepted_answer": len({x["id"].rsplit("-s", 1)[0] for x in accepted}),
            "sampling_s": round(secs, 1), "by_engine": {e: sum(x["engine"] == e for x in accepted) for e in sorted(by_engine)}}
    (a.out / "selftrain.json").write_text(json.dumps(info, indent=1) + "\n")
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
