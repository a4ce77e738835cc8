//! Hubble Relay's `observer.Observer/GetFlows`.
//!
//! Field numbers from cilium/cilium `api/v1/observer/observer.proto`
//! (`GetFlowsRequest`, `GetFlowsResponse`) and `api/v1/flow/flow.proto`
//! (`Flow`, `Endpoint`, `IP`, `Layer4`, `TCP`, `UDP`, `SCTP`, `ICMPv4`,
//! `ICMPv6`, `Layer7`, `DNS`, `HTTP`, `HTTPHeader`, `LostEvent`). JSON names
//! as `hubble observe -o json` writes them.

use serde::{Deserialize, Serialize};

use super::{BoolValue, Int32Value, Timestamp, is_false, is_zero_i32, is_zero_u32, is_zero_u64};
use super::{proto_enum, ts, u64_str, wrap_bool, wrap_i32};

/// The gRPC method.
pub const GET_FLOWS: &str = "/observer.Observer/GetFlows";

/// `observer.GetFlowsRequest`: what the collector asks for (follow, from a
/// point in time when resuming).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetFlowsRequest {
    /// Number of past flows (incompatible with `since`).
    #[prost(uint64, tag = "1")]
    pub number: u64,
    /// Keep streaming.
    #[prost(bool, tag = "3")]
    pub follow: bool,
    /// Flows from this time on.
    #[prost(message, optional, tag = "7")]
    pub since: Option<Timestamp>,
    /// Flows until this time.
    #[prost(message, optional, tag = "8")]
    pub until: Option<Timestamp>,
}

/// `observer.GetFlowsResponse`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct GetFlowsResponse {
    /// The `response_types` oneof.
    #[prost(oneof = "Response", tags = "1, 3")]
    #[serde(flatten)]
    pub response: Option<Response>,
    /// Node the event was observed on.
    #[prost(string, tag = "1000")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    /// When it was observed.
    #[prost(message, optional, tag = "1001")]
    #[serde(skip_serializing_if = "Option::is_none", with = "ts")]
    pub time: Option<Timestamp>,
}

/// `GetFlowsResponse.response_types` (`node_status`, 2, is skipped).
// A flow is the bulk of the stream and moves by value, as prost generates it.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, prost::Oneof, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// A flow.
    #[prost(message, tag = "1")]
    Flow(Flow),
    /// Events Hubble lost before they reached the relay.
    #[prost(message, tag = "3")]
    LostEvents(LostEvent),
}

/// `flow.LostEvent`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct LostEvent {
    /// `LostEventSource`.
    #[prost(int32, tag = "1")]
    #[serde(with = "lost_event_source", skip_serializing_if = "is_zero_i32")]
    pub source: i32,
    /// How many.
    #[prost(uint64, tag = "2")]
    #[serde(with = "u64_str", skip_serializing_if = "is_zero_u64")]
    pub num_events_lost: u64,
    /// CPU of a perf ring buffer loss.
    #[prost(message, optional, tag = "3")]
    #[serde(with = "wrap_i32", skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Int32Value>,
}

proto_enum!(lost_event_source {
    0 => "UNKNOWN_LOST_EVENT_SOURCE",
    1 => "PERF_EVENT_RING_BUFFER",
    2 => "OBSERVER_EVENTS_QUEUE",
    3 => "HUBBLE_RING_BUFFER",
});

/// `flow.Flow`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Flow {
    #[prost(message, optional, tag = "1")]
    #[serde(with = "ts", skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    #[prost(string, tag = "34")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uuid: String,
    /// `Verdict`.
    #[prost(int32, tag = "2")]
    #[serde(with = "verdict", skip_serializing_if = "is_zero_i32")]
    pub verdict: i32,
    #[prost(message, optional, tag = "5")]
    #[serde(rename = "IP", skip_serializing_if = "Option::is_none")]
    pub ip: Option<Ip>,
    #[prost(message, optional, tag = "6")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l4: Option<Layer4>,
    #[prost(message, optional, tag = "8")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Endpoint>,
    #[prost(message, optional, tag = "9")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<Endpoint>,
    /// `FlowType`.
    #[prost(int32, tag = "10")]
    #[serde(
        rename = "Type",
        with = "flow_type",
        skip_serializing_if = "is_zero_i32"
    )]
    pub flow_type: i32,
    #[prost(string, tag = "11")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    #[prost(string, repeated, tag = "13")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_names: Vec<String>,
    #[prost(string, repeated, tag = "14")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destination_names: Vec<String>,
    #[prost(message, optional, tag = "15")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l7: Option<Layer7>,
    /// Deprecated `reply`.
    #[prost(bool, tag = "16")]
    #[serde(skip_serializing_if = "is_false")]
    pub reply: bool,
    /// `TrafficDirection`.
    #[prost(int32, tag = "22")]
    #[serde(with = "traffic_direction", skip_serializing_if = "is_zero_i32")]
    pub traffic_direction: i32,
    #[prost(message, optional, tag = "26")]
    #[serde(with = "wrap_bool", skip_serializing_if = "Option::is_none")]
    pub is_reply: Option<BoolValue>,
}

proto_enum!(verdict {
    0 => "VERDICT_UNKNOWN",
    1 => "FORWARDED",
    2 => "DROPPED",
    3 => "ERROR",
    4 => "AUDIT",
    5 => "REDIRECTED",
    6 => "TRACED",
    7 => "TRANSLATED",
});

proto_enum!(flow_type {
    0 => "UNKNOWN_TYPE",
    1 => "L3_L4",
    2 => "L7",
    3 => "SOCK",
});

proto_enum!(traffic_direction {
    0 => "TRAFFIC_DIRECTION_UNKNOWN",
    1 => "INGRESS",
    2 => "EGRESS",
});

/// `flow.Endpoint`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    #[prost(uint32, tag = "1")]
    #[serde(rename = "ID", skip_serializing_if = "is_zero_u32")]
    pub id: u32,
    #[prost(uint32, tag = "2")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub identity: u32,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[prost(string, repeated, tag = "4")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[prost(string, tag = "5")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pod_name: String,
}

/// `flow.IP`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Ip {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub destination: String,
    /// `IPVersion`.
    #[prost(int32, tag = "3")]
    #[serde(
        rename = "ipVersion",
        with = "ip_version",
        skip_serializing_if = "is_zero_i32"
    )]
    pub ip_version: i32,
}

proto_enum!(ip_version {
    0 => "IP_NOT_USED",
    1 => "IPv4",
    2 => "IPv6",
});

/// `flow.Layer4`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Layer4 {
    /// The `protocol` oneof.
    #[prost(oneof = "Protocol", tags = "1, 2, 3, 4, 5")]
    #[serde(flatten)]
    pub protocol: Option<Protocol>,
}

/// `Layer4.protocol`.
#[derive(Clone, PartialEq, prost::Oneof, Serialize, Deserialize)]
pub enum Protocol {
    #[prost(message, tag = "1")]
    #[serde(rename = "TCP")]
    Tcp(Ports),
    #[prost(message, tag = "2")]
    #[serde(rename = "UDP")]
    Udp(Ports),
    #[prost(message, tag = "3")]
    #[serde(rename = "ICMPv4")]
    IcmpV4(Icmp),
    #[prost(message, tag = "4")]
    #[serde(rename = "ICMPv6")]
    IcmpV6(Icmp),
    #[prost(message, tag = "5")]
    #[serde(rename = "SCTP")]
    Sctp(Ports),
}

/// `flow.TCP`, `flow.UDP`, `flow.SCTP` (ports 1 and 2; TCP's flags, 3, skipped).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Ports {
    #[prost(uint32, tag = "1")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub source_port: u32,
    #[prost(uint32, tag = "2")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub destination_port: u32,
}

/// `flow.ICMPv4`, `flow.ICMPv6`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Icmp {
    #[prost(uint32, tag = "1")]
    #[serde(rename = "type", skip_serializing_if = "is_zero_u32")]
    pub icmp_type: u32,
    #[prost(uint32, tag = "2")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub code: u32,
}

/// `flow.Layer7`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Layer7 {
    /// `L7FlowType`.
    #[prost(int32, tag = "1")]
    #[serde(
        rename = "type",
        with = "l7_flow_type",
        skip_serializing_if = "is_zero_i32"
    )]
    pub flow_type: i32,
    /// The `record` oneof (Kafka, 102, is skipped).
    #[prost(oneof = "Record", tags = "100, 101")]
    #[serde(flatten)]
    pub record: Option<Record>,
}

proto_enum!(l7_flow_type {
    0 => "UNKNOWN_L7_TYPE",
    1 => "REQUEST",
    2 => "RESPONSE",
    3 => "SAMPLE",
});

/// `Layer7.record`.
#[derive(Clone, PartialEq, prost::Oneof, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    #[prost(message, tag = "100")]
    Dns(Dns),
    #[prost(message, tag = "101")]
    Http(Http),
}

/// `flow.DNS` (the query).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Dns {
    #[prost(string, tag = "1")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query: String,
    #[prost(string, repeated, tag = "2")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
}

/// `flow.HTTP`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct Http {
    #[prost(uint32, tag = "1")]
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub code: u32,
    #[prost(string, tag = "2")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub method: String,
    #[prost(string, tag = "3")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[prost(string, tag = "4")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub protocol: String,
    #[prost(message, repeated, tag = "5")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HttpHeader>,
}

/// `flow.HTTPHeader`.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpHeader {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(string, tag = "2")]
    pub value: String,
}
