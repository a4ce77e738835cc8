//! Glob matching in linear time: KubeArmor `matchPatterns` and Cilium
//! `toFQDNs.matchPattern`.
//!
//! A pattern is compiled once into tokens and matched by simulating its
//! automaton over the text: the set of pattern positions reachable after
//! each text byte is kept in a bit set, so a match takes at most
//! (tokens + 1) × (text bytes + 1) steps, whatever the pattern (a
//! backtracking matcher takes exponential time on `*a*a*a*a*…b`). Patterns
//! longer than [`GLOB_MAX_PATTERN_BYTES`](crate::limits::GLOB_MAX_PATTERN_BYTES)
//! are refused.
//!
//! Matching is on bytes: `?` matches one byte, and the separator is one
//! ASCII byte, as in the engines' own matchers on the texts they see.

use crate::limits::{self, LimitExceeded};

/// The dialect of a glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// KubeArmor: `*` is any run of bytes but `/`, `**` any run at all, `?`
    /// one byte but `/`.
    KubeArmor,
    /// Cilium `matchPattern` (after lower-casing and trimming the final
    /// `.`): `*` is any run of bytes but `.`; no `?` or `**`.
    CiliumFqdn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Byte(u8),
    /// One byte but the separator.
    One,
    /// Any run of bytes but the separator.
    Star,
    /// Any run of bytes.
    DoubleStar,
}

/// A compiled glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
    separator: u8,
}

impl Glob {
    /// Compiles `pattern` in `dialect`.
    pub fn new(pattern: &str, dialect: Dialect) -> Result<Glob, LimitExceeded> {
        if pattern.len() > limits::GLOB_MAX_PATTERN_BYTES {
            return Err(LimitExceeded::new(
                format!("a glob pattern of {} bytes", pattern.len()),
                "GLOB_MAX_PATTERN_BYTES",
                limits::GLOB_MAX_PATTERN_BYTES as u64,
                "bytes",
                "fixed: Linux's PATH_MAX",
            ));
        }
        let p = pattern.as_bytes();
        let mut tokens = Vec::with_capacity(p.len());
        let mut i = 0;
        while i < p.len() {
            let t = match (dialect, p[i]) {
                (Dialect::KubeArmor, b'*') if p.get(i + 1) == Some(&b'*') => {
                    i += 1;
                    Token::DoubleStar
                }
                (_, b'*') => Token::Star,
                (Dialect::KubeArmor, b'?') => Token::One,
                (_, c) => Token::Byte(c),
            };
            i += 1;
            tokens.push(t);
        }
        let separator = match dialect {
            Dialect::KubeArmor => b'/',
            Dialect::CiliumFqdn => b'.',
        };
        Ok(Glob { tokens, separator })
    }

    /// Whether the glob matches all of `text`, refusing a text over
    /// [`GLOB_MAX_TEXT_BYTES`](crate::limits::GLOB_MAX_TEXT_BYTES).
    pub fn try_matches(&self, text: &str) -> Result<bool, LimitExceeded> {
        if text.len() > limits::GLOB_MAX_TEXT_BYTES {
            return Err(LimitExceeded::new(
                format!("a text of {} bytes to match a glob against", text.len()),
                "GLOB_MAX_TEXT_BYTES",
                limits::GLOB_MAX_TEXT_BYTES as u64,
                "bytes",
                "fixed: Linux's PATH_MAX",
            ));
        }
        Ok(self.matches(text))
    }

    /// Whether the glob matches all of `text` (any length).
    pub fn matches(&self, text: &str) -> bool {
        self.matches_counting(text).0
    }

    /// [`Glob::matches`] and the number of steps (automaton positions
    /// visited) it took.
    pub fn matches_counting(&self, text: &str) -> (bool, u64) {
        let n = self.tokens.len();
        let mut steps = 0u64;
        // active[i]: the first i tokens match the text read so far.
        let mut active = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        active[0] = true;
        self.close(&mut active, &mut steps);
        for &c in text.as_bytes() {
            next.iter_mut().for_each(|x| *x = false);
            let mut any = false;
            for i in 0..n {
                steps += 1;
                if !active[i] {
                    continue;
                }
                let (stay, advance) = match self.tokens[i] {
                    Token::Byte(b) => (false, b == c),
                    Token::One => (false, c != self.separator),
                    Token::Star => (c != self.separator, false),
                    Token::DoubleStar => (true, false),
                };
                if stay {
                    next[i] = true;
                    any = true;
                }
                if advance {
                    next[i + 1] = true;
                    any = true;
                }
            }
            if !any {
                return (false, steps);
            }
            std::mem::swap(&mut active, &mut next);
            self.close(&mut active, &mut steps);
        }
        (active[n], steps)
    }

    /// Stars match the empty run: a position before a star reaches the one after it.
    fn close(&self, active: &mut [bool], steps: &mut u64) {
        for i in 0..self.tokens.len() {
            *steps += 1;
            if active[i] && matches!(self.tokens[i], Token::Star | Token::DoubleStar) {
                active[i + 1] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The backtracking matchers this module replaced, kept as the reference
    /// semantics.
    fn kubearmor_reference(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=t.len()).any(|i| kubearmor_reference(rest, &t[i..])),
            [b'*', rest @ ..] => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| kubearmor_reference(rest, &t[i..])),
            [b'?', rest @ ..] => {
                !t.is_empty() && t[0] != b'/' && kubearmor_reference(rest, &t[1..])
            }
            [c, rest @ ..] => t.first() == Some(c) && kubearmor_reference(rest, &t[1..]),
        }
    }

    fn fqdn_reference(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != b'.')
                .any(|i| fqdn_reference(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && fqdn_reference(rest, &n[1..]),
        }
    }

    fn ka(p: &str, t: &str) -> bool {
        Glob::new(p, Dialect::KubeArmor).unwrap().matches(t)
    }

    #[test]
    fn kubearmor_globs() {
        assert!(ka("/tmp/*.sock", "/tmp/a.sock"));
        assert!(!ka("/tmp/*.sock", "/tmp/a/b.sock"));
        assert!(ka("/usr/**/curl", "/usr/local/bin/curl"));
        assert!(ka("/a?c", "/abc"));
        assert!(!ka("/a?c", "/a/c"));
        assert!(ka("**", ""));
        assert!(ka("/***", "/a/b"));
        assert!(!ka("", "a"));
        assert!(ka("", ""));
    }

    #[test]
    fn same_verdicts_as_the_backtracking_matchers() {
        // Every pattern over a small alphabet up to length 5 against every
        // text up to length 4.
        fn all(alphabet: &[u8], max: usize) -> Vec<Vec<u8>> {
            let mut out = vec![vec![]];
            let mut last = vec![vec![]];
            for _ in 0..max {
                let mut next = Vec::new();
                for s in &last {
                    for &c in alphabet {
                        let mut t = s.clone();
                        t.push(c);
                        next.push(t);
                    }
                }
                out.extend(next.iter().cloned());
                last = next;
            }
            out
        }
        let texts = all(b"a/.", 4);
        let mut checked = 0;
        for p in all(b"a*?/.", 5) {
            let ps = std::str::from_utf8(&p).unwrap();
            let k = Glob::new(ps, Dialect::KubeArmor).unwrap();
            let c = Glob::new(ps, Dialect::CiliumFqdn).unwrap();
            for t in &texts {
                let ts = std::str::from_utf8(t).unwrap();
                assert_eq!(k.matches(ts), kubearmor_reference(&p, t), "{ps} {ts}");
                assert_eq!(c.matches(ts), fqdn_reference(&p, t), "{ps} {ts}");
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn pathological_patterns_take_linear_steps() {
        let text = "a".repeat(10_000);
        for (pattern, dialect) in [
            ("*a*a*a*a*a*a*a*a*a*a*b", Dialect::KubeArmor),
            ("**a**a**a**a**a**a**a**a**a**a**b", Dialect::KubeArmor),
            ("*a*a*a*a*a*a*a*a*a*a*b", Dialect::CiliumFqdn),
        ] {
            let g = Glob::new(pattern, dialect).unwrap();
            let (matched, steps) = g.matches_counting(&text);
            assert!(!matched);
            let bound = (pattern.len() as u64 + 1) * (text.len() as u64 + 1) * 2;
            assert!(steps <= bound, "{pattern}: {steps} steps > {bound}");
        }
        // And with a match at the end.
        let g = Glob::new("*a*a*a*a*a*a*a*a*a*a*b", Dialect::KubeArmor).unwrap();
        assert!(g.matches(&format!("{text}b")));
    }

    #[test]
    fn long_texts_are_refused_with_the_limit() {
        let g = Glob::new("**a**b", Dialect::KubeArmor).unwrap();
        let long = "a".repeat(limits::GLOB_MAX_TEXT_BYTES + 1);
        let e = g.try_matches(&long).unwrap_err();
        assert_eq!(e.limit, "GLOB_MAX_TEXT_BYTES");
        assert_eq!(g.try_matches(&long[1..]), Ok(false));
    }

    #[test]
    fn long_patterns_are_refused_with_the_limit() {
        let long = "a".repeat(limits::GLOB_MAX_PATTERN_BYTES + 1);
        let e = Glob::new(&long, Dialect::KubeArmor).unwrap_err();
        assert_eq!(e.limit, "GLOB_MAX_PATTERN_BYTES");
        assert!(e.to_string().contains("4096 bytes"), "{e}");
        assert!(Glob::new(&long[1..], Dialect::KubeArmor).is_ok());
    }
}
