//! An [`AllowList`] written as each engine's policy.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use kubescribe_core::Policy;
use kubescribe_core::engine::Engine;

use super::{AllowList, NetRule, Peer, WorkloadId};
use crate::DiscoverError;

/// Policy names, unique per namespace.
#[derive(Default)]
pub(super) struct Names {
    used: BTreeSet<(String, String)>,
}

impl Names {
    pub(super) fn name_for(&mut self, id: &WorkloadId) -> String {
        let slug: String = id
            .name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let slug = slug.trim_matches('-');
        let slug = if slug.is_empty() { "workload" } else { slug };
        let base = format!("ks-discover-{slug}");
        let mut name = base.clone();
        let mut n = 2;
        while !self.used.insert((id.namespace.clone(), name.clone())) {
            name = format!("{base}-{n}");
            n += 1;
        }
        name
    }
}

fn metadata(id: &WorkloadId, name: &str) -> Value {
    json!({
        "name": name,
        "namespace": id.namespace,
        "labels": {
            "app.kubernetes.io/managed-by": "kubescribe",
            "kubescribe.io/discovered": "true",
        },
        "annotations": {"kubescribe.io/workload": id.display()},
    })
}

fn to_policy(v: Value) -> Result<Policy, DiscoverError> {
    let kind = v["kind"].as_str().unwrap_or("").to_string();
    Policy::from_value(v).map_err(|e| DiscoverError::Model {
        kind,
        message: e.to_string(),
    })
}

/// The policy of `engine` for one workload; `None` when the allow-list has
/// nothing the engine governs.
pub(super) fn render(
    engine: Engine,
    id: &WorkloadId,
    name: &str,
    a: &AllowList,
    notes: &mut Vec<String>,
) -> Result<Option<Policy>, DiscoverError> {
    let v = match engine {
        Engine::KubeArmor => kubearmor(id, name, a, notes),
        Engine::Tetragon => tetragon(id, name, a),
        Engine::Cilium => cilium(id, name, a, notes),
        Engine::Kubernetes => kubernetes(id, name, a, notes),
        Engine::Calico => calico(id, name, a, notes),
    };
    v.map(to_policy).transpose()
}

fn non_empty(v: &Value) -> bool {
    v.as_object().is_some_and(|o| !o.is_empty())
}

/// The capabilities KubeArmor's CRD accepts (its `capability` pattern).
const KUBEARMOR_CAPABILITIES: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
];

fn kubearmor(id: &WorkloadId, name: &str, a: &AllowList, notes: &mut Vec<String>) -> Option<Value> {
    let mut spec = json!({
        "selector": {"matchLabels": id.labels},
        "action": "Allow",
    });
    let mut process = json!({});
    let mut paths: Vec<Value> = a
        .processes
        .iter()
        .filter(|r| !r.dir)
        .map(|r| json!({"path": r.path}))
        .collect();
    paths.extend(a.exec_names.iter().map(|n| json!({"execname": n})));
    let dirs: Vec<Value> = a
        .processes
        .iter()
        .filter(|r| r.dir)
        .map(|r| json!({"dir": r.path, "recursive": true}))
        .collect();
    if !paths.is_empty() {
        process["matchPaths"] = json!(paths);
    }
    if !dirs.is_empty() {
        process["matchDirectories"] = json!(dirs);
    }
    if non_empty(&process) {
        spec["process"] = process;
    }
    let mut file = json!({});
    let decorate = |mut v: Value, ro: bool| {
        if ro {
            v["readOnly"] = json!(true);
        }
        v
    };
    let fpaths: Vec<Value> = a
        .files
        .iter()
        .filter(|f| !f.rule.dir)
        .map(|f| decorate(json!({"path": f.rule.path}), f.read_only))
        .collect();
    let fdirs: Vec<Value> = a
        .files
        .iter()
        .filter(|f| f.rule.dir)
        .map(|f| decorate(json!({"dir": f.rule.path, "recursive": true}), f.read_only))
        .collect();
    if !fpaths.is_empty() {
        file["matchPaths"] = json!(fpaths);
    }
    if !fdirs.is_empty() {
        file["matchDirectories"] = json!(fdirs);
    }
    if non_empty(&file) {
        spec["file"] = file;
    }
    if !a.protocols.is_empty() {
        let p: Vec<Value> = a.protocols.iter().map(|p| json!({"protocol": p})).collect();
        spec["network"] = json!({"matchProtocols": p});
    }
    // A capability KubeArmor cannot name would be denied by an allow-list
    // of the others: then no capability rule at all (noted).
    let unnamed: Vec<&String> = a
        .capabilities
        .iter()
        .filter(|c| !KUBEARMOR_CAPABILITIES.contains(&c.as_str()))
        .collect();
    if !unnamed.is_empty() {
        notes.push(format!(
            "{}: kubearmor: capabilities left unrestricted: it cannot name {}",
            id.display(),
            unnamed
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if !a.capabilities.is_empty() {
        let c: Vec<Value> = a
            .capabilities
            .iter()
            .map(|c| json!({"capability": c}))
            .collect();
        spec["capabilities"] = json!({"matchCapabilities": c});
    }
    let has_rules = ["process", "file", "network", "capabilities"]
        .iter()
        .any(|k| spec.get(*k).is_some());
    has_rules.then(|| {
        json!({
            "apiVersion": "security.kubearmor.com/v1",
            "kind": "KubeArmorPolicy",
            "metadata": metadata(id, name),
            "spec": spec,
        })
    })
}

fn tetragon(id: &WorkloadId, name: &str, a: &AllowList) -> Option<Value> {
    let exact: Vec<&str> = a
        .processes
        .iter()
        .filter(|r| !r.dir)
        .map(|r| r.path.as_str())
        .collect();
    let dirs: Vec<&str> = a
        .processes
        .iter()
        .filter(|r| r.dir)
        .map(|r| r.path.as_str())
        .collect();
    let names: Vec<String> = a.exec_names.iter().map(|n| format!("/{n}")).collect();
    if exact.is_empty() && dirs.is_empty() && names.is_empty() {
        return None;
    }
    // matchArgs entries AND: an exec is killed when its binary is none of
    // the observed ones, under none of the directories, and ends in none of
    // the names known without a path.
    let mut args = Vec::new();
    if !exact.is_empty() {
        args.push(json!({"index": 0, "operator": "NotEqual", "values": exact}));
    }
    if !dirs.is_empty() {
        args.push(json!({"index": 0, "operator": "NotPrefix", "values": dirs}));
    }
    if !names.is_empty() {
        args.push(json!({"index": 0, "operator": "NotPostfix", "values": names}));
    }
    Some(json!({
        "apiVersion": "cilium.io/v1alpha1",
        "kind": "TracingPolicyNamespaced",
        "metadata": metadata(id, name),
        "spec": {
            "podSelector": {"matchLabels": id.labels},
            "kprobes": [{
                "call": "security_bprm_check",
                "syscall": false,
                "args": [{"index": 0, "type": "linux_binprm"}],
                "selectors": [{"matchArgs": args, "matchActions": [{"action": "Sigkill"}]}],
            }],
        },
    }))
}

/// Rules grouped by peer: the ports (by protocol), ICMP types, and whether
/// some flow to it had no port or protocol a rule can name.
#[derive(Default)]
struct PeerPorts {
    ports: BTreeMap<String, BTreeSet<u16>>,
    icmp: BTreeSet<(String, u16)>,
    any: bool,
}

fn by_peer(rules: &BTreeSet<NetRule>) -> BTreeMap<&Peer, PeerPorts> {
    let mut out: BTreeMap<&Peer, PeerPorts> = BTreeMap::new();
    for r in rules {
        let e = out.entry(&r.peer).or_default();
        match (r.protocol.as_deref(), r.port) {
            (Some(p @ ("ICMP" | "ICMPv6")), Some(t)) => {
                e.icmp.insert((p.to_string(), t));
            }
            (Some(p @ ("TCP" | "UDP" | "SCTP")), Some(port)) if port > 0 => {
                e.ports.entry(p.to_string()).or_default().insert(port);
            }
            _ => e.any = true,
        }
    }
    out
}

fn cilium_peer(own_ns: &str, peer: &Peer, egress: bool) -> Option<Value> {
    let (ep, ent, cidr) = if egress {
        ("toEndpoints", "toEntities", "toCIDR")
    } else {
        ("fromEndpoints", "fromEntities", "fromCIDR")
    };
    Some(match peer {
        Peer::Pods {
            namespace, labels, ..
        } => {
            let mut l: BTreeMap<String, String> = labels.clone();
            if namespace != own_ns {
                l.insert("k8s:io.kubernetes.pod.namespace".into(), namespace.clone());
            }
            json!({ep: [{"matchLabels": l}]})
        }
        Peer::Entity { name, .. } => json!({ent: [name]}),
        Peer::External { cidr: c, fqdn: f } => match (egress, f, c) {
            (true, Some(f), _) => json!({"toFQDNs": [{"matchName": f}]}),
            (_, _, Some(c)) => json!({cidr: [c]}),
            _ => return None,
        },
    })
}

fn cilium(id: &WorkloadId, name: &str, a: &AllowList, notes: &mut Vec<String>) -> Option<Value> {
    let mut spec = json!({"endpointSelector": {"matchLabels": id.labels}});
    for (key, rules, egress) in [("ingress", &a.ingress, false), ("egress", &a.egress, true)] {
        let mut out = Vec::new();
        for (peer, pp) in by_peer(rules) {
            let Some(base) = cilium_peer(&id.namespace, peer, egress) else {
                notes.push(format!(
                    "{}: cilium: {key} peer {} has no label or address a rule can name; left out",
                    id.display(),
                    peer.describe()
                ));
                continue;
            };
            if pp.any {
                out.push(base.clone());
            }
            if !pp.ports.is_empty() {
                let ports: Vec<Value> = pp
                    .ports
                    .iter()
                    .flat_map(|(proto, ports)| {
                        ports
                            .iter()
                            .map(move |p| json!({"port": p.to_string(), "protocol": proto}))
                    })
                    .collect();
                let mut r = base.clone();
                r["toPorts"] = json!([{"ports": ports}]);
                out.push(r);
            }
            if !pp.icmp.is_empty() {
                let fields: Vec<Value> = pp
                    .icmp
                    .iter()
                    .map(|(p, t)| {
                        json!({"family": if p == "ICMPv6" {"IPv6"} else {"IPv4"}, "type": t})
                    })
                    .collect();
                let mut r = base;
                r["icmps"] = json!([{"fields": fields}]);
                out.push(r);
            }
        }
        // One entity seen at several addresses: one rule.
        let mut unique: Vec<Value> = Vec::new();
        for r in out {
            if !unique.contains(&r) {
                unique.push(r);
            }
        }
        if !unique.is_empty() {
            spec[key] = json!(unique);
        }
    }
    (spec.get("ingress").is_some() || spec.get("egress").is_some()).then(|| {
        json!({
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumNetworkPolicy",
            "metadata": metadata(id, name),
            "spec": spec,
        })
    })
}

fn k8s_peer(own_ns: &str, peer: &Peer) -> Result<Value, &'static str> {
    match peer {
        Peer::Pods {
            namespace, labels, ..
        } => {
            let mut v = json!({"podSelector": {"matchLabels": labels}});
            if namespace != own_ns {
                v["namespaceSelector"] =
                    json!({"matchLabels": {"kubernetes.io/metadata.name": namespace}});
            }
            Ok(v)
        }
        Peer::Entity { cidr: Some(c), .. } | Peer::External { cidr: Some(c), .. } => {
            Ok(json!({"ipBlock": {"cidr": c}}))
        }
        Peer::Entity { .. } => Err("a Cilium identity seen at no address"),
        Peer::External { .. } => Err("a DNS name without an address"),
    }
}

fn kubernetes(
    id: &WorkloadId,
    name: &str,
    a: &AllowList,
    notes: &mut Vec<String>,
) -> Option<Value> {
    let mut spec = json!({"podSelector": {"matchLabels": id.labels}});
    let mut types = Vec::new();
    for (key, peer_key, rules, ty) in [
        ("ingress", "from", &a.ingress, "Ingress"),
        ("egress", "to", &a.egress, "Egress"),
    ] {
        let mut out = Vec::new();
        for (peer, pp) in by_peer(rules) {
            let p = match k8s_peer(&id.namespace, peer) {
                Ok(p) => p,
                Err(why) => {
                    notes.push(format!(
                        "{}: kubernetes: {key} peer {} is {why}, which NetworkPolicy cannot name; left out",
                        id.display(),
                        peer.describe()
                    ));
                    continue;
                }
            };
            // ICMP has no port in NetworkPolicy: a rule without ports
            // (every port and protocol of that peer) is the only way to
            // allow it.
            if pp.any || !pp.icmp.is_empty() {
                out.push(json!({peer_key: [p.clone()]}));
            }
            if !pp.ports.is_empty() {
                let ports: Vec<Value> = pp
                    .ports
                    .iter()
                    .flat_map(|(proto, ports)| {
                        ports
                            .iter()
                            .map(move |port| json!({"port": port, "protocol": proto}))
                    })
                    .collect();
                out.push(json!({peer_key: [p], "ports": ports}));
            }
        }
        if !out.is_empty() {
            spec[key] = json!(out);
            types.push(ty);
        }
    }
    if types.is_empty() {
        return None;
    }
    spec["policyTypes"] = json!(types);
    Some(json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(id, name),
        "spec": spec,
    }))
}

/// A Calico selector expression for equality labels.
fn calico_selector(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k} == '{v}'"))
        .collect::<Vec<_>>()
        .join(" && ")
}

fn calico_peer(own_ns: &str, peer: &Peer) -> Result<Value, &'static str> {
    match peer {
        Peer::Pods {
            namespace, labels, ..
        } => {
            let mut v = json!({"selector": calico_selector(labels)});
            if namespace != own_ns {
                v["namespaceSelector"] =
                    json!(format!("kubernetes.io/metadata.name == '{namespace}'"));
            }
            Ok(v)
        }
        Peer::Entity { cidr: Some(c), .. } | Peer::External { cidr: Some(c), .. } => {
            Ok(json!({"nets": [c]}))
        }
        Peer::Entity { .. } => Err("a Cilium identity seen at no address"),
        Peer::External { .. } => Err("a DNS name without an address"),
    }
}

fn calico(id: &WorkloadId, name: &str, a: &AllowList, notes: &mut Vec<String>) -> Option<Value> {
    let mut spec = json!({"selector": calico_selector(&id.labels)});
    let mut types = Vec::new();
    for (key, rules, ty, egress) in [
        ("ingress", &a.ingress, "Ingress", false),
        ("egress", &a.egress, "Egress", true),
    ] {
        let mut out = Vec::new();
        for (peer, pp) in by_peer(rules) {
            let p = match calico_peer(&id.namespace, peer) {
                Ok(p) => p,
                Err(why) => {
                    notes.push(format!(
                        "{}: calico: {key} peer {} is {why}, which Calico cannot name; left out",
                        id.display(),
                        peer.describe()
                    ));
                    continue;
                }
            };
            // The peer is the source of ingress and the destination of
            // egress; ports are always the destination's.
            let rule = |protocol: Option<&str>, ports: Option<Vec<u16>>| {
                let mut r = json!({"action": "Allow"});
                if let Some(proto) = protocol {
                    r["protocol"] = json!(proto);
                }
                let mut dest = if egress { p.clone() } else { json!({}) };
                if let Some(ports) = ports {
                    dest["ports"] = json!(ports);
                }
                if !egress {
                    r["source"] = p.clone();
                }
                if non_empty(&dest) {
                    r["destination"] = dest;
                }
                r
            };
            if pp.any {
                out.push(rule(None, None));
            }
            for (proto, ports) in &pp.ports {
                out.push(rule(Some(proto), Some(ports.iter().copied().collect())));
            }
            let icmp: BTreeSet<&str> = pp.icmp.iter().map(|(p, _)| p.as_str()).collect();
            for p in icmp {
                out.push(rule(Some(p), None));
            }
        }
        if !out.is_empty() {
            spec[key] = json!(out);
            types.push(ty);
        }
    }
    if types.is_empty() {
        return None;
    }
    spec["types"] = json!(types);
    Some(json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": metadata(id, name),
        "spec": spec,
    }))
}
