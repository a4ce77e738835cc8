"""Metric values from Python equal the Rust crate's (`score_pairs`, as `kubescribe score`) and the reference tools'
(sacrebleu 2.6.0, rouge-score 0.1.2, nltk 3.10.4)."""

import json
import os
import subprocess
import warnings
from pathlib import Path

import pytest

import kubescribe
from conftest import EXAMPLES, REPO

WORDNET_MINI = REPO / "kubescribe-metrics" / "tests" / "fixtures" / "wordnet-mini"
WORDNET = Path(os.environ.get("KUBESCRIBE_WORDNET", "/usr/share/wordnet"))
NLTK_DATA = os.environ.get("NLTK_DATA", str(Path.home() / ".cache" / "kubescribe-metrics" / "nltk_data"))
METRICS = ["bleu", "chrf_pp", "rouge1", "rouge2", "rougeL", "rougeLsum",
           "rouge1_stem", "rouge2_stem", "rougeL_stem", "rougeLsum_stem", "meteor"]


def dataset_pairs():
    """Synthesizer outputs vs the dataset's hand-written references, plus a few edge cases."""
    pairs = []
    for line in (EXAMPLES / "eval" / "dataset.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            hyp = kubescribe.synthesize(kubescribe.Intent.from_json(row["prompt"])).to_yaml()
            pairs.append((hyp, row["reference"]))
    pairs += [
        ("The cat sat on the mat.", "The cat is sitting on the mat."),
        ("allow nginx to read /var/www", "only let nginx read files under /var/www and run it"),
        ("", "non-empty reference"),
        ("identical text", "identical text"),
        ("running dogs quickly", "the dog runs fast"),
        ("α β γ  δ", "α β δ"),
    ]
    return pairs


PAIRS = dataset_pairs()
HYPS = [h for h, _ in PAIRS]
REFS = [r for _, r in PAIRS]


def score_pairs_bin() -> Path:
    """The metrics crate's `score_pairs` example (the engine behind `kubescribe score --pairs`)."""
    candidates = [os.environ.get("KUBESCRIBE_SCORE_PAIRS")]
    targets = [os.environ.get("CARGO_TARGET_DIR"), str(REPO / "target")]
    for t in filter(None, targets):
        candidates += [f"{t}/release/examples/score_pairs", f"{t}/debug/examples/score_pairs"]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    raise AssertionError("score_pairs is not built: set KUBESCRIBE_SCORE_PAIRS or run "
                         "`cargo build --release -p kubescribe-metrics --example score_pairs`")


def rust_scores(tmp_path, wordnet: Path):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"id": i, "hypothesis": h, "reference": r}) + "\n"
                             for i, (h, r) in enumerate(PAIRS)))
    out = subprocess.run([str(score_pairs_bin()), str(pairs), "--wordnet", str(wordnet)],
                         check=True, capture_output=True, text=True).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    return rows[:-1], rows[-1]


def test_python_values_equal_the_rust_values_exactly(tmp_path):
    wn = kubescribe.WordNet(WORDNET_MINI)
    rust_pairs, rust_corpus = rust_scores(tmp_path, WORDNET_MINI)
    batch = kubescribe.score_batch(HYPS, REFS, wordnet=wn)
    assert len(batch) == len(PAIRS)
    for rust, py, (h, r) in zip(rust_pairs, batch.pairs, PAIRS):
        assert py == rust
        single = kubescribe.score(h, r, wordnet=wn)
        assert single == {k: rust[k] for k in METRICS}
        assert kubescribe.bleu(h, r) == rust["bleu"]
        assert kubescribe.chrf(h, r) == rust["chrf_pp"]
        assert kubescribe.meteor(h, r, wordnet=wn) == rust["meteor"]
        plain, stem = kubescribe.rouge(h, r), kubescribe.rouge(h, r, stem=True)
        for t in ["rouge1", "rouge2", "rougeL", "rougeLsum"]:
            assert plain[t] == rust[t] and stem[t] == rust[t + "_stem"]
    assert batch.corpus == rust_corpus
    assert kubescribe.corpus_score(HYPS, REFS, wordnet=wn) == {k: v for k, v in rust_corpus.items() if k != "id"}
    assert kubescribe.corpus_bleu(HYPS, REFS) == rust_corpus["bleu"]
    assert kubescribe.corpus_chrf(HYPS, REFS) == rust_corpus["chrf_pp"]
    assert kubescribe.corpus_meteor(HYPS, REFS, wordnet=wn) == rust_corpus["meteor"]
    cr = kubescribe.corpus_rouge(HYPS, REFS, stem=True)
    assert cr["rougeL"] == rust_corpus["rougeL_stem"]
    # Batch functions equal the per-pair ones, in input order.
    assert kubescribe.bleu_batch(HYPS, REFS) == batch.column("bleu")
    assert kubescribe.chrf_batch(HYPS, REFS) == batch.column("chrf_pp")
    assert kubescribe.meteor_batch(HYPS, REFS, wordnet=wn) == batch.column("meteor")
    assert [x["rougeLsum"] for x in kubescribe.rouge_batch(HYPS, REFS)] == batch.column("rougeLsum")
    sequential = kubescribe.score_batch(HYPS, REFS, wordnet=wn, parallel=False, ids=[f"p{i}" for i in range(len(PAIRS))])
    assert [p["id"] for p in sequential.pairs][:2] == ["p0", "p1"]
    assert sequential.column("meteor") == batch.column("meteor")


def test_python_values_equal_the_reference_tools():
    os.environ["NLTK_DATA"] = NLTK_DATA
    warnings.filterwarnings("ignore")
    import sacrebleu
    from nltk.translate.meteor_score import meteor_score
    from rouge_score import rouge_scorer
    from sacrebleu.metrics import CHRF

    wn = kubescribe.WordNet(WORDNET)
    types = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    plain = rouge_scorer.RougeScorer(types, use_stemmer=False)
    stem = rouge_scorer.RougeScorer(types, use_stemmer=True)
    chrf_pp, chrf0 = CHRF(word_order=2), CHRF()
    for h, r in PAIRS:
        assert kubescribe.bleu(h, r) == pytest.approx(sacrebleu.sentence_bleu(h, [r]).score, abs=1e-9)
        assert kubescribe.chrf(h, r) == pytest.approx(chrf_pp.sentence_score(h, [r]).score, abs=1e-9)
        assert kubescribe.chrf(h, r, word_order=0) == pytest.approx(chrf0.sentence_score(h, [r]).score, abs=1e-9)
        ours, ours_stem = kubescribe.rouge(h, r, detail=True), kubescribe.rouge(h, r, stem=True)
        ref, ref_stem = plain.score(r, h), stem.score(r, h)
        for t in types:
            for part in ["precision", "recall", "fmeasure"]:
                assert ours[t][part] == pytest.approx(getattr(ref[t], part), abs=1e-12)
            assert ours_stem[t] == pytest.approx(ref_stem[t].fmeasure, abs=1e-12)
        assert kubescribe.meteor(h, r, wordnet=wn) == pytest.approx(meteor_score([r.split()], h.split()), abs=1e-9)
    nonempty = [(h, r) for h, r in PAIRS if h and r]
    hs, rs = [h for h, _ in nonempty], [r for _, r in nonempty]
    assert kubescribe.corpus_bleu(hs, rs) == pytest.approx(sacrebleu.corpus_bleu(hs, [rs]).score, abs=1e-9)
    assert kubescribe.corpus_chrf(hs, rs) == pytest.approx(CHRF(word_order=2).corpus_score(hs, [rs]).score, abs=1e-9)


def test_wordnet_synonyms_drive_meteor():
    wn = kubescribe.WordNet(WORDNET)
    assert "automobile" in wn.synonyms("car")
    # "permit" and "allow" share a synset: only the synonym stage matches them.
    with_wn = kubescribe.meteor("permit traffic from the frontend", "allow traffic from the frontend", wordnet=wn)
    without = kubescribe.meteor("permit traffic from the frontend", "allow traffic from the frontend")
    assert with_wn > without
    with pytest.raises(kubescribe.MissingFileError):
        kubescribe.WordNet(REPO / "no-such-dir")


def test_mismatched_lengths_and_unknown_columns_raise():
    with pytest.raises(kubescribe.MetricsError, match="2 hypotheses but 1 references"):
        kubescribe.bleu_batch(["a", "b"], ["a"])
    with pytest.raises(kubescribe.MetricsError):
        kubescribe.score_batch(["a"], ["a"], ids=[1, 2])
    with pytest.raises(kubescribe.ParseError):
        kubescribe.score_batch(["a"], ["a"]).column("bleurt")
    with pytest.raises(TypeError):
        kubescribe.bleu_batch("ab", "ab")  # type: ignore[arg-type]
    assert kubescribe.corpus_bleu([], []) == 0.0
    assert kubescribe.corpus_meteor([], []) == 0.0


def test_batch_texts_are_converted_once_and_score_as_one_by_one():
    # Texts cross into Rust joined by NUL; one holding a NUL itself goes item by item.
    hyps = ("a\x00b c", "the cat sat", "", "ünïcode ✓ text")
    refs = ["a b c", "the cat sat on the mat", "x", "unicode text"]
    plain = [h.replace("\x00", " ") for h in hyps]
    for texts in (hyps, plain):
        expected = [kubescribe.bleu(h, r) for h, r in zip(texts, refs)]
        for arg in (list(texts), tuple(texts), iter(texts)):
            assert kubescribe.bleu_batch(arg, refs) == expected
    assert kubescribe.chrf_batch(hyps, refs) == [kubescribe.chrf(h, r) for h, r in zip(hyps, refs)]
    assert kubescribe.rouge_batch(hyps, refs, stem=True) == [kubescribe.rouge(h, r, stem=True)
                                                            for h, r in zip(hyps, refs)]
    assert kubescribe.meteor_batch(hyps, refs) == [kubescribe.meteor(h, r) for h, r in zip(hyps, refs)]
    assert kubescribe.rouge_batch([""], [""]) == [kubescribe.rouge("", "")]
    assert kubescribe.bleu_batch([], []) == []
    with pytest.raises(TypeError):
        kubescribe.rouge_batch(["a", 1], ["a", "b"])  # type: ignore[list-item]
