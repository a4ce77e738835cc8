//! # kubescribe-core
//!
//! The types every other kubescribe crate speaks: engines and policy kinds
//! ([`Engine`], [`PolicyKind`]), the engine-agnostic security [`intent`],
//! typed policy models for the five engines ([`policy`], with apiVersion/kind
//! dispatch in [`Policy`] and a canonical YAML form), reading policy
//! documents from YAML/JSON text with budgets and line locations
//! ([`document`]), label selectors shared by conversion, simulation and
//! validation ([`selector`]), IP blocks ([`cidr`]), safe quoting of untrusted text ([`quote`]), the limits on untrusted input ([`limits`]) and
//! validator feedback for prompts ([`feedback`]).
//!
//! It holds no I/O beyond [`document::read_file`] reading a file the caller
//! names: no store, no network, no models. What was
//! observed in a cluster lives in `kubescribe-events`, replay in
//! `kubescribe-simulate`, checks in `kubescribe-validate`, text → intent in
//! `kubescribe-intent`, intent → policy in `kubescribe-synth`, model backends in `kubescribe-infer`.
//!
//! | engine | kinds |
//! |---|---|
//! | KubeArmor | `KubeArmorPolicy`, `KubeArmorHostPolicy`, `KubeArmorClusterPolicy`, `KubeArmorNetworkPolicy` |
//! | Tetragon | `TracingPolicy`, `TracingPolicyNamespaced` |
//! | Cilium | `CiliumNetworkPolicy`, `CiliumClusterwideNetworkPolicy` |
//! | Kubernetes | `NetworkPolicy` (`networking.k8s.io/v1`, k8s-openapi's types) |
//! | Calico | `NetworkPolicy`, `GlobalNetworkPolicy` and their `Staged*` forms (`projectcalico.org/v3`) |
//!
//! ```
//! use kubescribe_core::{Engine, Policy};
//!
//! let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
//!             metadata: {name: deny-all, namespace: shop}\n\
//!             spec: {podSelector: {}, policyTypes: [Ingress]}\n";
//! let limits = kubescribe_core::ReadLimits::default();
//! let set = kubescribe_core::document::read_bytes("<doc>", text.as_bytes(), &limits).unwrap();
//! let policy = Policy::from_value(set.documents[0].value.clone()).unwrap();
//! assert_eq!(policy.engine(), Engine::Kubernetes);
//! ```

pub mod cidr;
pub mod document;
pub mod engine;
pub mod error;
pub mod feedback;
pub mod glob;
pub mod intent;
pub mod limits;
pub mod policy;
pub mod quote;
pub mod selector;

pub use document::{Document, DocumentSet, ReadLimits};
pub use engine::{Engine, PolicyKind};
pub use error::CoreError;
pub use limits::LimitExceeded;
pub use policy::Policy;
