//! KubeArmor relay's `feeder.LogService/WatchLogs` and `WatchAlerts`.
//!
//! Field numbers from kubearmor/KubeArmor `protobuf/kubearmor.proto`
//! (`RequestMessage`, `Log`, `Alert`, `Podowner`). JSON names as `karmor logs
//! --json` writes them (the proto names, zero values left out except `UID`,
//! 64-bit integers as numbers).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{is_zero_i32, is_zero_i64};

/// The gRPC methods.
pub const WATCH_LOGS: &str = "/feeder.LogService/WatchLogs";
/// Alerts (policy matches).
pub const WATCH_ALERTS: &str = "/feeder.LogService/WatchAlerts";

/// `feeder.RequestMessage`: `Filter` is `all`, `policy` or `system`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RequestMessage {
    #[prost(string, tag = "1")]
    pub filter: String,
}

/// `feeder.Podowner`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Podowner {
    #[prost(string, tag = "1")]
    #[serde(rename = "Ref", skip_serializing_if = "String::is_empty")]
    pub reference: String,
    #[prost(string, tag = "2")]
    #[serde(rename = "Name", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[prost(string, tag = "3")]
    #[serde(rename = "Namespace", skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

macro_rules! kubearmor_message {
    ($(#[$doc:meta])* $name:ident { $($extra:tt)* } owner = $owner:literal, labels = $labels:literal,
     image = $image:literal, host_ppid = $hppid:literal, pname = $pname:literal, name = $pn:literal,
     ty = $ty:literal, source = $src:literal, op = $op:literal, res = $res:literal, data = $data:literal,
     event_data = $ed:literal, result = $result:literal, cwd = $cwd:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
        #[serde(default, rename_all = "PascalCase")]
        pub struct $name {
            #[prost(int64, tag = "1")]
            #[serde(skip_serializing_if = "is_zero_i64")]
            pub timestamp: i64,
            #[prost(string, tag = "2")]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub updated_time: String,
            #[prost(string, tag = "3")]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub cluster_name: String,
            #[prost(string, tag = "4")]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub host_name: String,
            #[prost(string, tag = "5")]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub namespace_name: String,
            #[prost(message, optional, tag = $owner)]
            #[serde(skip_serializing_if = "Option::is_none")]
            pub owner: Option<Podowner>,
            #[prost(string, tag = "6")]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub pod_name: String,
            #[prost(string, tag = $labels)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub labels: String,
            #[prost(string, tag = "7")]
            #[serde(rename = "ContainerID", skip_serializing_if = "String::is_empty")]
            pub container_id: String,
            #[prost(string, tag = "8")]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub container_name: String,
            #[prost(string, tag = $image)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub container_image: String,
            #[prost(int32, tag = $hppid)]
            #[serde(rename = "HostPPID", skip_serializing_if = "is_zero_i32")]
            pub host_ppid: i32,
            #[prost(int32, tag = "9")]
            #[serde(rename = "HostPID", skip_serializing_if = "is_zero_i32")]
            pub host_pid: i32,
            #[prost(int32, tag = "10")]
            #[serde(rename = "PPID", skip_serializing_if = "is_zero_i32")]
            pub ppid: i32,
            #[prost(int32, tag = "11")]
            #[serde(rename = "PID", skip_serializing_if = "is_zero_i32")]
            pub pid: i32,
            /// Always written: proto3 cannot tell 0 (root) from unset, and
            /// KubeArmor sets it on every event.
            #[prost(int32, tag = "12")]
            #[serde(rename = "UID")]
            pub uid: i32,
            #[prost(string, tag = $pname)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub parent_process_name: String,
            #[prost(string, tag = $pn)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub process_name: String,
            #[prost(string, tag = $ty)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub r#type: String,
            #[prost(string, tag = $src)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub source: String,
            #[prost(string, tag = $op)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub operation: String,
            #[prost(string, tag = $res)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub resource: String,
            #[prost(string, tag = $data)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub data: String,
            #[prost(btree_map = "string, string", tag = $ed)]
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            pub event_data: BTreeMap<String, String>,
            #[prost(string, tag = $result)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub result: String,
            #[prost(string, tag = $cwd)]
            #[serde(skip_serializing_if = "String::is_empty")]
            pub cwd: String,
            $($extra)*
        }
    };
}

kubearmor_message!(
    /// `feeder.Log`: a container or host log (`ContainerLog`, `HostLog`).
    Log {}
    owner = "24", labels = "23", image = "19", host_ppid = "22", pname = "20", name = "21",
    ty = "13", source = "14", op = "15", res = "16", data = "17", event_data = "33",
    result = "18", cwd = "25"
);

kubearmor_message!(
    /// `feeder.Alert`: a policy match (`MatchedPolicy`, `MatchedHostPolicy`, …).
    Alert {
        #[prost(string, tag = "13")]
        #[serde(skip_serializing_if = "String::is_empty")]
        pub policy_name: String,
        #[prost(string, tag = "14")]
        #[serde(skip_serializing_if = "String::is_empty")]
        pub severity: String,
        #[prost(string, tag = "15")]
        #[serde(skip_serializing_if = "String::is_empty")]
        pub tags: String,
        #[prost(string, tag = "16")]
        #[serde(skip_serializing_if = "String::is_empty")]
        pub message: String,
        #[prost(string, tag = "28")]
        #[serde(skip_serializing_if = "String::is_empty")]
        pub enforcer: String,
        #[prost(string, tag = "22")]
        #[serde(skip_serializing_if = "String::is_empty")]
        pub action: String,
    }
    owner = "31", labels = "29", image = "24", host_ppid = "27", pname = "25", name = "26",
    ty = "17", source = "18", op = "19", res = "20", data = "21", event_data = "43",
    result = "23", cwd = "32"
);
