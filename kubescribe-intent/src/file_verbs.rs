//! A file verb in a clause ("read", "writes to", "read-only", "make …
//! read only", "accessed or modified"): which operations the intent
//! governs, and whether a read-only state is asked.

use super::*;

impl<'a> Parser<'a> {
    /// Records the file verb at token `i` in `a`; the number of tokens it
    /// took (two for "read only").
    pub(super) fn file_verb(&self, a: &mut Acc, i: usize) -> usize {
        let l = self.low(i).to_string();
        let l = l.as_str();
        let next = self.low(i + 1).to_string();
        a.file_verb = true;
        // "make /var/www/html/configuration.php read only": the
        // state, in two words.
        let state_said = |k0: usize| {
            matches!(
                self.low(k0.wrapping_sub(1)),
                "be" | "stay" | "stays" | "remain" | "remains" | "kept"
            ) || (k0.saturating_sub(16)..k0).any(|k| {
                // ("make /etc/a.xml and /etc/b.xml read-only": its files
                // between, listed.)
                let listed = (k + 1..k0).all(|j| {
                    self.toks[j].text.starts_with('/')
                        || matches!(self.low(j), "and" | "or" | "&" | "both")
                });
                matches!(self.low(k), "make" | "keep" | "mount") && (k + 2 >= k0 || listed)
            })
        };
        // (Not "may be read only by wazuh-authd": who may.)
        let two_words = l == "read"
            && next.trim_end_matches(['.', ',', ';']) == "only"
            && state_said(i)
            && (self.ends_clause(i + 1)
                || matches!(
                    self.low(i + 2),
                    "for" | "in" | "on" | "inside" | "within" | "across" | "" | "and"
                ));
        match if two_words { "read-only" } else { l } {
            "read" | "reads" | "reading" | "view" => a.reads = true,
            "read-only" | "readonly" => {
                a.reads = true;
                a.read_only_word = true;
                // "… have to stay read-only", "must be readonly": a
                // state the files keep, whatever the modal.
                // ("Make /var/log read-only for …".)
                a.read_only_state |= state_said(i);
            }
            "access" | "accessing" | "open" | "opens" | "opening" | "touch" | "touching" => {}
            _ => a.writes = true,
        }
        // "accessed or modified", "modify or access": any operation.
        let access = |w: &str| {
            matches!(
                w,
                "access" | "accessed" | "accesses" | "accessing" | "open" | "opened"
            )
        };
        let coordinated = |k: usize| matches!(self.low(k), "or" | "and");
        if access(l) && coordinated(i + 1)
            || i >= 2 && coordinated(i - 1) && access(self.low(i - 2))
        {
            a.any_access = true;
        }
        1 + usize::from(two_words)
    }
}
