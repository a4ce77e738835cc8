//! Label selectors, shared by conversion, simulation and validation.
//!
//! Label selectors of the conversion IR: a boolean expression over labels
//! (Calico's selector language, the most general of the three engines),
//! its parser and printer, and the lowering to Kubernetes-style label
//! selectors (`matchLabels` + `matchExpressions`), which Kubernetes and
//! Cilium use.
//!
//! Lowering puts the expression in disjunctive normal form: `a == 'x' ||
//! b == 'y'` becomes two label selectors, which the converters turn into two
//! peers (peers are ORed) or two policies (policies selecting a pod are
//! unioned). Negation is pushed to the leaves (`!has(k)` → `DoesNotExist`,
//! `!(k in {..})` → `In`). What has no label-selector form (`contains`,
//! `starts with`, `ends with`, `global()`, more than [`MAX_TERMS`] terms)
//! is a [`LowerError`].
//!
//! The same type is what simulation and layer 3 evaluate (three-valued, on
//! label sets that may be incomplete: `Selector::eval` in
//! [`labels`]).

mod kube_syntax;
pub mod labels;
pub mod tri;

pub use labels::*;
pub use tri::Tri;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::limits::{self, LimitExceeded};

/// Most label selectors one expression may lower to.
pub const MAX_TERMS: usize = 32;

/// A selector expression over labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Selector {
    /// `all()`: every labelled object.
    All,
    /// `global()`: Calico's "every namespace and non-namespaced endpoint".
    Global,
    /// `has(k)`.
    Has(String),
    /// `k == 'v'`.
    Eq(String, String),
    /// `k != 'v'` (true when `k` is absent).
    Ne(String, String),
    /// `k in {'a', 'b'}`.
    In(String, BTreeSet<String>),
    /// `k not in {'a', 'b'}` (true when `k` is absent).
    NotIn(String, BTreeSet<String>),
    /// `k contains 's'`.
    Contains(String, String),
    /// `k starts with 's'`.
    StartsWith(String, String),
    /// `k ends with 's'`.
    EndsWith(String, String),
    /// `!e`.
    Not(Box<Selector>),
    /// `a && b && …`.
    And(Vec<Selector>),
    /// `a || b || …`.
    Or(Vec<Selector>),
}

/// One requirement of a Kubernetes label selector.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Requirement {
    /// `key In values`.
    In(String, BTreeSet<String>),
    /// `key NotIn values`.
    NotIn(String, BTreeSet<String>),
    /// `key Exists`.
    Exists(String),
    /// `key DoesNotExist`.
    DoesNotExist(String),
}

impl Requirement {
    /// The label key.
    pub fn key(&self) -> &str {
        match self {
            Requirement::In(k, _)
            | Requirement::NotIn(k, _)
            | Requirement::Exists(k)
            | Requirement::DoesNotExist(k) => k,
        }
    }
}

/// A Kubernetes-style label selector: `matchLabels` plus `matchExpressions`, ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabelSelector {
    /// `matchLabels`.
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Whether it selects everything.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// The equivalent expression.
    pub fn to_selector(&self) -> Selector {
        let mut parts: Vec<Selector> = self
            .match_labels
            .iter()
            .map(|(k, v)| Selector::Eq(k.clone(), v.clone()))
            .collect();
        parts.extend(self.match_expressions.iter().map(|r| match r {
            Requirement::In(k, v) => Selector::In(k.clone(), v.clone()),
            Requirement::NotIn(k, v) => Selector::NotIn(k.clone(), v.clone()),
            Requirement::Exists(k) => Selector::Has(k.clone()),
            Requirement::DoesNotExist(k) => Selector::Not(Box::new(Selector::Has(k.clone()))),
        }));
        Selector::and(parts)
    }
}

/// Why an expression has no label-selector form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError(pub String);

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A literal of the normal form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Lit {
    Req(Requirement),
    /// Matches nothing.
    False,
}

impl Selector {
    /// `a && b`, flattened; `all()` for none.
    pub fn and(parts: Vec<Selector>) -> Selector {
        let mut flat = Vec::new();
        for p in parts {
            match p {
                Selector::All => {}
                Selector::And(v) => flat.extend(v),
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => Selector::All,
            1 => flat.pop().unwrap_or(Selector::All),
            _ => Selector::And(flat),
        }
    }

    /// `a || b`, flattened. An empty list matches nothing (`!all()`).
    pub fn or(parts: Vec<Selector>) -> Selector {
        let mut flat = Vec::new();
        for p in parts {
            match p {
                Selector::Or(v) => flat.extend(v),
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => Selector::Not(Box::new(Selector::All)),
            1 => flat.pop().unwrap_or(Selector::All),
            _ => Selector::Or(flat),
        }
    }

    /// Whether the selector is `all()`.
    pub fn is_all(&self) -> bool {
        matches!(self, Selector::All)
    }

    /// Evaluates the selector on a label set.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selector::All | Selector::Global => true,
            Selector::Has(k) => labels.contains_key(k),
            Selector::Eq(k, v) => labels.get(k) == Some(v),
            Selector::Ne(k, v) => labels.get(k) != Some(v),
            Selector::In(k, vs) => labels.get(k).is_some_and(|x| vs.contains(x)),
            Selector::NotIn(k, vs) => !labels.get(k).is_some_and(|x| vs.contains(x)),
            Selector::Contains(k, s) => labels.get(k).is_some_and(|x| x.contains(s.as_str())),
            Selector::StartsWith(k, s) => labels.get(k).is_some_and(|x| x.starts_with(s.as_str())),
            Selector::EndsWith(k, s) => labels.get(k).is_some_and(|x| x.ends_with(s.as_str())),
            Selector::Not(e) => !e.matches(labels),
            Selector::And(v) => v.iter().all(|e| e.matches(labels)),
            Selector::Or(v) => v.iter().any(|e| e.matches(labels)),
        }
    }

    /// Every label key the expression mentions.
    pub fn keys(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect_keys(&mut out);
        out
    }

    fn collect_keys(&self, out: &mut BTreeSet<String>) {
        match self {
            Selector::All | Selector::Global => {}
            Selector::Has(k)
            | Selector::Eq(k, _)
            | Selector::Ne(k, _)
            | Selector::In(k, _)
            | Selector::NotIn(k, _)
            | Selector::Contains(k, _)
            | Selector::StartsWith(k, _)
            | Selector::EndsWith(k, _) => {
                out.insert(k.clone());
            }
            Selector::Not(e) => e.collect_keys(out),
            Selector::And(v) | Selector::Or(v) => v.iter().for_each(|e| e.collect_keys(out)),
        }
    }

    /// Rewrites every label key (e.g. to strip an engine's prefix).
    pub fn map_keys(&self, f: &impl Fn(&str) -> String) -> Selector {
        match self {
            Selector::All => Selector::All,
            Selector::Global => Selector::Global,
            Selector::Has(k) => Selector::Has(f(k)),
            Selector::Eq(k, v) => Selector::Eq(f(k), v.clone()),
            Selector::Ne(k, v) => Selector::Ne(f(k), v.clone()),
            Selector::In(k, v) => Selector::In(f(k), v.clone()),
            Selector::NotIn(k, v) => Selector::NotIn(f(k), v.clone()),
            Selector::Contains(k, v) => Selector::Contains(f(k), v.clone()),
            Selector::StartsWith(k, v) => Selector::StartsWith(f(k), v.clone()),
            Selector::EndsWith(k, v) => Selector::EndsWith(f(k), v.clone()),
            Selector::Not(e) => Selector::Not(Box::new(e.map_keys(f))),
            Selector::And(v) => Selector::And(v.iter().map(|e| e.map_keys(f)).collect()),
            Selector::Or(v) => Selector::Or(v.iter().map(|e| e.map_keys(f)).collect()),
        }
    }

    /// The label selectors whose union is this expression (disjunctive
    /// normal form). An empty list means the expression matches nothing.
    pub fn to_label_selectors(&self) -> Result<Vec<LabelSelector>, LowerError> {
        let dnf = self.dnf(false)?;
        let mut out: Vec<LabelSelector> = Vec::new();
        for term in dnf {
            if term.contains(&Lit::False) {
                continue;
            }
            let mut ls = LabelSelector::default();
            for lit in term {
                match lit {
                    Lit::Req(Requirement::In(k, vs)) if vs.len() == 1 => {
                        let v = vs.into_iter().next().unwrap_or_default();
                        match ls.match_labels.get(&k) {
                            Some(old) if *old != v => {
                                // k == a && k == b: matches nothing.
                                ls.match_expressions
                                    .push(Requirement::In(k.clone(), [v].into()));
                            }
                            _ => {
                                ls.match_labels.insert(k, v);
                            }
                        }
                    }
                    Lit::Req(r) => {
                        if !ls.match_expressions.contains(&r) {
                            ls.match_expressions.push(r);
                        }
                    }
                    Lit::False => {}
                }
            }
            ls.match_expressions.sort();
            if !out.contains(&ls) {
                out.push(ls);
            }
        }
        // `all()` anywhere makes the others redundant.
        if out.iter().any(LabelSelector::is_empty) {
            return Ok(vec![LabelSelector::default()]);
        }
        Ok(out)
    }

    /// The normal form of `self` (negated when `neg`): a list of conjunctions.
    fn dnf(&self, neg: bool) -> Result<Vec<Vec<Lit>>, LowerError> {
        let req = |r: Requirement| Ok(vec![vec![Lit::Req(r)]]);
        match (self, neg) {
            (Selector::All, false) => Ok(vec![vec![]]),
            (Selector::All, true) => Ok(vec![vec![Lit::False]]),
            (Selector::Global, _) => Err(LowerError(
                "global() (Calico's all namespaces and non-namespaced endpoints) has no label-selector form".into(),
            )),
            (Selector::Has(k), false) => req(Requirement::Exists(k.clone())),
            (Selector::Has(k), true) => req(Requirement::DoesNotExist(k.clone())),
            (Selector::Eq(k, v), false) | (Selector::Ne(k, v), true) => {
                req(Requirement::In(k.clone(), [v.clone()].into()))
            }
            (Selector::Eq(k, v), true) | (Selector::Ne(k, v), false) => {
                req(Requirement::NotIn(k.clone(), [v.clone()].into()))
            }
            (Selector::In(_, vs), false) | (Selector::NotIn(_, vs), true) if vs.is_empty() => {
                Ok(vec![vec![Lit::False]])
            }
            (Selector::In(_, vs), true) | (Selector::NotIn(_, vs), false) if vs.is_empty() => {
                Ok(vec![vec![]])
            }
            (Selector::In(k, vs), false) | (Selector::NotIn(k, vs), true) => {
                req(Requirement::In(k.clone(), vs.clone()))
            }
            (Selector::In(k, vs), true) | (Selector::NotIn(k, vs), false) => {
                req(Requirement::NotIn(k.clone(), vs.clone()))
            }
            (Selector::Contains(k, _), _)
            | (Selector::StartsWith(k, _), _)
            | (Selector::EndsWith(k, _), _) => Err(LowerError(format!(
                "the substring match on {k:?} (contains / starts with / ends with) has no label-selector form"
            ))),
            (Selector::Not(e), n) => e.dnf(!n),
            (Selector::And(v), false) | (Selector::Or(v), true) => {
                let mut acc: Vec<Vec<Lit>> = vec![vec![]];
                for e in v {
                    let d = e.dnf(neg)?;
                    let mut next = Vec::new();
                    for a in &acc {
                        for b in &d {
                            let mut t = a.clone();
                            t.extend(b.iter().cloned());
                            t.sort();
                            t.dedup();
                            next.push(t);
                        }
                    }
                    if next.len() > MAX_TERMS {
                        return Err(LowerError(format!(
                            "the expression expands to more than {MAX_TERMS} label selectors"
                        )));
                    }
                    acc = next;
                }
                Ok(acc)
            }
            (Selector::Or(v), false) | (Selector::And(v), true) => {
                let mut acc = Vec::new();
                for e in v {
                    acc.extend(e.dnf(neg)?);
                    if acc.len() > MAX_TERMS {
                        return Err(LowerError(format!(
                            "the expression expands to more than {MAX_TERMS} label selectors"
                        )));
                    }
                }
                Ok(acc)
            }
        }
    }

    /// Parses a Calico selector expression (the grammar of Calico's
    /// `libcalico-go/lib/selector`); an empty or blank one is `all()`, as
    /// in Calico.
    ///
    /// ```text
    /// or      := and ( "||" and )*
    /// and     := unary ( "&&" unary )*
    /// unary   := "!" unary | "(" or ")" | "all()" | "global()" | "has(" key ")"
    ///          | key "==" str | key "!=" str | key "in" set | key "not" "in" set
    ///          | key "contains" str | key "starts" "with" str | key "ends" "with" str
    /// set     := "{" ( str ( "," str )* )? "}"
    /// str     := '...' | "..."
    /// key     := [A-Za-z0-9_./-]+
    /// ```
    ///
    /// Bounded by [`SELECTOR_MAX_CHARS`](crate::limits::SELECTOR_MAX_CHARS)
    /// characters and [`SELECTOR_MAX_DEPTH`](crate::limits::SELECTOR_MAX_DEPTH)
    /// levels of `!` and `(`, so parsing, printing, evaluating and dropping a
    /// parsed selector never run out of stack, whoever calls it.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let chars = text.chars().count();
        if chars > limits::SELECTOR_MAX_CHARS {
            let limit = LimitExceeded::new(
                format!("a selector of {chars} characters"),
                "SELECTOR_MAX_CHARS",
                limits::SELECTOR_MAX_CHARS as u64,
                "characters",
                "fixed: Calico's CRDs give every selector field maxLength 1024",
            );
            return Err(SelectorError {
                selector: limits::excerpt(text, SELECTOR_ECHO_CHARS),
                position: limits::SELECTOR_MAX_CHARS + 1,
                message: limit.to_string(),
                limit: Some(Box::new(limit)),
            });
        }
        let mut p = Parser {
            text,
            s: text.as_bytes(),
            i: 0,
            depth: 0,
        };
        p.ws();
        if p.i == p.s.len() {
            return Ok(Selector::All);
        }
        let e = p.or()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(p.err("expected `&&`, `||` or the end of the selector"));
        }
        Ok(e)
    }
}

/// A Calico selector that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("selector {selector:?}: at character {position}: {message}")]
pub struct SelectorError {
    /// The selector text (its first [`SELECTOR_ECHO_CHARS`] characters when
    /// longer).
    pub selector: String,
    /// 1-based character position of the problem.
    pub position: usize,
    /// What was expected.
    pub message: String,
    /// The limit the selector exceeds, when that is the problem.
    pub limit: Option<Box<LimitExceeded>>,
}

/// Most characters of a selector an error message repeats.
pub const SELECTOR_ECHO_CHARS: usize = 200;

fn quote(v: &str) -> String {
    if v.contains('\'') {
        format!("\"{v}\"")
    } else {
        format!("'{v}'")
    }
}

fn set(vs: &BTreeSet<String>) -> String {
    vs.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Selector {
    /// Calico's syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::All => f.write_str("all()"),
            Selector::Global => f.write_str("global()"),
            Selector::Has(k) => write!(f, "has({k})"),
            Selector::Eq(k, v) => write!(f, "{k} == {}", quote(v)),
            Selector::Ne(k, v) => write!(f, "{k} != {}", quote(v)),
            Selector::In(k, v) => write!(f, "{k} in {{{}}}", set(v)),
            Selector::NotIn(k, v) => write!(f, "{k} not in {{{}}}", set(v)),
            Selector::Contains(k, v) => write!(f, "{k} contains {}", quote(v)),
            Selector::StartsWith(k, v) => write!(f, "{k} starts with {}", quote(v)),
            Selector::EndsWith(k, v) => write!(f, "{k} ends with {}", quote(v)),
            Selector::Not(e) => match **e {
                Selector::And(_) | Selector::Or(_) => write!(f, "!({e})"),
                _ => write!(f, "!{e}"),
            },
            Selector::And(v) => {
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" && ")?;
                    }
                    match e {
                        Selector::Or(_) => write!(f, "({e})")?,
                        _ => write!(f, "{e}")?,
                    }
                }
                Ok(())
            }
            Selector::Or(v) => {
                for (i, e) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" || ")?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    i: usize,
    /// Open `!` and `(` levels.
    depth: usize,
}

type Parsed<T> = Result<T, SelectorError>;

impl Parser<'_> {
    fn err(&self, message: &str) -> SelectorError {
        // Keys and operators are ASCII; a string may not be, so count
        // characters, not bytes.
        let before = self
            .text
            .get(..self.i)
            .map_or(self.i, |t| t.chars().count());
        SelectorError {
            selector: limits::excerpt(self.text, SELECTOR_ECHO_CHARS),
            position: before + 1,
            message: message.to_string(),
            limit: None,
        }
    }

    /// Enters one more level of `!` or `(`.
    fn deeper(&mut self) -> Parsed<()> {
        self.depth += 1;
        if self.depth > limits::SELECTOR_MAX_DEPTH {
            let limit = LimitExceeded::new(
                format!("a selector nested more than {} levels deep", self.depth - 1),
                "SELECTOR_MAX_DEPTH",
                limits::SELECTOR_MAX_DEPTH as u64,
                "levels of `!` and `(`",
                "fixed",
            );
            let mut e = self.err(&limit.to_string());
            e.limit = Some(Box::new(limit));
            return Err(e);
        }
        Ok(())
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    /// A keyword: `tok` not followed by a key character.
    fn eat_word(&mut self, tok: &str) -> bool {
        self.ws();
        let end = self.i + tok.len();
        if self.s[self.i..].starts_with(tok.as_bytes())
            && self.s.get(end).is_none_or(|c| !is_key_char(*c))
        {
            self.i = end;
            true
        } else {
            false
        }
    }

    /// `name(` next: consumed; otherwise nothing is (`all` may be a key).
    fn eat_call(&mut self, name: &str) -> bool {
        let save = self.i;
        if self.eat(name) && self.eat("(") {
            return true;
        }
        self.i = save;
        false
    }

    fn or(&mut self) -> Parsed<Selector> {
        let mut parts = vec![self.and()?];
        while self.eat("||") {
            parts.push(self.and()?);
        }
        Ok(Selector::or(parts))
    }

    fn and(&mut self) -> Parsed<Selector> {
        let mut parts = vec![self.unary()?];
        while self.eat("&&") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Selector::All)
        } else {
            Selector::And(parts)
        })
    }

    fn unary(&mut self) -> Parsed<Selector> {
        self.ws();
        if self.s.get(self.i) == Some(&b'!') && self.s.get(self.i + 1) != Some(&b'=') {
            self.deeper()?;
            self.i += 1;
            let e = Selector::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(e);
        }
        if self.s.get(self.i) == Some(&b'(') {
            self.deeper()?;
            self.i += 1;
            let e = self.or()?;
            if !self.eat(")") {
                return Err(self.err("expected `)`"));
            }
            self.depth -= 1;
            return Ok(e);
        }
        for (name, s) in [("all", Selector::All), ("global", Selector::Global)] {
            if self.eat_call(name) {
                if !self.eat(")") {
                    return Err(self.err(&format!("expected `)` after `{name}(`")));
                }
                return Ok(s);
            }
        }
        if self.eat_call("has") {
            let k = self.key()?;
            if !self.eat(")") {
                return Err(self.err("expected `)` after the key in `has(`"));
            }
            return Ok(Selector::Has(k));
        }
        let k = self.key()?;
        if self.eat("==") {
            return Ok(Selector::Eq(k, self.string()?));
        }
        if self.eat("!=") {
            return Ok(Selector::Ne(k, self.string()?));
        }
        if self.eat_word("in") {
            return Ok(Selector::In(k, self.string_set()?));
        }
        if self.eat_word("not") {
            if !self.eat_word("in") {
                return Err(self.err("expected `in` after `not`"));
            }
            return Ok(Selector::NotIn(k, self.string_set()?));
        }
        if self.eat_word("contains") {
            return Ok(Selector::Contains(k, self.string()?));
        }
        if self.eat_word("starts") {
            if !self.eat_word("with") {
                return Err(self.err("expected `with` after `starts`"));
            }
            return Ok(Selector::StartsWith(k, self.string()?));
        }
        if self.eat_word("ends") {
            if !self.eat_word("with") {
                return Err(self.err("expected `with` after `ends`"));
            }
            return Ok(Selector::EndsWith(k, self.string()?));
        }
        Err(self.err(&format!(
            "expected an operator after `{k}`: ==, !=, in, not in, contains, starts with, ends with"
        )))
    }

    fn key(&mut self) -> Parsed<String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len() && is_key_char(self.s[self.i]) {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err("expected a label key, `!`, `(`, `all()` or `has(`"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn string(&mut self) -> Parsed<String> {
        self.ws();
        let q = match self.s.get(self.i) {
            Some(q @ (b'\'' | b'"')) => *q,
            _ => return Err(self.err("expected a quoted string ('...' or \"...\")")),
        };
        let start = self.i + 1;
        let Some(len) = self.s[start..].iter().position(|c| *c == q) else {
            return Err(self.err("unterminated string"));
        };
        self.i = start + len + 1;
        Ok(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }

    fn string_set(&mut self) -> Parsed<BTreeSet<String>> {
        if !self.eat("{") {
            return Err(self.err("expected `{` starting a set of strings"));
        }
        let mut out = BTreeSet::new();
        if self.eat("}") {
            return Ok(out);
        }
        loop {
            out.insert(self.string()?);
            if self.eat("}") {
                return Ok(out);
            }
            if !self.eat(",") {
                return Err(self.err("expected `,` or `}` in a set"));
            }
        }
    }
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_and_prints_calico_selectors() {
        for (text, want) in [
            ("all()", "all()"),
            ("", "all()"),
            ("app == 'web'", "app == 'web'"),
            (
                "app == \"web\" && tier != 'db'",
                "app == 'web' && tier != 'db'",
            ),
            ("has(role) || !has(x)", "has(role) || !has(x)"),
            ("k in {'a','b'}", "k in {'a', 'b'}"),
            ("k not in { \"a\" }", "k not in {'a'}"),
            ("!(a == 'x' || b == 'y')", "!(a == 'x' || b == 'y')"),
            (
                "(a == 'x' || b == 'y') && c == 'z'",
                "(a == 'x' || b == 'y') && c == 'z'",
            ),
            ("name starts with 'web-'", "name starts with 'web-'"),
            (
                "projectcalico.org/name == 'kube-system'",
                "projectcalico.org/name == 'kube-system'",
            ),
            ("global()", "global()"),
            // Function names are keys unless a `(` follows.
            ("all == 'x' && has == 'y'", "all == 'x' && has == 'y'"),
            ("all ( )", "all()"),
            ("app == 'ü' && b == 'x'", "app == 'ü' && b == 'x'"),
        ] {
            let s = Selector::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(s.to_string(), want, "{text}");
            assert_eq!(Selector::parse(&s.to_string()).unwrap(), s, "{text}");
        }
        for bad in [
            "app ==",
            "app = 'x'",
            "(a == 'x'",
            "a == 'x' &&",
            "k in {'a'",
            "has(",
            "a == 'x' b",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
        // Positions count characters, not bytes.
        let e = Selector::parse("a == 'üü' b").unwrap_err();
        assert_eq!(e.position, 11, "{e}");
        assert_eq!(
            e.to_string(),
            "selector \"a == 'üü' b\": at character 11: expected `&&`, `||` or the end of the selector"
        );
    }

    #[test]
    fn deep_or_long_selectors_are_refused_by_the_parser_itself() {
        // 10,000 nested parentheses and 300,000 `!`: each used to overflow
        // the stack of whatever parsed it (simulate skips validation's
        // length check).
        let parens = format!("{}a == 'x'{}", "(".repeat(10_000), ")".repeat(10_000));
        let bangs = format!("{}has(a)", "!".repeat(300_000));
        for text in [&parens, &bangs] {
            let e = Selector::parse(text).unwrap_err();
            let limit = e.limit.as_ref().expect("a limit error");
            assert_eq!(limit.limit, "SELECTOR_MAX_CHARS", "{e}");
            assert!(e.to_string().contains("1024 characters"), "{e}");
            // The message repeats only the start of the selector.
            assert!(e.to_string().len() < 600, "{}", e.to_string().len());
        }
        // Within the length limit, nesting is what is bounded.
        let depth = limits::SELECTOR_MAX_DEPTH;
        let ok = format!("{}a == 'x'{}", "(".repeat(depth), ")".repeat(depth));
        assert!(Selector::parse(&ok).is_ok());
        let deep = format!("{}a == 'x'{}", "(".repeat(depth + 1), ")".repeat(depth + 1));
        let e = Selector::parse(&deep).unwrap_err();
        assert_eq!(e.limit.as_ref().unwrap().limit, "SELECTOR_MAX_DEPTH", "{e}");
        assert_eq!(e.position, depth + 1, "{e}");
        let bangs = format!("{}has(a)", "!".repeat(depth + 1));
        let e = Selector::parse(&bangs).unwrap_err();
        assert_eq!(e.limit.as_ref().unwrap().limit, "SELECTOR_MAX_DEPTH", "{e}");
        let ok = format!("{}has(a)", "!".repeat(depth));
        let s = Selector::parse(&ok).unwrap();
        assert!(s.matches(&labels(&[("a", "1")])));
        // Nesting that opens and closes does not accumulate.
        let flat = vec!["(a == 'x')"; 60].join(" || ");
        assert!(Selector::parse(&flat).is_ok());
    }

    #[test]
    fn evaluates_with_calico_semantics() {
        let s = Selector::parse("app == 'web' && tier != 'db' && !has(canary)").unwrap();
        assert!(s.matches(&labels(&[("app", "web")])));
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "fe")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "db")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("canary", "")])));
        assert!(
            Selector::parse("k not in {'a'}")
                .unwrap()
                .matches(&labels(&[]))
        );
        assert!(!Selector::parse("k in {'a'}").unwrap().matches(&labels(&[])));
    }

    #[test]
    fn lowering_is_equivalent_on_every_label_set() {
        let universe: Vec<BTreeMap<String, String>> = {
            let vals = [None, Some("x"), Some("y")];
            let mut out = Vec::new();
            for a in vals {
                for b in vals {
                    let mut m = BTreeMap::new();
                    if let Some(v) = a {
                        m.insert("a".to_string(), v.to_string());
                    }
                    if let Some(v) = b {
                        m.insert("b".to_string(), v.to_string());
                    }
                    out.push(m);
                }
            }
            out
        };
        for text in [
            "all()",
            "a == 'x'",
            "a != 'x'",
            "a == 'x' || b == 'y'",
            "!(a == 'x' || b == 'y')",
            "!(a == 'x' && has(b))",
            "a in {'x','y'} && b not in {'x'}",
            "!(a not in {'x'})",
            "(a == 'x' || a == 'y') && (b == 'x' || !has(b))",
            "a in {}",
            "!all()",
            "a == 'x' && a == 'y'",
        ] {
            let s = Selector::parse(text).unwrap();
            let lowered = s.to_label_selectors().unwrap();
            for l in &universe {
                let via = lowered.iter().any(|ls| ls.to_selector().matches(l));
                assert_eq!(via, s.matches(l), "{text} on {l:?}: {lowered:?}");
            }
        }
        assert!(
            Selector::parse("a contains 'x'")
                .unwrap()
                .to_label_selectors()
                .is_err()
        );
        assert!(
            Selector::parse("global()")
                .unwrap()
                .to_label_selectors()
                .is_err()
        );
    }
}
