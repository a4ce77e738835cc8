//! Prose hard-wrapped at a fixed width (a commit message's body, an
//! e-mail, a comment block): a line that breaks inside a sentence goes on
//! with the next, which starts in lower case. The line break reads as a
//! space (offsets kept), so "deny all incoming\nconnections to 8849 on …"
//! is the one clause it was written as.

/// Whether a line is a list item, a heading, a quote, a table row or
/// indented code: its break is the writer's, not the wrap's.
fn structured(line: &str) -> bool {
    let t = line.trim_start();
    let numbered = t.split_once(['.', ')']).is_some_and(|(n, _)| {
        !n.is_empty() && n.len() <= 2 && n.chars().all(|c| c.is_ascii_digit())
    });
    t.starts_with(['-', '*', '#', '>', '|', '+', '•', '$'])
        || numbered
        || line.starts_with("    ")
        || line.starts_with('\t')
}

/// Whether most of a line's words are plain words (a configuration line,
/// `acl auth proxy_auth REQUIRED`, has keys, paths and flags instead).
fn plain(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let plain = words
        .iter()
        .filter(|w| {
            let w = w.trim_matches(|c: char| matches!(c, ',' | '.' | '(' | ')' | ':' | ';'));
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        })
        .count();
    plain * 5 >= words.len() * 3
}

/// `text` with the line breaks inside wrapped sentences made spaces, or
/// `None` when it has none.
pub(super) fn unwrapped(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for (k, l) in lines.iter().enumerate() {
        let body = l.trim_end_matches(['\n', '\r']);
        let next = lines.get(k + 1).copied().unwrap_or("");
        // (A pasted log or error line is no prose: "sshd[1209]: Failed
        // password … port 41293 ssh2", "Error: connect ETIMEDOUT …:443".)
        let prose = plain(body)
            && plain(next)
            && body.trim_start().starts_with(|c: char| c.is_alphabetic())
            && !body
                .split_whitespace()
                .next()
                .is_some_and(|w| w.ends_with(':'))
            && !body.contains("]:");
        let goes_on = l.ends_with('\n')
            && !body.ends_with('\r')
            && prose
            && body.split_whitespace().count() >= 5
            && body.ends_with(|c: char| c.is_ascii_alphabetic() || matches!(c, ',' | '(' | '-'))
            && next.starts_with(|c: char| c.is_ascii_lowercase())
            && !structured(body)
            && !structured(next)
            // (A "key: value" line is a field of its own.)
            && !next.split_whitespace().next().is_some_and(|w| w.ends_with(':'));
        out.push_str(body);
        if goes_on {
            out.push(' ');
            changed = true;
        } else {
            out.push_str(&l[body.len()..]);
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::unwrapped;

    #[test]
    fn a_wrapped_sentence_is_one_line() {
        let t = "until then, deny all incoming\nconnections to 8849.\n- a list\n- items\n";
        assert_eq!(
            unwrapped(t).unwrap(),
            "until then, deny all incoming connections to 8849.\n- a list\n- items\n"
        );
        let config = "auth_param basic program /usr/lib/x /etc/p\nacl auth proxy_auth REQUIRED\n";
        assert!(unwrapped(config).is_none());
        assert!(unwrapped("Title\nNext line starts upper.\n").is_none());
    }
}
