//! Asks pasted with a security finding (a penetration test's or an
//! assessment's): an id and title, a severity or CVSS line, the affected
//! asset, a description, evidence (commands and their output), then a
//! Recommendation that says what to enforce. What the tester did and saw
//! names the paths, hosts, ports and namespaces of the attack, not the
//! rule: before the recommendation only the affected-asset lines are read.

/// A line's marker word(s), lower-case: "**Recommendation.**" →
/// "recommendation", "Affected asset: …" → "affected asset", "### Fix" →
/// "fix"; `None` for a line that opens with no marker.
fn marker(line: &str) -> Option<String> {
    let t = line
        .trim_start()
        .trim_start_matches(['#', '*', '_', '-', ' ', '>']);
    let end = t.find([':', '.', '*', '_']).unwrap_or(t.len());
    let key = t[..end].trim();
    let words = key.split_whitespace().count();
    ((1..=3).contains(&words) && key.chars().all(|c| c.is_alphabetic() || c == ' '))
        .then(|| key.to_ascii_lowercase())
}

/// Whether a marker opens the finding's advice.
fn advice(key: &str) -> bool {
    matches!(
        key,
        "recommendation"
            | "recommendations"
            | "remediation"
            | "solution"
            | "mitigation"
            | "recommended fix"
            | "recommended remediation"
            | "fix"
    )
}

/// The byte ranges of a finding's background: every line before its
/// advice but the title's and the affected asset's. Empty when the text
/// is no finding (a severity or CVSS line and an advice marker).
pub(super) fn background(text: &str) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        lines.push((at, at + l.trim_end().len()));
        at += l.len();
    }
    let Some(advice_at) = lines
        .iter()
        .position(|&(f, t)| marker(&text[f..t]).is_some_and(|k| advice(&k)))
    else {
        return Vec::new();
    };
    let rated = lines[..advice_at].iter().any(|&(f, t)| {
        let l = &text[f..t];
        let lower = l.to_ascii_lowercase();
        l.contains("CVSS")
            || marker(l).is_some_and(|k| matches!(k.as_str(), "severity" | "rating" | "risk"))
            || ["(high)", "(critical)", "(medium)", "(low)"]
                .iter()
                .any(|r| lower.contains(r))
    });
    if !rated {
        return Vec::new();
    }
    lines[..advice_at]
        .iter()
        .filter(|&&(f, t)| {
            !marker(&text[f..t]).is_some_and(|k| {
                matches!(
                    k.as_str(),
                    "affected asset" | "affected assets" | "asset" | "affected" | "target"
                )
            })
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::background;

    #[test]
    fn before_the_recommendation_only_the_asset_is_read() {
        let t = "F-1 Open egress (High)\nAffected asset: app=a, namespace n\n**Description.** reached 10.0.0.1:5432\n**Recommendation.** Restrict egress of app=a to app=b on 5432.\n";
        let b = background(t);
        let said: Vec<&str> = b.iter().map(|&(f, e)| &t[f..e]).collect();
        assert_eq!(
            said,
            [
                "F-1 Open egress (High)",
                "**Description.** reached 10.0.0.1:5432"
            ]
        );
        assert!(background("Recommendation: block app=a.\n").is_empty());
    }
}
