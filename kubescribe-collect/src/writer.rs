//! The collection loop: sources run on a small multi-threaded runtime; the
//! calling thread receives their records, commits them to the store in
//! batches, and reports progress.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::grpc::{self, GrpcSource, Resume};
use crate::{
    CollectError, CollectOptions, CollectReport, Counters, Record, Source, SourceState,
    SourceStats, Stop,
};
use kubescribe_events::store::{EventStore, IngestedFile, StoreError};
use kubescribe_events::{Converted, LineError};

/// What the store keeps of a committed batch, per source: the resume point.
#[derive(Debug, Default, Serialize, Deserialize)]
struct BatchSummary {
    records: u64,
    events: u64,
    /// The latest record time of the batch (ns), when its records have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_time_ns: Option<i64>,
    /// Hashes (hex) of the batch's records of that instant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    last_hashes: Vec<String>,
}

/// Most hashes of one instant kept as a resume point.
const RESUME_HASHES: usize = 256;

/// The key a batch is recorded under.
fn batch_hash(hasher: &xxhash_rust::xxh3::Xxh3) -> String {
    format!("collect-{:032x}", hasher.digest128())
}

/// The name a source's batches are recorded under.
fn store_path(name: &str) -> String {
    format!("collect:{name}")
}

/// The resume point of each source from the batches an earlier collection
/// committed (the latest time recorded under the source's name).
fn resume_points(
    store: &mut dyn EventStore,
    names: &[String],
) -> Result<Vec<Option<Resume>>, StoreError> {
    let files = store.ingested_files()?;
    Ok(names
        .iter()
        .map(|name| {
            let path = store_path(name);
            let summaries: Vec<BatchSummary> = files
                .iter()
                .filter(|f| f.path == path)
                .filter_map(|f| serde_json::from_str::<BatchSummary>(&f.summary).ok())
                .collect();
            let time_ns = summaries.iter().filter_map(|s| s.last_time_ns).max()?;
            // The records of that instant may span several batches.
            let hashes = summaries
                .iter()
                .filter(|s| s.last_time_ns == Some(time_ns))
                .flat_map(|s| &s.last_hashes)
                .filter_map(|h| u128::from_str_radix(h, 16).ok())
                .collect();
            Some(Resume { time_ns, hashes })
        })
        .collect())
}

/// Collects from `sources` into `store` until `stop` is stopped (or every
/// source has ended, which only happens when none can run). Calls `progress`
/// at start, every [`CollectOptions::progress_interval`] and once at the end
/// (with [`CollectReport::done`]); returns the final report. Everything
/// received before the stop is committed before it returns.
pub fn collect(
    store: &mut dyn EventStore,
    sources: &[Source],
    options: &CollectOptions,
    stop: &Stop,
    progress: &mut dyn FnMut(&CollectReport),
) -> Result<CollectReport, CollectError> {
    if sources.is_empty() {
        return Err(CollectError::NoSource);
    }
    let names: Vec<String> = sources.iter().map(Source::name).collect();
    let endpoints = sources
        .iter()
        .zip(&names)
        .map(|(s, name)| match s {
            Source::Grpc { endpoint, tls, .. } => {
                grpc::endpoint(name, endpoint, tls.as_ref(), options).map(Some)
            }
            Source::Falco { .. } => Ok(None),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let resume = resume_points(store, &names).map_err(|error| CollectError::Store {
        error,
        uncommitted: 0,
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("kubescribe-collect")
        .build()
        .map_err(CollectError::Runtime)?;
    let counters: Vec<Arc<Counters>> = sources.iter().map(|_| Arc::default()).collect();
    let (tx, rx) = mpsc::channel::<Record>(options.queue_records.max(1));
    let mut addresses = vec![None; sources.len()];
    for (i, ((source, endpoint), resume)) in sources.iter().zip(endpoints).zip(resume).enumerate() {
        match (source, endpoint) {
            (Source::Grpc { kind, .. }, Some(endpoint)) => {
                let g = GrpcSource {
                    index: i,
                    kind: *kind,
                    endpoint,
                };
                runtime.spawn(grpc::run(
                    g,
                    resume,
                    options.clone(),
                    tx.clone(),
                    counters[i].clone(),
                    stop.clone(),
                ));
            }
            (Source::Falco { listen, token }, _) => {
                let listener = runtime
                    .block_on(tokio::net::TcpListener::bind(*listen))
                    .map_err(|error| CollectError::Listen {
                        source_name: names[i].clone(),
                        addr: *listen,
                        error,
                    })?;
                addresses[i] = listener.local_addr().ok();
                runtime.spawn(crate::falco::run(
                    i,
                    listener,
                    token.clone(),
                    options.clone(),
                    tx.clone(),
                    counters[i].clone(),
                    stop.clone(),
                ));
            }
            (Source::Grpc { .. }, None) => {}
        }
    }
    drop(tx);
    let mut writer = Writer {
        store,
        options,
        names,
        addresses,
        counters,
        kinds: sources.iter().map(Source::kind).collect(),
        pending: Vec::new(),
        per_source: vec![Committed::default(); sources.len()],
        last_events: vec![0; sources.len()],
        commits: 0,
        events_stored: BTreeMap::new(),
        skipped: BTreeMap::new(),
        errors: Vec::new(),
        seq: vec![0; sources.len()],
        max_queued: 0,
        started: Instant::now(),
        last_report: Instant::now(),
    };
    let result = runtime.block_on(writer.run(rx, stop, progress));
    // Every source has returned (the queue closed only when all senders
    // were gone), so nothing is left running.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

/// What the writer committed for one source.
#[derive(Debug, Clone, Default)]
struct Committed {
    stored: u64,
    events: u64,
    skipped: u64,
}

struct Writer<'a> {
    store: &'a mut dyn EventStore,
    options: &'a CollectOptions,
    names: Vec<String>,
    addresses: Vec<Option<std::net::SocketAddr>>,
    counters: Vec<Arc<Counters>>,
    kinds: Vec<crate::SourceKind>,
    pending: Vec<Record>,
    per_source: Vec<Committed>,
    last_events: Vec<u64>,
    commits: u64,
    events_stored: BTreeMap<String, u64>,
    skipped: BTreeMap<kubescribe_events::SkipReason, u64>,
    errors: Vec<LineError>,
    seq: Vec<u64>,
    max_queued: usize,
    started: Instant,
    last_report: Instant,
}

impl Writer<'_> {
    async fn run(
        &mut self,
        mut rx: mpsc::Receiver<Record>,
        stop: &Stop,
        progress: &mut dyn FnMut(&CollectReport),
    ) -> Result<CollectReport, CollectError> {
        progress(&self.report(rx.len(), false));
        let mut next_commit = tokio::time::Instant::now() + self.options.commit_interval;
        let mut next_report = tokio::time::Instant::now() + self.options.progress_interval;
        let mut stopping = false;
        loop {
            let deadline = next_commit.min(next_report);
            tokio::select! {
                biased;
                record = rx.recv() => match record {
                    Some(r) => {
                        self.max_queued = self.max_queued.max(rx.len() + 1 + self.pending.len());
                        self.pending.push(r);
                        if self.pending.len() >= self.options.batch_records {
                            self.commit(rx.len())?;
                            next_commit = tokio::time::Instant::now() + self.options.commit_interval;
                        }
                    }
                    // Every source has returned: stopped, or none could run.
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => {}
                // The sources see the same stop; keep draining until the
                // last of them has gone.
                _ = stop.wait(), if !stopping => stopping = true,
            }
            let now = tokio::time::Instant::now();
            if now >= next_commit {
                self.commit(rx.len())?;
                next_commit = now + self.options.commit_interval;
            }
            if now >= next_report {
                progress(&self.report(rx.len(), false));
                next_report = now + self.options.progress_interval;
            }
        }
        self.commit(0)?;
        let report = self.report(0, true);
        progress(&report);
        Ok(report)
    }

    /// Writes the pending records in one transaction, with one ingested-input
    /// row per source (its batch hash and resume point).
    fn commit(&mut self, queued: usize) -> Result<(), CollectError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let uncommitted = (self.pending.len() + queued) as u64;
        // The store may be a blocking client with a runtime of its own
        // (PostgreSQL's): write outside this runtime's context.
        tokio::task::block_in_place(|| self.write())
            .map_err(|error| CollectError::Store { error, uncommitted })?;
        let pending = std::mem::take(&mut self.pending);
        for r in pending {
            let s = r.source;
            for outcome in r.outcomes {
                self.seq[s] += 1;
                match outcome {
                    Converted::Events(events) => {
                        self.per_source[s].stored += 1;
                        self.per_source[s].events += events.len() as u64;
                        for e in &events {
                            *self
                                .events_stored
                                .entry(e.kind.name().to_string())
                                .or_default() += 1;
                        }
                    }
                    Converted::Workload(_) => self.per_source[s].stored += 1,
                    Converted::Skipped { reason, message } => {
                        self.per_source[s].skipped += 1;
                        *self.skipped.entry(reason).or_default() += 1;
                        if self.errors.len() < self.options.max_errors_kept {
                            self.errors.push(LineError {
                                source: self.names[s].clone(),
                                line: self.seq[s] as usize,
                                reason,
                                message,
                            });
                        }
                    }
                }
            }
        }
        self.commits += 1;
        Ok(())
    }

    fn write(&mut self) -> Result<(), StoreError> {
        let mut batches: BTreeMap<usize, (BatchSummary, xxhash_rust::xxh3::Xxh3, u64)> =
            BTreeMap::new();
        for r in &self.pending {
            let (sum, hasher, bytes) = batches
                .entry(r.source)
                .or_insert_with(|| (BatchSummary::default(), xxhash_rust::xxh3::Xxh3::new(), 0));
            hasher.update(&r.hash.to_le_bytes());
            *bytes += 1;
            sum.records += 1;
            for o in &r.outcomes {
                if let Converted::Events(e) = o {
                    sum.events += e.len() as u64;
                }
            }
            if let Some(t) = r.time_ns {
                match sum.last_time_ns {
                    Some(last) if last > t => {}
                    Some(last) if last == t => {
                        if sum.last_hashes.len() < RESUME_HASHES {
                            sum.last_hashes.push(format!("{:x}", r.hash));
                        }
                    }
                    _ => {
                        sum.last_time_ns = Some(t);
                        sum.last_hashes = vec![format!("{:x}", r.hash)];
                    }
                }
            }
        }
        let mut w = self.store.begin()?;
        // A batch whose hash the store holds was committed before (its
        // records are there): it is not written again.
        let mut already = Vec::new();
        for (source, (_, hasher, _)) in &batches {
            if w.is_ingested(&batch_hash(hasher))? {
                already.push(*source);
            }
        }
        for r in &self.pending {
            if already.contains(&r.source) {
                continue;
            }
            for o in &r.outcomes {
                match o {
                    Converted::Events(events) => {
                        for e in events {
                            w.add_event(e)?;
                        }
                    }
                    Converted::Workload(wl) => w.add_workload(wl)?,
                    Converted::Skipped { .. } => {}
                }
            }
        }
        for (source, (sum, hasher, records)) in batches {
            if already.contains(&source) {
                continue;
            }
            w.record_file(&IngestedFile {
                hash: batch_hash(&hasher),
                path: store_path(&self.names[source]),
                bytes: records,
                summary: serde_json::to_string(&sum).unwrap_or_default(),
            })?;
        }
        w.commit()
    }

    fn report(&mut self, queued: usize, done: bool) -> CollectReport {
        let now = Instant::now();
        let interval = now.duration_since(self.last_report).as_secs_f64();
        self.last_report = now;
        let sources = (0..self.names.len())
            .map(|i| {
                let c = &self.counters[i];
                let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
                let done_events = self.per_source[i].events;
                let rate = if interval > 0.0 {
                    (done_events - self.last_events[i]) as f64 / interval
                } else {
                    0.0
                };
                self.last_events[i] = done_events;
                SourceStats {
                    name: self.names[i].clone(),
                    kind: self.kinds[i],
                    address: self.addresses[i],
                    state: SourceState::from_u8(c.state.load(Ordering::Relaxed)),
                    received: load(&c.received),
                    bytes: load(&c.bytes),
                    stored: self.per_source[i].stored,
                    events: done_events,
                    skipped: self.per_source[i].skipped,
                    duplicates: load(&c.duplicates),
                    dropped: load(&c.dropped),
                    rejected: load(&c.rejected),
                    lost_upstream: load(&c.lost_upstream),
                    connects: load(&c.connects),
                    disconnects: load(&c.disconnects),
                    last_error: c.last_error.lock().ok().and_then(|e| e.clone()),
                    events_per_sec: rate,
                }
            })
            .collect();
        CollectReport {
            elapsed: self.started.elapsed(),
            done,
            sources,
            queued: queued + self.pending.len(),
            max_queued: self.max_queued,
            commits: self.commits,
            events_stored: self.events_stored.clone(),
            skipped: self.skipped.clone(),
            errors: if done {
                self.errors.clone()
            } else {
                Vec::new()
            },
        }
    }
}
