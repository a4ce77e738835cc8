//! The engine-agnostic security intent.
//!
//! An [`Intent`] says *who* (scope), *what kind of behaviour* (domain),
//! *what to do* (action, direction) and *which resources*. The synthesizer
//! and the model prompts turn it into a policy for a concrete engine; its
//! JSON Schema (`kubescribe schema intent`) is what an LLM-based intent parser
//! is constrained to.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;

/// A workload a pod name resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedPod {
    /// The workload's kind (`Pod`, `Deployment`, `StatefulSet`, …).
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The labels of its pods.
    pub labels: BTreeMap<String, String>,
}

/// A security intent, independent of any engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Intent {
    /// Target engine; when absent, the engine is chosen from the domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// Which workloads the policy applies to.
    pub scope: Scope,
    /// The kind of behaviour the policy governs.
    pub domain: Domain,
    /// What happens to matching behaviour.
    pub action: Action,
    /// Traffic direction (network domain only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// The resources the intent names.
    #[serde(default)]
    pub resources: Resources,
    /// Free-text rationale, carried into the policy's message/annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

/// Which workloads an intent applies to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Scope {
    /// Namespace of the workloads; absent means cluster-wide where the engine allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"), length(max = 63))]
    pub namespace: Option<String>,
    /// Label equality selector (`app: nginx`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Label selector expression (`app in (a, b), tier != db`), in addition to `labels`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Pod names, resolved to labels through the event store or cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pod_names: Vec<String>,
}

/// The behaviour domain of an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// File access (read/write/open).
    File,
    /// Process execution.
    Process,
    /// Network traffic.
    Network,
    /// System calls.
    Syscall,
    /// Linux capabilities.
    Capability,
}

/// What happens to behaviour matching the intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Permit only the named behaviour (allow-list); everything else is denied.
    Allow,
    /// Record the behaviour without blocking it.
    Audit,
    /// Block the named behaviour.
    Block,
}

/// Traffic direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic into the selected workloads.
    Ingress,
    /// Traffic out of the selected workloads.
    Egress,
    /// Both directions.
    Both,
}

/// Transport protocol.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
    /// ICMP.
    Icmp,
}

/// A port or port range with its protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortSpec {
    /// Port number.
    #[schemars(range(min = 1, max = 65535))]
    pub port: u16,
    /// Last port of a range (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub end_port: Option<u16>,
    /// Protocol (default TCP).
    #[serde(default = "default_protocol")]
    pub protocol: Protocol,
}

fn default_protocol() -> Protocol {
    Protocol::Tcp
}

/// A peer workload selected by namespace and labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PeerSelector {
    /// Peer namespace; absent means the policy's own namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Peer labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Resources an intent names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// Absolute file paths (no trailing `/`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^/.*[^/]$")))]
    pub paths: Vec<String>,
    /// Absolute directories (with trailing `/`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^/(.*/)?$")))]
    pub dirs: Vec<String>,
    /// Whether directory rules cover sub-directories.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recursive: bool,
    /// Whether file access is limited to reading.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// Executables by absolute path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<String>,
    /// Ports with protocols.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortSpec>,
    /// CIDR blocks (`10.0.0.0/8`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<String>,
    /// Peer workloads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<PeerSelector>,
    /// DNS names (`api.example.com`, `*.example.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fqdns: Vec<String>,
    /// System call names (`ptrace`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub syscalls: Vec<String>,
    /// Linux capability names (`net_raw`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
}

/// The JSON Schema of [`Intent`].
pub fn intent_schema() -> serde_json::Value {
    schemars::schema_for!(Intent).to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_round_trips_and_has_a_schema() {
        let json = serde_json::json!({
            "engine": "kubearmor",
            "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
            "domain": "file",
            "action": "allow",
            "resources": {"dirs": ["/var/www/"], "recursive": true, "readOnly": true,
                          "binaries": ["/usr/sbin/nginx"]},
            "rationale": "only serve static content"
        });
        let intent: Intent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(intent.engine, Some(Engine::KubeArmor));
        assert_eq!(serde_json::to_value(&intent).unwrap(), json);
        let schema = intent_schema();
        assert_eq!(schema["title"], "Intent");
        assert!(
            schema["required"]
                .as_array()
                .unwrap()
                .contains(&"scope".into())
        );
        let bad = serde_json::json!({"scope": {}, "domain": "file", "action": "allow", "oops": 1});
        assert!(serde_json::from_value::<Intent>(bad).is_err());
    }
}
