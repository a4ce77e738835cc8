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

use rustc_hash::FxHashMap;

use crate::ngram::{JointCounts, pack_ids};
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

#[inline]
fn is_token_byte(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `rouge_score.tokenize.tokenize(text, stemmer)`.
#[must_use]
pub fn tokenize(text: &str, use_stemmer: bool) -> Vec<String> {
    let lower = py_lower(text);
    let stemmer = PorterStemmer::default();
    lower
        .split(|c: char| !is_token_byte(c))
        .filter(|t| !t.is_empty())
        .map(|t| {
            if use_stemmer && t.len() > 3 {
                stemmer.stem_cached(t)
            } else {
                t.to_string()
            }
        })
        // VALID_TOKEN_RE: stems of [a-z0-9]+ tokens stay in [a-z0-9]+, but
        // keep the check to mirror the reference.
        .filter(|t| !t.is_empty() && t.chars().all(is_token_byte))
        .collect()
}

/// A text tokenized for all ROUGE variants: token ids per `"\n"`-separated
/// line (empty lines dropped, as `get_sents` does); the whole-text token list
/// is the concatenation of the lines' tokens because `"\n"` is a separator.
struct Doc {
    lines: Vec<Vec<u32>>,
    all: Vec<u32>,
}

/// Interns plain tokens and their stems for one (target, prediction) pair.
#[derive(Default)]
struct Vocab {
    /// Whether to compute stems at all.
    stem: bool,
    plain: FxHashMap<String, u32>,
    /// plain id -> stemmed id
    stem_of: Vec<u32>,
    stems: FxHashMap<String, u32>,
}

impl Vocab {
    fn id(&mut self, tok: &str, stemmer: &PorterStemmer) -> u32 {
        if let Some(&id) = self.plain.get(tok) {
            return id;
        }
        let id = self.plain.len() as u32;
        self.plain.insert(tok.to_string(), id);
        if !self.stem {
            return id;
        }
        let stemmed = if tok.len() > 3 {
            stemmer.stem_cached(tok)
        } else {
            tok.to_string()
        };
        let next = self.stems.len() as u32;
        let sid = *self.stems.entry(stemmed).or_insert(next);
        self.stem_of.push(sid);
        id
    }

    fn doc(&mut self, text: &str, stemmer: &PorterStemmer) -> Doc {
        let mut lines = Vec::new();
        let mut all = Vec::new();
        for line in text.split('\n').filter(|l| !l.is_empty()) {
            let lower = py_lower(line);
            let ids: Vec<u32> = lower
                .split(|c: char| !is_token_byte(c))
                .filter(|t| !t.is_empty())
                .map(|t| self.id(t, stemmer))
                .collect();
            all.extend_from_slice(&ids);
            lines.push(ids);
        }
        Doc { lines, all }
    }

    fn stemmed(&self, doc: &Doc) -> Doc {
        let map = |v: &Vec<u32>| v.iter().map(|&i| self.stem_of[i as usize]).collect();
        Doc {
            lines: doc.lines.iter().map(map).collect(),
            all: map(&doc.all),
        }
    }
}

fn score_ngrams(target: &[u32], prediction: &[u32], n: usize) -> RougeScore {
    let (inter, t_count, p_count) = if n <= 4 {
        let mut counts = JointCounts::default();
        for w in prediction.windows(n) {
            counts.add_hyp(pack_ids(w));
        }
        for w in target.windows(n) {
            counts.add_ref(pack_ids(w));
        }
        let t = counts.totals();
        (t.matched, t.reference, t.hyp)
    } else {
        let mut m: FxHashMap<&[u32], [u64; 2]> = FxHashMap::default();
        for w in prediction.windows(n) {
            m.entry(w).or_default()[0] += 1;
        }
        for w in target.windows(n) {
            m.entry(w).or_default()[1] += 1;
        }
        m.values()
            .fold((0, 0, 0), |(i, t, p), &[a, b]| (i + a.min(b), t + b, p + a))
    };
    score(
        inter as f64 / p_count.max(1) as f64,
        inter as f64 / t_count.max(1) as f64,
    )
}

fn lcs_len(r: &[u32], c: &[u32], row: &mut Vec<u32>) -> u32 {
    // One-row version of `_lcs_table`; same final value.
    row.clear();
    row.resize(c.len() + 1, 0);
    for &x in r {
        let mut diag = 0; // table[i-1][j-1]
        for (j, &y) in c.iter().enumerate() {
            let up = row[j + 1]; // table[i-1][j]
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[c.len()]
}

/// `lcs_ind` (`_lcs_table` + `_backtrack_norec`): indices into `r` of one
/// LCS, pushed onto `out` in descending order.
fn lcs_indices(r: &[u32], c: &[u32], table: &mut Vec<u32>, out: &mut Vec<usize>) {
    let cols = c.len() + 1;
    table.clear();
    table.resize((r.len() + 1) * cols, 0);
    for i in 1..=r.len() {
        for j in 1..=c.len() {
            table[i * cols + j] = if r[i - 1] == c[j - 1] {
                table[(i - 1) * cols + j - 1] + 1
            } else {
                table[(i - 1) * cols + j].max(table[i * cols + j - 1])
            };
        }
    }
    let (mut i, mut j) = (r.len(), c.len());
    while i > 0 && j > 0 {
        if r[i - 1] == c[j - 1] {
            out.push(i - 1);
            i -= 1;
            j -= 1;
        } else if table[i * cols + j - 1] > table[(i - 1) * cols + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
}

fn score_lcs(target: &[u32], prediction: &[u32], row: &mut Vec<u32>) -> RougeScore {
    if target.is_empty() || prediction.is_empty() {
        return RougeScore::default();
    }
    let l = f64::from(lcs_len(target, prediction, row));
    score(l / prediction.len() as f64, l / target.len() as f64)
}

fn summary_level_lcs(ref_sents: &[Vec<u32>], can_sents: &[Vec<u32>], vocab: usize) -> RougeScore {
    if ref_sents.is_empty() || can_sents.is_empty() {
        return RougeScore::default();
    }
    let m: usize = ref_sents.iter().map(Vec::len).sum();
    let n: usize = can_sents.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return RougeScore::default();
    }
    let mut cnt_r = vec![0i64; vocab];
    let mut cnt_c = vec![0i64; vocab];
    for &t in ref_sents.iter().flatten() {
        cnt_r[t as usize] += 1;
    }
    for &t in can_sents.iter().flatten() {
        cnt_c[t as usize] += 1;
    }
    let mut hits = 0u64;
    let mut table = Vec::new();
    let mut union = Vec::new();
    for r in ref_sents {
        union.clear();
        for c in can_sents {
            lcs_indices(r, c, &mut table, &mut union);
        }
        union.sort_unstable();
        union.dedup();
        for &i in &union {
            let t = r[i] as usize;
            if cnt_c[t] > 0 && cnt_r[t] > 0 {
                hits += 1;
                cnt_c[t] -= 1;
                cnt_r[t] -= 1;
            }
        }
    }
    score(hits as f64 / n as f64, hits as f64 / m as f64)
}

fn scores_of(target: &Doc, prediction: &Doc, vocab: usize) -> RougeScores {
    let mut row = Vec::new();
    RougeScores {
        rouge1: score_ngrams(&target.all, &prediction.all, 1),
        rouge2: score_ngrams(&target.all, &prediction.all, 2),
        rouge_l: score_lcs(&target.all, &prediction.all, &mut row),
        rouge_lsum: summary_level_lcs(&target.lines, &prediction.lines, vocab),
    }
}

/// `RougeScorer(['rouge1','rouge2','rougeL','rougeLsum'],
/// use_stemmer=use_stemmer).score(target, prediction)`.
///
/// Note the argument order of rouge-score: the **reference** (target) comes
/// first.
#[must_use]
pub fn rouge_scores(target: &str, prediction: &str, use_stemmer: bool) -> RougeScores {
    let stemmer = PorterStemmer::default();
    let mut vocab = Vocab {
        stem: use_stemmer,
        ..Vocab::default()
    };
    let t = vocab.doc(target, &stemmer);
    let p = vocab.doc(prediction, &stemmer);
    if use_stemmer {
        scores_of(&vocab.stemmed(&t), &vocab.stemmed(&p), vocab.stems.len())
    } else {
        scores_of(&t, &p, vocab.plain.len())
    }
}

/// Both [`rouge_scores`] variants at once (`use_stemmer=False`, then
/// `use_stemmer=True`), tokenizing each text only once.
#[must_use]
pub fn rouge_scores_both(target: &str, prediction: &str) -> (RougeScores, RougeScores) {
    let stemmer = PorterStemmer::default();
    let mut vocab = Vocab {
        stem: true,
        ..Vocab::default()
    };
    let t = vocab.doc(target, &stemmer);
    let p = vocab.doc(prediction, &stemmer);
    let plain = scores_of(&t, &p, vocab.plain.len());
    let stemmed = scores_of(&vocab.stemmed(&t), &vocab.stemmed(&p), vocab.stems.len());
    (plain, stemmed)
}

/// ROUGE-N for any `n >= 1` (`rouge{n}`); `n == 0` scores 0 (rouge-score
/// raises `ValueError`).
#[must_use]
pub fn rouge_n(target: &str, prediction: &str, n: usize, use_stemmer: bool) -> RougeScore {
    if n == 0 {
        return RougeScore::default();
    }
    let stemmer = PorterStemmer::default();
    let mut vocab = Vocab {
        stem: use_stemmer,
        ..Vocab::default()
    };
    let mut t = vocab.doc(target, &stemmer);
    let mut p = vocab.doc(prediction, &stemmer);
    if use_stemmer {
        t = vocab.stemmed(&t);
        p = vocab.stemmed(&p);
    }
    score_ngrams(&t.all, &p.all, n)
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
