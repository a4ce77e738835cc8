//! The event store: deduplicated events and workloads, queryable by
//! namespace + label selector, path prefix and peer.
//!
//! [`EventStore`] is the backend-neutral interface; [`SqliteStore`] is the
//! embedded implementation, and the `kubescribe-store-pg` crate implements
//! the same trait on PostgreSQL for clusters that outgrow one machine (the
//! same test suite runs on both). Rows are deduplicated: the same behaviour
//! observed many times is one row with a count and first / last seen times.
//!
//! Time: a query may be limited to a window ([`EventQuery::since`],
//! [`EventQuery::until`]), and [`EventStore::prune`] deletes the rows whose
//! every observation is older than a point in time (retention).

pub mod decode;
pub mod rows;
pub mod sqlite;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Event, PodMeta, Validity, Workload};

pub use sqlite::{QueryCost, SqliteOptions, SqliteStore};

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The store file holds data this version cannot read.
    #[error("store: {0}")]
    Corrupt(String),
    /// Another backend (PostgreSQL) reported an error.
    #[error("store: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// The event tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventTable {
    /// Process executions and exits.
    Processes = 0,
    /// File accesses.
    Files = 1,
    /// Network connections and flows.
    Flows = 2,
    /// Syscalls and capability uses.
    Syscalls = 3,
}

impl EventTable {
    /// All tables, each at the index of its discriminant.
    pub const ALL: [EventTable; 4] = [
        EventTable::Processes,
        EventTable::Files,
        EventTable::Flows,
        EventTable::Syscalls,
    ];

    /// The SQL table name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventTable::Processes => "processes",
            EventTable::Files => "files",
            EventTable::Flows => "flows",
            EventTable::Syscalls => "syscalls",
        }
    }
}

impl fmt::Display for EventTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file recorded as ingested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestedFile {
    /// SHA-256 of the content, hex.
    pub hash: String,
    /// The name it was ingested under.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// The ingestion summary (JSON, counts only).
    pub summary: String,
}

/// A filter over stored events. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events of pods in this namespace.
    pub namespace: Option<String>,
    /// Only events of pods carrying all these labels.
    pub selector: BTreeMap<String, String>,
    /// Files only: paths starting with this prefix (`/etc/` matches
    /// `/etc/passwd`; a range query on the path index).
    pub path_prefix: Option<String>,
    /// Flows only: peers in this namespace.
    pub peer_namespace: Option<String>,
    /// Flows only: peers carrying all these labels.
    pub peer_selector: BTreeMap<String, String>,
    /// Flows only: this remote address.
    pub remote_ip: Option<String>,
    /// Only rows with this validity.
    pub validity: Option<Validity>,
    /// Only rows observed at or after this time (ns since the epoch): a
    /// row's last observation is not before it. A row is one deduplicated
    /// behaviour with its first and last observation times; a window keeps
    /// the rows whose observations overlap it, with their whole count, and
    /// leaves out rows without a time.
    pub since: Option<i64>,
    /// Only rows observed before this time (ns since the epoch): a row's
    /// first observation is before it (see [`EventQuery::since`]).
    pub until: Option<i64>,
    /// At most this many rows (all when `None`).
    pub limit: Option<usize>,
}

impl EventQuery {
    /// Whether a row seen from `first` to `last` is inside the query's time
    /// window (always, without one; never for a row without times when
    /// there is one). The SQL of every backend states the same condition.
    pub fn in_window(&self, first: Option<i64>, last: Option<i64>) -> bool {
        let after = self.since.is_none_or(|s| last.is_some_and(|l| l >= s));
        let before = self.until.is_none_or(|u| first.is_some_and(|f| f < u));
        after && before
    }
}

/// What [`EventStore::prune`] deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneSummary {
    /// Rows deleted, per table (in [`EventTable::ALL`] order).
    pub rows: [u64; 4],
    /// The observations those rows counted.
    pub observations: u64,
}

impl PruneSummary {
    /// Rows deleted from all tables.
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().sum()
    }
}

/// A stored (deduplicated) event row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// The table it lives in.
    pub table: EventTable,
    /// Row id within the table (for [`EventStore::set_validity`]).
    pub id: i64,
    /// How many times it was observed.
    pub count: u64,
    /// Earliest observation (ns since the epoch), when known.
    pub first_seen: Option<i64>,
    /// Latest observation, when known.
    pub last_seen: Option<i64>,
    /// The event; its `timestamp_ns` is `first_seen` and its `validity` the
    /// row's current tag.
    pub event: Event,
}

/// Row counts of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreCounts {
    /// Distinct pods / peers.
    pub pods: u64,
    /// Distinct process rows.
    pub processes: u64,
    /// Distinct file rows.
    pub files: u64,
    /// Distinct flow rows.
    pub flows: u64,
    /// Distinct syscall rows.
    pub syscalls: u64,
    /// Workloads.
    pub workloads: u64,
    /// Sum of the event rows' counts (all observations).
    pub observations: u64,
    /// Files ingested.
    pub ingested_files: u64,
}

/// Writes of one transaction. Dropping it without [`StoreWriter::commit`]
/// rolls everything back.
pub trait StoreWriter {
    /// Whether content with this hash was ingested (committed) before.
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError>;
    /// Adds one observation (deduplicated into an existing row when equal).
    fn add_event(&mut self, event: &Event) -> Result<(), StoreError>;
    /// Adds or replaces a workload (keyed by kind, namespace, name).
    fn add_workload(&mut self, workload: &Workload) -> Result<(), StoreError>;
    /// Records an ingested file.
    fn record_file(&mut self, file: &IngestedFile) -> Result<(), StoreError>;
    /// Makes the writes durable and visible.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A store of events and workloads.
pub trait EventStore {
    /// Whether content with this hash was ingested before.
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError>;
    /// Whether content of this size was ingested under this name: a hint
    /// that the input may be a repeat, worth hashing before reading it.
    fn ingested_as(&mut self, path: &str, bytes: u64) -> Result<bool, StoreError> {
        Ok(self
            .ingested_files()?
            .iter()
            .any(|f| f.path == path && f.bytes == bytes))
    }
    /// Starts a write transaction (waits for other writers).
    fn begin(&mut self) -> Result<Box<dyn StoreWriter + '_>, StoreError>;
    /// Sets a row's validity tag; `false` when no such row.
    fn set_validity(
        &mut self,
        table: EventTable,
        id: i64,
        validity: Validity,
    ) -> Result<bool, StoreError>;
    /// Events of one table matching a query, most frequent first.
    fn events(
        &mut self,
        table: EventTable,
        query: &EventQuery,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// The pods that have at least one row in `table`. The default reads
    /// every row and returns each row's pod (repeats included); a store with
    /// an index on the pod answers from its pods, each once, at a cost that
    /// follows the number of pods rather than of events.
    fn pods_with_events(&mut self, table: EventTable) -> Result<Vec<PodMeta>, StoreError> {
        Ok(self
            .events(table, &EventQuery::default())?
            .into_iter()
            .map(|r| r.event.pod)
            .collect())
    }
    /// Workloads in a namespace (all when `None`) whose pod labels (for a
    /// Service: its selector) carry all of `selector`.
    fn workloads(
        &mut self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Vec<Workload>, StoreError>;
    /// Files ingested so far.
    fn ingested_files(&mut self) -> Result<Vec<IngestedFile>, StoreError>;
    /// Row counts.
    fn counts(&mut self) -> Result<StoreCounts, StoreError>;
    /// Retention: deletes the event rows last observed before `before` (ns
    /// since the epoch), in one write transaction (waits for other
    /// writers). Rows without a time, pods, workloads and the record of
    /// ingested files are kept (re-ingesting a file whose rows were pruned
    /// is still recognised as a repeat).
    fn prune(&mut self, before: i64) -> Result<PruneSummary, StoreError>;
}

/// A store seen through a time window: every [`EventStore::events`] query
/// is limited to `since`..`until` (intersected with the query's own
/// window), so any reader (context summaries, prompts, simulation, layer-2
/// checks) sees only the window's events. Workloads, files and counts are
/// the store's; writes go to the store.
pub struct Windowed<'s> {
    /// The store.
    pub store: &'s mut dyn EventStore,
    /// Only rows observed at or after this time (ns since the epoch).
    pub since: Option<i64>,
    /// Only rows observed before this time (ns since the epoch).
    pub until: Option<i64>,
}

impl Windowed<'_> {
    /// `q` with the window applied.
    pub fn limit(&self, q: &EventQuery) -> EventQuery {
        let mut q = q.clone();
        q.since = match (q.since, self.since) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        q.until = match (q.until, self.until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        q
    }
}

impl EventStore for Windowed<'_> {
    fn is_ingested(&mut self, hash: &str) -> Result<bool, StoreError> {
        self.store.is_ingested(hash)
    }
    fn ingested_as(&mut self, path: &str, bytes: u64) -> Result<bool, StoreError> {
        self.store.ingested_as(path, bytes)
    }
    fn begin(&mut self) -> Result<Box<dyn StoreWriter + '_>, StoreError> {
        self.store.begin()
    }
    fn set_validity(
        &mut self,
        table: EventTable,
        id: i64,
        validity: Validity,
    ) -> Result<bool, StoreError> {
        self.store.set_validity(table, id, validity)
    }
    fn events(
        &mut self,
        table: EventTable,
        query: &EventQuery,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let q = self.limit(query);
        self.store.events(table, &q)
    }
    fn pods_with_events(&mut self, table: EventTable) -> Result<Vec<PodMeta>, StoreError> {
        if self.since.is_none() && self.until.is_none() {
            return self.store.pods_with_events(table);
        }
        let mut pods: Vec<PodMeta> = Vec::new();
        for r in self.events(table, &EventQuery::default())? {
            if !pods.contains(&r.event.pod) {
                pods.push(r.event.pod);
            }
        }
        Ok(pods)
    }
    fn workloads(
        &mut self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Vec<Workload>, StoreError> {
        self.store.workloads(namespace, selector)
    }
    fn ingested_files(&mut self) -> Result<Vec<IngestedFile>, StoreError> {
        self.store.ingested_files()
    }
    fn counts(&mut self) -> Result<StoreCounts, StoreError> {
        self.store.counts()
    }
    fn prune(&mut self, before: i64) -> Result<PruneSummary, StoreError> {
        self.store.prune(before)
    }
}

/// Every store resolves pod names through its workloads table: a name is a
/// workload's own name (`productpage`, a bare Pod) or a name generated for
/// its pods (`productpage-v1-6b746f74dc-9stvs` of Deployment
/// `productpage-v1`, `web-0` of StatefulSet `web`, `agent-x7k2q` of a
/// DaemonSet, ReplicaSet or Job); the answer is the pod template's labels.
/// Resolves pod names to the labels of their pods (implemented for every
/// [`EventStore`] through its workloads table, and
/// by cluster clients).
pub trait PodResolver {
    /// The workloads pod `name` may belong to (in `namespace` when known):
    /// none when unknown, several when the name is ambiguous.
    fn resolve_pod(
        &mut self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Vec<kubescribe_core::intent::ResolvedPod>, Box<dyn std::error::Error + Send + Sync>>;
}

impl<S: EventStore + ?Sized> PodResolver for S {
    fn resolve_pod(
        &mut self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Vec<kubescribe_core::intent::ResolvedPod>, Box<dyn std::error::Error + Send + Sync>>
    {
        let workloads = self.workloads(namespace, &BTreeMap::new())?;
        Ok(pod_candidates(&workloads, name))
    }
}

/// The workloads (Services excluded) whose pods may be named `pod`: exact
/// name matches when there are any, else the longest-named workloads whose
/// generated pod names fit.
pub fn pod_candidates(
    workloads: &[Workload],
    pod: &str,
) -> Vec<kubescribe_core::intent::ResolvedPod> {
    let runs_pods = |w: &&Workload| w.kind != "Service" && !w.pod_labels.is_empty();
    let resolved = |w: &Workload| kubescribe_core::intent::ResolvedPod {
        kind: w.kind.clone(),
        namespace: w.namespace.clone(),
        name: w.name.clone(),
        labels: w.pod_labels.clone(),
    };
    let exact: Vec<_> = workloads
        .iter()
        .filter(runs_pods)
        .filter(|w| w.name == pod)
        .map(resolved)
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let generated: Vec<&Workload> = workloads
        .iter()
        .filter(runs_pods)
        .filter(|w| {
            pod.strip_prefix(w.name.as_str())
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(|rest| generated_suffix(&w.kind, rest))
        })
        .collect();
    let longest = generated.iter().map(|w| w.name.len()).max().unwrap_or(0);
    generated
        .into_iter()
        .filter(|w| w.name.len() == longest)
        .map(resolved)
        .collect()
}

/// Whether `rest` is what Kubernetes appends to a `kind`'s name for its pods.
fn generated_suffix(kind: &str, rest: &str) -> bool {
    let alnum = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    match kind {
        "StatefulSet" => !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()),
        "Deployment" => match rest.split_once('-') {
            Some((hash, id)) => alnum(hash, 5, 10) && alnum(id, 5, 5),
            None => false,
        },
        "DaemonSet" | "ReplicaSet" | "Job" | "ReplicationController" => alnum(rest, 5, 5),
        "CronJob" => match rest.split_once('-') {
            Some((n, id)) => n.chars().all(|c| c.is_ascii_digit()) && alnum(id, 5, 5),
            None => false,
        },
        _ => false,
    }
}
