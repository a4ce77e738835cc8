//! # kubescribe-collect
//!
//! Live collection into the event store: Hubble Relay
//! (`observer.Observer/GetFlows`), Tetragon
//! (`tetragon.FineGuidanceSensors/GetEvents`) and the KubeArmor relay
//! (`feeder.LogService/WatchLogs`, `WatchAlerts`) over gRPC, and Falco
//! through an HTTP listener that accepts its `http_output` (and
//! falcosidekick's) JSON.
//!
//! Every message becomes the JSON record the engine's own export writes
//! ([`proto`]) and goes through the adapters `kubescribe ingest` uses
//! ([`kubescribe_events::convert`]), so a collected event is stored exactly as
//! the same event read from a file. Records are written through the
//! [`EventStore`] trait in batches (one transaction each, at most
//! [`CollectOptions::batch_records`] records or
//! [`CollectOptions::commit_interval`] apart).
//!
//! Nothing is lost silently. For every source,
//! `received = stored + skipped + duplicates + dropped` once collection has
//! stopped ([`SourceStats`]): a message sent again after a reconnect (Hubble
//! is resumed from the last flow's time, so the relay repeats the flows of
//! that instant) or a retried HTTP post is recognised by its content hash
//! within a window of recent messages ([`CollectOptions::dedup_window`]) and
//! counted as a duplicate; when the store falls behind, the bounded queue
//! ([`CollectOptions::queue_records`]) either holds the sources back
//! ([`OnFull::Block`], the default: gRPC flow control then holds the engine,
//! and a Falco post waits) or drops what does not fit and counts it
//! ([`OnFull::Drop`]; a Falco post then gets 503). Losses the engines
//! themselves report (Hubble's `lost_events`) are counted as `lost_upstream`.
//!
//! A dropped connection is retried with exponential backoff
//! ([`CollectOptions::backoff_initial`] doubling up to
//! [`CollectOptions::backoff_max`]). Each committed batch is recorded in the
//! store as an ingested input named `collect:<source>` whose content hash is
//! the batch's (so a batch is never committed twice) and whose summary keeps
//! the source's resume point: the time of its last record and the hashes of
//! the records of that instant. A later `collect` into the same store resumes
//! Hubble from there without storing those records again.
//!
//! [`Stop::stop`] (the CLI calls it on Ctrl-C) ends collection cleanly:
//! sources stop reading, the Falco listener finishes the posts in flight,
//! everything received is committed, and the final report is returned.
//!
//! The library never prints: progress is a callback ([`CollectReport`], at
//! start, every [`CollectOptions::progress_interval`] and at the end).

pub mod proto;

mod codec;
mod dedup;
mod falco;
mod grpc;
mod writer;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use kubescribe_events::store::StoreError;
use kubescribe_events::{LineError, SkipReason};

pub use writer::collect;

/// What a source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Hubble Relay, `observer.Observer/GetFlows`.
    Hubble,
    /// Tetragon, `tetragon.FineGuidanceSensors/GetEvents`.
    Tetragon,
    /// KubeArmor relay, `feeder.LogService/WatchLogs`.
    KubeArmorLogs,
    /// KubeArmor relay, `feeder.LogService/WatchAlerts`.
    KubeArmorAlerts,
    /// Falco's `http_output` / falcosidekick, posted to our listener.
    Falco,
}

impl SourceKind {
    /// Short name (`hubble`, `tetragon`, `kubearmor-logs`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Hubble => "hubble",
            SourceKind::Tetragon => "tetragon",
            SourceKind::KubeArmorLogs => "kubearmor-logs",
            SourceKind::KubeArmorAlerts => "kubearmor-alerts",
            SourceKind::Falco => "falco",
        }
    }
}

/// TLS of a gRPC connection, as the engines' clients offer it (`hubble
/// observe --tls --tls-ca-cert-files --tls-client-cert-file
/// --tls-client-key-file --tls-server-name`; Tetragon's and KubeArmor's
/// clients take the same files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// CA certificate(s) (PEM) the server's certificate must chain to; the
    /// system's roots when `None`.
    pub ca_cert: Option<PathBuf>,
    /// Client certificate (PEM), for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub client_key: Option<PathBuf>,
    /// The name the server's certificate must carry (default: the host).
    pub server_name: Option<String>,
}

/// One source of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A gRPC server-streaming source.
    Grpc {
        /// Hubble, Tetragon, or one of KubeArmor's streams.
        kind: SourceKind,
        /// `host:port`, `http://host:port` or `https://host:port`.
        endpoint: String,
        /// TLS (also implied by an `https://` endpoint).
        tls: Option<TlsOptions>,
    },
    /// An HTTP listener for Falco's `http_output` (one alert per POST) and
    /// falcosidekick-style posts (a JSON object, an array of them, or JSON
    /// lines).
    Falco {
        /// Address to listen on (port 0: any free port, see
        /// [`SourceStats::address`]).
        listen: SocketAddr,
        /// When set, a post must carry `Authorization: Bearer TOKEN`.
        token: Option<String>,
    },
}

impl Source {
    /// How the source is named in reports and in the store
    /// (`hubble@relay:4245`, `falco@0.0.0.0:2801`).
    pub fn name(&self) -> String {
        match self {
            Source::Grpc { kind, endpoint, .. } => format!("{}@{endpoint}", kind.as_str()),
            Source::Falco { listen, .. } => format!("falco@{listen}"),
        }
    }

    /// What it speaks.
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::Grpc { kind, .. } => *kind,
            Source::Falco { .. } => SourceKind::Falco,
        }
    }
}

/// What to do with a record when the queue to the store is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFull {
    /// Wait for room: gRPC streams stop being read (flow control holds the
    /// engine), Falco posts wait.
    #[default]
    Block,
    /// Drop it and count it (`dropped`); a Falco post with a dropped record
    /// is answered 503.
    Drop,
}

/// Collection settings.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Records queued between the sources and the store. Default 8,192.
    pub queue_records: usize,
    /// Most records in one store transaction. Default 16,384.
    pub batch_records: usize,
    /// Longest time a received record waits to be committed. Default 1 s.
    pub commit_interval: Duration,
    /// How often the progress callback is called. Default 1 s.
    pub progress_interval: Duration,
    /// First wait before reconnecting. Default 200 ms.
    pub backoff_initial: Duration,
    /// Longest wait before reconnecting. Default 30 s.
    pub backoff_max: Duration,
    /// Connection timeout of a gRPC source. Default 10 s.
    pub connect_timeout: Duration,
    /// Distinct messages remembered per source to recognise repeats.
    /// Default 65,536 (about 4 MiB per source).
    pub dedup_window: usize,
    /// What a full queue does.
    pub on_full: OnFull,
    /// Largest Falco post accepted. Default 4 MiB.
    pub max_body_bytes: usize,
    /// How long the Falco listener waits, once stopped, for posts still in
    /// flight. Default 5 s.
    pub shutdown_grace: Duration,
    /// How many skipped records the report keeps (all are counted).
    /// Default 1,000.
    pub max_errors_kept: usize,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            queue_records: 8_192,
            batch_records: 16_384,
            commit_interval: Duration::from_secs(1),
            progress_interval: Duration::from_secs(1),
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            dedup_window: 65_536,
            on_full: OnFull::Block,
            max_body_bytes: 4 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(5),
            max_errors_kept: 1_000,
        }
    }
}

/// Ends a collection: cheap to clone, callable from any thread (a signal
/// handler's thread, the progress callback).
#[derive(Debug, Clone)]
pub struct Stop(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Stop {
    fn default() -> Self {
        Stop(Arc::new(tokio::sync::watch::Sender::new(false)))
    }
}

impl Stop {
    /// A handle not yet stopped.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Asks the collection to stop (idempotent).
    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    /// Whether [`Stop::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once stopped.
    pub(crate) async fn wait(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail.
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// Where a source stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceState {
    /// Connecting (or about to).
    Connecting,
    /// Streaming (gRPC) or accepting posts (Falco).
    Connected,
    /// Waiting before reconnecting.
    Backoff,
    /// Stopped.
    Stopped,
}

impl SourceState {
    /// Short name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Connecting => "connecting",
            SourceState::Connected => "connected",
            SourceState::Backoff => "reconnecting",
            SourceState::Stopped => "stopped",
        }
    }

    fn from_u8(v: u8) -> SourceState {
        match v {
            1 => SourceState::Connected,
            2 => SourceState::Backoff,
            3 => SourceState::Stopped,
            _ => SourceState::Connecting,
        }
    }
}

/// Counts of one source. Once collection has stopped,
/// `received == stored + skipped + duplicates + dropped`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceStats {
    /// [`Source::name`].
    pub name: String,
    /// What it speaks.
    pub kind: SourceKind,
    /// The listener's bound address (Falco).
    pub address: Option<SocketAddr>,
    /// Where it stands.
    pub state: SourceState,
    /// Records received (gRPC messages; JSON values of Falco posts that
    /// passed the token check).
    pub received: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Records committed to the store (events or workloads).
    pub stored: u64,
    /// Events committed (a record may give several).
    pub events: u64,
    /// Records committed as skipped (malformed, or an event type the
    /// adapters do not model), by the adapters' reasons in
    /// [`CollectReport::skipped`].
    pub skipped: u64,
    /// Records recognised as repeats of records already received.
    pub duplicates: u64,
    /// Records dropped because the queue was full ([`OnFull::Drop`]).
    pub dropped: u64,
    /// Falco posts refused (bad token, not a POST, too large, cut off).
    pub rejected: u64,
    /// Events the engine reported lost before they reached us (Hubble
    /// `lost_events`).
    pub lost_upstream: u64,
    /// Connections made (gRPC) or accepted (Falco).
    pub connects: u64,
    /// Connections that ended before collection stopped.
    pub disconnects: u64,
    /// The last connection error.
    pub last_error: Option<String>,
    /// Events committed per second since the previous report.
    pub events_per_sec: f64,
}

/// A progress report (and the final one, which [`collect`] returns).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectReport {
    /// Time since collection started.
    pub elapsed: Duration,
    /// The last report: collection has stopped and everything received is
    /// committed.
    pub done: bool,
    /// Per source, in the order given.
    pub sources: Vec<SourceStats>,
    /// Records waiting for the store now.
    pub queued: usize,
    /// Most records ever waiting (never above
    /// [`CollectOptions::queue_records`] plus one batch).
    pub max_queued: usize,
    /// Store transactions committed.
    pub commits: u64,
    /// Events committed, by kind (`process`, `file`, …).
    pub events_stored: BTreeMap<String, u64>,
    /// Records skipped, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// The first skipped records (`line` is the record's number within its
    /// source).
    pub errors: Vec<LineError>,
}

impl CollectReport {
    /// Events committed per second over the whole collection.
    pub fn events_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        let events: u64 = self.sources.iter().map(|s| s.events).sum();
        if secs > 0.0 {
            events as f64 / secs
        } else {
            0.0
        }
    }
}

/// Errors that stop (or prevent) a collection.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// Nothing to collect from.
    #[error("no source to collect from")]
    NoSource,
    /// A gRPC endpoint that is not a URL.
    #[error("{source_name}: bad endpoint {endpoint:?}: {message}")]
    Endpoint {
        /// The source.
        source_name: String,
        /// What was given.
        endpoint: String,
        /// Why.
        message: String,
    },
    /// A TLS file that cannot be read or used.
    #[error("{source_name}: TLS: {message}")]
    Tls {
        /// The source.
        source_name: String,
        /// Why.
        message: String,
    },
    /// The Falco listener cannot listen.
    #[error("{source_name}: cannot listen on {addr}: {error}")]
    Listen {
        /// The source.
        source_name: String,
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the collector's runtime: {0}")]
    Runtime(std::io::Error),
    /// The store failed; what had not been committed is counted.
    #[error("store: {error} ({uncommitted} received record(s) not committed)")]
    Store {
        /// The store's error.
        error: StoreError,
        /// Records received and not committed.
        uncommitted: u64,
    },
}

/// Counters a source's task updates (the writer owns the rest).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) received: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) lost_upstream: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) disconnects: AtomicU64,
    pub(crate) state: AtomicU8,
    pub(crate) last_error: std::sync::Mutex<Option<String>>,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn set_state(&self, state: SourceState) {
        self.state.store(state as u8, Ordering::Relaxed);
    }

    pub(crate) fn error(&self, message: String) {
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some(message);
        }
    }
}

/// A received record on its way to the store.
pub(crate) struct Record {
    /// Index of its source.
    pub(crate) source: usize,
    /// Content hash.
    pub(crate) hash: u128,
    /// The record's time (ns since the epoch), when it has one.
    pub(crate) time_ns: Option<i64>,
    /// What the adapters made of it.
    pub(crate) outcomes: Vec<kubescribe_events::Converted>,
}
