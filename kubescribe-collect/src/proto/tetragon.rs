//! Tetragon's `tetragon.FineGuidanceSensors/GetEvents`.
//!
//! Field numbers from cilium/tetragon `api/v1/tetragon/sensors.proto` (the
//! service), `events.proto` (`GetEventsRequest`, `GetEventsResponse`) and
//! `tetragon.proto` (`Process`, `Pod`, `Container`, `ProcessExec`,
//! `ProcessExit`, `ProcessKprobe`, `ProcessTracepoint`, `ProcessUprobe`,
//! `ProcessLsm`, `KprobeArgument` and the argument messages the adapter
//! reads). JSON names as Tetragon's JSON export (`export-filename`, `tetra
//! getevents -o json`) writes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{BoolValue, b64, i64_str, ts, u64_str, wrap_bool, wrap_i32, wrap_u32};
use super::{Int32Value, Timestamp, UInt32Value, is_zero_i32, is_zero_u32, is_zero_u64};

/// The gRPC method.
pub const GET_EVENTS: &str = "/tetragon.FineGuidanceSensors/GetEvents";

/// `tetragon.GetEventsRequest`: no filters (every event).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetEventsRequest {}

/// `tetragon.GetEventsResponse`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct GetEventsResponse {
    /// The `event` oneof (`process_loader`, `process_usdt`, `test` and
    /// `rate_limit_info` are skipped).
    #[prost(oneof = "Event", tags = "1, 5, 9, 10, 12, 27, 28")]
    #[serde(flatten)]
    pub event: Option<Event>,
    #[prost(string, tag = "1000")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    #[prost(message, optional, tag = "1001")]
    #[serde(with = "ts", skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `GetEventsResponse.event`.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, prost::Oneof, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    #[prost(message, tag = "1")]
    ProcessExec(ProcessExec),
    #[prost(message, tag = "5")]
    ProcessExit(ProcessExit),
    #[prost(message, tag = "9")]
    ProcessKprobe(Hook),
    #[prost(message, tag = "10")]
    ProcessTracepoint(Tracepoint),
    #[prost(message, tag = "12")]
    ProcessUprobe(Uprobe),
    #[prost(message, tag = "27")]
    ProcessThrottle(Throttle),
    #[prost(message, tag = "28")]
    ProcessLsm(Lsm),
}

/// `tetragon.Process`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Process {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub exec_id: String,
    #[prost(message, optional, tag = "2")]
    #[serde(with = "wrap_u32", skip_serializing_if = "Option::is_none")]
    pub pid: Option<UInt32Value>,
    #[prost(message, optional, tag = "3")]
    #[serde(with = "wrap_u32", skip_serializing_if = "Option::is_none")]
    pub uid: Option<UInt32Value>,
    #[prost(string, tag = "4")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cwd: String,
    #[prost(string, tag = "5")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub binary: String,
    #[prost(string, tag = "6")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub arguments: String,
    #[prost(string, tag = "7")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub flags: String,
    #[prost(message, optional, tag = "8")]
    #[serde(with = "ts", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[prost(message, optional, tag = "10")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<Pod>,
    #[prost(string, tag = "12")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub parent_exec_id: String,
}

/// `tetragon.Pod`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Pod {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[prost(message, optional, tag = "4")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    #[prost(btree_map = "string, string", tag = "5")]
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: BTreeMap<String, String>,
    #[prost(string, tag = "6")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub workload: String,
    #[prost(string, tag = "7")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub workload_kind: String,
}

/// `tetragon.Container` (its id and name).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// `tetragon.ProcessExec`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessExec {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    #[prost(message, optional, tag = "2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Process>,
}

/// `tetragon.ProcessExit`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessExit {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    #[prost(message, optional, tag = "2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Process>,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signal: String,
    #[prost(uint32, tag = "4")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub status: u32,
    #[prost(message, optional, tag = "5")]
    #[serde(with = "ts", skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// `tetragon.ProcessKprobe` (`return`, `action`, policy name).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Hook {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    #[prost(message, optional, tag = "2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Process>,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub function_name: String,
    #[prost(message, repeated, tag = "4")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<KprobeArgument>,
    #[prost(message, optional, tag = "5")]
    #[serde(rename = "return", skip_serializing_if = "Option::is_none")]
    pub return_value: Option<KprobeArgument>,
    /// `KprobeAction`.
    #[prost(int32, tag = "6")]
    #[serde(with = "kprobe_action", skip_serializing_if = "is_zero_i32")]
    pub action: i32,
    #[prost(string, tag = "8")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub policy_name: String,
}

super::proto_enum!(kprobe_action {
    0 => "KPROBE_ACTION_UNKNOWN",
    1 => "KPROBE_ACTION_POST",
    2 => "KPROBE_ACTION_FOLLOWFD",
    3 => "KPROBE_ACTION_SIGKILL",
    4 => "KPROBE_ACTION_UNFOLLOWFD",
    5 => "KPROBE_ACTION_OVERRIDE",
    6 => "KPROBE_ACTION_COPYFD",
    7 => "KPROBE_ACTION_GETURL",
    8 => "KPROBE_ACTION_DNSLOOKUP",
    9 => "KPROBE_ACTION_NOPOST",
    10 => "KPROBE_ACTION_SIGNAL",
    11 => "KPROBE_ACTION_TRACKSOCK",
    12 => "KPROBE_ACTION_UNTRACKSOCK",
    13 => "KPROBE_ACTION_NOTIFYENFORCER",
    14 => "KPROBE_ACTION_CLEANUPENFORCERNOTIFICATION",
    15 => "KPROBE_ACTION_SET",
});

/// `tetragon.ProcessTracepoint`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Tracepoint {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    #[prost(message, optional, tag = "2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Process>,
    #[prost(string, tag = "4")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subsys: String,
    #[prost(string, tag = "5")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub event: String,
    #[prost(message, repeated, tag = "6")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<KprobeArgument>,
    #[prost(string, tag = "7")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub policy_name: String,
}

/// `tetragon.ProcessUprobe`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Uprobe {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    #[prost(message, optional, tag = "2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Process>,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[prost(string, tag = "4")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub symbol: String,
    #[prost(string, tag = "5")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub policy_name: String,
    #[prost(message, repeated, tag = "7")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<KprobeArgument>,
}

/// `tetragon.ProcessLsm`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Lsm {
    #[prost(message, optional, tag = "1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    #[prost(message, optional, tag = "2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Process>,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub function_name: String,
    #[prost(string, tag = "5")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub policy_name: String,
    #[prost(message, repeated, tag = "7")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<KprobeArgument>,
}

/// `tetragon.ProcessThrottle` (a rate-limit notice; the adapter counts it).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Throttle {
    /// `ThrottleType`.
    #[prost(int32, tag = "1")]
    #[serde(
        rename = "type",
        with = "throttle_type",
        skip_serializing_if = "is_zero_i32"
    )]
    pub throttle_type: i32,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroup: String,
}

super::proto_enum!(throttle_type {
    0 => "THROTTLE_UNKNOWN",
    1 => "THROTTLE_START",
    2 => "THROTTLE_STOP",
});

/// `tetragon.KprobeArgument`: the `arg` oneof and its `label`. Arguments of
/// kinds not listed in [`Arg`] arrive as an argument with no value.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct KprobeArgument {
    #[prost(
        oneof = "Arg",
        tags = "1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 15, 17, 21, 22, 23, 24, 25, 26, 27, 30"
    )]
    #[serde(flatten)]
    pub arg: Option<Arg>,
    #[prost(string, tag = "18")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// `KprobeArgument.arg`.
#[derive(Clone, PartialEq, prost::Oneof, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arg {
    #[prost(string, tag = "1")]
    StringArg(String),
    #[prost(int32, tag = "2")]
    IntArg(i32),
    #[prost(message, tag = "3")]
    SkbArg(Skb),
    #[prost(uint64, tag = "4")]
    SizeArg(#[serde(with = "u64_str")] u64),
    #[prost(bytes = "vec", tag = "5")]
    BytesArg(#[serde(with = "b64")] Vec<u8>),
    #[prost(message, tag = "6")]
    PathArg(FilePath),
    #[prost(message, tag = "7")]
    FileArg(FilePath),
    #[prost(message, tag = "8")]
    TruncatedBytesArg(TruncatedBytes),
    #[prost(message, tag = "9")]
    SockArg(Sock),
    #[prost(int64, tag = "11")]
    LongArg(#[serde(with = "i64_str")] i64),
    #[prost(uint32, tag = "15")]
    UintArg(u32),
    #[prost(message, tag = "17")]
    CapabilityArg(Capability),
    #[prost(message, tag = "21")]
    ModuleArg(KernelModule),
    #[prost(string, tag = "22")]
    KernelCapTArg(String),
    #[prost(string, tag = "23")]
    CapInheritableArg(String),
    #[prost(string, tag = "24")]
    CapPermittedArg(String),
    #[prost(string, tag = "25")]
    CapEffectiveArg(String),
    #[prost(message, tag = "26")]
    LinuxBinprmArg(Binprm),
    #[prost(message, tag = "27")]
    NetDevArg(NetDev),
    #[prost(message, tag = "30")]
    SockaddrArg(Sockaddr),
}

/// `tetragon.KprobePath` and `KprobeFile` (same fields and numbers).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct FilePath {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mount: String,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub flags: String,
    #[prost(string, tag = "4")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub permission: String,
}

/// `tetragon.KprobeSock`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Sock {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub family: String,
    #[prost(string, tag = "2")]
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub sock_type: String,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    #[prost(string, tag = "6")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub saddr: String,
    #[prost(string, tag = "7")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub daddr: String,
    #[prost(uint32, tag = "8")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub sport: u32,
    #[prost(uint32, tag = "9")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub dport: u32,
    #[prost(uint64, tag = "10")]
    #[serde(with = "u64_str", skip_serializing_if = "is_zero_u64")]
    pub cookie: u64,
    #[prost(string, tag = "11")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub state: String,
}

/// `tetragon.KprobeSkb`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Skb {
    #[prost(string, tag = "5")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub saddr: String,
    #[prost(string, tag = "6")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub daddr: String,
    #[prost(uint32, tag = "7")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub sport: u32,
    #[prost(uint32, tag = "8")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub dport: u32,
    #[prost(uint32, tag = "9")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub proto: u32,
    #[prost(string, tag = "12")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    #[prost(string, tag = "13")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub family: String,
}

/// `tetragon.KprobeSockaddr`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Sockaddr {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub family: String,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub addr: String,
    #[prost(uint32, tag = "3")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub port: u32,
}

/// `tetragon.KprobeCapability`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Capability {
    #[prost(message, optional, tag = "1")]
    #[serde(with = "wrap_i32", skip_serializing_if = "Option::is_none")]
    pub value: Option<Int32Value>,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// `tetragon.KprobeLinuxBinprm` (its numbers differ from `KprobeFile`'s).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Binprm {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub flags: String,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub permission: String,
}

/// `tetragon.KprobeTruncatedBytes`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct TruncatedBytes {
    #[prost(bytes = "vec", tag = "1")]
    #[serde(with = "b64", skip_serializing_if = "Vec::is_empty")]
    pub bytes_arg: Vec<u8>,
    #[prost(uint64, tag = "2")]
    #[serde(with = "u64_str", skip_serializing_if = "is_zero_u64")]
    pub orig_size: u64,
}

/// `tetragon.KernelModule`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct KernelModule {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[prost(message, optional, tag = "2")]
    #[serde(with = "wrap_bool", skip_serializing_if = "Option::is_none")]
    pub signature_ok: Option<BoolValue>,
    /// `TaintedBitsType`.
    #[prost(int32, repeated, tag = "3")]
    #[serde(
        with = "tainted_bits_type::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tainted: Vec<i32>,
}

super::proto_enum!(tainted_bits_type {
    0 => "TAINT_UNSET",
    1 => "TAINT_PROPRIETARY_MODULE",
    2 => "TAINT_FORCED_MODULE",
    4 => "TAINT_FORCED_UNLOAD_MODULE",
    1024 => "TAINT_STAGED_MODULE",
    4096 => "TAINT_OUT_OF_TREE_MODULE",
    8192 => "TAINT_UNSIGNED_MODULE",
    32768 => "TAINT_KERNEL_LIVE_PATCH_MODULE",
    262144 => "TAINT_TEST_MODULE",
});

/// `tetragon.KprobeNetDev`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct NetDev {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}
