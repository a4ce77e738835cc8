//! Values said as context of an intent of another kind: entity words
//! outside network intents, ports and files that are no executables in
//! capability and system-call intents ("binds :80 via NET_BIND_SERVICE",
//! "… writes to /dev/null"). They are set aside, said under assumptions
//! where they looked like values.

use super::*;

impl<'a> Parser<'a> {
    /// Values that only point at paths the text gives: a program's name
    /// beside its path ("the postgres binary in that listing" beside the
    /// listing's /usr/lib/postgresql/11/bin/postgres: the path given, not
    /// the name's usual one), and a directory said of them ("the two /tmp
    /// binaries" beside /tmp/kdevtmpfsi and /tmp/kinsing: where they lie,
    /// no directory of the rule).
    pub(super) fn given_paths_over_names(&self, a: &mut Acc) {
        // ("readable only by CoreDNS itself (/coredns)": the name of a
        // source's path too, in any case.)
        let base = |b: &str| b.rsplit('/').next().unwrap_or(b).to_ascii_lowercase();
        let given: Vec<String> = (a.binaries.iter().chain(&a.sources))
            .filter(|b| b.starts_with('/') && !a.named_binaries.contains(b))
            .map(|b| base(b))
            .collect();
        // (A name's path written out too stays: "the mount binary: deny
        // /bin/mount and /usr/bin/mount".)
        let written = |b: &str| {
            self.toks.iter().any(|t| {
                t.text
                    .trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ';' | '`'))
                    == b
            })
        };
        a.binaries
            .retain(|b| !a.named_binaries.contains(b) || !given.contains(&base(b)) || written(b));
        // "running top …" beside /usr/bin/top: a bare name of a path given.
        a.binaries
            .retain(|b| b.starts_with('/') || !given.contains(&base(b)));
        // `plugin_directory = "/vault/plugins"` beside "the binaries under
        // /vault/plugins/": the directory, written once without its slash.
        let dirs = a.dirs.clone();
        a.binaries
            .retain(|b| !dirs.iter().any(|d| d.trim_end_matches('/') == b));
        let toks = &self.toks;
        let binaries = &a.binaries;
        a.dirs.retain(|d| {
            let d = d.trim_end_matches('/');
            !((0..toks.len()).any(|k| {
                toks[k].lower.trim_end_matches('/') == d
                    && toks.get(k + 1).is_some_and(|n| {
                        matches!(n.lower.as_str(), "binaries" | "executables" | "programs")
                    })
            }) && binaries.iter().any(|b| b.starts_with(&format!("{d}/"))))
        });
    }

    /// Sets aside the values of `a` that a `domain` intent cannot govern
    /// and that the text said as context.
    pub(super) fn set_context_aside(&mut self, a: &mut Acc, domain: Domain) {
        // "… to manage iptables on the underlying host": outside a network
        // intent an entity word is prose (no other domain has entities).
        if domain != Domain::Network {
            a.entities.clear();
            // "NET_RAW is needed for ICMP": a protocol outside a network
            // intent is prose too.
            a.protos.clear();
        }
        // "… mounts /dev/null …": in a capability or system-call intent a
        // file that is no executable (no rule's source) is context.
        if matches!(domain, Domain::Capability | Domain::Syscall) {
            let context: Vec<String> = a
                .paths
                .iter()
                .map(|(p, _)| p.clone())
                .filter(|p| !exec_looking(p))
                .chain(a.dirs.iter().cloned())
                .collect();
            if !context.is_empty() {
                a.paths.retain(|(p, _)| exec_looking(p));
                a.dirs.clear();
                self.assume.push(format!(
                    "{} read as context of the {}, not as files the rule governs",
                    context.join(", "),
                    if domain == Domain::Capability {
                        "capability"
                    } else {
                        "system calls"
                    }
                ));
            }
        }
        // "binds :80/:443 via CAP_NET_BIND_SERVICE": in a capability intent
        // a port says what the capability is for.
        if domain == Domain::Capability && !a.ports.is_empty() {
            let said: Vec<String> = a.ports.iter().map(|(p, _)| p.port.to_string()).collect();
            self.assume.push(format!(
                "port {} read as what the capability is for, not as traffic",
                said.join(", ")
            ));
            a.ports.clear();
        }
    }
}
