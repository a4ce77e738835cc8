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

use rustc_hash::FxHashMap;

use crate::porter::PorterStemmer;
use crate::pyutil::{py_lower, py_split};
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

type Enum = Vec<(usize, String)>;

/// `_match_enums`: greedy exact matching; returns matches and leftovers.
fn match_enums(hyp: Enum, refs: Enum, matches: &mut Vec<(usize, usize)>) -> (Enum, Enum) {
    let mut positions: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (j, (_, w)) in refs.iter().enumerate() {
        positions.entry(w.as_str()).or_default().push(j);
    }
    let mut hyp_matched = vec![false; hyp.len()];
    let mut ref_matched = vec![false; refs.len()];
    for i in (0..hyp.len()).rev() {
        if let Some(j) = positions.get_mut(hyp[i].1.as_str()).and_then(Vec::pop) {
            hyp_matched[i] = true;
            ref_matched[j] = true;
            matches.push((hyp[i].0, refs[j].0));
        }
    }
    drop(positions);
    (keep(hyp, &hyp_matched), keep(refs, &ref_matched))
}

fn keep(list: Enum, matched: &[bool]) -> Enum {
    list.into_iter()
        .zip(matched)
        .filter(|(_, m)| !**m)
        .map(|(p, _)| p)
        .collect()
}

/// `_enum_wordnetsyn_match`.
fn wordnet_match(hyp: &Enum, refs: &Enum, wn: &WordNet, matches: &mut Vec<(usize, usize)>) {
    let mut positions: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (j, (_, w)) in refs.iter().enumerate() {
        positions.entry(w.as_str()).or_default().push(j);
    }
    for i in (0..hyp.len()).rev() {
        let word = hyp[i].1.as_str();
        // best = the synonym whose last remaining reference position is
        // largest (positions of different words never tie).
        let mut best: Option<(usize, String)> = None;
        let mut consider = |syn: &str| {
            if let Some(&j) = positions.get(syn).and_then(|v| v.last())
                && best.as_ref().is_none_or(|(bj, _)| j > *bj)
            {
                best = Some((j, syn.to_string()));
            }
        };
        for s in wn.single_word_synonyms(word).iter() {
            consider(s);
        }
        consider(word);
        if let Some((j, syn)) = best {
            if let Some(v) = positions.get_mut(syn.as_str()) {
                v.pop();
            }
            matches.push((hyp[i].0, refs[j].0));
        }
    }
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

/// `single_meteor_score(ref_tokens, hyp_tokens)` on pre-tokenized input
/// (tokens are lowercased here, as nltk's default `preprocess` does).
#[must_use]
pub fn meteor_tokens<S: AsRef<str>>(
    reference: &[S],
    hypothesis: &[S],
    wordnet: Option<&WordNet>,
) -> f64 {
    let hyp: Enum = hypothesis
        .iter()
        .map(|w| py_lower(w.as_ref()))
        .enumerate()
        .collect();
    let refs: Enum = reference
        .iter()
        .map(|w| py_lower(w.as_ref()))
        .enumerate()
        .collect();
    let translation_length = hyp.len();
    let reference_length = refs.len();
    if translation_length == 0 || reference_length == 0 {
        return 0.0;
    }
    let mut matches = Vec::new();
    let (hyp, refs) = match_enums(hyp, refs, &mut matches);
    let stemmer = PorterStemmer::default();
    let stem = |l: Enum| -> Enum {
        l.into_iter()
            .map(|(i, w)| (i, stemmer.stem_cached(&w)))
            .collect()
    };
    let (hyp, refs) = match_enums(stem(hyp), stem(refs), &mut matches);
    if let Some(wn) = wordnet {
        wordnet_match(&hyp, &refs, wn, &mut matches);
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
