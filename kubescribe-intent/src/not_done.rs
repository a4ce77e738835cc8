//! What the policy must not do, said beside what it does: "alert on it,
//! don't block", "log but do not deny", "observe-only, nothing is blocked",
//! "Not blocking it, … but log …", "log it, without dropping anything",
//! "instead of just blocking google.com: …". The clause says no action of
//! the intent's; the scan skips it to its end.

use super::*;

impl<'a> Parser<'a> {
    /// Whether the clause at token `i` says what the policy must not do.
    pub(super) fn says_not_to_block(&self, a: &Acc, i: usize) -> bool {
        let n = self.toks.len();
        let l = self.low(i);
        let next = self.low(i + 1).to_string();
        // "observe-only, nothing is blocked": says what does not happen.
        let nothing_blocked = l == "nothing"
            && matches!(next.as_str(), "is" | "gets" | "will" | "should")
            && (i + 2..(i + 4).min(n)).any(|k| {
                matches!(
                    self.low(k),
                    "blocked" | "denied" | "prevented" | "dropped" | "enforced" | "killed"
                )
            });
        // "alert on it, don't block", "log but do not deny": what the
        // policy must not do, beside what it does.
        let block_word = |w: &str| {
            matches!(
                w,
                "block" | "deny" | "drop" | "kill" | "prevent" | "enforce" | "stop"
            )
        };
        let not_blocking = matches!(l, "don't" | "dont") && block_word(&next)
            // "instead of just blocking google.com: …": what the ask
            // replaces.
            || l == "instead" && next == "of" && {
                let w = self.low(i + 2);
                let w = if matches!(w, "just" | "only" | "simply") {
                    self.low(i + 3)
                } else {
                    w
                };
                w.ends_with("ing")
            }
            || l == "do" && next == "not" && block_word(self.low(i + 2))
            // "… shall record every inbound connection …. Such recording
            // shall not block or delay any connection.": said of the audit.
            || matches!(l, "shall" | "should" | "must" | "will")
                && next == "not"
                && block_word(self.low(i + 2))
                && a.audit.is_some()
            // "log the incoming connections on 8443, no deny them",
            // "log every start of /bin/bash …, not block".
            // ("… gets logged. Not blocked, just logged.")
            || matches!(l, "no" | "not")
                && (block_word(next.trim_end_matches(['.', ',', ';']))
                    || matches!(
                        next.trim_end_matches(['.', ',', ';']),
                        "blocked" | "denied" | "dropped" | "killed" | "prevented" | "enforced"
                    ))
                && a.audit.is_some()
                && i > 0
                && self.ends_clause(i - 1)
            // "just record it, no blocking"; "Not blocking it, we need
            // our iptables lines, but log every /bin/sh …".
            || matches!(l, "no" | "not")
                && matches!(
                    next.trim_end_matches(['.', ',', ';', '!']),
                    "blocking" | "enforcement" | "enforcing" | "denying" | "dropping"
                )
            // "Not looking to block anything", "not trying to deny it",
            // "we don't want to block …": the wish said of no action.
            || matches!(l, "not" | "don't" | "dont")
                && matches!(next.as_str(), "looking" | "trying" | "wanting" | "want" | "planning")
                && self.low(i + 2) == "to"
                && block_word(self.low(i + 3))
            // "log it, without dropping anything".
            || l == "without"
                && matches!(
                    next.as_str(),
                    "blocking" | "denying" | "dropping" | "killing" | "enforcing" | "stopping"
                );
        nothing_blocked || not_blocking
    }
}
