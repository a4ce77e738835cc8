//! Small re-implementations of Python `str` behaviour that the reference
//! implementations rely on (`str.split()`, `str.rstrip()`, `str.lower()`).

/// Whether `c` is whitespace for Python 3's `str.split()` / `str.isspace()`.
///
/// This is Unicode `White_Space` **plus** the ASCII information separators
/// `\x1c`..=`\x1f`, which Python treats as whitespace but Rust's
/// [`char::is_whitespace`] does not.
#[must_use]
pub fn is_py_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Splits like Python's argument-less `str.split()`: runs of Python
/// whitespace separate tokens and no empty tokens are produced.
pub fn py_split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_whitespace).filter(|t| !t.is_empty())
}

/// Python's argument-less `str.rstrip()`.
#[must_use]
pub fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_whitespace)
}

/// Python's `str.lower()` (full Unicode lowercase mapping, including the
/// final-sigma rule). ASCII input takes a fast path.
#[must_use]
pub fn py_lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// [`py_lower`] that borrows when the input is already lowercase ASCII.
#[must_use]
pub fn py_lower_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(py_lower(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_matches_python() {
        // Python: 'a\x1cb\xa0c\u2028d\u200be  f'.split()
        //   == ['a', 'b', 'c', 'd\u200be', 'f']  (U+200B is not whitespace)
        let toks: Vec<&str> = py_split("a\x1cb\u{a0}c\u{2028}d\u{200b}e  f").collect();
        assert_eq!(toks, ["a", "b", "c", "d\u{200b}e", "f"]);
        assert_eq!(py_split(" \t\n").count(), 0);
    }

    #[test]
    fn rstrip_and_lower() {
        assert_eq!(py_rstrip("ab \u{3000}\x1f"), "ab");
        assert_eq!(py_lower("ÀB\u{130}"), "àbi\u{307}");
    }
}
