//! Discovery: least-privilege allow-list policies per workload from what
//! the workloads were observed doing, with no intent at all.
//!
//! [`discover`] groups the observed events by workload ([`group`]: the
//! owning manifest's pod labels, else the pod's labels without per-pod
//! hashes; never pod names), collects each workload's allow-list
//! ([`AllowList`]: executables, file paths aggregated into directories by
//! [`paths::aggregate`], network peers by labels / namespace / CIDR / FQDN
//! with ports and protocols in both directions, socket protocols,
//! capabilities) and writes it for the chosen engines ([`render`]):
//!
//! | engine | policy |
//! |---|---|
//! | KubeArmor | `KubeArmorPolicy`, `action: Allow`: `process`, `file` (`readOnly` where only reads were seen), `network.matchProtocols`, `capabilities` |
//! | Tetragon | `TracingPolicyNamespaced`: `security_bprm_check` kills an exec of any binary not observed (`NotEqual` / `NotPrefix`) |
//! | Cilium | `CiliumNetworkPolicy`: `ingress`/`egress` by endpoints, entities, CIDRs, FQDNs, `toPorts`, `icmps` |
//! | Kubernetes | `NetworkPolicy`: `podSelector` / `namespaceSelector` / `ipBlock` peers, ports |
//! | Calico | `projectcalico.org/v3` `NetworkPolicy`: `Allow` rules with selectors, `nets`, ports |
//!
//! A flow between two workloads of the scope is an egress rule of one and
//! an ingress rule of the other (each end enforces). Events marked
//! `denied` by an operator are never allowed. Validation and replay of the
//! result need the validator and the simulator, which sit beside this crate:
//! `kubescribe_infer::discover` runs both. [`diff`] compares two
//! discoveries rule by rule.

pub mod diff;
pub mod group;
pub mod paths;
mod render;

/// Why discovery could not write a policy.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// Internal: the assembled policy does not fit the model (a bug).
    #[error("discovered policy does not fit the {kind} model: {message}")]
    Model {
        /// The kind.
        kind: String,
        /// serde's message.
        message: String,
    },
}

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use kubescribe_core::Policy;
use kubescribe_core::engine::Engine;
use kubescribe_events::{
    Direction, Event, EventKind, ProcessAction, SyscallKind, Validity, Workload,
};

pub use group::WorkloadId;
pub use paths::PathRule;

/// What to discover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// The engines to write policies for.
    pub engines: Vec<Engine>,
    /// A directory with more than this many distinct observed entries
    /// directly under it becomes one recursive directory rule; `None`
    /// keeps every path exact. discovery-engine's fixed value is 3.
    pub dir_threshold: Option<usize>,
    /// Only workloads of this namespace.
    pub namespace: Option<String>,
    /// Only workloads whose labels include these.
    pub selector: BTreeMap<String, String>,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            engines: vec![Engine::KubeArmor, Engine::Cilium],
            dir_threshold: Some(DEFAULT_DIR_THRESHOLD),
            namespace: None,
            selector: BTreeMap::new(),
        }
    }
}

/// discovery-engine's aggregation threshold (`Threshold = 3`).
pub const DEFAULT_DIR_THRESHOLD: usize = 3;

/// The other end of a flow, as a rule names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Peer {
    /// Pods of a workload, by labels and namespace.
    Pods {
        /// Its namespace.
        namespace: String,
        /// Its identity labels.
        labels: BTreeMap<String, String>,
        /// The workload's name (for reports).
        name: String,
    },
    /// A Cilium reserved identity (`host`, `remote-node`, `kube-apiserver`,
    /// `world` when no address is known, ...).
    Entity {
        /// Its name.
        name: String,
        /// The address it was seen at (`/32`, `/128`), for engines that
        /// name peers by address only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cidr: Option<String>,
    },
    /// An address outside the cluster's pods, with the DNS name it was
    /// reached by when known.
    External {
        /// `a.b.c.d/32` or `…/128`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cidr: Option<String>,
        /// The DNS name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fqdn: Option<String>,
    },
}

impl Peer {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Peer::Pods {
                namespace, name, ..
            } => format!("{namespace}/{name}"),
            Peer::Entity { name, .. } => format!("entity {name}"),
            Peer::External { cidr, fqdn } => match (fqdn, cidr) {
                (Some(f), _) => f.clone(),
                (None, Some(c)) => c.clone(),
                (None, None) => "(unknown)".into(),
            },
        }
    }
}

/// One observed connection, as an allow rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NetRule {
    /// The other end.
    pub peer: Peer,
    /// `TCP`, `UDP`, `SCTP`, `ICMP`, `ICMPv6`; `None` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The destination port (for ICMP, the type); `None` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// A file rule: a path rule and whether only reads were seen under it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileRule {
    /// The path or directory.
    #[serde(flatten)]
    pub rule: PathRule,
    /// Only reads were observed.
    pub read_only: bool,
}

/// What one workload was observed doing, as allow rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowList {
    /// Executables (absolute paths, aggregated like files).
    pub processes: Vec<PathRule>,
    /// Executables known by name only.
    pub exec_names: BTreeSet<String>,
    /// Files.
    pub files: Vec<FileRule>,
    /// Socket protocols (KubeArmor's `matchProtocols`, lower-case).
    pub protocols: BTreeSet<String>,
    /// Capabilities (lower-case, no `CAP_`).
    pub capabilities: BTreeSet<String>,
    /// Incoming connections.
    pub ingress: BTreeSet<NetRule>,
    /// Outgoing connections.
    pub egress: BTreeSet<NetRule>,
}

/// One workload's discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadDiscovery {
    /// The workload.
    pub workload: WorkloadId,
    /// Its allow-list.
    pub allow: AllowList,
    /// The indices (in the input) of the events it was derived from: its own
    /// events, and flows of other workloads whose peer it is.
    pub events: Vec<usize>,
    /// Its flows whose peer has no identity (no labels, no reserved
    /// identity): the network engines' rules are not derived from them
    /// (among `events` for the socket protocols only).
    pub peerless: Vec<usize>,
}

/// A policy written for a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveredPolicy {
    /// The workload.
    pub workload: WorkloadId,
    /// The engine.
    pub engine: Engine,
    /// The policy.
    pub policy: Policy,
}

/// The result of [`discover`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discovery {
    /// Per workload, in namespace and name order.
    pub workloads: Vec<WorkloadDiscovery>,
    /// Per workload and engine.
    pub policies: Vec<DiscoveredPolicy>,
    /// Events in scope that no rule was derived from, counted by reason.
    pub skipped: BTreeMap<String, u64>,
    /// What an engine could not express, per workload (`ns/name: engine: what`).
    pub notes: Vec<String>,
}

fn in_scope(ns: Option<&str>, labels: &BTreeMap<String, String>, o: &DiscoverOptions) -> bool {
    if let Some(want) = &o.namespace
        && ns != Some(want.as_str())
    {
        return false;
    }
    o.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn host_cidr(ip: &str) -> Option<String> {
    let addr: std::net::IpAddr = ip.parse().ok()?;
    Some(match addr {
        std::net::IpAddr::V4(_) => format!("{addr}/32"),
        std::net::IpAddr::V6(_) => format!("{addr}/128"),
    })
}

/// `TCP`, `UDP`, `SCTP`, `ICMP`, `ICMPv6`, or `None` for what no rule can
/// name by protocol.
pub(crate) fn protocol_name(p: &str) -> Option<&'static str> {
    Some(match p.to_ascii_uppercase().as_str() {
        "TCP" => "TCP",
        "UDP" => "UDP",
        "SCTP" => "SCTP",
        "ICMP" | "ICMPV4" => "ICMP",
        "ICMPV6" => "ICMPv6",
        _ => return None,
    })
}

struct Builder<'a> {
    workloads: &'a [Workload],
    options: &'a DiscoverOptions,
    by_id: BTreeMap<WorkloadId, (Raw, BTreeSet<usize>)>,
    skipped: BTreeMap<String, u64>,
}

/// Observations before aggregation.
#[derive(Default)]
struct Raw {
    binaries: BTreeSet<String>,
    /// Path → whether only reads were seen.
    files: BTreeMap<String, bool>,
    protocols: BTreeSet<String>,
    capabilities: BTreeSet<String>,
    ingress: BTreeSet<NetRule>,
    egress: BTreeSet<NetRule>,
    peerless: BTreeSet<usize>,
}

impl Builder<'_> {
    fn skip(&mut self, why: &str) {
        *self.skipped.entry(why.to_string()).or_default() += 1;
    }

    fn entry(&mut self, id: &WorkloadId, index: usize) -> &mut Raw {
        let e = self.by_id.entry(id.clone()).or_default();
        e.1.insert(index);
        &mut e.0
    }

    fn peer_of(&self, n: &kubescribe_events::NetworkEvent) -> (Option<Peer>, Option<WorkloadId>) {
        let external = || {
            let cidr = n.remote_ip.as_deref().and_then(host_cidr);
            let fqdn = n
                .dns_name
                .as_deref()
                .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
                .filter(|d| !d.is_empty());
            (cidr.is_some() || fqdn.is_some()).then_some(Peer::External { cidr, fqdn })
        };
        if let Some(p) = &n.peer {
            if let Some(reserved) = p.labels.keys().find_map(|k| k.strip_prefix("reserved:")) {
                let cidr = n.remote_ip.as_deref().and_then(host_cidr);
                if reserved == "world" {
                    return (
                        external().or(Some(Peer::Entity {
                            name: "world".into(),
                            cidr,
                        })),
                        None,
                    );
                }
                return (
                    Some(Peer::Entity {
                        name: reserved.to_string(),
                        cidr,
                    }),
                    None,
                );
            }
            if let Some(id) = group::resolve(
                p.namespace.as_deref(),
                p.pod.as_deref(),
                &p.labels,
                self.workloads,
            ) {
                return (
                    Some(Peer::Pods {
                        namespace: id.namespace.clone(),
                        labels: id.labels.clone(),
                        name: id.name.clone(),
                    }),
                    Some(id),
                );
            }
        }
        (external(), None)
    }

    fn add(&mut self, index: usize, event: &Event) {
        if event.validity == Validity::Denied {
            self.skip("marked denied by an operator (never allowed)");
            return;
        }
        let pod = &event.pod;
        if !in_scope(pod.namespace.as_deref(), &pod.labels, self.options) {
            // Out of scope, unless it is a flow whose peer is in scope.
            if let EventKind::Network(n) = &event.kind {
                self.add_peer_side(index, event, n);
            }
            return;
        }
        let Some(id) = group::resolve(
            pod.namespace.as_deref(),
            pod.pod.as_deref(),
            &pod.labels,
            self.workloads,
        ) else {
            self.skip("no namespace or pod labels (no selector could select its pod)");
            return;
        };
        match &event.kind {
            EventKind::Process(p) => {
                if p.action == ProcessAction::Exec {
                    let b = p.binary.clone();
                    self.entry(&id, index).binaries.insert(b);
                } else {
                    self.entry(&id, index);
                }
            }
            EventKind::File(f) => {
                let read = f.operation == kubescribe_events::FileOperation::Read;
                let raw = self.entry(&id, index);
                let e = raw.files.entry(f.path.clone()).or_insert(true);
                *e = *e && read;
            }
            EventKind::Syscall(s) => {
                if s.kind == SyscallKind::Capability {
                    let c = s
                        .name
                        .to_ascii_lowercase()
                        .trim_start_matches("cap_")
                        .to_string();
                    self.entry(&id, index).capabilities.insert(c);
                } else {
                    self.skip("syscall events (no allow-list is written for syscalls)");
                }
            }
            EventKind::Network(n) => {
                if let Some(p) = protocol_name(&n.protocol) {
                    let p = if p == "ICMPv6" { "icmpv6" } else { p };
                    self.entry(&id, index)
                        .protocols
                        .insert(p.to_ascii_lowercase());
                }
                let (peer, peer_id) = self.peer_of(n);
                let (port, own_dir) = match n.direction {
                    Direction::Egress => (n.remote_port, Direction::Egress),
                    Direction::Ingress => (n.local_port, Direction::Ingress),
                    Direction::Listen | Direction::Unknown => {
                        self.entry(&id, index);
                        return;
                    }
                };
                let protocol = protocol_name(&n.protocol).map(str::to_string);
                let peer = match peer {
                    Some(p) if n.peer.is_some() => p,
                    _ => {
                        // Whether the address is a pod's decides which
                        // rules apply (Cilium's CIDR rules never select
                        // pods): no network rule is derived from it.
                        self.entry(&id, index).peerless.insert(index);
                        self.skip(
                            "flows whose peer has no identity (labels or a reserved identity): no network rule derived",
                        );
                        return;
                    }
                };
                let rule = NetRule {
                    peer,
                    protocol: protocol.clone(),
                    port,
                };
                let raw = self.entry(&id, index);
                if own_dir == Direction::Egress {
                    raw.egress.insert(rule);
                } else {
                    raw.ingress.insert(rule);
                }
                // The peer's side, when it is a workload of the scope.
                if let Some(pid) = peer_id
                    && self.peer_in_scope(&pid)
                {
                    let back = NetRule {
                        peer: Peer::Pods {
                            namespace: id.namespace.clone(),
                            labels: id.labels.clone(),
                            name: id.name.clone(),
                        },
                        protocol,
                        port,
                    };
                    let raw = self.entry(&pid, index);
                    if own_dir == Direction::Egress {
                        raw.ingress.insert(back);
                    } else {
                        raw.egress.insert(back);
                    }
                }
            }
        }
    }

    fn peer_in_scope(&self, id: &WorkloadId) -> bool {
        in_scope(Some(&id.namespace), &id.labels, self.options)
    }

    /// A flow of an out-of-scope pod whose peer is in scope: a rule of the
    /// peer.
    fn add_peer_side(&mut self, index: usize, event: &Event, n: &kubescribe_events::NetworkEvent) {
        let (_, Some(pid)) = self.peer_of(n) else {
            return;
        };
        if !self.peer_in_scope(&pid) {
            return;
        }
        let pod = &event.pod;
        let Some(own) = group::resolve(
            pod.namespace.as_deref(),
            pod.pod.as_deref(),
            &pod.labels,
            self.workloads,
        ) else {
            return;
        };
        let (port, dir) = match n.direction {
            Direction::Egress => (n.remote_port, Direction::Ingress),
            Direction::Ingress => (n.local_port, Direction::Egress),
            _ => return,
        };
        let rule = NetRule {
            peer: Peer::Pods {
                namespace: own.namespace.clone(),
                labels: own.labels.clone(),
                name: own.name.clone(),
            },
            protocol: protocol_name(&n.protocol).map(str::to_string),
            port,
        };
        let raw = self.entry(&pid, index);
        if dir == Direction::Egress {
            raw.egress.insert(rule);
        } else {
            raw.ingress.insert(rule);
        }
    }
}

/// KubeArmor's `matchPaths` take at most 200 characters.
const MAX_PATH: usize = 200;

fn finish(
    raw: Raw,
    threshold: Option<usize>,
    notes: &mut Vec<String>,
    id: &WorkloadId,
) -> AllowList {
    let (abs, names): (Vec<&String>, Vec<&String>) =
        raw.binaries.iter().partition(|b| b.starts_with('/'));
    let processes = fit(
        paths::aggregate(abs.iter().map(|s| s.as_str()), threshold),
        notes,
        id,
    );
    let file_rules = fit(
        paths::aggregate(raw.files.keys().map(String::as_str), threshold),
        notes,
        id,
    );
    let relative = raw.files.keys().filter(|p| !p.starts_with('/')).count();
    if relative > 0 {
        notes.push(format!(
            "{}: {relative} relative file path(s) left out (a rule needs an absolute path)",
            id.display()
        ));
    }
    let files = file_rules
        .into_iter()
        .map(|rule| {
            let read_only = raw
                .files
                .iter()
                .filter(|(p, _)| paths::covers(&rule, p))
                .all(|(_, r)| *r);
            FileRule { rule, read_only }
        })
        .collect();
    AllowList {
        processes,
        exec_names: names.into_iter().cloned().collect(),
        files,
        protocols: raw.protocols,
        capabilities: raw.capabilities,
        ingress: raw.ingress,
        egress: raw.egress,
    }
}

/// Paths longer than KubeArmor accepts are allowed through their parent
/// directory (noted).
fn fit(rules: Vec<PathRule>, notes: &mut Vec<String>, id: &WorkloadId) -> Vec<PathRule> {
    let mut out: Vec<PathRule> = Vec::new();
    for r in rules {
        if r.path.len() <= MAX_PATH {
            out.push(r);
            continue;
        }
        let mut parent = r.path.trim_end_matches('/').to_string();
        while parent.len() + 1 > MAX_PATH {
            match parent.rfind('/') {
                Some(i) if i > 0 => parent.truncate(i),
                _ => break,
            }
        }
        if parent.len() + 1 > MAX_PATH || parent.is_empty() {
            notes.push(format!(
                "{}: path {:?} is too long for a rule; left out",
                id.display(),
                r.path
            ));
            continue;
        }
        notes.push(format!(
            "{}: path {:?} is longer than {MAX_PATH} characters; allowed through {parent}/",
            id.display(),
            r.path
        ));
        out.push(PathRule {
            path: format!("{parent}/"),
            dir: true,
            covers: r.covers,
        });
    }
    out.sort();
    out.dedup_by(|a, b| a.path == b.path);
    out
}

/// Discovers allow-list policies from `events` (indices in the result point
/// into it) and the store's `workloads` (manifests: owners and their pod
/// labels). Workloads with nothing an engine can express get no policy
/// for it.
pub fn discover(
    events: &[Event],
    workloads: &[Workload],
    options: &DiscoverOptions,
) -> Result<Discovery, DiscoverError> {
    let mut b = Builder {
        workloads,
        options,
        by_id: BTreeMap::new(),
        skipped: BTreeMap::new(),
    };
    for (i, e) in events.iter().enumerate() {
        b.add(i, e);
    }
    let skipped = std::mem::take(&mut b.skipped);
    let mut out = Discovery {
        skipped,
        ..Discovery::default()
    };
    for (id, (raw, indices)) in b.by_id {
        let peerless: Vec<usize> = raw.peerless.iter().copied().collect();
        let allow = finish(raw, options.dir_threshold, &mut out.notes, &id);
        out.workloads.push(WorkloadDiscovery {
            workload: id,
            allow,
            events: indices.into_iter().collect(),
            peerless,
        });
    }
    let mut names = render::Names::default();
    for w in &out.workloads {
        let id = &w.workload;
        let base = names.name_for(id);
        for &engine in &options.engines {
            let merged;
            let allow = if engine == Engine::Tetragon {
                merged = with_overlapping(w, &out.workloads, &mut out.notes);
                &merged
            } else {
                &w.allow
            };
            if let Some(policy) = render::render(engine, id, &base, allow, &mut out.notes)? {
                out.policies.push(DiscoveredPolicy {
                    workload: id.clone(),
                    engine,
                    policy,
                });
            }
        }
    }
    Ok(out)
}

/// Tetragon's allow-list is a kill of every other binary, so two policies
/// selecting one pod intersect rather than add up: a workload whose
/// selector also selects another workload's pods (its labels a subset of
/// theirs, same namespace) allows their executables too (noted).
fn with_overlapping(
    w: &WorkloadDiscovery,
    all: &[WorkloadDiscovery],
    notes: &mut Vec<String>,
) -> AllowList {
    let mut a = w.allow.clone();
    for other in all {
        let o = &other.workload;
        if o == &w.workload
            || o.namespace != w.workload.namespace
            || !w
                .workload
                .labels
                .iter()
                .all(|(k, v)| o.labels.get(k) == Some(v))
        {
            continue;
        }
        if other.allow.processes.is_empty() && other.allow.exec_names.is_empty() {
            continue;
        }
        notes.push(format!(
            "{}: tetragon: its selector also selects the pods of {}, so it allows their executables too (Tetragon policies on one pod intersect)",
            w.workload.display(),
            o.display()
        ));
        a.processes.extend(other.allow.processes.iter().cloned());
        a.exec_names.extend(other.allow.exec_names.iter().cloned());
    }
    a.processes.sort();
    a.processes.dedup_by(|x, y| x.path == y.path);
    a
}

#[cfg(test)]
mod tests;
