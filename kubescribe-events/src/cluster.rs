//! What a live cluster holds, behind a trait, so that the domain and the
//! validators can use it without an HTTP stack.
//!
//! [`ClusterContext`] is the read side of a cluster: namespaces, pods (labels,
//! container ports, owning Deployment/StatefulSet/DaemonSet), Services (ports
//! and selectors), and the CustomResourceDefinitions installed, from which
//! [`ClusterContext::engines`] tells which policy engines the cluster runs.
//! `kubescribe-kube` implements it with `kube`; [`ClusterSnapshot`] is an
//! in-memory implementation (a snapshot taken once and queried many times,
//! and what tests use).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{EventQuery, EventStore, EventTable, StoreError};
use crate::{Direction, EventKind};
use kubescribe_core::engine::Engine;

/// Why a cluster could not be asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClusterError {
    /// No usable configuration (kubeconfig missing or invalid, unknown context).
    #[error("cluster configuration: {0}")]
    Config(String),
    /// The API server could not be reached (connection refused, TLS, DNS).
    #[error("cannot reach the cluster at {server}: {message}")]
    Unreachable {
        /// The server URL.
        server: String,
        /// What went wrong.
        message: String,
    },
    /// The request did not finish within the timeout.
    #[error("the cluster at {server} did not answer within {seconds} s ({what})")]
    Timeout {
        /// The server URL.
        server: String,
        /// The timeout.
        seconds: u64,
        /// The request.
        what: String,
    },
    /// The API server answered with an error status.
    #[error("{what}: the API server answered {code} {reason}: {message}")]
    Api {
        /// The request.
        what: String,
        /// HTTP status.
        code: u16,
        /// Kubernetes reason (`NotFound`, `Invalid`, `Conflict`, ...).
        reason: String,
        /// The server's message.
        message: String,
    },
    /// Anything else (unexpected answers).
    #[error("{0}")]
    Other(String),
}

/// A container port a pod declares.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PodPort {
    /// Port name (`http`), when named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Container port number.
    pub port: i32,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
}

/// The controller owning a pod, resolved through ReplicaSets to their
/// Deployment where the ReplicaSet says so.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Owner {
    /// `Deployment`, `StatefulSet`, `DaemonSet`, `ReplicaSet`, `Job`, ...
    pub kind: String,
    /// The owner's name.
    pub name: String,
}

/// A pod as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodInfo {
    /// Namespace.
    pub namespace: String,
    /// Pod name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Ports of all containers (init containers excluded).
    pub ports: Vec<PodPort>,
    /// Owning controller, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// A Service port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePort {
    /// Port name, when named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The Service's port.
    pub port: i32,
    /// The pods' port: a number or a container port name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<String>,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: String,
}

/// A Service as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    /// Namespace.
    pub namespace: String,
    /// Service name.
    pub name: String,
    /// Pod selector (empty: selects nothing by label).
    pub selector: BTreeMap<String, String>,
    /// Ports.
    pub ports: Vec<ServicePort>,
}

/// An installed CustomResourceDefinition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrdInfo {
    /// `plural.group`.
    pub name: String,
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Served versions.
    pub versions: Vec<String>,
}

/// Which engine a CRD belongs to, judged by its group and kind:
/// KubeArmor by `security.kubearmor.com`, Tetragon by `TracingPolicy*`,
/// Cilium by `CiliumNetworkPolicy`, Calico by `crd.projectcalico.org`
/// (the group Calico stores its objects under) or `projectcalico.org`.
pub fn engine_of_crd(group: &str, kind: &str) -> Option<Engine> {
    match (group, kind) {
        ("security.kubearmor.com", _) => Some(Engine::KubeArmor),
        ("cilium.io", "TracingPolicy" | "TracingPolicyNamespaced") => Some(Engine::Tetragon),
        ("cilium.io", "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy") => {
            Some(Engine::Cilium)
        }
        ("crd.projectcalico.org" | "projectcalico.org", _) => Some(Engine::Calico),
        _ => None,
    }
}

/// Whether `labels` satisfy an equality selector (every pair present).
pub fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The read side of a live cluster.
pub trait ClusterContext {
    /// A short description of where the answers come from (server URL, context).
    fn describe(&self) -> String;

    /// Namespace names.
    fn namespaces(&mut self) -> Result<Vec<String>, ClusterError>;

    /// Pods of one namespace, or of all with `None`.
    fn pods(&mut self, namespace: Option<&str>) -> Result<Vec<PodInfo>, ClusterError>;

    /// Services of one namespace, or of all with `None`.
    fn services(&mut self, namespace: Option<&str>) -> Result<Vec<ServiceInfo>, ClusterError>;

    /// Installed CustomResourceDefinitions.
    fn crds(&mut self) -> Result<Vec<CrdInfo>, ClusterError>;

    /// The full CRD object (as JSON) serving `group` `kind`, if installed.
    fn crd(&mut self, group: &str, kind: &str) -> Result<Option<Value>, ClusterError>;

    /// Engines whose CRDs are installed, plus Kubernetes NetworkPolicy, which
    /// every cluster serves.
    fn engines(&mut self) -> Result<Vec<Engine>, ClusterError> {
        let mut out: Vec<Engine> = self
            .crds()?
            .iter()
            .filter_map(|c| engine_of_crd(&c.group, &c.kind))
            .collect();
        out.push(Engine::Kubernetes);
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Pods of `namespace` whose labels satisfy `selector`.
    fn pods_matching(
        &mut self,
        namespace: Option<&str>,
        selector: &BTreeMap<String, String>,
    ) -> Result<Vec<PodInfo>, ClusterError> {
        Ok(self
            .pods(namespace)?
            .into_iter()
            .filter(|p| selects(selector, &p.labels))
            .collect())
    }
}

/// Labels a controller stamps on each pod (hashes, ordinals, uids): never
/// part of a workload's identity, so left out of resolved selectors.
const PER_POD_LABELS: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
];

/// Resolves pod names to labels through a live cluster (KubeTeus's prompt
/// enhancer): a name is a pod's own name (its stable labels are the answer)
/// or the name of the controller owning pods (`productpage-v1`, a
/// Deployment: the labels all its pods share).
pub struct ClusterPods<'a>(pub &'a mut dyn ClusterContext);

impl crate::PodResolver for ClusterPods<'_> {
    fn resolve_pod(
        &mut self,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Vec<kubescribe_core::intent::ResolvedPod>, Box<dyn std::error::Error + Send + Sync>>
    {
        Ok(resolve_pod_name(&self.0.pods(namespace)?, name))
    }
}

fn stable_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(k, _)| !PER_POD_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The workloads of `pods` that `name` denotes: pods of that name, else the
/// controllers of that name (labels shared by all their pods).
pub fn resolve_pod_name(pods: &[PodInfo], name: &str) -> Vec<kubescribe_core::intent::ResolvedPod> {
    let exact: Vec<_> = pods
        .iter()
        .filter(|p| p.name == name)
        .map(|p| kubescribe_core::intent::ResolvedPod {
            kind: "Pod".into(),
            namespace: p.namespace.clone(),
            name: p.name.clone(),
            labels: stable_labels(&p.labels),
        })
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let mut owned: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for p in pods {
        let Some(owner) = p.owner.as_ref().filter(|o| o.name == name) else {
            continue;
        };
        let labels = stable_labels(&p.labels);
        owned
            .entry((p.namespace.clone(), owner.kind.clone()))
            .and_modify(|shared| shared.retain(|k, v| labels.get(k) == Some(v)))
            .or_insert(labels);
    }
    owned
        .into_iter()
        .filter(|(_, labels)| !labels.is_empty())
        .map(
            |((namespace, kind), labels)| kubescribe_core::intent::ResolvedPod {
                kind,
                namespace,
                name: name.to_string(),
                labels,
            },
        )
        .collect()
}

/// A cluster's state held in memory: what [`ClusterContext`] answers, taken
/// once (e.g. with [`ClusterSnapshot::take`]) or built by hand.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClusterSnapshot {
    /// Where it came from.
    pub source: String,
    /// Namespaces.
    pub namespaces: Vec<String>,
    /// Pods.
    pub pods: Vec<PodInfo>,
    /// Services.
    pub services: Vec<ServiceInfo>,
    /// CRDs (summaries).
    pub crds: Vec<CrdInfo>,
    /// Full CRD objects, keyed by `group/kind`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub crd_objects: BTreeMap<String, Value>,
}

impl ClusterSnapshot {
    /// Reads namespaces, pods, services and CRD summaries of `namespace`
    /// (all with `None`) from `cluster`.
    pub fn take(
        cluster: &mut dyn ClusterContext,
        namespace: Option<&str>,
    ) -> Result<ClusterSnapshot, ClusterError> {
        Ok(ClusterSnapshot {
            source: cluster.describe(),
            namespaces: cluster.namespaces()?,
            pods: cluster.pods(namespace)?,
            services: cluster.services(namespace)?,
            crds: cluster.crds()?,
            crd_objects: BTreeMap::new(),
        })
    }
}

impl ClusterSnapshot {
    /// The event store presented as a cluster, so that the cluster checks
    /// (layers 2/3) run unchanged against what was observed:
    ///
    /// * **pods**: each workload of the manifests (pod-template labels and
    ///   container ports; named `Kind/name`, owned by itself), each observed
    ///   pod (namespace, name and labels of the events; the local ports of its
    ///   ingress and listen flows as served ports), and each known flow peer
    ///   (namespace and labels; the remote port of flows *to* it as served);
    /// * **services**: the manifests' Services (selector, port, targetPort);
    /// * **namespaces**: every namespace any of those lives in, and those of
    ///   the manifests' `Namespace` objects.
    ///
    /// Events without a namespace (host processes) are left out. CRDs are
    /// none (the store knows no engines). Cost: the workloads, one look-up
    /// per pod for processes, files and syscalls
    /// ([`EventStore::pods_with_events`]), and the flow rows.
    pub fn from_store(store: &mut dyn EventStore) -> Result<ClusterSnapshot, StoreError> {
        type Key = (String, String, BTreeMap<String, String>);
        let mut pods: BTreeMap<Key, BTreeSet<PodPort>> = BTreeMap::new();
        let mut services = Vec::new();
        let mut declared: BTreeSet<String> = BTreeSet::new();
        for w in store.workloads(None, &BTreeMap::new())? {
            if w.kind == "Namespace" {
                declared.insert(w.name);
                continue;
            }
            if w.kind == "Endpoints" || w.kind == "EndpointSlice" {
                // A Service's backends: addresses, no pods of their own.
                continue;
            }
            if w.kind == "Service" {
                services.push(ServiceInfo {
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                    selector: w.selector.clone(),
                    ports: w
                        .ports
                        .iter()
                        .map(|p| ServicePort {
                            name: p.name.clone(),
                            port: i32::from(p.port),
                            target_port: Some(
                                p.target_port.clone().unwrap_or_else(|| p.port.to_string()),
                            ),
                            protocol: p.protocol.clone(),
                        })
                        .collect(),
                });
                continue;
            }
            let key = (
                w.namespace.clone(),
                format!("{}/{}", w.kind, w.name),
                w.pod_labels.clone(),
            );
            pods.entry(key)
                .or_default()
                .extend(w.ports.iter().map(|p| PodPort {
                    name: p.name.clone(),
                    port: i32::from(p.port),
                    protocol: p.protocol.clone(),
                }));
        }
        // Processes, files and syscalls name pods only: their pods, not
        // their rows (a store with a pod index answers per pod).
        for table in [
            EventTable::Processes,
            EventTable::Files,
            EventTable::Syscalls,
        ] {
            for pod in store.pods_with_events(table)? {
                let Some(ns) = pod.namespace else { continue };
                let name = pod.pod.unwrap_or_else(|| "(unnamed pod)".into());
                pods.entry((ns, name, pod.labels)).or_default();
            }
        }
        let all = EventQuery::default();
        for table in [EventTable::Flows] {
            for row in store.events(table, &all)? {
                let e = &row.event;
                let Some(ns) = e.pod.namespace.clone() else {
                    continue;
                };
                let name = e.pod.pod.clone().unwrap_or_else(|| "(unnamed pod)".into());
                let served = pods
                    .entry((ns.clone(), name, e.pod.labels.clone()))
                    .or_default();
                let EventKind::Network(n) = &e.kind else {
                    continue;
                };
                let protocol = n.protocol.to_ascii_uppercase();
                if matches!(n.direction, Direction::Ingress | Direction::Listen)
                    && let Some(p) = n.local_port
                {
                    served.insert(PodPort {
                        name: None,
                        port: i32::from(p),
                        protocol: protocol.clone(),
                    });
                }
                let Some(peer) = &n.peer else { continue };
                let Some(peer_ns) = peer.namespace.clone().or_else(|| {
                    // A peer with pod labels but no namespace is taken to be
                    // in the pod's own namespace; Cilium's reserved identities
                    // (`reserved:world`) are no pods.
                    (!peer.labels.is_empty()
                        && !peer.labels.keys().any(|k| k.starts_with("reserved:")))
                    .then(|| ns.clone())
                }) else {
                    continue;
                };
                let peer_name = peer.pod.clone().unwrap_or_else(|| "(unnamed peer)".into());
                let served = pods
                    .entry((peer_ns, peer_name, peer.labels.clone()))
                    .or_default();
                if n.direction == Direction::Egress
                    && let Some(p) = n.remote_port
                {
                    served.insert(PodPort {
                        name: None,
                        port: i32::from(p),
                        protocol,
                    });
                }
            }
        }
        let mut namespaces: BTreeSet<String> = pods.keys().map(|(ns, _, _)| ns.clone()).collect();
        namespaces.extend(services.iter().map(|s| s.namespace.clone()));
        namespaces.extend(declared);
        Ok(ClusterSnapshot {
            source: "the event store".into(),
            namespaces: namespaces.into_iter().collect(),
            pods: pods
                .into_iter()
                .map(|((namespace, name, labels), ports)| PodInfo {
                    owner: name.split_once('/').map(|(k, n)| Owner {
                        kind: k.to_string(),
                        name: n.to_string(),
                    }),
                    namespace,
                    name,
                    labels,
                    ports: ports.into_iter().collect(),
                })
                .collect(),
            services,
            crds: Vec::new(),
            crd_objects: BTreeMap::new(),
        })
    }
}

impl ClusterContext for ClusterSnapshot {
    fn describe(&self) -> String {
        self.source.clone()
    }

    fn namespaces(&mut self) -> Result<Vec<String>, ClusterError> {
        Ok(self.namespaces.clone())
    }

    fn pods(&mut self, namespace: Option<&str>) -> Result<Vec<PodInfo>, ClusterError> {
        Ok(self
            .pods
            .iter()
            .filter(|p| namespace.is_none_or(|n| p.namespace == n))
            .cloned()
            .collect())
    }

    fn services(&mut self, namespace: Option<&str>) -> Result<Vec<ServiceInfo>, ClusterError> {
        Ok(self
            .services
            .iter()
            .filter(|s| namespace.is_none_or(|n| s.namespace == n))
            .cloned()
            .collect())
    }

    fn crds(&mut self) -> Result<Vec<CrdInfo>, ClusterError> {
        Ok(self.crds.clone())
    }

    fn crd(&mut self, group: &str, kind: &str) -> Result<Option<Value>, ClusterError> {
        Ok(self.crd_objects.get(&format!("{group}/{kind}")).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn pod(ns: &str, name: &str, l: &[(&str, &str)], owner: Option<(&str, &str)>) -> PodInfo {
        PodInfo {
            namespace: ns.into(),
            name: name.into(),
            labels: labels(l),
            ports: vec![],
            owner: owner.map(|(kind, name)| Owner {
                kind: kind.into(),
                name: name.into(),
            }),
        }
    }

    #[test]
    fn pod_names_resolve_to_pods_or_their_controllers() {
        use crate::PodResolver;
        let mut s = ClusterSnapshot {
            pods: vec![
                pod(
                    "shop",
                    "productpage-v1-6b746f74dc-9stvs",
                    &[
                        ("app", "productpage"),
                        ("version", "v1"),
                        ("pod-template-hash", "6b746f74dc"),
                    ],
                    Some(("Deployment", "productpage-v1")),
                ),
                pod(
                    "shop",
                    "productpage-v1-6b746f74dc-x2x8q",
                    &[
                        ("app", "productpage"),
                        ("version", "v1"),
                        ("pod-template-hash", "6b746f74dc"),
                    ],
                    Some(("Deployment", "productpage-v1")),
                ),
                pod("shop", "debug", &[("run", "debug")], None),
                pod("other", "debug", &[("run", "debug2")], None),
            ],
            ..Default::default()
        };
        let mut r = ClusterPods(&mut s);
        let got = r.resolve_pod(Some("shop"), "productpage-v1").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, "Deployment");
        assert_eq!(
            got[0].labels,
            labels(&[("app", "productpage"), ("version", "v1")])
        );
        let got = r
            .resolve_pod(Some("shop"), "productpage-v1-6b746f74dc-9stvs")
            .unwrap();
        assert_eq!(got[0].kind, "Pod");
        assert_eq!(
            got[0].labels,
            labels(&[("app", "productpage"), ("version", "v1")])
        );
        assert_eq!(
            r.resolve_pod(None, "debug").unwrap().len(),
            2,
            "ambiguous across namespaces"
        );
        assert!(r.resolve_pod(Some("shop"), "nope").unwrap().is_empty());
    }

    #[test]
    fn engines_come_from_installed_crds() {
        let crd = |group: &str, kind: &str| CrdInfo {
            name: format!("{}s.{group}", kind.to_lowercase()),
            group: group.into(),
            kind: kind.into(),
            versions: vec!["v1".into()],
        };
        let mut s = ClusterSnapshot {
            crds: vec![
                crd("security.kubearmor.com", "KubeArmorPolicy"),
                crd("cilium.io", "CiliumNetworkPolicy"),
                crd("cilium.io", "CiliumEndpoint"),
                crd("crd.projectcalico.org", "NetworkPolicy"),
                crd("example.com", "Widget"),
            ],
            ..Default::default()
        };
        assert_eq!(
            s.engines().unwrap(),
            [
                Engine::KubeArmor,
                Engine::Cilium,
                Engine::Kubernetes,
                Engine::Calico
            ]
        );
        s.crds.clear();
        assert_eq!(s.engines().unwrap(), [Engine::Kubernetes]);
    }

    #[test]
    fn pods_are_matched_by_selector_and_namespace() {
        let pod = |ns: &str, name: &str, l: &[(&str, &str)]| PodInfo {
            namespace: ns.into(),
            name: name.into(),
            labels: labels(l),
            ports: vec![],
            owner: None,
        };
        let mut s = ClusterSnapshot {
            pods: vec![
                pod("shop", "web-1", &[("app", "web"), ("tier", "front")]),
                pod("shop", "db-1", &[("app", "db")]),
                pod("other", "web-2", &[("app", "web")]),
            ],
            ..Default::default()
        };
        let names = |v: Vec<PodInfo>| v.into_iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(
            names(
                s.pods_matching(Some("shop"), &labels(&[("app", "web")]))
                    .unwrap()
            ),
            ["web-1"]
        );
        assert_eq!(
            names(s.pods_matching(None, &labels(&[("app", "web")])).unwrap()),
            ["web-1", "web-2"]
        );
        assert!(
            s.pods_matching(Some("shop"), &labels(&[("app", "api")]))
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.pods(Some("shop")).unwrap().len(), 2);
    }
}
