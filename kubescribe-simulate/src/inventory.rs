//! What the simulator knows about the cluster besides the events: namespace
//! labels (from `Namespace` manifests) and the container ports of workloads
//! (from Deployment, Pod, … manifests), read from the event store or given
//! by hand. Network policies need both: `namespaceSelector` peers match
//! namespace labels, and named ports (`port: http`) resolve through the
//! destination pod's container ports. It also keeps the names earlier DNS
//! answers gave for addresses, so a flow seen by address alone can be
//! judged by Cilium's `toFQDNs`, and the Services with their backends'
//! addresses (`Endpoints`, `EndpointSlice`), for Cilium's `toServices`.

use std::collections::{BTreeMap, BTreeSet};

use kubescribe_events::manifest::SERVICE_NAME_LABEL;
use kubescribe_events::store::{EventQuery, EventStore, EventTable, StoreError, pod_candidates};
use kubescribe_events::{Direction, EventKind, Workload, WorkloadPort};

/// The label-key prefix under which Hubble flows carry an endpoint's
/// namespace labels (`k8s:io.cilium.k8s.namespace.labels.team=a`).
pub const CILIUM_NS_LABELS: &str = "io.cilium.k8s.namespace.labels.";

/// Namespace labels and workloads known to the simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    namespaces: BTreeMap<String, BTreeMap<String, String>>,
    /// Workloads that run pods, by namespace.
    workloads: BTreeMap<String, Vec<Workload>>,
    /// Addresses and the DNS names answers gave for them.
    dns: BTreeMap<String, BTreeSet<String>>,
    /// Services by namespace and name.
    services: BTreeMap<(String, String), KnownService>,
    /// The addresses of each Service's `Endpoints` and `EndpointSlice`s, by
    /// the Service's namespace and name.
    backends: BTreeMap<(String, String), BTreeSet<String>>,
}

/// A Service, as `toServices` selects it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownService {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The Service's own labels (`k8sServiceSelector` matches them).
    pub labels: BTreeMap<String, String>,
    /// Its pod selector; empty for a selector-less Service, whose backends
    /// are only what its `Endpoints` / `EndpointSlice`s list.
    pub selector: BTreeMap<String, String>,
}

impl Inventory {
    /// Nothing known.
    pub fn new() -> Inventory {
        Inventory::default()
    }

    /// The namespaces and workloads of an event store (what `kubescribe
    /// ingest` read from manifests), and the names its flows link to
    /// addresses (an egress flow that carries both the remote address and the
    /// name it was resolved from, such as Hubble's `destination_names`; flows
    /// to port 53, the resolver, are not answers).
    pub fn from_store(store: &mut dyn EventStore) -> Result<Inventory, StoreError> {
        let mut inv = Inventory::new();
        for w in store.workloads(None, &BTreeMap::new())? {
            inv.add_workload(w);
        }
        for row in store.events(EventTable::Flows, &EventQuery::default())? {
            if let EventKind::Network(n) = &row.event.kind
                && n.direction == Direction::Egress
                && n.remote_port != Some(53)
                && let (Some(ip), Some(name)) = (&n.remote_ip, &n.dns_name)
            {
                inv.add_dns_answer(ip, name);
            }
        }
        Ok(inv)
    }

    /// Records that a DNS answer gave `ip` for `name`.
    pub fn add_dns_answer(&mut self, ip: &str, name: &str) {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !name.is_empty() {
            self.dns.entry(ip.to_string()).or_default().insert(name);
        }
    }

    /// The names DNS answers gave for `ip`, when any did.
    pub fn names_of(&self, ip: &str) -> Option<&BTreeSet<String>> {
        self.dns.get(ip)
    }

    /// Adds a workload from a manifest; a `Namespace` records its labels, a
    /// `Service` its labels and selector, an `Endpoints` (named after its
    /// Service) or `EndpointSlice` (its Service in the
    /// `kubernetes.io/service-name` label; a slice without it is ignored)
    /// the Service's backend addresses.
    pub fn add_workload(&mut self, w: Workload) {
        match w.kind.as_str() {
            "Namespace" => self.add_namespace(&w.name, w.labels),
            "Service" => {
                self.services.insert(
                    (w.namespace.clone(), w.name.clone()),
                    KnownService {
                        namespace: w.namespace,
                        name: w.name,
                        labels: w.labels,
                        selector: w.selector,
                    },
                );
            }
            "Endpoints" => self
                .backends
                .entry((w.namespace, w.name))
                .or_default()
                .extend(w.addresses),
            "EndpointSlice" => {
                if let Some(svc) = w.labels.get(SERVICE_NAME_LABEL) {
                    self.backends
                        .entry((w.namespace.clone(), svc.clone()))
                        .or_default()
                        .extend(w.addresses);
                }
            }
            _ => self
                .workloads
                .entry(w.namespace.clone())
                .or_default()
                .push(w),
        }
    }

    /// Records the labels of a namespace (all of them: the set is taken as
    /// complete; `kubernetes.io/metadata.name` is implied).
    pub fn add_namespace(&mut self, name: &str, labels: BTreeMap<String, String>) {
        self.namespaces.insert(name.to_string(), labels);
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
            && self.workloads.is_empty()
            && self.dns.is_empty()
            && self.services.is_empty()
            && self.backends.is_empty()
    }

    /// The Services known, in namespace and name order.
    pub fn services(&self) -> impl Iterator<Item = &KnownService> {
        self.services.values()
    }

    /// The backend addresses of Service `namespace/name` (its `Endpoints`
    /// and `EndpointSlice`s), when any manifest lists them.
    pub fn backends(&self, namespace: &str, name: &str) -> Option<&BTreeSet<String>> {
        self.backends
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// The labels of namespace `ns`, when known.
    pub fn namespace_labels(&self, ns: &str) -> Option<&BTreeMap<String, String>> {
        self.namespaces.get(ns)
    }

    /// The container ports of each workload a pod may belong to: the
    /// workloads its name was generated from (a Pod of that name, a
    /// Deployment's `name-<hash>-<id>`, …), else those of its namespace whose
    /// pod-template labels it carries. Empty when none matches.
    pub fn container_ports(
        &self,
        namespace: Option<&str>,
        labels: &BTreeMap<String, String>,
        pod: Option<&str>,
    ) -> Vec<&[WorkloadPort]> {
        let Some(ns) = namespace else {
            return Vec::new();
        };
        let Some(in_ns) = self.workloads.get(ns) else {
            return Vec::new();
        };
        if let Some(pod) = pod {
            let named = pod_candidates(in_ns, pod);
            let by_name: Vec<&[WorkloadPort]> = in_ns
                .iter()
                .filter(|w| named.iter().any(|r| r.kind == w.kind && r.name == w.name))
                .map(|w| w.ports.as_slice())
                .collect();
            if !by_name.is_empty() {
                return by_name;
            }
        }
        if labels.is_empty() {
            return Vec::new();
        }
        in_ns
            .iter()
            .filter(|w| {
                !w.pod_labels.is_empty()
                    && w.pod_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            })
            .map(|w| w.ports.as_slice())
            .collect()
    }
}

/// The namespace labels a Hubble endpoint carries
/// (`io.cilium.k8s.namespace.labels.<key>`), when it carries any.
pub fn namespace_labels_of(labels: &BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    let out: BTreeMap<String, String> = labels
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(CILIUM_NS_LABELS)
                .map(|k| (k.to_string(), v.clone()))
        })
        .collect();
    (!out.is_empty()).then_some(out)
}
