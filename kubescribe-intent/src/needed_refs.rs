//! Values referred to by what needs them, none given: "add only the
//! capabilities needed", "drop all non-necessary capabilities", "allow only
//! the egress connections Reloader requires", "the serial devices the
//! driver actually uses", "the capabilities that are not required". The
//! operator knows the list; the parser does not, and a policy built from
//! the background's examples would be a guess.

use super::*;

/// What kind of value a noun names, and the refusal's words for it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Capabilities,
    Ports,
    Traffic,
    Files,
    Executables,
    Syscalls,
}

impl Kind {
    fn of(noun: &str) -> Option<Kind> {
        Some(match noun {
            "capabilities" | "capability" | "caps" | "privileges" => Kind::Capabilities,
            "ports" | "port" => Kind::Ports,
            "connections" | "destinations" | "endpoints" | "hosts" | "peers" => Kind::Traffic,
            "devices" | "files" | "paths" | "directories" | "hostpaths" => Kind::Files,
            "binaries" | "executables" | "commands" | "programs" => Kind::Executables,
            "syscalls" => Kind::Syscalls,
            _ => return None,
        })
    }

    /// The refusal's opening words (one of the missing parts the contract
    /// names) and what a value of the kind looks like.
    pub(super) fn words(self) -> (&'static str, &'static str) {
        match self {
            Kind::Capabilities => ("which capabilities", "capability names (`NET_RAW`)"),
            Kind::Ports => ("which port", "port numbers (`8443`)"),
            Kind::Traffic => ("which traffic", "peers (labels), CIDRs or FQDNs"),
            Kind::Files => ("which files", "paths (`/dev/ttyUSB0`) or directories"),
            Kind::Executables => ("which executables", "paths (`/usr/bin/curl`)"),
            Kind::Syscalls => ("which system calls", "system call names (`ptrace`)"),
        }
    }
}

const NEEDS: &[&str] = &[
    "needs", "need", "requires", "require", "uses", "use", "needed", "required",
];
const NEEDED: &[&str] = &["needed", "required", "necessary", "essential"];
const UNNEEDED: &[&str] = &[
    "non-necessary",
    "unnecessary",
    "unneeded",
    "non-essential",
    "superfluous",
    "unused",
    "non-required",
];

impl<'a> Parser<'a> {
    fn bare(&self, k: usize) -> &str {
        self.low(k)
            .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-')
    }

    /// The first reference in the text to values of a kind by what needs
    /// them: the kind and the words said.
    pub(super) fn needed_ref(&self) -> Option<(Kind, String)> {
        let n = self.toks.len();
        (0..n).find_map(|k| {
            let kind = Kind::of(self.bare(k))?;
            let said = |from: usize, to: usize| {
                let from = if from > 0 && matches!(self.low(from - 1), "the" | "all" | "every") {
                    from - 1
                } else {
                    from
                };
                self.text[self.toks[from].start..self.toks[to].end]
                    .trim_end_matches([',', '.', ';', ':'])
                    .to_string()
            };
            // "all non-necessary capabilities", "unneeded ports".
            if k > 0 && UNNEEDED.contains(&self.bare(k - 1)) {
                return Some((kind, said(k - 1, k)));
            }
            // "only the capabilities needed", "the ports required".
            if !self.toks[k].comma && NEEDED.contains(&self.bare(k + 1)) && k + 1 < n {
                return Some((kind, said(k, k + 1)));
            }
            // "the capabilities that are not required".
            if matches!(self.bare(k + 1), "that" | "which")
                && matches!(self.bare(k + 2), "are" | "is")
                && self.bare(k + 3) == "not"
                && (NEEDED.contains(&self.bare(k + 4)) || self.bare(k + 4) == "used")
            {
                return Some((kind, said(k, k + 4)));
            }
            // "the egress connections Reloader requires", "the serial
            // devices the driver actually uses": a few plain words, then
            // the verb of needing, in the same clause.
            if k > 0 && !self.toks[k].comma {
                let plain = |j: usize| {
                    let t = self.toks[j].text;
                    !t.contains(['/', '=', '(', ')'])
                        && !t.chars().any(|c| c.is_ascii_digit())
                        && !self.ends_clause(j)
                };
                let mut j = k + 1;
                while j < (k + 6).min(n) && !NEEDS.contains(&self.bare(j)) && plain(j) {
                    j += 1;
                }
                if j > k + 1
                    && j < n
                    && NEEDS.contains(&self.bare(j))
                    && (k + 1..j).all(|x| !matches!(self.bare(x), "and" | "or" | "to"))
                    && matches!(
                        self.bare(k - 1),
                        "the" | "all" | "any" | "every" | "each" | "egress" | "ingress" | "serial"
                    )
                {
                    return Some((kind, said(k, j)));
                }
            }
            None
        })
    }
}
