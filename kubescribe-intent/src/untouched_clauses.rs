//! How the reader of what an ask leaves alone (`untouched.rs`) cuts a
//! text: into clauses (at sentence marks, line breaks and parentheses, a
//! port's or a subject's gloss kept inside its clause) and a clause into
//! its lower-case words (glosses in parentheses left out).

/// Verbs of staying: "stays", "remains", "is still", "can stay".
pub(super) const STAYS: &[&str] = &[
    "stays", "stay", "remains", "remain", "is", "are", "still", "can", "will", "should", "keeps",
];

/// The lower-case words of `clause`, without their punctuation.
pub(super) fn words(clause: &str) -> Vec<String> {
    // (A parenthesis glosses what it follows: "4001 (authentication
    // certificate registration) and 80 stay public".)
    let mut depth = 0usize;
    let unglossed: String = clause
        .chars()
        .map(|c| {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    return ' ';
                }
                _ => {}
            }
            if depth > 0 { ' ' } else { c }
        })
        .collect();
    unglossed
        .split_whitespace()
        .map(|w| {
            let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '/');
            // A path keeps its slashes; any other word loses a slash at
            // its end ("ingress/", "tcp/").
            if w.starts_with('/') {
                w.to_ascii_lowercase()
            } else {
                w.trim_end_matches('/').to_ascii_lowercase()
            }
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Byte ranges of the clauses of `text`: split at `.`, `;`, `,`, `:`, line
/// breaks and parentheses (a dot inside a word, as in an address, does not
/// split).
pub(super) fn clauses(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    // The end of a port's gloss, inside the clause: "4001 (authentication
    // certificate registration) and 80 stay public".
    let mut gloss_end = 0;
    for (i, &c) in b.iter().enumerate() {
        if i < gloss_end {
            continue;
        }
        if c == b'(' {
            let before = text[..i].trim_end();
            let word = before.rsplit(char::is_whitespace).next().unwrap_or("");
            let port =
                !word.is_empty() && word.len() <= 5 && word.chars().all(|d| d.is_ascii_digit());
            // ("Everything else they serve (ISO 15118 on 61341, …) stays as
            // it is": the subject's gloss, its verb after it.)
            let stays_after = |close: usize| {
                let after = text[i + close + 1..].trim_start();
                let verb = after.split_whitespace().next().unwrap_or("");
                STAYS.contains(&verb.to_ascii_lowercase().as_str())
            };
            if let Some(close) = text[i..].find(')')
                && !text[i..i + close].contains("\n\n")
                && (port && !text[i..i + close].contains('\n') || stays_after(close))
            {
                gloss_end = i + close + 1;
                continue;
            }
        }
        let mark = match c {
            b';' | b'\n' | b'(' | b')' => true,
            b'.' | b',' | b':' | b'?' | b'!' => {
                b.get(i + 1).is_none_or(|x| x.is_ascii_whitespace())
            }
            // "… under /w/ - reading the checkout is fine": a dash between spaces.
            b'-' => {
                i > 0
                    && b[i - 1].is_ascii_whitespace()
                    && b.get(i + 1).is_some_and(|x| x.is_ascii_whitespace())
            }
            _ => false,
        };
        if mark {
            if text[start..i].trim().len() > 1 {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    if text[start..].trim().len() > 1 {
        out.push((start, text.len()));
    }
    out
}
