//! Lines quoted with `>` (a report's section pasted into a ticket, the
//! message an e-mail replies to) when the text's own lines ask: the quote
//! is what someone else wrote, the operator's lines are the ask. "The
//! caddy container runs with … CAP_NET_RAW included" quoted above "drop
//! ALL capabilities and add back only NET_BIND_SERVICE" names a capability
//! of the finding, not of the rule.

/// Whether a line says what to do to something: an action word of the
/// lexicon ("drop", "allow", "only") and a value (a label, a path).
/// ("Reply `approve` or `reject` in thread" asks nothing of a policy.)
fn says_what_to_do(line: &str) -> bool {
    line.contains(['=', '/']) && super::lexicon::says_an_action(line)
}

/// The byte ranges of the `>` lines of `text`, when a line outside them
/// asks; empty otherwise.
pub(super) fn quoted_lines(text: &str) -> Vec<(usize, usize)> {
    let mut quoted = Vec::new();
    let mut own_asks = false;
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        let line = l.trim_end();
        if line.trim_start().starts_with('>') {
            quoted.push((at, at + line.len()));
        } else if says_what_to_do(line) {
            own_asks = true;
        }
        at += l.len();
    }
    if own_asks { quoted } else { Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::quoted_lines;

    #[test]
    fn a_quote_is_background_beside_an_ask() {
        let t = "> it runs with CAP_NET_RAW\nFor app=a in namespace n drop all capabilities but NET_BIND_SERVICE.\n";
        assert_eq!(quoted_lines(t), vec![(0, 26)]);
        assert!(quoted_lines("> please block egress of app=a in namespace n\n").is_empty());
        let t = "> The caddy container runs with the default set, CAP_NET_RAW included.\n\nfor the edge proxy pods (app=caddy, namespace edge) drop ALL capabilities and add back only NET_BIND_SERVICE.";
        assert_eq!(quoted_lines(t).len(), 1);
    }
}
