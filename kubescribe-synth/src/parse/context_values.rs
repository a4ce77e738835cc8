//! Values said as context of an intent of another kind: entity words
//! outside network intents, ports and files that are no executables in
//! capability and system-call intents ("binds :80 via NET_BIND_SERVICE",
//! "… writes to /dev/null"). They are set aside, said under assumptions
//! where they looked like values.

use super::*;

impl<'a> Parser<'a> {
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
