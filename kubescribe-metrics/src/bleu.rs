//! BLEU exactly as sacrebleu 2.x computes it (`sacrebleu.metrics.bleu`).
//!
//! * tokenizer `13a` ([`tokenize_13a`]), a port of sacrebleu's
//!   `Tokenizer13a` + `TokenizerRegexp`;
//! * segments are `rstrip()`ed (Python whitespace) before tokenization, as
//!   `BLEU._preprocess_segment` does; no lowercasing;
//! * maximum n-gram order 4, closest reference length (single reference here);
//! * smoothing `exp` (sacrebleu's default for both `corpus_bleu` and
//!   `sentence_bleu`);
//! * corpus BLEU sums the segment statistics and does **not** use the
//!   effective order; sentence BLEU (`sacrebleu.sentence_bleu`) does.
//!
//! Scores are on sacrebleu's 0–100 scale.

use rustc_hash::FxHashMap;

use crate::ngram::{JointCounts, pack_ids};
use crate::pyutil::{is_py_whitespace, py_rstrip};

/// Maximum n-gram order (sacrebleu's `MAX_NGRAM_ORDER`).
pub const MAX_NGRAM_ORDER: usize = 4;

/// Smoothing methods of sacrebleu's `BLEU.compute_bleu`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Smoothing {
    /// No smoothing (`'none'`).
    None,
    /// `'floor'` with the given value (sacrebleu's default value is 0.1).
    Floor(f64),
    /// `'add-k'` with the given k (sacrebleu's default is 1).
    AddK(f64),
    /// `'exp'`, the NIST geometric sequence smoothing; sacrebleu's default.
    Exp,
}

/// Sufficient statistics of one segment (or, summed, of a corpus), laid out
/// like sacrebleu's stats list `[sys_len, ref_len, correct..., total...]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BleuStats {
    /// Hypothesis length in tokens.
    pub sys_len: u64,
    /// (Closest) reference length in tokens.
    pub ref_len: u64,
    /// Clipped matching n-gram counts for orders 1..=4.
    pub correct: [u64; MAX_NGRAM_ORDER],
    /// Hypothesis n-gram counts for orders 1..=4.
    pub total: [u64; MAX_NGRAM_ORDER],
}

impl BleuStats {
    /// Element-wise sum (sacrebleu's `sum_of_lists`).
    pub fn add(&mut self, other: &BleuStats) {
        self.sys_len += other.sys_len;
        self.ref_len += other.ref_len;
        for n in 0..MAX_NGRAM_ORDER {
            self.correct[n] += other.correct[n];
            self.total[n] += other.total[n];
        }
    }
}

/// A BLEU score with its components, mirroring sacrebleu's `BLEUScore`.
#[derive(Debug, Clone, PartialEq)]
pub struct BleuScore {
    /// BLEU on the 0–100 scale.
    pub score: f64,
    /// Brevity penalty.
    pub bp: f64,
    /// Smoothed n-gram precisions (0–100).
    pub precisions: [f64; MAX_NGRAM_ORDER],
    /// The statistics the score was computed from.
    pub stats: BleuStats,
}

#[inline]
fn in_13a_punct_class(c: char) -> bool {
    // [\{-\~\[-\` -\&\(-\+\:-\@\/]
    matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

#[inline]
fn is_ascii_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// sacrebleu's `13a` tokenizer (mteval-v13a): the output tokens joined by
/// single spaces.
///
/// Steps: drop `<skipped>`, join `-\n` hyphenations, newlines to spaces,
/// unescape `&quot; &amp; &lt; &gt;` (only if `&` occurs), then the four
/// regexes of `TokenizerRegexp` applied in order on `" " + line + " "`, and
/// finally Python's `' '.join(line.split())`.
#[must_use]
pub fn tokenize_13a(line: &str) -> String {
    let chars = tokenize_13a_chars(line);
    let mut out = String::with_capacity(chars.len());
    for (i, tok) in chars
        .split(|&c| is_py_whitespace(c))
        .filter(|t| !t.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(' ');
        }
        out.extend(tok.iter());
    }
    out
}

/// The 13a pipeline up to (not including) the final whitespace
/// normalisation, as chars.
fn tokenize_13a_chars(line: &str) -> Vec<char> {
    let mut s = std::borrow::Cow::Borrowed(line);
    for (pat, rep) in [("<skipped>", ""), ("-\n", ""), ("\n", " ")] {
        if s.contains(pat) {
            s = s.replace(pat, rep).into();
        }
    }
    if s.contains('&') {
        for (pat, rep) in [
            ("&quot;", "\""),
            ("&amp;", "&"),
            ("&lt;", "<"),
            ("&gt;", ">"),
        ] {
            if s.contains(pat) {
                s = s.replace(pat, rep).into();
            }
        }
    }
    // 1. ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> ' \1 ', on " " + line + " "
    let mut a: Vec<char> = Vec::with_capacity(s.len() * 2 + 8);
    for c in std::iter::once(' ')
        .chain(s.chars())
        .chain(std::iter::once(' '))
    {
        if in_13a_punct_class(c) {
            a.extend([' ', c, ' ']);
        } else {
            a.push(c);
        }
    }
    // 2. ([^0-9])([\.,]) -> '\1 \2 '
    let b = sub_pairs(
        &a,
        |x, y| !is_ascii_digit(x) && matches!(y, '.' | ','),
        |x, y| [Some(x), Some(' '), Some(y), Some(' ')],
    );
    // 3. ([\.,])([^0-9]) -> ' \1 \2'
    let c = sub_pairs(
        &b,
        |x, y| matches!(x, '.' | ',') && !is_ascii_digit(y),
        |x, y| [Some(' '), Some(x), Some(' '), Some(y)],
    );
    // 4. ([0-9])(-) -> '\1 \2 '
    sub_pairs(
        &c,
        |x, y| is_ascii_digit(x) && y == '-',
        |x, y| [Some(x), Some(' '), Some(y), Some(' ')],
    )
}

/// Emulates Python `re.sub` for a two-character pattern: scan left to right,
/// replace each non-overlapping match and continue after it.
fn sub_pairs(
    s: &[char],
    is_match: impl Fn(char, char) -> bool,
    repl: impl Fn(char, char) -> [Option<char>; 4],
) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 2);
    let mut i = 0;
    while i < s.len() {
        if i + 1 < s.len() && is_match(s[i], s[i + 1]) {
            out.extend(repl(s[i], s[i + 1]).into_iter().flatten());
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Splits on whitespace and maps each token to a dense id.
fn intern_tokens<'a>(chars: &'a [char], interner: &mut FxHashMap<&'a [char], u32>) -> Vec<u32> {
    chars
        .split(|&c| is_py_whitespace(c))
        .filter(|t| !t.is_empty())
        .map(|t| {
            let next = interner.len() as u32;
            *interner.entry(t).or_insert(next)
        })
        .collect()
}

/// Segment statistics of `hyp` against the single reference `reference`
/// (sacrebleu's `_compute_segment_statistics` after `_preprocess_segment`).
#[must_use]
pub fn bleu_stats(hyp: &str, reference: &str) -> BleuStats {
    let hyp_tok = tokenize_13a_chars(py_rstrip(hyp));
    let ref_tok = tokenize_13a_chars(py_rstrip(reference));
    let mut interner: FxHashMap<&[char], u32> = FxHashMap::default();
    let h = intern_tokens(&hyp_tok, &mut interner);
    let r = intern_tokens(&ref_tok, &mut interner);
    let mut stats = BleuStats {
        sys_len: h.len() as u64,
        ref_len: r.len() as u64,
        ..BleuStats::default()
    };
    let mut counts = JointCounts::with_capacity(h.len() + r.len());
    for n in 1..=MAX_NGRAM_ORDER {
        counts.clear();
        for w in h.windows(n) {
            counts.add_hyp(pack_ids(w));
        }
        for w in r.windows(n) {
            counts.add_ref(pack_ids(w));
        }
        let t = counts.totals();
        stats.total[n - 1] = t.hyp;
        stats.correct[n - 1] = t.matched;
    }
    stats
}

/// sacrebleu's `my_log`: `log(x)`, with `log(0)` floored to `-9999999999`.
fn my_log(x: f64) -> f64 {
    if x == 0.0 { -9_999_999_999.0 } else { x.ln() }
}

/// Port of sacrebleu's `BLEU.compute_bleu` (max order 4).
#[must_use]
pub fn compute_bleu(stats: &BleuStats, smoothing: Smoothing, effective_order: bool) -> BleuScore {
    let sys_len = stats.sys_len as f64;
    let ref_len = stats.ref_len as f64;
    let mut bp = 1.0;
    if stats.sys_len < stats.ref_len {
        bp = if stats.sys_len > 0 {
            (1.0 - ref_len / sys_len).exp()
        } else {
            0.0
        };
    }
    let mut precisions = [0.0; MAX_NGRAM_ORDER];
    if stats.correct.iter().all(|&c| c == 0) {
        return BleuScore {
            score: 0.0,
            bp,
            precisions,
            stats: *stats,
        };
    }
    let mut correct: [f64; MAX_NGRAM_ORDER] = stats.correct.map(|c| c as f64);
    let mut total: [f64; MAX_NGRAM_ORDER] = stats.total.map(|c| c as f64);
    let mut smooth_mteval = 1.0_f64;
    let mut eff_order = MAX_NGRAM_ORDER;
    for n in 1..=MAX_NGRAM_ORDER {
        if let Smoothing::AddK(k) = smoothing
            && n > 1
        {
            correct[n - 1] += k;
            total[n - 1] += k;
        }
        if total[n - 1] == 0.0 {
            break;
        }
        if effective_order {
            eff_order = n;
        }
        if correct[n - 1] == 0.0 {
            match smoothing {
                Smoothing::Exp => {
                    smooth_mteval *= 2.0;
                    precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1]);
                }
                Smoothing::Floor(v) => precisions[n - 1] = 100.0 * v / total[n - 1],
                Smoothing::None | Smoothing::AddK(_) => {}
            }
        } else {
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
        }
    }
    let mut log_sum = 0.0;
    for &p in &precisions[..eff_order] {
        log_sum += my_log(p);
    }
    let score = bp * (log_sum / eff_order as f64).exp();
    BleuScore {
        score,
        bp,
        precisions,
        stats: *stats,
    }
}

/// `sacrebleu.sentence_bleu(hyp, [reference])` with default arguments
/// (13a, `exp` smoothing, effective order on). 0–100.
#[must_use]
pub fn sentence_bleu(hyp: &str, reference: &str) -> f64 {
    compute_bleu(&bleu_stats(hyp, reference), Smoothing::Exp, true).score
}

/// `sacrebleu.corpus_bleu(hyps, [refs])` with default arguments (13a, `exp`
/// smoothing, no effective order). 0–100. An empty corpus scores 0 (sacrebleu
/// raises on it).
#[must_use]
pub fn corpus_bleu<H: AsRef<str>, R: AsRef<str>>(pairs: &[(H, R)]) -> f64 {
    let mut total = BleuStats::default();
    for (h, r) in pairs {
        total.add(&bleu_stats(h.as_ref(), r.as_ref()));
    }
    corpus_bleu_from_stats(&total)
}

/// Corpus BLEU (defaults as in [`corpus_bleu`]) from already summed stats.
#[must_use]
pub fn corpus_bleu_from_stats(stats: &BleuStats) -> f64 {
    compute_bleu(stats, Smoothing::Exp, false).score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_13a_examples() {
        // Values from sacrebleu 2.6.0 Tokenizer13a()(...)
        assert_eq!(tokenize_13a("Hello, world."), "Hello , world .");
        assert_eq!(tokenize_13a("3.14 and 1,000-2"), "3.14 and 1,000 - 2");
        assert_eq!(tokenize_13a("a&amp;b &lt;x&gt;"), "a & b < x >");
        assert_eq!(tokenize_13a("it's e.g. co-op"), "it's e . g . co-op");
        assert_eq!(
            tokenize_13a("a..b,,c 1.2.3 x,1"),
            "a . . b , , c 1.2.3 x , 1"
        );
        assert_eq!(tokenize_13a("x-\ny\nz <skipped>"), "xy z");
    }
}
