//! # kubescribe-core
//!
//! The domain of kubescribe: the engine-agnostic [`intent::Intent`], typed
//! policy models for the five engines ([`policy`]), reading policy documents
//! from YAML/JSON ([`document`]) and writing them back in a canonical form.
//!
//! Engines and kinds:
//!
//! | engine | kinds |
//! |---|---|
//! | KubeArmor | `KubeArmorPolicy`, `KubeArmorHostPolicy`, `KubeArmorClusterPolicy`, `KubeArmorNetworkPolicy` |
//! | Tetragon | `TracingPolicy`, `TracingPolicyNamespaced` |
//! | Cilium | `CiliumNetworkPolicy`, `CiliumClusterwideNetworkPolicy` |
//! | Kubernetes | `NetworkPolicy` (`networking.k8s.io/v1`, k8s-openapi's types) |
//! | Calico | `NetworkPolicy`, `GlobalNetworkPolicy` and their `Staged*` forms (`projectcalico.org/v3`) |

pub mod cluster;
pub mod context;
pub mod convert;
pub mod document;
pub mod engine;
pub mod error;
pub mod events;
pub mod intent;
pub mod policy;
pub mod prompt;
pub mod simulate;
pub mod store;
pub mod synth;

pub use document::{Document, DocumentSet, ReadLimits};
pub use engine::{Engine, PolicyKind};
pub use error::CoreError;
pub use policy::Policy;
