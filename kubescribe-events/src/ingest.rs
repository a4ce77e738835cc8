//! Streaming ingestion of event files into an [`EventStore`].
//!
//! Files are read record by record (see [`reader`](super::reader)); each
//! record's format is detected on its own, so a file may mix formats. A record
//! that cannot be used is counted under a [`SkipReason`] and reported as a
//! [`LineError`] with file and line; ingestion goes on. Nothing is dropped
//! silently: `records_read == records_stored + records_skipped`.
//!
//! Each file is written in one store transaction together with its content
//! hash, so re-ingesting the same content is a no-op and concurrent ingestion
//! from several processes neither loses nor doubles anything.
//!
//! Event streams are read on two threads: a parse thread reads, hashes,
//! frames, converts and counts records while the calling thread writes the
//! previous batches into the store. Batches of 1,024 records pass through a
//! channel bounded at four batches, so memory stays bounded whatever the
//! input's size, and the counts, skipped-record errors and progress reports
//! are those of a sequential run.
//!
//! YAML files (`.yaml`/`.yml`, or text starting with `---`/`apiVersion:`) are
//! read as Kubernetes manifests with [`kubescribe_core::document::read_file`].

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::reader::{FrameError, RecordReader};
use crate::adapters::{Converted, InputFormat, convert};
use crate::store::{EventStore, IngestedFile, StoreError, StoreWriter};
use crate::{Event, Workload};
use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::error::CoreError;

pub use crate::adapters::SkipReason;

/// One skipped record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// File name.
    pub source: String,
    /// 1-based line where the record starts.
    pub line: usize,
    /// The category.
    pub reason: SkipReason,
    /// Details.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.source, self.line, self.reason, self.message
        )
    }
}

/// Ingestion settings.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Longest accepted record (a line, or a pretty-printed value), in bytes.
    /// Longer ones are skipped without being buffered. Default 4 MiB.
    pub max_record_bytes: usize,
    /// How many [`LineError`]s a summary keeps (all are counted). Default 1,000.
    pub max_errors_kept: usize,
    /// Limits for YAML manifests.
    pub manifest_limits: ReadLimits,
    /// Call the progress callback every this many records. Default 4,096.
    pub progress_every: u64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_record_bytes: 4 * 1024 * 1024,
            max_errors_kept: 1_000,
            manifest_limits: ReadLimits::default(),
            progress_every: 4_096,
        }
    }
}

/// Where ingestion of one input stands.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// File name.
    pub source: &'a str,
    /// Bytes consumed.
    pub bytes_read: u64,
    /// The input's size, when known.
    pub total_bytes: Option<u64>,
    /// Records read so far.
    pub records_read: u64,
}

/// What ingesting one or more inputs did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestSummary {
    /// Inputs processed.
    pub files: u64,
    /// Inputs skipped because their content was ingested before.
    pub files_already_ingested: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Records read (a line, a pretty-printed value, a YAML document, an
    /// Elasticsearch hit).
    pub records_read: u64,
    /// Records that gave at least one event or workload.
    pub records_stored: u64,
    /// Events written (before deduplication), by kind (`process`, `file`, …).
    pub events_stored: BTreeMap<String, u64>,
    /// Workloads written.
    pub workloads_stored: u64,
    /// Records read per detected format.
    pub formats: BTreeMap<String, u64>,
    /// Records skipped, by reason.
    pub skipped: BTreeMap<SkipReason, u64>,
    /// The first [`IngestOptions::max_errors_kept`] skipped records.
    pub errors: Vec<LineError>,
}

impl IngestSummary {
    /// Records skipped, all reasons.
    pub fn records_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Events written, all kinds.
    pub fn total_events(&self) -> u64 {
        self.events_stored.values().sum()
    }

    /// Adds another summary's counts to this one.
    pub fn merge(&mut self, other: &IngestSummary, max_errors_kept: usize) {
        self.files += other.files;
        self.files_already_ingested += other.files_already_ingested;
        self.bytes += other.bytes;
        self.records_read += other.records_read;
        self.records_stored += other.records_stored;
        for (k, v) in &other.events_stored {
            *self.events_stored.entry(k.clone()).or_default() += v;
        }
        self.workloads_stored += other.workloads_stored;
        for (k, v) in &other.formats {
            *self.formats.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.skipped {
            *self.skipped.entry(*k).or_default() += v;
        }
        let room = max_errors_kept.saturating_sub(self.errors.len());
        self.errors.extend(other.errors.iter().take(room).cloned());
    }

    fn skip(
        &mut self,
        source: &str,
        line: usize,
        reason: SkipReason,
        message: String,
        keep: usize,
    ) {
        self.records_read += 1;
        *self.skipped.entry(reason).or_default() += 1;
        if self.errors.len() < keep {
            self.errors.push(LineError {
                source: source.to_string(),
                line,
                reason,
                message,
            });
        }
    }
}

/// Errors that stop the ingestion of an input.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input could not be opened or read.
    #[error("cannot read {source_name}: {error}")]
    Io {
        /// File name.
        source_name: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A manifest file could not be read.
    #[error(transparent)]
    Manifest(#[from] CoreError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// SHA-256 (hex) of a file's content, read in a stream.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut h = Sha256::new();
    loop {
        let buf = f.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        h.update(buf);
        let n = buf.len();
        f.consume(n);
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn looks_like_yaml(path: &Path) -> std::io::Result<bool> {
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        let ext = ext.to_ascii_lowercase();
        if ext == "yaml" || ext == "yml" {
            return Ok(true);
        }
        if ext == "json" || ext == "jsonl" || ext == "ndjson" || ext == "log" {
            return Ok(false);
        }
    }
    let mut head = Vec::with_capacity(512);
    File::open(path)?.take(512).read_to_end(&mut head)?;
    let text = String::from_utf8_lossy(&head);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    Ok(first.is_some_and(|l| {
        l.starts_with("---") || l.starts_with("apiVersion:") || l.starts_with("kind:")
    }))
}

/// Ingests one file (event JSON, or a YAML manifest) into `store`.
pub fn ingest_file(
    store: &mut dyn EventStore,
    path: &Path,
    options: &IngestOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<IngestSummary, IngestError> {
    let name = path.display().to_string();
    let io = |error| IngestError::Io {
        source_name: name.clone(),
        error,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    let already = || IngestSummary {
        files: 1,
        files_already_ingested: 1,
        ..IngestSummary::default()
    };
    let yaml = looks_like_yaml(path).map_err(io)?;
    // Hash first only where that may save the work: a manifest (small), or
    // a file ingested before under the same name and size (a re-run). Any
    // other input is hashed while it is read, in one pass.
    if yaml || store.ingested_as(&name, size)? {
        let hash = hash_file(path).map_err(io)?;
        if store.is_ingested(&hash)? {
            return Ok(already());
        }
        if yaml {
            return ingest_manifest(store, path, &name, hash, size, options, progress);
        }
    }
    let file = File::open(path).map_err(io)?;
    ingest_stream(store, &name, file, Some(size), options, progress)
}

/// Ingests event JSON from any reader (standard input, a socket). The
/// content hash is computed while reading; already-ingested content is
/// rolled back. The reader is read on a second (scoped) thread, hence
/// `Send`: pass `std::io::stdin()` rather than its lock.
pub fn ingest_reader(
    store: &mut dyn EventStore,
    name: &str,
    reader: impl Read + Send,
    options: &IngestOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<IngestSummary, IngestError> {
    ingest_stream(store, name, reader, None, options, progress)
}

/// Records the parse thread converts before handing them to the writer.
const BATCH_RECORDS: usize = 1_024;
/// Batches in flight between the parse thread and the writer: with
/// [`BATCH_RECORDS`], memory between the two stays bounded by a few thousand
/// records' events whatever the input's size.
const BATCHES_IN_FLIGHT: usize = 4;

/// What one record gives the store.
// Events are the bulk and move by value (boxing each would allocate per
// event); workloads are rare and boxed.
#[allow(clippy::large_enum_variant)]
enum Item {
    Event(Event),
    Workload(Box<Workload>),
}

/// Converted records on their way from the parse thread to the writer.
struct Batch {
    items: Vec<Item>,
    /// `(bytes read, records read)` to report once the batch is written.
    report: Option<(u64, u64)>,
}

/// What the parse thread found: every count of the summary (the writer
/// only stores), the bytes read and the content hash.
struct Parsed {
    sum: IngestSummary,
    hash: String,
}

/// Ingests a stream on two threads: a scoped parse thread reads, hashes,
/// frames and converts records (and counts them), the calling thread writes
/// what it sends into one store transaction. Batches travel through a
/// bounded channel, so neither side runs ahead of the other by more than
/// [`BATCHES_IN_FLIGHT`] batches.
fn ingest_stream(
    store: &mut dyn EventStore,
    name: &str,
    reader: impl Read + Send,
    total: Option<u64>,
    options: &IngestOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<IngestSummary, IngestError> {
    let io = |error| IngestError::Io {
        source_name: name.to_string(),
        error,
    };
    let mut writer = store.begin()?;
    let (parsed, written) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
        let parser = scope.spawn(move || parse_stream(name, reader, options, &tx));
        let mut written = Ok(());
        for batch in rx.iter() {
            written = write_batch(&mut *writer, batch, name, total, progress);
            if written.is_err() {
                break;
            }
        }
        // A writer that stopped early drops the receiver: the parser's next
        // send fails and it returns.
        drop(rx);
        match parser.join() {
            Ok(parsed) => (parsed, written),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    written?;
    let Parsed { sum, hash } = parsed.map_err(io)?;
    progress(&Progress {
        source: name,
        bytes_read: sum.bytes,
        total_bytes: total,
        records_read: sum.records_read,
    });
    if writer.is_ingested(&hash)? {
        drop(writer);
        return Ok(IngestSummary {
            files: 1,
            files_already_ingested: 1,
            bytes: sum.bytes,
            ..IngestSummary::default()
        });
    }
    writer.record_file(&IngestedFile {
        hash,
        path: name.to_string(),
        bytes: sum.bytes,
        summary: serde_json::to_string(&counts_only(&sum)).unwrap_or_default(),
    })?;
    writer.commit()?;
    Ok(sum)
}

/// The writer's side: stores one batch, then reports progress if due.
fn write_batch(
    writer: &mut dyn StoreWriter,
    batch: Batch,
    name: &str,
    total: Option<u64>,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<(), StoreError> {
    for item in &batch.items {
        match item {
            Item::Event(e) => writer.add_event(e)?,
            Item::Workload(w) => writer.add_workload(w)?,
        }
    }
    if let Some((bytes_read, records_read)) = batch.report {
        progress(&Progress {
            source: name,
            bytes_read,
            total_bytes: total,
            records_read,
        });
    }
    Ok(())
}

/// The parse thread: reads, hashes, frames and converts every record,
/// counting as it goes, and sends what is to be stored in batches. Stops
/// early (its result then unused) when the writer has gone.
fn parse_stream(
    name: &str,
    reader: impl Read,
    options: &IngestOptions,
    tx: &std::sync::mpsc::SyncSender<Batch>,
) -> std::io::Result<Parsed> {
    let hashing = HashingReader {
        inner: reader,
        hasher: Sha256::new(),
    };
    let mut records = RecordReader::new(
        BufReader::with_capacity(1 << 16, hashing),
        options.max_record_bytes,
    );
    let mut sum = IngestSummary {
        files: 1,
        ..IngestSummary::default()
    };
    let every = options.progress_every.max(1);
    let mut next_report = every;
    let mut items = Vec::with_capacity(BATCH_RECORDS);
    let mut in_batch = 0;
    while let Some((line, text)) = records.next_text()? {
        convert_record(name, line, text, options, &mut sum, &mut items);
        in_batch += 1;
        let report = (sum.records_read >= next_report).then(|| {
            next_report = sum.records_read + every;
            (records.bytes_read(), sum.records_read)
        });
        if in_batch >= BATCH_RECORDS || report.is_some() {
            let batch = Batch {
                items: std::mem::replace(&mut items, Vec::with_capacity(BATCH_RECORDS)),
                report,
            };
            in_batch = 0;
            if tx.send(batch).is_err() {
                break;
            }
        }
    }
    if !items.is_empty() {
        // A failed send means the writer stopped; its error is the one reported.
        let _ = tx.send(Batch {
            items,
            report: None,
        });
    }
    sum.bytes = records.bytes_read();
    let hashing = records.into_inner().into_inner();
    Ok(Parsed {
        sum,
        hash: hex(&hashing.hasher.finalize()),
    })
}

/// Adds `n` to a count by name, allocating the name only the first time.
fn bump(counts: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match counts.get_mut(key) {
        Some(c) => *c += n,
        None => {
            counts.insert(key.to_string(), n);
        }
    }
}

fn counts_only(sum: &IngestSummary) -> IngestSummary {
    IngestSummary {
        errors: Vec::new(),
        ..sum.clone()
    }
}

/// Converts one framed record: what is to be stored goes to `items`, every
/// count (and any skip) to `sum`.
fn convert_record(
    name: &str,
    line: usize,
    text: Result<&str, FrameError>,
    options: &IngestOptions,
    sum: &mut IngestSummary,
    items: &mut Vec<Item>,
) {
    let keep = options.max_errors_kept;
    let text = match text {
        Ok(t) => t,
        Err(FrameError::TooLong { bytes, limit }) => {
            sum.skip(
                name,
                line,
                SkipReason::TooLong,
                format!("record of {bytes} bytes exceeds the {limit}-byte limit"),
                keep,
            );
            return;
        }
        Err(FrameError::NotUtf8) => {
            sum.skip(
                name,
                line,
                SkipReason::NotUtf8,
                "record is not UTF-8".into(),
                keep,
            );
            return;
        }
        Err(FrameError::Truncated) => {
            sum.skip(
                name,
                line,
                SkipReason::Truncated,
                "JSON value still open at end of input".into(),
                keep,
            );
            return;
        }
    };
    // Falco alerts, the bulk of most inputs, skip the generic `Value`.
    if let Some(outcome) = crate::adapters::falco_fast::try_convert(text) {
        bump(&mut sum.formats, InputFormat::Falco.as_str(), 1);
        count_outcome(name, line, outcome, sum, keep, items);
        return;
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let reason = if e.is_eof() {
                SkipReason::Truncated
            } else {
                SkipReason::MalformedJson
            };
            let at = line + e.line().saturating_sub(1);
            sum.skip(name, at, reason, e.to_string(), keep);
            return;
        }
    };
    let (format, outcomes) = convert(&value);
    if outcomes.is_empty() {
        sum.skip(
            name,
            line,
            SkipReason::NotRuntimeActivity,
            "Elasticsearch response without hits".into(),
            keep,
        );
        return;
    }
    if let Some(f) = format {
        bump(&mut sum.formats, f.as_str(), outcomes.len() as u64);
    }
    for outcome in outcomes {
        count_outcome(name, line, outcome, sum, keep, items);
    }
}

/// Counts one outcome and queues what it stores.
fn count_outcome(
    name: &str,
    line: usize,
    outcome: Converted,
    sum: &mut IngestSummary,
    keep: usize,
    items: &mut Vec<Item>,
) {
    match outcome {
        Converted::Events(events) => {
            sum.records_read += 1;
            sum.records_stored += 1;
            for e in events {
                bump(&mut sum.events_stored, e.kind.name(), 1);
                items.push(Item::Event(e));
            }
        }
        Converted::Workload(w) => {
            sum.records_read += 1;
            sum.records_stored += 1;
            sum.workloads_stored += 1;
            items.push(Item::Workload(Box::new(w)));
        }
        Converted::Skipped { reason, message } => sum.skip(name, line, reason, message, keep),
    }
}

fn ingest_manifest(
    store: &mut dyn EventStore,
    path: &Path,
    name: &str,
    hash: String,
    size: u64,
    options: &IngestOptions,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<IngestSummary, IngestError> {
    let keep = options.max_errors_kept;
    let mut sum = IngestSummary {
        files: 1,
        bytes: size,
        ..IngestSummary::default()
    };
    let mut writer = store.begin()?;
    match document::read_file(path, &options.manifest_limits) {
        Ok(set) => {
            for doc in &set.documents {
                let line = set.line_of(doc, "").unwrap_or(0);
                let (format, outcomes) = convert(&doc.value);
                if let Some(f) = format {
                    bump(&mut sum.formats, f.as_str(), outcomes.len() as u64);
                }
                let mut items = Vec::new();
                for outcome in outcomes {
                    count_outcome(name, line, outcome, &mut sum, keep, &mut items);
                }
                for item in &items {
                    match item {
                        Item::Event(e) => writer.add_event(e)?,
                        Item::Workload(w) => writer.add_workload(w)?,
                    }
                }
            }
        }
        Err(CoreError::Syntax { line, message, .. }) => {
            sum.skip(
                name,
                line,
                SkipReason::MalformedJson,
                format!("malformed YAML: {message}"),
                keep,
            );
        }
        Err(e) => return Err(e.into()),
    }
    progress(&Progress {
        source: name,
        bytes_read: size,
        total_bytes: Some(size),
        records_read: sum.records_read,
    });
    if writer.is_ingested(&hash)? {
        return Ok(IngestSummary {
            files: 1,
            files_already_ingested: 1,
            ..IngestSummary::default()
        });
    }
    writer.record_file(&IngestedFile {
        hash,
        path: name.to_string(),
        bytes: size,
        summary: serde_json::to_string(&counts_only(&sum)).unwrap_or_default(),
    })?;
    writer.commit()?;
    Ok(sum)
}
