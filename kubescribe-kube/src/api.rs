//! The async client: reading the cluster's state.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{DaemonSet, ReplicaSet};
use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, Scope};
use serde_json::Value;

use kubescribe_events::cluster::{
    ClusterError, CrdInfo, Owner, PodInfo, PodPort, ServiceInfo, ServicePort,
};

use crate::config::{self, ClusterOptions};

/// An async handle on one cluster.
pub struct KubeApi {
    pub(crate) client: kube::Client,
    pub(crate) server: String,
    pub(crate) timeout: Duration,
    resources: Mutex<HashMap<(String, String), (ApiResource, bool)>>,
}

impl std::fmt::Debug for KubeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeApi")
            .field("server", &self.server)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Maps a `kube` error to the domain's error, naming the request.
pub(crate) fn map_err(server: &str, what: &str, e: kube::Error) -> ClusterError {
    match e {
        kube::Error::Api(s) => ClusterError::Api {
            what: what.to_string(),
            code: s.code,
            reason: s.reason.clone(),
            message: s.message.clone(),
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) => ClusterError::Unreachable {
            server: server.to_string(),
            message: chain(&e),
        },
        other => ClusterError::Other(format!("{what}: {}", chain(&other))),
    }
}

/// An error and its causes on one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

impl KubeApi {
    /// Connects (lazily: no request is made) with the resolved configuration.
    /// Must run inside a tokio runtime.
    pub async fn connect(opts: &ClusterOptions) -> Result<KubeApi, ClusterError> {
        let config = config::load(opts).await?;
        let server = config.cluster_url.to_string();
        let client = kube::Client::try_from(config).map_err(|e| {
            ClusterError::Config(format!("cannot build a client for {server}: {}", chain(&e)))
        })?;
        Ok(KubeApi::from_client(client, server, opts.timeout))
    }

    /// Wraps an existing client (e.g. a `tower-test` mock).
    pub fn from_client(client: kube::Client, server: impl Into<String>, timeout: Duration) -> Self {
        KubeApi {
            client,
            server: server.into(),
            timeout,
            resources: Mutex::new(HashMap::new()),
        }
    }

    /// The underlying `kube` client.
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The namespace of the current context (`default` when it names none).
    pub fn default_namespace(&self) -> &str {
        self.client.default_namespace()
    }

    /// Runs `fut` within the timeout, mapping errors.
    pub(crate) async fn bounded<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, ClusterError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r.map_err(|e| map_err(&self.server, what, e)),
            Err(_) => Err(ClusterError::Timeout {
                server: self.server.clone(),
                seconds: self.timeout.as_secs().max(1),
                what: what.to_string(),
            }),
        }
    }

    /// Namespace names.
    pub async fn namespaces(&self) -> Result<Vec<String>, ClusterError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let list = self
            .bounded("list namespaces", api.list(&ListParams::default()))
            .await?;
        Ok(list
            .items
            .into_iter()
            .filter_map(|n| n.metadata.name)
            .collect())
    }

    /// Pods of one namespace (all with `None`), with owners resolved through
    /// ReplicaSets to Deployments.
    pub async fn pods(&self, namespace: Option<&str>) -> Result<Vec<PodInfo>, ClusterError> {
        let api: Api<Pod> = match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        let list = self
            .bounded("list pods", api.list(&ListParams::default()))
            .await?;
        let mut rs_owner: BTreeMap<(String, String), Owner> = BTreeMap::new();
        let needs_rs = list.items.iter().any(|p| {
            controller(p.metadata.owner_references.as_deref())
                .is_some_and(|o| o.kind == "ReplicaSet")
        });
        if needs_rs {
            let rs_api: Api<ReplicaSet> = match namespace {
                Some(ns) => Api::namespaced(self.client.clone(), ns),
                None => Api::all(self.client.clone()),
            };
            let rs = self
                .bounded("list replicasets", rs_api.list(&ListParams::default()))
                .await?;
            for r in rs.items {
                if let (Some(ns), Some(name), Some(o)) = (
                    r.metadata.namespace.clone(),
                    r.metadata.name.clone(),
                    controller(r.metadata.owner_references.as_deref()),
                ) {
                    rs_owner.insert(
                        (ns, name),
                        Owner {
                            kind: o.kind.clone(),
                            name: o.name.clone(),
                        },
                    );
                }
            }
        }
        Ok(list
            .items
            .into_iter()
            .map(|p| {
                let namespace = p.metadata.namespace.clone().unwrap_or_default();
                let owner = controller(p.metadata.owner_references.as_deref()).map(|o| {
                    rs_owner
                        .get(&(namespace.clone(), o.name.clone()))
                        .filter(|_| o.kind == "ReplicaSet")
                        .cloned()
                        .unwrap_or(Owner {
                            kind: o.kind.clone(),
                            name: o.name.clone(),
                        })
                });
                let ports = p
                    .spec
                    .as_ref()
                    .map(|s| {
                        s.containers
                            .iter()
                            .flat_map(|c| c.ports.iter().flatten())
                            .map(|cp| PodPort {
                                name: cp.name.clone(),
                                port: cp.container_port,
                                protocol: cp.protocol.clone().unwrap_or_else(|| "TCP".into()),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                PodInfo {
                    namespace,
                    name: p.metadata.name.unwrap_or_default(),
                    labels: p.metadata.labels.unwrap_or_default(),
                    ports,
                    owner,
                }
            })
            .collect())
    }

    /// Services of one namespace (all with `None`).
    pub async fn services(
        &self,
        namespace: Option<&str>,
    ) -> Result<Vec<ServiceInfo>, ClusterError> {
        let api: Api<Service> = match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        let list = self
            .bounded("list services", api.list(&ListParams::default()))
            .await?;
        Ok(list
            .items
            .into_iter()
            .map(|s| {
                let spec = s.spec.unwrap_or_default();
                ServiceInfo {
                    namespace: s.metadata.namespace.unwrap_or_default(),
                    name: s.metadata.name.unwrap_or_default(),
                    selector: spec.selector.unwrap_or_default(),
                    ports: spec
                        .ports
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| ServicePort {
                            name: p.name,
                            port: p.port,
                            target_port: Some(match p.target_port {
                                Some(IntOrString::Int(i)) => i.to_string(),
                                Some(IntOrString::String(s)) => s,
                                None => p.port.to_string(),
                            }),
                            protocol: p.protocol.unwrap_or_else(|| "TCP".into()),
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// Installed CRDs (summaries).
    pub async fn crds(&self) -> Result<Vec<CrdInfo>, ClusterError> {
        let api: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        let list = self
            .bounded(
                "list customresourcedefinitions",
                api.list(&ListParams::default()),
            )
            .await?;
        Ok(list
            .items
            .into_iter()
            .map(|c| CrdInfo {
                name: c.metadata.name.unwrap_or_default(),
                group: c.spec.group,
                kind: c.spec.names.kind,
                versions: c
                    .spec
                    .versions
                    .into_iter()
                    .filter(|v| v.served)
                    .map(|v| v.name)
                    .collect(),
            })
            .collect())
    }

    /// The full CRD serving `group` `kind` as JSON, if installed.
    pub async fn crd(&self, group: &str, kind: &str) -> Result<Option<Value>, ClusterError> {
        let api: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        let list = self
            .bounded(
                "list customresourcedefinitions",
                api.list(&ListParams::default()),
            )
            .await?;
        let Some(mut crd) = list
            .items
            .into_iter()
            .find(|c| c.spec.group == group && c.spec.names.kind == kind)
        else {
            return Ok(None);
        };
        crd.metadata.managed_fields = None;
        let mut v = serde_json::to_value(&crd)
            .map_err(|e| ClusterError::Other(format!("CRD {group}/{kind}: {e}")))?;
        if let Value::Object(m) = &mut v {
            m.insert("apiVersion".into(), "apiextensions.k8s.io/v1".into());
            m.insert("kind".into(), "CustomResourceDefinition".into());
        }
        Ok(Some(v))
    }

    /// The API resource serving `api_version` `kind` and whether it is
    /// namespaced (discovery, cached). A kind the cluster does not serve is
    /// an `Api` error with reason `NotFound` that says so.
    pub async fn resource(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<(ApiResource, bool), ClusterError> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(r) = self
            .resources
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(r);
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let what = format!("discover {api_version} {kind}");
        let found: Result<(ApiResource, ApiCapabilities), ClusterError> = self
            .bounded(&what, kube::discovery::pinned_kind(&self.client, &gvk))
            .await;
        let (ar, caps) = match found {
            Ok(x) => x,
            Err(ClusterError::Api { code: 404, .. }) | Err(ClusterError::Other(_)) => {
                return Err(ClusterError::Api {
                    what,
                    code: 404,
                    reason: "NotFound".into(),
                    message: format!(
                        "the cluster does not serve {kind} in {api_version} (is the engine's CRD installed?)"
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        let r = (ar, caps.scope == Scope::Namespaced);
        if let Ok(mut m) = self.resources.lock() {
            m.insert(key, r.clone());
        }
        Ok(r)
    }
}

/// A DaemonSet's rollout as the API shows it (`kubescribe cluster`: is an
/// engine's agent running on the nodes?).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DaemonSetStatus {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Pods that should run (one per eligible node).
    pub desired: i32,
    /// Pods running and ready.
    pub ready: i32,
}

impl KubeApi {
    /// Every DaemonSet with its desired and ready pod counts.
    pub async fn daemonsets(&self) -> Result<Vec<DaemonSetStatus>, ClusterError> {
        let api: Api<DaemonSet> = Api::all(self.client.clone());
        let list = self
            .bounded("list daemonsets", api.list(&ListParams::default()))
            .await?;
        Ok(list
            .items
            .into_iter()
            .map(|d| {
                let st = d.status.unwrap_or_default();
                DaemonSetStatus {
                    namespace: d.metadata.namespace.unwrap_or_default(),
                    name: d.metadata.name.unwrap_or_default(),
                    desired: st.desired_number_scheduled,
                    ready: st.number_ready,
                }
            })
            .collect())
    }
}

/// The controlling owner reference, or the first one.
fn controller(refs: Option<&[OwnerReference]>) -> Option<&OwnerReference> {
    let refs = refs?;
    refs.iter()
        .find(|r| r.controller == Some(true))
        .or_else(|| refs.first())
}
