//! chrF and chrF++ exactly as sacrebleu 2.x's `CHRF` computes them.
//!
//! Settings (sacrebleu defaults): character order 6, beta 2, whitespace
//! removed before extracting character n-grams (Python `str.split()`
//! whitespace), no lowercasing, `eps_smoothing=False` (i.e. the
//! effective-order averaging of sacrebleu ≥ 2.0 default; the `eps` variant is
//! available through [`ChrfConfig::eps_smoothing`]). chrF++ adds word
//! unigrams and bigrams (`word_order=2`) over tokens from `str.split()` with
//! one leading or trailing ASCII punctuation character split off.
//!
//! Scores are on the 0–100 scale.

use std::hash::Hash;

use rustc_hash::FxHashMap;

use crate::ngram::{Interner, JointCounts, OrderTotals, pack_chars, pack_ids, pack_small_chars};
use crate::pyutil::{is_py_whitespace, py_split};

/// Punctuation split from word edges for word n-grams (sacrebleu `_PUNCTS`).
const PUNCTS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Parameters of sacrebleu's `CHRF`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChrfConfig {
    /// Character n-gram order (sacrebleu default 6).
    pub char_order: usize,
    /// Word n-gram order: 0 for chrF, 2 for chrF++.
    pub word_order: usize,
    /// Recall weight beta (sacrebleu default 2).
    pub beta: u32,
    /// sacrebleu's `eps_smoothing` (default `false`).
    pub eps_smoothing: bool,
}

impl ChrfConfig {
    /// chrF: `CHRF()` defaults.
    pub const CHRF: ChrfConfig = ChrfConfig {
        char_order: 6,
        word_order: 0,
        beta: 2,
        eps_smoothing: false,
    };
    /// chrF++: `CHRF(word_order=2)`.
    pub const CHRF_PP: ChrfConfig = ChrfConfig {
        char_order: 6,
        word_order: 2,
        beta: 2,
        eps_smoothing: false,
    };

    fn order(&self) -> usize {
        self.char_order + self.word_order
    }
}

impl Default for ChrfConfig {
    fn default() -> Self {
        Self::CHRF_PP
    }
}

/// Per-order `[hyp, ref, match]` n-gram counts, as in sacrebleu's stats list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChrfStats(pub Vec<[u64; 3]>);

impl ChrfStats {
    /// Element-wise sum; a shorter vector is padded with zeros.
    pub fn add(&mut self, other: &ChrfStats) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), [0; 3]);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            for k in 0..3 {
                a[k] += b[k];
            }
        }
    }
}

/// Clipped-count totals of the order-`n` windows of `h` and `r`, keyed by
/// `key` when `packable`, by slice otherwise.
fn order_totals<T: Hash + Eq, Key: Hash + Eq, K: Fn(&[T]) -> Key>(
    h: &[T],
    r: &[T],
    n: usize,
    counts: &mut JointCounts<Key>,
    packable: bool,
    key: K,
) -> [u64; 3] {
    let t = if packable {
        counts.clear();
        for w in h.windows(n) {
            counts.add_hyp(key(w));
        }
        for w in r.windows(n) {
            counts.add_ref(key(w));
        }
        counts.totals()
    } else {
        let mut m: FxHashMap<&[T], [u32; 2]> = FxHashMap::default();
        for w in h.windows(n) {
            m.entry(w).or_default()[0] += 1;
        }
        for w in r.windows(n) {
            m.entry(w).or_default()[1] += 1;
        }
        let mut t = OrderTotals::default();
        for &[a, b] in m.values() {
            t.hyp += u64::from(a);
            t.reference += u64::from(b);
            t.matched += u64::from(a.min(b));
        }
        t
    };
    // sacrebleu: `hyp_count if ref_ngrams else 0`
    [
        if t.reference == 0 { 0 } else { t.hyp },
        t.reference,
        t.matched,
    ]
}

/// sacrebleu's `CHRF._remove_punctuation`.
fn remove_punctuation(sent: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for w in py_split(sent) {
        let mut chars = w.chars();
        let first = chars.next();
        let last = chars.next_back();
        match (first, last) {
            (Some(_), None) => out.push(w),
            (Some(f), Some(l)) => {
                if PUNCTS.contains(l) {
                    out.push(&w[..w.len() - l.len_utf8()]);
                    out.push(&w[w.len() - l.len_utf8()..]);
                } else if PUNCTS.contains(f) {
                    out.push(&w[..f.len_utf8()]);
                    out.push(&w[f.len_utf8()..]);
                } else {
                    out.push(w);
                }
            }
            _ => {}
        }
    }
    out
}

/// Segment statistics of `hyp` against one reference
/// (`CHRF._compute_segment_statistics` with a single reference).
#[must_use]
pub fn chrf_stats(hyp: &str, reference: &str, cfg: &ChrfConfig) -> ChrfStats {
    let hyp_chars: Vec<char> = hyp.chars().filter(|&c| !is_py_whitespace(c)).collect();
    let ref_chars: Vec<char> = reference
        .chars()
        .filter(|&c| !is_py_whitespace(c))
        .collect();
    let mut stats = Vec::with_capacity(cfg.order());
    let cap = hyp_chars.len() + ref_chars.len();
    if hyp_chars
        .iter()
        .chain(&ref_chars)
        .all(|&c| u32::from(c) < 1 << 10)
    {
        // Common case (ASCII / Latin): 64-bit keys, smaller tables.
        let mut counts = JointCounts::<u64>::with_capacity(cap);
        for n in 1..=cfg.char_order {
            let packable = n <= 6;
            stats.push(order_totals(
                &hyp_chars,
                &ref_chars,
                n,
                &mut counts,
                packable,
                pack_small_chars,
            ));
        }
    } else {
        let mut counts = JointCounts::<u128>::with_capacity(cap);
        for n in 1..=cfg.char_order {
            let packable = n <= 6;
            stats.push(order_totals(
                &hyp_chars,
                &ref_chars,
                n,
                &mut counts,
                packable,
                pack_chars,
            ));
        }
    }
    if cfg.word_order > 0 {
        let mut interner = Interner::default();
        let hw: Vec<u32> = remove_punctuation(hyp)
            .into_iter()
            .map(|w| interner.id(w))
            .collect();
        let rw: Vec<u32> = remove_punctuation(reference)
            .into_iter()
            .map(|w| interner.id(w))
            .collect();
        let mut counts = JointCounts::<u128>::with_capacity(hw.len() + rw.len());
        for n in 1..=cfg.word_order {
            stats.push(order_totals(&hw, &rw, n, &mut counts, n <= 4, pack_ids));
        }
    }
    ChrfStats(stats)
}

/// Port of `CHRF._compute_f_score`: the score (0–100) from statistics.
#[must_use]
pub fn chrf_from_stats(stats: &ChrfStats, cfg: &ChrfConfig) -> f64 {
    let eps = 1e-16;
    let mut score = 0.0;
    let mut effective_order = 0u32;
    let factor = f64::from(cfg.beta.pow(2));
    let (mut avg_prec, mut avg_rec) = (0.0, 0.0);
    for i in 0..cfg.order() {
        let [n_hyp, n_ref, n_match] = stats.0.get(i).copied().unwrap_or([0; 3]);
        let prec = if n_hyp > 0 {
            n_match as f64 / n_hyp as f64
        } else {
            eps
        };
        let rec = if n_ref > 0 {
            n_match as f64 / n_ref as f64
        } else {
            eps
        };
        let denom = factor * prec + rec;
        score += if denom > 0.0 {
            (1.0 + factor) * prec * rec / denom
        } else {
            eps
        };
        if n_hyp > 0 && n_ref > 0 {
            avg_prec += prec;
            avg_rec += rec;
            effective_order += 1;
        }
    }
    if cfg.eps_smoothing {
        return 100.0 * score / cfg.order() as f64;
    }
    if effective_order == 0 {
        avg_prec = 0.0;
        avg_rec = 0.0;
    } else {
        avg_prec /= f64::from(effective_order);
        avg_rec /= f64::from(effective_order);
    }
    if avg_prec + avg_rec != 0.0 {
        let mut s = (1.0 + factor) * avg_prec * avg_rec;
        s /= (factor * avg_prec) + avg_rec;
        100.0 * s
    } else {
        0.0
    }
}

/// Sentence-level score: `CHRF(...).sentence_score(hyp, [reference])`.
#[must_use]
pub fn sentence_chrf_with(hyp: &str, reference: &str, cfg: &ChrfConfig) -> f64 {
    chrf_from_stats(&chrf_stats(hyp, reference, cfg), cfg)
}

/// Sentence chrF++: `CHRF(word_order=2).sentence_score(hyp, [reference])`.
#[must_use]
pub fn sentence_chrf_pp(hyp: &str, reference: &str) -> f64 {
    sentence_chrf_with(hyp, reference, &ChrfConfig::CHRF_PP)
}

/// Sentence chrF: `CHRF().sentence_score(hyp, [reference])`.
#[must_use]
pub fn sentence_chrf(hyp: &str, reference: &str) -> f64 {
    sentence_chrf_with(hyp, reference, &ChrfConfig::CHRF)
}

/// Corpus-level score: `CHRF(...).corpus_score(hyps, [refs])`. An empty
/// corpus scores 0 (sacrebleu raises on it).
#[must_use]
pub fn corpus_chrf_with<H: AsRef<str>, R: AsRef<str>>(pairs: &[(H, R)], cfg: &ChrfConfig) -> f64 {
    let mut total = ChrfStats(vec![[0; 3]; cfg.order()]);
    for (h, r) in pairs {
        total.add(&chrf_stats(h.as_ref(), r.as_ref(), cfg));
    }
    chrf_from_stats(&total, cfg)
}

/// Corpus chrF++ (`CHRF(word_order=2).corpus_score`).
#[must_use]
pub fn corpus_chrf_pp<H: AsRef<str>, R: AsRef<str>>(pairs: &[(H, R)]) -> f64 {
    corpus_chrf_with(pairs, &ChrfConfig::CHRF_PP)
}

/// Corpus chrF (`CHRF().corpus_score`).
#[must_use]
pub fn corpus_chrf<H: AsRef<str>, R: AsRef<str>>(pairs: &[(H, R)]) -> f64 {
    corpus_chrf_with(pairs, &ChrfConfig::CHRF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_split() {
        assert_eq!(
            remove_punctuation("a, (b) .c \"d\" é!"),
            ["a", ",", "(b", ")", ".", "c", "\"d", "\"", "é", "!"]
        );
    }
}
