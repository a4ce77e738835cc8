//! Asks written as acceptance criteria: "Acceptance criteria for the sandbox
//! pods (app=x, namespace y):" over a list of what must hold ("- its only
//! egress is to the proxy pods on 3128", "- a direct connection fails"). The
//! heading names the pods; the list under it is the ask; the story above is
//! background.

/// Whether `s` (one line) is a heading that labels acceptance criteria or
/// the expected behaviour: "Acceptance criteria (localSandbox, …):",
/// "Acceptance", "## Expected behavior", "**Definition of done:**".
pub(super) fn criteria_heading(s: &str) -> bool {
    let s = s
        .trim()
        .trim_start_matches(['#', '*', '_', ' '])
        .trim_end_matches(['*', '_']);
    let low = s.to_ascii_lowercase();
    let labelled = [
        "acceptance criteria",
        "acceptance",
        "expected behavior",
        "expected behaviour",
        "expected result",
        "definition of done",
    ]
    .iter()
    .any(|h| {
        low.strip_prefix(h)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ':', ',', 's', '(']))
    });
    // A heading, not a sentence that goes on after its label.
    labelled && (s.ends_with(':') || !s.contains(": ") && !s.ends_with(['.', '!', '?']))
        || plan_heading(s)
}

/// Whether `s` heads a change request's plan ("Implementation plan:",
/// "Implementation steps"): its steps that ask are the ask (the others
/// record, switch over, check), its "Rollback plan:", "Validation:" and
/// "Risk:" fields are not.
pub(super) fn plan_heading(s: &str) -> bool {
    let s = s
        .trim()
        .trim_start_matches(['#', '*', '_', ' '])
        .trim_end_matches(['*', '_', ':']);
    matches!(
        s.to_ascii_lowercase().as_str(),
        "implementation plan" | "implementation steps" | "implementation" | "change steps"
    )
}

/// Whether `s` is an item of a list: "- …", "* …", "• …", "- [ ] …",
/// "1. …", "2) …".
pub(super) fn list_item(s: &str) -> bool {
    let s = s.trim_start();
    if s.starts_with("- ") || s.starts_with("* ") || s.starts_with("• ") || s.starts_with("[ ]") {
        return true;
    }
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && s[digits..].starts_with(['.', ')'])
}

/// Whether `s` opens with a field's label or is a heading: "Out of scope:
/// …", "Actual behavior: …", "**Environment**", "## Notes".
pub(super) fn field_label(s: &str) -> bool {
    let t = s.trim();
    t.starts_with('#')
        || t.starts_with("**") && t.ends_with("**")
        || t.split_once(':').is_some_and(|(label, _)| {
            let words: Vec<&str> = label.split_whitespace().collect();
            (1..=3).contains(&words.len())
                && words
                    .iter()
                    .all(|w| w.chars().all(|c| c.is_alphabetic() || c == '*' || c == '-'))
        })
}

/// Whether `s` is a list mark alone: "1.", "2)", "-".
pub(super) fn bare_mark(s: &str) -> bool {
    let s = s.trim();
    s == "-"
        || s == "*"
        || list_item(s) && s.trim_start_matches(|c: char| c.is_ascii_digit()).len() == 1
}

/// Whether a blank line ends the text that starts at `from` before `to`
/// (a paragraph break between two sentences).
pub(super) fn blank_line_between(text: &str, from: usize, to: usize) -> bool {
    let between = &text[from..to];
    let tail = between.trim_end_matches([' ', '\t', '\n', '\r']);
    between[tail.len()..].matches('\n').count() >= 2
}

/// The lines of a task list ("- [x] `kustomize build` renders", "- [ ]
/// Watch one job finish after merge"), as byte ranges: a pull request's
/// checklist, the author's to-do. (Not one under an acceptance-criteria
/// heading: those items are the ask.)
pub(super) fn task_items(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut under_criteria = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let item = ["- [ ]", "- [x]", "- [X]", "* [ ]", "* [x]", "* [X]"]
            .iter()
            .any(|m| body.starts_with(m));
        if item {
            if !under_criteria {
                out.push((at, at + line.trim_end().len()));
            }
        } else if !body.trim().is_empty() {
            under_criteria = criteria_heading(body) || body.trim_end().ends_with(':');
        }
        at += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_that_label_criteria() {
        for h in [
            "Acceptance criteria for the sandbox pods (app=x, namespace y):",
            "Acceptance",
            "## Expected behavior",
            "**Acceptance criteria:**",
            "Acceptance criteria, first slice (pods app=a, namespace b):",
        ] {
            assert!(criteria_heading(h), "{h}");
        }
        for s in [
            "Acceptance criteria: only app=a may connect.",
            "Acceptable use is documented.",
            "Expected behavior is that nothing connects.",
        ] {
            assert!(!criteria_heading(s), "{s}");
        }
    }

    #[test]
    fn paragraph_breaks() {
        let t = "a.\n\nb. c.\n d";
        assert!(blank_line_between(t, 0, 4));
        assert!(!blank_line_between(t, 4, 7));
        assert!(!blank_line_between(t, 7, 12));
    }

    #[test]
    fn field_labels() {
        for s in [
            "Out of scope: TLS.",
            "**Environment**",
            "## Notes",
            "Actual behavior: it fails.",
        ] {
            assert!(field_label(s), "{s}");
        }
        for s in [
            "The pods (app: x) accept 80.",
            "Then it fails",
            "a connection to 10.0.0.1:80 works",
        ] {
            assert!(!field_label(s), "{s}");
        }
    }

    #[test]
    fn list_items() {
        for s in ["- a", "* b", "- [ ] c", "1. d", "12) e"] {
            assert!(list_item(s), "{s}");
        }
        for s in ["-a", "1x", "a - b", "2026-12 release"] {
            assert!(!list_item(s), "{s}");
        }
    }
}
