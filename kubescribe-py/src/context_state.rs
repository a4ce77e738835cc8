//! `Context`'s state for pickling and comparison (`crate::state`):
//! `kubescribe_events::context::WorkloadContext` and its entries mirrored
//! field by field (the Rust types only serialize, and leave out `ports`).

use std::collections::BTreeMap;

use pyo3::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use kubescribe_events::context::{CidrEntry, PathEntry, PeerEntry, PortRange, WorkloadContext};

use crate::errors::parse_err;
use crate::state::State;
use crate::store::PyContext;

#[derive(Serialize, Deserialize)]
struct PathState {
    path: String,
    recursive: bool,
    count: u64,
    members: usize,
}

#[derive(Serialize, Deserialize)]
struct CidrState {
    cidr: String,
    count: u64,
    members: usize,
}

#[derive(Serialize, Deserialize)]
struct PortState {
    protocol: String,
    first: u16,
    last: u16,
    count: u64,
    members: usize,
}

#[derive(Serialize, Deserialize)]
struct PeerState {
    namespace: Option<String>,
    labels: BTreeMap<String, String>,
    pod: Option<String>,
    address: Option<String>,
    count: u64,
}

#[derive(Serialize, Deserialize)]
struct ContextState {
    namespace: Option<String>,
    selector: BTreeMap<String, String>,
    binaries: Vec<PathState>,
    files: Vec<PathState>,
    remotes: Vec<CidrState>,
    ports: Vec<PortState>,
    inbound_ports: Vec<PortState>,
    outbound_ports: Vec<PortState>,
    container_ports: Vec<PortState>,
    inbound_peers: Vec<PeerState>,
    outbound_peers: Vec<PeerState>,
    dns_names: Vec<(String, u64)>,
    observations: u64,
    cut: Vec<String>,
}

fn paths(v: &[PathEntry]) -> Vec<PathState> {
    v.iter()
        .map(|p| PathState {
            path: p.path.clone(),
            recursive: p.recursive,
            count: p.count,
            members: p.members,
        })
        .collect()
}

fn ports(v: &[PortRange]) -> Vec<PortState> {
    v.iter()
        .map(|p| PortState {
            protocol: p.protocol.clone(),
            first: p.first,
            last: p.last,
            count: p.count,
            members: p.members,
        })
        .collect()
}

fn peers(v: &[PeerEntry]) -> Vec<PeerState> {
    v.iter()
        .map(|p| PeerState {
            namespace: p.namespace.clone(),
            labels: p.labels.clone(),
            pod: p.pod.clone(),
            address: p.address.clone(),
            count: p.count,
        })
        .collect()
}

fn path_entries(v: Vec<PathState>) -> Vec<PathEntry> {
    v.into_iter()
        .map(|p| PathEntry {
            path: p.path,
            recursive: p.recursive,
            count: p.count,
            members: p.members,
        })
        .collect()
}

fn port_ranges(v: Vec<PortState>) -> Vec<PortRange> {
    v.into_iter()
        .map(|p| PortRange {
            protocol: p.protocol,
            first: p.first,
            last: p.last,
            count: p.count,
            members: p.members,
        })
        .collect()
}

fn peer_entries(v: Vec<PeerState>) -> Vec<PeerEntry> {
    v.into_iter()
        .map(|p| PeerEntry {
            namespace: p.namespace,
            labels: p.labels,
            pod: p.pod,
            address: p.address,
            count: p.count,
        })
        .collect()
}

impl State for PyContext {
    const NAME: &'static str = "Context";
    fn state(&self) -> PyResult<Value> {
        let c = &self.inner;
        serde_json::to_value(ContextState {
            namespace: c.namespace.clone(),
            selector: c.selector.clone(),
            binaries: paths(&c.binaries),
            files: paths(&c.files),
            remotes: c
                .remotes
                .iter()
                .map(|r| CidrState {
                    cidr: r.cidr.clone(),
                    count: r.count,
                    members: r.members,
                })
                .collect(),
            ports: ports(&c.ports),
            inbound_ports: ports(&c.inbound_ports),
            outbound_ports: ports(&c.outbound_ports),
            container_ports: ports(&c.container_ports),
            inbound_peers: peers(&c.inbound_peers),
            outbound_peers: peers(&c.outbound_peers),
            dns_names: c.dns_names.clone(),
            observations: c.observations,
            cut: c.cut.clone(),
        })
        .map_err(parse_err)
    }
    fn from_state(state: Value) -> PyResult<Self> {
        let s: ContextState = serde_json::from_value(state).map_err(parse_err)?;
        Ok(PyContext {
            inner: WorkloadContext {
                namespace: s.namespace,
                selector: s.selector,
                binaries: path_entries(s.binaries),
                files: path_entries(s.files),
                remotes: s
                    .remotes
                    .into_iter()
                    .map(|r| CidrEntry {
                        cidr: r.cidr,
                        count: r.count,
                        members: r.members,
                    })
                    .collect(),
                ports: port_ranges(s.ports),
                inbound_ports: port_ranges(s.inbound_ports),
                outbound_ports: port_ranges(s.outbound_ports),
                container_ports: port_ranges(s.container_ports),
                inbound_peers: peer_entries(s.inbound_peers),
                outbound_peers: peer_entries(s.outbound_peers),
                dns_names: s.dns_names,
                observations: s.observations,
                cut: s.cut,
            },
        })
    }
}
