//! METEOR exactly as `nltk.translate.meteor_score.meteor_score([ref], hyp)`
//! computes it in nltk 3.10.4 (alpha 0.9, beta 3, gamma 0.5).
//!
//! * Tokens: Python `str.split()` of each string, then `str.lower()`
//!   (nltk's default `preprocess`).
//! * Alignment stages, each greedy from the *last* hypothesis word, taking
//!   the last still-unmatched reference position: exact match, Porter stem
//!   match (`PorterStemmer()` in `NLTK_EXTENSIONS` mode), WordNet synonym
//!   match. As in nltk, the synonym stage sees the **stemmed** words left
//!   over from the stem stage, and only single-word lemma names (no `_`).
//! * Empty hypothesis, empty reference or no match score 0.
//!
//! Without WordNet ([`MeteorMode::ExactStem`]) the third stage is skipped;
//! this equals nltk with a WordNet whose `synsets()` returns nothing.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::porter::PorterStemmer;
use crate::pyutil::{py_lower_cow, py_split};
use crate::wordnet::WordNet;

const ALPHA: f64 = 0.9;
const BETA: f64 = 3.0;
const GAMMA: f64 = 0.5;

/// Which alignment stages METEOR ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MeteorMode {
    /// Exact + Porter stem + WordNet synonyms (nltk's full METEOR).
    #[serde(rename = "exact+stem+wordnet")]
    ExactStemWordNet,
    /// Exact + Porter stem only (no WordNet database was given).
    #[serde(rename = "exact+stem")]
    ExactStem,
}

impl MeteorMode {
    /// The mode used with (`Some`) or without (`None`) a WordNet database.
    #[must_use]
    pub fn for_wordnet(wordnet: Option<&WordNet>) -> Self {
        if wordnet.is_some() {
            Self::ExactStemWordNet
        } else {
            Self::ExactStem
        }
    }

    /// `"exact+stem+wordnet"` or `"exact+stem"`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ExactStemWordNet => "exact+stem+wordnet",
            Self::ExactStem => "exact+stem",
        }
    }
}

/// For each token id, the largest still-unmatched position holding it
/// (nltk's `ref_positions[word][-1]`), with O(1) pop via a linked list.
struct LastPositions {
    head: Vec<Option<usize>>,
    prev: Vec<Option<usize>>,
}

impl LastPositions {
    /// `ids[k]` is the id of the k-th remaining reference word.
    fn new(ids: &[u32], vocab: usize) -> Self {
        let mut head = vec![None; vocab];
        let mut prev = Vec::with_capacity(ids.len());
        for (k, &id) in ids.iter().enumerate() {
            prev.push(head[id as usize]);
            head[id as usize] = Some(k);
        }
        Self { head, prev }
    }

    fn last(&self, id: u32) -> Option<usize> {
        self.head.get(id as usize).copied().flatten()
    }

    fn pop(&mut self, id: u32) -> Option<usize> {
        let k = self.last(id)?;
        self.head[id as usize] = self.prev[k];
        Some(k)
    }
}

/// `_match_enums` on ids: greedy from the last hypothesis word, each taking
/// the last remaining equal reference word. `hyp`/`refs` hold indices into
/// the original token lists; matched entries are removed from both.
fn match_stage(
    hyp: &mut Vec<usize>,
    refs: &mut Vec<usize>,
    hyp_ids: &[u32],
    ref_ids: &[u32],
    vocab: usize,
    matches: &mut Vec<(usize, usize)>,
) {
    let rid: Vec<u32> = refs.iter().map(|&j| ref_ids[j]).collect();
    let mut pos = LastPositions::new(&rid, vocab);
    let mut hyp_matched = vec![false; hyp.len()];
    let mut ref_matched = vec![false; refs.len()];
    for i in (0..hyp.len()).rev() {
        if let Some(k) = pos.pop(hyp_ids[hyp[i]]) {
            hyp_matched[i] = true;
            ref_matched[k] = true;
            matches.push((hyp[i], refs[k]));
        }
    }
    retain_unmatched(hyp, &hyp_matched);
    retain_unmatched(refs, &ref_matched);
}

fn retain_unmatched(list: &mut Vec<usize>, matched: &[bool]) {
    let mut k = 0;
    list.retain(|_| {
        k += 1;
        !matched[k - 1]
    });
}

/// Per-pair string interner (borrows where it can).
#[derive(Default)]
struct Ids<'a> {
    map: FxHashMap<Cow<'a, str>, u32>,
}

impl<'a> Ids<'a> {
    fn id(&mut self, s: Cow<'a, str>) -> u32 {
        let next = self.map.len() as u32;
        *self.map.entry(s).or_insert(next)
    }

    fn id_of(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        self.id(Cow::Owned(s.to_string()))
    }
}

/// `single_meteor_score(ref_tokens, hyp_tokens)` on pre-tokenized input
/// (tokens are lowercased here, as nltk's default `preprocess` does).
#[must_use]
pub fn meteor_tokens<S: AsRef<str>>(
    reference: &[S],
    hypothesis: &[S],
    wordnet: Option<&WordNet>,
) -> f64 {
    let translation_length = hypothesis.len();
    let reference_length = reference.len();
    if translation_length == 0 || reference_length == 0 {
        return 0.0;
    }
    // Stage 1: exact match on lowercased words.
    let mut words = Ids::default();
    let hyp_words: Vec<u32> = hypothesis
        .iter()
        .map(|w| words.id(py_lower_cow(w.as_ref())))
        .collect();
    let ref_words: Vec<u32> = reference
        .iter()
        .map(|w| words.id(py_lower_cow(w.as_ref())))
        .collect();
    let mut hyp: Vec<usize> = (0..translation_length).collect();
    let mut refs: Vec<usize> = (0..reference_length).collect();
    let mut matches = Vec::new();
    match_stage(
        &mut hyp,
        &mut refs,
        &hyp_words,
        &ref_words,
        words.map.len(),
        &mut matches,
    );

    // Stage 2: Porter stems of the words left over.
    if !hyp.is_empty() && !refs.is_empty() {
        let mut by_id: Vec<&str> = vec![""; words.map.len()];
        for (w, &id) in &words.map {
            by_id[id as usize] = w;
        }
        let stemmer = PorterStemmer::default();
        let mut stems = Ids::default();
        let mut stem_of: Vec<Option<u32>> = vec![None; words.map.len()];
        let mut stem_id = |word: u32| -> u32 {
            *stem_of[word as usize].get_or_insert_with(|| {
                stemmer.with_stem_cached(by_id[word as usize], |s| stems.id_of(s))
            })
        };
        let mut hyp_stems = vec![0u32; translation_length];
        let mut ref_stems = vec![0u32; reference_length];
        for &i in &hyp {
            hyp_stems[i] = stem_id(hyp_words[i]);
        }
        for &j in &refs {
            ref_stems[j] = stem_id(ref_words[j]);
        }
        let vocab = stems.map.len();
        match_stage(
            &mut hyp,
            &mut refs,
            &hyp_stems,
            &ref_stems,
            vocab,
            &mut matches,
        );

        // Stage 3: WordNet synonyms of the leftover hypothesis *stems*
        // against the leftover reference stems (nltk passes the stemmed
        // lists on).
        if let Some(wn) = wordnet
            && !hyp.is_empty()
            && !refs.is_empty()
        {
            let mut stem_by_id: Vec<&str> = vec![""; vocab];
            for (w, &id) in &stems.map {
                stem_by_id[id as usize] = w;
            }
            let rid: Vec<u32> = refs.iter().map(|&j| ref_stems[j]).collect();
            let mut pos = LastPositions::new(&rid, vocab);
            for i in (0..hyp.len()).rev() {
                let sid = hyp_stems[hyp[i]];
                let word = stem_by_id[sid as usize];
                // The synonym whose last remaining reference position is
                // largest (positions of different stems never tie).
                let mut best: Option<(usize, u32)> = None;
                let mut consider = |id: u32| {
                    if let Some(k) = pos.last(id)
                        && best.is_none_or(|(bk, _)| k > bk)
                    {
                        best = Some((k, id));
                    }
                };
                for syn in wn.single_word_synonyms(word).iter() {
                    if let Some(&id) = stems.map.get(&**syn) {
                        consider(id);
                    }
                }
                consider(sid);
                if let Some((k, id)) = best {
                    pos.pop(id);
                    matches.push((hyp[i], refs[k]));
                }
            }
        }
    }

    matches.sort_by_key(|m| m.0);
    let matches_count = matches.len() as f64;
    if matches.is_empty() {
        return 0.0;
    }
    let precision = matches_count / translation_length as f64;
    let recall = matches_count / reference_length as f64;
    let fmean = (precision * recall) / (ALPHA * precision + (1.0 - ALPHA) * recall);
    let chunk_count = count_chunks(&matches) as f64;
    let frag_frac = chunk_count / matches_count;
    let penalty = GAMMA * frag_frac.powf(BETA);
    (1.0 - penalty) * fmean
}

fn count_chunks(matches: &[(usize, usize)]) -> usize {
    let mut chunks = 1;
    for w in matches.windows(2) {
        if !(w[1].0 == w[0].0 + 1 && w[1].1 == w[0].1 + 1) {
            chunks += 1;
        }
    }
    chunks
}

/// `meteor_score([reference.split()], hypothesis.split())` (0–1), with the
/// WordNet stage only when `wordnet` is given.
#[must_use]
pub fn meteor(hypothesis: &str, reference: &str, wordnet: Option<&WordNet>) -> f64 {
    let h: Vec<&str> = py_split(hypothesis).collect();
    let r: Vec<&str> = py_split(reference).collect();
    meteor_tokens(&r, &h, wordnet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks() {
        assert_eq!(count_chunks(&[(0, 0), (1, 1), (3, 2)]), 2);
        assert_eq!(count_chunks(&[(0, 0)]), 1);
    }
}
