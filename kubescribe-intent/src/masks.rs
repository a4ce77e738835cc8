//! What the readers that set parts of a text aside share: blanking byte
//! ranges (offsets kept, so entities still quote the input) and finding
//! the parentheses a reader looks into.

/// `text` with the bytes in `blank` replaced by spaces (each character by
/// as many spaces as its UTF-8 length, so offsets are kept); `None` when
/// there is nothing to blank.
pub(super) fn blanked(text: &str, blank: &[(usize, usize)]) -> Option<String> {
    if blank.is_empty() {
        return None;
    }
    Some(
        text.char_indices()
            .map(|(i, c)| {
                if blank.iter().any(|&(f, t)| (f..t).contains(&i)) {
                    " ".repeat(c.len_utf8())
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `text` with every character but those `keep` says to keep (by byte
/// offset) replaced by spaces, offsets kept: the complement of [`blanked`].
pub(super) fn kept(text: &str, keep: impl Fn(usize, char) -> bool) -> String {
    text.char_indices()
        .map(|(i, c)| {
            if keep(i, c) {
                c.to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect()
}

/// The innermost parentheses of `text`: the byte offsets of each `(` and
/// its `)`.
pub(super) fn parentheses(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    for (i, c) in text.char_indices() {
        match c {
            '(' => open = Some(i),
            ')' => {
                if let Some(o) = open.take() {
                    out.push((o, i));
                }
            }
            _ => {}
        }
    }
    out
}

/// The words a masking reader kept of `t` (its words joined by single
/// spaces), or "-" when it set nothing aside; checks that offsets are kept.
#[cfg(test)]
pub(super) fn kept_words(t: &str, masked: Option<String>) -> String {
    masked
        .map(|m| {
            assert_eq!(m.len(), t.len());
            m.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_else(|| "-".into())
}
