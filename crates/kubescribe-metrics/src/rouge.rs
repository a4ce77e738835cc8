//! ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum exactly as Google's
//! `rouge-score` 0.1.2 computes them (`rouge_scorer.RougeScorer`).
//!
//! * Tokenizer (`rouge_score.tokenize`): Python `str.lower()`, every run of
//!   characters outside `[a-z0-9]` becomes a separator, empty tokens are
//!   dropped. Non-ASCII letters are therefore *removed* (but a character
//!   whose lowercase form is ASCII, e.g. the Kelvin sign, survives).
//! * With `use_stemmer=True`, tokens longer than 3 characters go through
//!   nltk's `PorterStemmer()` in its default `NLTK_EXTENSIONS` mode.
//! * ROUGE-Lsum splits both texts on `"\n"` only (`split_summaries=False`),
//!   drops empty lines and computes the summary-level union LCS with
//!   rouge-score's double-counting guard.
//! * Reported values are F-measures in 0–1; an empty side scores 0.

use std::hash::Hash;

use rustc_hash::FxHashMap;

use crate::porter::PorterStemmer;
use crate::pyutil::py_lower;

/// Precision, recall and F-measure (`rouge_score.scoring.Score`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RougeScore {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1 (`scoring.fmeasure`).
    pub fmeasure: f64,
}

/// The four ROUGE variants for one (target, prediction) pair.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RougeScores {
    /// ROUGE-1.
    pub rouge1: RougeScore,
    /// ROUGE-2.
    pub rouge2: RougeScore,
    /// ROUGE-L (sentence-level LCS over the whole text).
    pub rouge_l: RougeScore,
    /// ROUGE-Lsum (summary-level LCS over newline-separated sentences).
    pub rouge_lsum: RougeScore,
}

fn fmeasure(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

fn score(precision: f64, recall: f64) -> RougeScore {
    RougeScore {
        precision,
        recall,
        fmeasure: fmeasure(precision, recall),
    }
}

/// `rouge_score.tokenize.tokenize(text, stemmer)`.
#[must_use]
pub fn tokenize(text: &str, use_stemmer: bool) -> Vec<String> {
    let lower = py_lower(text);
    let stemmer = PorterStemmer::default();
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .map(|t| {
            if use_stemmer && t.len() > 3 {
                stemmer.stem(t)
            } else {
                t.to_string()
            }
        })
        // VALID_TOKEN_RE: stems of [a-z0-9]+ tokens stay in [a-z0-9]+, but
        // keep the check to mirror the reference.
        .filter(|t| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        .collect()
}

fn ngram_counts<T: Hash + Eq>(tokens: &[T], n: usize) -> FxHashMap<&[T], u64> {
    let mut m = FxHashMap::default();
    if tokens.len() >= n {
        for w in tokens.windows(n) {
            *m.entry(w).or_insert(0) += 1;
        }
    }
    m
}

fn score_ngrams<T: Hash + Eq>(target: &[T], prediction: &[T], n: usize) -> RougeScore {
    let t = ngram_counts(target, n);
    let p = ngram_counts(prediction, n);
    let mut inter = 0u64;
    for (ng, &c) in &t {
        inter += c.min(p.get(ng).copied().unwrap_or(0));
    }
    let t_count: u64 = t.values().sum();
    let p_count: u64 = p.values().sum();
    score(
        inter as f64 / p_count.max(1) as f64,
        inter as f64 / t_count.max(1) as f64,
    )
}

/// Flat `(rows+1) x (cols+1)` LCS table.
fn lcs_table<T: Eq>(r: &[T], c: &[T]) -> Vec<u32> {
    let cols = c.len() + 1;
    let mut t = vec![0u32; (r.len() + 1) * cols];
    for i in 1..=r.len() {
        for j in 1..=c.len() {
            t[i * cols + j] = if r[i - 1] == c[j - 1] {
                t[(i - 1) * cols + j - 1] + 1
            } else {
                t[(i - 1) * cols + j].max(t[i * cols + j - 1])
            };
        }
    }
    t
}

fn lcs_len<T: Eq>(r: &[T], c: &[T]) -> u32 {
    // Two-row version of the table; same value as the full table.
    let mut prev = vec![0u32; c.len() + 1];
    let mut cur = vec![0u32; c.len() + 1];
    for x in r {
        for (j, y) in c.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[c.len()]
}

/// `_backtrack_norec`: indices into `r` of one LCS.
fn lcs_indices<T: Eq>(r: &[T], c: &[T]) -> Vec<usize> {
    let t = lcs_table(r, c);
    let cols = c.len() + 1;
    let (mut i, mut j) = (r.len(), c.len());
    let mut out = Vec::new();
    while i > 0 && j > 0 {
        if r[i - 1] == c[j - 1] {
            out.push(i - 1);
            i -= 1;
            j -= 1;
        } else if t[i * cols + j - 1] > t[(i - 1) * cols + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
    out.reverse();
    out
}

fn score_lcs<T: Eq>(target: &[T], prediction: &[T]) -> RougeScore {
    if target.is_empty() || prediction.is_empty() {
        return RougeScore::default();
    }
    let l = f64::from(lcs_len(target, prediction));
    score(l / prediction.len() as f64, l / target.len() as f64)
}

fn summary_level_lcs(ref_sents: &[Vec<String>], can_sents: &[Vec<String>]) -> RougeScore {
    if ref_sents.is_empty() || can_sents.is_empty() {
        return RougeScore::default();
    }
    let m: usize = ref_sents.iter().map(Vec::len).sum();
    let n: usize = can_sents.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return RougeScore::default();
    }
    let mut cnt_r: FxHashMap<&str, i64> = FxHashMap::default();
    let mut cnt_c: FxHashMap<&str, i64> = FxHashMap::default();
    for s in ref_sents {
        for t in s {
            *cnt_r.entry(t).or_insert(0) += 1;
        }
    }
    for s in can_sents {
        for t in s {
            *cnt_c.entry(t).or_insert(0) += 1;
        }
    }
    let mut hits = 0u64;
    for r in ref_sents {
        let mut union: Vec<usize> = can_sents.iter().flat_map(|c| lcs_indices(r, c)).collect();
        union.sort_unstable();
        union.dedup();
        for i in union {
            let t = r[i].as_str();
            let (Some(cc), Some(cr)) = (cnt_c.get(t).copied(), cnt_r.get(t).copied()) else {
                continue;
            };
            if cc > 0 && cr > 0 {
                hits += 1;
                cnt_c.insert(t, cc - 1);
                cnt_r.insert(t, cr - 1);
            }
        }
    }
    score(hits as f64 / n as f64, hits as f64 / m as f64)
}

fn sentences(text: &str, use_stemmer: bool) -> Vec<Vec<String>> {
    text.split('\n')
        .filter(|s| !s.is_empty())
        .map(|s| tokenize(s, use_stemmer))
        .collect()
}

/// `RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'],
/// use_stemmer=use_stemmer).score(target, prediction)`.
///
/// Note the argument order of rouge-score: the **reference** (target) comes
/// first.
#[must_use]
pub fn rouge_scores(target: &str, prediction: &str, use_stemmer: bool) -> RougeScores {
    let t = tokenize(target, use_stemmer);
    let p = tokenize(prediction, use_stemmer);
    RougeScores {
        rouge1: score_ngrams(&t, &p, 1),
        rouge2: score_ngrams(&t, &p, 2),
        rouge_l: score_lcs(&t, &p),
        rouge_lsum: summary_level_lcs(
            &sentences(target, use_stemmer),
            &sentences(prediction, use_stemmer),
        ),
    }
}

/// ROUGE-N for any `n >= 1` (`rouge{n}`); `n == 0` scores 0 (rouge-score
/// raises `ValueError`).
#[must_use]
pub fn rouge_n(target: &str, prediction: &str, n: usize, use_stemmer: bool) -> RougeScore {
    if n == 0 {
        return RougeScore::default();
    }
    score_ngrams(
        &tokenize(target, use_stemmer),
        &tokenize(prediction, use_stemmer),
        n,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer() {
        assert_eq!(
            tokenize("Hello, Wörld! K8s_v1.2 \u{212a}elvin", false),
            ["hello", "w", "rld", "k8s", "v1", "2", "kelvin"]
        );
        assert_eq!(
            tokenize("running quickly cats", true),
            ["run", "quickli", "cat"]
        );
    }
}
