#!/usr/bin/env python3
"""Benchmark: kubescribe-metrics (Rust) vs. the Python references, per metric.

Builds 10k pairs with make_pairs.py (the policy-corpus pairs, repeated with
seeded perturbations), times each metric over all pairs in Python
(sacrebleu 2.6.0, rouge-score 0.1.2, nltk 3.10.4 — same settings as
parity.py) and in Rust (examples/bench_metrics: every metric sequentially on
one thread and on rayon's global pool), plus the end-to-end JSONL driver
(examples/score_pairs, all metrics, process start + I/O + WordNet load
included). Prints seconds and Python/Rust ratios per metric.

Usage: bench.py [--pairs FILE] [--count 10000] [--python-limit N]
                [--wordnet DIR] [--nltk-data DIR] [--target-dir DIR]
  --python-limit  time Python on the first N pairs only and scale linearly
                  (default: all pairs)
The Rust examples are built with
  cargo build --release -p kubescribe-metrics --examples
into $CARGO_TARGET_DIR (or --target-dir, default <repo>/target).
RAYON_NUM_THREADS sets the Rust thread count (default: number of cores).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def main():
    ap = argparse.ArgumentParser(description="kubescribe-metrics benchmark")
    ap.add_argument("--pairs")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--python-limit", type=int, default=0)
    ap.add_argument("--wordnet", default=os.environ.get("KUBESCRIBE_WORDNET", "/usr/share/wordnet"))
    ap.add_argument("--nltk-data", default=os.environ.get(
        "NLTK_DATA", str(Path.home() / ".cache" / "kubescribe-metrics" / "nltk_data")))
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", str(REPO / "target")))
    args = ap.parse_args()

    os.environ["NLTK_DATA"] = args.nltk_data
    warnings.filterwarnings("ignore")
    pairs_path = args.pairs
    if not pairs_path:
        pairs_path = os.path.join(tempfile.mkdtemp(prefix="ksm-bench-"), "pairs.jsonl")
        subprocess.run([sys.executable, str(HERE / "make_pairs.py"), "-o", pairs_path,
                        "--count", str(args.count)], check=True)
    with open(pairs_path, encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]

    env = dict(os.environ, CARGO_TARGET_DIR=args.target_dir)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubescribe-metrics", "--examples"],
                   cwd=REPO, check=True, env=env)
    ex = Path(args.target_dir) / "release" / "examples"

    # Rust, per metric.
    out = subprocess.run([str(ex / "bench_metrics"), pairs_path, "--wordnet", args.wordnet],
                         check=True, capture_output=True, text=True).stdout
    rust = json.loads(out)
    # Rust, end-to-end driver.
    t = time.perf_counter()
    subprocess.run([str(ex / "score_pairs"), pairs_path, "--wordnet", args.wordnet],
                   check=True, stdout=subprocess.DEVNULL)
    rust_e2e = time.perf_counter() - t

    # Python references.
    import sacrebleu
    from sacrebleu.metrics import CHRF
    from rouge_score import rouge_scorer
    from nltk.translate.meteor_score import meteor_score
    from nltk.corpus import wordnet

    wordnet.synsets("dog")  # load WordNet outside the timed loop
    sub = pairs[: args.python_limit] if args.python_limit else pairs
    scale = len(pairs) / len(sub)
    chrf_pp = CHRF(word_order=2)
    types = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    plain = rouge_scorer.RougeScorer(types, use_stemmer=False)
    stem = rouge_scorer.RougeScorer(types, use_stemmer=True)
    py_fns = {
        "bleu": lambda h, r: sacrebleu.sentence_bleu(h, [r]).score,
        "chrf_pp": lambda h, r: chrf_pp.sentence_score(h, [r]).score,
        "rouge": lambda h, r: plain.score(r, h),
        "rouge_stem": lambda h, r: stem.score(r, h),
        "meteor": lambda h, r: meteor_score([r.split()], h.split()),
    }
    py = {}
    for name, fn in py_fns.items():
        t = time.perf_counter()
        for p in sub:
            fn(p["hypothesis"], p["reference"])
        py[name] = (time.perf_counter() - t) * scale
        print(f"python {name}: {py[name]:.2f}s", file=sys.stderr)
    hyps = [p["hypothesis"] for p in sub]
    refs = [p["reference"] for p in sub]
    t = time.perf_counter()
    sacrebleu.corpus_bleu(hyps, [refs])
    py["corpus_bleu"] = (time.perf_counter() - t) * scale
    t = time.perf_counter()
    CHRF(word_order=2).corpus_score(hyps, [refs])
    py["corpus_chrf_pp"] = (time.perf_counter() - t) * scale
    py["all"] = sum(py[k] for k in py_fns) + py["corpus_bleu"] + py["corpus_chrf_pp"]

    threads = rust["threads"]
    print(f"pairs: {len(pairs)}; python timed on {len(sub)} pairs"
          f"{' (scaled)' if scale != 1 else ''}; rust rayon threads: {threads}; "
          f"rust WordNet load {rust['wordnet_load_s']:.3f}s")
    print(f"{'metric':<16}{'python s':>10}{'rust 1T s':>11}{'rust ' + str(threads) + 'T s':>11}"
          f"{'ratio 1T':>10}{'ratio ' + str(threads) + 'T':>10}")
    for name in ["bleu", "chrf_pp", "rouge", "rouge_stem", "meteor", "corpus_bleu",
                 "corpus_chrf_pp", "all"]:
        r = rust[name]
        seq, par = r["seq_s"], r.get("par_s", r["seq_s"])
        print(f"{name:<16}{py[name]:>10.2f}{seq:>11.3f}{par:>11.3f}"
              f"{py[name] / seq:>9.1f}x{py[name] / par:>9.1f}x")
    print(f"{'score_pairs e2e':<16}{py['all']:>10.2f}{'':>11}{rust_e2e:>11.3f}{'':>10}"
          f"{py['all'] / rust_e2e:>9.1f}x")


if __name__ == "__main__":
    main()
