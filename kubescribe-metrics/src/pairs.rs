//! Convenience API: all metrics for one pair, for a corpus, and the JSONL
//! driver behind `kubescribe score --pairs`.

use std::io::{BufRead, Write};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::MetricsError;
use crate::bleu::{BleuStats, Smoothing, bleu_stats, compute_bleu};
use crate::chrf::{ChrfConfig, ChrfStats, chrf_from_stats, chrf_stats};
use crate::meteor::{MeteorMode, meteor};
use crate::rouge::rouge_scores_both;
use crate::wordnet::WordNet;

/// Options for [`score_pair`], [`score_corpus`], [`score_batch`] and
/// [`score_pairs_jsonl`].
#[derive(Debug, Clone)]
pub struct Options {
    /// WordNet database for METEOR's synonym stage; `None` runs METEOR with
    /// exact + stem matching only (see [`MeteorMode`]).
    pub wordnet: Option<Arc<WordNet>>,
    /// Score pairs in parallel on rayon's global pool (results stay in input
    /// order and are identical to sequential scoring).
    pub parallel: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            wordnet: None,
            parallel: true,
        }
    }
}

impl Options {
    /// Options with the WordNet database loaded from `dir`.
    ///
    /// # Errors
    /// See [`WordNet::load`].
    pub fn with_wordnet_dir(dir: impl AsRef<std::path::Path>) -> Result<Self, MetricsError> {
        Ok(Self {
            wordnet: Some(Arc::new(WordNet::load(dir)?)),
            ..Self::default()
        })
    }

    /// The METEOR variant these options select.
    #[must_use]
    pub fn meteor_mode(&self) -> MeteorMode {
        MeteorMode::for_wordnet(self.wordnet.as_deref())
    }
}

/// One input pair (a line of the JSONL input).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Pair {
    /// Caller's identifier, echoed back unchanged (string, number, ...).
    #[serde(default)]
    pub id: Value,
    /// System output.
    pub hypothesis: String,
    /// Reference text.
    pub reference: String,
}

/// All metrics of one (hypothesis, reference) pair.
///
/// BLEU and chrF++ are on the 0–100 scale, ROUGE and METEOR on 0–1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairScores {
    /// The pair's id (`null` from [`score_pair`]).
    pub id: Value,
    /// `sacrebleu.sentence_bleu(hyp, [ref])`.
    pub bleu: f64,
    /// `CHRF(word_order=2).sentence_score(hyp, [ref])`.
    pub chrf_pp: f64,
    /// rouge-score ROUGE-1 F1, no stemming.
    pub rouge1: f64,
    /// rouge-score ROUGE-2 F1, no stemming.
    pub rouge2: f64,
    /// rouge-score ROUGE-L F1, no stemming.
    #[serde(rename = "rougeL")]
    pub rouge_l: f64,
    /// rouge-score ROUGE-Lsum F1, no stemming.
    #[serde(rename = "rougeLsum")]
    pub rouge_lsum: f64,
    /// ROUGE-1 F1 with `use_stemmer=True`.
    pub rouge1_stem: f64,
    /// ROUGE-2 F1 with `use_stemmer=True`.
    pub rouge2_stem: f64,
    /// ROUGE-L F1 with `use_stemmer=True`.
    #[serde(rename = "rougeL_stem")]
    pub rouge_l_stem: f64,
    /// ROUGE-Lsum F1 with `use_stemmer=True`.
    #[serde(rename = "rougeLsum_stem")]
    pub rouge_lsum_stem: f64,
    /// nltk METEOR (mode given by [`Options::meteor_mode`]).
    pub meteor: f64,
}

/// Corpus-level scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CorpusScores {
    /// Always `"__corpus__"`.
    pub id: Value,
    /// `sacrebleu.corpus_bleu(hyps, [refs])` (0–100).
    pub bleu: f64,
    /// `CHRF(word_order=2).corpus_score(hyps, [refs])` (0–100).
    pub chrf_pp: f64,
    /// Mean of per-pair ROUGE-1 F1.
    pub rouge1: f64,
    /// Mean of per-pair ROUGE-2 F1.
    pub rouge2: f64,
    /// Mean of per-pair ROUGE-L F1.
    #[serde(rename = "rougeL")]
    pub rouge_l: f64,
    /// Mean of per-pair ROUGE-Lsum F1.
    #[serde(rename = "rougeLsum")]
    pub rouge_lsum: f64,
    /// Mean of per-pair stemmed ROUGE-1 F1.
    pub rouge1_stem: f64,
    /// Mean of per-pair stemmed ROUGE-2 F1.
    pub rouge2_stem: f64,
    /// Mean of per-pair stemmed ROUGE-L F1.
    #[serde(rename = "rougeL_stem")]
    pub rouge_l_stem: f64,
    /// Mean of per-pair stemmed ROUGE-Lsum F1.
    #[serde(rename = "rougeLsum_stem")]
    pub rouge_lsum_stem: f64,
    /// Mean of per-pair METEOR.
    pub meteor: f64,
    /// Number of pairs.
    pub pairs: usize,
    /// Which METEOR stages ran.
    pub meteor_mode: MeteorMode,
}

/// Per-pair scores plus the corpus line.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchScores {
    /// One entry per input pair, in input order.
    pub pairs: Vec<PairScores>,
    /// Corpus-level scores.
    pub corpus: CorpusScores,
}

struct Scored {
    scores: PairScores,
    bleu: BleuStats,
    chrf: ChrfStats,
}

fn score_one(id: Value, hyp: &str, reference: &str, opts: &Options) -> Scored {
    let bleu = bleu_stats(hyp, reference);
    let chrf = chrf_stats(hyp, reference, &ChrfConfig::CHRF_PP);
    let (plain, stem) = rouge_scores_both(reference, hyp);
    let scores = PairScores {
        id,
        bleu: compute_bleu(&bleu, Smoothing::Exp, true).score,
        chrf_pp: chrf_from_stats(&chrf, &ChrfConfig::CHRF_PP),
        rouge1: plain.rouge1.fmeasure,
        rouge2: plain.rouge2.fmeasure,
        rouge_l: plain.rouge_l.fmeasure,
        rouge_lsum: plain.rouge_lsum.fmeasure,
        rouge1_stem: stem.rouge1.fmeasure,
        rouge2_stem: stem.rouge2.fmeasure,
        rouge_l_stem: stem.rouge_l.fmeasure,
        rouge_lsum_stem: stem.rouge_lsum.fmeasure,
        meteor: meteor(hyp, reference, opts.wordnet.as_deref()),
    };
    Scored { scores, bleu, chrf }
}

/// All metrics of one pair (the `id` field is `null`).
#[must_use]
pub fn score_pair(hyp: &str, reference: &str, opts: &Options) -> PairScores {
    score_one(Value::Null, hyp, reference, opts).scores
}

fn mean(scored: &[Scored], f: impl Fn(&PairScores) -> f64) -> f64 {
    if scored.is_empty() {
        return 0.0;
    }
    // Sequential left-to-right sum, like Python's sum(xs) / len(xs).
    let mut s = 0.0;
    for x in scored {
        s += f(&x.scores);
    }
    s / scored.len() as f64
}

fn finish(scored: Vec<Scored>, opts: &Options) -> BatchScores {
    let mut bleu = BleuStats::default();
    let mut chrf = ChrfStats::default();
    for s in &scored {
        bleu.add(&s.bleu);
        chrf.add(&s.chrf);
    }
    let corpus = CorpusScores {
        id: Value::from("__corpus__"),
        bleu: if scored.is_empty() {
            0.0
        } else {
            compute_bleu(&bleu, Smoothing::Exp, false).score
        },
        chrf_pp: chrf_from_stats(&chrf, &ChrfConfig::CHRF_PP),
        rouge1: mean(&scored, |p| p.rouge1),
        rouge2: mean(&scored, |p| p.rouge2),
        rouge_l: mean(&scored, |p| p.rouge_l),
        rouge_lsum: mean(&scored, |p| p.rouge_lsum),
        rouge1_stem: mean(&scored, |p| p.rouge1_stem),
        rouge2_stem: mean(&scored, |p| p.rouge2_stem),
        rouge_l_stem: mean(&scored, |p| p.rouge_l_stem),
        rouge_lsum_stem: mean(&scored, |p| p.rouge_lsum_stem),
        meteor: mean(&scored, |p| p.meteor),
        pairs: scored.len(),
        meteor_mode: opts.meteor_mode(),
    };
    BatchScores {
        pairs: scored.into_iter().map(|s| s.scores).collect(),
        corpus,
    }
}

fn score_all<'a, T: Sync>(
    items: &'a [T],
    get: impl Fn(&'a T) -> (Value, &'a str, &'a str) + Sync,
    opts: &Options,
) -> Vec<Scored> {
    let one = |t: &'a T| {
        let (id, h, r) = get(t);
        score_one(id, h, r, opts)
    };
    if opts.parallel {
        items.par_iter().map(one).collect()
    } else {
        items.iter().map(one).collect()
    }
}

/// Scores every pair and the corpus.
#[must_use]
pub fn score_batch(pairs: &[Pair], opts: &Options) -> BatchScores {
    let scored = score_all(
        pairs,
        |p| (p.id.clone(), p.hypothesis.as_str(), p.reference.as_str()),
        opts,
    );
    finish(scored, opts)
}

/// Corpus scores of `(hypothesis, reference)` pairs: corpus BLEU and chrF++
/// from summed sacrebleu statistics, mean per-pair ROUGE and METEOR. An empty
/// slice gives all zeros.
#[must_use]
pub fn score_corpus<H: AsRef<str> + Sync, R: AsRef<str> + Sync>(
    pairs: &[(H, R)],
    opts: &Options,
) -> CorpusScores {
    let scored = score_all(pairs, |(h, r)| (Value::Null, h.as_ref(), r.as_ref()), opts);
    finish(scored, opts).corpus
}

/// Reads JSONL pairs `{"id", "hypothesis", "reference"}` (blank lines are
/// skipped), writes one JSON object per pair with the fields of
/// [`PairScores`], then a corpus line with `"id": "__corpus__"`
/// ([`CorpusScores`]). Returns the corpus scores.
///
/// # Errors
/// [`MetricsError::InvalidLine`] naming the 1-based line number of a line that
/// is not a valid pair object (nothing is written then), or I/O errors.
pub fn score_pairs_jsonl<R: BufRead, W: Write>(
    reader: R,
    mut writer: W,
    opts: &Options,
) -> Result<CorpusScores, MetricsError> {
    let mut pairs = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| MetricsError::InvalidLine {
            line: i + 1,
            message: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let pair: Pair = serde_json::from_str(&line).map_err(|e| MetricsError::InvalidLine {
            line: i + 1,
            message: e.to_string(),
        })?;
        pairs.push(pair);
    }
    let batch = score_batch(&pairs, opts);
    for p in &batch.pairs {
        serde_json::to_writer(&mut writer, p)?;
        writer.write_all(b"\n")?;
    }
    serde_json::to_writer(&mut writer, &batch.corpus)?;
    writer.write_all(b"\n")?;
    writer.flush()?;
    Ok(batch.corpus)
}
