//! The summarized behaviour of the workloads a scope selects, from the
//! event store, rendered for a prompt within a token budget.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use serde::Serialize;

use super::{CidrEntry, PathEntry, PortRange, summarize_ips, summarize_paths, summarize_ports};
use crate::EventKind;
use crate::store::{EventQuery, EventStore, EventTable, StoreError};

/// What the selected workloads were observed doing, summarized.
///
/// Network observations are kept by direction, seen from the selected
/// workloads: *inbound* (they accepted the connection, or listened), and
/// *outbound* (they opened it); *container ports* are what their manifests
/// declare. A prompt says which is which, since an ingress rule is about the
/// first and an egress rule about the second.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkloadContext {
    /// Namespace of the scope.
    pub namespace: Option<String>,
    /// Label selector of the scope.
    pub selector: BTreeMap<String, String>,
    /// Executed binaries.
    pub binaries: Vec<PathEntry>,
    /// Accessed files.
    pub files: Vec<PathEntry>,
    /// Remote addresses of flows.
    pub remotes: Vec<CidrEntry>,
    /// Every port of flows in either direction (the workload's own port
    /// inbound, the remote port outbound): [`WorkloadContext::inbound_ports`]
    /// and [`WorkloadContext::outbound_ports`] together, for callers that
    /// do not care about the direction. Not rendered nor serialized.
    #[serde(skip)]
    pub ports: Vec<PortRange>,
    /// Ports the workloads accepted connections on (inbound flows' own
    /// port; listening sockets too).
    pub inbound_ports: Vec<PortRange>,
    /// Ports the workloads connected to (outbound flows' remote port).
    pub outbound_ports: Vec<PortRange>,
    /// Ports the workloads' containers declare (manifests).
    pub container_ports: Vec<PortRange>,
    /// Who connected to the workloads, most frequent first.
    pub inbound_peers: Vec<PeerEntry>,
    /// Whom the workloads connected to, most frequent first.
    pub outbound_peers: Vec<PeerEntry>,
    /// DNS names looked up or connected to, most frequent first.
    pub dns_names: Vec<(String, u64)>,
    /// Events the summary covers.
    pub observations: u64,
    /// What summarizing within the budget did: lists collapsed into fewer
    /// entries (every observation still covered) or entries left out (DNS
    /// names, peers), one phrase each; empty when nothing was cut.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut: Vec<String>,
}

/// A peer of the workloads' connections: a workload by its labels (and
/// namespace), a pod by name, or an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerEntry {
    /// The peer's namespace, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The peer's labels (empty when not known).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The peer's pod name, when its labels are not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The peer's address, when nothing else is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Observations.
    pub count: u64,
}

/// A peer as the key observations are counted under.
type PeerKey = (
    Option<String>,
    BTreeMap<String, String>,
    Option<String>,
    Option<String>,
);

/// Raw observations collected from the store, before summarization.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    binaries: Vec<(String, u64)>,
    files: Vec<(String, u64)>,
    ips: Vec<(IpAddr, u64)>,
    inbound_ports: Vec<(u16, String, u64)>,
    outbound_ports: Vec<(u16, String, u64)>,
    container_ports: Vec<(u16, String, u64)>,
    inbound_peers: BTreeMap<PeerKey, u64>,
    outbound_peers: BTreeMap<PeerKey, u64>,
    dns: BTreeMap<String, u64>,
    total: u64,
}

/// Whether a network event's pod accepted the connection (or listened).
fn is_inbound(d: crate::Direction) -> bool {
    matches!(d, crate::Direction::Ingress | crate::Direction::Listen)
}

fn peer_key(n: &crate::NetworkEvent) -> Option<PeerKey> {
    let peer = n.peer.as_ref();
    let labels: BTreeMap<String, String> = peer
        .map(|p| {
            p.labels
                .iter()
                // Cilium's identity labels say nothing a selector would name.
                .filter(|(k, _)| !k.starts_with("io.cilium.") && !k.starts_with("io.kubernetes."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let namespace = peer.and_then(|p| p.namespace.clone());
    let pod = peer
        .filter(|_| labels.is_empty())
        .and_then(|p| p.pod.clone());
    let address = if labels.is_empty() && pod.is_none() {
        n.remote_ip.clone()
    } else {
        None
    };
    if labels.is_empty() && pod.is_none() && address.is_none() {
        return None;
    }
    Some((namespace, labels, pod, address))
}

fn ranked_peers(map: &BTreeMap<PeerKey, u64>, keep: usize) -> Vec<PeerEntry> {
    let mut v: Vec<PeerEntry> = map
        .iter()
        .map(|((namespace, labels, pod, address), count)| PeerEntry {
            namespace: namespace.clone(),
            labels: labels.clone(),
            pod: pod.clone(),
            address: address.clone(),
            count: *count,
        })
        .collect();
    // Most frequent first; the map's order breaks ties.
    v.sort_by_key(|e| std::cmp::Reverse(e.count));
    v.truncate(keep);
    v
}

/// The distinct ports of (port, protocol, count) observations.
fn distinct_ports(list: &[(u16, String, u64)]) -> usize {
    let mut v: Vec<(u16, String)> = list
        .iter()
        .map(|(p, proto, _)| (*p, proto.to_uppercase()))
        .collect();
    v.sort();
    v.dedup();
    v.len()
}

impl Observed {
    /// Reads the scope's events from a store.
    pub fn from_store(
        store: &mut dyn EventStore,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Observed, StoreError> {
        Self::from_query(
            store,
            &EventQuery {
                namespace: namespace.map(str::to_string),
                selector: selector.clone(),
                ..EventQuery::default()
            },
        )
    }

    /// Reads the events `query` selects (its namespace and selector also
    /// pick the workloads; its time window, [`EventQuery::since`] and
    /// [`EventQuery::until`], limits the events).
    pub fn from_query(
        store: &mut dyn EventStore,
        query: &EventQuery,
    ) -> Result<Observed, StoreError> {
        let (namespace, selector) = (query.namespace.as_deref(), &query.selector);
        let mut o = Observed::default();
        for table in [EventTable::Processes, EventTable::Files, EventTable::Flows] {
            for row in store.events(table, query)? {
                o.total += row.count;
                match &row.event.kind {
                    EventKind::Process(p) => o.binaries.push((p.binary.clone(), row.count)),
                    EventKind::File(f) => o.files.push((f.path.clone(), row.count)),
                    EventKind::Network(n) => o.add_flow(n, row.count),
                    EventKind::Syscall(_) => {}
                }
            }
        }
        for w in store.workloads(namespace, selector)? {
            o.add_workload(&w);
        }
        Ok(o)
    }

    /// Adds one observed flow (`count` times).
    pub fn add_flow(&mut self, n: &crate::NetworkEvent, count: u64) {
        if let Some(ip) = n.remote_ip.as_deref().and_then(|s| s.parse().ok()) {
            self.ips.push((ip, count));
        }
        let proto = n.protocol.to_uppercase();
        if is_inbound(n.direction) {
            if let Some(p) = n.local_port {
                self.inbound_ports.push((p, proto, count));
            }
        } else if let Some(p) = n.remote_port {
            self.outbound_ports.push((p, proto, count));
        }
        // A listening socket has no peer.
        if n.direction != crate::Direction::Listen
            && let Some(key) = peer_key(n)
        {
            let map = if is_inbound(n.direction) {
                &mut self.inbound_peers
            } else {
                &mut self.outbound_peers
            };
            *map.entry(key).or_default() += count;
        }
        if let Some(d) = &n.dns_name {
            *self.dns.entry(d.clone()).or_default() += count;
        }
    }

    /// Adds the container ports a workload's manifest declares (a Service,
    /// an `Endpoints` or `EndpointSlice` and a `Namespace` declare none).
    pub fn add_workload(&mut self, w: &crate::Workload) {
        if matches!(
            w.kind.as_str(),
            "Service" | "Endpoints" | "EndpointSlice" | "Namespace"
        ) {
            return;
        }
        for p in &w.ports {
            self.container_ports
                .push((p.port, p.protocol.to_uppercase(), 1));
        }
    }

    /// Adds one observation of something the summary does not list
    /// (a syscall), so the total counts it.
    pub fn count_other(&mut self, count: u64) {
        self.total += count;
    }

    /// Summarizes with at most `per_kind` entries of each kind.
    pub fn summarize(
        &self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
        per_kind: usize,
    ) -> WorkloadContext {
        let mut dns: Vec<(String, u64)> = self.dns.iter().map(|(k, v)| (k.clone(), *v)).collect();
        dns.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        dns.truncate(per_kind);
        let all_ports: Vec<(u16, String, u64)> = self
            .inbound_ports
            .iter()
            .chain(&self.outbound_ports)
            .cloned()
            .collect();
        let mut c = WorkloadContext {
            namespace: namespace.map(str::to_string),
            selector: selector.clone(),
            binaries: summarize_paths(&self.binaries, per_kind),
            files: summarize_paths(&self.files, per_kind),
            remotes: summarize_ips(&self.ips, per_kind),
            ports: summarize_ports(&all_ports, per_kind),
            inbound_ports: summarize_ports(&self.inbound_ports, per_kind),
            outbound_ports: summarize_ports(&self.outbound_ports, per_kind),
            container_ports: summarize_ports(&self.container_ports, per_kind),
            inbound_peers: ranked_peers(&self.inbound_peers, per_kind),
            outbound_peers: ranked_peers(&self.outbound_peers, per_kind),
            dns_names: dns,
            observations: self.total,
            cut: Vec::new(),
        };
        c.cut = self.cut_note(&c);
        c
    }

    /// What `c` collapsed or left out of these observations.
    fn cut_note(&self, c: &WorkloadContext) -> Vec<String> {
        let mut out = Vec::new();
        let mut collapsed = |what: &str, distinct: usize, entries: usize| {
            if entries < distinct {
                out.push(format!("{distinct} {what} in {entries} entries"));
            }
        };
        let distinct_paths = |v: &[(String, u64)]| {
            let mut p: Vec<&str> = v.iter().map(|(s, _)| s.as_str()).collect();
            p.sort_unstable();
            p.dedup();
            p.len()
        };
        collapsed("binaries", distinct_paths(&self.binaries), c.binaries.len());
        collapsed("files", distinct_paths(&self.files), c.files.len());
        let mut ips: Vec<IpAddr> = self.ips.iter().map(|(ip, _)| *ip).collect();
        ips.sort_unstable();
        ips.dedup();
        collapsed("remote addresses", ips.len(), c.remotes.len());
        collapsed(
            "inbound ports",
            distinct_ports(&self.inbound_ports),
            c.inbound_ports.len(),
        );
        collapsed(
            "outbound ports",
            distinct_ports(&self.outbound_ports),
            c.outbound_ports.len(),
        );
        collapsed(
            "container ports",
            distinct_ports(&self.container_ports),
            c.container_ports.len(),
        );
        for (what, total, kept) in [
            (
                "inbound peers",
                self.inbound_peers.len(),
                c.inbound_peers.len(),
            ),
            (
                "outbound peers",
                self.outbound_peers.len(),
                c.outbound_peers.len(),
            ),
            ("DNS names", self.dns.len(), c.dns_names.len()),
        ] {
            if kept < total {
                out.push(format!(
                    "{} of {total} {what} left out (the least frequent)",
                    total - kept
                ));
            }
        }
        out
    }

    /// The most detailed summary whose rendering fits `max_tokens`
    /// (estimated as characters / 4), down to one entry per kind.
    pub fn summarize_within(
        &self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
        max_tokens: usize,
    ) -> WorkloadContext {
        let (mut lo, mut hi) = (1usize, 256usize);
        let mut best = self.summarize(namespace, selector, 1);
        while lo <= hi {
            let mid = (lo + hi) / 2;
            let c = self.summarize(namespace, selector, mid);
            if estimate_tokens(&c.render()) <= max_tokens {
                best = c;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        best
    }
}

/// A rough token estimate (characters / 4) until a model's tokenizer is at hand.
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

impl WorkloadContext {
    /// The longest list's length: what [`WorkloadContext::truncated`] can
    /// cut down from.
    pub fn longest_list(&self) -> usize {
        [
            self.binaries.len(),
            self.files.len(),
            self.remotes.len(),
            self.inbound_ports.len(),
            self.outbound_ports.len(),
            self.container_ports.len(),
            self.inbound_peers.len(),
            self.outbound_peers.len(),
            self.dns_names.len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }

    /// The summary with at most `per_list` entries in each list (the most
    /// frequent kept; each list is ranked so), for a prompt that must get
    /// shorter than the summarizer's budget made it. What was left out is
    /// added to [`WorkloadContext::cut`], so the rendering says so: unlike
    /// the summarizer's collapsing, leaving entries out loses coverage.
    pub fn truncated(&self, per_list: usize) -> WorkloadContext {
        let mut c = self.clone();
        let mut notes = Vec::new();
        fn cut<T>(v: &mut Vec<T>, keep: usize, what: &str, notes: &mut Vec<String>) {
            if v.len() > keep {
                notes.push(format!(
                    "{} of {} {what} entries left out to fit the model's context",
                    v.len() - keep,
                    v.len()
                ));
                v.truncate(keep);
            }
        }
        cut(&mut c.binaries, per_list, "binary", &mut notes);
        cut(&mut c.files, per_list, "file", &mut notes);
        cut(&mut c.remotes, per_list, "remote address", &mut notes);
        cut(&mut c.inbound_ports, per_list, "inbound port", &mut notes);
        cut(&mut c.outbound_ports, per_list, "outbound port", &mut notes);
        cut(
            &mut c.container_ports,
            per_list,
            "container port",
            &mut notes,
        );
        cut(&mut c.inbound_peers, per_list, "inbound peer", &mut notes);
        cut(&mut c.outbound_peers, per_list, "outbound peer", &mut notes);
        cut(&mut c.dns_names, per_list, "DNS name", &mut notes);
        c.cut.extend(notes);
        c
    }

    /// Plain-text rendering for prompts. Values from logs (and the scope's
    /// namespace and labels) are quoted as JSON strings with line breaks,
    /// backticks, angle brackets and braces escaped
    /// ([`kubescribe_core::quote::quote`]), so they cannot pose as instructions.
    pub fn render(&self) -> String {
        let q = kubescribe_core::quote::quote;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Observed behaviour of workloads {} in namespace {} ({} events):",
            if self.selector.is_empty() {
                "(all)".to_string()
            } else {
                kubescribe_core::quote::to_safe_json(&self.selector, false)
            },
            self.namespace
                .as_deref()
                .map(q)
                .unwrap_or_else(|| "(any)".into()),
            self.observations
        );
        let path_line = |e: &PathEntry| {
            let kind = if e.path.ends_with('/') {
                if e.recursive {
                    " (dir, recursive)"
                } else {
                    " (dir)"
                }
            } else {
                ""
            };
            format!("- {}{kind} x{}", q(&e.path), e.count)
        };
        for (title, list) in [
            ("Executed binaries", &self.binaries),
            ("Accessed files", &self.files),
        ] {
            if !list.is_empty() {
                let _ = writeln!(out, "{title}:");
                list.iter().for_each(|e| {
                    let _ = writeln!(out, "{}", path_line(e));
                });
            }
        }
        for (title, list, counted) in [
            (
                "Inbound ports (the workloads accepted connections on)",
                &self.inbound_ports,
                true,
            ),
            (
                "Outbound ports (the workloads connected to)",
                &self.outbound_ports,
                true,
            ),
            (
                "Container ports (declared in the manifests)",
                &self.container_ports,
                false,
            ),
        ] {
            if !list.is_empty() {
                let _ = writeln!(out, "{title}:");
                for p in list {
                    let _ = writeln!(out, "- {}", port_text(p, counted));
                }
            }
        }
        for (title, list) in [
            (
                "Inbound peers (connected to the workloads)",
                &self.inbound_peers,
            ),
            (
                "Outbound peers (the workloads connected to)",
                &self.outbound_peers,
            ),
        ] {
            if !list.is_empty() {
                let _ = writeln!(out, "{title}:");
                for p in list {
                    let _ = writeln!(out, "- {} x{}", peer_text(p), p.count);
                }
            }
        }
        if !self.remotes.is_empty() {
            let _ = writeln!(out, "Remote addresses:");
            self.remotes.iter().for_each(|c| {
                let _ = writeln!(out, "- {} x{}", c.cidr, c.count);
            });
        }
        if !self.dns_names.is_empty() {
            let _ = writeln!(out, "DNS names:");
            self.dns_names.iter().for_each(|(d, n)| {
                let _ = writeln!(out, "- {} x{n}", q(d));
            });
        }
        if !self.cut.is_empty() {
            let _ = writeln!(
                out,
                "(Summarized to fit: {}; every observation above is still covered unless left out.)",
                self.cut.join(", ")
            );
        }
        out
    }
}

/// `80/TCP x12`, `30000-30009/TCP x10`; without `counted` (declared
/// ports), `8080/TCP`.
fn port_text(p: &PortRange, counted: bool) -> String {
    let r = if p.first == p.last {
        p.first.to_string()
    } else {
        format!("{}-{}", p.first, p.last)
    };
    // Protocol names come from logs: plain when a bare word, quoted otherwise.
    let proto = if !p.protocol.is_empty() && p.protocol.chars().all(|c| c.is_ascii_alphanumeric()) {
        p.protocol.clone()
    } else {
        kubescribe_core::quote::quote(&p.protocol)
    };
    if counted {
        format!("{r}/{proto} x{}", p.count)
    } else {
        format!("{r}/{proto}")
    }
}

/// A peer as a prompt line: labels (and namespace), pod or address, quoted.
fn peer_text(p: &PeerEntry) -> String {
    let q = kubescribe_core::quote::quote;
    let who = if !p.labels.is_empty() {
        format!(
            "pods with labels {}",
            kubescribe_core::quote::to_safe_json(&p.labels, false)
        )
    } else if let Some(pod) = &p.pod {
        format!("pod {}", q(pod))
    } else if let Some(a) = &p.address {
        format!("address {}", q(a))
    } else {
        "unknown".to_string()
    };
    match &p.namespace {
        Some(ns) => format!("{who} in namespace {}", q(ns)),
        None => who,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Direction, NetworkEvent, Peer, Workload, WorkloadPort};

    fn flow(direction: Direction, local: u16, remote: u16, peer: &[(&str, &str)]) -> NetworkEvent {
        NetworkEvent {
            protocol: "tcp".into(),
            direction,
            local_ip: Some("10.0.0.5".into()),
            local_port: Some(local),
            remote_ip: Some("10.0.0.9".into()),
            remote_port: Some(remote),
            peer: (!peer.is_empty()).then(|| Peer {
                namespace: Some("shop".into()),
                pod: None,
                labels: peer
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
            dns_name: None,
            process: None,
            http: None,
        }
    }

    fn observed() -> Observed {
        let mut o = Observed::default();
        // frontend -> us on 8080 (our port), us -> db on 5432 (its port)
        o.add_flow(
            &flow(Direction::Ingress, 8080, 41000, &[("app", "frontend")]),
            3,
        );
        o.add_flow(&flow(Direction::Egress, 42000, 5432, &[("app", "db")]), 2);
        o.add_flow(&flow(Direction::Listen, 9090, 0, &[]), 1);
        o.add_workload(&Workload {
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "api".into(),
            labels: BTreeMap::new(),
            pod_labels: BTreeMap::from([("app".into(), "api".into())]),
            selector: BTreeMap::new(),
            ports: vec![WorkloadPort {
                container: Some("api".into()),
                name: Some("http".into()),
                port: 8080,
                target_port: None,
                protocol: "TCP".into(),
            }],
            addresses: Vec::new(),
        });
        o
    }

    #[test]
    fn ports_and_peers_are_kept_by_direction() {
        let c = observed().summarize(Some("shop"), &BTreeMap::new(), 8);
        let firsts = |v: &[PortRange]| v.iter().map(|p| p.first).collect::<Vec<_>>();
        assert_eq!(firsts(&c.inbound_ports), [8080, 9090]);
        assert_eq!(firsts(&c.outbound_ports), [5432]);
        assert_eq!(firsts(&c.container_ports), [8080]);
        // the ephemeral ports of the other end are no one's service port
        assert!(!firsts(&c.ports).contains(&41000) && !firsts(&c.ports).contains(&42000));
        assert_eq!(c.inbound_peers.len(), 1);
        assert_eq!(c.inbound_peers[0].labels["app"], "frontend");
        assert_eq!(c.outbound_peers[0].labels["app"], "db");
        assert!(c.cut.is_empty(), "{:?}", c.cut);
        let text = c.render();
        let section = |title: &str| {
            let at = text
                .find(title)
                .unwrap_or_else(|| panic!("{title} in\n{text}"));
            text[at..].lines().nth(1).unwrap_or("").to_string()
        };
        assert_eq!(section("Inbound ports"), "- 8080/TCP x3");
        assert_eq!(section("Outbound ports"), "- 5432/TCP x2");
        assert_eq!(section("Container ports"), "- 8080/TCP");
        assert_eq!(
            section("Inbound peers"),
            r#"- pods with labels {"app":"frontend"} in namespace "shop" x3"#
        );
        assert_eq!(
            section("Outbound peers"),
            r#"- pods with labels {"app":"db"} in namespace "shop" x2"#
        );
        assert!(!text.contains("\nPorts:"), "{text}");
    }

    #[test]
    fn a_tight_budget_says_what_was_cut() {
        let mut o = observed();
        for i in 0..20u16 {
            let mut f = flow(Direction::Egress, 40000, 1000 + i * 100, &[]);
            f.dns_name = Some(format!("svc{i}.example.com"));
            f.remote_ip = Some(format!("192.0.2.{i}"));
            o.add_flow(&f, 1);
        }
        let c = o.summarize(Some("shop"), &BTreeMap::new(), 2);
        assert!(c.outbound_ports.len() <= 2);
        assert!(
            c.cut.iter().any(|n| n.starts_with("21 outbound ports in")),
            "{:?}",
            c.cut
        );
        assert!(
            c.cut.iter().any(|n| n.contains("of 20 DNS names left out")),
            "{:?}",
            c.cut
        );
        assert!(c.render().contains("(Summarized to fit: "));
        // a roomy budget cuts nothing
        assert!(
            o.summarize(Some("shop"), &BTreeMap::new(), 64)
                .cut
                .is_empty()
        );
    }
}
