//! # kubescribe-events
//!
//! What was observed in a cluster: the runtime event model ([`Event`] and
//! its kinds, [`Workload`]s from manifests), the adapters that read Falco,
//! Tetragon, KubeArmor and Hubble JSON ([`adapters`]), streaming ingestion
//! ([`ingest`]), the event store ([`store`]: the [`EventStore`](store::EventStore)
//! trait, SQLite today), context summaries of a workload's behaviour for
//! prompts ([`context`]) and the state of a live cluster as the checks read
//! it ([`cluster`]: the `ClusterContext` trait, an in-memory snapshot, the
//! store presented as one).
//!
//! It holds no policy logic: replay is `kubescribe-simulate`, checks are
//! `kubescribe-validate`, the intent parser is `kubescribe-intent`, synthesis
//! and prompts are `kubescribe-synth`, and
//! the HTTP client of a live cluster is `kubescribe-kube`.
//!
//! An [`Event`] is one observation of a workload's behaviour: a process
//! execution ([`ProcessEvent`]), a file access ([`FileEvent`]), a network
//! connection or flow ([`NetworkEvent`]) or a syscall / capability use
//! ([`SyscallEvent`]). Each carries the pod it happened in ([`PodMeta`]), a
//! timestamp, the engine that observed it ([`SourceEngine`]) and a
//! [`Validity`] tag an operator can change.
//!
//! ```
//! use kubescribe_events::store::{EventStore, SqliteStore};
//!
//! let mut store = SqliteStore::open_in_memory().unwrap();
//! let line = r#"{"rule":"Write below etc","time":"2025-03-01T12:00:07Z","output_fields":{"evt.type":"openat","evt.arg.flags":"O_WRONLY","fd.name":"/etc/passwd","proc.exepath":"/usr/bin/vi","k8s.ns.name":"shop","k8s.pod.name":"web-1"}}"#;
//! let summary = kubescribe_events::ingest_reader(
//!     &mut store, "falco.jsonl", line.as_bytes(), &Default::default(), &mut |_| {},
//! ).unwrap();
//! assert_eq!(summary.events_stored["file"], 1);
//! ```

pub mod adapters;
pub mod cluster;
pub mod context;

pub mod ingest;
pub mod manifest;
pub mod reader;
pub mod store;
pub mod time;

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use adapters::{Converted, InputFormat, convert, detect};
pub use ingest::{
    IngestOptions, IngestSummary, LineError, Progress, SkipReason, ingest_file, ingest_reader,
};
pub use store::PodResolver;

/// The engine (or source) that observed an event.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SourceEngine {
    /// Falco JSON output.
    Falco,
    /// Tetragon JSON export.
    Tetragon,
    /// KubeArmor logs and alerts.
    KubeArmor,
    /// Hubble (Cilium) flows.
    Hubble,
    /// Kubernetes manifests.
    Kubernetes,
}

impl SourceEngine {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceEngine::Falco => "falco",
            SourceEngine::Tetragon => "tetragon",
            SourceEngine::KubeArmor => "kubearmor",
            SourceEngine::Hubble => "hubble",
            SourceEngine::Kubernetes => "kubernetes",
        }
    }

    /// Parses [`SourceEngine::as_str`]'s output.
    pub fn parse(s: &str) -> Option<SourceEngine> {
        Some(match s {
            "falco" => SourceEngine::Falco,
            "tetragon" => SourceEngine::Tetragon,
            "kubearmor" => SourceEngine::KubeArmor,
            "hubble" => SourceEngine::Hubble,
            "kubernetes" => SourceEngine::Kubernetes,
            _ => return None,
        })
    }
}

impl fmt::Display for SourceEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operator's verdict on an observed behaviour: whether a policy built
/// from the store should allow it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Validity {
    /// Nobody has looked at it yet (the default for ingested events).
    #[default]
    Unreviewed,
    /// Legitimate behaviour.
    Approved,
    /// Behaviour that must not be allowed.
    Denied,
}

impl Validity {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Validity::Unreviewed => "unreviewed",
            Validity::Approved => "approved",
            Validity::Denied => "denied",
        }
    }

    /// Parses [`Validity::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Validity> {
        Some(match s {
            "unreviewed" => Validity::Unreviewed,
            "approved" => Validity::Approved,
            "denied" => Validity::Denied,
            _ => return None,
        })
    }
}

/// Where an event happened. Every field is optional: host events have no
/// pod, Falco alerts may lack labels.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct PodMeta {
    /// Kubernetes namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Container name (or id when the name is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Pod labels (from Hubble: Cilium's identity labels, which include
    /// `io.cilium.k8s.namespace.labels.*` and `io.cilium.k8s.policy.*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Node (host) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl PodMeta {
    /// Labels as `k=v` pairs joined by `,`, sorted by key (the canonical form
    /// used for deduplication).
    pub fn labels_text(&self) -> String {
        labels_text(&self.labels)
    }
}

/// `k=v,k=v` of a label map, sorted by key.
pub fn labels_text(labels: &BTreeMap<String, String>) -> String {
    let mut s = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push('=');
        s.push_str(v);
    }
    s
}

/// One observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// Nanoseconds since the Unix epoch, when the source gives a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_ns: Option<i64>,
    /// The observing engine.
    pub source: SourceEngine,
    /// Where it happened.
    pub pod: PodMeta,
    /// The operator's verdict.
    #[serde(default)]
    pub validity: Validity,
    /// The outcome as the engine reports it (`Passed`, `Permission denied`,
    /// a Hubble verdict such as `FORWARDED`, a return value), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// What happened.
    pub kind: EventKind,
}

/// What an event observed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EventKind {
    /// A process started or ended.
    Process(ProcessEvent),
    /// A file was accessed.
    File(FileEvent),
    /// A network connection or flow.
    Network(NetworkEvent),
    /// A syscall or a capability check.
    Syscall(SyscallEvent),
}

impl EventKind {
    /// `process`, `file`, `network` or `syscall`.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Process(_) => "process",
            EventKind::File(_) => "file",
            EventKind::Network(_) => "network",
            EventKind::Syscall(_) => "syscall",
        }
    }
}

/// Whether a process event is its start or its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProcessAction {
    /// `execve`: the process started.
    Exec,
    /// The process exited.
    Exit,
}

impl ProcessAction {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessAction::Exec => "exec",
            ProcessAction::Exit => "exit",
        }
    }
}

/// A process execution (or exit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct ProcessEvent {
    /// Start or end.
    pub action: ProcessAction,
    /// Path of the executed binary (a bare name when the source gives no path).
    pub binary: String,
    /// Arguments after the binary, as one string as the engines print them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    /// The parent process's binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// User id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<i64>,
    /// Whether the process's user owns the executed binary, when known
    /// (KubeArmor's `ownerOnly`). No adapter reports it and the store does
    /// not keep it: events built in memory (simulation fixtures) carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_owner: Option<bool>,
}

/// How a file was accessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileOperation {
    /// Read (or opened read-only).
    Read,
    /// Written, created, truncated, deleted, renamed or its metadata changed.
    Write,
    /// Executed or mapped executable.
    Exec,
    /// Opened, mode unknown.
    Open,
}

impl FileOperation {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            FileOperation::Read => "read",
            FileOperation::Write => "write",
            FileOperation::Exec => "exec",
            FileOperation::Open => "open",
        }
    }

    /// Parses [`FileOperation::as_str`]'s output.
    pub fn parse(s: &str) -> Option<FileOperation> {
        Some(match s {
            "read" => FileOperation::Read,
            "write" => FileOperation::Write,
            "exec" => FileOperation::Exec,
            "open" => FileOperation::Open,
            _ => return None,
        })
    }
}

/// A file access.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct FileEvent {
    /// Absolute path (as the engine reports it).
    pub path: String,
    /// Read, write, exec or open.
    pub operation: FileOperation,
    /// Open flags as reported (`O_RDONLY|O_CLOEXEC`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
    /// The syscall or kernel function that was observed (`SYS_OPENAT`, `security_file_permission`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syscall: Option<String>,
    /// The binary of the process that accessed the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// Whether the accessing process's user owns the file, when known
    /// (KubeArmor's `ownerOnly`). No adapter reports it and the store does
    /// not keep it: events built in memory (simulation fixtures) carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_owner: Option<bool>,
}

/// Direction of a connection, seen from the pod the event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The pod receives (accepts) the connection.
    Ingress,
    /// The pod initiates the connection.
    Egress,
    /// The pod listens (binds) on a local port.
    Listen,
    /// Not known (e.g. a bare socket creation).
    Unknown,
}

impl Direction {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
            Direction::Listen => "listen",
            Direction::Unknown => "unknown",
        }
    }

    /// Parses [`Direction::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Direction> {
        Some(match s {
            "ingress" => Direction::Ingress,
            "egress" => Direction::Egress,
            "listen" => Direction::Listen,
            "unknown" => Direction::Unknown,
            _ => return None,
        })
    }
}

/// The other end of a connection, when the engine knows it.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct Peer {
    /// The peer's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The peer's pod name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The peer's labels (Hubble: `k8s:` prefix dropped; `reserved:world` as
    /// `reserved:world=""`; Cilium's identity labels kept, such as
    /// `io.cilium.k8s.namespace.labels.team` and
    /// `io.cilium.k8s.policy.serviceaccount`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A network connection or flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct NetworkEvent {
    /// `TCP`, `UDP`, `ICMPv4`, `ICMPv6`, `SCTP`, `UNIX`, `RAW` … (upper-case
    /// as the engines print them), or `unknown`.
    pub protocol: String,
    /// Seen from the pod.
    pub direction: Direction,
    /// The pod's own address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_ip: Option<String>,
    /// The pod's own port. For ICMP flows (`ICMPv4`, `ICMPv6`), which have
    /// no ports, the destination's port field (this one for ingress,
    /// `remote_port` for egress) holds the ICMP type, as flow exporters
    /// record it (Hubble: `l4.ICMPv4.type`; an echo reply as its echo request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_port: Option<u16>,
    /// The peer's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    /// The peer's port (for ICMP flows, see `local_port`: the ICMP type when
    /// the peer is the destination).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_port: Option<u16>,
    /// The peer workload, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<Peer>,
    /// DNS name involved (queried name, or the name the remote address was
    /// resolved from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// The binary of the process, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// The HTTP request of the flow, when an L7 proxy saw it (Hubble's
    /// `l7.http`); Cilium's `rules.http` match on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpRequest>,
}

/// An HTTP request as an L7 proxy reports it (Hubble's `l7.http`). Each
/// field is absent when the record lacks it.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct HttpRequest {
    /// The method (`GET`, `POST`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The request target as HTTP/2's `:path` carries it: the URL's path,
    /// with `?query` when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The host (the URL's authority, HTTP/2's `:authority`), port included
    /// when the request names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Whether a syscall event is a plain syscall or a capability use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyscallKind {
    /// A syscall or kernel function.
    Syscall,
    /// A Linux capability check (`CAP_NET_RAW`).
    Capability,
}

impl SyscallKind {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SyscallKind::Syscall => "syscall",
            SyscallKind::Capability => "capability",
        }
    }
}

/// A syscall, kernel function or capability use.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct SyscallEvent {
    /// Syscall or capability.
    pub kind: SyscallKind,
    /// `SYS_SETUID`, `__x64_sys_setns`, `CAP_SYS_ADMIN`, …
    pub name: String,
    /// Its arguments or object as a string, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    /// The binary of the process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
}

/// A workload from a Kubernetes manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Workload {
    /// `Deployment`, `Pod`, `Service`, `StatefulSet`, `DaemonSet`,
    /// `ReplicaSet`, `Job`, `Namespace` (a namespace, kept for its labels),
    /// `Endpoints` or `EndpointSlice` (kept for their addresses).
    pub kind: String,
    /// Namespace (`default` when the manifest names none; a `Namespace`'s
    /// own name).
    pub namespace: String,
    /// Object name.
    pub name: String,
    /// The object's own labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Labels of the pods it runs (pod template labels; a Pod's own labels).
    /// Empty for a Service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,
    /// Label selector (`spec.selector.matchLabels`, a Service's `spec.selector`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub selector: BTreeMap<String, String>,
    /// Container ports, a Service's ports, or an `Endpoints` /
    /// `EndpointSlice`'s ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<WorkloadPort>,
    /// The addresses of an `Endpoints` or `EndpointSlice` (its ready and
    /// not-ready addresses); empty for other kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
}

/// A port a workload declares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct WorkloadPort {
    /// The container that declares it (`None` for a Service port).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Port name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Container port, or the Service's port.
    pub port: u16,
    /// A Service's `targetPort` (number or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<String>,
    /// `TCP` (default), `UDP` or `SCTP`.
    pub protocol: String,
}
