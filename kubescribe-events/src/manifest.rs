//! Kubernetes manifests to [`Workload`]s: Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, Pod and Service, and Namespace (kept for its
//! labels, which `namespaceSelector`s match: its `namespace` and `name` are
//! both the namespace's name, and `labels` gains Kubernetes' automatic
//! `kubernetes.io/metadata.name` label when the manifest lacks it), and
//! `Endpoints` and `EndpointSlice` (kept for their addresses and ports: the
//! backends of a Service, a selector-less one's only record of them; an
//! `EndpointSlice` names its Service in the `kubernetes.io/service-name`
//! label).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Workload, WorkloadPort};

/// The kinds that become workloads.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "Pod",
    "Service",
    "Namespace",
    "Endpoints",
    "EndpointSlice",
];

/// The label of an `EndpointSlice` that names its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The label Kubernetes puts on every namespace: its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

fn string_map(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>, String> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, val)| match val {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                Value::Bool(b) => Ok((k.clone(), b.to_string())),
                _ => Err(format!("{what}.{k} must be a string")),
            })
            .collect(),
        Some(_) => Err(format!("{what} must be a mapping")),
    }
}

fn port_number(v: &Value, what: &str) -> Result<u16, String> {
    v.as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{what} must be a port number (1-65535), found {v}"))
}

fn protocol(v: &Value) -> String {
    v.get("protocol")
        .and_then(Value::as_str)
        .unwrap_or("TCP")
        .to_string()
}

/// The workload a Kubernetes object describes; `Ok(None)` for other kinds,
/// `Err` for a workload with fields of the wrong type.
pub fn workload(doc: &Value) -> Result<Option<Workload>, String> {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    if !WORKLOAD_KINDS.contains(&kind) {
        return Ok(None);
    }
    let meta = doc.get("metadata").unwrap_or(&Value::Null);
    let name = meta
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{kind} without metadata.name"))?
        .to_string();
    if kind == "Namespace" {
        let mut labels = string_map(meta.get("labels"), "metadata.labels")?;
        labels
            .entry(NAMESPACE_NAME_LABEL.to_string())
            .or_insert_with(|| name.clone());
        return Ok(Some(Workload {
            kind: kind.to_string(),
            namespace: name.clone(),
            name,
            labels,
            pod_labels: BTreeMap::new(),
            selector: BTreeMap::new(),
            ports: Vec::new(),
            addresses: Vec::new(),
        }));
    }
    let namespace = meta
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    let labels = string_map(meta.get("labels"), "metadata.labels")?;
    let spec = doc.get("spec").unwrap_or(&Value::Null);
    let mut w = Workload {
        kind: kind.to_string(),
        namespace,
        name,
        labels,
        pod_labels: BTreeMap::new(),
        selector: BTreeMap::new(),
        ports: Vec::new(),
        addresses: Vec::new(),
    };
    if kind == "Endpoints" || kind == "EndpointSlice" {
        endpoints(kind, doc, &mut w)?;
        return Ok(Some(w));
    }
    if kind == "Service" {
        w.selector = string_map(spec.get("selector"), "spec.selector")?;
        for (i, p) in spec
            .get("ports")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let port = port_number(
                p.get("port").unwrap_or(&Value::Null),
                &format!("spec.ports[{i}].port"),
            )?;
            w.ports.push(WorkloadPort {
                container: None,
                name: p.get("name").and_then(Value::as_str).map(str::to_string),
                port,
                target_port: match p.get("targetPort") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                },
                protocol: protocol(p),
            });
        }
        return Ok(Some(w));
    }
    let (pod_meta, pod_spec) = if kind == "Pod" {
        (meta, spec)
    } else {
        w.selector = string_map(
            spec.get("selector").and_then(|s| s.get("matchLabels")),
            "spec.selector.matchLabels",
        )?;
        let t = spec.get("template").unwrap_or(&Value::Null);
        (
            t.get("metadata").unwrap_or(&Value::Null),
            t.get("spec").unwrap_or(&Value::Null),
        )
    };
    w.pod_labels = string_map(pod_meta.get("labels"), "pod labels")?;
    for key in ["initContainers", "containers"] {
        let Some(containers) = pod_spec.get(key).and_then(Value::as_array) else {
            continue;
        };
        for (ci, c) in containers.iter().enumerate() {
            let cname = c.get("name").and_then(Value::as_str).map(str::to_string);
            for (pi, p) in c
                .get("ports")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let port = port_number(
                    p.get("containerPort").unwrap_or(&Value::Null),
                    &format!("{key}[{ci}].ports[{pi}].containerPort"),
                )?;
                w.ports.push(WorkloadPort {
                    container: cname.clone(),
                    name: p.get("name").and_then(Value::as_str).map(str::to_string),
                    port,
                    target_port: None,
                    protocol: protocol(p),
                });
            }
        }
    }
    Ok(Some(w))
}

fn array<'a>(v: Option<&'a Value>, what: &str) -> Result<&'a [Value], String> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(format!("{what} must be a list")),
    }
}

/// An `Endpoints`' `subsets[].addresses` and `.notReadyAddresses` (their
/// `ip`s) and `.ports`, or an `EndpointSlice`'s `endpoints[].addresses` and
/// `ports` (a port without a number, which stands for every port, is left
/// out). Addresses are kept once each, in the manifest's order.
fn endpoints(kind: &str, doc: &Value, w: &mut Workload) -> Result<(), String> {
    let add = |w: &mut Workload, ip: &str| {
        if !w.addresses.iter().any(|a| a == ip) {
            w.addresses.push(ip.to_string());
        }
    };
    let port_of = |p: &Value, what: &str, required: bool| -> Result<Option<WorkloadPort>, String> {
        let port = match p.get("port") {
            None | Some(Value::Null) if !required => return Ok(None),
            v => port_number(v.unwrap_or(&Value::Null), &format!("{what}.port"))?,
        };
        Ok(Some(WorkloadPort {
            container: None,
            name: p.get("name").and_then(Value::as_str).map(str::to_string),
            port,
            target_port: None,
            protocol: protocol(p),
        }))
    };
    if kind == "Endpoints" {
        for (si, subset) in array(doc.get("subsets"), "subsets")?.iter().enumerate() {
            for key in ["addresses", "notReadyAddresses"] {
                let what = format!("subsets[{si}].{key}");
                for (ai, a) in array(subset.get(key), &what)?.iter().enumerate() {
                    let ip = a
                        .get("ip")
                        .and_then(Value::as_str)
                        .ok_or_else(|| format!("{what}[{ai}].ip must be a string"))?;
                    add(w, ip);
                }
            }
            let what = format!("subsets[{si}].ports");
            for (pi, p) in array(subset.get("ports"), &what)?.iter().enumerate() {
                if let Some(port) = port_of(p, &format!("{what}[{pi}]"), true)? {
                    w.ports.push(port);
                }
            }
        }
        return Ok(());
    }
    for (ei, e) in array(doc.get("endpoints"), "endpoints")?.iter().enumerate() {
        let what = format!("endpoints[{ei}].addresses");
        for (ai, a) in array(e.get("addresses"), &what)?.iter().enumerate() {
            let ip = a
                .as_str()
                .ok_or_else(|| format!("{what}[{ai}] must be a string"))?;
            add(w, ip);
        }
    }
    for (pi, p) in array(doc.get("ports"), "ports")?.iter().enumerate() {
        if let Some(port) = port_of(p, &format!("ports[{pi}]"), false)? {
            w.ports.push(port);
        }
    }
    Ok(())
}
