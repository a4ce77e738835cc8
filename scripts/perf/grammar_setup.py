#!/usr/bin/env python3
"""Constrained decoding's set-up time per run, as `generate` pays it: each round starts a fresh
process (target/release/examples/grammar_setup) that prepares the tokenizer's token trie and
compiles one target per policy kind through one ConstraintCache, then asks for the same targets
again. Rounds 1 and 2 are a first and a second run; the medians over all rounds are printed.

    cargo build --release -p kubescribe-infer --example grammar_setup
    python3 scripts/perf/grammar_setup.py [--tokenizer TOKENIZER.json] [--eos 2] [--rounds 5] [--cpu 0]

The default tokenizer is SmolLM2-135M-Instruct's (scripts/models/install.sh puts it in
~/.cache/kubescribe-models/smollm2-135m-hf; EOS 2 is its <|im_end|>). GRAMMAR_SETUP_BIN names
another build of the example.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = pathlib.Path(os.environ.get("GRAMMAR_SETUP_BIN", ROOT / "target" / "release" / "examples" / "grammar_setup"))


def one_run(tokenizer, eos, cpu):
    cmd = [str(EXAMPLE), tokenizer, str(eos)]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu)] + cmd
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        r = json.loads(line)
        key = r["stage"] + (f" {r['target']} {r['kind']}" if "kind" in r else "")
        rows[key] = r["ms"]
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default=str(pathlib.Path.home() / ".cache/kubescribe-models/smollm2-135m-hf/tokenizer.json"))
    ap.add_argument("--eos", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cpu", type=int, default=0)
    a = ap.parse_args()
    if not EXAMPLE.exists():
        sys.exit(f"{EXAMPLE} missing: cargo build --release -p kubescribe-infer --example grammar_setup")
    runs = [one_run(a.tokenizer, a.eos, a.cpu) for _ in range(max(a.rounds, 2))]
    keys = list(runs[0])
    print(f"{'stage (ms)':<42} {'run 1':>8} {'run 2':>8} {'median':>8}")
    for k in keys:
        vals = [r[k] for r in runs]
        print(f"{k:<42} {vals[0]:>8.2f} {vals[1]:>8.2f} {statistics.median(vals):>8.2f}")
    for i in (0, 1):
        r = runs[i]
        first = r["token trie"] + r[[k for k in keys if k.startswith("compile 0 ")][0]]
        print(f"run {i + 1}: set-up before the first token of the first target "
              f"(token trie + compiler + schema + first mask): {first:.1f} ms")


if __name__ == "__main__":
    main()
