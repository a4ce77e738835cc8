#!/usr/bin/env python3
"""The Python batch metric calls against pure Rust at short, medium and long texts (issue 22,
item 5: within 1.1x at every length).

Builds three pair sets from scripts/metrics/make_pairs.py's pairs, each text cut to a window of
words (short: 8, medium: 80, long: 800; texts shorter than the window are repeated), with about
the same number of words per set. For each set, in the same run, it times the Rust example
`bench_metrics` (each metric over the pairs on rayon's global pool: `par_s`) and the matching
`kubescribe` calls, whose time includes reading the Python lists and building the results.
Like for like: both sides run the same `kubescribe_metrics` functions on the same texts, built
with the same profile (`--release`; the wheel must be a `--release` or `--profile wheel` build: a
dev build measures debug code), on the same allocator (mimalloc, the CLI's), with rayon's pool
already started and of the same size (rayon's default, or RAYON_NUM_THREADS for both; the
Rust side prints its count). Rust and Python alternate `--repeat` times; the best time of each
counts. Prints seconds per call and the Python/Rust ratio per length and metric.

Usage: bench_batch_lengths.py [--repeat 5] [--words 200000] [--wordnet DIR] [--target-dir DIR]
                              [--rust-exe PATH]
`--rust-exe` times another build of the example (e.g. one on the system allocator) instead of
building it. Needs the `kubescribe` wheel in the running interpreter and cargo.
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
LENGTHS = {"short": 8, "medium": 80, "long": 800}


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def window(text, words, offset):
    toks = text.split()
    if not toks:
        toks = ["empty"]
    while len(toks) < offset + words:
        toks = toks + toks
    return " ".join(toks[offset:offset + words])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--words", type=int, default=200_000, help="words per set (each side)")
    ap.add_argument("--wordnet", default=os.environ.get("KUBESCRIBE_WORDNET", "/usr/share/wordnet"))
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", str(REPO / "target")))
    ap.add_argument("--rust-exe", help="a bench_metrics binary to time instead of building one")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ks-bench-lengths-"))
    base = tmp / "base.jsonl"
    subprocess.run([sys.executable, str(REPO / "scripts" / "metrics" / "make_pairs.py"), "-o", str(base),
                    "--count", "400"], check=True)
    seeds = [json.loads(line) for line in base.read_text(encoding="utf-8").split("\n") if line.strip()]

    if args.rust_exe:
        exe = Path(args.rust_exe)
    else:
        env = dict(os.environ, CARGO_TARGET_DIR=args.target_dir)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubescribe-metrics", "--example",
                        "bench_metrics"], cwd=REPO, check=True, env=env)
        exe = Path(args.target_dir) / "release" / "examples" / "bench_metrics"
    wordnet = args.wordnet if os.path.isdir(args.wordnet) else None
    wn = kubescribe.WordNet(wordnet) if wordnet else None

    print(f"kubescribe {kubescribe.__version__}; best of {args.repeat}; WordNet: {wordnet or 'none'}; "
          f"Rust reference: {exe}")
    print(f"{'length':<8}{'pairs':>7}{'metric':>12}{'python s':>11}{'rust s':>10}{'ratio':>8}")
    worst, threads = 0.0, None
    for name, words in LENGTHS.items():
        count = max(1, args.words // words)
        pairs = []
        for i in range(count):
            p = seeds[i % len(seeds)]
            off = (i // len(seeds)) * 3
            pairs.append({"id": i, "hypothesis": window(p["hypothesis"] or p["reference"], words, off),
                          "reference": window(p["reference"] or p["hypothesis"], words, off)})
        path = tmp / f"{name}.jsonl"
        path.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
        hyps = [p["hypothesis"] for p in pairs]
        refs = [p["reference"] for p in pairs]

        calls = {
            "bleu": lambda: kubescribe.bleu_batch(hyps, refs),
            "chrf_pp": lambda: kubescribe.chrf_batch(hyps, refs),
            "rouge": lambda: kubescribe.rouge_batch(hyps, refs),
            "rouge_stem": lambda: kubescribe.rouge_batch(hyps, refs, stem=True),
            "meteor": lambda: kubescribe.meteor_batch(hyps, refs, wordnet=wn),
            "all": lambda: kubescribe.score_batch(hyps, refs, wordnet=wn).pairs,
        }
        calls["all"]()  # warm the synonym and stemmer caches, as the Rust run does before timing
        # Rust and Python alternate, so both see the same load on a shared machine.
        rust, py = {}, {}
        cmd = [str(exe), str(path)] + (["--wordnet", wordnet] if wordnet else [])
        for _ in range(args.repeat):
            out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            threads = out.get("threads")
            for k, v in out.items():
                if isinstance(v, dict) and "par_s" in v:
                    rust[k] = min(rust.get(k, float("inf")), v["par_s"])
            for metric, fn in calls.items():
                py[metric] = min(py.get(metric, float("inf")), best(fn, 1))
        for metric in calls:
            ratio = py[metric] / rust[metric]
            worst = max(worst, ratio)
            print(f"{name:<8}{count:>7}{metric:>12}{py[metric]:>11.4f}{rust[metric]:>10.4f}{ratio:>8.2f}")
    print(f"worst ratio {worst:.2f} (target <= 1.1); rayon threads: {threads}")


if __name__ == "__main__":
    main()
