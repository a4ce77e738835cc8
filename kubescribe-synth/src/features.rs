//! Which engine can express which part of an intent.
//!
//! Every field of the intent schema that only some engines can say is a
//! [`Feature`]; [`check`] refuses an intent naming a feature the target
//! engine cannot express with a [`SynthError::Unsupported`] that names the
//! engines that can. The engine modules handle what they can express, and
//! the combinations an engine refuses on top of this table (Cilium cannot
//! deny FQDNs, …) stay with them.

use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Direction, Domain, Intent, Protocol, Resources};

use super::SynthError;

/// A part of an intent that not every engine of its domain can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Feature {
    /// `action: allow` (an allow-list).
    AllowList,
    /// `action: block`.
    Block,
    /// `action: audit`.
    Audit,
    /// `deny` resources inside an allow intent.
    DenyInsideAllow,
    /// `resources.all`: default deny (block) or allow-all (allow).
    All,
    /// `scope.allPods`.
    AllPods,
    /// `scope.clusterWide`.
    ClusterWide,
    /// `scope.selector` (a label-selector expression).
    SelectorExpression,
    /// `resources.sources` (the executables a rule applies from).
    Sources,
    /// `resources.ownerOnly`.
    OwnerOnly,
    /// Directories without `recursive` (their files only).
    NonRecursiveDirs,
    /// `resources.binaries` beside the files of a file block/audit intent.
    BinariesInFileBlock,
    /// Numbered ports (`resources.ports`).
    Ports,
    /// `resources.namedPorts`.
    NamedPorts,
    /// A transport protocol without ports (`resources.protocols`: TCP, UDP, SCTP).
    TransportProtocols,
    /// ICMP (`resources.protocols`, or a port entry with protocol ICMP).
    Icmp,
    /// Peer workloads (`resources.peers`).
    Peers,
    /// Peer namespaces by label (`peers[].namespaceLabels`).
    PeerNamespaceLabels,
    /// Peers in any namespace (`peers[].anyNamespace`).
    PeerAnyNamespace,
    /// `resources.cidrs`.
    Cidrs,
    /// `resources.exceptCidrs`.
    ExceptCidrs,
    /// `resources.entities`.
    Entities,
    /// `resources.fqdns`.
    Fqdns,
    /// A direction on a KubeArmor network intent (its rules match sockets
    /// in either direction).
    OneDirection,
}

impl Feature {
    /// Every feature, for tests and documentation.
    pub const ALL: [Feature; 24] = [
        Feature::AllowList,
        Feature::Block,
        Feature::Audit,
        Feature::DenyInsideAllow,
        Feature::All,
        Feature::AllPods,
        Feature::ClusterWide,
        Feature::SelectorExpression,
        Feature::Sources,
        Feature::OwnerOnly,
        Feature::NonRecursiveDirs,
        Feature::BinariesInFileBlock,
        Feature::Ports,
        Feature::NamedPorts,
        Feature::TransportProtocols,
        Feature::Icmp,
        Feature::Peers,
        Feature::PeerNamespaceLabels,
        Feature::PeerAnyNamespace,
        Feature::Cidrs,
        Feature::ExceptCidrs,
        Feature::Entities,
        Feature::Fqdns,
        Feature::OneDirection,
    ];

    /// What the feature is, in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            Feature::AllowList => "allow-lists",
            Feature::Block => "block rules",
            Feature::Audit => "audit-only rules",
            Feature::DenyInsideAllow => "a deny part inside an allow intent",
            Feature::All => "\"all\" (default deny / allow all)",
            Feature::AllPods => "every pod of a namespace (allPods)",
            Feature::ClusterWide => "cluster-wide scope",
            Feature::SelectorExpression => "a label-selector expression in the scope",
            Feature::Sources => "source executables (fromSource)",
            Feature::OwnerOnly => "owner-only access",
            Feature::NonRecursiveDirs => {
                "non-recursive directories (the directory's own files only)"
            }
            Feature::BinariesInFileBlock => {
                "binaries beside the files of a file block/audit intent (name the programs a rule applies from as sources, or write a process intent)"
            }
            Feature::Ports => "ports",
            Feature::NamedPorts => "named ports",
            Feature::TransportProtocols => {
                "a protocol on every port (TCP, UDP or SCTP without ports)"
            }
            Feature::Icmp => "ICMP",
            Feature::Peers => "peer workloads",
            Feature::PeerNamespaceLabels => "peer namespaces by label",
            Feature::PeerAnyNamespace => "peers in any namespace",
            Feature::Cidrs => "CIDRs",
            Feature::ExceptCidrs => "CIDR excepts",
            Feature::Entities => "entities (world, cluster, host, kube-apiserver)",
            Feature::Fqdns => "FQDNs",
            Feature::OneDirection => {
                "a traffic direction (its network rules match the sockets a workload opens, either way)"
            }
        }
    }

    /// The engines that can express the feature in `domain`.
    pub fn engines(self, domain: Domain) -> &'static [Engine] {
        use Engine::*;
        let net = domain == Domain::Network;
        match self {
            Feature::AllowList if net => &[Kubernetes, Cilium, Calico, KubeArmor],
            Feature::AllowList => &[KubeArmor],
            Feature::Block if net => &[Cilium, Calico, KubeArmor],
            Feature::Block => &[KubeArmor, Tetragon],
            Feature::Audit if net => &[Calico, KubeArmor],
            Feature::Audit => &[KubeArmor, Tetragon],
            Feature::DenyInsideAllow => match domain {
                Domain::Network => &[Cilium, Calico, KubeArmor],
                // KubeArmor's syscall rules have no per-rule action.
                Domain::Syscall => &[],
                _ => &[KubeArmor],
            },
            Feature::All => match domain {
                Domain::Network => &[Kubernetes, Cilium, Calico],
                Domain::File | Domain::Process => &[KubeArmor, Tetragon],
                Domain::Syscall | Domain::Capability => &[],
            },
            Feature::AllPods => &[Kubernetes, Cilium, Calico, KubeArmor, Tetragon],
            Feature::ClusterWide => &[Cilium, Calico, KubeArmor, Tetragon],
            Feature::SelectorExpression => &[Calico],
            Feature::Sources => match domain {
                Domain::File | Domain::Process | Domain::Syscall => &[KubeArmor, Tetragon],
                Domain::Network | Domain::Capability => &[KubeArmor],
            },
            Feature::OwnerOnly => match domain {
                Domain::File | Domain::Process => &[KubeArmor],
                _ => &[],
            },
            Feature::NonRecursiveDirs => &[KubeArmor],
            Feature::BinariesInFileBlock => &[],
            Feature::Ports | Feature::NamedPorts => &[Kubernetes, Cilium, Calico],
            Feature::TransportProtocols => &[Kubernetes, Cilium, Calico, KubeArmor],
            Feature::Icmp => &[Cilium, Calico, KubeArmor],
            Feature::Peers
            | Feature::PeerNamespaceLabels
            | Feature::PeerAnyNamespace
            | Feature::Cidrs
            | Feature::ExceptCidrs => &[Kubernetes, Cilium, Calico],
            Feature::Entities | Feature::Fqdns => &[Cilium],
            Feature::OneDirection => &[Kubernetes, Cilium, Calico],
        }
    }
}

fn resource_features(r: &Resources, domain: Domain, action: Action, out: &mut Vec<Feature>) {
    if r.all {
        out.push(Feature::All);
    }
    if !r.sources.is_empty() {
        out.push(Feature::Sources);
    }
    if r.owner_only {
        out.push(Feature::OwnerOnly);
    }
    if !r.dirs.is_empty() && !r.recursive && matches!(domain, Domain::File | Domain::Process) {
        out.push(Feature::NonRecursiveDirs);
    }
    if domain == Domain::File && action != Action::Allow && !r.binaries.is_empty() {
        out.push(Feature::BinariesInFileBlock);
    }
    if domain != Domain::Network {
        return;
    }
    if r.ports.iter().any(|p| p.protocol != Protocol::Icmp) {
        out.push(Feature::Ports);
    }
    if !r.named_ports.is_empty() {
        out.push(Feature::NamedPorts);
    }
    if r.protocols.iter().any(|p| *p != Protocol::Icmp) {
        out.push(Feature::TransportProtocols);
    }
    if r.protocols.contains(&Protocol::Icmp)
        || r.ports.iter().any(|p| p.protocol == Protocol::Icmp)
        || r.named_ports.iter().any(|p| p.protocol == Protocol::Icmp)
    {
        out.push(Feature::Icmp);
    }
    if !r.peers.is_empty() {
        out.push(Feature::Peers);
    }
    if r.peers.iter().any(|p| !p.namespace_labels.is_empty()) {
        out.push(Feature::PeerNamespaceLabels);
    }
    if r.peers.iter().any(|p| p.any_namespace) {
        out.push(Feature::PeerAnyNamespace);
    }
    if !r.cidrs.is_empty() {
        out.push(Feature::Cidrs);
    }
    if !r.except_cidrs.is_empty() {
        out.push(Feature::ExceptCidrs);
    }
    if !r.entities.is_empty() {
        out.push(Feature::Entities);
    }
    if !r.fqdns.is_empty() {
        out.push(Feature::Fqdns);
    }
}

/// The features `intent` uses, sorted, each once.
pub fn used(intent: &Intent) -> Vec<Feature> {
    let mut out = Vec::new();
    // A network default deny is said by every network engine's posture
    // (a NetworkPolicy with no rules), not by a block rule.
    let default_deny =
        intent.domain == Domain::Network && intent.action == Action::Block && intent.resources.all;
    if !default_deny {
        out.push(match intent.action {
            Action::Allow => Feature::AllowList,
            Action::Block => Feature::Block,
            Action::Audit => Feature::Audit,
        });
    }
    if intent.scope.all_pods {
        out.push(Feature::AllPods);
    }
    if intent.scope.cluster_wide {
        out.push(Feature::ClusterWide);
    }
    if intent.scope.selector.is_some() {
        out.push(Feature::SelectorExpression);
    }
    if intent.domain == Domain::Network
        && matches!(
            intent.direction,
            Some(Direction::Ingress | Direction::Egress)
        )
    {
        out.push(Feature::OneDirection);
    }
    resource_features(&intent.resources, intent.domain, intent.action, &mut out);
    if let Some(deny) = &intent.deny {
        out.push(Feature::DenyInsideAllow);
        // The deny part blocks: what it names needs an engine that can block it.
        resource_features(deny, intent.domain, Action::Block, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// `Ok` when `engine` can express every feature `intent` uses, else the
/// first one it cannot, naming the engines that can.
pub fn check(intent: &Intent, engine: Engine) -> Result<(), SynthError> {
    for f in used(intent) {
        let can = f.engines(intent.domain);
        if can.contains(&engine) {
            continue;
        }
        let others: Vec<&str> = can.iter().map(|e| e.name()).collect();
        return Err(SynthError::Unsupported {
            engine,
            what: format!(
                "{} in {} intents",
                f.describe(),
                format!("{:?}", intent.domain).to_lowercase()
            ),
            hint: Some(if others.is_empty() {
                "no engine kubescribe writes for can express it".into()
            } else {
                format!("use {}", others.join(" or "))
            }),
        });
    }
    Ok(())
}
