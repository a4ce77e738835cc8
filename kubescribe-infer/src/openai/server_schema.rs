//! The generation schema in the form servers' grammar engines enforce.
//!
//! llama.cpp's schema-to-grammar converters (the server's and
//! llama-cpp-python's) turn a string with a `pattern` into a grammar from
//! the pattern alone: its `maxLength` is dropped, so an unbounded
//! repetition lets a small model write one name until the token budget runs
//! out (measured: SmolLM2 wrote `metadata.name` as
//! `ks-allow-…-108364975988888…` to the end of a 1,024-token answer). Here
//! each unbounded repetition of a pattern is bounded by the node's own
//! `maxLength`: a string the bounded pattern takes and no longer than
//! `maxLength` is one the original takes, and the other way round, so the
//! schema means what it meant; a converter that drops `maxLength` now
//! builds a finite rule.
//!
//! llama-cpp-python 0.3's converter also copies `\.` into a GBNF literal,
//! which llama.cpp's grammar parser rejects ("unknown escape") and the
//! server then dies on the request; for that server (the `json_object` form)
//! an escaped dot is written `[.]` (inside a class, a plain `.`).

use serde_json::Value;

/// `schema` as a server's grammar engine should get it: every `pattern`
/// with a `maxLength` beside it has its unbounded repetitions bounded by
/// that length, and, for llama-cpp-python's `json_object` form, no escaped
/// dots. Everything else is unchanged.
pub fn server_schema(schema: &Value, json_object: bool) -> Value {
    match schema {
        Value::Object(map) => {
            let max_len = map.get("maxLength").and_then(Value::as_u64);
            Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = match (k.as_str(), v) {
                            ("pattern", Value::String(p)) => {
                                let p = match max_len {
                                    Some(n) => bound_repetitions(p, n),
                                    None => p.clone(),
                                };
                                Value::String(if json_object {
                                    dot_without_escape(&p)
                                } else {
                                    p
                                })
                            }
                            _ => server_schema(v, json_object),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| server_schema(v, json_object))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The pieces of a regular expression this module rewrites.
enum Piece {
    /// An escape (`\.`, `\d`), copied as it is.
    Escape(char),
    /// A character class, `[` to its `]`, copied as it is.
    Class(String),
    /// Any other character.
    Char(char),
}

/// `pattern` split into escapes, classes and characters.
fn pieces(pattern: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => out.push(Piece::Escape(next)),
                None => out.push(Piece::Char(c)),
            },
            '[' => {
                let mut class = String::from('[');
                // `]` right after `[` or `[^` is a member, not the end.
                if chars.peek() == Some(&'^') {
                    class.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    class.push(']');
                    chars.next();
                }
                while let Some(x) = chars.next() {
                    class.push(x);
                    if x == '\\' {
                        if let Some(y) = chars.next() {
                            class.push(y);
                        }
                    } else if x == ']' {
                        break;
                    }
                }
                out.push(Piece::Class(class));
            }
            _ => out.push(Piece::Char(c)),
        }
    }
    out
}

/// `*`, `+` and `{m,}` of `pattern` as `{0,max}`, `{1,max}` and `{m,max}`:
/// no repetition can match more than `max` characters of a string at most
/// `max` long, so with the length bound the expression is the same.
fn bound_repetitions(pattern: &str, max: u64) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut open_brace: Option<String> = None;
    for piece in pieces(pattern) {
        if let Some(body) = open_brace.as_mut() {
            match piece {
                Piece::Char('}') => {
                    let body = open_brace.take().unwrap_or_default();
                    match body.strip_suffix(',').map(str::parse::<u64>) {
                        Some(Ok(m)) if m <= max => out.push_str(&format!("{{{m},{max}}}")),
                        _ => out.push_str(&format!("{{{body}}}")),
                    }
                }
                Piece::Char(c) => body.push(c),
                Piece::Escape(c) => {
                    body.push('\\');
                    body.push(c);
                }
                Piece::Class(c) => body.push_str(&c),
            }
            continue;
        }
        match piece {
            Piece::Char('*') => out.push_str(&format!("{{0,{max}}}")),
            Piece::Char('+') => out.push_str(&format!("{{1,{max}}}")),
            Piece::Char('{') => open_brace = Some(String::new()),
            Piece::Char(c) => out.push(c),
            Piece::Escape(c) => {
                out.push('\\');
                out.push(c);
            }
            Piece::Class(c) => out.push_str(&c),
        }
    }
    if let Some(body) = open_brace {
        out.push('{');
        out.push_str(&body);
    }
    out
}

/// `\.` of a regular expression as `[.]` (or `.` inside a class).
fn dot_without_escape(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    for piece in pieces(pattern) {
        match piece {
            Piece::Escape('.') => out.push_str("[.]"),
            Piece::Escape(c) => {
                out.push('\\');
                out.push(c);
            }
            Piece::Class(class) => {
                let mut chars = class.chars();
                while let Some(c) = chars.next() {
                    if c != '\\' {
                        out.push(c);
                        continue;
                    }
                    match chars.next() {
                        Some('.') => out.push('.'),
                        Some(x) => {
                            out.push(c);
                            out.push(x);
                        }
                        None => out.push(c),
                    }
                }
            }
            Piece::Char(c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `constrained::schema`'s DNS-1123 subdomain, as the generation schema has it.
    const DNS_SUBDOMAIN: &str =
        r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    /// Whether `a` and `b` agree on every string of `samples` no longer than `max`.
    fn agree(a: &str, b: &str, max: usize, samples: &[String]) {
        let (ra, rb) = (regex::Regex::new(a).unwrap(), regex::Regex::new(b).unwrap());
        for s in samples.iter().filter(|s| s.chars().count() <= max) {
            assert_eq!(ra.is_match(s), rb.is_match(s), "{a} vs {b} on {s:?}");
        }
    }

    fn samples() -> Vec<String> {
        let mut out: Vec<String> = [
            "a.b", "a-b.c", "ab", "a..b", "a:b", "ab.1", "a.b7", "x7", "-a", "", "a", "a-", "A",
            "/etc/x", "/", "a/b/", "]", "a]b", "a^b",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [5, 6, 7, 12, 63, 64, 100] {
            out.push("a".repeat(n));
            out.push(format!("{}.{}", "b".repeat(n / 2), "c".repeat(n - n / 2)));
            out.push(format!("/{}", "d".repeat(n)));
        }
        out
    }

    #[test]
    fn repetitions_are_bounded_by_the_length_and_mean_the_same_within_it() {
        for (pattern, max, bounded) in [
            (
                DNS_SUBDOMAIN,
                63,
                r"^[a-z0-9]([-a-z0-9]{0,63}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,63}[a-z0-9])?){0,63}$",
            ),
            (r"^\/+.*[^\/]$", 6, r"^\/{1,6}.{0,6}[^\/]$"),
            (r"^a{2,}[]*+]b{1,3}\*$", 7, r"^a{2,7}[]*+]b{1,3}\*$"),
            (r"^x{9,}$", 4, r"^x{9,}$"),
        ] {
            assert_eq!(bound_repetitions(pattern, max), bounded);
            agree(pattern, bounded, max as usize, &samples());
        }
    }

    #[test]
    fn a_bounded_pattern_takes_no_string_longer_than_the_bound_allows() {
        // Unbounded before: any number of `a`s. Bounded: the repetition
        // alone stops at the length.
        let r = regex::Regex::new(&bound_repetitions("^a*$", 5)).unwrap();
        assert!(r.is_match("aaaaa"));
        assert!(!r.is_match("aaaaaa"));
    }

    #[test]
    fn an_escaped_dot_is_rewritten_to_the_same_expression() {
        let class = r"^[a-z\.]+\d$";
        for (before, after) in [
            (
                DNS_SUBDOMAIN,
                r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
            ),
            (class, r"^[a-z.]+\d$"),
        ] {
            assert_eq!(dot_without_escape(before), after);
            agree(before, after, usize::MAX, &samples());
        }
    }

    #[test]
    fn the_json_object_form_has_both_rewrites_and_other_forms_only_the_bounds() {
        let schema = serde_json::json!({
            "properties": {"name": {"type": "string", "pattern": DNS_SUBDOMAIN, "maxLength": 63}},
            "items": [{"pattern": r"\.+"}],
            "description": r"\.*",
        });
        let llama = server_schema(&schema, true);
        assert_eq!(
            llama["items"][0]["pattern"], "[.]+",
            "no maxLength: unbounded"
        );
        assert_eq!(llama["description"], r"\.*", "not a pattern");
        let name = llama["properties"]["name"]["pattern"].as_str().unwrap();
        assert!(!name.contains('*') && !name.contains(r"\."), "{name}");
        let plain = server_schema(&schema, false);
        let name = plain["properties"]["name"]["pattern"].as_str().unwrap();
        assert!(!name.contains('*') && name.contains(r"\."), "{name}");
        assert_eq!(plain["items"][0]["pattern"], r"\.+");
    }
}
