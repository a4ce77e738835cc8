//! The engine-agnostic security intent.
//!
//! An [`Intent`] says *who* (scope), *what kind of behaviour* (domain),
//! *what to do* (action, direction) and *which resources*. The synthesizer
//! and the model prompts turn it into a policy for a concrete engine; its
//! JSON Schema (`kubescribe schema intent`) is what an LLM-based intent parser
//! is constrained to.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;

/// A workload a pod name resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedPod {
    /// The workload's kind (`Pod`, `Deployment`, `StatefulSet`, …).
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The labels of its pods.
    pub labels: BTreeMap<String, String>,
}

/// A security intent, independent of any engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Intent {
    /// Intent schema version: 2 is current. A version-1 intent (no `version`,
    /// none of the version-2 fields) is a valid version-2 intent, so absent
    /// reads as 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 2))]
    pub version: Option<u32>,
    /// Target engine; when absent, the engine is chosen from the domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// Which workloads the policy applies to.
    pub scope: Scope,
    /// The kind of behaviour the policy governs.
    pub domain: Domain,
    /// What happens to matching behaviour.
    pub action: Action,
    /// Traffic direction (network domain only). Absent: egress when the
    /// intent names CIDRs, FQDNs or entities only, else ingress (the
    /// documented default of version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The resources the intent names.
    #[serde(default)]
    pub resources: Resources,
    /// Resources blocked inside an allow intent ("allow reads of /var/www/
    /// but block /var/www/private/"); only with `action: allow`, and only in
    /// engines with per-rule deny (KubeArmor, Cilium, Calico).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Resources>,
    /// Free-text rationale, carried into the policy's message/annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

/// Which workloads an intent applies to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scope {
    /// Namespace of the workloads; absent means cluster-wide where the engine allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: Option<String>,
    /// Label equality selector (`app: nginx`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Label selector expression (`app in (a, b), tier != db`), in addition to `labels`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Pod names, resolved to labels through the event store or cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pod_names: Vec<String>,
    /// Every pod of `namespace` (an empty pod selector). Set only when the
    /// operator said so ("all pods in namespace shop"); a namespace alone
    /// never means it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_pods: bool,
    /// Every namespace: a cluster-wide policy kind (KubeArmorClusterPolicy,
    /// CiliumClusterwideNetworkPolicy, Calico GlobalNetworkPolicy, Tetragon
    /// TracingPolicy). Set only when the operator said so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cluster_wide: bool,
}

/// The behaviour domain of an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// File access (read/write/open).
    File,
    /// Process execution.
    Process,
    /// Network traffic.
    Network,
    /// System calls.
    Syscall,
    /// Linux capabilities.
    Capability,
}

impl Domain {
    /// The engines that can express some intent of this domain: network
    /// intents by Kubernetes NetworkPolicy, Cilium, Calico and KubeArmor;
    /// file, process and system-call intents by KubeArmor and Tetragon;
    /// capabilities by KubeArmor.
    pub fn engines(self) -> &'static [Engine] {
        match self {
            Domain::Network => &[
                Engine::Kubernetes,
                Engine::Cilium,
                Engine::Calico,
                Engine::KubeArmor,
            ],
            Domain::File | Domain::Process | Domain::Syscall => {
                &[Engine::KubeArmor, Engine::Tetragon]
            }
            Domain::Capability => &[Engine::KubeArmor],
        }
    }
}

/// What happens to behaviour matching the intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Permit only the named behaviour (allow-list); everything else is denied.
    Allow,
    /// Record the behaviour without blocking it.
    Audit,
    /// Block the named behaviour.
    Block,
}

/// Traffic direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic into the selected workloads.
    Ingress,
    /// Traffic out of the selected workloads.
    Egress,
    /// Both directions.
    Both,
}

/// Transport protocol.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// ICMP.
    Icmp,
}

impl Protocol {
    /// The protocol's name as the engines write it: `TCP`, `UDP`, `SCTP`, `ICMP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
            Protocol::Icmp => "ICMP",
        }
    }
}

/// A port or port range with its protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortSpec {
    /// Port number.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// Last port of a range (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub end_port: Option<u16>,
    /// Protocol (default TCP).
    #[serde(default = "default_protocol")]
    pub protocol: Protocol,
}

fn default_protocol() -> Protocol {
    Protocol::Tcp
}

/// A port given by its name (`http`, a container port's name), resolved by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamedPort {
    /// The port's name (an IANA_SVC_NAME: lowercase letters, digits and `-`, at most 15).
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 15))]
    pub name: String,
    /// Protocol (default TCP).
    #[serde(default = "default_protocol")]
    pub protocol: Protocol,
}

/// A class of network peer that is not a workload (Cilium's entities).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkEntity {
    /// Everything outside the cluster.
    World,
    /// Every endpoint of the cluster.
    Cluster,
    /// The node the workload runs on.
    Host,
    /// The Kubernetes API server.
    KubeApiserver,
}

impl NetworkEntity {
    /// The entity's name as Cilium spells it (`world`, `kube-apiserver`).
    pub fn name(self) -> &'static str {
        match self {
            NetworkEntity::World => "world",
            NetworkEntity::Cluster => "cluster",
            NetworkEntity::Host => "host",
            NetworkEntity::KubeApiserver => "kube-apiserver",
        }
    }
}

/// A peer workload selected by namespace and labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PeerSelector {
    /// Peer namespace; absent means the policy's own namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Peer labels; empty means every pod of the peer namespace(s).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Peer namespaces by their labels (`team: ops`), instead of by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespace_labels: BTreeMap<String, String>,
    /// The peer may be in any namespace (said in words: "from any namespace").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub any_namespace: bool,
}

/// Resources an intent names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// Absolute file paths (no trailing `/`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^/.*[^/]$")))]
    pub paths: Vec<String>,
    /// Absolute directories (with trailing `/`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^/(.*/)?$")))]
    pub dirs: Vec<String>,
    /// Whether directory rules cover sub-directories.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recursive: bool,
    /// Whether file access is limited to reading (with `block`: writes are
    /// blocked, reads stay allowed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// Whether access is limited to the file's owner (KubeArmor `ownerOnly`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub owner_only: bool,
    /// Executables the rule applies from ("only /usr/sbin/nginx may read
    /// /etc/nginx/": KubeArmor `fromSource`, Tetragon `matchBinaries`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^/.*[^/]$")))]
    pub sources: Vec<String>,
    /// Executables by absolute path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<String>,
    /// Ports with protocols.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortSpec>,
    /// Ports by name (a container port's name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub named_ports: Vec<NamedPort>,
    /// Protocols matched on every port (ICMP, or "all SCTP").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<Protocol>,
    /// CIDR blocks (`10.0.0.0/8`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<String>,
    /// CIDR blocks carved out of the `cidrs` that contain them ("10.0.0.0/8
    /// except 10.1.0.0/16").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except_cidrs: Vec<String>,
    /// Peers that are not workloads (world, cluster, host, kube-apiserver).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<NetworkEntity>,
    /// Peer workloads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<PeerSelector>,
    /// DNS names (`api.example.com`, `*.example.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fqdns: Vec<String>,
    /// System call names (`ptrace`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub syscalls: Vec<String>,
    /// Linux capability names (`net_raw`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// The whole domain in the intent's direction(s), said in words: with
    /// `block`, a default deny ("isolate app=db", "deny all ingress"); with
    /// `allow`, allow-all. Nothing else may be named beside it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

impl Resources {
    /// Whether nothing is named (and `all` is not set).
    pub fn is_empty(&self) -> bool {
        *self == Resources::default()
    }

    /// Whether a network resource (port, named port, protocol, CIDR, peer,
    /// FQDN or entity) is named.
    pub fn names_network(&self) -> bool {
        !(self.ports.is_empty()
            && self.named_ports.is_empty()
            && self.protocols.is_empty()
            && self.cidrs.is_empty()
            && self.peers.is_empty()
            && self.fqdns.is_empty()
            && self.entities.is_empty())
    }

    /// Whether the domain's own resources are named.
    fn names_domain(&self, domain: Domain) -> bool {
        match domain {
            Domain::File => !(self.paths.is_empty() && self.dirs.is_empty()),
            Domain::Process => {
                !(self.binaries.is_empty() && self.paths.is_empty() && self.dirs.is_empty())
            }
            Domain::Network => self.names_network(),
            Domain::Syscall => !self.syscalls.is_empty(),
            Domain::Capability => !self.capabilities.is_empty(),
        }
    }
}

/// What an intent lacks or contradicts, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentGap {
    /// Something every policy needs is not given (the message asks for it).
    Missing(String),
    /// Two parts of the intent cannot both hold.
    Contradiction(String),
}

impl std::fmt::Display for IntentGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntentGap::Missing(m) => write!(f, "missing: {m}"),
            IntentGap::Contradiction(m) => write!(f, "contradiction: {m}"),
        }
    }
}

/// What the scope question says when no workload is named.
pub const WHICH_PODS: &str =
    "which pods: labels (`app=nginx`), pod names, or \"all pods in namespace X\"?";

impl Intent {
    /// What keeps this intent from saying exactly one policy: the gaps an
    /// operator must fill (never guessed by the synthesizer), in a stable
    /// order. Empty when the intent is complete.
    pub fn gaps(&self) -> Vec<IntentGap> {
        use IntentGap::{Contradiction, Missing};
        let mut out = Vec::new();
        if let Some(v) = self.version
            && !(1..=2).contains(&v)
        {
            out.push(Contradiction(format!(
                "intent schema version {v}: this kubescribe reads versions 1 and 2"
            )));
        }
        let s = &self.scope;
        let named = !s.labels.is_empty() || s.selector.is_some() || !s.pod_names.is_empty();
        if !named && !s.all_pods && !s.cluster_wide {
            out.push(Missing(WHICH_PODS.into()));
        }
        if s.all_pods && s.namespace.is_none() && !s.cluster_wide {
            out.push(Missing(
                "which namespace: \"all pods\" needs `in namespace X` (or say cluster-wide)".into(),
            ));
        }
        if s.cluster_wide && s.namespace.is_some() {
            out.push(Contradiction(format!(
                "cluster-wide and namespace {} both given; name one",
                s.namespace.as_deref().unwrap_or_default()
            )));
        }
        if s.all_pods && named {
            out.push(Contradiction(
                "\"all pods\" and a workload selector both given; name one".into(),
            ));
        }
        // Kubernetes' string form (`app in (a, b), tier != db`), the one
        // every engine's selector is written from.
        if let Some(e) = s
            .selector
            .as_deref()
            .and_then(|t| crate::selector::Selector::parse_kubernetes(t).err())
        {
            out.push(Contradiction(format!(
                "scope.selector: {e}; write it as Kubernetes does (`app in (a, b), tier != db`)"
            )));
        }
        let r = &self.resources;
        if r.all {
            let mut rest = r.clone();
            rest.all = false;
            rest.recursive = false;
            if !rest.is_empty() {
                out.push(Contradiction(
                    "\"all\" traffic/behaviour and specific resources both given; name one".into(),
                ));
            }
        } else if !r.names_domain(self.domain) {
            out.push(Missing(
                match self.domain {
                    Domain::File => "which files: paths (`/etc/passwd`) or directories (`/etc/`)?",
                    Domain::Process => "which executables: paths (`/usr/bin/curl`) or directories?",
                    Domain::Network => {
                        "which traffic: ports, peers (labels), CIDRs, FQDNs, entities (world, host) or \"all\"?"
                    }
                    Domain::Syscall => "which system calls?",
                    Domain::Capability => "which capabilities?",
                }
                .into(),
            ));
        }
        if self.domain != Domain::Network && self.direction.is_some() {
            out.push(Contradiction(format!(
                "a direction is given for a {} intent; directions are for network traffic",
                format!("{:?}", self.domain).to_lowercase()
            )));
        }
        for e in &r.except_cidrs {
            let inside = crate::cidr::Cidr::parse(e).is_some_and(|x| {
                r.cidrs
                    .iter()
                    .filter_map(|c| crate::cidr::Cidr::parse(c))
                    .any(|c| c.prefix <= x.prefix && c.contains(x.addr))
            });
            if !inside {
                out.push(Contradiction(format!(
                    "except {e} is not inside any of the CIDRs given ({})",
                    r.cidrs.join(", ")
                )));
            }
        }
        for p in &r.ports {
            if p.end_port.is_some_and(|e| e < p.port) {
                out.push(Contradiction(format!(
                    "port range {}-{} ends before it starts",
                    p.port,
                    p.end_port.unwrap_or_default()
                )));
            }
        }
        if let Some(d) = &self.deny {
            if self.action != Action::Allow {
                out.push(Contradiction(
                    "`deny` resources belong to an allow intent (allow X but block Y)".into(),
                ));
            }
            if d.is_empty() {
                out.push(Missing("what to block inside the allowed set?".into()));
            }
            // "allow port 80 and deny port 80": the same thing both ways. A
            // deny of writes inside a read-only allow is no clash.
            let mut both: Vec<String> = r
                .ports
                .iter()
                .filter(|p| d.ports.contains(p))
                .map(|p| match p.end_port {
                    Some(e) => format!("ports {}-{e}", p.port),
                    None => format!("port {}", p.port),
                })
                .collect();
            let same = |a: &[String], b: &[String]| -> Vec<String> {
                a.iter().filter(|x| b.contains(x)).cloned().collect()
            };
            if !(r.read_only && d.read_only) {
                both.extend(same(&r.paths, &d.paths));
                both.extend(same(&r.dirs, &d.dirs));
            }
            both.extend(same(&r.binaries, &d.binaries));
            both.extend(same(&r.cidrs, &d.cidrs));
            both.extend(same(&r.fqdns, &d.fqdns));
            both.extend(same(&r.syscalls, &d.syscalls));
            both.extend(same(&r.capabilities, &d.capabilities));
            if !both.is_empty() {
                out.push(Contradiction(format!(
                    "{} both allowed and blocked",
                    both.join(", ")
                )));
            }
        }
        out
    }
}

/// The JSON Schema of [`Intent`].
pub fn intent_schema() -> serde_json::Value {
    schemars::schema_for!(Intent).to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_round_trips_and_has_a_schema() {
        let json = serde_json::json!({
            "engine": "kubearmor",
            "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
            "domain": "file",
            "action": "allow",
            "resources": {"dirs": ["/var/www/"], "recursive": true, "readOnly": true,
                          "binaries": ["/usr/sbin/nginx"]},
            "rationale": "only serve static content"
        });
        let intent: Intent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(intent.engine, Some(Engine::KubeArmor));
        assert_eq!(serde_json::to_value(&intent).unwrap(), json);
        let schema = intent_schema();
        assert_eq!(schema["title"], "Intent");
        assert!(
            schema["required"]
                .as_array()
                .unwrap()
                .contains(&"scope".into())
        );
        let bad = serde_json::json!({"scope": {}, "domain": "file", "action": "allow", "oops": 1});
        assert!(serde_json::from_value::<Intent>(bad).is_err());
    }
}

#[cfg(test)]
mod gap_tests {
    use super::*;

    fn base(json: serde_json::Value) -> Intent {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_namespace_alone_is_not_a_scope() {
        let i = base(serde_json::json!({
            "scope": {"namespace": "shop"}, "domain": "file", "action": "block",
            "resources": {"paths": ["/etc/shadow"]}}));
        assert_eq!(i.gaps(), vec![IntentGap::Missing(WHICH_PODS.into())]);
        let all = base(serde_json::json!({
            "scope": {"namespace": "shop", "allPods": true}, "domain": "file", "action": "block",
            "resources": {"paths": ["/etc/shadow"]}}));
        assert!(all.gaps().is_empty());
    }

    #[test]
    fn version_two_fields_and_their_contradictions() {
        let ok = base(serde_json::json!({
            "version": 2, "scope": {"labels": {"app": "web"}, "namespace": "shop"},
            "domain": "network", "action": "allow", "direction": "egress",
            "resources": {"cidrs": ["10.0.0.0/8"], "exceptCidrs": ["10.1.0.0/16"],
                          "ports": [{"port": 8000, "endPort": 8100}],
                          "protocols": ["ICMP"], "entities": ["kube-apiserver"]}}));
        assert!(ok.gaps().is_empty(), "{:?}", ok.gaps());
        let mut bad = ok.clone();
        bad.resources.except_cidrs = vec!["192.168.0.0/16".into()];
        bad.resources.ports[0].end_port = Some(10);
        bad.resources.all = true;
        let gaps = bad.gaps();
        assert_eq!(gaps.len(), 3, "{gaps:?}");
        assert!(
            gaps.iter()
                .all(|g| matches!(g, IntentGap::Contradiction(_)))
        );
        let empty = base(serde_json::json!({
            "scope": {"labels": {"app": "web"}}, "domain": "network", "action": "block"}));
        assert!(
            matches!(&empty.gaps()[..], [IntentGap::Missing(m)] if m.starts_with("which traffic"))
        );
    }

    #[test]
    fn the_same_thing_allowed_and_denied_is_a_contradiction() {
        let clash = base(serde_json::json!({
            "scope": {"namespace": "shop", "labels": {"app": "web"}},
            "domain": "network", "action": "allow",
            "resources": {"ports": [{"port": 80}, {"port": 443}]},
            "deny": {"ports": [{"port": 80}]}}));
        assert!(
            matches!(&clash.gaps()[..], [IntentGap::Contradiction(m)] if m == "port 80 both allowed and blocked"),
            "{:?}",
            clash.gaps()
        );
        // Reads allowed, writes denied under the same directory: no clash.
        let rw = base(serde_json::json!({
            "scope": {"namespace": "shop", "labels": {"app": "web"}},
            "domain": "file", "action": "allow",
            "resources": {"dirs": ["/var/www/"], "recursive": true, "readOnly": true},
            "deny": {"dirs": ["/var/www/"], "recursive": true, "readOnly": true}}));
        assert!(rw.gaps().is_empty(), "{:?}", rw.gaps());
    }

    #[test]
    fn version_one_json_still_reads() {
        let v1 = include_str!("../../examples/intents/nginx-www.json");
        let i: Intent = serde_json::from_str(v1).unwrap();
        assert!(i.gaps().is_empty());
        assert_eq!(i.version, None);
    }
}
