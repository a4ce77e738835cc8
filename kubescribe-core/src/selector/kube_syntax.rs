//! Kubernetes' string form of a label selector, as `kubectl -l` and the
//! intent's `scope.selector` write it: requirements joined by commas, each
//! `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a, b)` or `k notin (a, b)`
//! (apimachinery's `labels.Parse`, without the numeric `gt`/`lt`, which no
//! engine kubescribe writes can select with). Read into a [`Selector`], so
//! that Calico gets its own syntax (`k in {'a', 'b'}`) and the simulator
//! evaluates the same expression.

use std::collections::BTreeSet;

use super::{SELECTOR_ECHO_CHARS, Selector, SelectorError, is_key_char};
use crate::limits;

impl Selector {
    /// Reads Kubernetes' string form of a label selector (`app in (a, b),
    /// tier != db, !legacy`). An empty text selects everything.
    pub fn parse_kubernetes(text: &str) -> Result<Selector, SelectorError> {
        let err = |at: usize, message: &str| SelectorError {
            selector: limits::excerpt(text, SELECTOR_ECHO_CHARS),
            position: text.get(..at).map_or(at, |t| t.chars().count()) + 1,
            message: message.to_string(),
            limit: None,
        };
        if text.chars().count() > limits::SELECTOR_MAX_CHARS {
            // The Calico reader says which limit, with its reason.
            return Selector::parse(text);
        }
        let mut parts = Vec::new();
        for (start, req) in split_requirements(text) {
            let r = req.trim();
            let at = start + (req.len() - req.trim_start().len());
            if r.is_empty() {
                return Err(err(
                    at,
                    "expected a requirement (`key`, `key=value`, `key in (a, b)`) between commas",
                ));
            }
            parts.push(requirement(r).map_err(|m| err(at, &m))?);
        }
        Ok(match parts.len() {
            0 => Selector::All,
            1 => parts.remove(0),
            _ => Selector::And(parts),
        })
    }
}

/// The requirements of `text` with their byte offsets: commas inside
/// parentheses belong to a value set.
fn split_requirements(text: &str) -> Vec<(usize, &str)> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push((start, &text[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push((start, &text[start..]));
    out
}

/// A label key as Calico's reader takes one ([`is_key_char`]).
fn key_ok(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(is_key_char)
}

fn value_ok(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn requirement(r: &str) -> Result<Selector, String> {
    if let Some(k) = r.strip_prefix('!') {
        let k = k.trim();
        return if key_ok(k) {
            Ok(Selector::Not(Box::new(Selector::Has(k.to_string()))))
        } else {
            Err(format!("`!{k}`: expected a label key after `!`"))
        };
    }
    for (op, ne) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = r.split_once(op) {
            let (k, v) = (k.trim(), v.trim());
            if !key_ok(k) {
                return Err(format!("`{k}`: expected a label key before `{op}`"));
            }
            if !value_ok(v) {
                return Err(format!("`{v}`: expected a label value after `{op}`"));
            }
            let (k, v) = (k.to_string(), v.to_string());
            return Ok(if ne {
                Selector::Ne(k, v)
            } else {
                Selector::Eq(k, v)
            });
        }
    }
    let mut words = r.splitn(2, char::is_whitespace);
    let k = words.next().unwrap_or("");
    let rest = words.next().unwrap_or("").trim_start();
    if !key_ok(k) {
        return Err(format!("`{r}`: expected a label key"));
    }
    if rest.is_empty() {
        return Ok(Selector::Has(k.to_string()));
    }
    let (op, set) = rest
        .split_once('(')
        .map(|(op, s)| (op.trim(), s))
        .ok_or_else(|| {
            format!("`{r}`: expected `in (…)`, `notin (…)`, `=`, `==` or `!=` after `{k}`")
        })?;
    let Some(set) = set.trim_end().strip_suffix(')') else {
        return Err(format!("`{r}`: expected `)` to close the value set"));
    };
    let values: BTreeSet<String> = set.split(',').map(|v| v.trim().to_string()).collect();
    if let Some(bad) = values.iter().find(|v| !value_ok(v)) {
        return Err(format!("`{bad}`: expected a label value in the set"));
    }
    let k = k.to_string();
    match op {
        "in" => Ok(Selector::In(k, values)),
        "notin" => Ok(Selector::NotIn(k, values)),
        _ => Err(format!(
            "`{op}`: expected `in` or `notin` before the value set"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calico(text: &str) -> String {
        Selector::parse_kubernetes(text).unwrap().to_string()
    }

    #[test]
    fn kubernetes_requirements_print_in_calico_syntax() {
        assert_eq!(
            calico("app in (voting-svc, emoji-svc), environment notin (dev)"),
            "app in {'emoji-svc', 'voting-svc'} && environment not in {'dev'}"
        );
        assert_eq!(calico("tier != db"), "tier != 'db'");
        assert_eq!(
            calico("app=web,tier==front"),
            "app == 'web' && tier == 'front'"
        );
        assert_eq!(calico("canary, !legacy"), "has(canary) && !has(legacy)");
        assert_eq!(calico(""), "all()");
    }

    #[test]
    fn the_calico_text_reads_back_as_the_same_selector() {
        for t in ["app in (a, b), tier != db", "!legacy", "k8s-app=kube-dns"] {
            let s = Selector::parse_kubernetes(t).unwrap();
            assert_eq!(Selector::parse(&s.to_string()).unwrap(), s, "{t}");
        }
    }

    #[test]
    fn malformed_requirements_say_where_and_what() {
        let e = Selector::parse_kubernetes("app in (a, b), tier >> db").unwrap_err();
        assert_eq!(e.position, 16, "{e}");
        assert!(e.message.contains("tier"), "{e}");
        let e = Selector::parse_kubernetes("app in (a, b").unwrap_err();
        assert!(e.message.contains("`)`"), "{e}");
        let e = Selector::parse_kubernetes("app=web,,tier=db").unwrap_err();
        assert!(e.message.contains("between commas"), "{e}");
    }
}
