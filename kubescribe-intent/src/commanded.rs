//! The action of a text whose action words disagree across its clauses:
//! the one said as a command ("…: drop it for app=x", "…. Block …").

use super::*;

impl<'a> Parser<'a> {
    /// The action of the action words said as commands — first in their
    /// sentence or after a colon or semicolon ("…: drop it for app=x",
    /// "…. Block …") — when they all agree.
    /// Only where the other action words stand in other clauses ("allow
    /// and deny TCP 22" stays a contradiction).
    pub(super) fn commanded_action(&self) -> Option<Action> {
        let classed: Vec<(&Entity, Action)> = self
            .ents
            .iter()
            .filter(|e| e.kind == EntityKind::Action)
            .filter_map(|e| {
                let w = e.text.to_lowercase();
                let first = w.split_whitespace().next().unwrap_or("");
                let act =
                    if w.contains(" not") || w.contains("never") || BLOCK_WORDS.contains(&first) {
                        Action::Block
                    } else if ALLOW_WORDS.contains(&first) {
                        Action::Allow
                    } else if AUDIT_WORDS.contains(&first) {
                        Action::Audit
                    } else {
                        return None;
                    };
                Some((e, act))
            })
            .collect();
        let apart = |x: &Entity, y: &Entity| {
            let (a, b) = if x.start < y.start { (x, y) } else { (y, x) };
            self.text[a.end.min(b.start)..b.start].contains(['.', ':', ';', '!'])
        };
        for (i, (x, xa)) in classed.iter().enumerate() {
            for (y, ya) in &classed[i + 1..] {
                if xa != ya && !apart(x, y) {
                    return None;
                }
            }
        }
        let mut found: Option<Action> = None;
        for (e, act) in &classed {
            let before = self.text[..e.start].trim_end();
            let commanded = before.is_empty()
                || before.ends_with(['.', ':', ';', '!'])
                || before.ends_with(" so")
                || before.ends_with(" then");
            if !commanded {
                continue;
            }
            match found {
                Some(f) if f != *act => return None,
                _ => found = Some(*act),
            }
        }
        found
    }
}
