//! Port of `nltk.stem.porter.PorterStemmer` (nltk 3.10.4).
//!
//! Both `rouge-score` (`use_stemmer=True`) and nltk's METEOR use the default
//! mode [`PorterMode::NltkExtensions`]. The port works on Unicode scalar
//! values exactly like the Python code works on `str` indices, including its
//! quirks (any non-`aeiou` character is a consonant; `y` alternates; the
//! step-1b `*d` rule also fires on a literal `*d` suffix).

use std::cell::RefCell;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use crate::pyutil::py_lower;

/// The three modes of nltk's `PorterStemmer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PorterMode {
    /// `PorterStemmer.NLTK_EXTENSIONS` (nltk's default).
    #[default]
    NltkExtensions,
    /// `PorterStemmer.MARTIN_EXTENSIONS`.
    MartinExtensions,
    /// `PorterStemmer.ORIGINAL_ALGORITHM`.
    OriginalAlgorithm,
}

static POOL: LazyLock<FxHashMap<&'static str, &'static str>> = LazyLock::new(|| {
    let irregular: [(&str, &[&str]); 12] = [
        ("sky", &["sky", "skies"]),
        ("die", &["dying"]),
        ("lie", &["lying"]),
        ("tie", &["tying"]),
        ("news", &["news"]),
        ("inning", &["innings", "inning"]),
        ("outing", &["outings", "outing"]),
        ("canning", &["cannings", "canning"]),
        ("howe", &["howe"]),
        ("proceed", &["proceed"]),
        ("exceed", &["exceed"]),
        ("succeed", &["succeed"]),
    ];
    let mut m = FxHashMap::default();
    for (key, vals) in irregular {
        for v in vals {
            m.insert(*v, key);
        }
    }
    m
});

/// nltk's Porter stemmer. Cheap to construct and `Copy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PorterStemmer {
    mode: PorterMode,
}

type W = Vec<char>;

#[inline]
fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

fn is_consonant(word: &[char], mut i: usize) -> bool {
    if is_vowel(word[i]) {
        return false;
    }
    if word[i] == 'y' {
        let mut negate = false;
        while i > 0 && word[i] == 'y' {
            negate = !negate;
            i -= 1;
        }
        // nltk: (word[i] not in vowels) != negate
        return is_vowel(word[i]) == negate;
    }
    true
}

/// Iterator over `_consonant_flags`.
fn consonant_flags(word: &[char]) -> impl Iterator<Item = bool> + '_ {
    let mut prev = false;
    word.iter().enumerate().map(move |(i, &ch)| {
        let f = if is_vowel(ch) {
            false
        } else if ch == 'y' {
            if i == 0 { true } else { !prev }
        } else {
            true
        };
        prev = f;
        f
    })
}

fn measure(stem: &[char]) -> usize {
    let mut count = 0;
    let mut prev_vowel = false;
    for is_cons in consonant_flags(stem) {
        if is_cons && prev_vowel {
            count += 1;
        }
        prev_vowel = !is_cons;
    }
    count
}

fn positive_measure(stem: &[char]) -> bool {
    measure(stem) > 0
}

fn measure_gt_1(stem: &[char]) -> bool {
    measure(stem) > 1
}

fn contains_vowel(stem: &[char]) -> bool {
    consonant_flags(stem).any(|c| !c)
}

fn ends_double_consonant(word: &[char]) -> bool {
    let n = word.len();
    n >= 2 && word[n - 1] == word[n - 2] && is_consonant(word, n - 1)
}

fn ends_with(word: &[char], suffix: &str) -> bool {
    let n = suffix.chars().count();
    word.len() >= n && word[word.len() - n..].iter().copied().eq(suffix.chars())
}

fn strip(word: &[char], suffix: &str) -> W {
    word[..word.len() - suffix.chars().count()].to_vec()
}

fn concat(mut stem: W, repl: &str) -> W {
    stem.extend(repl.chars());
    stem
}

type Cond<'a> = Option<&'a dyn Fn(&[char]) -> bool>;

/// `_apply_rule_list` for rules without the `*d` pseudo-suffix: the first
/// rule whose suffix matches decides, whatever its condition says.
fn apply_rules(word: W, rules: &[(&str, &str, Cond<'_>)]) -> W {
    for &(suffix, repl, cond) in rules {
        if ends_with(&word, suffix) {
            let stem = strip(&word, suffix);
            return if cond.is_none_or(|c| c(&stem)) {
                concat(stem, repl)
            } else {
                word
            };
        }
    }
    word
}

impl PorterStemmer {
    /// A stemmer in the given mode.
    #[must_use]
    pub fn new(mode: PorterMode) -> Self {
        Self { mode }
    }

    /// The stemmer's mode.
    #[must_use]
    pub fn mode(&self) -> PorterMode {
        self.mode
    }

    fn nltk(&self) -> bool {
        self.mode == PorterMode::NltkExtensions
    }

    fn ends_cvc(&self, word: &[char]) -> bool {
        let n = word.len();
        (n >= 3
            && is_consonant(word, n - 3)
            && !is_consonant(word, n - 2)
            && is_consonant(word, n - 1)
            && !matches!(word[n - 1], 'w' | 'x' | 'y'))
            || (self.nltk() && n == 2 && !is_consonant(word, 0) && is_consonant(word, 1))
    }

    fn step1a(&self, word: W) -> W {
        if self.nltk() && ends_with(&word, "ies") && word.len() == 4 {
            return concat(strip(&word, "ies"), "ie");
        }
        apply_rules(
            word,
            &[
                ("sses", "ss", None),
                ("ies", "i", None),
                ("ss", "ss", None),
                ("s", "", None),
            ],
        )
    }

    fn step1b(&self, word: W) -> W {
        if self.nltk() && ends_with(&word, "ied") {
            let repl = if word.len() == 4 { "ie" } else { "i" };
            return concat(strip(&word, "ied"), repl);
        }
        if ends_with(&word, "eed") {
            let stem = strip(&word, "eed");
            return if measure(&stem) > 0 {
                concat(stem, "ee")
            } else {
                word
            };
        }
        let mut intermediate = None;
        for suffix in ["ed", "ing"] {
            if ends_with(&word, suffix) {
                let stem = strip(&word, suffix);
                if contains_vowel(&stem) {
                    intermediate = Some(stem);
                    break;
                }
            }
        }
        let Some(w) = intermediate else {
            return word;
        };
        // contains_vowel() guarantees a non-empty stem.
        let last = w[w.len() - 1];
        for (suffix, repl) in [("at", "ate"), ("bl", "ble"), ("iz", "ize")] {
            if ends_with(&w, suffix) {
                return concat(strip(&w, suffix), repl);
            }
        }
        // ("*d", last, lambda stem: last not in "lsz"): in nltk the double
        // consonant test comes first, then a plain `endswith("*d")` check.
        if ends_double_consonant(&w) || ends_with(&w, "*d") {
            let mut stem = w[..w.len() - 2].to_vec();
            return if !matches!(last, 'l' | 's' | 'z') {
                stem.push(last);
                stem
            } else {
                w
            };
        }
        if measure(&w) == 1 && self.ends_cvc(&w) {
            concat(w, "e")
        } else {
            w
        }
    }

    fn step1c(&self, word: W) -> W {
        let nltk_cond = |stem: &[char]| stem.len() > 1 && is_consonant(stem, stem.len() - 1);
        let orig_cond = |stem: &[char]| contains_vowel(stem);
        let cond: &dyn Fn(&[char]) -> bool = if self.nltk() { &nltk_cond } else { &orig_cond };
        apply_rules(word, &[("y", "i", Some(cond))])
    }

    fn step2(&self, word: W) -> W {
        if self.nltk() && ends_with(&word, "alli") && positive_measure(&strip(&word, "alli")) {
            return self.step2(concat(strip(&word, "alli"), "al"));
        }
        let pm: Cond<'_> = Some(&positive_measure);
        let bli = if self.mode == PorterMode::OriginalAlgorithm {
            ("abli", "able", pm)
        } else {
            ("bli", "ble", pm)
        };
        let mut rules: Vec<(&str, &str, Cond<'_>)> = vec![
            ("ational", "ate", pm),
            ("tional", "tion", pm),
            ("enci", "ence", pm),
            ("anci", "ance", pm),
            ("izer", "ize", pm),
            bli,
            ("alli", "al", pm),
            ("entli", "ent", pm),
            ("eli", "e", pm),
            ("ousli", "ous", pm),
            ("ization", "ize", pm),
            ("ation", "ate", pm),
            ("ator", "ate", pm),
            ("alism", "al", pm),
            ("iveness", "ive", pm),
            ("fulness", "ful", pm),
            ("ousness", "ous", pm),
            ("aliti", "al", pm),
            ("iviti", "ive", pm),
            ("biliti", "ble", pm),
        ];
        let word_logi = if word.len() >= 3 {
            word[..word.len() - 3].to_vec()
        } else {
            Vec::new()
        };
        let nltk_logi = move |_: &[char]| positive_measure(&word_logi);
        if self.nltk() {
            rules.push(("fulli", "ful", pm));
            rules.push(("logi", "log", Some(&nltk_logi)));
        }
        if self.mode == PorterMode::MartinExtensions {
            rules.push(("logi", "log", pm));
        }
        apply_rules(word, &rules)
    }

    fn step3(&self, word: W) -> W {
        let pm: Cond<'_> = Some(&positive_measure);
        apply_rules(
            word,
            &[
                ("icate", "ic", pm),
                ("ative", "", pm),
                ("alize", "al", pm),
                ("iciti", "ic", pm),
                ("ical", "ic", pm),
                ("ful", "", pm),
                ("ness", "", pm),
            ],
        )
    }

    fn step4(&self, word: W) -> W {
        let m1: Cond<'_> = Some(&measure_gt_1);
        let ion = |stem: &[char]| measure(stem) > 1 && matches!(stem.last(), Some('s' | 't'));
        apply_rules(
            word,
            &[
                ("al", "", m1),
                ("ance", "", m1),
                ("ence", "", m1),
                ("er", "", m1),
                ("ic", "", m1),
                ("able", "", m1),
                ("ible", "", m1),
                ("ant", "", m1),
                ("ement", "", m1),
                ("ment", "", m1),
                ("ent", "", m1),
                ("ion", "", Some(&ion)),
                ("ou", "", m1),
                ("ism", "", m1),
                ("ate", "", m1),
                ("iti", "", m1),
                ("ous", "", m1),
                ("ive", "", m1),
                ("ize", "", m1),
            ],
        )
    }

    fn step5a(&self, word: W) -> W {
        if ends_with(&word, "e") {
            let stem = strip(&word, "e");
            let m = measure(&stem);
            if m > 1 || (m == 1 && !self.ends_cvc(&stem)) {
                return stem;
            }
        }
        word
    }

    fn step5b(&self, word: W) -> W {
        if ends_with(&word, "ll") && measure(&word[..word.len() - 1]) > 1 {
            return concat(strip(&word, "ll"), "l");
        }
        word
    }

    /// Like [`PorterStemmer::stem`], memoized in a bounded per-thread cache
    /// (a pure speed-up: the result is identical).
    #[must_use]
    pub fn stem_cached(&self, word: &str) -> String {
        self.with_stem_cached(word, str::to_string)
    }

    /// Calls `f` with the (memoized) stem of `word` without copying it.
    pub fn with_stem_cached<R>(&self, word: &str, f: impl FnOnce(&str) -> R) -> R {
        thread_local! {
            static CACHE: RefCell<[FxHashMap<Box<str>, Box<str>>; 3]> = RefCell::default();
        }
        const MAX_ENTRIES: usize = 1 << 16;
        let slot = self.mode as usize;
        CACHE.with(|c| {
            let mut caches = c.borrow_mut();
            let cache = &mut caches[slot];
            if let Some(s) = cache.get(word) {
                return f(s);
            }
            let s = self.stem(word);
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
            cache.insert(word.into(), s.as_str().into());
            f(&s)
        })
    }

    /// `PorterStemmer.stem(word)` (with nltk's default `to_lowercase=True`).
    #[must_use]
    pub fn stem(&self, word: &str) -> String {
        let lower = py_lower(word);
        if self.nltk()
            && let Some(s) = POOL.get(lower.as_str())
        {
            return (*s).to_string();
        }
        if self.mode != PorterMode::OriginalAlgorithm && word.chars().count() <= 2 {
            return lower;
        }
        let mut w: W = lower.chars().collect();
        w = self.step1a(w);
        w = self.step1b(w);
        w = self.step1c(w);
        w = self.step2(w);
        w = self.step3(w);
        w = self.step4(w);
        w = self.step5a(w);
        w = self.step5b(w);
        w.into_iter().collect()
    }
}
