#!/usr/bin/env python3
"""Parity test: kubescribe-metrics (Rust) vs. the Python reference implementations.

Reference settings (each mirrors the Rust crate's documented behaviour):
  bleu        sacrebleu 2.6.0  sacrebleu.sentence_bleu(hyp, [ref]) with defaults:
                               tokenize='13a', smooth_method='exp', lowercase=False,
                               use_effective_order=True
  chrf_pp     sacrebleu 2.6.0  CHRF(word_order=2).sentence_score(hyp, [ref]):
                               char_order=6, beta=2, whitespace=False (removed),
                               eps_smoothing=False, lowercase=False
  rouge1/2/L/Lsum              rouge-score 0.1.2
                               RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'],
                               use_stemmer=False).score(ref, hyp)[t].fmeasure
                               (default tokenizer; rougeLsum splits on '\\n')
  *_stem      rouge-score 0.1.2 same with use_stemmer=True (nltk PorterStemmer,
                               NLTK_EXTENSIONS mode, tokens longer than 3 chars)
  meteor      nltk 3.10.4      meteor_score([ref.split()], hyp.split()) with defaults:
                               preprocess=str.lower, PorterStemmer(), alpha=0.9,
                               beta=3.0, gamma=0.5, wordnet = WordNet 3.0 from
                               NLTK_DATA/corpora/wordnet (Debian wordnet-base files)
  meteor_nown nltk 3.10.4      same, but wordnet=<object whose synsets() returns []>,
                               compared with the Rust run without --wordnet
                               (MeteorMode::ExactStem)
  corpus line bleu = sacrebleu.corpus_bleu(hyps, [refs]).score (defaults: 13a,
              exp smoothing, no effective order); chrf_pp = CHRF(word_order=2)
              .corpus_score(hyps, [refs]).score; every ROUGE / METEOR value is the
              mean sum(xs) / len(xs) of the per-pair values above.

Every metric of every pair and of the corpus line must agree within 1e-6
(absolute). Prints a per-metric table of the maximum absolute difference and
ends with a line "N passed, M failed" (N, M = metric comparisons); exits
non-zero on any mismatch.

Usage: parity.py [--pairs FILE] [--bin PATH] [--wordnet DIR] [--nltk-data DIR]
  --pairs      default: generated with make_pairs.py into a temp dir
  --bin        Rust score_pairs example; default: built with
               cargo build --release -p kubescribe-metrics --example score_pairs
  --wordnet    WordNet dict dir for Rust (default $KUBESCRIBE_WORDNET or
               /usr/share/wordnet)
  --nltk-data  nltk data dir holding corpora/wordnet (default $NLTK_DATA or
               ~/.cache/kubescribe-metrics/nltk_data, made by install_refs.sh)
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOL = 1e-6
PAIR_METRICS = ["bleu", "chrf_pp", "rouge1", "rouge2", "rougeL", "rougeLsum",
                "rouge1_stem", "rouge2_stem", "rougeL_stem", "rougeLsum_stem",
                "meteor", "meteor_nown"]
ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def default_nltk_data():
    if os.environ.get("NLTK_DATA"):
        return os.environ["NLTK_DATA"]
    return str(Path.home() / ".cache" / "kubescribe-metrics" / "nltk_data")


def build_binary():
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubescribe-metrics",
                    "--example", "score_pairs"], cwd=REPO, check=True)
    return str(target / "release" / "examples" / "score_pairs")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_rust(binary, pairs_path, wordnet):
    cmd = [binary, pairs_path] + (["--wordnet", wordnet] if wordnet else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, encoding="utf-8").stdout
    rows = [json.loads(line) for line in out.split("\n") if line.strip()]
    return rows[:-1], rows[-1]


class NoWordNet:
    """Stands in for nltk's WordNet with no synsets at all."""

    def synsets(self, *args, **kwargs):
        return []


def python_reference(pairs):
    import sacrebleu
    from sacrebleu.metrics import CHRF
    from rouge_score import rouge_scorer
    from nltk.translate.meteor_score import meteor_score
    from nltk.corpus import wordnet

    chrf_pp = CHRF(word_order=2)
    plain = rouge_scorer.RougeScorer(ROUGE_TYPES, use_stemmer=False)
    stem = rouge_scorer.RougeScorer(ROUGE_TYPES, use_stemmer=True)
    nown = NoWordNet()
    rows = []
    for p in pairs:
        hyp, ref = p["hypothesis"], p["reference"]
        row = {"id": p["id"],
               "bleu": sacrebleu.sentence_bleu(hyp, [ref]).score,
               "chrf_pp": chrf_pp.sentence_score(hyp, [ref]).score}
        s = plain.score(ref, hyp)
        for t in ROUGE_TYPES:
            row[t] = s[t].fmeasure
        s = stem.score(ref, hyp)
        for t in ROUGE_TYPES:
            row[t + "_stem"] = s[t].fmeasure
        row["meteor"] = meteor_score([ref.split()], hyp.split(), wordnet=wordnet)
        row["meteor_nown"] = meteor_score([ref.split()], hyp.split(), wordnet=nown)
        rows.append(row)
    hyps = [p["hypothesis"] for p in pairs]
    refs = [p["reference"] for p in pairs]
    corpus = {"bleu": sacrebleu.corpus_bleu(hyps, [refs]).score,
              "chrf_pp": CHRF(word_order=2).corpus_score(hyps, [refs]).score}
    for m in PAIR_METRICS[2:]:
        corpus[m] = sum(r[m] for r in rows) / len(rows)
    return rows, corpus


def main():
    ap = argparse.ArgumentParser(description="kubescribe-metrics parity test")
    ap.add_argument("--pairs")
    ap.add_argument("--bin")
    ap.add_argument("--wordnet", default=os.environ.get("KUBESCRIBE_WORDNET", "/usr/share/wordnet"))
    ap.add_argument("--nltk-data", default=default_nltk_data())
    ap.add_argument("--show", type=int, default=10, help="mismatches to print")
    args = ap.parse_args()

    os.environ["NLTK_DATA"] = args.nltk_data
    import nltk
    nltk.data.path.insert(0, args.nltk_data)
    warnings.filterwarnings("ignore")

    # removed when the run ends (the finalizer runs at exit, sys.exit included)
    scratch = tempfile.TemporaryDirectory(prefix="ksm-parity-")
    tmp = scratch.name
    pairs_path = args.pairs
    if not pairs_path:
        pairs_path = os.path.join(tmp, "pairs.jsonl")
        subprocess.run([sys.executable, str(HERE / "make_pairs.py"), "-o", pairs_path], check=True)
    binary = args.bin or build_binary()
    pairs = read_jsonl(pairs_path)

    rust_rows, rust_corpus = run_rust(binary, pairs_path, args.wordnet)
    nown_rows, nown_corpus = run_rust(binary, pairs_path, None)
    if len(rust_rows) != len(pairs) or len(nown_rows) != len(pairs):
        sys.exit(f"row count mismatch: {len(pairs)} pairs, rust {len(rust_rows)}/{len(nown_rows)}")
    for r, n in zip(rust_rows, nown_rows):
        r["meteor_nown"] = n["meteor"]
    rust_corpus["meteor_nown"] = nown_corpus["meteor"]
    assert rust_corpus.get("meteor_mode") == "exact+stem+wordnet", rust_corpus
    assert nown_corpus.get("meteor_mode") == "exact+stem", nown_corpus

    py_rows, py_corpus = python_reference(pairs)

    passed = failed = 0
    max_diff = {m: 0.0 for m in PAIR_METRICS}
    corpus_diff = {}
    fails = []

    def compare(pid, metric, py, rs):
        nonlocal passed, failed
        d = abs(py - rs) if (isinstance(rs, (int, float)) and math.isfinite(rs)) else math.inf
        if d <= TOL:
            passed += 1
        else:
            failed += 1
            fails.append((pid, metric, py, rs))
        return d

    for p, py, rs in zip(pairs, py_rows, rust_rows):
        if rs["id"] != p["id"]:
            failed += 1
            fails.append((p["id"], "id", p["id"], rs["id"]))
            continue
        for m in PAIR_METRICS:
            max_diff[m] = max(max_diff[m], compare(p["id"], m, py[m], rs.get(m)))
    for m in PAIR_METRICS:
        corpus_diff[m] = compare("__corpus__", m, py_corpus[m], rust_corpus.get(m))

    print(f"pairs: {len(pairs)}  ({pairs_path})")
    print(f"{'metric':<16}{'max |diff| pairs':>20}{'|diff| corpus':>18}{'corpus value':>16}")
    for m in PAIR_METRICS:
        print(f"{m:<16}{max_diff[m]:>20.3e}{corpus_diff[m]:>18.3e}{py_corpus[m]:>16.6f}")
    for pid, m, py, rs in fails[: args.show]:
        print(f"MISMATCH {pid} {m}: python={py!r} rust={rs!r}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
