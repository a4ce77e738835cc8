//! # kubescribe-kube
//!
//! kubescribe on a live cluster, through `kube` + `k8s-openapi`:
//!
//! * [`config`]: the cluster configuration as kubectl users expect it —
//!   `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`, else
//!   `--server` alone, else the in-cluster service account; `--context` and
//!   `--cluster` pick kubeconfig entries, `--server`, `--token`,
//!   `--insecure-skip-tls-verify` and `--as` override; every request is
//!   bounded by a timeout.
//! * [`KubeApi`]: the async client: namespaces, pods (labels, container
//!   ports, owning Deployment/StatefulSet/DaemonSet), Services, CRDs,
//!   server-side apply and its dry run ([`apply`]) with retries and a report
//!   of what changed.
//! * [`KubeCluster`]: the same, blocking, implementing the domain's
//!   [`ClusterContext`](kubescribe_events::cluster::ClusterContext) trait, so
//!   `kubescribe-validate` can check policies against live objects.
//! * [`checks`]: cluster-side validation: layer 1 against the cluster's CRD
//!   (its CEL rules, or when the server dropped them those of the upstream
//!   CRD kubescribe bundles: [`bundled`]), layers 2/3 against live objects,
//!   a server-side dry run of the document as written as the final check.
//! * `KubeApi::{live, delete, daemonsets}`: what `kubescribe diff`,
//!   `delete` and `cluster` read.
//!
//! Without a reachable cluster every call fails with a
//! [`ClusterError`](kubescribe_events::cluster::ClusterError) within the
//! timeout; nothing panics or hangs.
//!
//! It holds the cluster I/O only: what the checks do with the objects is
//! `kubescribe-validate`, the types they read are `kubescribe-events`'s.
//!
//! ```no_run
//! use kubescribe_events::cluster::ClusterContext;
//! use kubescribe_kube::{ClusterOptions, KubeCluster};
//!
//! let mut cluster = KubeCluster::connect(&ClusterOptions::default())?;
//! println!("{:?}", cluster.engines()?);
//! # Ok::<(), kubescribe_kube::ClusterError>(())
//! ```

pub mod api;
pub mod apply;
pub mod blocking;
pub mod bundled;
pub mod checks;
pub mod config;

pub use api::{DaemonSetStatus, KubeApi};
pub use apply::{Action, ApplyOptions, ApplyReport, ApplyResult, Deleted, FIELD_MANAGER};
pub use blocking::KubeCluster;
pub use config::ClusterOptions;
pub use kubescribe_events::cluster::ClusterError;
