//! A blocking handle: [`KubeApi`] on its own single-threaded runtime, for
//! synchronous callers (the CLI, the validators through [`ClusterContext`]).

use serde_json::Value;

use kubescribe_events::cluster::{ClusterContext, ClusterError, CrdInfo, PodInfo, ServiceInfo};

use crate::api::DaemonSetStatus;
use crate::api::KubeApi;
use crate::apply::{ApplyOptions, ApplyResult, Deleted};
use crate::config::ClusterOptions;

/// A blocking client of one cluster. Do not use from inside an async runtime.
#[derive(Debug)]
pub struct KubeCluster {
    rt: tokio::runtime::Runtime,
    api: KubeApi,
    context: Option<String>,
}

impl KubeCluster {
    /// Resolves the configuration and builds the client. Makes no request.
    pub fn connect(opts: &ClusterOptions) -> Result<KubeCluster, ClusterError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClusterError::Other(format!("cannot start a runtime: {e}")))?;
        let api = rt.block_on(KubeApi::connect(opts))?;
        Ok(KubeCluster {
            rt,
            api,
            context: opts.context.clone(),
        })
    }

    /// The async client.
    pub fn api(&self) -> &KubeApi {
        &self.api
    }

    /// Runs a future on this handle's runtime (e.g. calls on [`KubeApi::client`]).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Server-side apply (or its dry run) of one object.
    pub fn apply(&self, object: &Value, opts: &ApplyOptions) -> Result<ApplyResult, ClusterError> {
        self.rt.block_on(self.api.apply(object, opts))
    }

    /// The live object `object` names, if any ([`KubeApi::live`]).
    pub fn live(
        &self,
        object: &Value,
        namespace: Option<&str>,
    ) -> Result<Option<Value>, ClusterError> {
        self.rt.block_on(self.api.live(object, namespace))
    }

    /// Deletes the object `object` names ([`KubeApi::delete`]): its
    /// `kind/namespace/name` and what happened.
    pub fn delete(
        &self,
        object: &Value,
        namespace: Option<&str>,
        dry_run: bool,
    ) -> Result<(String, Deleted), ClusterError> {
        self.rt
            .block_on(self.api.delete(object, namespace, dry_run))
    }

    /// Every DaemonSet's rollout ([`KubeApi::daemonsets`]).
    pub fn daemonsets(&self) -> Result<Vec<DaemonSetStatus>, ClusterError> {
        self.rt.block_on(self.api.daemonsets())
    }
}

impl ClusterContext for KubeCluster {
    fn describe(&self) -> String {
        match &self.context {
            Some(c) => format!("{} (context {c})", self.api.server()),
            None => self.api.server().to_string(),
        }
    }

    fn namespaces(&mut self) -> Result<Vec<String>, ClusterError> {
        self.rt.block_on(self.api.namespaces())
    }

    fn pods(&mut self, namespace: Option<&str>) -> Result<Vec<PodInfo>, ClusterError> {
        self.rt.block_on(self.api.pods(namespace))
    }

    fn services(&mut self, namespace: Option<&str>) -> Result<Vec<ServiceInfo>, ClusterError> {
        self.rt.block_on(self.api.services(namespace))
    }

    fn crds(&mut self) -> Result<Vec<CrdInfo>, ClusterError> {
        self.rt.block_on(self.api.crds())
    }

    fn crd(&mut self, group: &str, kind: &str) -> Result<Option<Value>, ClusterError> {
        self.rt.block_on(self.api.crd(group, kind))
    }
}
