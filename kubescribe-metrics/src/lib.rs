//! # kubescribe-metrics
//!
//! Text-similarity metrics that are numerically equal (to ~1e-12) to the
//! standard Python reference implementations. Used by kubescribe to compare
//! generated runtime-security policies with reference policies.
//!
//! | metric | reference | settings | scale |
//! | --- | --- | --- | --- |
//! | BLEU ([`bleu`]) | sacrebleu 2.6.0 | `corpus_bleu(hyps, [refs])` / `sentence_bleu(hyp, [ref])` defaults: tokenizer `13a`, `smooth_method='exp'`, no lowercasing, max order 4; sentence BLEU uses the effective order, corpus BLEU does not | 0–100 |
//! | chrF++ / chrF ([`chrf`]) | sacrebleu 2.6.0 | `CHRF(word_order=2)` / `CHRF()`: char order 6, beta 2, whitespace removed, `eps_smoothing=False`; `sentence_score` and `corpus_score` | 0–100 |
//! | ROUGE ([`rouge`]) | rouge-score 0.1.2 | `RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'], use_stemmer=False/True)`, default tokenizer (lowercase, `[a-z0-9]+` tokens), nltk `PorterStemmer()` (`NLTK_EXTENSIONS`) on tokens longer than 3 chars, Lsum splits on `\n`; F-measure reported | 0–1 |
//! | METEOR ([`mod@meteor`]) | nltk 3.10.4 | `meteor_score([ref.split()], hyp.split())`: `preprocess=str.lower`, alpha 0.9, beta 3, gamma 0.5, stages exact → Porter stem (`NLTK_EXTENSIONS`) → WordNet 3.0 synonyms | 0–1 |
//!
//! Python details reproduced on purpose: `str.split()` whitespace (which
//! includes `\x1c`–`\x1f` besides Unicode `White_Space`, see [`pyutil`]),
//! `str.rstrip()` before BLEU tokenization, `str.lower()`, and code-point
//! (not byte) indexing for character n-grams and stemming.
//!
//! Empty inputs follow the references: BLEU, chrF++, ROUGE and METEOR are 0
//! whenever the hypothesis or the reference is empty (also when both are).
//! Corpus functions return 0 for an empty corpus, where sacrebleu raises.
//!
//! METEOR's synonym stage needs a WordNet 3.0 database directory
//! ([`WordNet::load`]); without one, [`MeteorMode::ExactStem`] is used and
//! reported (equal to nltk with a WordNet that has no synsets).
//!
//! The convenience layer ([`score_pair`], [`score_corpus`], [`score_batch`],
//! [`score_pairs_jsonl`]) computes everything at once; batch scoring runs on
//! rayon's global pool (`RAYON_NUM_THREADS` controls the thread count) and is
//! deterministic and ordered. Porter stems (per thread) and WordNet synonym
//! sets (per [`WordNet`]) are memoized in bounded caches; this never changes a
//! result.
//!
//! Parity with the Python tools is checked by `scripts/metrics/parity.py`
//! (every metric of 360 generated pairs within 1e-6; currently bit-identical)
//! and, offline, by this crate's `tests/parity.rs`.
//!
//! It holds text metrics only: policy-level metrics (compile rate,
//! coverage) are `kubescribe-infer`'s `eval`, since they validate.
//!
//! ```
//! let b = kubescribe_metrics::bleu::sentence_bleu("kind: NetworkPolicy", "kind: NetworkPolicy");
//! assert!((b - 100.0).abs() < 1e-9);
//! ```

pub mod bleu;
pub mod chrf;
pub mod meteor;
mod ngram;
mod pairs;
pub mod porter;
pub mod pyutil;
pub mod rouge;
pub mod wordnet;

use std::path::PathBuf;

pub use bleu::{corpus_bleu, sentence_bleu, tokenize_13a};
pub use chrf::{corpus_chrf, corpus_chrf_pp, sentence_chrf, sentence_chrf_pp};
pub use meteor::{MeteorMode, meteor};
pub use pairs::{
    BatchScores, CorpusScores, Options, Pair, PairScores, score_batch, score_corpus, score_pair,
    score_pairs_jsonl,
};
pub use porter::{PorterMode, PorterStemmer};
pub use rouge::{RougeScore, RougeScores, rouge_n, rouge_scores, rouge_scores_both};
pub use wordnet::WordNet;

/// Errors of this crate. Metric functions themselves are infallible; errors
/// come from input parsing, WordNet loading and I/O.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A JSONL input line is not a `{"id", "hypothesis", "reference"}` object.
    #[error("pairs input line {line}: {message}")]
    InvalidLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A WordNet database file is missing or malformed.
    #[error("WordNet file {path}: {message}")]
    WordNet {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Writing output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Serializing output failed.
    #[error("JSON output error: {0}")]
    Json(#[from] serde_json::Error),
}
