#!/usr/bin/env python3
"""Held-out answer loss per training round (issue 25): a figure that moves when rates do not.

For the first N samples of the study's test set, the zero-shot prompt eval builds (captured,
both answer forms: compact JSON for constrained decoding, YAML for free decoding) and the
reference answer; the mean cross-entropy per answer token (teacher-forced) of each model given.
Lower is better; it shows whether a training round moved the model towards the references on
data it never saw, where compile and fidelity sit at 0% (free) or 100% (constrained).

    $KUBESCRIBE_STUDY_PYTHON scripts/study/heldout_loss.py --n 6 \
        base=$KUBESCRIBE_SMOLLM2_HF r1=target/study/runs/tuned-r1/merged r2=target/study/runs/tuned-r2/merged
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import capture  # noqa: E402
from finetune import answer_text, encode  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", help="NAME=HF_DIR")
    ap.add_argument("--data", type=Path, default=ROOT / "target/study/data")
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("KUBESCRIBE_STUDY_RUNS", ROOT / "target/study/runs"))
                    / "heldout-loss.json")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kubescribe", default=os.environ.get("KUBESCRIBE_BIN", str(ROOT / "target/release/kubescribe")))
    a = ap.parse_args()
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(a.threads)
    rows = [json.loads(l) for l in (a.data / "test.jsonl").read_text().splitlines() if l.strip()][: a.n]
    sub = a.out.parent / "heldout-loss-subset.jsonl"
    sub.parent.mkdir(parents=True, exist_ok=True)
    sub.write_text("".join(json.dumps(r) + "\n" for r in rows))
    prompts = {"json": capture.capture(a.kubescribe, sub, "zero-shot", 0, None, True),
               "yaml": capture.capture(a.kubescribe, sub, "zero-shot", 0, None, False)}
    res = {"n": len(rows), "ids": [r["id"] for r in rows], "models": {}}
    for spec in a.models:
        name, path = spec.split("=", 1)
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32).eval()
        t = time.time()
        per = {}
        for form in ("json", "yaml"):
            tot, cnt = 0.0, 0
            for r in rows:
                ids, plen = encode(tok, {"messages": prompts[form][r["id"]],
                                         "answer": answer_text(r["reference"], form)}, 4096)
                x = torch.tensor([ids])
                with torch.no_grad():
                    h = model.model(input_ids=x).last_hidden_state[0, plen - 1:-1]
                    loss = torch.nn.functional.cross_entropy(model.lm_head(h), x[0, plen:], reduction="sum")
                tot += loss.item()
                cnt += len(ids) - plen
            per[form] = round(tot / cnt, 4)
        res["models"][name] = {"path": path, "loss_json": per["json"], "loss_yaml": per["yaml"], "seconds": round(time.time() - t, 1)}
        print(name, res["models"][name], flush=True)
    a.out.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
