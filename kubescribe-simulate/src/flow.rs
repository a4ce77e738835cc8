//! A network event seen as a flow between two endpoints, plus the address,
//! port and protocol helpers the network engines share.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::selector::LabelView;
use super::tri::Tri;
use kubescribe_events::{Direction, Event, EventKind, HttpRequest, NetworkEvent, WorkloadPort};

/// One end of a flow.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    /// Its labels (empty: unknown).
    pub labels: &'a BTreeMap<String, String>,
    /// Its namespace, when known.
    pub namespace: Option<&'a str>,
    /// Its address, when known.
    pub ip: Option<&'a str>,
    /// Its port, when known.
    pub port: Option<u16>,
    /// Its namespace's labels, when known (a `Namespace` manifest, or the
    /// `io.cilium.k8s.namespace.labels.*` labels of a Hubble flow).
    pub ns_labels: Option<&'a BTreeMap<String, String>>,
    /// The container ports of the workloads this endpoint may belong to
    /// (one list per candidate workload), when some manifest or stored
    /// workload matches it.
    pub container_ports: Option<&'a [&'a [WorkloadPort]]>,
}

impl<'a> Endpoint<'a> {
    /// The labels as a view.
    pub fn view(&self) -> LabelView<'a> {
        LabelView::pod(self.labels, self.namespace)
    }

    /// Its namespace's labels as a view: complete when known, else only the
    /// automatic name labels.
    pub fn ns_view(&self) -> LabelView<'a> {
        match self.ns_labels {
            Some(l) => LabelView::namespace_known(self.namespace, l),
            None => LabelView::namespace(self.namespace),
        }
    }

    /// Whether this endpoint's port is its container port named `name` for
    /// `protocol` (Kubernetes' named ports, resolved through the container
    /// ports of the manifests' and the store's workloads). An endpoint that
    /// is not a pod has no named ports.
    pub fn named_port(&self, name: &str, protocol: &str) -> Tri {
        let proto = normalize_protocol(protocol);
        self.is_pod().and(|| {
            let Some(port) = self.port else {
                return Tri::maybe("the event does not carry the destination port");
            };
            let Some(candidates) = self.container_ports.filter(|c| !c.is_empty()) else {
                return Tri::maybe(format!(
                    "the named port `{name}` needs the container ports of the destination pod; no manifest or stored workload matches it"
                ));
            };
            let resolves = |ports: &[WorkloadPort]| {
                ports.iter().any(|p| {
                    p.name.as_deref() == Some(name)
                        && p.port == port
                        && (proto.is_none() || normalize_protocol(&p.protocol) == proto)
                })
            };
            let first = resolves(candidates[0]);
            if candidates.iter().all(|c| resolves(c) == first) {
                Tri::from_bool(first)
            } else {
                Tri::maybe(format!(
                    "the named port `{name}`: the workloads the destination pod may belong to declare it differently"
                ))
            }
        })
    }

    /// A Cilium reserved identity (`reserved:world`), when the labels name one.
    pub fn reserved(&self) -> Option<&'a str> {
        self.labels.keys().find_map(|k| k.strip_prefix("reserved:"))
    }

    /// Whether this end is a pod: `Yes` with a namespace, `No` for a
    /// reserved identity, otherwise unknown.
    pub fn is_pod(&self) -> Tri {
        if self.reserved().is_some() {
            Tri::No
        } else if self.namespace.is_some() {
            Tri::Yes
        } else {
            Tri::maybe("the event does not say whether the peer is a pod")
        }
    }

    /// Whether this end lies in `ns`.
    pub fn in_namespace(&self, ns: &str) -> Tri {
        match self.namespace {
            Some(n) => Tri::from_bool(n == ns),
            None if self.reserved().is_some() => Tri::No,
            None => Tri::maybe("the event does not carry the peer's namespace"),
        }
    }

    /// Whether its address lies in a CIDR block (with exceptions).
    pub fn ip_in(&self, cidr: &str, except: &[String]) -> Tri {
        let Some(ip) = self.ip else {
            return Tri::maybe("the event does not carry the peer's address");
        };
        let Ok(ip) = ip.parse::<IpAddr>() else {
            return Tri::maybe(format!("the address {ip:?} does not parse"));
        };
        let Some(block) = Cidr::parse(cidr) else {
            return Tri::maybe(format!("the CIDR {cidr:?} does not parse"));
        };
        if !block.contains(ip) {
            return Tri::No;
        }
        for e in except {
            match Cidr::parse(e) {
                Some(x) if x.contains(ip) => return Tri::No,
                Some(_) => {}
                None => return Tri::maybe(format!("the CIDR {e:?} does not parse")),
            }
        }
        Tri::Yes
    }
}

/// Which way traffic flows, seen from the local endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Into the local endpoint.
    Ingress,
    /// Out of the local endpoint.
    Egress,
}

impl Way {
    /// `ingress` / `egress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Way::Ingress => "ingress",
            Way::Egress => "egress",
        }
    }
}

/// A flow from the local endpoint's point of view.
#[derive(Debug, Clone, Copy)]
pub struct Flow<'a> {
    /// The endpoint whose policies are evaluated.
    pub local: Endpoint<'a>,
    /// The other end.
    pub remote: Endpoint<'a>,
    /// Direction.
    pub way: Way,
    /// Normalised protocol (`TCP`, `UDP`, `SCTP`, `ICMP`, `ICMPV6`, ...), `None` when unknown.
    pub protocol: Option<&'a str>,
    /// DNS name of the remote end, when known.
    pub dns_name: Option<&'a str>,
    /// When the event carries no DNS name: the names earlier DNS answers (in
    /// the store) gave for the remote address.
    pub resolved_names: Option<&'a BTreeSet<String>>,
    /// The HTTP request an L7 proxy saw on the flow, when the event
    /// carries one.
    pub http: Option<&'a HttpRequest>,
}

static EMPTY: BTreeMap<String, String> = BTreeMap::new();

/// The namespace a peer's identity labels name when the record gives none:
/// Cilium's `io.kubernetes.pod.namespace`, or the automatic
/// `kubernetes.io/metadata.name` label of its namespace as Hubble carries
/// it (`io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name`), which
/// Kubernetes sets to the namespace's name.
pub fn namespace_label(labels: &BTreeMap<String, String>) -> Option<&str> {
    labels
        .get("io.kubernetes.pod.namespace")
        .or_else(|| labels.get("io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name"))
        .map(String::as_str)
        .filter(|n| !n.is_empty())
}

impl<'a> Flow<'a> {
    /// The flow an event describes, from its own pod's side. `None` for
    /// events that are not connections (listen, unknown direction are
    /// reported by the caller).
    pub fn from_event(event: &'a Event) -> Option<(Flow<'a>, &'a NetworkEvent)> {
        let EventKind::Network(n) = &event.kind else {
            return None;
        };
        let way = match n.direction {
            Direction::Ingress => Way::Ingress,
            Direction::Egress => Way::Egress,
            Direction::Listen | Direction::Unknown => return None,
        };
        let (plabels, pns) = match &n.peer {
            Some(p) => (
                &p.labels,
                p.namespace
                    .as_deref()
                    .or_else(|| namespace_label(&p.labels)),
            ),
            None => (&EMPTY, None),
        };
        Some((
            Flow {
                local: Endpoint {
                    labels: &event.pod.labels,
                    namespace: event.pod.namespace.as_deref(),
                    ip: n.local_ip.as_deref(),
                    port: n.local_port,
                    ns_labels: None,
                    container_ports: None,
                },
                remote: Endpoint {
                    labels: plabels,
                    namespace: pns,
                    ip: n.remote_ip.as_deref(),
                    port: n.remote_port,
                    ns_labels: None,
                    container_ports: None,
                },
                way,
                protocol: normalize_protocol(&n.protocol).filter(|p| *p != "?"),
                dns_name: n.dns_name.as_deref(),
                resolved_names: None,
                http: n.http.as_ref(),
            },
            n,
        ))
    }

    /// The same flow seen from the other end (when that end is a known pod).
    pub fn reversed(&self) -> Option<Flow<'a>> {
        if !self.remote.is_pod().is_yes() {
            return None;
        }
        Some(Flow {
            local: self.remote,
            remote: self.local,
            way: match self.way {
                Way::Ingress => Way::Egress,
                Way::Egress => Way::Ingress,
            },
            protocol: self.protocol,
            dns_name: None,
            resolved_names: None,
            // The same request, seen by the other end's proxy.
            http: self.http,
        })
    }

    /// The destination port (the local one for ingress, the remote one for egress).
    pub fn dst_port(&self) -> Option<u16> {
        match self.way {
            Way::Ingress => self.local.port,
            Way::Egress => self.remote.port,
        }
    }

    /// The source and destination endpoints.
    pub fn src_dst(&self) -> (&Endpoint<'a>, &Endpoint<'a>) {
        match self.way {
            Way::Ingress => (&self.remote, &self.local),
            Way::Egress => (&self.local, &self.remote),
        }
    }

    /// Whether the flow's protocol is `want` (compared normalised).
    pub fn protocol_is(&self, want: &str) -> Tri {
        let want = normalize_protocol(want);
        match (self.protocol, want) {
            (_, None) => Tri::Yes,
            (None, Some(w)) => Tri::maybe(format!("the event does not carry the protocol ({w})")),
            (Some(p), Some(w)) => Tri::from_bool(p == w),
        }
    }

    /// The destination endpoint.
    pub fn dst(&self) -> &Endpoint<'a> {
        self.src_dst().1
    }

    /// Whether the destination port is the destination pod's container port
    /// named `name` (for `protocol`; `ANY` for any).
    pub fn dst_named_port(&self, name: &str, protocol: &str) -> Tri {
        self.dst().named_port(name, protocol)
    }

    /// Whether the destination port lies in `port..=end` (`end` defaults to
    /// `port`). Port 0 stands for any port.
    pub fn dst_port_in(&self, port: u16, end: Option<u16>) -> Tri {
        if port == 0 {
            return Tri::Yes;
        }
        match self.dst_port() {
            None => Tri::maybe("the event does not carry the destination port"),
            Some(p) => Tri::from_bool(p >= port && p <= end.unwrap_or(port).max(port)),
        }
    }
}

/// Upper-case protocol names with aliases merged; numbers mapped to names.
pub fn normalize_protocol(p: &str) -> Option<&'static str> {
    Some(match p.trim().to_ascii_uppercase().as_str() {
        "TCP" | "6" => "TCP",
        "UDP" | "17" => "UDP",
        "SCTP" | "132" => "SCTP",
        "ICMP" | "ICMPV4" | "1" => "ICMP",
        "ICMPV6" | "ICMP6" | "58" => "ICMPV6",
        "UDPLITE" | "136" => "UDPLITE",
        "ANY" => return None,
        "" | "UNKNOWN" => return Some("?"),
        _ => "OTHER",
    })
}

pub use kubescribe_core::cidr::Cidr;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols() {
        assert_eq!(normalize_protocol("tcp"), Some("TCP"));
        assert_eq!(normalize_protocol("ICMPv4"), Some("ICMP"));
        assert_eq!(normalize_protocol("ANY"), None);
        assert_eq!(normalize_protocol("unknown"), Some("?"));
    }
}
