//! Label selectors evaluated three-valued against label sets that may be
//! incomplete: Kubernetes/Cilium `matchLabels` + `matchExpressions` through
//! [`LabelView`], and Calico's selector expressions through
//! [`Selector::eval`] (the conversion IR's [`Selector`], one parser and one
//! AST for the whole crate).

use std::collections::BTreeMap;

use super::Selector;
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

    /// A namespace whose labels are known (from its manifest, or the
    /// `io.cilium.k8s.namespace.labels.*` labels of a Hubble flow): the set is
    /// complete, and the automatic name labels are implied where it lacks them.
    pub fn namespace_known(name: Option<&'a str>, labels: &'a BTreeMap<String, String>) -> Self {
        LabelView {
            labels,
            implied: [
                ("kubernetes.io/metadata.name", name),
                ("projectcalico.org/name", name),
                ("", None),
            ],
            complete: true,
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

impl Selector {
    /// Evaluates the selector against a label view: `Maybe` where it
    /// depends on labels the view does not know. `global()` selects no pod.
    pub fn eval(&self, l: &LabelView<'_>) -> Tri {
        match self {
            Selector::All => Tri::Yes,
            Selector::Global => Tri::No,
            Selector::Has(k) => l.has(k),
            Selector::Eq(k, v) => l.equals(k, v),
            Selector::Ne(k, v) => l.test(k, true, |x| x != v),
            Selector::In(k, vs) => l.test(k, false, |x| vs.contains(x)),
            Selector::NotIn(k, vs) => l.test(k, true, |x| !vs.contains(x)),
            Selector::Contains(k, s) => l.test(k, false, |x| x.contains(s.as_str())),
            Selector::StartsWith(k, s) => l.test(k, false, |x| x.starts_with(s.as_str())),
            Selector::EndsWith(k, s) => l.test(k, false, |x| x.ends_with(s.as_str())),
            Selector::Not(e) => e.eval(l).negate(),
            Selector::And(v) => Tri::all(v.iter().map(|e| e.eval(l))),
            Selector::Or(v) => Tri::any(v.iter().map(|e| e.eval(l))),
        }
    }

    /// Every `(key, value)` the selector compares with `==` or `in` outside
    /// a negation, for checks against known workloads.
    pub fn equalities(&self) -> Vec<(&str, &str)> {
        fn walk<'a>(e: &'a Selector, out: &mut Vec<(&'a str, &'a str)>) {
            match e {
                Selector::Eq(k, v) => out.push((k, v)),
                Selector::In(k, vs) => out.extend(vs.iter().map(|v| (k.as_str(), v.as_str()))),
                Selector::And(v) | Selector::Or(v) => v.iter().for_each(|e| walk(e, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
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
        Selector::parse(sel)
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
            let e = Selector::parse(bad).unwrap_err();
            assert_eq!(e.position, pos, "{bad}: {e}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "app == 'x' && !has(tier) || role in {'a', 'b'}",
            "k not in {} && a starts with 'b' && c ends with 'd' || e contains 'f'",
        ] {
            let e = Selector::parse(s).unwrap();
            assert_eq!(Selector::parse(&e.to_string()).unwrap(), e);
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
