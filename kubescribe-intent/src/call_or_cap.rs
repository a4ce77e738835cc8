//! Names that are both a system call and a capability (or a program):
//! "setuid", "chown", "kill". Which one the text means: a name listed with
//! names that are only system calls is one; names in capitals that a
//! "drop" or an "add" takes are capabilities. Also whether capabilities
//! named beside a drop of the others are granted ("keep IPC_LOCK and drop
//! every other capability").

use super::*;

impl<'a> Parser<'a> {
    /// Whether token `i` stands in a coordinated list ("a, b and c") with a
    /// name that is only a system call (not `setuid`/`setgid`, file modes too).
    pub(super) fn listed_with_syscall(&self, i: usize) -> bool {
        let clear = |j: usize| {
            let w = self.low(j);
            SYSCALLS_CLEAR.contains(&w) && !matches!(w, "setuid" | "setgid")
        };
        let n = self.toks.len();
        let mut j = i;
        loop {
            if self.toks[j].comma {
                j += 1;
            } else if matches!(self.low(j + 1), "and" | "or") {
                j += 2;
            } else {
                break;
            }
            if j >= n || j > i + 6 {
                break;
            }
            if clear(j) {
                return true;
            }
        }
        let mut j = i;
        loop {
            if j >= 1 && self.toks[j - 1].comma {
                j -= 1;
            } else if j >= 2 && matches!(self.low(j - 1), "and" | "or") {
                j -= 2;
            } else {
                break;
            }
            if clear(j) {
                return true;
            }
            if i - j > 6 {
                break;
            }
        }
        false
    }

    /// "drop SETUID and SETGID for …", "drop CHOWN, KILL and SETGID": token
    /// `i` is a capability's name in capitals in a list a "drop" or an "add"
    /// takes (not the calls setuid, setgid).
    pub(super) fn dropped_in_capitals(&self, i: usize) -> bool {
        let capitals = |j: usize| {
            let Some(t) = self.toks.get(j) else {
                return false;
            };
            let w = t
                .text
                .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
            w.len() > 2
                && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && CAPABILITIES.contains(
                    &self
                        .low(j)
                        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'),
                )
        };
        // ("drop SETUID and SETGID syscalls": calls, named so after the list.)
        let called = |j: usize| {
            matches!(self.low(j), "syscall" | "syscalls")
                || self.low(j) == "system" && self.low(j + 1).starts_with("call")
        };
        if !capitals(i) {
            return false;
        }
        let mut end = i;
        while end + 1 < self.toks.len()
            && !self.toks[end].comma
            && matches!(self.low(end + 1), "and" | "or")
            && capitals(end + 2)
            || self.toks[end].comma && end + 1 < self.toks.len() && capitals(end + 1)
        {
            end += if self.toks[end].comma { 1 } else { 2 };
        }
        if called(end + 1) {
            return false;
        }
        let mut j = i;
        while j > 0 && (self.toks[j - 1].comma && capitals(j - 1))
            || j > 1 && matches!(self.low(j - 1), "and" | "or") && capitals(j - 2)
        {
            j -= if self.toks[j - 1].comma { 1 } else { 2 };
        }
        matches!(
            self.prev_low(j),
            "drop" | "drops" | "dropping" | "add" | "adds" | "adding"
        )
    }

    /// "give it CHOWN and SETUID, and drop every other capability": a
    /// capability granted by a verb of giving before the drop of the
    /// others (the allow-list said the way Docker's flags say it).
    pub(super) fn granted_caps(&self, a: &Acc) -> bool {
        // ("capabilities add NET_BIND_SERVICE, drop all": Docker's and a
        // securityContext's way.)
        (a.deny_others || a.all_word)
            && !a.caps.is_empty()
            && a.paths.is_empty()
            && a.binaries.is_empty()
            && a.syscalls.is_empty()
            && (0..self.toks.len()).any(|k| {
                // "keep IPC_LOCK and drop every other capability": what is
                // kept is granted (not "keep SYS_ADMIN out/away from …").
                // ("… get NET_RAW back, and every other capability is
                // dropped": what they get back too.)
                // ("… what the build pods get: SETUID and SETGID, and …".)
                let keeps = matches!(
                    self.low(k).trim_end_matches(':'),
                    "keep" | "keeps" | "retain" | "retains" | "get" | "gets"
                );
                (keeps
                    || matches!(
                        self.low(k),
                        "give" | "gives" | "grant" | "grants" | "add" | "adds"
                    ))
                    // ("give the geoserver pods (app=…, namespace gis) CHOWN,
                    // SETUID and SETGID": whom, glossed, before what.)
                    && (k + 1..(k + if keeps { 4 } else { 12 }).min(self.toks.len())).any(|j| {
                        let w = self
                            .low(j)
                            .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
                        a.caps
                            .iter()
                            .any(|c| c.eq_ignore_ascii_case(w.trim_start_matches("cap_")))
                            && !(keeps
                                && matches!(self.low(j + 1), "from" | "out" | "away" | "off"))
                    })
            })
    }
}
