//! Adapters: one JSON record of Falco, Tetragon, KubeArmor or Hubble output
//! (or a Kubernetes object) to events / workloads. The format is detected
//! per record, so files mixing formats work.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ingest::SkipReason;
use super::time::parse_rfc3339;
use super::{
    Direction, Event, EventKind, FileEvent, FileOperation, NetworkEvent, Peer, PodMeta,
    ProcessAction, ProcessEvent, SourceEngine, SyscallEvent, SyscallKind, Validity, Workload,
};

/// The recognised record formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputFormat {
    /// Falco JSON output (`output`, `rule`, `priority`, `output_fields`).
    Falco,
    /// Tetragon JSON export (`{"process_exec": …}`, `process_kprobe`, …).
    Tetragon,
    /// A KubeArmor log or alert (`karmor logs --json`).
    KubeArmor,
    /// An Elasticsearch search response whose hits are KubeArmor events.
    KubeArmorElasticsearch,
    /// A Hubble flow (`hubble observe -o json`: `{"flow": …}`).
    Hubble,
    /// A Kubernetes object (`apiVersion` + `kind`).
    Kubernetes,
}

impl InputFormat {
    /// Short name for summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Falco => "falco",
            InputFormat::Tetragon => "tetragon",
            InputFormat::KubeArmor => "kubearmor",
            InputFormat::KubeArmorElasticsearch => "kubearmor-elasticsearch",
            InputFormat::Hubble => "hubble",
            InputFormat::Kubernetes => "kubernetes",
        }
    }
}

/// What one record became.
#[derive(Debug, Clone, PartialEq)]
pub enum Converted {
    /// Events (a Falco alert may yield a process and a file event).
    Events(Vec<Event>),
    /// A workload from a manifest.
    Workload(Workload),
    /// Not stored, and why.
    Skipped {
        /// The category.
        reason: SkipReason,
        /// Details.
        message: String,
    },
}

/// A record rejected by an adapter.
#[derive(Debug)]
pub(crate) struct Skip {
    pub(crate) reason: SkipReason,
    pub(crate) message: String,
}

fn invalid(message: impl Into<String>) -> Skip {
    Skip {
        reason: SkipReason::InvalidField,
        message: message.into(),
    }
}

const KUBEARMOR_TYPES: &[&str] = &[
    "ContainerLog",
    "HostLog",
    "MatchedPolicy",
    "MatchedHostPolicy",
    "MatchedNetworkPolicy",
];

/// Detects the format of one JSON record.
pub fn detect(v: &Value) -> Option<InputFormat> {
    let o = v.as_object()?;
    if o.contains_key("output_fields") || (o.contains_key("rule") && o.contains_key("priority")) {
        return Some(InputFormat::Falco);
    }
    if o.contains_key("flow") || o.contains_key("node_status") || o.contains_key("lost_events") {
        return Some(InputFormat::Hubble);
    }
    if o.keys().any(|k| k.starts_with("process_")) {
        return Some(InputFormat::Tetragon);
    }
    if o.contains_key("Operation") && o.contains_key("Type") {
        return Some(InputFormat::KubeArmor);
    }
    if o.get("hits")
        .and_then(|h| h.get("hits"))
        .is_some_and(Value::is_array)
    {
        return Some(InputFormat::KubeArmorElasticsearch);
    }
    if o.contains_key("apiVersion") && o.contains_key("kind") {
        return Some(InputFormat::Kubernetes);
    }
    None
}

/// Converts one record. Most records give one [`Converted`]; an Elasticsearch
/// response gives one per hit.
pub fn convert(v: &Value) -> (Option<InputFormat>, Vec<Converted>) {
    let format = detect(v);
    let one = |r: Result<Vec<Event>, Skip>| match r {
        Ok(events) => Converted::Events(events),
        Err(s) => Converted::Skipped {
            reason: s.reason,
            message: s.message,
        },
    };
    let out = match format {
        None => vec![Converted::Skipped {
            reason: SkipReason::UnknownFormat,
            message: unknown_format_message(v),
        }],
        Some(InputFormat::Falco) => vec![one(falco(v))],
        Some(InputFormat::Tetragon) => vec![one(tetragon(v))],
        Some(InputFormat::KubeArmor) => vec![one(kubearmor(v))],
        Some(InputFormat::Hubble) => vec![one(hubble(v))],
        Some(InputFormat::KubeArmorElasticsearch) => v["hits"]["hits"]
            .as_array()
            .map(|hits| {
                hits.iter()
                    .map(|h| match h.get("_source") {
                        Some(src) if detect(src) == Some(InputFormat::KubeArmor) => {
                            one(kubearmor(src))
                        }
                        _ => Converted::Skipped {
                            reason: SkipReason::UnknownFormat,
                            message: "Elasticsearch hit without a KubeArmor `_source`".into(),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Some(InputFormat::Kubernetes) => vec![match super::manifest::workload(v) {
            Ok(Some(w)) => Converted::Workload(w),
            Ok(None) => Converted::Skipped {
                reason: SkipReason::NotRuntimeActivity,
                message: format!(
                    "Kubernetes kind {} is not a workload",
                    v["kind"].as_str().unwrap_or("?")
                ),
            },
            Err(m) => Converted::Skipped {
                reason: SkipReason::InvalidField,
                message: m,
            },
        }],
    };
    (format, out)
}

fn unknown_format_message(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let keys: Vec<&str> = o.keys().take(5).map(String::as_str).collect();
            format!(
                "not Falco, Tetragon, KubeArmor, Hubble or Kubernetes JSON (keys: {})",
                keys.join(", ")
            )
        }
        other => format!("expected a JSON object, found {}", type_name(other)),
    }
}

fn type_name(v: &Value) -> &'static str {
    Scalar::of(v).type_name()
}

// ---------------------------------------------------------------- helpers

/// One field's value as the adapters look at it: strings and numbers by
/// reference, containers by kind only.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(&'a serde_json::Number),
    Str(&'a str),
    Array,
    Object,
}

impl<'a> Scalar<'a> {
    fn of(v: &'a Value) -> Scalar<'a> {
        match v {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Number(n),
            Value::String(s) => Scalar::Str(s),
            Value::Array(_) => Scalar::Array,
            Value::Object(_) => Scalar::Object,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Number(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }
}

/// A JSON object the adapters read fields of: a generic [`Value`], or a
/// record parsed straight into borrowed fields (the Falco fast path).
/// Lookups follow `serde_json`'s map: a repeated key's last value wins, at
/// its first position.
pub(crate) trait Fields {
    /// The type of nested objects.
    type Nested: Fields + ?Sized;
    /// The field `key`, `None` when absent (or `self` is no object).
    fn field(&self, key: &str) -> Option<Scalar<'_>>;
    /// The nested object `key` (when [`Fields::field`] says it is one).
    fn nested(&self, key: &str) -> Option<&Self::Nested>;
    /// Every field whose key starts with `prefix`, in map order.
    fn each_prefixed(&self, prefix: &str, f: &mut dyn FnMut(&str, Scalar<'_>));
}

impl Fields for Value {
    type Nested = Value;

    fn field(&self, key: &str) -> Option<Scalar<'_>> {
        self.get(key).map(Scalar::of)
    }

    fn nested(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }

    fn each_prefixed(&self, prefix: &str, f: &mut dyn FnMut(&str, Scalar<'_>)) {
        if let Value::Object(m) = self {
            for (k, v) in m {
                if k.starts_with(prefix) {
                    f(k, Scalar::of(v));
                }
            }
        }
    }
}

/// A string field; error if present with another type.
fn str_of<'a, F: Fields + ?Sized>(o: &'a F, key: &str) -> Result<Option<&'a str>, Skip> {
    match o.field(key) {
        None | Some(Scalar::Null) => Ok(None),
        Some(Scalar::Str(s)) => Ok(Some(s)),
        Some(other) => Err(invalid(format!(
            "`{key}` must be a string, found {}",
            other.type_name()
        ))),
    }
}

fn string_of<F: Fields + ?Sized>(o: &F, key: &str) -> Result<Option<String>, Skip> {
    Ok(str_of(o, key)?
        .filter(|s| !s.is_empty())
        .map(str::to_string))
}

/// An integer field given as a number or a numeric string.
fn int_of<F: Fields + ?Sized>(o: &F, key: &str) -> Result<Option<i64>, Skip> {
    match o.field(key) {
        None | Some(Scalar::Null) => Ok(None),
        Some(Scalar::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| u as i64))
            .map(Some)
            .ok_or_else(|| invalid(format!("`{key}` must be an integer, found {n}"))),
        Some(Scalar::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(Scalar::Str(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| invalid(format!("`{key}` must be an integer, found {s:?}"))),
        Some(other) => Err(invalid(format!(
            "`{key}` must be an integer, found {}",
            other.type_name()
        ))),
    }
}

fn port_of<F: Fields + ?Sized>(o: &F, key: &str) -> Result<Option<u16>, Skip> {
    match int_of(o, key)? {
        None => Ok(None),
        Some(p) => u16::try_from(p)
            .map(Some)
            .map_err(|_| invalid(format!("`{key}` {p} is not a port number"))),
    }
}

fn obj<'a, F: Fields + ?Sized>(o: &'a F, key: &str) -> Result<Option<&'a F::Nested>, Skip> {
    match o.field(key) {
        None | Some(Scalar::Null) => Ok(None),
        Some(Scalar::Object) => Ok(o.nested(key)),
        Some(other) => Err(invalid(format!(
            "`{key}` must be an object, found {}",
            other.type_name()
        ))),
    }
}

/// Splits `"/bin/sh -c x"` into `("/bin/sh", Some("-c x"))`.
fn split_cmd(s: &str) -> (String, Option<String>) {
    let s = s.trim();
    match s.split_once(' ') {
        Some((bin, rest)) => {
            let rest = rest.trim();
            (
                bin.to_string(),
                (!rest.is_empty()).then(|| rest.to_string()),
            )
        }
        None => (s.to_string(), None),
    }
}

/// `key=value` tokens separated by spaces or commas.
fn kv_tokens(s: &str) -> BTreeMap<String, String> {
    s.split([' ', ','])
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn none_if_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn event(
    source: SourceEngine,
    ts: Option<i64>,
    pod: &PodMeta,
    result: Option<String>,
    kind: EventKind,
) -> Event {
    Event {
        timestamp_ns: ts,
        source,
        pod: pod.clone(),
        validity: Validity::Unreviewed,
        result,
        kind,
    }
}

// ---------------------------------------------------------------- Falco

/// Falco alert to events; generic so the borrowed fast path
/// (`falco_fast`) and the [`Value`] path share one definition.
pub(crate) fn falco<F: Fields + ?Sized>(v: &F) -> Result<Vec<Event>, Skip> {
    let source = str_of(v, "source")?.unwrap_or("syscall");
    let rule = str_of(v, "rule")?.unwrap_or("");
    if source != "syscall" {
        return Err(Skip {
            reason: SkipReason::NotRuntimeActivity,
            message: format!(
                "Falco source {source:?} (rule {rule:?}) carries no workload activity"
            ),
        });
    }
    let f =
        obj(v, "output_fields")?.ok_or_else(|| invalid("Falco alert without `output_fields`"))?;
    let ts = match int_of(f, "evt.time")? {
        Some(ns) => Some(ns),
        None => str_of(v, "time")?.and_then(parse_rfc3339),
    };
    let mut labels = BTreeMap::new();
    f.each_prefixed("k8s.pod.label", &mut |k, val| {
        if let (Some(name), Scalar::Str(s)) = (
            k.strip_prefix("k8s.pod.label[")
                .and_then(|r| r.strip_suffix(']'))
                .or_else(|| k.strip_prefix("k8s.pod.label.")),
            val,
        ) {
            labels.insert(name.to_string(), s.to_string());
        }
    });
    if let Some(all) = str_of(f, "k8s.pod.labels")? {
        // Falco prints `[app:nginx, tier:web]` (or `app=nginx,…`).
        for item in all.trim_matches(|c| c == '[' || c == ']').split(',') {
            let item = item.trim();
            if let Some((k, val)) = item.split_once(':').or_else(|| item.split_once('=')) {
                labels.insert(k.trim().to_string(), val.trim().to_string());
            }
        }
    }
    let pod = PodMeta {
        namespace: string_of(f, "k8s.ns.name")?,
        pod: string_of(f, "k8s.pod.name")?,
        container: match string_of(f, "container.name")? {
            Some(n) => Some(n),
            None => string_of(f, "container.id")?.filter(|id| id != "host"),
        },
        labels,
        node: match string_of(f, "evt.hostname")? {
            Some(h) => Some(h),
            None => string_of(v, "hostname")?,
        },
    };
    let cmdline = str_of(f, "proc.cmdline")?;
    let binary = match string_of(f, "proc.exepath")? {
        Some(p) => Some(p),
        None => match string_of(f, "proc.exe")? {
            Some(p) => Some(p),
            None => match string_of(f, "proc.name")? {
                Some(p) => Some(p),
                None => cmdline.map(|c| split_cmd(c).0).filter(|s| !s.is_empty()),
            },
        },
    };
    let args = match string_of(f, "proc.args")? {
        Some(a) => Some(a),
        None => cmdline.and_then(|c| split_cmd(c).1),
    };
    let parent = match string_of(f, "proc.pexepath")? {
        Some(p) => Some(p),
        None => string_of(f, "proc.pname")?,
    };
    let evt_type = str_of(f, "evt.type")?.unwrap_or("");
    // Events get `pod` at the end: cloned for all but the last, which takes it.
    let blank = PodMeta::default();
    let mut out = Vec::with_capacity(2);
    if let Some(bin) = &binary {
        out.push(event(
            SourceEngine::Falco,
            ts,
            &blank,
            None,
            EventKind::Process(ProcessEvent {
                action: ProcessAction::Exec,
                binary: bin.clone(),
                args,
                parent,
                uid: int_of(f, "user.uid")?,
            }),
        ));
    }
    let fd_name = str_of(f, "fd.name")?.filter(|s| !s.is_empty());
    let fd_type = str_of(f, "fd.type")?.unwrap_or("");
    let file_path = match string_of(f, "fs.path.name")? {
        Some(p) => Some(p),
        None => fd_name
            .filter(|n| {
                fd_type == "file"
                    || fd_type == "directory"
                    || (fd_type.is_empty() && n.starts_with('/'))
            })
            .map(str::to_string),
    };
    let flags = string_of(f, "evt.arg.flags")?;
    if let Some(path) = file_path {
        let op = falco_file_op(f, evt_type, flags.as_deref(), rule)?;
        out.push(event(
            SourceEngine::Falco,
            ts,
            &blank,
            none_if_empty(string_of(f, "evt.res")?),
            EventKind::File(FileEvent {
                path,
                operation: op,
                flags,
                syscall: (!evt_type.is_empty()).then(|| evt_type.to_string()),
                process: binary.clone(),
            }),
        ));
    } else if let Some(conn) = fd_name.filter(|n| n.contains("->")) {
        out.push(event(
            SourceEngine::Falco,
            ts,
            &blank,
            none_if_empty(string_of(f, "evt.res")?),
            EventKind::Network(falco_network(f, conn, evt_type, binary.clone())?),
        ));
    }
    if out.is_empty() {
        if !evt_type.is_empty() {
            out.push(event(
                SourceEngine::Falco,
                ts,
                &blank,
                None,
                EventKind::Syscall(SyscallEvent {
                    kind: SyscallKind::Syscall,
                    name: evt_type.to_string(),
                    args: string_of(f, "evt.args")?,
                    process: None,
                }),
            ));
        } else {
            return Err(Skip {
                reason: SkipReason::NotRuntimeActivity,
                message: format!(
                    "Falco alert (rule {rule:?}) has no process, file, network or syscall fields"
                ),
            });
        }
    }
    let mut pod = Some(pod);
    let last = out.len().saturating_sub(1);
    for (i, e) in out.iter_mut().enumerate() {
        e.pod = if i == last {
            pod.take().unwrap_or_default()
        } else {
            pod.clone().unwrap_or_default()
        };
    }
    Ok(out)
}

fn falco_file_op<F: Fields + ?Sized>(
    f: &F,
    evt_type: &str,
    flags: Option<&str>,
    rule: &str,
) -> Result<FileOperation, Skip> {
    let truthy = |k: &str| -> Result<bool, Skip> {
        Ok(match f.field(k) {
            Some(Scalar::Bool(b)) => b,
            Some(Scalar::Str(s)) => s == "true",
            Some(Scalar::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        })
    };
    if truthy("evt.is_open_write")? {
        return Ok(FileOperation::Write);
    }
    if truthy("evt.is_open_exec")? {
        return Ok(FileOperation::Exec);
    }
    if truthy("evt.is_open_read")? {
        return Ok(FileOperation::Read);
    }
    if let Some(fl) = flags {
        return Ok(op_from_open_flags(fl));
    }
    let t = evt_type;
    Ok(if t.starts_with("exec") {
        FileOperation::Exec
    } else if t.contains("write")
        || t.contains("unlink")
        || t.contains("rename")
        || t.contains("chmod")
        || t.contains("chown")
        || t.contains("mkdir")
        || t.contains("rmdir")
        || t.contains("truncate")
        || t.contains("link")
    {
        FileOperation::Write
    } else if t.contains("read") {
        FileOperation::Read
    } else if t.is_empty() && rule.to_ascii_lowercase().contains("writ") {
        FileOperation::Write
    } else if t.is_empty() && rule.to_ascii_lowercase().contains("read") {
        FileOperation::Read
    } else {
        FileOperation::Open
    })
}

/// Read or write from `open` flags (`O_RDONLY|O_CLOEXEC`, Falco's `O_WRONLY|O_CREAT`).
fn op_from_open_flags(flags: &str) -> FileOperation {
    let f = flags.to_ascii_uppercase();
    if ["WRONLY", "RDWR", "CREAT", "TRUNC", "APPEND"]
        .iter()
        .any(|w| f.contains(w))
    {
        FileOperation::Write
    } else if f.contains("RDONLY") {
        FileOperation::Read
    } else {
        FileOperation::Open
    }
}

/// Splits `10.0.0.1:443` / `[::1]:443` into address and port.
fn split_host_port(s: &str) -> (Option<String>, Option<u16>) {
    let s = s.trim();
    if let Some((h, p)) = s.strip_prefix('[').and_then(|rest| rest.split_once("]:")) {
        return (Some(h.to_string()), p.parse().ok());
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (Some(h.to_string()), p.parse().ok()),
        _ => (Some(s.to_string()).filter(|s| !s.is_empty()), None),
    }
}

fn falco_network<F: Fields + ?Sized>(
    f: &F,
    conn: &str,
    evt_type: &str,
    process: Option<String>,
) -> Result<NetworkEvent, Skip> {
    let (client, server) = conn.split_once("->").unwrap_or((conn, ""));
    let (cip, cport) = split_host_port(client);
    let (sip, sport) = split_host_port(server);
    let protocol = str_of(f, "fd.l4proto")?
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_uppercase)
        .unwrap_or_else(|| "unknown".into());
    let inbound = evt_type.starts_with("accept") || evt_type == "listen";
    Ok(if inbound {
        NetworkEvent {
            protocol,
            direction: Direction::Ingress,
            local_ip: sip,
            local_port: sport,
            remote_ip: cip,
            remote_port: cport,
            peer: None,
            dns_name: None,
            process,
        }
    } else {
        NetworkEvent {
            protocol,
            direction: Direction::Egress,
            local_ip: cip,
            local_port: cport,
            remote_ip: sip,
            remote_port: sport,
            peer: None,
            dns_name: string_of(f, "fd.sip.name")?,
            process,
        }
    })
}

// ---------------------------------------------------------------- Tetragon

fn tetragon(v: &Value) -> Result<Vec<Event>, Skip> {
    let o = v.as_object().ok_or_else(|| invalid("not an object"))?;
    let (ty, body) = o
        .iter()
        .find(|(k, _)| k.starts_with("process_"))
        .ok_or_else(|| invalid("no process_* key"))?;
    if !body.is_object() {
        return Err(invalid(format!(
            "`{ty}` must be an object, found {}",
            type_name(body)
        )));
    }
    let node = string_of(v, "node_name")?;
    let ts = str_of(v, "time")?.and_then(parse_rfc3339);
    let process = match ty.as_str() {
        "process_throttle" => {
            return Err(Skip {
                reason: SkipReason::NotRuntimeActivity,
                message: "process_throttle is a Tetragon rate-limit notice".into(),
            });
        }
        "process_close" => {
            return Err(Skip {
                reason: SkipReason::NotRuntimeActivity,
                message: "process_close ends a connection already recorded by process_connect"
                    .into(),
            });
        }
        "process_exec" | "process_exit" | "process_kprobe" | "process_tracepoint"
        | "process_uprobe" | "process_lsm" | "process_connect" | "process_listen" => {
            obj(body, "process")?.ok_or_else(|| invalid(format!("`{ty}` without `process`")))?
        }
        other => {
            return Err(Skip {
                reason: SkipReason::UnknownEventType,
                message: format!("Tetragon event type {other:?}"),
            });
        }
    };
    let pod = tetragon_pod(process, node)?;
    let binary = string_of(process, "binary")?
        .ok_or_else(|| invalid(format!("`{ty}.process.binary` missing")))?;
    let parent = match obj(body, "parent")? {
        Some(p) => string_of(p, "binary")?,
        None => None,
    };
    let uid = int_of(process, "uid")?;
    let exec = |action| ProcessEvent {
        action,
        binary: binary.clone(),
        args: None,
        parent: parent.clone(),
        uid,
    };
    let ev = |result, kind| event(SourceEngine::Tetragon, ts, &pod, result, kind);
    Ok(match ty.as_str() {
        "process_exec" => {
            let mut p = exec(ProcessAction::Exec);
            p.args = string_of(process, "arguments")?;
            vec![ev(None, EventKind::Process(p))]
        }
        "process_exit" => {
            let mut p = exec(ProcessAction::Exit);
            p.args = string_of(process, "arguments")?;
            let status = int_of(body, "status")?;
            let signal = string_of(body, "signal")?;
            let result = signal.or(status.map(|s| format!("status {s}")));
            vec![ev(result, EventKind::Process(p))]
        }
        "process_connect" | "process_listen" => {
            let listen = ty == "process_listen";
            vec![ev(
                None,
                EventKind::Network(NetworkEvent {
                    protocol: string_of(body, "protocol")?.unwrap_or_else(|| "TCP".into()),
                    direction: if listen {
                        Direction::Listen
                    } else {
                        Direction::Egress
                    },
                    local_ip: string_of(body, "source_ip")?,
                    local_port: port_of(body, "source_port")?,
                    remote_ip: if listen {
                        None
                    } else {
                        string_of(body, "destination_ip")?
                    },
                    remote_port: if listen {
                        None
                    } else {
                        port_of(body, "destination_port")?
                    },
                    peer: None,
                    dns_name: None,
                    process: Some(binary.clone()),
                }),
            )]
        }
        _ => tetragon_hook(body, &binary, ev)?,
    })
}

fn tetragon_pod(process: &Value, node: Option<String>) -> Result<PodMeta, Skip> {
    let mut pod = PodMeta {
        node,
        ..PodMeta::default()
    };
    if let Some(p) = obj(process, "pod")? {
        pod.namespace = string_of(p, "namespace")?;
        pod.pod = string_of(p, "name")?;
        if let Some(c) = obj(p, "container")? {
            pod.container = string_of(c, "name")?;
        }
        match p.get("pod_labels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, val) in m {
                    let s = val
                        .as_str()
                        .ok_or_else(|| invalid(format!("pod label {k:?} must be a string")))?;
                    pod.labels.insert(k.clone(), s.to_string());
                }
            }
            Some(other) => {
                return Err(invalid(format!(
                    "`pod_labels` must be an object, found {}",
                    type_name(other)
                )));
            }
        }
    }
    Ok(pod)
}

/// kprobe / tracepoint / uprobe / lsm events: a file, network or capability
/// event when an argument says so, a syscall event otherwise.
fn tetragon_hook(
    body: &Value,
    binary: &str,
    ev: impl Fn(Option<String>, EventKind) -> Event,
) -> Result<Vec<Event>, Skip> {
    let function = match string_of(body, "function_name")? {
        Some(f) => f,
        None => match (string_of(body, "subsys")?, string_of(body, "event")?) {
            (Some(s), Some(e)) => format!("{s}/{e}"),
            (None, Some(e)) => e,
            _ => string_of(body, "symbol")?.unwrap_or_else(|| "unknown".into()),
        },
    };
    let args: &[Value] = match body.get("args") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(invalid(format!(
                "`args` must be an array, found {}",
                type_name(other)
            )));
        }
    };
    let result = match body.get("return").and_then(|r| r.get("int_arg")) {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    let mut ints = Vec::new();
    let mut other_args = Vec::new();
    for a in args {
        let Some(m) = a.as_object() else {
            return Err(invalid(format!(
                "kprobe argument must be an object, found {}",
                type_name(a)
            )));
        };
        for (k, val) in m {
            if k == "label" {
                continue;
            }
            match k.as_str() {
                "file_arg" | "path_arg" | "linux_binprm_arg" => {
                    let path = string_of(val, "path")?
                        .ok_or_else(|| invalid(format!("`{k}.path` missing")))?;
                    out.push((path, string_of(val, "flags")?));
                }
                "int_arg" | "size_arg" => {
                    if let Some(i) = val.as_i64() {
                        ints.push(i);
                    }
                }
                "sock_arg" | "skb_arg" | "sockaddr_arg" => {
                    let net = NetworkEvent {
                        protocol: string_of(val, "protocol")?
                            .map(|p| p.trim_start_matches("IPPROTO_").to_string())
                            .unwrap_or_else(|| "unknown".into()),
                        direction: if function.contains("accept") {
                            Direction::Ingress
                        } else if function.contains("bind") || function.contains("listen") {
                            Direction::Listen
                        } else {
                            Direction::Egress
                        },
                        local_ip: string_of(val, "saddr")?,
                        local_port: port_of(val, "sport")?,
                        remote_ip: string_of(val, "daddr")?,
                        remote_port: port_of(val, "dport")?,
                        peer: None,
                        dns_name: None,
                        process: Some(binary.to_string()),
                    };
                    return Ok(vec![ev(result, EventKind::Network(net))]);
                }
                "capability_arg" => {
                    let name = string_of(val, "name")?.unwrap_or_else(|| "unknown".into());
                    return Ok(vec![ev(
                        result,
                        EventKind::Syscall(SyscallEvent {
                            kind: SyscallKind::Capability,
                            name,
                            args: Some(function.clone()),
                            process: Some(binary.to_string()),
                        }),
                    )]);
                }
                _ => other_args.push(format!("{k}={}", compact(val))),
            }
        }
    }
    if !out.is_empty() {
        let op = tetragon_file_op(&function, &ints);
        return Ok(out
            .into_iter()
            .map(|(path, flags)| {
                ev(
                    result.clone(),
                    EventKind::File(FileEvent {
                        path,
                        operation: op,
                        flags,
                        syscall: Some(function.clone()),
                        process: Some(binary.to_string()),
                    }),
                )
            })
            .collect());
    }
    let mut all: Vec<String> = ints.iter().map(|i| format!("int_arg={i}")).collect();
    all.extend(other_args);
    Ok(vec![ev(
        result,
        EventKind::Syscall(SyscallEvent {
            kind: SyscallKind::Syscall,
            name: function,
            args: (!all.is_empty()).then(|| all.join(" ")),
            process: Some(binary.to_string()),
        }),
    )])
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn tetragon_file_op(function: &str, ints: &[i64]) -> FileOperation {
    let f = function.to_ascii_lowercase();
    if f == "security_file_permission" || f == "security_mmap_file" {
        // MAY_EXEC 1, MAY_WRITE 2, MAY_READ 4 (mmap: PROT_EXEC 4, PROT_WRITE 2, PROT_READ 1).
        if let Some(&mask) = ints.first() {
            let (exec, write, read) = if f == "security_mmap_file" {
                (4, 2, 1)
            } else {
                (1, 2, 4)
            };
            return if mask & write != 0 {
                FileOperation::Write
            } else if mask & exec != 0 {
                FileOperation::Exec
            } else if mask & read != 0 {
                FileOperation::Read
            } else {
                FileOperation::Open
            };
        }
    }
    if f.contains("bprm") || f.contains("exec") {
        FileOperation::Exec
    } else if [
        "write", "truncate", "unlink", "rename", "chmod", "chown", "mkdir", "rmdir", "link",
    ]
    .iter()
    .any(|w| f.contains(w))
    {
        FileOperation::Write
    } else if f.contains("read") {
        FileOperation::Read
    } else {
        FileOperation::Open
    }
}

// ---------------------------------------------------------------- KubeArmor

fn kubearmor(v: &Value) -> Result<Vec<Event>, Skip> {
    let ty = str_of(v, "Type")?.unwrap_or("");
    if !KUBEARMOR_TYPES.contains(&ty) {
        return Err(Skip {
            reason: SkipReason::UnknownEventType,
            message: format!("KubeArmor event type {ty:?}"),
        });
    }
    let op = str_of(v, "Operation")?.unwrap_or("");
    let ts = match str_of(v, "UpdatedTime")?.and_then(parse_rfc3339) {
        Some(t) => Some(t),
        None => int_of(v, "Timestamp")?.and_then(|s| s.checked_mul(1_000_000_000)),
    };
    let mut labels = BTreeMap::new();
    if let Some(l) = str_of(v, "Labels")? {
        for item in l.split(',') {
            if let Some((k, val)) = item.split_once('=') {
                labels.insert(k.trim().to_string(), val.trim().to_string());
            }
        }
    }
    let pod = PodMeta {
        namespace: string_of(v, "NamespaceName")?,
        pod: string_of(v, "PodName")?,
        container: string_of(v, "ContainerName")?,
        labels,
        node: string_of(v, "HostName")?,
    };
    let result = string_of(v, "Result")?;
    let resource = str_of(v, "Resource")?.unwrap_or("").trim();
    let data = str_of(v, "Data")?.unwrap_or("");
    let data_kv = kv_tokens(data);
    let syscall = data_kv
        .get("syscall")
        .or_else(|| data_kv.get("kfunc"))
        .or_else(|| data_kv.get("lsm"))
        .cloned();
    let process_name = match string_of(v, "ProcessName")? {
        Some(p) => Some(p),
        None => str_of(v, "Source")?
            .map(|s| split_cmd(s).0)
            .filter(|s| !s.is_empty()),
    };
    let ev = |kind| event(SourceEngine::KubeArmor, ts, &pod, result.clone(), kind);
    let kind = match op {
        "Process" => {
            let (binary, args) = if resource.starts_with('/') {
                split_cmd(resource)
            } else {
                (
                    process_name.clone().ok_or_else(|| {
                        invalid("KubeArmor Process event without Resource or ProcessName")
                    })?,
                    None,
                )
            };
            EventKind::Process(ProcessEvent {
                action: ProcessAction::Exec,
                binary,
                args,
                parent: match string_of(v, "ParentProcessName")? {
                    Some(p) => Some(p),
                    None => str_of(v, "Source")?
                        .map(|s| split_cmd(s).0)
                        .filter(|s| !s.is_empty()),
                },
                uid: int_of(v, "UID")?,
            })
        }
        "File" => {
            if resource.is_empty() {
                return Err(invalid("KubeArmor File event without Resource"));
            }
            let flags = data_kv.get("flags").filter(|f| !f.is_empty()).cloned();
            EventKind::File(FileEvent {
                path: resource.to_string(),
                operation: kubearmor_file_op(syscall.as_deref(), flags.as_deref()),
                flags,
                syscall,
                process: process_name,
            })
        }
        "Network" => EventKind::Network(kubearmor_network(
            resource,
            &data_kv,
            syscall.as_deref(),
            process_name,
        )),
        "NetworkFirewall" => {
            let ed = obj(v, "EventData")?;
            let get = |k: &str| -> Option<String> {
                ed.and_then(|e| e.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| data_kv.get(k).cloned())
            };
            let ingress = resource.eq_ignore_ascii_case("INGRESS");
            let (src_ip, src_port) = (
                get("SourceIP"),
                get("SourcePort").and_then(|p| p.parse().ok()),
            );
            let (dst_ip, dst_port) = (
                get("DestinationIP"),
                get("DestinationPort").and_then(|p| p.parse().ok()),
            );
            let (local_ip, local_port, remote_ip, remote_port) = if ingress {
                (dst_ip, dst_port, src_ip, src_port)
            } else {
                (src_ip, src_port, dst_ip, dst_port)
            };
            EventKind::Network(NetworkEvent {
                protocol: get("Protocol").unwrap_or_else(|| "unknown".into()),
                direction: if ingress {
                    Direction::Ingress
                } else {
                    Direction::Egress
                },
                local_ip,
                local_port,
                remote_ip,
                remote_port,
                peer: None,
                dns_name: None,
                process: process_name,
            })
        }
        "Syscall" | "Capabilities" => {
            let cap = op == "Capabilities";
            let name = if cap {
                if resource.is_empty() {
                    syscall.clone().unwrap_or_default()
                } else {
                    resource.to_string()
                }
            } else {
                syscall.clone().unwrap_or_else(|| resource.to_string())
            };
            if name.is_empty() {
                return Err(invalid(format!(
                    "KubeArmor {op} event without Resource or syscall"
                )));
            }
            let mut args: Vec<String> = Vec::new();
            if !cap && !resource.is_empty() {
                args.push(resource.to_string());
            }
            args.extend(
                data_kv
                    .iter()
                    .filter(|(k, _)| k.as_str() != "syscall")
                    .map(|(k, v)| format!("{k}={v}")),
            );
            EventKind::Syscall(SyscallEvent {
                kind: if cap {
                    SyscallKind::Capability
                } else {
                    SyscallKind::Syscall
                },
                name,
                args: (!args.is_empty()).then(|| args.join(" ")),
                process: process_name,
            })
        }
        other => {
            return Err(Skip {
                reason: SkipReason::UnknownEventType,
                message: format!("KubeArmor operation {other:?}"),
            });
        }
    };
    Ok(vec![ev(kind)])
}

fn kubearmor_file_op(syscall: Option<&str>, flags: Option<&str>) -> FileOperation {
    let s = syscall.unwrap_or("").to_ascii_uppercase();
    if s.contains("EXEC") {
        FileOperation::Exec
    } else if [
        "UNLINK", "RENAME", "CHMOD", "CHOWN", "MKDIR", "RMDIR", "TRUNCATE", "WRITE", "LINK",
    ]
    .iter()
    .any(|w| s.contains(w))
    {
        FileOperation::Write
    } else if s.contains("OPEN") || flags.is_some() {
        flags.map_or(FileOperation::Open, op_from_open_flags)
    } else if s.contains("READ") {
        FileOperation::Read
    } else {
        FileOperation::Open
    }
}

fn kubearmor_network(
    resource: &str,
    data: &BTreeMap<String, String>,
    syscall: Option<&str>,
    process: Option<String>,
) -> NetworkEvent {
    let r = kv_tokens(resource);
    let s = syscall.unwrap_or("").to_ascii_uppercase();
    let direction = if s.contains("ACCEPT") {
        Direction::Ingress
    } else if s.contains("BIND") || s.contains("LISTEN") {
        Direction::Listen
    } else if s.contains("CONNECT") || s.contains("SEND") {
        Direction::Egress
    } else {
        Direction::Unknown
    };
    let family = r
        .get("sa_family")
        .or_else(|| r.get("domain"))
        .map(String::as_str)
        .unwrap_or("");
    let sock_type = r.get("type").map(String::as_str).unwrap_or("");
    let protocol = if family == "AF_UNIX" {
        "UNIX".to_string()
    } else if s.starts_with("UDP") || sock_type.starts_with("SOCK_DGRAM") {
        "UDP".to_string()
    } else if s.starts_with("TCP") || sock_type.starts_with("SOCK_STREAM") {
        "TCP".to_string()
    } else if sock_type.starts_with("SOCK_RAW") {
        "RAW".to_string()
    } else if let Some(p) = r.get("protocol").filter(|p| p.as_str() != "0") {
        p.to_ascii_uppercase()
    } else {
        "unknown".to_string()
    };
    let addr = r
        .get("sin_addr")
        .or_else(|| r.get("sin6_addr"))
        .or_else(|| r.get("remoteip"))
        .or_else(|| data.get("daddr"))
        .cloned();
    let port = r
        .get("sin_port")
        .or_else(|| r.get("sin6_port"))
        .or_else(|| r.get("port"))
        .and_then(|p| p.parse().ok());
    let dns_name = data.get("domain").cloned().or_else(|| {
        // `Resource` is the bare domain for DNS-visibility events.
        (!resource.is_empty() && !resource.contains('=') && !resource.contains(' '))
            .then(|| resource.to_string())
    });
    let (local_port, remote_port) = if direction == Direction::Listen {
        (port, None)
    } else {
        (None, port)
    };
    NetworkEvent {
        protocol,
        direction,
        local_ip: None,
        local_port,
        remote_ip: if direction == Direction::Listen {
            None
        } else {
            addr
        },
        remote_port,
        peer: None,
        dns_name,
        process,
    }
}

// ---------------------------------------------------------------- Hubble

struct Endpoint {
    namespace: Option<String>,
    pod: Option<String>,
    labels: BTreeMap<String, String>,
}

fn hubble_endpoint(v: Option<&Value>) -> Result<Endpoint, Skip> {
    let Some(v) = v else {
        return Ok(Endpoint {
            namespace: None,
            pod: None,
            labels: BTreeMap::new(),
        });
    };
    if !v.is_object() {
        return Err(invalid(format!(
            "flow endpoint must be an object, found {}",
            type_name(v)
        )));
    }
    let mut labels = BTreeMap::new();
    match v.get("labels") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let s = item
                    .as_str()
                    .ok_or_else(|| invalid("flow endpoint label must be a string"))?;
                // `k8s:app=web`, `reserved:world`.
                let (source, rest) = s.split_once(':').unwrap_or(("", s));
                if source == "reserved" {
                    labels.insert(format!("reserved:{rest}"), String::new());
                    continue;
                }
                let (k, val) = rest.split_once('=').unwrap_or((rest, ""));
                if k.starts_with("io.cilium.k8s.namespace.labels.")
                    || k.starts_with("io.cilium.k8s.policy.")
                {
                    continue;
                }
                labels.insert(k.to_string(), val.to_string());
            }
        }
        Some(other) => {
            return Err(invalid(format!(
                "flow endpoint `labels` must be an array, found {}",
                type_name(other)
            )));
        }
    }
    labels.remove("io.kubernetes.pod.namespace");
    Ok(Endpoint {
        namespace: string_of(v, "namespace")?,
        pod: string_of(v, "pod_name")?,
        labels,
    })
}

fn hubble(v: &Value) -> Result<Vec<Event>, Skip> {
    let Some(flow) = obj(v, "flow")? else {
        let what = v
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "node_name" && *k != "time"))
            .cloned()
            .unwrap_or_default();
        return Err(Skip {
            reason: SkipReason::UnknownEventType,
            message: format!("Hubble record without a flow ({what})"),
        });
    };
    let ts = match str_of(flow, "time")?.and_then(parse_rfc3339) {
        Some(t) => Some(t),
        None => str_of(v, "time")?.and_then(parse_rfc3339),
    };
    let node = match string_of(flow, "node_name")? {
        Some(n) => Some(n),
        None => string_of(v, "node_name")?,
    };
    let ip = obj(flow, "IP")?;
    let (mut src_ip, mut dst_ip) = match ip {
        Some(ip) => (string_of(ip, "source")?, string_of(ip, "destination")?),
        None => (None, None),
    };
    let mut src = hubble_endpoint(flow.get("source"))?;
    let mut dst = hubble_endpoint(flow.get("destination"))?;
    let (mut protocol, mut sport, mut dport) = ("unknown".to_string(), None, None);
    let l4 = obj(flow, "l4")?;
    if let Some((name, body)) = l4.and_then(Value::as_object).and_then(|m| m.iter().next()) {
        protocol = name.clone();
        if body.is_object() {
            sport = port_of(body, "source_port")?;
            dport = port_of(body, "destination_port")?;
        }
    }
    let is_reply = matches!(flow.get("is_reply"), Some(Value::Bool(true)))
        || matches!(flow.get("reply"), Some(Value::Bool(true)));
    if is_reply {
        // Describe the connection, not the reply packet.
        std::mem::swap(&mut src, &mut dst);
        std::mem::swap(&mut src_ip, &mut dst_ip);
        std::mem::swap(&mut sport, &mut dport);
    }
    let direction = match str_of(flow, "traffic_direction")? {
        Some("INGRESS") => Direction::Ingress,
        Some("EGRESS") => Direction::Egress,
        _ if src.pod.is_some() => Direction::Egress,
        _ if dst.pod.is_some() => Direction::Ingress,
        _ => Direction::Unknown,
    };
    let (local, local_ip, local_port, remote, remote_ip, remote_port) =
        if direction == Direction::Ingress {
            (dst, dst_ip, dport, src, src_ip, sport)
        } else {
            (src, src_ip, sport, dst, dst_ip, dport)
        };
    let pod = PodMeta {
        namespace: local.namespace,
        pod: local.pod,
        container: None,
        labels: local.labels,
        node,
    };
    let peer = (remote.namespace.is_some() || remote.pod.is_some() || !remote.labels.is_empty())
        .then_some(Peer {
            namespace: remote.namespace,
            pod: remote.pod,
            labels: remote.labels,
        });
    let mut dns_name = flow
        .get("l7")
        .and_then(|l| l.get("dns"))
        .and_then(|d| d.get("query"))
        .and_then(Value::as_str)
        .map(|q| q.trim_end_matches('.').to_string());
    if dns_name.is_none() {
        let names = if direction == Direction::Ingress {
            "source_names"
        } else {
            "destination_names"
        };
        dns_name = flow
            .get(names)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(vec![event(
        SourceEngine::Hubble,
        ts,
        &pod,
        string_of(flow, "verdict")?,
        EventKind::Network(NetworkEvent {
            protocol,
            direction,
            local_ip,
            local_port,
            remote_ip,
            remote_port,
            peer,
            dns_name,
            process: None,
        }),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn events(v: Value) -> Vec<Event> {
        match convert(&v).1.remove(0) {
            Converted::Events(e) => e,
            other => panic!("{other:?}"),
        }
    }

    fn network(e: &Event) -> &NetworkEvent {
        match &e.kind {
            EventKind::Network(n) => n,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn falco_accept_is_ingress_from_the_server_side() {
        let e = events(
            json!({"rule": "Inbound", "priority": "Notice", "output": "o",
            "output_fields": {"evt.type": "accept4", "fd.name": "10.0.0.9:51000->10.0.0.5:8080",
                "fd.l4proto": "tcp", "proc.exepath": "/app/server", "k8s.ns.name": "shop",
                "k8s.pod.labels": "[app:web, tier:frontend]"}}),
        );
        assert_eq!(e.len(), 2);
        let n = network(&e[1]);
        assert_eq!(n.direction, Direction::Ingress);
        assert_eq!(
            (n.local_ip.as_deref(), n.local_port),
            (Some("10.0.0.5"), Some(8080))
        );
        assert_eq!(n.remote_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(
            e[0].pod.labels.get("tier").map(String::as_str),
            Some("frontend")
        );
    }

    #[test]
    fn tetragon_connect_and_listen() {
        let p = json!({"binary": "/usr/bin/curl", "pod": {"namespace": "ns", "name": "p"}});
        let e = events(
            json!({"process_connect": {"process": p, "source_ip": "10.0.0.1",
            "source_port": 40000, "destination_ip": "1.1.1.1", "destination_port": 443,
            "protocol": "TCP"}, "time": "2022-01-19T16:29:02.021Z"}),
        );
        let n = network(&e[0]);
        assert_eq!((n.direction, n.remote_port), (Direction::Egress, Some(443)));
        assert_eq!(e[0].timestamp_ns, parse_rfc3339("2022-01-19T16:29:02.021Z"));
        let e = events(
            json!({"process_listen": {"process": p, "source_ip": "0.0.0.0",
            "source_port": 80, "protocol": "TCP"}}),
        );
        let n = network(&e[0]);
        assert_eq!(
            (n.direction, n.local_port, n.remote_ip.as_deref()),
            (Direction::Listen, Some(80), None)
        );
    }

    #[test]
    fn kubearmor_firewall_and_dns() {
        let e = events(
            json!({"Type": "MatchedNetworkPolicy", "Operation": "NetworkFirewall",
            "Resource": "INGRESS", "Data": "SourceIP=192.168.1.2 SourcePort=53262 DestinationIP=192.168.1.3 DestinationPort=22 Protocol=TCP",
            "HostName": "h", "Result": "Passed"}),
        );
        let n = network(&e[0]);
        assert_eq!(
            (n.direction, n.local_port, n.remote_ip.as_deref()),
            (Direction::Ingress, Some(22), Some("192.168.1.2"))
        );
        let e = events(json!({"Type": "ContainerLog", "Operation": "Network",
            "Resource": "sa_family=AF_INET sin_port=53",
            "Data": "kfunc=UDP_SENDMSG,domain=example.com,daddr=10.43.0.10,qtype=A"}));
        let n = network(&e[0]);
        assert_eq!(n.protocol, "UDP");
        assert_eq!(
            (n.remote_ip.as_deref(), n.remote_port),
            (Some("10.43.0.10"), Some(53))
        );
        assert_eq!(n.dns_name.as_deref(), Some("example.com"));
    }

    #[test]
    fn elasticsearch_hits_are_records() {
        let hit = json!({"_source": {"Type": "ContainerLog", "Operation": "Process",
            "Resource": "/bin/ls -la", "NamespaceName": "ns"}});
        let (format, out) = convert(&json!({"hits": {"hits": [hit, {"_source": {"x": 1}}]}}));
        assert_eq!(format, Some(InputFormat::KubeArmorElasticsearch));
        assert_eq!(out.len(), 2);
        assert!(
            matches!(&out[0], Converted::Events(e) if matches!(&e[0].kind,
            EventKind::Process(p) if p.binary == "/bin/ls" && p.args.as_deref() == Some("-la")))
        );
        assert!(matches!(
            &out[1],
            Converted::Skipped {
                reason: SkipReason::UnknownFormat,
                ..
            }
        ));
    }

    #[test]
    fn wrong_types_are_invalid_fields() {
        for v in [
            json!({"flow": {"IP": {"source": 5}}}),
            json!({"flow": {"l4": {"TCP": {"destination_port": 70000}}}}),
            json!({"process_exec": {"process": {"binary": "/x", "pod": {"pod_labels": [1]}}}}),
            json!({"Type": "ContainerLog", "Operation": "File", "Resource": 3}),
            json!({"rule": "r", "priority": "p", "output_fields": {"k8s.ns.name": ["a"]}}),
        ] {
            match convert(&v).1.remove(0) {
                Converted::Skipped {
                    reason: SkipReason::InvalidField,
                    ..
                } => {}
                other => panic!("{v}: {other:?}"),
            }
        }
    }
}
