//! KubeArmor: file, process, network and capability rules with Allow /
//! Audit / Block actions and the default posture, as KubeArmor's enforcer
//! applies them (its e2e scenarios, `tests/k8s_env/scenarios/*/cmd*`, are
//! the reference: `tests/kubearmor_e2e.rs`).
//!
//! * A rule's action is its own, else its section's, else the policy's
//!   (`Block` when none is given).
//! * `matchPaths` match exactly (a process rule's `execname` by base name),
//!   `matchDirectories` a directory's files (and, `recursive`, everything
//!   below), `matchPatterns` a glob (`*` within one path segment, `**`
//!   across, `?` one character).
//! * `fromSource` restricts a rule to events of the named processes (a path
//!   ending in `/` names a directory); events without a process are unknown.
//! * `readOnly` and `ownerOnly` narrow what the rule permits: reads only,
//!   by the file's owner only. An `Allow` rule allows just that; a `Block`
//!   or `Audit` rule acts on everything else on its paths, so `ownerOnly` +
//!   `readOnly` under Block blocks writes by anyone and reads by
//!   non-owners. Opens of unknown mode, and events that do not say whether
//!   the user owns the file, are unknown.
//! * `protocol: icmp` matches ICMP sockets (ping), `raw` raw sockets; the
//!   `net_raw` capability covers raw sockets too. Whether an ICMP socket is
//!   raw is not recorded, so `raw` and `net_raw` rules on ICMP are unknown.
//! * `Block` wins. Once a selecting policy has an `Allow` rule for an
//!   operation kind (file and process, network, capabilities), whatever no
//!   Allow rule allows in that kind gets the default posture — for every
//!   process of the container, whatever the Allow rules' `fromSource`
//!   names. The posture is block unless configured (or, per namespace, the
//!   `kubearmor-file-posture` / `kubearmor-network-posture` /
//!   `kubearmor-capabilities-posture` annotations) says audit. `Audit`
//!   rules, and an audit posture, make what is allowed *audited*.
//! * `KubeArmorHostPolicy` selects host events (no pod) by the node's
//!   `kubernetes.io/hostname` (other node labels are unknown); host
//!   allow-lists get KubeArmor's host default posture, audit.
//! * Not simulated, and reported so for the events they could govern:
//!   AppArmor profiles (`apparmor`), `syscalls` rules, `presets`,
//!   `device` rules and `allowedArgs`.

use std::collections::BTreeMap;

use kubescribe_core::glob::{Dialect, Glob};

use kubescribe_core::policy::kubearmor::{
    Action, KubeArmorClusterPolicy,
    KubeArmorClusterPolicySpecSelectorMatchExpressionKey as ClusterKey, KubeArmorHostPolicy,
    KubeArmorPolicy, Operator, Selector,
};
use kubescribe_events::{Event, EventKind, FileOperation, ProcessAction, SyscallKind};

use super::flow::normalize_protocol;
use super::selector::LabelView;
use super::tri::Tri;
use super::{Decision, Note, PolicyRef, Posture, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domain {
    File,
    Process,
    Network,
    Capability,
    /// Syscall events (`syscalls` rules, not simulated).
    Syscall,
}

impl Domain {
    fn name(self) -> &'static str {
        match self {
            Domain::File => "file",
            Domain::Process => "process",
            Domain::Network => "network",
            Domain::Capability => "capabilities",
            Domain::Syscall => "syscalls",
        }
    }

    /// The posture kind KubeArmor configures: process shares the file posture.
    fn posture_kind(self) -> PostureKind {
        match self {
            Domain::File | Domain::Process | Domain::Syscall => PostureKind::File,
            Domain::Network => PostureKind::Network,
            Domain::Capability => PostureKind::Capabilities,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PostureKind {
    File,
    Network,
    Capabilities,
}

/// KubeArmor's default postures of one namespace, from its annotations
/// (`kubearmor-file-posture`, `kubearmor-network-posture`,
/// `kubearmor-capabilities-posture`: `audit` or `block`); `None` keeps the
/// simulator's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NamespacePosture {
    /// File and process operations.
    pub file: Option<Posture>,
    /// Network operations.
    pub network: Option<Posture>,
    /// Capabilities.
    pub capabilities: Option<Posture>,
}

impl NamespacePosture {
    /// Reads a namespace's annotations; other values than `audit` and
    /// `block` (KubeArmor also knows `allow`, which it treats like audit
    /// without the alert) leave that kind to the default.
    pub fn from_annotations(annotations: &BTreeMap<String, String>) -> NamespacePosture {
        let get = |k: &str| match annotations.get(k).map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if v == "block" => Some(Posture::Block),
            Some(v) if v == "audit" || v == "allow" => Some(Posture::Audit),
            _ => None,
        };
        NamespacePosture {
            file: get("kubearmor-file-posture"),
            network: get("kubearmor-network-posture"),
            capabilities: get("kubearmor-capabilities-posture"),
        }
    }

    fn get(&self, kind: PostureKind) -> Option<Posture> {
        match kind {
            PostureKind::File => self.file,
            PostureKind::Network => self.network,
            PostureKind::Capabilities => self.capabilities,
        }
    }
}

enum Matcher {
    Path(String),
    ExecName(String),
    Dir { dir: String, recursive: bool },
    Pattern(String),
    Protocol(String),
    Dns(String),
    Capability(String),
}

struct Rule {
    ptr: String,
    domain: Domain,
    action: Action,
    matcher: Matcher,
    from_source: Vec<String>,
    read_only: bool,
    owner_only: bool,
    /// A part of the rule that is not simulated (`allowedArgs`).
    unsupported: Option<String>,
}

/// A part of a policy that is not simulated, and the kinds of operation it
/// governs.
struct Unsimulated {
    ptr: String,
    domains: &'static [Domain],
    what: String,
}

enum Scope {
    /// `KubeArmorPolicy`: a namespace and a label selector.
    Namespaced {
        namespace: String,
        selector: Selector,
    },
    /// `KubeArmorClusterPolicy`: namespace and label expressions.
    Cluster(Vec<(ClusterKey, Operator, Vec<String>)>),
    /// `KubeArmorHostPolicy`: node labels.
    Host(BTreeMap<String, String>),
}

pub(crate) struct Compiled {
    r: PolicyRef,
    scope: Scope,
    rules: Vec<Rule>,
    unsimulated: Vec<Unsimulated>,
}

const ALL: &[Domain] = &[
    Domain::File,
    Domain::Process,
    Domain::Network,
    Domain::Capability,
    Domain::Syscall,
];

/// Collects rules from the JSON form of a spec: the four sections share
/// their shape across policy kinds, so one walk serves all three.
fn collect(spec: &serde_json::Value) -> (Vec<Rule>, Vec<Unsimulated>) {
    use serde_json::Value;
    let action_of = |v: &Value| -> Option<Action> {
        match v.get("action").and_then(Value::as_str) {
            Some("Allow") => Some(Action::Allow),
            Some("Audit") => Some(Action::Audit),
            Some("Block") => Some(Action::Block),
            _ => None,
        }
    };
    let spec_action = action_of(spec).unwrap_or(Action::Block);
    let mut out = Vec::new();
    let mut unsimulated = Vec::new();
    let sections = [
        ("file", Domain::File),
        ("process", Domain::Process),
        ("network", Domain::Network),
        ("capabilities", Domain::Capability),
    ];
    for (key, domain) in sections {
        let Some(sec) = spec.get(key) else { continue };
        let sec_action = action_of(sec).unwrap_or(spec_action);
        let lists = [
            "matchPaths",
            "matchDirectories",
            "matchPatterns",
            "matchProtocols",
            "matchDNSQueries",
            "matchCapabilities",
        ];
        for list in lists {
            for (i, item) in sec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let s = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
                let b = |k: &str| item.get(k).and_then(Value::as_bool).unwrap_or(false);
                let matcher = match list {
                    "matchPaths" => match (s("path"), s("execname")) {
                        (Some(p), _) => Matcher::Path(p),
                        (None, Some(e)) => Matcher::ExecName(e),
                        (None, None) => continue,
                    },
                    "matchDirectories" => match s("dir") {
                        Some(dir) => Matcher::Dir {
                            dir,
                            recursive: b("recursive"),
                        },
                        None => continue,
                    },
                    "matchPatterns" => match s("pattern") {
                        Some(p) => Matcher::Pattern(p),
                        None => continue,
                    },
                    "matchProtocols" => match s("protocol") {
                        Some(p) => Matcher::Protocol(p),
                        None => continue,
                    },
                    "matchDNSQueries" => match s("domain") {
                        Some(p) => Matcher::Dns(p),
                        None => continue,
                    },
                    _ => match s("capability") {
                        Some(c) => Matcher::Capability(normalize_cap(&c)),
                        None => continue,
                    },
                };
                let from_source: Vec<String> = item
                    .get("fromSource")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.get("path").or_else(|| f.get("dir")))
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                out.push(Rule {
                    ptr: format!("/spec/{key}/{list}/{i}"),
                    domain,
                    action: action_of(item).unwrap_or(sec_action),
                    matcher,
                    from_source,
                    read_only: b("readOnly"),
                    owner_only: b("ownerOnly"),
                    unsupported: item.get("allowedArgs").map(|_| {
                        "allowedArgs (the arguments a binary may run with) is not simulated".into()
                    }),
                });
            }
        }
    }
    let parts: [(&str, &'static [Domain], &str); 4] = [
        (
            "syscalls",
            &[Domain::Syscall],
            "syscall rules are not simulated",
        ),
        ("presets", ALL, "presets are not simulated"),
        (
            "apparmor",
            ALL,
            "the AppArmor profile (apparmor) is not simulated",
        ),
        ("device", &[Domain::File], "device rules are not simulated"),
    ];
    for (key, domains, what) in parts {
        if spec.get(key).is_some() {
            unsimulated.push(Unsimulated {
                ptr: format!("/spec/{key}"),
                domains,
                what: what.to_string(),
            });
        }
    }
    (out, unsimulated)
}

/// `CAP_NET_RAW`, `net_raw` → `net_raw`.
fn normalize_cap(c: &str) -> String {
    let c = c.trim().to_ascii_lowercase();
    c.strip_prefix("cap_").unwrap_or(&c).to_string()
}

fn note_unsimulated(r: &PolicyRef, unsimulated: &[Unsimulated], notes: &mut Vec<Note>) {
    for u in unsimulated {
        notes.push(Note {
            policy: r.clone(),
            pointer: u.ptr.clone(),
            message: format!(
                "{}; events it could govern are reported as not simulated",
                u.what
            ),
        });
    }
}

impl Compiled {
    fn build(r: PolicyRef, scope: Scope, spec: serde_json::Value, notes: &mut Vec<Note>) -> Self {
        let (rules, unsimulated) = collect(&spec);
        note_unsimulated(&r, &unsimulated, notes);
        for rule in &rules {
            if let Some(u) = &rule.unsupported {
                notes.push(Note {
                    policy: r.clone(),
                    pointer: format!("{}/allowedArgs", rule.ptr),
                    message: format!("{u}; events of the binary are reported as not simulated"),
                });
            }
        }
        Compiled {
            r,
            scope,
            rules,
            unsimulated,
        }
    }

    pub fn new(r: PolicyRef, p: &KubeArmorPolicy, notes: &mut Vec<Note>) -> Compiled {
        let spec = serde_json::to_value(&p.spec).unwrap_or_default();
        let namespace = r.namespace.clone().unwrap_or_else(|| {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/metadata/namespace".into(),
                message: "no namespace given; simulated as namespace `default`".into(),
            });
            "default".into()
        });
        let scope = Scope::Namespaced {
            namespace,
            selector: p
                .spec
                .as_ref()
                .and_then(|s| s.selector.clone())
                .unwrap_or_default(),
        };
        Compiled::build(r, scope, spec, notes)
    }

    pub fn cluster(r: PolicyRef, p: &KubeArmorClusterPolicy, notes: &mut Vec<Note>) -> Compiled {
        let spec = serde_json::to_value(&p.spec).unwrap_or_default();
        let exprs = p
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .and_then(|s| s.match_expressions.clone())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| Some((e.key?, e.operator?, e.values.unwrap_or_default())))
            .collect();
        Compiled::build(r, Scope::Cluster(exprs), spec, notes)
    }

    pub fn host(r: PolicyRef, p: &KubeArmorHostPolicy, notes: &mut Vec<Note>) -> Compiled {
        let spec = serde_json::to_value(&p.spec).unwrap_or_default();
        let labels: BTreeMap<String, String> = spec
            .pointer("/nodeSelector/matchLabels")
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default();
        if spec.pointer("/nodeSelector/matchExpressions").is_some() {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/spec/nodeSelector/matchExpressions".into(),
                message: "node label expressions are not simulated; the policy is taken to select no node".into(),
            });
        }
        Compiled::build(r, Scope::Host(labels), spec, notes)
    }

    fn is_host(&self) -> bool {
        matches!(self.scope, Scope::Host(_))
    }

    fn selects(&self, event: &Event) -> Tri {
        let pod = LabelView::pod(&event.pod.labels, event.pod.namespace.as_deref());
        let ns = event.pod.namespace.as_deref();
        if is_host_event(event) != self.is_host() {
            return Tri::No;
        }
        let in_ns = |want: &str| match ns {
            Some(n) => Tri::from_bool(n == want),
            None => Tri::maybe("the event does not carry the pod's namespace"),
        };
        let label_in = |values: &[String]| {
            Tri::any(values.iter().map(|kv| match kv.split_once('=') {
                Some((k, v)) => pod.equals(k, v),
                None => pod.has(kv),
            }))
        };
        match &self.scope {
            Scope::Namespaced {
                namespace,
                selector,
            } => in_ns(namespace)
                .and(|| {
                    pod.match_labels(
                        selector
                            .match_labels
                            .iter()
                            .flatten()
                            .map(|(k, v)| (k.as_str(), v.as_str())),
                    )
                })
                .and(|| {
                    Tri::all(selector.match_expressions.iter().flatten().map(|e| {
                        let values = e.values.as_deref().unwrap_or(&[]);
                        match e.operator {
                            Some(Operator::NotIn) => label_in(values).negate(),
                            _ => label_in(values),
                        }
                    }))
                }),
            Scope::Cluster(exprs) => Tri::all(exprs.iter().map(|(key, op, values)| {
                let hit = match key {
                    ClusterKey::Namespace => Tri::any(values.iter().map(|v| in_ns(v))),
                    ClusterKey::Label => label_in(values),
                };
                match op {
                    Operator::In => hit,
                    Operator::NotIn => hit.negate(),
                }
            })),
            Scope::Host(labels) => Tri::all(labels.iter().map(|(k, v)| {
                match (k.as_str(), event.pod.node.as_deref()) {
                    ("kubernetes.io/hostname", Some(node)) => Tri::from_bool(node == v),
                    ("kubernetes.io/hostname", None) => {
                        Tri::maybe("the host event does not carry the node name")
                    }
                    _ => Tri::maybe(format!(
                        "the node label `{k}` is not known (only kubernetes.io/hostname is)"
                    )),
                }
            })),
        }
    }
}

/// An event of the host itself (KubeArmor's host logs): no namespace, pod
/// or container, a node.
fn is_host_event(event: &Event) -> bool {
    let p = &event.pod;
    p.namespace.is_none() && p.pod.is_none() && p.container.is_none() && p.node.is_some()
}

/// What an event presents to KubeArmor's rules.
struct Subject<'a> {
    domain: Domain,
    target: &'a str,
    op: Option<FileOperation>,
    source: Option<&'a str>,
    dns: Option<&'a str>,
    by_owner: Option<bool>,
    /// Why a rule's match is only possible (set for the `net_raw` view of
    /// an ICMP socket, which may or may not be raw).
    only_maybe: Option<&'static str>,
}

const ICMP_RAW: &str =
    "the event does not say whether the ICMP socket is a raw one (raw and net_raw rules)";

/// The subjects an event presents: one, plus the `net_raw` capability for
/// a raw (or possibly raw ICMP) socket.
fn subjects(event: &Event) -> Vec<Subject<'_>> {
    let one = |domain, target, source| Subject {
        domain,
        target,
        op: None,
        source,
        dns: None,
        by_owner: None,
        only_maybe: None,
    };
    match &event.kind {
        EventKind::File(f) => vec![Subject {
            op: Some(f.operation),
            by_owner: f.by_owner,
            ..one(Domain::File, &f.path, f.process.as_deref())
        }],
        EventKind::Process(p) if p.action == ProcessAction::Exec => vec![Subject {
            by_owner: p.by_owner,
            ..one(Domain::Process, &p.binary, p.parent.as_deref())
        }],
        EventKind::Process(_) => Vec::new(),
        EventKind::Network(n) => {
            if n.protocol.eq_ignore_ascii_case("unix") {
                return Vec::new();
            }
            let source = n.process.as_deref();
            let mut out = vec![Subject {
                dns: n.dns_name.as_deref(),
                ..one(Domain::Network, &n.protocol, source)
            }];
            let proto = n.protocol.to_ascii_uppercase();
            if proto == "RAW" {
                out.push(one(Domain::Capability, "net_raw", source));
            } else if proto.starts_with("ICMP") {
                out.push(Subject {
                    only_maybe: Some(ICMP_RAW),
                    ..one(Domain::Capability, "net_raw", source)
                });
            }
            out
        }
        EventKind::Syscall(s) if s.kind == SyscallKind::Capability => {
            vec![one(Domain::Capability, &s.name, s.process.as_deref())]
        }
        EventKind::Syscall(s) => vec![one(Domain::Syscall, &s.name, s.process.as_deref())],
    }
}

fn base_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// A path against a directory (`/etc/` with or without the slash).
fn in_dir(path: &str, dir: &str, recursive: bool) -> bool {
    let dir = if dir.ends_with('/') {
        dir.to_string()
    } else {
        format!("{dir}/")
    };
    match path.strip_prefix(dir.as_str()) {
        Some(rest) => !rest.is_empty() && (recursive || !rest.contains('/')),
        None => false,
    }
}

/// A path of a process that may be a bare name (`bash`) when the source
/// gives no path.
fn path_eq(observed: &str, want: &str) -> Tri {
    if observed == want {
        Tri::Yes
    } else if !observed.contains('/') && base_name(want) == observed {
        Tri::maybe(format!(
            "the event names the program `{observed}` without its path"
        ))
    } else {
        Tri::No
    }
}

/// KubeArmor's glob: `*` within one segment, `**` across, `?` one character.
/// Linear time ([`kubescribe_core::glob`]); a pattern over the length limit
/// matches nothing (the simulator reports such a rule as not decided).
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    glob_tri(pattern, text) == Tri::Yes
}

/// [`glob_matches`] as a verdict: a pattern over
/// [`GLOB_MAX_PATTERN_BYTES`](kubescribe_core::limits::GLOB_MAX_PATTERN_BYTES) (or a path over
/// [`GLOB_MAX_TEXT_BYTES`](kubescribe_core::limits::GLOB_MAX_TEXT_BYTES))
/// is not simulated (unknown, with the limit's message).
fn glob_tri(pattern: &str, text: &str) -> Tri {
    match Glob::new(pattern, Dialect::KubeArmor).and_then(|g| g.try_matches(text)) {
        Ok(m) => Tri::from_bool(m),
        Err(e) => Tri::maybe(format!("matchPatterns: {e}")),
    }
}

fn dns_matches(pattern: &str, name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    match p.strip_prefix("*.") {
        Some(suffix) => name.ends_with(&format!(".{suffix}")),
        None => p == name,
    }
}

impl Rule {
    fn target(&self, s: &Subject<'_>) -> Tri {
        let t = match &self.matcher {
            Matcher::Path(p) if s.domain == Domain::Process => path_eq(s.target, p),
            Matcher::Path(p) => Tri::from_bool(s.target == p),
            Matcher::ExecName(e) => Tri::from_bool(base_name(s.target) == e),
            Matcher::Dir { dir, recursive } => {
                if s.domain == Domain::Process && !s.target.contains('/') {
                    Tri::maybe(format!(
                        "the event names the program `{}` without its path",
                        s.target
                    ))
                } else {
                    Tri::from_bool(in_dir(s.target, dir, *recursive))
                }
            }
            Matcher::Pattern(p) => glob_tri(p, s.target),
            Matcher::Protocol(p) => {
                let want = p.trim().to_ascii_uppercase();
                let got = s.target.trim().to_ascii_uppercase();
                match normalize_protocol(s.target) {
                    Some("?") => Tri::maybe("the event does not carry the protocol"),
                    _ if want == "RAW" && got == "RAW" => Tri::Yes,
                    _ if want == "RAW" && got.starts_with("ICMP") => Tri::maybe(ICMP_RAW),
                    got => Tri::from_bool(got == normalize_protocol(p)),
                }
            }
            Matcher::Dns(d) => match s.dns {
                Some(n) => Tri::from_bool(dns_matches(d, n)),
                None => Tri::No,
            },
            Matcher::Capability(c) => Tri::from_bool(normalize_cap(s.target) == *c),
        };
        match (t, s.only_maybe) {
            (Tri::Yes, Some(why)) => Tri::maybe(why),
            (t, _) => t,
        }
    }

    fn source(&self, s: &Subject<'_>) -> Tri {
        if self.from_source.is_empty() {
            return Tri::Yes;
        }
        let Some(src) = s.source else {
            return Tri::maybe("fromSource needs the process, which the event lacks");
        };
        Tri::any(self.from_source.iter().map(|f| {
            if f.ends_with('/') {
                Tri::from_bool(in_dir(src, f, true))
            } else {
                path_eq(src, f)
            }
        }))
    }

    /// Whether the operation is one the rule permits by `readOnly` /
    /// `ownerOnly` (a read, by the owner); `Yes` when it has neither.
    fn permitted(&self, s: &Subject<'_>) -> Tri {
        let mut t = Tri::Yes;
        if self.read_only
            && let Some(op) = s.op
        {
            t = match op {
                FileOperation::Read | FileOperation::Exec => Tri::Yes,
                FileOperation::Write => Tri::No,
                FileOperation::Open => {
                    Tri::maybe("readOnly needs the open mode, which the event lacks")
                }
            };
        }
        if self.owner_only {
            t = t.and(|| match s.by_owner {
                Some(b) => Tri::from_bool(b),
                None => Tri::maybe(
                    "ownerOnly needs whether the user owns the file, which the event does not say",
                ),
            });
        }
        t
    }

    /// Whether the rule's action applies: an Allow rule to what it permits,
    /// a Block or Audit rule to the rest (all of it without
    /// `readOnly`/`ownerOnly`).
    fn matches(&self, s: &Subject<'_>) -> Tri {
        self.target(s).and(|| self.source(s)).and(|| {
            match (self.action, self.read_only || self.owner_only) {
                (Action::Allow, _) => self.permitted(s),
                (_, false) => Tri::Yes,
                (_, true) => self.permitted(s).negate(),
            }
        })
    }
}

/// KubeArmor policies with the posture.
pub(crate) struct Set {
    policies: Vec<Compiled>,
    posture: Posture,
    namespaces: BTreeMap<String, NamespacePosture>,
}

type At<'p> = Option<(&'p PolicyRef, String)>;

impl Set {
    pub fn new(posture: Posture, namespaces: BTreeMap<String, NamespacePosture>) -> Set {
        Set {
            policies: Vec::new(),
            posture,
            namespaces,
        }
    }

    pub fn push(&mut self, c: Compiled) {
        self.policies.push(c);
    }

    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// The default posture for an event's operation kind.
    fn posture(&self, event: &Event, kind: PostureKind) -> Posture {
        if is_host_event(event) {
            return Posture::Audit;
        }
        event
            .pod
            .namespace
            .as_ref()
            .and_then(|ns| self.namespaces.get(ns))
            .and_then(|p| p.get(kind))
            .unwrap_or(self.posture)
    }

    pub fn decide(&self, event: &Event) -> Option<Decision> {
        let mut out: Vec<Decision> = subjects(event)
            .iter()
            .filter_map(|s| self.decide_one(event, s))
            .collect();
        // Parts of selecting policies that are not simulated.
        let domain = subjects(event).first().map(|s| s.domain);
        if let Some(domain) = domain {
            for p in &self.policies {
                let Some(u) = p.unsimulated.iter().find(|u| u.domains.contains(&domain)) else {
                    continue;
                };
                if p.selects(event).is_no() {
                    continue;
                }
                out.push(Decision::new(
                    Verdict::NotSimulated,
                    &p.r,
                    u.ptr.clone(),
                    format!(
                        "{} in a policy that selects this pod: its {} verdict is not known",
                        u.what,
                        domain.name()
                    ),
                ));
            }
        }
        super::strictest(&out)
    }

    fn decide_one(&self, event: &Event, s: &Subject<'_>) -> Option<Decision> {
        let mut governed = false;
        let mut block: (Tri, At) = (Tri::No, None);
        let mut audit: (Tri, At) = (Tri::No, None);
        let mut allow: (Tri, At) = (Tri::No, None);
        let mut allow_list: (Tri, At) = (Tri::No, None);
        let mut maybe_at: At = None;
        let mut unsupported: Option<Decision> = None;
        for p in &self.policies {
            let mut rules = p.rules.iter().filter(|r| r.domain == s.domain).peekable();
            if rules.peek().is_none() {
                continue;
            }
            let sel = p.selects(event);
            if sel.is_no() {
                continue;
            }
            governed = true;
            for rule in rules {
                let hit = sel.clone().and(|| rule.matches(s));
                if let Tri::Maybe(_) = hit {
                    maybe_at.get_or_insert((&p.r, rule.ptr.clone()));
                }
                if let Some(u) = &rule.unsupported
                    && !rule.target(s).and(|| rule.source(s)).is_no()
                    && unsupported.is_none()
                {
                    unsupported = Some(Decision::new(
                        Verdict::NotSimulated,
                        &p.r,
                        rule.ptr.clone(),
                        u.clone(),
                    ));
                }
                let slot = match rule.action {
                    Action::Block => &mut block,
                    Action::Audit => &mut audit,
                    Action::Allow => {
                        // Any Allow rule turns the kind into an allow-list for
                        // the whole container, whatever its fromSource names.
                        if !sel.is_no() && allow_list.1.is_none() {
                            allow_list.1 = Some((&p.r, format!("/spec/{}", s.domain.name())));
                        }
                        allow_list.0 =
                            std::mem::replace(&mut allow_list.0, Tri::No).or(|| sel.clone());
                        &mut allow
                    }
                };
                if hit.is_yes() && !slot.0.is_yes() {
                    slot.1 = Some((&p.r, rule.ptr.clone()));
                }
                slot.0 = std::mem::replace(&mut slot.0, Tri::No).or(|| hit);
            }
        }
        if !governed {
            return None;
        }
        let posture =
            if s.domain == Domain::Capability && !matches!(&event.kind, EventKind::Syscall(_)) {
                // The net_raw view of a socket: the capabilities posture.
                self.posture(event, PostureKind::Capabilities)
            } else {
                self.posture(event, s.domain.posture_kind())
            };
        let what = s.domain.name();
        let outside = allow_list.0.clone().and(|| allow.0.clone().negate());
        let posture_block = match posture {
            Posture::Block => outside.clone(),
            Posture::Audit => Tri::No,
        };
        let blocked = block.0.clone().or(|| posture_block.clone());
        let unknown = |why: String| {
            let at = maybe_at
                .clone()
                .or(allow_list.1.clone())
                .or(block.1.clone());
            match at {
                Some((p, ptr)) => Decision::new(Verdict::Unknown, p, ptr, why),
                None => Decision {
                    verdict: Verdict::Unknown,
                    policy: None,
                    rule: None,
                    reason: why,
                },
            }
        };
        let decision = match blocked {
            Tri::Yes => match (block.0.is_yes(), block.1.clone(), &allow_list.1) {
                (true, Some((p, ptr)), _) => Decision::new(
                    Verdict::Block,
                    p,
                    ptr,
                    format!("blocked by a {what} Block rule"),
                ),
                (_, _, Some((p, ptr))) => Decision::new(
                    Verdict::Block,
                    p,
                    ptr.clone(),
                    format!(
                        "default posture (block): a {what} allow-list applies and no Allow rule matches"
                    ),
                ),
                _ => Decision::ungoverned("blocked"),
            },
            Tri::Maybe(why) => unknown(why),
            Tri::No => {
                let audited = audit.0.clone().or(|| match posture {
                    Posture::Audit => outside.clone(),
                    Posture::Block => Tri::No,
                });
                match audited {
                    Tri::Yes => match audit.1.clone() {
                        Some((p, ptr)) if audit.0.is_yes() => Decision::new(
                            Verdict::Audit,
                            p,
                            ptr,
                            format!("audited by a {what} Audit rule"),
                        ),
                        _ => match &allow_list.1 {
                            Some((p, ptr)) => Decision::new(
                                Verdict::Audit,
                                p,
                                ptr.clone(),
                                format!(
                                    "default posture (audit): a {what} allow-list applies and no Allow rule matches"
                                ),
                            ),
                            None => Decision::ungoverned("audited"),
                        },
                    },
                    Tri::Maybe(why) => unknown(why),
                    Tri::No => match allow.1.clone() {
                        Some((p, ptr)) => Decision::new(
                            Verdict::Allow,
                            p,
                            ptr,
                            format!("allowed by a {what} Allow rule"),
                        ),
                        None => Decision::ungoverned(format!(
                            "no {what} rule of the selecting KubeArmor policies matches"
                        )),
                    },
                }
            }
        };
        // An allowedArgs rule on the binary: only a block stands.
        match unsupported {
            Some(u) if decision.verdict != Verdict::Block => Some(u),
            _ => Some(decision),
        }
    }
}
