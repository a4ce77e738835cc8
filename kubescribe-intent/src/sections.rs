//! Asks written in sections under Markdown headings (a pull request's
//! "## What / ## Why / ## Rule", an RFC's "### Context / ### Decision"):
//! a section that gives the reason ("Why", "Context", "Background",
//! "Motivation", "References") quotes the docs' ports, protocols and
//! warnings; the rule is in the others. When both kinds are there, the
//! reasons' sections are blanked (offsets kept).

/// Headings of sections that give the reason, not the rule.
const REASONS: &[&str] = &[
    "why",
    "context",
    "background",
    "motivation",
    "rationale",
    "reason",
    "reasons",
    "justification",
    "references",
    "reference",
    "evidence",
];

/// A heading line's title, lower-case: "## Why" → "why", "**Context**" →
/// "context".
fn heading(line: &str) -> Option<String> {
    let t = line.trim();
    let title = if let Some(rest) = t.strip_prefix('#') {
        rest.trim_start_matches('#').strip_prefix(' ')?
    } else if t.len() > 4 && t.starts_with("**") && t.ends_with("**") {
        &t[2..t.len() - 2]
    } else {
        return None;
    };
    let title = title.trim().trim_end_matches(':').trim();
    (!title.is_empty() && title.split_whitespace().count() <= 4).then(|| title.to_ascii_lowercase())
}

/// The byte ranges of the reason sections of `text` (heading and body),
/// when it also has a section of another title; empty otherwise.
pub(super) fn reason_sections(text: &str) -> Vec<(usize, usize)> {
    let mut sections: Vec<(String, usize, usize)> = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        if let Some(title) = heading(l) {
            sections.push((title, at, at + l.len()));
        } else if let Some(last) = sections.last_mut() {
            last.2 = at + l.len();
        }
        at += l.len();
    }
    let reason = |t: &str| {
        REASONS
            .iter()
            .any(|r| t == *r || t.starts_with(&format!("{r} ")))
    };
    // (The rule's section must say what to do itself: "## Context / we
    // want to allow …" under "## Expected Behavior" gives the verb.)
    let other = sections
        .iter()
        .any(|(t, f, e)| !reason(t) && super::lexicon::says_an_action(&text[*f..*e]));
    if !other {
        return Vec::new();
    }
    sections
        .into_iter()
        .filter(|(t, _, _)| reason(t))
        .map(|(_, f, e)| (f, e))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::reason_sections;

    #[test]
    fn a_why_section_beside_a_rule_is_blanked() {
        let t = "## Why\nthe docs list 8080 (http).\n\n## Rule\nallow 8082 to app=a.\n";
        let r = reason_sections(t);
        assert_eq!(r.len(), 1);
        assert!(t[r[0].0..r[0].1].contains("8080") && !t[r[0].0..r[0].1].contains("8082"));
        assert!(reason_sections("## Why\nblock app=a.\n").is_empty());
    }
}
