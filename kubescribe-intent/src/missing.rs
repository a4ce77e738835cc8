//! What an intent still needs when the text leaves something out: the
//! refusal's words (`which pods`, `what to do`, `which files`, …).

use super::needed_refs::Kind;
use super::*;

/// What a text without an action or a domain still needs.
pub(super) fn missing_fields(
    p: &Parser<'_>,
    a: &Acc,
    no_action: bool,
    no_domain: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let names_pods = p
        .mentions
        .iter()
        .any(|m| matches!(m.who, Who::Label(..) | Who::Pod(_)));
    if !names_pods && a.selector.is_empty() && !a.all_pods_word && !a.cluster_wide_word {
        out.push(kubescribe_core::intent::WHICH_PODS.to_string());
    }
    let no_action = no_action
        || a.allow.is_none() && a.block.is_none() && a.audit.is_none() && !a.only && !a.except;
    if no_action {
        out.push("what to do: allow (or only …), audit or block?".to_string());
    }
    let no_domain = no_domain
        || a.paths.is_empty()
            && a.dirs.is_empty()
            && a.binaries.is_empty()
            && a.ports.is_empty()
            && a.cidrs.is_empty()
            && a.fqdns.is_empty()
            && a.syscalls.is_empty()
            && a.caps.is_empty()
            && a.entities.is_empty()
            && a.named_ports.is_empty()
            && a.protos.is_empty()
            && !a.all_word
            && a.dir_explicit.is_none()
            && a.domain_word.is_none();
    let no_resources = a.paths.is_empty()
        && a.dirs.is_empty()
        && a.binaries.is_empty()
        && a.syscalls.is_empty()
        && a.caps.is_empty();
    if !no_domain && no_resources {
        // The domain is said but not what in it: "shadow file read via …".
        match a.domain_word {
            Some(Domain::File) => {
                out.push("which files: paths (`/etc/passwd`) or directories (`/etc/`)?".into())
            }
            Some(Domain::Process) => {
                out.push("which executables: paths (`/usr/bin/curl`) or directories?".into())
            }
            Some(Domain::Syscall) => out.push("which system calls?".into()),
            Some(Domain::Capability) => out.push("which capabilities?".into()),
            _ => {}
        }
    }
    // "block access to the metadata API": what is accessed is a network
    // service, not a file.
    let net_object = p.toks.iter().any(|t| {
        matches!(
            t.lower.as_str(),
            "api"
                | "apis"
                | "endpoint"
                | "endpoints"
                | "service"
                | "services"
                | "server"
                | "url"
                | "urls"
        )
    });
    if no_domain {
        out.push(if let Some(said) = &a.unnamed_port {
            // "block the unnecessary ports of app=api": ports, but which?
            format!("which port: \"{said}\" names no port; give its number (e.g. `port 5432`)")
        } else if a.file_verb && net_object {
            "which traffic: ports, peers (labels), CIDRs, FQDNs, entities (world, host) or \"all\"?"
                .to_string()
        } else if a.file_verb {
            "which files: paths (`/etc/passwd`) or directories (`/etc/`)?".to_string()
        } else if a.exec_verb {
            "which executables: paths (`/usr/bin/curl`) or directories?".to_string()
        } else {
            "what to govern: which files, which executables, which traffic (ports, peers, CIDRs, FQDNs), which system calls or which capabilities?".to_string()
        });
    }
    out
}

/// What a network, file or process intent refers to without giving it: a
/// service's name where a port goes, "the approved destinations", "not on
/// our allowlist", "the backend's port". The refusal's words, if any.
pub(super) fn unnamed_values(
    p: &Parser<'_>,
    a: &Acc,
    domain: Domain,
    ports: &[PortSpec],
) -> Option<String> {
    // "drop the capabilities that are not required", "allow only the
    // egress connections Reloader requires": which ones is not said (the
    // background's examples are no list).
    if let Some((kind, said)) = p.needed_ref() {
        let given = match kind {
            Kind::Capabilities => !a.caps.is_empty(),
            Kind::Ports => !ports.is_empty() || !a.named_ports.is_empty(),
            Kind::Traffic => {
                !a.cidrs.is_empty()
                    || !a.fqdns.is_empty()
                    || !a.entities.is_empty()
                    || p.groups.len() >= 2
            }
            Kind::Files => !a.paths.is_empty() || !a.dirs.is_empty(),
            Kind::Executables => !a.binaries.is_empty(),
            Kind::Syscalls => !a.syscalls.is_empty(),
        };
        let of_domain = match kind {
            Kind::Capabilities => domain == Domain::Capability,
            Kind::Ports | Kind::Traffic => domain == Domain::Network,
            Kind::Files => domain == Domain::File,
            Kind::Executables => domain == Domain::Process,
            Kind::Syscalls => domain == Domain::Syscall,
        };
        if of_domain && !given {
            let (which, like) = kind.words();
            return Some(format!(
                "{which}: \"{said}\" names no value; give the {like}"
            ));
        }
    }
    if !a.services.is_empty() && ports.is_empty() && domain == Domain::Network {
        return Some(format!(
            "which port: `{}` is a service name, not a port; give its number (e.g. `port 5432`) or its container port's name",
            a.services.join("`, `")
        ));
    }
    if let Some(said) = &a.unnamed_peer
        && a.fqdns.is_empty()
        && a.cidrs.is_empty()
        && domain == Domain::Network
        // A cued workload that is the only one is the policy's own ("port
        // 9999 of app=x … to trusted networks only"), no peer.
        && !(p.groups.len() >= 2 && p.mentions.iter().any(|m| m.cued))
    {
        return Some(format!(
            "which traffic: \"{said}\" names no peer; give the FQDNs (`api.example.com`), CIDRs or pod labels"
        ));
    }
    // (A namespace said alone is no pods: "… in namespace links".)
    let pod_groups = |p: &Parser<'_>| {
        let mut g: Vec<usize> = p
            .mentions
            .iter()
            .filter(|m| matches!(m.who, Who::Label(..) | Who::Pod(_)))
            .map(|m| m.group)
            .collect();
        g.sort_unstable();
        g.dedup();
        g.len()
    };
    if let Some(said) = &a.connects_to_unnamed
        && domain == Domain::Network
        && pod_groups(p) < 2
    {
        return Some(format!(
            "which pods: \"{said}\" says who connects, not the pods connected to; name them (labels or pod names)"
        ));
    }
    if let Some(said) = &a.excepted_who
        && domain == Domain::Network
        && a.cidrs.is_empty()
        && a.fqdns.is_empty()
        && a.entities.is_empty()
        && p.groups.len() < 2
    {
        return Some(format!(
            "which traffic: who \"{said} …\" lets in or out is not given; name the peers (labels), CIDRs or FQDNs"
        ));
    }
    if let Some(said) = &a.unnamed_list {
        let what = if domain == Domain::Process || a.domain_word == Some(Domain::Process) {
            a.binaries
                .is_empty()
                .then_some("which executables: paths (`/usr/bin/curl`)")
        } else if domain == Domain::Network {
            (ports.is_empty()
                && a.cidrs.is_empty()
                && a.fqdns.is_empty()
                && a.entities.is_empty()
                && a.named_ports.is_empty()
                // One group of workloads is the scope: no peer named.
                && p.groups.len() < 2)
                .then_some("which traffic: the ports, peers (labels), CIDRs or FQDNs")
        } else {
            (a.paths.is_empty() && a.dirs.is_empty())
                .then_some("which files: paths (`/etc/passwd`) or directories")
        };
        if let Some(what) = what {
            return Some(format!(
                "{what} that \"{said}\" holds; the list is not given"
            ));
        }
    }
    if let Some(said) = &a.unnamed_port
        && ports.is_empty()
        && a.named_ports.is_empty()
        && domain == Domain::Network
    {
        return Some(format!(
            "which port: \"{said}\" names no port; give its number (e.g. `port 5432`) or its container port's name (`the port named http`)"
        ));
    }
    None
}

/// "may only reach the CrowdStrike cloud on 443": a peer said by a common
/// noun alone, on the side the intent governs, and no peer of any kind
/// given (the rule would hold for everyone). The refusal's words, if so.
pub(super) fn vague_peer(
    a: &Acc,
    direction: Option<Direction>,
    resources: &Resources,
    has_deny: bool,
) -> Option<String> {
    let (said, side) = a.vague_peer.as_ref()?;
    (side.is_none_or(|s| direction == Some(s))
        && direction.is_some()
        && !has_deny
        && !resources.all
        && resources.peers.is_empty()
        && resources.cidrs.is_empty()
        && resources.fqdns.is_empty()
        && resources.entities.is_empty())
    .then(|| {
        format!("which traffic: \"{said}\" names no peer; give the pod labels, CIDRs or FQDNs")
    })
}

/// The refusal of "block all … except …" whose exception names nothing of
/// `domain` (allowing all of it would be the opposite of the ask).
pub(super) fn empty_exception(domain: Domain) -> String {
    let what = match domain {
        Domain::Network => "which traffic: the ports, peers (labels), CIDRs or FQDNs",
        Domain::Process => "which executables: paths (`/usr/bin/curl`)",
        Domain::File => "which files: paths (`/etc/passwd`) or directories",
        Domain::Capability => "which capabilities",
        Domain::Syscall => "which system calls",
    };
    format!("{what} stay allowed? the exception to \"block all\" names none")
}
