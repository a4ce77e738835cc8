//! A minimal reader for the WordNet 3.0 database files, reproducing what
//! nltk's `WordNetCorpusReader.synsets(word)` returns as far as METEOR needs
//! it: the lemma names of every synset of every part of speech found through
//! nltk's `_morphy` (exception lists + suffix substitutions).
//!
//! The directory must contain `index.{noun,verb,adj,adv}`,
//! `data.{noun,verb,adj,adv}` and `{noun,verb,adj,adv}.exc` — e.g. Debian's
//! `/usr/share/wordnet` (package `wordnet-base`) or an
//! `nltk_data/corpora/wordnet` directory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::MetricsError;
use crate::pyutil::{py_lower, py_split};

/// Parts of speech in nltk's `POS_LIST` order (noun, verb, adj, adv).
const POS: [(&str, char); 4] = [("noun", 'n'), ("verb", 'v'), ("adj", 'a'), ("adv", 'r')];

/// nltk's `MORPHOLOGICAL_SUBSTITUTIONS`, indexed like [`POS`].
const SUBSTITUTIONS: [&[(&str, &str)]; 4] = [
    &[
        ("s", ""),
        ("ses", "s"),
        ("ves", "f"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
    ],
    &[
        ("s", ""),
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
    ],
    &[("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    &[],
];

/// Memo of [`WordNet::single_word_synonyms`].
type SynonymCache = FxHashMap<Box<str>, Arc<[Box<str>]>>;

/// An in-memory WordNet database (about 25 MB for WordNet 3.0).
///
/// Lookups are memoized in a bounded internal cache (thread-safe; results
/// are identical with or without it).
#[derive(Debug)]
pub struct WordNet {
    /// word -> single-word lemma names (no `_`) of all its synsets.
    cache: Mutex<SynonymCache>,
    /// lemma -> per-POS synset offsets (`None`: lemma absent for that POS).
    index: FxHashMap<String, [Option<Box<[u32]>>; 4]>,
    /// Per-POS exception lists (`*.exc`): inflected form -> base forms.
    exceptions: [FxHashMap<String, Vec<String>>; 4],
    /// Raw `data.*` files, read lazily at synset offsets.
    data: [Vec<u8>; 4],
}

fn wn_err(path: &Path, message: impl Into<String>) -> MetricsError {
    MetricsError::WordNet {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn read_text(path: &Path) -> Result<String, MetricsError> {
    let bytes = std::fs::read(path).map_err(|e| wn_err(path, e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| wn_err(path, format!("not UTF-8: {e}")))
}

fn parse_index(
    path: &Path,
    text: &str,
    index: &mut FxHashMap<String, [Option<Box<[u32]>>; 4]>,
) -> Result<(), MetricsError> {
    for (lineno, line) in text.lines().enumerate() {
        if line.starts_with(' ') || line.is_empty() {
            continue;
        }
        let bad = |m: &str| wn_err(path, format!("line {}: {m}", lineno + 1));
        let mut it = py_split(line);
        let mut next = || it.next().ok_or_else(|| bad("truncated line"));
        let lemma = next()?;
        let pos = next()?;
        let p = POS
            .iter()
            .position(|&(_, c)| pos.len() == 1 && pos.starts_with(c))
            .ok_or_else(|| bad("unknown part of speech"))?;
        let n_synsets: usize = next()?.parse().map_err(|_| bad("bad synset count"))?;
        let n_pointers: usize = next()?.parse().map_err(|_| bad("bad pointer count"))?;
        for _ in 0..n_pointers {
            next()?;
        }
        let n_senses: usize = next()?.parse().map_err(|_| bad("bad sense count"))?;
        if n_synsets == 0 || n_senses != n_synsets {
            return Err(bad("inconsistent synset counts"));
        }
        next()?; // tagsense_cnt
        let mut offsets = Vec::with_capacity(n_synsets);
        for _ in 0..n_synsets {
            offsets.push(next()?.parse().map_err(|_| bad("bad synset offset"))?);
        }
        index.entry(lemma.to_string()).or_default()[p] = Some(offsets.into_boxed_slice());
    }
    Ok(())
}

/// Strips a trailing adjective marker such as `(a)`, `(p)` or `(ip)` the way
/// nltk's `(.*?)(\([^()]*\))?$` does.
fn strip_marker(name: &str) -> &str {
    if name.ends_with(')')
        && let Some(k) = name.rfind('(')
        && !name[k + 1..name.len() - 1].contains(')')
    {
        return &name[..k];
    }
    name
}

impl WordNet {
    /// Loads the database from `dir`.
    ///
    /// # Errors
    /// [`MetricsError::WordNet`] if a file is missing or malformed.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, MetricsError> {
        let dir = dir.as_ref();
        let mut index = FxHashMap::default();
        let mut exceptions: [FxHashMap<String, Vec<String>>; 4] = Default::default();
        let mut data: [Vec<u8>; 4] = Default::default();
        for (p, (name, _)) in POS.iter().enumerate() {
            let ipath = dir.join(format!("index.{name}"));
            parse_index(&ipath, &read_text(&ipath)?, &mut index)?;
            let epath = dir.join(format!("{name}.exc"));
            for line in read_text(&epath)?.lines() {
                let mut terms = py_split(line);
                if let Some(first) = terms.next() {
                    exceptions[p].insert(first.to_string(), terms.map(str::to_string).collect());
                }
            }
            let dpath: PathBuf = dir.join(format!("data.{name}"));
            data[p] = std::fs::read(&dpath).map_err(|e| wn_err(&dpath, e.to_string()))?;
        }
        Ok(Self {
            cache: Mutex::default(),
            index,
            exceptions,
            data,
        })
    }

    fn has(&self, form: &str, p: usize) -> bool {
        self.index.get(form).is_some_and(|e| e[p].is_some())
    }

    /// nltk's `_morphy(form, pos)`: candidate base forms present in WordNet.
    #[must_use]
    pub fn morphy_pos(&self, form: &str, p: usize) -> Vec<String> {
        let mut forms: Vec<String> = vec![form.to_string()];
        if let Some(exc) = self.exceptions[p].get(form) {
            forms.extend(exc.iter().cloned());
        } else {
            for &(old, new) in SUBSTITUTIONS[p] {
                if let Some(stem) = form.strip_suffix(old) {
                    forms.push(format!("{stem}{new}"));
                }
            }
        }
        let mut out: Vec<String> = Vec::with_capacity(forms.len());
        for f in forms {
            if self.has(&f, p) && !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }

    /// Lemma names (marker stripped, case preserved) of the synset at
    /// `offset` in `data.<pos>`; empty if the offset does not point at a
    /// synset line (nltk warns and yields `None` there).
    fn synset_lemmas(&self, p: usize, offset: u32, out: &mut impl FnMut(&str)) {
        let data = &self.data[p];
        let start = offset as usize;
        if start >= data.len() {
            return;
        }
        let end = data[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |e| start + e);
        let Ok(line) = std::str::from_utf8(&data[start..end]) else {
            return;
        };
        // nltk checks that the line starts with the 8-digit, zero-padded offset.
        let head = line.as_bytes().get(..8);
        if !head.is_some_and(|h| h.iter().all(u8::is_ascii_digit))
            || line[..8].parse::<u32>().ok() != Some(offset)
        {
            return;
        }
        let columns = line.split('|').next().unwrap_or("");
        let mut it = py_split(columns);
        let _offset = it.next();
        let _lexfile = it.next();
        let _ss_type = it.next();
        let Some(Ok(n)) = it.next().map(|h| usize::from_str_radix(h, 16)) else {
            return;
        };
        for _ in 0..n {
            let Some(name) = it.next() else { return };
            let _lex_id = it.next();
            out(strip_marker(name));
        }
    }

    /// Calls `f` with every lemma name of every synset that
    /// `nltk.corpus.wordnet.synsets(word)` returns (all parts of speech, in
    /// nltk's order; names may repeat).
    pub fn for_each_synonym(&self, word: &str, mut f: impl FnMut(&str)) {
        let lemma = py_lower(word);
        for p in 0..POS.len() {
            for form in self.morphy_pos(&lemma, p) {
                if let Some(Some(offsets)) = self.index.get(&form).map(|e| &e[p]) {
                    for &off in offsets.iter() {
                        self.synset_lemmas(p, off, &mut f);
                    }
                }
            }
        }
    }

    /// The set of lemma names of all synsets of `word`
    /// (`{l.name() for s in wn.synsets(word) for l in s.lemmas()}`).
    #[must_use]
    pub fn synonyms(&self, word: &str) -> FxHashSet<String> {
        let mut set = FxHashSet::default();
        self.for_each_synonym(word, |s| {
            set.insert(s.to_string());
        });
        set
    }

    fn lock_cache(&self) -> MutexGuard<'_, SynonymCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The distinct lemma names without `_` of all synsets of `word`, in
    /// first-seen order: the candidate set of METEOR's synonym stage (minus
    /// the word itself). Memoized.
    #[must_use]
    pub fn single_word_synonyms(&self, word: &str) -> Arc<[Box<str>]> {
        const MAX_ENTRIES: usize = 1 << 16;
        if let Some(v) = self.lock_cache().get(word) {
            return Arc::clone(v);
        }
        let mut seen = FxHashSet::default();
        let mut names: Vec<Box<str>> = Vec::new();
        self.for_each_synonym(word, |s| {
            if !s.contains('_') && seen.insert(s.to_string()) {
                names.push(s.into());
            }
        });
        let names: Arc<[Box<str>]> = names.into();
        let mut cache = self.lock_cache();
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(word.into(), Arc::clone(&names));
        names
    }

    /// nltk's `morphy(form)`: the first base form over noun, verb, adj, adv.
    #[must_use]
    pub fn morphy(&self, form: &str) -> Option<String> {
        (0..POS.len()).find_map(|p| self.morphy_pos(form, p).into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(strip_marker("galore(ip)"), "galore");
        assert_eq!(strip_marker("a(b)c"), "a(b)c");
        assert_eq!(strip_marker("dog"), "dog");
    }
}
