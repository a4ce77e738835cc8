//! The pods an ask points at, named only in its story: "Today the
//! spark-master pods, labelled app=spark-master in namespace spark, take
//! connections on 7077, 8080 and 6066 from anywhere. Change that: 6066 must
//! not be reachable by anyone any more." When the ask alone says all but
//! which pods, the words of the story that name the selected workloads —
//! their labels and their namespace, nothing else — are read with it; the
//! story's ports, peers and verbs stay background.

use super::*;

/// `masked` (the ask, the story blanked, offsets kept) with the words of
/// `text` that `whole` (the whole text, parsed) recognised as the selected
/// workloads' labels and namespace restored; `None` when it found none.
pub(super) fn with_story_scope(text: &str, masked: &str, whole: &ParsedIntent) -> Option<String> {
    let mut keep: Vec<(usize, usize)> = Vec::new();
    for e in &whole.entities {
        match e.kind {
            EntityKind::Label => keep.push((e.start, e.end)),
            EntityKind::Namespace => {
                // With its keyword ("in namespace spark", "ns=traefik").
                let before = text[..e.start].trim_end_matches([' ', '=', ':']);
                let word = before
                    .rsplit(|c: char| c.is_whitespace() || c == '(')
                    .next()
                    .unwrap_or("");
                let start = if matches!(word.to_ascii_lowercase().as_str(), "namespace" | "ns") {
                    before.len() - word.len()
                } else {
                    e.start
                };
                keep.push((start, e.end));
            }
            _ => {}
        }
    }
    if keep.is_empty() {
        return None;
    }
    let asked = masked.as_bytes();
    Some(masks::kept(text, |i, _| {
        asked.get(i).is_some_and(|b| *b != b' ') || keep.iter().any(|&(f, t)| (f..t).contains(&i))
    }))
}
