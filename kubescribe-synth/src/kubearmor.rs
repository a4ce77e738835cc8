//! KubeArmor: `KubeArmorPolicy` in the intent's namespace, selecting its labels.
//!
//! | intent | policy |
//! |---|---|
//! | file paths / dirs | `file.matchPaths` / `file.matchDirectories` (`readOnly`, `recursive`) |
//! | binaries (file domain, allow) | also `process.matchPaths`, so the allowed program can run |
//! | process binaries / dirs | `process.matchPaths` / `process.matchDirectories` |
//! | network protocols | `network.matchProtocols` (ports, peers, CIDRs, FQDNs: unsupported) |
//! | syscalls | `syscalls.matchSyscalls` |
//! | capabilities | `capabilities.matchCapabilities` |
//! | action allow / audit / block | `action: Allow / Audit / Block` |

use serde_json::{Value, json};

use super::{SynthError, metadata, scope_labels};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Domain, Intent, Protocol};

const E: Engine = Engine::KubeArmor;

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    let labels = scope_labels(intent, E)?;
    if intent.scope.namespace.is_none() {
        return Err(SynthError::Incomplete(
            "a KubeArmorPolicy needs a namespace in the scope".into(),
        ));
    }
    let r = &intent.resources;
    let mut spec = json!({
        "selector": {"matchLabels": labels},
        "action": match intent.action { Action::Allow => "Allow", Action::Audit => "Audit", Action::Block => "Block" },
        "severity": if intent.action == Action::Allow { 1 } else { 5 },
        "tags": ["kubescribe"],
        "message": intent.rationale.clone().unwrap_or_else(|| format!("kubescribe: {:?} {:?}", intent.action, intent.domain).to_lowercase()),
    });
    let paths = |ro: bool| -> Vec<Value> {
        r.paths
            .iter()
            .map(|p| {
                if ro {
                    json!({"path": p, "readOnly": true})
                } else {
                    json!({"path": p})
                }
            })
            .collect()
    };
    let dirs = |ro: bool| -> Vec<Value> {
        r.dirs
            .iter()
            .map(|d| {
                let mut v = json!({"dir": d});
                if r.recursive {
                    v["recursive"] = json!(true);
                }
                if ro {
                    v["readOnly"] = json!(true);
                }
                v
            })
            .collect()
    };
    let binaries: Vec<Value> = r.binaries.iter().map(|b| json!({"path": b})).collect();
    match intent.domain {
        Domain::File => {
            if r.paths.is_empty() && r.dirs.is_empty() {
                return Err(SynthError::Incomplete(
                    "a file intent needs paths or directories".into(),
                ));
            }
            let mut file = json!({});
            if !r.paths.is_empty() {
                file["matchPaths"] = json!(paths(r.read_only));
            }
            if !r.dirs.is_empty() {
                file["matchDirectories"] = json!(dirs(r.read_only));
            }
            spec["file"] = file;
            if !binaries.is_empty() && intent.action == Action::Allow {
                spec["process"] = json!({"matchPaths": binaries});
            }
        }
        Domain::Process => {
            if r.binaries.is_empty() && r.dirs.is_empty() {
                return Err(SynthError::Incomplete(
                    "a process intent needs binaries or directories".into(),
                ));
            }
            let mut process = json!({});
            if !binaries.is_empty() {
                process["matchPaths"] = json!(binaries);
            }
            if !r.dirs.is_empty() {
                process["matchDirectories"] = json!(dirs(false));
            }
            spec["process"] = process;
        }
        Domain::Network => {
            for (what, present) in [
                ("ports", r.ports.iter().any(|p| p.port != 0)),
                ("peer selectors", !r.peers.is_empty()),
                ("CIDRs", !r.cidrs.is_empty()),
                ("FQDNs", !r.fqdns.is_empty()),
            ] {
                if present {
                    return Err(SynthError::Unsupported {
                        engine: E,
                        what: format!("network {what} (its network rules match protocols only)"),
                        hint: Some("use Cilium, Calico or a Kubernetes NetworkPolicy".into()),
                    });
                }
            }
            let mut protos: Vec<&str> = r
                .ports
                .iter()
                .map(|p| match p.protocol {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                    Protocol::Sctp => "sctp",
                    Protocol::Icmp => "icmp",
                })
                .collect();
            protos.dedup();
            if protos.is_empty() {
                return Err(SynthError::Incomplete(
                    "a KubeArmor network intent needs protocols".into(),
                ));
            }
            spec["network"] = json!({"matchProtocols": protos.iter().map(|p| json!({"protocol": p})).collect::<Vec<_>>()});
        }
        Domain::Syscall => {
            if r.syscalls.is_empty() {
                return Err(SynthError::Incomplete(
                    "a syscall intent needs syscall names".into(),
                ));
            }
            spec["syscalls"] = json!({"matchSyscalls": [{"syscall": r.syscalls}]});
        }
        Domain::Capability => {
            if r.capabilities.is_empty() {
                return Err(SynthError::Incomplete(
                    "a capability intent needs capability names".into(),
                ));
            }
            let caps: Vec<Value> = r
                .capabilities
                .iter()
                .map(|c| json!({"capability": c.to_lowercase().trim_start_matches("cap_")}))
                .collect();
            spec["capabilities"] = json!({"matchCapabilities": caps});
        }
    }
    Ok(json!({
        "apiVersion": "security.kubearmor.com/v1",
        "kind": "KubeArmorPolicy",
        "metadata": metadata(intent, E, true),
        "spec": spec,
    }))
}
