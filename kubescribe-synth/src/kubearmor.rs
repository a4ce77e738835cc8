//! KubeArmor: `KubeArmorPolicy` in the intent's namespace selecting its
//! labels; `KubeArmorClusterPolicy` for `scope.clusterWide`.
//!
//! | intent | policy |
//! |---|---|
//! | scope labels / `allPods` | `selector.matchLabels` / `selector.matchLabels: {}` (a policy's identities are its namespace plus its labels, so an empty set selects every pod of the namespace) |
//! | `clusterWide` | `KubeArmorClusterPolicy`; labels as `selector.matchExpressions` (`key: label`, `In`, `k=v`), one per label; none: every pod |
//! | file paths / dirs | `file.matchPaths` / `file.matchDirectories` (`readOnly`, `recursive`, `ownerOnly`) |
//! | sources | `fromSource: [{path}]` on every rule |
//! | binaries (file domain, allow) | also `process.matchPaths`, so the allowed program can run |
//! | process binaries and paths / dirs | `process.matchPaths` / `process.matchDirectories` |
//! | `all` (file, process) | `matchDirectories: [{dir: /, recursive: true}]`: every file / executable |
//! | network protocols | `network.matchProtocols` (ports, peers, CIDRs, FQDNs, entities: unsupported) |
//! | syscalls | `syscalls.matchSyscalls` |
//! | capabilities | `capabilities.matchCapabilities` |
//! | action allow / audit / block | `action: Allow / Audit / Block` |
//! | `deny` part of an allow intent | the same rules with their own `action: Block` |

use serde_json::{Value, json};

use super::{SynthError, dedup_stable, metadata, scope_labels};
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Domain, Intent, Protocol, Resources};

const E: Engine = Engine::KubeArmor;

/// Appends `items` to the array at `spec[section][key]`, each once.
fn push(spec: &mut Value, section: &str, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        return;
    }
    if spec.get(section).is_none() {
        spec[section] = json!({});
    }
    let list = &mut spec[section][key];
    if !list.is_array() {
        *list = json!([]);
    }
    if let Some(a) = list.as_array_mut() {
        a.extend(items);
        dedup_stable(a);
    }
}

/// Adds the rules for `r` to `spec`; `rule_action` is set on each rule
/// (the deny part of an allow intent), else the policy's action applies.
fn add_rules(
    spec: &mut Value,
    intent: &Intent,
    r: &Resources,
    rule_action: Option<&str>,
) -> Result<(), SynthError> {
    let sources: Vec<Value> = {
        let mut s: Vec<Value> = r.sources.iter().map(|p| json!({"path": p})).collect();
        dedup_stable(&mut s);
        s
    };
    // The options every rule of `r` carries.
    let decorate = |mut v: Value, file: bool| -> Value {
        if file && r.read_only {
            v["readOnly"] = json!(true);
        }
        if r.owner_only {
            v["ownerOnly"] = json!(true);
        }
        if !sources.is_empty() {
            v["fromSource"] = json!(sources);
        }
        if let Some(a) = rule_action {
            v["action"] = json!(a);
        }
        v
    };
    let dir = |d: &str, recursive: bool, file: bool| -> Value {
        let mut v = json!({"dir": d});
        if recursive {
            v["recursive"] = json!(true);
        }
        decorate(v, file)
    };
    let everything = || vec![dir("/", true, true)];
    match intent.domain {
        Domain::File => {
            let paths = r.paths.iter().map(|p| decorate(json!({"path": p}), true));
            push(spec, "file", "matchPaths", paths.collect());
            let dirs: Vec<Value> = if r.all {
                everything()
            } else {
                r.dirs.iter().map(|d| dir(d, r.recursive, true)).collect()
            };
            push(spec, "file", "matchDirectories", dirs);
            if intent.action == Action::Allow && rule_action.is_none() {
                let binaries = r.binaries.iter().map(|b| json!({"path": b})).collect();
                push(spec, "process", "matchPaths", binaries);
            }
        }
        Domain::Process => {
            let paths = r
                .binaries
                .iter()
                .chain(&r.paths)
                .map(|p| decorate(json!({"path": p}), false));
            push(spec, "process", "matchPaths", paths.collect());
            let dirs: Vec<Value> = if r.all {
                vec![dir("/", true, false)]
            } else {
                r.dirs.iter().map(|d| dir(d, r.recursive, false)).collect()
            };
            push(spec, "process", "matchDirectories", dirs);
        }
        Domain::Network => {
            let mut protos: Vec<&str> = r
                .protocols
                .iter()
                .map(|p| match p {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                    Protocol::Sctp => "sctp",
                    Protocol::Icmp => "icmp",
                })
                .collect();
            dedup_stable(&mut protos);
            let rules = protos
                .iter()
                .map(|p| decorate(json!({"protocol": p}), false));
            push(spec, "network", "matchProtocols", rules.collect());
        }
        Domain::Syscall => {
            let mut names = r.syscalls.clone();
            dedup_stable(&mut names);
            push(
                spec,
                "syscalls",
                "matchSyscalls",
                vec![decorate(json!({"syscall": names}), false)],
            );
        }
        Domain::Capability => {
            let mut caps: Vec<Value> = r
                .capabilities
                .iter()
                .map(|c| {
                    decorate(
                        json!({"capability": c.to_lowercase().trim_start_matches("cap_")}),
                        false,
                    )
                })
                .collect();
            dedup_stable(&mut caps);
            push(spec, "capabilities", "matchCapabilities", caps);
        }
    }
    Ok(())
}

pub(super) fn build(intent: &Intent) -> Result<Value, SynthError> {
    let labels = scope_labels(intent, E)?;
    let cluster = intent.scope.cluster_wide;
    if intent.scope.namespace.is_none() && !cluster {
        return Err(SynthError::Incomplete(
            "a KubeArmorPolicy needs a namespace in the scope (or say cluster-wide)".into(),
        ));
    }
    let selector = if cluster {
        let exprs: Vec<Value> = labels
            .iter()
            .map(|(k, v)| json!({"key": "label", "operator": "In", "values": [format!("{k}={v}")]}))
            .collect();
        if exprs.is_empty() {
            json!({})
        } else {
            json!({"matchExpressions": exprs})
        }
    } else {
        json!({"matchLabels": labels})
    };
    let mut spec = json!({
        "selector": selector,
        "action": match intent.action { Action::Allow => "Allow", Action::Audit => "Audit", Action::Block => "Block" },
        "severity": if intent.action == Action::Allow { 1 } else { 5 },
        "tags": ["kubescribe"],
        "message": intent.rationale.clone().unwrap_or_else(|| format!("kubescribe: {:?} {:?}", intent.action, intent.domain).to_lowercase()),
    });
    add_rules(&mut spec, intent, &intent.resources, None)?;
    if let Some(deny) = &intent.deny {
        add_rules(&mut spec, intent, deny, Some("Block"))?;
    }
    Ok(json!({
        "apiVersion": "security.kubearmor.com/v1",
        "kind": if cluster { "KubeArmorClusterPolicy" } else { "KubeArmorPolicy" },
        "metadata": metadata(intent, E, !cluster),
        "spec": spec,
    }))
}
