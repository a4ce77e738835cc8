//! The five policy engines and the policy kinds kubescribe models.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A runtime-security or network-policy engine.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// KubeArmor (LSM-based process/file/network/capability enforcement).
    #[serde(rename = "kubearmor")]
    KubeArmor,
    /// Tetragon (eBPF tracing policies).
    Tetragon,
    /// Cilium network policies.
    Cilium,
    /// Kubernetes NetworkPolicy (`networking.k8s.io/v1`).
    Kubernetes,
    /// Calico network policies (`projectcalico.org/v3`).
    Calico,
}

impl Engine {
    /// All engines, in a fixed order.
    pub const ALL: [Engine; 5] = [
        Engine::KubeArmor,
        Engine::Tetragon,
        Engine::Cilium,
        Engine::Kubernetes,
        Engine::Calico,
    ];

    /// The engine's short name as used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Engine::KubeArmor => "kubearmor",
            Engine::Tetragon => "tetragon",
            Engine::Cilium => "cilium",
            Engine::Kubernetes => "kubernetes",
            Engine::Calico => "calico",
        }
    }

    /// The kinds this engine's policies can have.
    pub fn kinds(self) -> impl Iterator<Item = PolicyKind> {
        PolicyKind::ALL
            .iter()
            .copied()
            .filter(move |k| k.engine() == self)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "kubearmor" | "ka" => Ok(Engine::KubeArmor),
            "tetragon" => Ok(Engine::Tetragon),
            "cilium" => Ok(Engine::Cilium),
            "kubernetes" | "k8s" | "k8s-networkpolicy" | "networkpolicy" => Ok(Engine::Kubernetes),
            "calico" => Ok(Engine::Calico),
            other => Err(format!(
                "unknown engine {other:?}; expected one of kubearmor, tetragon, cilium, kubernetes, calico"
            )),
        }
    }
}

macro_rules! policy_kinds {
    ($( $variant:ident => ($engine:ident, $api:literal, $kind:literal, $namespaced:literal) ),* $(,)?) => {
        /// A policy kind: one `apiVersion` + `kind` pair kubescribe models.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PolicyKind {
            $(
                #[doc = concat!("`", $api, "` `", $kind, "`")]
                $variant,
            )*
        }

        impl PolicyKind {
            /// Every modelled kind.
            pub const ALL: &'static [PolicyKind] = &[$(PolicyKind::$variant),*];

            /// The kind's `apiVersion`.
            pub fn api_version(self) -> &'static str {
                match self { $(PolicyKind::$variant => $api),* }
            }

            /// The kind's `kind`.
            pub fn kind(self) -> &'static str {
                match self { $(PolicyKind::$variant => $kind),* }
            }

            /// The engine enforcing this kind.
            pub fn engine(self) -> Engine {
                match self { $(PolicyKind::$variant => Engine::$engine),* }
            }

            /// Whether objects of this kind live in a namespace.
            pub fn namespaced(self) -> bool {
                match self { $(PolicyKind::$variant => $namespaced),* }
            }
        }
    };
}

policy_kinds! {
    KubeArmorPolicy => (KubeArmor, "security.kubearmor.com/v1", "KubeArmorPolicy", true),
    KubeArmorHostPolicy => (KubeArmor, "security.kubearmor.com/v1", "KubeArmorHostPolicy", false),
    KubeArmorClusterPolicy => (KubeArmor, "security.kubearmor.com/v1", "KubeArmorClusterPolicy", false),
    KubeArmorNetworkPolicy => (KubeArmor, "security.kubearmor.com/v1", "KubeArmorNetworkPolicy", true),
    TracingPolicy => (Tetragon, "cilium.io/v1alpha1", "TracingPolicy", false),
    TracingPolicyNamespaced => (Tetragon, "cilium.io/v1alpha1", "TracingPolicyNamespaced", true),
    CiliumNetworkPolicy => (Cilium, "cilium.io/v2", "CiliumNetworkPolicy", true),
    CiliumClusterwideNetworkPolicy => (Cilium, "cilium.io/v2", "CiliumClusterwideNetworkPolicy", false),
    NetworkPolicy => (Kubernetes, "networking.k8s.io/v1", "NetworkPolicy", true),
    CalicoNetworkPolicy => (Calico, "projectcalico.org/v3", "NetworkPolicy", true),
    CalicoGlobalNetworkPolicy => (Calico, "projectcalico.org/v3", "GlobalNetworkPolicy", false),
    CalicoStagedNetworkPolicy => (Calico, "projectcalico.org/v3", "StagedNetworkPolicy", true),
    CalicoStagedGlobalNetworkPolicy => (Calico, "projectcalico.org/v3", "StagedGlobalNetworkPolicy", false),
    CalicoStagedKubernetesNetworkPolicy => (Calico, "projectcalico.org/v3", "StagedKubernetesNetworkPolicy", true),
}

impl PolicyKind {
    /// The kind named by a document's `apiVersion` and `kind`.
    pub fn from_type_meta(api_version: &str, kind: &str) -> Option<PolicyKind> {
        PolicyKind::ALL
            .iter()
            .copied()
            .find(|k| k.api_version() == api_version && k.kind() == kind)
    }

    /// `apiVersion/kind` pairs, for error messages.
    pub fn expected_list() -> String {
        PolicyKind::ALL
            .iter()
            .map(|k| format!("{}/{}", k.api_version(), k.kind()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind(), self.api_version())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_grouped_by_engine() {
        for (i, a) in PolicyKind::ALL.iter().enumerate() {
            for b in &PolicyKind::ALL[i + 1..] {
                assert!((a.api_version(), a.kind()) != (b.api_version(), b.kind()));
            }
        }
        for e in Engine::ALL {
            assert!(e.kinds().count() >= 1, "{e}");
            assert_eq!(e.name().parse::<Engine>().unwrap(), e);
        }
        assert_eq!(
            PolicyKind::from_type_meta("projectcalico.org/v3", "NetworkPolicy"),
            Some(PolicyKind::CalicoNetworkPolicy)
        );
        assert_eq!(PolicyKind::from_type_meta("v1", "Pod"), None);
        assert!("nope".parse::<Engine>().is_err());
    }
}
