//! Three-valued matching: a condition holds, does not hold, or cannot be
//! decided because the event lacks the data it needs.

/// The outcome of matching one condition against an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tri {
    /// The condition holds.
    Yes,
    /// It does not hold.
    No,
    /// The event lacks the data to decide; the text says what is missing.
    Maybe(String),
}

impl Tri {
    /// `Yes` for true, `No` for false.
    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::Yes } else { Tri::No }
    }

    /// `Maybe` with a reason.
    pub fn maybe(why: impl Into<String>) -> Tri {
        Tri::Maybe(why.into())
    }

    /// Conjunction: `No` wins, then `Maybe`.
    pub fn and(self, other: impl FnOnce() -> Tri) -> Tri {
        match self {
            Tri::No => Tri::No,
            Tri::Yes => other(),
            Tri::Maybe(m) => match other() {
                Tri::No => Tri::No,
                _ => Tri::Maybe(m),
            },
        }
    }

    /// Disjunction: `Yes` wins, then `Maybe`.
    pub fn or(self, other: impl FnOnce() -> Tri) -> Tri {
        match self {
            Tri::Yes => Tri::Yes,
            Tri::No => other(),
            Tri::Maybe(m) => match other() {
                Tri::Yes => Tri::Yes,
                _ => Tri::Maybe(m),
            },
        }
    }

    /// Negation (`Maybe` stays `Maybe`).
    pub fn negate(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            m => m,
        }
    }

    /// Whether the condition certainly holds.
    pub fn is_yes(&self) -> bool {
        matches!(self, Tri::Yes)
    }

    /// Whether the condition certainly does not hold.
    pub fn is_no(&self) -> bool {
        matches!(self, Tri::No)
    }

    /// Any of the items (empty: `No`).
    pub fn any<I: IntoIterator<Item = Tri>>(items: I) -> Tri {
        let mut acc = Tri::No;
        for t in items {
            acc = acc.or(|| t);
            if acc.is_yes() {
                break;
            }
        }
        acc
    }

    /// All of the items (empty: `Yes`).
    pub fn all<I: IntoIterator<Item = Tri>>(items: I) -> Tri {
        let mut acc = Tri::Yes;
        for t in items {
            acc = acc.and(|| t);
            if acc.is_no() {
                break;
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kleene_logic() {
        let m = || Tri::maybe("x");
        assert_eq!(Tri::Yes.and(m), m());
        assert_eq!(m().and(|| Tri::No), Tri::No);
        assert_eq!(m().or(|| Tri::Yes), Tri::Yes);
        assert_eq!(Tri::No.or(m), m());
        assert_eq!(m().negate(), m());
        assert_eq!(Tri::any([]), Tri::No);
        assert_eq!(Tri::all([]), Tri::Yes);
        assert_eq!(Tri::any([Tri::No, m(), Tri::Yes]), Tri::Yes);
        assert_eq!(Tri::all([Tri::Yes, m(), Tri::Yes]), m());
    }
}
