//! Adapters: one JSON record of Falco, Tetragon, KubeArmor or Hubble output
//! (or a Kubernetes object) to events / workloads. The format is detected
//! per record, so files mixing formats work.
//!
//! This module holds detection, dispatch and the field helpers every format
//! uses; one submodule per format (`falco` with its borrowed fast path
//! `falco_fast`, `tetragon`, `kubearmor`, `hubble`).

use std::collections::BTreeMap;

use serde_json::Value;

use std::fmt;

use crate::time::parse_rfc3339;
use crate::{
    Direction, Event, EventKind, FileEvent, FileOperation, NetworkEvent, Peer, PodMeta,
    ProcessAction, ProcessEvent, SourceEngine, SyscallEvent, SyscallKind, Validity, Workload,
};
use serde::{Deserialize, Serialize};

pub(crate) mod falco;
pub(crate) mod falco_fast;
mod hubble;
mod kubearmor;
mod tetragon;

use falco::falco;
use hubble::hubble;
use kubearmor::kubearmor;
use tetragon::tetragon;

/// Why a record was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// Longer than [`IngestOptions::max_record_bytes`](crate::IngestOptions::max_record_bytes).
    TooLong,
    /// Not UTF-8.
    NotUtf8,
    /// Not well-formed JSON (or YAML).
    MalformedJson,
    /// JSON cut off before its end.
    Truncated,
    /// Well-formed, but no known format.
    UnknownFormat,
    /// A known format, but an event type kubescribe does not model.
    UnknownEventType,
    /// A field has the wrong type or a required field is missing.
    InvalidField,
    /// A valid record that describes no workload activity (Falco's Kubernetes
    /// audit alerts and metrics, Tetragon throttle notices, non-workload
    /// Kubernetes kinds).
    NotRuntimeActivity,
}

impl SkipReason {
    /// Short name (`too-long`, `malformed-json`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::TooLong => "too-long",
            SkipReason::NotUtf8 => "not-utf8",
            SkipReason::MalformedJson => "malformed-json",
            SkipReason::Truncated => "truncated",
            SkipReason::UnknownFormat => "unknown-format",
            SkipReason::UnknownEventType => "unknown-event-type",
            SkipReason::InvalidField => "invalid-field",
            SkipReason::NotRuntimeActivity => "not-runtime-activity",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    fn tetragon_kprobe_arguments_keep_their_order() {
        // A TracingPolicy's matchArgs name arguments by position.
        let e = events(json!({"process_kprobe": {
            "process": {"binary": "/bin/ln", "pod": {"namespace": "ns", "name": "p"}},
            "function_name": "__x64_sys_symlinkat",
            "args": [{"string_arg": "/etc/passwd"}, {"int_arg": -100},
                     {"uint_arg": 7}, {"string_arg": "/tmp/pw"}]}}));
        match &e[0].kind {
            EventKind::Syscall(s) => assert_eq!(
                s.args.as_deref(),
                Some("string_arg=/etc/passwd int_arg=-100 uint_arg=7 string_arg=/tmp/pw")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kubearmor_ping_is_icmp_and_arping_raw() {
        // ping's socket: raw type, ICMP protocol; KubeArmor's `protocol: icmp` matches it.
        for resource in [
            "domain=AF_INET type=SOCK_RAW protocol=1",
            "domain=AF_INET type=SOCK_DGRAM protocol=ICMP",
        ] {
            let e = events(json!({"Type": "ContainerLog", "Operation": "Network",
                "Resource": resource, "Data": "syscall=SYS_SOCKET"}));
            assert_eq!(network(&e[0]).protocol, "ICMP", "{resource}");
        }
        let e = events(json!({"Type": "ContainerLog", "Operation": "Network",
            "Resource": "domain=AF_PACKET type=SOCK_RAW protocol=1544", "Data": "syscall=SYS_SOCKET"}));
        assert_eq!(network(&e[0]).protocol, "RAW");
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
