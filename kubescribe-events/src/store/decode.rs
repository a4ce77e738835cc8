//! What every backend of the store shares about its rows: the columns
//! [`EventStore::events`](super::EventStore::events) selects, in order, and
//! how a selected row becomes a [`StoredEvent`]; how labels and addresses
//! are kept (JSON text) and empty strings stand for absent values. One
//! decoder for every backend, so the same rows read the same whichever
//! database holds them.

use std::collections::BTreeMap;

use super::{EventTable, StoreError, StoredEvent};
use crate::{
    Direction, Event, EventKind, FileEvent, FileOperation, HttpRequest, NetworkEvent, Peer,
    PodMeta, ProcessAction, ProcessEvent, SourceEngine, SyscallEvent, SyscallKind, Validity,
};

/// The columns every event query selects first, from the event table `t`
/// and its pod `p` (indexes 0–11 of a row).
pub const HEAD_COLUMNS: &str = "t.id, t.count, t.first_seen, t.last_seen, t.validity, t.source, t.result, \
     p.namespace, p.pod, p.container, p.node, p.labels";

/// The table's own columns after [`HEAD_COLUMNS`] (from index 12), and the
/// join they need (flows: the peer's pod as `q`).
pub fn table_columns(table: EventTable) -> (&'static str, &'static str) {
    match table {
        EventTable::Processes => ("t.action, t.\"binary\", t.args, t.parent, t.uid", ""),
        EventTable::Files => ("t.path, t.operation, t.flags, t.syscall, t.process", ""),
        EventTable::Flows => (
            "t.protocol, t.direction, t.local_ip, t.local_port, t.remote_ip, t.remote_port, t.dns_name, t.process, \
             q.id, q.namespace, q.pod, q.labels, t.http_method, t.http_path, t.http_host",
            " LEFT JOIN pods q ON q.id = t.peer_id",
        ),
        EventTable::Syscalls => ("t.kind, t.name, t.args, t.process", ""),
    }
}

/// A selected row, column by index, as each backend's driver reads it.
pub trait RowRead {
    /// A text column.
    fn text(&self, i: usize) -> Result<String, StoreError>;
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    /// An integer column that may be NULL.
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError>;
}

/// `None` for the empty string (how absent values are stored).
pub fn unopt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// The empty string for `None`.
pub fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// Labels as stored (JSON object text).
pub fn labels_json(l: &BTreeMap<String, String>) -> String {
    serde_json::to_string(l).unwrap_or_else(|_| "{}".into())
}

/// Workload addresses as stored (JSON list text).
pub fn addresses_json(a: &[String]) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| "[]".into())
}

/// Reads stored workload addresses.
pub fn parse_addresses(s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s)
        .map_err(|e| StoreError::Corrupt(format!("workload addresses {s:?}: {e}")))
}

/// Reads stored labels.
pub fn parse_labels(s: &str) -> Result<BTreeMap<String, String>, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("labels {s:?}: {e}")))
}

/// A pod as stored (empty strings absent).
pub fn pod_meta(
    namespace: String,
    pod: String,
    container: String,
    node: String,
    labels: &str,
) -> Result<PodMeta, StoreError> {
    Ok(PodMeta {
        namespace: unopt(namespace),
        pod: unopt(pod),
        container: unopt(container),
        labels: parse_labels(labels)?,
        node: unopt(node),
    })
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} {v:?}"))
}

/// One row selected with [`HEAD_COLUMNS`] and [`table_columns`] as a
/// [`StoredEvent`].
pub fn decode_event(table: EventTable, r: &impl RowRead) -> Result<StoredEvent, StoreError> {
    let validity = r.text(4)?;
    let source = r.text(5)?;
    let pod = pod_meta(
        r.text(7)?,
        r.text(8)?,
        r.text(9)?,
        r.text(10)?,
        &r.text(11)?,
    )?;
    let s = |i: usize| -> Result<Option<String>, StoreError> { Ok(unopt(r.text(i)?)) };
    let kind = match table {
        EventTable::Processes => {
            let action = r.text(12)?;
            let uid = r.int(16)?;
            EventKind::Process(ProcessEvent {
                action: match action.as_str() {
                    "exec" => ProcessAction::Exec,
                    "exit" => ProcessAction::Exit,
                    other => return Err(corrupt("process action", other)),
                },
                binary: r.text(13)?,
                args: s(14)?,
                parent: s(15)?,
                uid: (uid >= 0).then_some(uid),
                by_owner: None,
            })
        }
        EventTable::Files => {
            let op = r.text(13)?;
            EventKind::File(FileEvent {
                path: r.text(12)?,
                operation: FileOperation::parse(&op)
                    .ok_or_else(|| corrupt("file operation", &op))?,
                flags: s(14)?,
                syscall: s(15)?,
                process: s(16)?,
                by_owner: None,
            })
        }
        EventTable::Flows => {
            let dir = r.text(13)?;
            let lp = r.int(15)?;
            let rp = r.int(17)?;
            let peer = match r.opt_int(20)? {
                Some(_) => Some(Peer {
                    namespace: unopt(r.text(21)?),
                    pod: unopt(r.text(22)?),
                    labels: parse_labels(&r.text(23)?)?,
                }),
                None => None,
            };
            EventKind::Network(NetworkEvent {
                protocol: r.text(12)?,
                direction: Direction::parse(&dir).ok_or_else(|| corrupt("direction", &dir))?,
                local_ip: s(14)?,
                local_port: u16::try_from(lp).ok().filter(|p| *p > 0),
                remote_ip: s(16)?,
                remote_port: u16::try_from(rp).ok().filter(|p| *p > 0),
                peer,
                dns_name: s(18)?,
                process: s(19)?,
                http: {
                    let h = HttpRequest {
                        method: s(24)?,
                        path: s(25)?,
                        host: s(26)?,
                    };
                    (h != HttpRequest::default()).then_some(h)
                },
            })
        }
        EventTable::Syscalls => {
            let kind = r.text(12)?;
            EventKind::Syscall(SyscallEvent {
                kind: match kind.as_str() {
                    "syscall" => SyscallKind::Syscall,
                    "capability" => SyscallKind::Capability,
                    other => return Err(corrupt("syscall kind", other)),
                },
                name: r.text(13)?,
                args: s(14)?,
                process: s(15)?,
            })
        }
    };
    let first_seen = r.opt_int(2)?;
    let count = r.int(1)?;
    Ok(StoredEvent {
        table,
        id: r.int(0)?,
        count: count.max(0) as u64,
        first_seen,
        last_seen: r.opt_int(3)?,
        event: Event {
            timestamp_ns: first_seen,
            source: SourceEngine::parse(&source).ok_or_else(|| corrupt("source", &source))?,
            pod,
            validity: Validity::parse(&validity).ok_or_else(|| corrupt("validity", &validity))?,
            result: unopt(r.text(6)?),
            kind,
        },
    })
}
