#!/usr/bin/env python3
"""Throughput of the Python batch metric calls vs the same work in pure Rust.

Builds N pairs (default 10k) with scripts/metrics/make_pairs.py, runs the
Rust example `bench_metrics` (each metric on rayon's global pool, and
`score_batch` with every metric) and times the matching `kubescribe` calls
from Python: the Python time includes converting the input lists and
building the result objects. Each side runs `--repeat` times (default 3);
the best time counts. Prints seconds per call and the Python/Rust ratio
(target: at most 1.2).

Usage: bench_batch.py [--pairs FILE] [--count 10000] [--repeat 3]
                      [--wordnet DIR] [--target-dir DIR]
Needs the `kubescribe` wheel installed in the running interpreter and
cargo for the Rust example (built with --release into the target dir).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kubescribe

REPO = Path(__file__).resolve().parents[2]


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--wordnet", default=os.environ.get("KUBESCRIBE_WORDNET", "/usr/share/wordnet"))
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", str(REPO / "target")))
    args = ap.parse_args()

    pairs_path = args.pairs
    if not pairs_path:
        pairs_path = os.path.join(tempfile.mkdtemp(prefix="ks-py-bench-"), "pairs.jsonl")
        subprocess.run([sys.executable, str(REPO / "scripts" / "metrics" / "make_pairs.py"),
                        "-o", pairs_path, "--count", str(args.count)], check=True)
    with open(pairs_path, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    hyps = [p["hypothesis"] for p in pairs]
    refs = [p["reference"] for p in pairs]

    env = dict(os.environ, CARGO_TARGET_DIR=args.target_dir)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubescribe-metrics", "--example", "bench_metrics"],
                   cwd=REPO, check=True, env=env)
    exe = Path(args.target_dir) / "release" / "examples" / "bench_metrics"
    rust = {}
    for _ in range(args.repeat):
        out = json.loads(subprocess.run([str(exe), pairs_path, "--wordnet", args.wordnet],
                                        check=True, capture_output=True, text=True).stdout)
        for k, v in out.items():
            if isinstance(v, dict) and "par_s" in v:
                rust[k] = min(rust.get(k, float("inf")), v["par_s"])
        threads = out["threads"]

    wn = kubescribe.WordNet(args.wordnet)
    calls = {
        "bleu": lambda: kubescribe.bleu_batch(hyps, refs),
        "chrf_pp": lambda: kubescribe.chrf_batch(hyps, refs),
        "rouge": lambda: kubescribe.rouge_batch(hyps, refs),
        "rouge_stem": lambda: kubescribe.rouge_batch(hyps, refs, stem=True),
        "meteor": lambda: kubescribe.meteor_batch(hyps, refs, wordnet=wn),
        "all": lambda: kubescribe.score_batch(hyps, refs, wordnet=wn).pairs,
    }
    calls["all"]()  # warm WordNet's synonym cache and the stemmer caches as the Rust run does
    print(f"pairs: {len(pairs)}; rayon threads: {threads}; best of {args.repeat}")
    print(f"{'call':<12}{'python s':>10}{'rust s':>10}{'ratio':>8}")
    worst = 0.0
    for name, fn in calls.items():
        py = best(fn, args.repeat)
        ratio = py / rust[name]
        worst = max(worst, ratio)
        print(f"{name:<12}{py:>10.3f}{rust[name]:>10.3f}{ratio:>8.2f}")
    print(f"worst ratio {worst:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
