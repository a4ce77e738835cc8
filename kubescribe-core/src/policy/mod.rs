//! Typed policy models for the five engines, and the [`Policy`] enum over them.
//!
//! The KubeArmor, Tetragon, Cilium and Calico models are generated from the
//! upstream CRDs by `tools/crd2rust` (see each module); Kubernetes
//! NetworkPolicy uses k8s-openapi's types. [`Policy::from_value`] dispatches
//! on `apiVersion`/`kind`; [`Policy::to_canonical_yaml`] writes the canonical
//! form (fields in model order, maps sorted, nulls and empty optionals dropped).

pub mod calico;
pub mod cilium;
pub mod defaults;
pub mod kubearmor;
pub mod kubernetes;
pub mod schema;
pub mod tetragon;

use serde_json::Value;

use crate::engine::{Engine, PolicyKind};
use crate::error::CoreError;

macro_rules! policy_enum {
    ($( $variant:ident($ty:ty) ),* $(,)?) => {
        /// One policy document of any modelled kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Policy {
            $(
                #[doc = concat!("A `", stringify!($variant), "`.")]
                $variant(Box<$ty>),
            )*
        }

        impl Policy {
            /// The policy's kind.
            pub fn kind(&self) -> PolicyKind {
                match self { $(Policy::$variant(_) => PolicyKind::$variant),* }
            }

            /// Decodes a document (already routed to `kind`) into its typed model.
            pub fn from_value_as(kind: PolicyKind, value: Value) -> Result<Policy, CoreError> {
                let model_err = |e: serde_json::Error| CoreError::Model {
                    kind: kind.kind().to_string(),
                    message: e.to_string(),
                };
                Ok(match kind {
                    $(PolicyKind::$variant => Policy::$variant(Box::new(
                        serde_json::from_value::<$ty>(value).map_err(model_err)?,
                    )),)*
                })
            }

            /// The policy as a JSON value (field order of the model).
            pub fn to_value(&self) -> Result<Value, CoreError> {
                let r = match self { $(Policy::$variant(p) => serde_json::to_value(p)),* };
                r.map_err(|e| CoreError::Serialize(e.to_string()))
            }

            /// The object's metadata.
            pub fn metadata(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                match self { $(Policy::$variant(p) => &p.metadata),* }
            }
        }
    };
}

policy_enum! {
    KubeArmorPolicy(kubearmor::KubeArmorPolicy),
    KubeArmorHostPolicy(kubearmor::KubeArmorHostPolicy),
    KubeArmorClusterPolicy(kubearmor::KubeArmorClusterPolicy),
    KubeArmorNetworkPolicy(kubearmor::KubeArmorNetworkPolicy),
    TracingPolicy(tetragon::TracingPolicy),
    TracingPolicyNamespaced(tetragon::TracingPolicyNamespaced),
    CiliumNetworkPolicy(cilium::CiliumNetworkPolicy),
    CiliumClusterwideNetworkPolicy(cilium::CiliumClusterwideNetworkPolicy),
    NetworkPolicy(kubernetes::NetworkPolicy),
    CalicoNetworkPolicy(calico::NetworkPolicy),
    CalicoGlobalNetworkPolicy(calico::GlobalNetworkPolicy),
    CalicoStagedNetworkPolicy(calico::StagedNetworkPolicy),
    CalicoStagedGlobalNetworkPolicy(calico::StagedGlobalNetworkPolicy),
    CalicoStagedKubernetesNetworkPolicy(calico::StagedKubernetesNetworkPolicy),
}

impl Policy {
    /// The kind a document names through `apiVersion` and `kind`.
    pub fn kind_of(value: &Value) -> Result<PolicyKind, CoreError> {
        let api_version = value.get("apiVersion").and_then(Value::as_str);
        let kind = value.get("kind").and_then(Value::as_str);
        match (api_version, kind) {
            (Some(a), Some(k)) => PolicyKind::from_type_meta(a, k),
            _ => None,
        }
        .ok_or_else(|| CoreError::UnknownKind {
            api_version: api_version.map(str::to_string),
            kind: kind.map(str::to_string),
            expected: PolicyKind::expected_list(),
        })
    }

    /// Decodes a document into its typed model, dispatching on `apiVersion`/`kind`.
    ///
    /// Nulls should already be pruned ([`crate::document::prune_nulls`]);
    /// unknown fields are rejected.
    pub fn from_value(value: Value) -> Result<Policy, CoreError> {
        let kind = Self::kind_of(&value)?;
        Self::from_value_as(kind, value)
    }

    /// The engine enforcing this policy.
    pub fn engine(&self) -> Engine {
        self.kind().engine()
    }

    /// `metadata.name`, when set.
    pub fn name(&self) -> Option<&str> {
        self.metadata().name.as_deref()
    }

    /// `metadata.namespace`, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    /// The canonical JSON form: model field order, maps sorted, nulls dropped.
    pub fn to_canonical_json(&self) -> Result<String, CoreError> {
        let v = self.to_value()?;
        serde_json::to_string_pretty(&v).map_err(|e| CoreError::Serialize(e.to_string()))
    }

    /// The canonical YAML form (one document, no `---`): model field order,
    /// maps sorted, nulls dropped, strings quoted only where YAML needs it.
    pub fn to_canonical_yaml(&self) -> Result<String, CoreError> {
        let v = self.to_value()?;
        crate::document::to_yaml(&v)
    }
}
