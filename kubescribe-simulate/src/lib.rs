//! # kubescribe-simulate
//!
//! Policy simulation: replay observed events against a set of policies and
//! see, per event and per rule, what would be allowed, audited or blocked —
//! a policy's blast radius before it is applied.
//!
//! [`Simulator::new`] compiles the policies once (Calico selectors are
//! parsed then; a bad one is a [`SimError`]); [`Simulator::decide`] gives
//! the [`Decision`] for one event and [`Simulator::run`] a [`Report`] for
//! many. [`simulate_event`] and [`simulate`] do both in one call.
//!
//! # Semantics
//!
//! * **Kubernetes NetworkPolicy** (L3/L4): a pod selected by a policy whose
//!   `policyTypes` (default: `Ingress`, plus `Egress` when egress rules are
//!   given) include a direction is default-deny in that direction; traffic
//!   is allowed when any rule of any such policy matches (union). Peers by
//!   `podSelector` (the policy's namespace), `namespaceSelector` (against
//!   the namespace's labels: from an [`Inventory`] of `Namespace` manifests,
//!   or the `io.cilium.k8s.namespace.labels.*` labels a Hubble flow carries;
//!   otherwise only the automatic `kubernetes.io/metadata.name` label is
//!   known), `ipBlock` with `except`; ports by number, `endPort`, protocol
//!   and name (a named port is the destination pod's container port of that
//!   name, from the [`Inventory`]'s workloads; unknown without them).
//! * **Cilium** (`CiliumNetworkPolicy`, `CiliumClusterwideNetworkPolicy`,
//!   `spec` and `specs`): the same allow-list union, entered when a
//!   selecting policy has `ingress`/`ingressDeny` (`egress`/`egressDeny`)
//!   rules and `enableDefaultDeny` does not turn it off; `ingressDeny` /
//!   `egressDeny` rules win over allows. Peers by `fromEndpoints` (confined
//!   to the policy's namespace unless the selector names one), entities
//!   (`world`, `cluster`, `all`, `host`, ...; from Hubble's `reserved:`
//!   labels), CIDRs (which never select pods), `toFQDNs` against the event's
//!   DNS name (or, for a flow seen by address only, the names earlier DNS
//!   answers in the store gave for it: [`Inventory::names_of`]); `toPorts` by port (named ports as above), range and
//!   protocol; `icmps` by family and type (a flow carries the type in its
//!   destination port); DNS rules (`rules.dns`) against the queried name,
//!   `matchPattern: "*"` admitting every name. Peers are matched on Cilium's
//!   identity labels as Hubble reports them (`io.cilium.k8s.policy.*`
//!   included). Other L7 rules, services, groups and CIDR groups need data
//!   events lack: unknown.
//! * **Calico** (`NetworkPolicy`, `GlobalNetworkPolicy`): policies applying
//!   to the endpoint are evaluated in tier order (tiers alphabetically,
//!   `default` last, as no `Tier` objects are given), then by `order`
//!   (unset last), then name; rules in order: `Allow` and `Deny` end the
//!   evaluation, `Pass` skips to the next tier, `Log` records (an event
//!   logged and then allowed is *audited*) and continues. A tier that has an
//!   applying policy but no verdict denies; an endpoint no policy applies to
//!   is allowed (profile). Selectors use Calico's expression grammar (a
//!   `namespaceSelector` the namespace's labels, as above)
//!   ([`Selector::eval`](kubescribe_core::selector::Selector::eval)). Staged kinds are not enforced and only
//!   noted.
//! * **KubeArmor** (file, process, network, capabilities; container, cluster
//!   and host policies; see [`kubearmor`]): `Block` wins; once an `Allow`
//!   rule exists for an operation kind, everything else of that kind in the
//!   container gets the default posture (block unless configured, or the
//!   namespace's `kubearmor-*-posture` annotation says, audit); `Audit`
//!   marks what is allowed as audited; `readOnly`/`ownerOnly`, ICMP and raw
//!   sockets and `net_raw` as the engine applies them.
//! * **Tetragon** (`TracingPolicy`, `TracingPolicyNamespaced`): kprobe,
//!   tracepoint and LSM hook selectors (`matchArgs`, `matchBinaries`, ...)
//!   on the calls Tetragon reported; `Sigkill`/`Override` block, `Post`
//!   audits, a call no selector matches is allowed (Tetragon only acts on
//!   matches). See the `tetragon` module's documentation.
//!
//! A network event is judged on the side of its own pod, and also on the
//! side of the peer when the peer is a known pod (both ends enforce). When
//! several engines govern an event, the strictest verdict wins
//! (block > unknown > not simulated > audit > allow). **Unknown** means an
//! event lacks data a rule needs (no peer labels for a pod selector, no port
//! for a port rule); **not simulated** that a policy which may govern it has
//! parts the simulator does not model (an AppArmor profile, a Tetragon
//! uprobe, a `KubeArmorNetworkPolicy`). Neither is ever counted as allowed.
//!
//! It holds the replay semantics only: the events and the store come from
//! `kubescribe-events`, the policy types from `kubescribe-core`.
//!
//! ```
//! use kubescribe_core::Policy;
//! use kubescribe_simulate::{SimOptions, Simulator};
//!
//! let doc = serde_json::json!({
//!     "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
//!     "metadata": {"name": "deny-all", "namespace": "shop"},
//!     "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}});
//! let policies = vec![Policy::from_value(doc).unwrap()];
//! let sim = Simulator::new(&policies, SimOptions::default()).unwrap();
//! let report = sim.run(&[]);
//! assert_eq!(report.totals.allowed, 0);
//! ```

mod calico;
mod cilium;
pub mod flow;
mod inventory;
pub mod kubearmor;
mod kubernetes;
mod tetragon;

/// Label selectors (Kubernetes/Cilium and Calico), shared with conversion
/// and validation; they live in `kubescribe-core`.
pub use kubescribe_core::selector;
pub use kubescribe_core::selector::tri;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use kubescribe_core::policy::Policy;
use kubescribe_events::{Direction, Event, EventKind};

pub use inventory::{CILIUM_NS_LABELS, Inventory, KnownService, namespace_labels_of};
pub use kubearmor::NamespacePosture;
pub use kubescribe_core::selector::{Selector, SelectorError};
pub use tri::Tri;

/// What would happen to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Let through silently.
    Allow,
    /// Let through and recorded.
    Audit,
    /// A policy that may govern the event has parts the simulator does not
    /// model (an AppArmor profile, Tetragon filters, a kind it does not
    /// simulate): its verdict is not known. Never counted as allowed.
    #[serde(rename = "not_simulated")]
    NotSimulated,
    /// The event lacks data a rule needs; it might be allowed or blocked.
    Unknown,
    /// Denied.
    Block,
}

impl Verdict {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Audit => "audit",
            Verdict::NotSimulated => "not simulated",
            Verdict::Unknown => "unknown",
            Verdict::Block => "block",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// KubeArmor's default posture: what happens to behaviour outside an
/// allow-list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Posture {
    /// Denied (KubeArmor's default).
    #[default]
    Block,
    /// Allowed and recorded.
    Audit,
}

/// Simulation settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimOptions {
    /// KubeArmor's default posture (file, process, network and
    /// capabilities alike) for containers.
    pub kubearmor_posture: Posture,
    /// Per namespace, the postures its `kubearmor-*-posture` annotations
    /// set ([`NamespacePosture::from_annotations`]); they win over
    /// `kubearmor_posture`.
    pub kubearmor_namespace_postures: BTreeMap<String, NamespacePosture>,
}

/// A policy of the simulated set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicyRef {
    /// Position in the slice given to the simulator.
    pub index: usize,
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl PolicyRef {
    fn of(index: usize, policy: &Policy) -> PolicyRef {
        PolicyRef {
            index,
            api_version: policy.kind().api_version().to_string(),
            kind: policy.kind().kind().to_string(),
            namespace: policy.namespace().map(str::to_string),
            name: policy.name().unwrap_or("(unnamed)").to_string(),
        }
    }
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The API group keeps Calico's and Kubernetes' `NetworkPolicy` apart.
        let group = self.api_version.split('/').next().unwrap_or("");
        match &self.namespace {
            Some(ns) => write!(f, "{group}/{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{group}/{} {}", self.kind, self.name),
        }
    }
}

/// The verdict on one event and what decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allow, audit, block or unknown.
    pub verdict: Verdict,
    /// The deciding policy (`None`: no policy governs the event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyRef>,
    /// JSON pointer of the deciding rule in that policy; for a default deny,
    /// the pointer of the rule list that had no match (`/spec/ingress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl Decision {
    fn ungoverned(reason: impl Into<String>) -> Decision {
        Decision {
            verdict: Verdict::Allow,
            policy: None,
            rule: None,
            reason: reason.into(),
        }
    }

    fn new(verdict: Verdict, policy: &PolicyRef, rule: String, reason: impl Into<String>) -> Self {
        Decision {
            verdict,
            policy: Some(policy.clone()),
            rule: Some(rule),
            reason: reason.into(),
        }
    }
}

/// Simulation failures: policy content the simulator cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// A Calico selector does not parse.
    #[error("{policy}: {pointer}: {source}")]
    Selector {
        /// The policy.
        policy: Box<PolicyRef>,
        /// JSON pointer of the selector.
        pointer: String,
        /// The parse error.
        source: Box<SelectorError>,
    },
}

/// A part of a policy the simulator does not model (and so cannot judge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The policy.
    pub policy: PolicyRef,
    /// JSON pointer of the part.
    pub pointer: String,
    /// What is not simulated.
    pub message: String,
}

/// Counts of verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Allowed.
    pub allowed: u64,
    /// Audited.
    pub audited: u64,
    /// Blocked.
    pub blocked: u64,
    /// Unknown.
    pub unknown: u64,
    /// Not simulated: a policy that may govern the event is not modelled.
    #[serde(default)]
    pub not_simulated: u64,
}

impl Counts {
    /// Adds `n` of a verdict.
    pub fn add(&mut self, v: Verdict, n: u64) {
        match v {
            Verdict::Allow => self.allowed += n,
            Verdict::Audit => self.audited += n,
            Verdict::Block => self.blocked += n,
            Verdict::Unknown => self.unknown += n,
            Verdict::NotSimulated => self.not_simulated += n,
        }
    }

    /// All counted.
    pub fn total(&self) -> u64 {
        self.allowed + self.audited + self.blocked + self.unknown + self.not_simulated
    }
}

/// Verdict counts of one deciding rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCounts {
    /// The policy (`None`: events no policy governs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyRef>,
    /// The rule's JSON pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Its verdicts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// The outcome of replaying events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// All verdicts.
    pub totals: Counts,
    /// Per deciding rule, in policy and pointer order: each engine's (and
    /// each flow end's) decision on an event counts for its rule, so one
    /// event can count for rules of several policies.
    pub rules: Vec<RuleCounts>,
    /// One decision per event, in input order.
    pub decisions: Vec<Decision>,
    /// Policy parts that were not simulated.
    pub notes: Vec<Note>,
    /// Defaults the API server fills in that changed a policy before it
    /// was simulated (`policyTypes: []` stored as `[Ingress]`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<Note>,
}

/// Compiled policies, ready to judge events.
pub struct Simulator {
    kubernetes: Vec<kubernetes::Compiled>,
    cilium: Vec<cilium::Compiled>,
    calico: calico::Set,
    kubearmor: kubearmor::Set,
    tetragon: tetragon::Set,
    /// Policies of kinds that are not simulated but govern events: each
    /// event they could govern is reported as not simulated.
    unmodelled: Vec<(PolicyRef, &'static str)>,
    notes: Vec<Note>,
    defaults: Vec<Note>,
    inventory: Inventory,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("kubernetes", &self.kubernetes.len())
            .field("cilium", &self.cilium.len())
            .field("calico", &self.calico.len())
            .field("kubearmor", &self.kubearmor.len())
            .field("tetragon", &self.tetragon.len())
            .field("notes", &self.notes)
            .finish()
    }
}

impl Simulator {
    /// Compiles policies. Kinds and parts the simulator does not model
    /// (`KubeArmorNetworkPolicy`, AppArmor profiles, Tetragon uprobes, ...)
    /// are listed in [`Simulator::notes`], and the events they could govern
    /// are reported as [`Verdict::NotSimulated`]. Staged Calico kinds are
    /// not enforced, so they change no verdict (noted).
    pub fn new(policies: &[Policy], options: SimOptions) -> Result<Simulator, SimError> {
        let mut sim = Simulator {
            kubernetes: Vec::new(),
            cilium: Vec::new(),
            calico: calico::Set::default(),
            kubearmor: kubearmor::Set::new(
                options.kubearmor_posture,
                options.kubearmor_namespace_postures.clone(),
            ),
            tetragon: tetragon::Set::default(),
            unmodelled: Vec::new(),
            defaults: Vec::new(),
            notes: Vec::new(),
            inventory: Inventory::new(),
        };
        for (i, given) in policies.iter().enumerate() {
            // As the API server stores it: its defaults first.
            let stored = defaulted(i, given, &mut sim.defaults);
            let p = stored.as_ref().unwrap_or(given);
            let r = PolicyRef::of(i, p);
            match p {
                Policy::NetworkPolicy(np) => {
                    sim.kubernetes
                        .push(kubernetes::Compiled::new(r, np, &mut sim.notes))
                }
                Policy::CiliumNetworkPolicy(c) => sim.cilium.push(cilium::Compiled::new(
                    r,
                    true,
                    c.spec.as_ref(),
                    c.specs.as_deref(),
                    &mut sim.notes,
                )),
                Policy::CiliumClusterwideNetworkPolicy(c) => {
                    sim.cilium.push(cilium::Compiled::new(
                        r,
                        false,
                        c.spec.as_ref(),
                        c.specs.as_deref(),
                        &mut sim.notes,
                    ))
                }
                Policy::CalicoNetworkPolicy(c) => {
                    let c = calico::Compiled::namespaced(r, c, &mut sim.notes)?;
                    sim.calico.push(c)
                }
                Policy::CalicoGlobalNetworkPolicy(c) => {
                    let c = calico::Compiled::global(r, c, &mut sim.notes)?;
                    sim.calico.push(c)
                }
                Policy::KubeArmorPolicy(k) => {
                    sim.kubearmor
                        .push(kubearmor::Compiled::new(r, k, &mut sim.notes))
                }
                Policy::KubeArmorClusterPolicy(k) => sim
                    .kubearmor
                    .push(kubearmor::Compiled::cluster(r, k, &mut sim.notes)),
                Policy::KubeArmorHostPolicy(k) => {
                    sim.kubearmor
                        .push(kubearmor::Compiled::host(r, k, &mut sim.notes))
                }
                Policy::TracingPolicy(t) => {
                    sim.tetragon
                        .push(tetragon::Compiled::cluster(r, t, &mut sim.notes))
                }
                Policy::TracingPolicyNamespaced(t) => sim
                    .tetragon
                    .push(tetragon::Compiled::namespaced(r, t, &mut sim.notes)),
                Policy::KubeArmorNetworkPolicy(_) => {
                    sim.notes.push(Note {
                        policy: r.clone(),
                        pointer: String::new(),
                        message: "KubeArmorNetworkPolicy policies are not simulated; the network events they could govern are reported as not simulated".into(),
                    });
                    sim.unmodelled.push((r, "KubeArmorNetworkPolicy"));
                }
                other => {
                    sim.notes.push(Note {
                        policy: r,
                        pointer: String::new(),
                        message: format!(
                            "{} policies are not simulated{}",
                            other.kind().kind(),
                            match other.kind().kind() {
                                k if k.starts_with("Staged") =>
                                    " (staged policies are not enforced)",
                                _ => "",
                            }
                        ),
                    });
                }
            }
        }
        sim.calico.finish(&mut sim.notes);
        Ok(sim)
    }

    /// Gives the simulator what is known of the cluster: namespace labels
    /// (for `namespaceSelector`s) and workloads' container ports (for named
    /// ports). Without it only the automatic `kubernetes.io/metadata.name`
    /// label of a namespace and the namespace labels a Hubble flow carries
    /// are known, and named ports are unknown.
    pub fn with_inventory(mut self, inventory: Inventory) -> Simulator {
        self.inventory = inventory;
        self
    }

    /// Policy parts that are not simulated.
    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// The API server's defaults that changed a policy before simulation
    /// ([`kubescribe_core::policy::defaults`]).
    pub fn defaults(&self) -> &[Note] {
        &self.defaults
    }

    /// The verdict on one event.
    pub fn decide(&self, event: &Event) -> Decision {
        self.judge(event).0
    }

    /// The verdict on one event, and the decision of each engine (and each
    /// end of a flow) that governs it.
    pub fn judge(&self, event: &Event) -> (Decision, Vec<Decision>) {
        let mut decisions: Vec<Decision> = Vec::new();
        if let EventKind::Network(n) = &event.kind {
            if let Some((mut flow, _)) = flow::Flow::from_event(event) {
                let peer = n.peer.as_ref();
                let local_ns = namespace_labels_of(&event.pod.labels);
                let remote_ns = peer.and_then(|p| namespace_labels_of(&p.labels));
                let inv = &self.inventory;
                let local_ports = inv.container_ports(
                    flow.local.namespace,
                    &event.pod.labels,
                    event.pod.pod.as_deref(),
                );
                let remote_ports = match peer {
                    Some(p) => {
                        inv.container_ports(flow.remote.namespace, &p.labels, p.pod.as_deref())
                    }
                    None => Vec::new(),
                };
                // Labels the flow carries win over the manifests'.
                let (lns, rns) = (flow.local.namespace, flow.remote.namespace);
                flow.local.ns_labels = local_ns
                    .as_ref()
                    .or_else(|| lns.and_then(|ns| inv.namespace_labels(ns)));
                flow.remote.ns_labels = remote_ns
                    .as_ref()
                    .or_else(|| rns.and_then(|ns| inv.namespace_labels(ns)));
                flow.local.container_ports = Some(&local_ports);
                flow.remote.container_ports = Some(&remote_ports);
                if flow.dns_name.is_none() {
                    flow.resolved_names = flow.remote.ip.and_then(|ip| inv.names_of(ip));
                }
                let sides = std::iter::once(flow).chain(flow.reversed());
                for (side, f) in sides.enumerate() {
                    let mut push = |d: Option<Decision>| {
                        if let Some(mut d) = d {
                            if side == 1 {
                                d.reason = format!("at the peer: {}", d.reason);
                            }
                            decisions.push(d);
                        }
                    };
                    push(kubernetes::decide(&self.kubernetes, &f));
                    push(cilium::decide(&self.cilium, &f, &self.inventory));
                    push(self.calico.decide(&f));
                }
            } else if matches!(n.direction, Direction::Unknown) && self.network_governs_somebody() {
                decisions.push(Decision {
                    verdict: Verdict::Unknown,
                    policy: None,
                    rule: None,
                    reason:
                        "the event's direction is unknown, so network policies cannot be applied"
                            .into(),
                });
            }
        }
        if let Some(d) = self.kubearmor.decide(event) {
            decisions.push(d);
        }
        if let Some(d) = self.tetragon.decide(event) {
            decisions.push(d);
        }
        for (r, kind) in &self.unmodelled {
            // KubeArmorNetworkPolicy (host network firewall): network events.
            if matches!(event.kind, EventKind::Network(_)) {
                decisions.push(Decision {
                    verdict: Verdict::NotSimulated,
                    policy: Some(r.clone()),
                    rule: None,
                    reason: format!("{kind} policies are not simulated"),
                });
            }
        }
        let fin = strictest(&decisions).unwrap_or_else(|| {
            Decision::ungoverned(match &event.kind {
                EventKind::Network(n) if n.direction == Direction::Listen => {
                    "listening on a port is not governed by network policies"
                }
                _ => "no policy governs this event",
            })
        });
        (fin, decisions)
    }

    fn network_governs_somebody(&self) -> bool {
        !self.kubernetes.is_empty() || !self.cilium.is_empty() || self.calico.len() > 0
    }

    /// Decisions for many events, with per-rule counts.
    pub fn run<'a, I>(&self, events: I) -> Report
    where
        I: IntoIterator<Item = &'a Event>,
    {
        self.run_weighted(events.into_iter().map(|e| (e, 1)))
    }

    /// Like [`Simulator::run`], each event counted `weight` times in the
    /// totals and rule counts (a stored row's observation count).
    pub fn run_weighted<'a, I>(&self, events: I) -> Report
    where
        I: IntoIterator<Item = (&'a Event, u64)>,
    {
        let mut report = Report {
            notes: self.notes.clone(),
            defaults: self.defaults.clone(),
            ..Report::default()
        };
        let mut per_rule: BTreeMap<(Option<PolicyRef>, Option<String>), Counts> = BTreeMap::new();
        for (e, w) in events {
            let (d, parts) = self.judge(e);
            report.totals.add(d.verdict, w);
            if parts.is_empty() {
                per_rule.entry((None, None)).or_default().add(d.verdict, w);
            }
            for p in parts {
                per_rule
                    .entry((p.policy, p.rule))
                    .or_default()
                    .add(p.verdict, w);
            }
            report.decisions.push(d);
        }
        report.rules = per_rule
            .into_iter()
            .map(|((policy, rule), counts)| RuleCounts {
                policy,
                rule,
                counts,
            })
            .collect();
        report
    }
}

/// The policy as the API server stores it, when its defaults change what
/// was given ([`kubescribe_core::policy::defaults`]); each change is noted.
fn defaulted(index: usize, p: &Policy, out: &mut Vec<Note>) -> Option<Policy> {
    use kubescribe_core::PolicyKind;
    if !matches!(
        p.kind(),
        PolicyKind::NetworkPolicy
            | PolicyKind::CalicoNetworkPolicy
            | PolicyKind::CalicoGlobalNetworkPolicy
    ) {
        return None;
    }
    let mut v = p.to_value().ok()?;
    let changes = kubescribe_core::policy::defaults::apply(&mut v);
    if changes.is_empty() {
        return None;
    }
    let stored = Policy::from_value_as(p.kind(), v).ok()?;
    let r = PolicyRef::of(index, p);
    out.extend(changes.into_iter().map(|c| Note {
        policy: r.clone(),
        pointer: c.pointer.clone(),
        message: format!("API-server default: {c}"),
    }));
    Some(stored)
}

/// The strictest of several decisions (block > unknown > not simulated >
/// audit > allow);
/// among equals, the first.
fn strictest(decisions: &[Decision]) -> Option<Decision> {
    let mut best: Option<&Decision> = None;
    for d in decisions {
        if best.is_none_or(|b| d.verdict > b.verdict) {
            best = Some(d);
        }
    }
    best.cloned()
}

/// The verdict on one event under a set of policies.
pub fn simulate_event(policies: &[Policy], event: &Event) -> Result<Decision, SimError> {
    Ok(Simulator::new(policies, SimOptions::default())?.decide(event))
}

/// Replays events against a set of policies.
pub fn simulate<'a, I>(policies: &[Policy], events: I) -> Result<Report, SimError>
where
    I: IntoIterator<Item = &'a Event>,
{
    Ok(Simulator::new(policies, SimOptions::default())?.run(events))
}

/// Turns an allow-list evaluation into a decision: `governed` says whether
/// some policy puts the endpoint into default deny for the direction;
/// `allowed` whether some rule allows the flow, with the allowing rule.
pub(crate) struct AllowList<'p> {
    pub governed: Tri,
    pub first_governing: Option<(&'p PolicyRef, String)>,
    pub allowed: Tri,
    pub first_allowing: Option<(&'p PolicyRef, String)>,
    pub first_maybe: Option<(&'p PolicyRef, String)>,
}

impl<'p> AllowList<'p> {
    pub fn new() -> Self {
        AllowList {
            governed: Tri::No,
            first_governing: None,
            allowed: Tri::No,
            first_allowing: None,
            first_maybe: None,
        }
    }

    /// Records a policy that selects the endpoint (`applies`) and whether one
    /// of its rules (at `rule`) matches the flow.
    pub fn policy(&mut self, p: &'p PolicyRef, applies: Tri, list_ptr: &str) {
        if self.first_governing.is_none() && !applies.is_no() {
            self.first_governing = Some((p, list_ptr.to_string()));
        }
        if let (Tri::Maybe(_), None) = (&applies, &self.first_maybe) {
            self.first_maybe = Some((p, list_ptr.to_string()));
        }
        self.governed = std::mem::replace(&mut self.governed, Tri::No).or(|| applies);
    }

    /// Records a rule of a policy that applies (`applies`) and whether it matches.
    pub fn rule(&mut self, p: &'p PolicyRef, applies: &Tri, matched: Tri, ptr: String) {
        let hit = applies.clone().and(|| matched);
        match &hit {
            Tri::Yes if self.first_allowing.is_none() => self.first_allowing = Some((p, ptr)),
            Tri::Maybe(_) if self.first_maybe.is_none() => self.first_maybe = Some((p, ptr)),
            _ => {}
        }
        self.allowed = std::mem::replace(&mut self.allowed, Tri::No).or(|| hit);
    }

    /// The decision; `None` when no policy governs the direction.
    pub fn decide(self, way: &str) -> Option<Decision> {
        if self.governed.is_no() {
            return None;
        }
        let result = self.governed.clone().negate().or(|| self.allowed.clone());
        Some(match result {
            Tri::Yes => match self.first_allowing {
                Some((p, ptr)) => {
                    Decision::new(Verdict::Allow, p, ptr, format!("allowed by an {way} rule"))
                }
                None => Decision::ungoverned(format!("no policy governs {way} of this pod")),
            },
            Tri::No => {
                let (p, ptr) = self.first_governing?;
                Decision::new(
                    Verdict::Block,
                    p,
                    ptr,
                    format!(
                        "default deny: the pod is selected for {way} and no {way} rule allows this flow"
                    ),
                )
            }
            Tri::Maybe(why) => {
                // Undecided implies some policy was recorded.
                let (p, ptr) = self.first_maybe.or(self.first_governing)?;
                Decision::new(Verdict::Unknown, p, ptr, why)
            }
        })
    }
}

#[cfg(test)]
mod tests;
