//! The event store: `EventStore` (SQLite file or in-memory) and `Context`,
//! the summarized behaviour of a scope as prompts carry it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use kubescribe_events::context::{Observed, WorkloadContext, estimate_tokens};
use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteStore};
use kubescribe_events::{IngestOptions, IngestSummary, Validity, ingest_file, ingest_reader};

use crate::convert::{Count, from_py, parse_name, to_py, to_yaml};
use crate::errors::{check_path, check_readable_file, parse_err, store_err, type_err};
use crate::state::pyrepr;

/// The store behind a Python `EventStore`; `None` once closed.
pub(crate) type Slot = Option<SqliteStore>;

/// The open store in a locked slot, or a `StoreError` when it was closed.
pub(crate) fn opened<'a>(slot: &'a mut MutexGuard<'_, Slot>) -> PyResult<&'a mut SqliteStore> {
    slot.as_mut()
        .ok_or_else(|| store_err("the event store is closed"))
}

/// A label selector given as a dict or as `"k=v,k2=v2"`.
pub(crate) fn selector_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<BTreeMap<String, String>> {
    let Some(obj) = obj else {
        return Ok(BTreeMap::new());
    };
    if obj.is_none() {
        return Ok(BTreeMap::new());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let mut out = BTreeMap::new();
        let text = s.to_cow()?;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((k, v)) = part.split_once('=') else {
                return Err(parse_err(format!("selector {part:?}: expected key=value")));
            };
            out.insert(k.trim().to_string(), v.trim().to_string());
        }
        return Ok(out);
    }
    obj.extract::<BTreeMap<String, String>>().map_err(|_| {
        type_err("selector: expected a dict of str to str, or \"key=value,key=value\"")
    })
}

fn table_arg(s: &str) -> PyResult<EventTable> {
    parse_name(s, "table", &["processes", "files", "flows", "syscalls"])
}

fn validity_arg(s: &str) -> PyResult<Validity> {
    parse_name(s, "validity", &["unreviewed", "approved", "denied"])
}

fn ingest_options(max_record_mib: usize) -> IngestOptions {
    IngestOptions {
        max_record_bytes: max_record_mib.saturating_mul(1024 * 1024),
        ..IngestOptions::default()
    }
}

/// Deduplicated runtime events and workloads in an SQLite database,
/// queryable by namespace and labels; the same store `kubescribe ingest`
/// writes. `EventStore()` is a private in-memory store.
#[pyclass(name = "EventStore", module = "kubescribe", frozen)]
pub struct PyEventStore {
    inner: Mutex<Slot>,
    path: Option<PathBuf>,
}

impl PyEventStore {
    pub(crate) fn lock(&self) -> PyResult<MutexGuard<'_, Slot>> {
        self.inner
            .lock()
            .map_err(|_| store_err("the event store was poisoned by a panic in another thread"))
    }

    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut SqliteStore) -> PyResult<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self.lock()?;
            f(opened(&mut guard)?)
        })
    }

    fn summary<'py>(py: Python<'py>, s: &IngestSummary) -> PyResult<Bound<'py, PyAny>> {
        let d = to_py(py, s)?;
        // Computed totals, so callers need not add them up.
        d.set_item("records_skipped", s.records_skipped())?;
        d.set_item("total_events", s.total_events())?;
        Ok(d)
    }
}

#[pymethods]
impl PyEventStore {
    /// Opens (creating if needed) the store file at `path`; without a path,
    /// a private in-memory store.
    #[new]
    #[pyo3(signature = (path = None))]
    fn new(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        if let Some(p) = &path {
            // The file is created when missing, its directory is not.
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                check_path(dir)?;
            }
        }
        let p = path.clone();
        let store = py.detach(move || match &p {
            Some(p) => SqliteStore::open(p),
            None => SqliteStore::open_in_memory(),
        });
        let store = store.map_err(|e| match &path {
            Some(p) => store_err(format!("opening {}: {e}", p.display())),
            None => store_err(e),
        })?;
        Ok(PyEventStore {
            inner: Mutex::new(Some(store)),
            path,
        })
    }

    /// Opens (creating if needed) the store file at `path`.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Self::new(py, Some(path))
    }

    /// The store file, or None for an in-memory store.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.path.clone()
    }

    /// Ingests event files (Falco, Tetragon, KubeArmor, Hubble JSON; format
    /// detected per record) and Kubernetes manifests (YAML). A file already
    /// ingested (same content) is skipped. Returns the summary as a dict:
    /// records read/stored/skipped, events per table, formats, skip reasons
    /// and the first bad records with file and line.
    #[pyo3(signature = (*paths, max_record_mib = Count(4)))]
    fn ingest_files<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        max_record_mib: Count,
    ) -> PyResult<Bound<'py, PyAny>> {
        for p in &paths {
            check_readable_file(p)?;
        }
        let options = ingest_options(max_record_mib.0);
        let total = self.with(py, |s| {
            let mut total = IngestSummary::default();
            for p in &paths {
                let sum = ingest_file(s, p, &options, &mut |_| {}).map_err(store_err)?;
                total.merge(&sum, options.max_errors_kept);
            }
            Ok(total)
        })?;
        Self::summary(py, &total)
    }

    /// Ingests records from an iterable of dicts (one event each), JSON
    /// strings or bytes (one or more JSON lines each), e.g. a generator over
    /// a message queue. `name` labels the source in error messages. The
    /// content is hashed like a file: ingesting the same records again is a
    /// no-op.
    #[pyo3(signature = (records, *, name = "<python>", max_record_mib = Count(4)))]
    fn ingest<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        name: &str,
        max_record_mib: Count,
    ) -> PyResult<Bound<'py, PyAny>> {
        let max_record_mib = max_record_mib.0;
        let mut buf: Vec<u8> = Vec::new();
        for (i, item) in records.try_iter()?.enumerate() {
            let item = item?;
            if let Ok(s) = item.cast::<PyString>() {
                buf.extend_from_slice(s.to_cow()?.as_bytes());
            } else if let Ok(b) = item.cast::<PyBytes>() {
                buf.extend_from_slice(b.as_bytes());
            } else if item.is_instance_of::<PyDict>() {
                let v = from_py(&item, &format!("records[{i}]"))?;
                serde_json::to_writer(&mut buf, &v).map_err(parse_err)?;
            } else {
                return Err(type_err(format!(
                    "records[{i}]: expected a dict, str or bytes, got {}",
                    item.get_type().name()?
                )));
            }
            if buf.last() != Some(&b'\n') {
                buf.push(b'\n');
            }
        }
        let options = ingest_options(max_record_mib);
        let name = name.to_string();
        let sum = self.with(py, move |s| {
            ingest_reader(s, &name, buf.as_slice(), &options, &mut |_| {}).map_err(store_err)
        })?;
        Self::summary(py, &sum)
    }

    /// Row counts: pods, processes, files, flows, syscalls, workloads,
    /// observations (events summed over duplicates), ingested_files.
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.with(py, |s| s.counts().map_err(store_err))?;
        to_py(py, &c)
    }

    /// Deduplicated events of one table (`"processes"`, `"files"`,
    /// `"flows"`, `"syscalls"`) as records: `table`, `id`, `count`,
    /// `first_seen`, `last_seen` and the nested `event`
    /// (`pandas.json_normalize` flattens them).
    #[pyo3(signature = (table, *, namespace = None, selector = None, path_prefix = None,
                        peer_namespace = None, peer_selector = None, remote_ip = None,
                        validity = None, limit = None))]
    #[allow(clippy::too_many_arguments)]
    fn events<'py>(
        &self,
        py: Python<'py>,
        table: &str,
        namespace: Option<String>,
        selector: Option<&Bound<'py, PyAny>>,
        path_prefix: Option<String>,
        peer_namespace: Option<String>,
        peer_selector: Option<&Bound<'py, PyAny>>,
        remote_ip: Option<String>,
        validity: Option<&str>,
        limit: Option<Count>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let limit = limit.map(|c| c.0);
        let table = table_arg(table)?;
        let query = EventQuery {
            namespace,
            selector: selector_arg(selector)?,
            path_prefix,
            peer_namespace,
            peer_selector: selector_arg(peer_selector)?,
            remote_ip,
            validity: validity.map(validity_arg).transpose()?,
            limit,
            ..EventQuery::default()
        };
        let rows = self.with(py, |s| s.events(table, &query).map_err(store_err))?;
        to_py(py, &rows)
    }

    /// `events(...)` as a `pandas.DataFrame` (the same filters), the nested
    /// `event` flattened into columns (`event.kind.path`, `event.pod.namespace`,
    /// …) by `pandas.json_normalize`. Needs pandas (imported only here).
    #[pyo3(signature = (table, *, namespace = None, selector = None, path_prefix = None,
                        peer_namespace = None, peer_selector = None, remote_ip = None,
                        validity = None, limit = None))]
    #[allow(clippy::too_many_arguments)]
    fn to_pandas<'py>(
        &self,
        py: Python<'py>,
        table: &str,
        namespace: Option<String>,
        selector: Option<&Bound<'py, PyAny>>,
        path_prefix: Option<String>,
        peer_namespace: Option<String>,
        peer_selector: Option<&Bound<'py, PyAny>>,
        remote_ip: Option<String>,
        validity: Option<&str>,
        limit: Option<Count>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = self.events(
            py,
            table,
            namespace,
            selector,
            path_prefix,
            peer_namespace,
            peer_selector,
            remote_ip,
            validity,
            limit,
        )?;
        let pandas = py.import("pandas").map_err(|_| {
            pyo3::exceptions::PyImportError::new_err(
                "to_pandas() needs pandas, which kubescribe does not install: pip install pandas",
            )
        })?;
        pandas.getattr("json_normalize")?.call1((rows,))
    }

    /// Workloads from ingested manifests, filtered by namespace and the
    /// labels of their pods.
    #[pyo3(signature = (namespace = None, selector = None))]
    fn workloads<'py>(
        &self,
        py: Python<'py>,
        namespace: Option<String>,
        selector: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let selector = selector_arg(selector)?;
        let rows = self.with(py, |s| {
            s.workloads(namespace.as_deref(), &selector)
                .map_err(store_err)
        })?;
        to_py(py, &rows)
    }

    /// The files ingested so far (hash, path, bytes, summary).
    fn ingested_files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rows = self.with(py, |s| s.ingested_files().map_err(store_err))?;
        to_py(py, &rows)
    }

    /// Records an operator's verdict (`"approved"`, `"denied"` or
    /// `"unreviewed"`) on event rows; returns how many rows exist and were set.
    fn set_validity(
        &self,
        py: Python<'_>,
        table: &str,
        ids: &Bound<'_, PyAny>,
        validity: &str,
    ) -> PyResult<usize> {
        let table = table_arg(table)?;
        let validity = validity_arg(validity)?;
        let ids: Vec<i64> = match ids.extract::<i64>() {
            Ok(id) => vec![id],
            Err(_) => ids
                .extract()
                .map_err(|_| type_err("ids: expected an int or a list of ints"))?,
        };
        self.with(py, |s| {
            let mut n = 0;
            for id in ids {
                if s.set_validity(table, id, validity).map_err(store_err)? {
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// Marks event rows as legitimate behaviour; returns how many were found.
    fn approve(&self, py: Python<'_>, table: &str, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.set_validity(py, table, ids, "approved")
    }

    /// Marks event rows as behaviour that must not be allowed; returns how many were found.
    fn deny(&self, py: Python<'_>, table: &str, ids: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.set_validity(py, table, ids, "denied")
    }

    /// What the selected workloads were observed doing, summarized for a
    /// prompt (paths into directories, addresses into CIDRs, ports into
    /// ranges, most frequent first): the most detailed summary within
    /// `budget` tokens (characters / 4), or with `per_kind` entries of each
    /// kind when that is given instead.
    #[pyo3(signature = (*, namespace = None, selector = None, budget = Count(400), per_kind = None))]
    fn context(
        &self,
        py: Python<'_>,
        namespace: Option<String>,
        selector: Option<&Bound<'_, PyAny>>,
        budget: Count,
        per_kind: Option<Count>,
    ) -> PyResult<PyContext> {
        let (budget, per_kind) = (budget.0, per_kind.map(|c| c.0));
        let selector = selector_arg(selector)?;
        let inner = self.with(py, |s| {
            let observed =
                Observed::from_store(s, namespace.as_deref(), &selector).map_err(store_err)?;
            Ok(match per_kind {
                Some(n) => observed.summarize(namespace.as_deref(), &selector, n),
                None => observed.summarize_within(namespace.as_deref(), &selector, budget),
            })
        })?;
        Ok(PyContext { inner })
    }

    /// Closes the store; later calls raise `StoreError`.
    fn close(&self) -> PyResult<()> {
        self.lock()?.take();
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        _t: Option<&Bound<'_, PyAny>>,
        _v: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "EventStore({})",
            pyrepr(py, self.path.as_ref().map(|p| p.display().to_string()))
        )
    }
}

/// The summarized behaviour of a scope (`EventStore.context`).
#[pyclass(name = "Context", module = "kubescribe", frozen)]
pub struct PyContext {
    pub(crate) inner: WorkloadContext,
}

#[pymethods]
impl PyContext {
    /// Events the summary covers.
    #[getter]
    fn observations(&self) -> u64 {
        self.inner.observations
    }
    /// Namespace of the scope.
    #[getter]
    fn namespace(&self) -> Option<&str> {
        self.inner.namespace.as_deref()
    }
    /// Label selector of the scope.
    #[getter]
    fn selector(&self) -> BTreeMap<String, String> {
        self.inner.selector.clone()
    }
    /// Estimated prompt tokens of the rendering (characters / 4).
    #[getter]
    fn tokens(&self) -> usize {
        estimate_tokens(&self.inner.render())
    }
    /// The plain-text rendering prompts carry (values from logs quoted as JSON strings).
    fn render(&self) -> String {
        self.inner.render()
    }
    /// The summary as a dict: binaries, files, remotes, inbound_ports, outbound_ports,
    /// container_ports, inbound_peers, outbound_peers, dns_names, observations, cut.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    /// The summary as YAML.
    fn to_yaml(&self) -> PyResult<String> {
        to_yaml(&self.inner)
    }
    fn __str__(&self) -> String {
        self.inner.render()
    }
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        crate::state::eq(py, self, other)
    }
    fn __hash__(&self) -> PyResult<u64> {
        crate::state::hash(self)
    }
    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (&'static str, String))> {
        crate::state::reduce(py, self)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Context(namespace={}, selector={}, observations={})",
            pyrepr(py, self.inner.namespace.as_deref()),
            pyrepr(py, self.inner.selector.clone()),
            self.inner.observations
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEventStore>()?;
    m.add_class::<PyContext>()?;
    Ok(())
}
