//! Label selectors: Kubernetes/Cilium `matchLabels` + `matchExpressions`
//! and Calico's selector expressions, evaluated three-valued against label
//! sets that may be incomplete.
//!
//! Calico's grammar (as `libcalico-go/lib/selector` parses it):
//!
//! ```text
//! expr    := or
//! or      := and ( "||" and )*
//! and     := unary ( "&&" unary )*
//! unary   := "!" unary | "(" expr ")" | "all()" | "global()" | "has(" key ")"
//!          | key "==" str | key "!=" str | key "in" set | key "not" "in" set
//!          | key "contains" str | key "starts" "with" str | key "ends" "with" str
//! set     := "{" ( str ( "," str )* )? "}"
//! str     := '...' | "..."
//! key     := [A-Za-z0-9_./-]+
//! ```

use std::collections::BTreeMap;
use std::fmt;

use super::tri::Tri;

/// A label set as far as it is known.
#[derive(Debug, Clone, Copy)]
pub struct LabelView<'a> {
    labels: &'a BTreeMap<String, String>,
    /// Labels implied by context (the namespace label of a pod, the name
    /// label of a namespace).
    implied: [(&'a str, Option<&'a str>); 3],
    /// Whether `labels` holds every label (an absent key is then absent,
    /// not unknown).
    complete: bool,
    what: &'static str,
}

static EMPTY: BTreeMap<String, String> = BTreeMap::new();

/// The lookup of one key.
enum Lookup<'a> {
    Value(&'a str),
    Absent,
    Unknown,
}

impl<'a> LabelView<'a> {
    /// A pod's labels. An empty map counts as unknown (sources such as Falco
    /// often carry no labels), a non-empty one as complete. The namespace is
    /// implied as `projectcalico.org/namespace` and Cilium's
    /// `io.kubernetes.pod.namespace`.
    pub fn pod(labels: &'a BTreeMap<String, String>, namespace: Option<&'a str>) -> Self {
        LabelView {
            labels,
            implied: [
                ("projectcalico.org/namespace", namespace),
                ("io.kubernetes.pod.namespace", namespace),
                ("", None),
            ],
            complete: !labels.is_empty(),
            what: "pod labels",
        }
    }

    /// A namespace's labels: only the automatic name labels are known.
    pub fn namespace(name: Option<&'a str>) -> Self {
        LabelView {
            labels: &EMPTY,
            implied: [
                ("kubernetes.io/metadata.name", name),
                ("projectcalico.org/name", name),
                ("", None),
            ],
            complete: false,
            what: "namespace labels",
        }
    }

    /// A label set known to be empty.
    pub fn known_empty() -> LabelView<'static> {
        LabelView {
            labels: &EMPTY,
            implied: [("", None), ("", None), ("", None)],
            complete: true,
            what: "labels",
        }
    }

    fn get(&self, key: &str) -> Lookup<'a> {
        if let Some(v) = self.labels.get(key) {
            return Lookup::Value(v.as_str());
        }
        for (k, v) in self.implied {
            if !k.is_empty() && k == key {
                return match v {
                    Some(v) => Lookup::Value(v),
                    None => Lookup::Unknown,
                };
            }
        }
        if self.complete {
            Lookup::Absent
        } else {
            Lookup::Unknown
        }
    }

    fn unknown(&self, key: &str) -> Tri {
        Tri::maybe(format!(
            "the event does not carry the {} (`{key}`)",
            self.what
        ))
    }

    /// `key == value`.
    pub fn equals(&self, key: &str, value: &str) -> Tri {
        match self.get(key) {
            Lookup::Value(v) => Tri::from_bool(v == value),
            Lookup::Absent => Tri::No,
            Lookup::Unknown => self.unknown(key),
        }
    }

    /// `has(key)`.
    pub fn has(&self, key: &str) -> Tri {
        match self.get(key) {
            Lookup::Value(_) => Tri::Yes,
            Lookup::Absent => Tri::No,
            Lookup::Unknown => self.unknown(key),
        }
    }

    /// A predicate on the value; `absent` is the result for an absent key.
    pub fn test(&self, key: &str, absent: bool, f: impl Fn(&str) -> bool) -> Tri {
        match self.get(key) {
            Lookup::Value(v) => Tri::from_bool(f(v)),
            Lookup::Absent => Tri::from_bool(absent),
            Lookup::Unknown => self.unknown(key),
        }
    }

    /// A `matchExpressions` requirement (`In`, `NotIn`, `Exists`, `DoesNotExist`).
    pub fn requirement(&self, key: &str, operator: &str, values: &[String]) -> Tri {
        match operator {
            "In" => self.test(key, false, |v| values.iter().any(|x| x == v)),
            "NotIn" => self.test(key, true, |v| values.iter().all(|x| x != v)),
            "Exists" => self.has(key),
            "DoesNotExist" => self.has(key).negate(),
            other => Tri::maybe(format!("unknown selector operator `{other}`")),
        }
    }

    /// `matchLabels` (all pairs).
    pub fn match_labels<'b, I>(&self, pairs: I) -> Tri
    where
        I: IntoIterator<Item = (&'b str, &'b str)>,
    {
        Tri::all(pairs.into_iter().map(|(k, v)| self.equals(k, v)))
    }
}

/// A Calico selector that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("selector {selector:?}: at character {position}: {message}")]
pub struct SelectorError {
    /// The selector text.
    pub selector: String,
    /// 1-based character position of the problem.
    pub position: usize,
    /// What was expected.
    pub message: String,
}

/// A parsed Calico selector expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalicoSelector {
    /// `all()`.
    All,
    /// `global()`: matches non-namespaced endpoints (none of the simulated pods).
    Global,
    /// `has(k)`.
    Has(String),
    /// `k == 'v'`.
    Eq(String, String),
    /// `k != 'v'`.
    Ne(String, String),
    /// `k in {..}`.
    In(String, Vec<String>),
    /// `k not in {..}`.
    NotIn(String, Vec<String>),
    /// `k contains 's'`.
    Contains(String, String),
    /// `k starts with 's'`.
    StartsWith(String, String),
    /// `k ends with 's'`.
    EndsWith(String, String),
    /// `!e`.
    Not(Box<CalicoSelector>),
    /// `a && b`.
    And(Box<CalicoSelector>, Box<CalicoSelector>),
    /// `a || b`.
    Or(Box<CalicoSelector>, Box<CalicoSelector>),
}

impl CalicoSelector {
    /// Parses a selector; an empty (or blank) one means `all()`, as in Calico.
    pub fn parse(text: &str) -> Result<CalicoSelector, SelectorError> {
        let mut p = Parser {
            src: text,
            chars: text.char_indices().collect(),
            pos: 0,
        };
        p.skip_ws();
        if p.pos == p.chars.len() {
            return Ok(CalicoSelector::All);
        }
        let e = p.or()?;
        p.skip_ws();
        if p.pos != p.chars.len() {
            return Err(p.err("expected `&&`, `||` or the end of the selector"));
        }
        Ok(e)
    }

    /// Evaluates the selector against a label view.
    pub fn eval(&self, l: &LabelView<'_>) -> Tri {
        use CalicoSelector::*;
        match self {
            All => Tri::Yes,
            Global => Tri::No,
            Has(k) => l.has(k),
            Eq(k, v) => l.equals(k, v),
            Ne(k, v) => l.test(k, true, |x| x != v),
            In(k, vs) => l.test(k, false, |x| vs.iter().any(|v| v == x)),
            NotIn(k, vs) => l.test(k, true, |x| vs.iter().all(|v| v != x)),
            Contains(k, s) => l.test(k, false, |x| x.contains(s.as_str())),
            StartsWith(k, s) => l.test(k, false, |x| x.starts_with(s.as_str())),
            EndsWith(k, s) => l.test(k, false, |x| x.ends_with(s.as_str())),
            Not(e) => e.eval(l).negate(),
            And(a, b) => a.eval(l).and(|| b.eval(l)),
            Or(a, b) => a.eval(l).or(|| b.eval(l)),
        }
    }

    /// Every `(key, value)` the selector compares with `==` or `in`, for
    /// checks against known workloads.
    pub fn equalities(&self) -> Vec<(&str, &str)> {
        use CalicoSelector::*;
        let mut out = Vec::new();
        fn walk<'a>(e: &'a CalicoSelector, out: &mut Vec<(&'a str, &'a str)>) {
            match e {
                Eq(k, v) => out.push((k, v)),
                In(k, vs) => out.extend(vs.iter().map(|v| (k.as_str(), v.as_str()))),
                And(a, b) | Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                _ => {}
            }
        }
        walk(self, &mut out);
        out
    }
}

impl fmt::Display for CalicoSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CalicoSelector::*;
        let set = |vs: &[String]| {
            vs.iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            All => write!(f, "all()"),
            Global => write!(f, "global()"),
            Has(k) => write!(f, "has({k})"),
            Eq(k, v) => write!(f, "{k} == '{v}'"),
            Ne(k, v) => write!(f, "{k} != '{v}'"),
            In(k, vs) => write!(f, "{k} in {{{}}}", set(vs)),
            NotIn(k, vs) => write!(f, "{k} not in {{{}}}", set(vs)),
            Contains(k, s) => write!(f, "{k} contains '{s}'"),
            StartsWith(k, s) => write!(f, "{k} starts with '{s}'"),
            EndsWith(k, s) => write!(f, "{k} ends with '{s}'"),
            Not(e) => write!(f, "!({e})"),
            And(a, b) => write!(f, "({a}) && ({b})"),
            Or(a, b) => write!(f, "({a}) || ({b})"),
        }
    }
}

struct Parser<'s> {
    src: &'s str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

impl Parser<'_> {
    fn err(&self, message: &str) -> SelectorError {
        SelectorError {
            selector: self.src.to_string(),
            position: self.pos + 1,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|c| c.1)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Consumes `lit` (after whitespace) when it comes next.
    fn eat(&mut self, lit: &str) -> bool {
        self.skip_ws();
        let n = lit.chars().count();
        let matches = self.chars.len() >= self.pos + n
            && self.chars[self.pos..self.pos + n]
                .iter()
                .map(|c| c.1)
                .eq(lit.chars());
        if matches {
            self.pos += n;
        }
        matches
    }

    /// Consumes a keyword: `lit` not followed by a key character.
    fn eat_word(&mut self, lit: &str) -> bool {
        let save = self.pos;
        if self.eat(lit) && !self.peek().is_some_and(is_key_char) {
            return true;
        }
        self.pos = save;
        false
    }

    fn key(&mut self) -> Result<String, SelectorError> {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(is_key_char) {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(self.err("expected a label key, `!`, `(`, `all()` or `has(`"));
        }
        Ok(self.chars[start..self.pos].iter().map(|c| c.1).collect())
    }

    fn string(&mut self) -> Result<String, SelectorError> {
        self.skip_ws();
        let Some(q @ ('\'' | '"')) = self.peek() else {
            return Err(self.err("expected a quoted string ('...' or \"...\")"));
        };
        self.pos += 1;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == q {
                let s = self.chars[start..self.pos].iter().map(|c| c.1).collect();
                self.pos += 1;
                return Ok(s);
            }
            self.pos += 1;
        }
        self.pos = start - 1;
        Err(self.err("unterminated string"))
    }

    fn set(&mut self) -> Result<Vec<String>, SelectorError> {
        if !self.eat("{") {
            return Err(self.err("expected `{` starting a set of strings"));
        }
        let mut out = Vec::new();
        if self.eat("}") {
            return Ok(out);
        }
        loop {
            out.push(self.string()?);
            if self.eat("}") {
                return Ok(out);
            }
            if !self.eat(",") {
                return Err(self.err("expected `,` or `}` in a set"));
            }
        }
    }

    fn or(&mut self) -> Result<CalicoSelector, SelectorError> {
        let mut left = self.and()?;
        while self.eat("||") {
            let right = self.and()?;
            left = CalicoSelector::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<CalicoSelector, SelectorError> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            let right = self.unary()?;
            left = CalicoSelector::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<CalicoSelector, SelectorError> {
        use CalicoSelector::*;
        self.skip_ws();
        if self.peek() == Some('!') && self.chars.get(self.pos + 1).map(|c| c.1) != Some('=') {
            self.pos += 1;
            return Ok(Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let e = self.or()?;
            if !self.eat(")") {
                return Err(self.err("expected `)`"));
            }
            return Ok(e);
        }
        let save = self.pos;
        if self.eat("all") && self.eat("(") {
            if !self.eat(")") {
                return Err(self.err("expected `)` after `all(`"));
            }
            return Ok(All);
        }
        self.pos = save;
        if self.eat("global") && self.eat("(") {
            if !self.eat(")") {
                return Err(self.err("expected `)` after `global(`"));
            }
            return Ok(Global);
        }
        self.pos = save;
        if self.eat("has") && self.eat("(") {
            let k = self.key()?;
            if !self.eat(")") {
                return Err(self.err("expected `)` after the key in `has(`"));
            }
            return Ok(Has(k));
        }
        self.pos = save;
        let k = self.key()?;
        if self.eat("==") {
            return Ok(Eq(k, self.string()?));
        }
        if self.eat("!=") {
            return Ok(Ne(k, self.string()?));
        }
        if self.eat_word("in") {
            return Ok(In(k, self.set()?));
        }
        if self.eat_word("not") {
            if !self.eat_word("in") {
                return Err(self.err("expected `in` after `not`"));
            }
            return Ok(NotIn(k, self.set()?));
        }
        if self.eat_word("contains") {
            return Ok(Contains(k, self.string()?));
        }
        if self.eat_word("starts") {
            if !self.eat_word("with") {
                return Err(self.err("expected `with` after `starts`"));
            }
            return Ok(StartsWith(k, self.string()?));
        }
        if self.eat_word("ends") {
            if !self.eat_word("with") {
                return Err(self.err("expected `with` after `ends`"));
            }
            return Ok(EndsWith(k, self.string()?));
        }
        Err(self.err(&format!(
            "expected an operator after `{k}`: ==, !=, in, not in, contains, starts with, ends with"
        )))
    }
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

    fn eval(sel: &str, l: &BTreeMap<String, String>) -> Tri {
        CalicoSelector::parse(sel)
            .unwrap()
            .eval(&LabelView::pod(l, Some("shop")))
    }

    #[test]
    fn calico_grammar() {
        let l = labels(&[("app", "x"), ("tier", "web"), ("role", "frontend-1")]);
        assert_eq!(eval("app == 'x'", &l), Tri::Yes);
        assert_eq!(eval("app == \"y\"", &l), Tri::No);
        assert_eq!(eval("app != 'y' && has(tier)", &l), Tri::Yes);
        assert_eq!(eval("!has(tier) || app == 'x'", &l), Tri::Yes);
        assert_eq!(eval("!has(tier)", &l), Tri::No);
        assert_eq!(eval("tier in {'web', 'db'}", &l), Tri::Yes);
        assert_eq!(eval("tier not in {'web'}", &l), Tri::No);
        assert_eq!(eval("missing not in {'web'}", &l), Tri::Yes);
        assert_eq!(eval("missing != 'a'", &l), Tri::Yes);
        assert_eq!(eval("role starts with 'front'", &l), Tri::Yes);
        assert_eq!(eval("role ends with '-1'", &l), Tri::Yes);
        assert_eq!(eval("role contains 'ntend'", &l), Tri::Yes);
        assert_eq!(eval("all()", &l), Tri::Yes);
        assert_eq!(eval("  ", &l), Tri::Yes);
        assert_eq!(eval("global()", &l), Tri::No);
        // && binds tighter than ||.
        assert_eq!(
            eval("app == 'z' && tier == 'web' || app == 'x'", &l),
            Tri::Yes
        );
        assert_eq!(
            eval("app == 'z' && (tier == 'web' || app == 'x')", &l),
            Tri::No
        );
        assert_eq!(eval("!(app == 'x' && tier == 'web')", &l), Tri::No);
        assert_eq!(eval("projectcalico.org/namespace == 'shop'", &l), Tri::Yes);
        assert_eq!(
            eval("inside == 'a'", &l),
            Tri::No,
            "keyword prefix in a key"
        );
        // Unknown labels give Maybe, but a decided disjunct still wins.
        let none = BTreeMap::new();
        assert!(matches!(eval("app == 'x'", &none), Tri::Maybe(_)));
        assert_eq!(eval("app == 'x' || all()", &none), Tri::Yes);
    }

    #[test]
    fn calico_errors_point_at_the_problem() {
        for (bad, pos) in [
            ("app = 'x'", 5),
            ("app == x", 8),
            ("app == 'x", 8),
            ("has(app", 8),
            ("app in {'a' 'b'}", 13),
            ("(app == 'x'", 12),
            ("app == 'x' &&", 14),
            ("app", 4),
            ("app == 'x' extra", 12),
        ] {
            let e = CalicoSelector::parse(bad).unwrap_err();
            assert_eq!(e.position, pos, "{bad}: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "app == 'x' && !has(tier) || role in {'a', 'b'}",
            "k not in {} && a starts with 'b' && c ends with 'd' || e contains 'f'",
        ] {
            let e = CalicoSelector::parse(s).unwrap();
            assert_eq!(CalicoSelector::parse(&e.to_string()).unwrap(), e);
        }
    }

    #[test]
    fn namespaces_know_only_their_name() {
        let ns = LabelView::namespace(Some("shop"));
        assert_eq!(ns.equals("kubernetes.io/metadata.name", "shop"), Tri::Yes);
        assert_eq!(ns.equals("projectcalico.org/name", "db"), Tri::No);
        assert!(matches!(ns.equals("team", "a"), Tri::Maybe(_)));
        let l = labels(&[("app", "x")]);
        let pod = LabelView::pod(&l, None);
        assert_eq!(pod.requirement("app", "NotIn", &["y".into()]), Tri::Yes);
        assert_eq!(pod.requirement("tier", "DoesNotExist", &[]), Tri::Yes);
        assert_eq!(pod.requirement("app", "In", &["y".into()]), Tri::No);
    }
}
