//! Layers 2 and 3 against a live cluster (any [`ClusterContext`]): the
//! resources a policy names exist, and the ports it names are served.
//!
//! * **Namespace** (layer 2): a namespaced policy's namespace must exist;
//!   the nearest existing one is suggested.
//! * **Selector** (layer 2): the policy's pod selector (`matchLabels`) must
//!   match some pod in its namespace; for the first label no pod carries, the
//!   nearest value (or key) seen on the namespace's pods is suggested, as the
//!   store-based check ([`crate::resources`]) does.
//! * **Peers** (layer 2): Kubernetes NetworkPolicy `from`/`to` pod selectors
//!   and Cilium `fromEndpoints`/`toEndpoints` must match some pod (in the
//!   policy's namespace, or in any namespace when a namespace selector is
//!   given and for Cilium's `io.kubernetes.pod.namespace` label, in that one).
//! * **Ports** (layer 3): each ingress port (NetworkPolicy `ingress[].ports`,
//!   Cilium `ingress[].toPorts[].ports`) must be served by a selected pod: a
//!   declared container port (number or name) or the target port of a
//!   Service selecting the pod. When the selected pods declare no ports at
//!   all, one warning says the ports could not be checked.
//!
//! Only `matchLabels` is compared; `matchExpressions` are not evaluated
//! (a selector with expressions is checked on its labels alone).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use kubescribe_core::Policy;
use kubescribe_core::PolicyKind;
use kubescribe_core::cluster::{ClusterContext, ClusterError, PodInfo, ServiceInfo, selects};
use kubescribe_core::document::escape_pointer_token;

use crate::diagnostic::{Diagnostic, Fix, Layer, Severity};
use crate::suggest;

const CILIUM_NS_LABEL: &str = "io.kubernetes.pod.namespace";

fn diag(layer: Layer, severity: Severity, pointer: &str, rule: &str, msg: String) -> Diagnostic {
    let mut d = Diagnostic::schema_error(pointer, rule, msg).origin("cluster");
    d.layer = layer;
    d.severity = severity;
    d
}

/// A Cilium label key without its source prefix (`k8s:app` → `app`).
fn plain_key(k: &str) -> &str {
    k.strip_prefix("k8s:")
        .or_else(|| k.strip_prefix("any:"))
        .unwrap_or(k)
}

/// A `matchLabels` object as plain labels; Cilium's namespace label is
/// returned apart.
fn labels_of(v: Option<&Value>) -> (BTreeMap<String, String>, Option<String>) {
    let mut ns = None;
    let mut out = BTreeMap::new();
    for (k, v) in v.and_then(Value::as_object).into_iter().flatten() {
        let Some(v) = v.as_str() else { continue };
        let k = plain_key(k);
        if k == CILIUM_NS_LABEL {
            ns = Some(v.to_string());
        } else {
            out.insert(k.to_string(), v.to_string());
        }
    }
    (out, ns)
}

/// Pods in one namespace (or all), fetched once per namespace.
struct Pods<'a> {
    cluster: &'a mut dyn ClusterContext,
    cache: BTreeMap<Option<String>, Vec<PodInfo>>,
    services: BTreeMap<Option<String>, Vec<ServiceInfo>>,
}

impl Pods<'_> {
    fn pods(&mut self, ns: Option<&str>) -> Result<&[PodInfo], ClusterError> {
        let key = ns.map(str::to_string);
        if !self.cache.contains_key(&key) {
            let pods = self.cluster.pods(ns)?;
            self.cache.insert(key.clone(), pods);
        }
        Ok(self.cache.get(&key).map(Vec::as_slice).unwrap_or(&[]))
    }

    fn services(&mut self, ns: Option<&str>) -> Result<&[ServiceInfo], ClusterError> {
        let key = ns.map(str::to_string);
        if !self.services.contains_key(&key) {
            let s = self.cluster.services(ns)?;
            self.services.insert(key.clone(), s);
        }
        Ok(self.services.get(&key).map(Vec::as_slice).unwrap_or(&[]))
    }
}

/// A diagnostic for a selector at `ptr` that matches none of `pods`, with the
/// nearest label value (or key) as the fix.
fn no_match(
    ptr: &str,
    what: &str,
    selector: &BTreeMap<String, String>,
    pods: &[PodInfo],
    ns: Option<&str>,
) -> Diagnostic {
    let where_ = ns.map_or("any namespace".to_string(), |n| format!("namespace {n}"));
    let mut d = diag(
        Layer::Resource,
        Severity::Error,
        ptr,
        "selector",
        format!(
            "{what} matches no pod in {where_} ({} pods there)",
            pods.len()
        ),
    );
    for (k, v) in selector {
        if pods.iter().any(|p| p.labels.get(k) == Some(v)) {
            continue;
        }
        let values: BTreeSet<&str> = pods
            .iter()
            .filter_map(|p| p.labels.get(k).map(String::as_str))
            .collect();
        let keys: BTreeSet<&str> = pods
            .iter()
            .flat_map(|p| p.labels.keys().map(String::as_str))
            .collect();
        let lp = format!("{ptr}/{}", escape_pointer_token(k));
        d.pointer = lp.clone();
        d.actual = Some(format!("{k}={v}"));
        d.expected = Some(if values.is_empty() {
            format!("a label key the pods carry: {}", join(&keys))
        } else {
            format!("one of the pods' values of `{k}`: {}", join(&values))
        });
        d.fix = if let Some(near) = suggest::nearest(v, values.iter().copied()) {
            Some(Fix {
                message: format!("use {k}={near}"),
                pointer: lp,
                replacement: Some(Value::from(near)),
            })
        } else {
            suggest::nearest(k, keys.iter().copied()).map(|near| Fix {
                message: format!("no pod has a `{k}` label; did you mean `{near}`?"),
                pointer: lp,
                replacement: None,
            })
        };
        break;
    }
    d
}

fn join(s: &BTreeSet<&str>) -> String {
    if s.is_empty() {
        return "(none)".into();
    }
    s.iter().copied().collect::<Vec<_>>().join(", ")
}

/// Where the policy's own pod selector is, and whether the kind is checked.
fn selector_pointer(kind: PolicyKind) -> Option<&'static str> {
    use PolicyKind::*;
    Some(match kind {
        KubeArmorPolicy => "/spec/selector/matchLabels",
        KubeArmorNetworkPolicy => "/spec/selector/matchLabels",
        TracingPolicyNamespaced => "/spec/podSelector/matchLabels",
        CiliumNetworkPolicy => "/spec/endpointSelector/matchLabels",
        NetworkPolicy => "/spec/podSelector/matchLabels",
        _ => return None,
    })
}

/// Whether `port` (a number or a name, as a policy gives it) is served by
/// one of `pods` (declared container port) or a Service selecting one.
fn served(port: &str, protocol: &str, pods: &[&PodInfo], services: &[ServiceInfo]) -> bool {
    let num: Option<i32> = port.parse().ok();
    let proto_ok = |p: &str| protocol.is_empty() || protocol.eq_ignore_ascii_case(p);
    let by_pod = pods.iter().any(|p| {
        p.ports.iter().any(|pp| {
            proto_ok(&pp.protocol)
                && match num {
                    Some(n) => pp.port == n,
                    None => pp.name.as_deref() == Some(port),
                }
        })
    });
    by_pod
        || services.iter().any(|s| {
            !s.selector.is_empty()
                && pods.iter().any(|p| selects(&s.selector, &p.labels))
                && s.ports
                    .iter()
                    .any(|sp| proto_ok(&sp.protocol) && sp.target_port.as_deref() == Some(port))
        })
}

/// Layer-2/3 diagnostics for one policy against a live cluster.
pub fn check(
    policy: &Policy,
    cluster: &mut dyn ClusterContext,
) -> Result<Vec<Diagnostic>, ClusterError> {
    let mut out = Vec::new();
    let Ok(value) = policy.to_value() else {
        return Ok(out);
    };
    let kind = policy.kind();
    let namespace = policy.namespace().map(str::to_string);
    if kind.namespaced() {
        let ns = namespace.as_deref().unwrap_or("default");
        let namespaces = cluster.namespaces()?;
        if !namespaces.iter().any(|n| n == ns) {
            let mut d = diag(
                Layer::Resource,
                Severity::Error,
                "/metadata/namespace",
                "namespace",
                format!("namespace {ns} does not exist in the cluster"),
            )
            .expected(format!(
                "one of {}",
                namespaces
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            d.fix = suggest::nearest(ns, namespaces.iter().map(String::as_str)).map(|n| Fix {
                message: format!("use namespace {n}"),
                pointer: "/metadata/namespace".into(),
                replacement: Some(Value::from(n)),
            });
            out.push(d);
            return Ok(out);
        }
    }
    let Some(sel_ptr) = selector_pointer(kind) else {
        return Ok(out);
    };
    let ns = namespace.as_deref().or(Some("default"));
    let mut pods = Pods {
        cluster,
        cache: BTreeMap::new(),
        services: BTreeMap::new(),
    };
    let (selector, _) = labels_of(value.pointer(sel_ptr));
    let in_ns = pods.pods(ns)?.to_vec();
    let selected: Vec<&PodInfo> = in_ns
        .iter()
        .filter(|p| selects(&selector, &p.labels))
        .collect();
    if selected.is_empty() {
        out.push(no_match(
            sel_ptr,
            "the policy's selector",
            &selector,
            &in_ns,
            ns,
        ));
        return Ok(out);
    }

    // Peers.
    let peer_lists: &[(&str, &str, &str)] = match kind {
        PolicyKind::NetworkPolicy => &[
            ("/spec/ingress", "from", "podSelector"),
            ("/spec/egress", "to", "podSelector"),
        ],
        PolicyKind::CiliumNetworkPolicy => &[
            ("/spec/ingress", "fromEndpoints", ""),
            ("/spec/egress", "toEndpoints", ""),
        ],
        _ => &[],
    };
    for (rules_ptr, list, sub) in peer_lists {
        for (i, rule) in value
            .pointer(rules_ptr)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, peer) in rule
                .get(*list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let (sel_value, ptr) = if sub.is_empty() {
                    (
                        peer.get("matchLabels"),
                        format!("{rules_ptr}/{i}/{list}/{j}/matchLabels"),
                    )
                } else {
                    (
                        peer.get(*sub).and_then(|s| s.get("matchLabels")),
                        format!("{rules_ptr}/{i}/{list}/{j}/{sub}/matchLabels"),
                    )
                };
                if sub.is_empty() && peer.get("matchLabels").is_none() {
                    continue;
                }
                if !sub.is_empty() && peer.get(*sub).is_none() {
                    continue;
                }
                let (peer_sel, cilium_ns) = labels_of(sel_value);
                let peer_ns = if let Some(n) = &cilium_ns {
                    Some(n.as_str())
                } else if peer.get("namespaceSelector").is_some() {
                    None
                } else {
                    ns
                };
                let candidates = pods.pods(peer_ns)?;
                if !candidates.iter().any(|p| selects(&peer_sel, &p.labels)) {
                    let c = candidates.to_vec();
                    out.push(no_match(&ptr, "this peer selector", &peer_sel, &c, peer_ns));
                }
            }
        }
    }

    // Ports served by the selected pods.
    let services = pods.services(ns)?.to_vec();
    let mut ports: Vec<(String, String, String)> = Vec::new(); // (pointer, port, protocol)
    let rules = value
        .pointer("/spec/ingress")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, rule) in rules.iter().enumerate() {
        match kind {
            PolicyKind::NetworkPolicy => {
                for (j, p) in rule
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if let Some(port) = p.get("port") {
                        let port = match port {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let proto = p
                            .get("protocol")
                            .and_then(Value::as_str)
                            .unwrap_or("TCP")
                            .to_string();
                        ports.push((format!("/spec/ingress/{i}/ports/{j}/port"), port, proto));
                    }
                }
            }
            PolicyKind::CiliumNetworkPolicy => {
                for (j, tp) in rule
                    .get("toPorts")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    for (k, p) in tp
                        .get("ports")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let Some(port) = p.get("port").and_then(Value::as_str) else {
                            continue;
                        };
                        if port == "0" {
                            continue; // all ports
                        }
                        let proto = p
                            .get("protocol")
                            .and_then(Value::as_str)
                            .filter(|p| !p.eq_ignore_ascii_case("ANY"))
                            .unwrap_or("")
                            .to_string();
                        ports.push((
                            format!("/spec/ingress/{i}/toPorts/{j}/ports/{k}/port"),
                            port.to_string(),
                            proto,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if !ports.is_empty() {
        let declared: BTreeSet<String> = selected
            .iter()
            .flat_map(|p| p.ports.iter())
            .flat_map(|p| [Some(p.port.to_string()), p.name.clone()])
            .flatten()
            .collect();
        if declared.is_empty() {
            out.push(diag(
                Layer::Property,
                Severity::Warning,
                &ports[0].0,
                "port",
                format!(
                    "the {} selected pods declare no container ports; the policy's ports were not checked",
                    selected.len()
                ),
            ));
        } else {
            for (ptr, port, proto) in &ports {
                if served(port, proto, &selected, &services) {
                    continue;
                }
                let mut d = diag(
                    Layer::Property,
                    Severity::Error,
                    ptr,
                    "port",
                    format!(
                        "no selected pod serves port {port}{}",
                        if proto.is_empty() {
                            String::new()
                        } else {
                            format!("/{proto}")
                        }
                    ),
                )
                .actual(port.clone())
                .expected(format!(
                    "a port the {} selected pods declare: {}",
                    selected.len(),
                    declared.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
                d.fix = suggest::nearest(port, declared.iter().map(String::as_str)).map(|n| Fix {
                    message: format!("the selected pods serve {n}"),
                    pointer: ptr.clone(),
                    replacement: Some(match n.parse::<i64>() {
                        Ok(num) if kind == PolicyKind::NetworkPolicy => Value::from(num),
                        _ => Value::from(n),
                    }),
                });
                out.push(d);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubescribe_core::cluster::{ClusterSnapshot, PodPort, ServicePort};
    use serde_json::json;

    fn pod(ns: &str, name: &str, labels: &[(&str, &str)], ports: &[(&str, i32)]) -> PodInfo {
        PodInfo {
            namespace: ns.into(),
            name: name.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ports: ports
                .iter()
                .map(|(n, p)| PodPort {
                    name: (!n.is_empty()).then(|| n.to_string()),
                    port: *p,
                    protocol: "TCP".into(),
                })
                .collect(),
            owner: None,
        }
    }

    fn cluster() -> ClusterSnapshot {
        ClusterSnapshot {
            namespaces: vec!["default".into(), "shop".into()],
            pods: vec![
                pod("shop", "web-1", &[("app", "web")], &[("http", 8080)]),
                pod("shop", "db-1", &[("app", "db")], &[("", 5432)]),
                pod("shop", "plain-1", &[("app", "plain")], &[]),
            ],
            services: vec![ServiceInfo {
                namespace: "shop".into(),
                name: "web".into(),
                selector: [("app".to_string(), "web".to_string())].into(),
                ports: vec![ServicePort {
                    name: None,
                    port: 80,
                    target_port: Some("9090".into()),
                    protocol: "TCP".into(),
                }],
            }],
            ..Default::default()
        }
    }

    fn netpol(ns: &str, app: &str, from: &str, port: Value) -> Policy {
        Policy::from_value(json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "p", "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}},
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": from}}}],
                                  "ports": [{"port": port, "protocol": "TCP"}]}]}
        }))
        .unwrap()
    }

    fn rules(d: &[Diagnostic]) -> Vec<(&str, &str, Severity)> {
        d.iter()
            .map(|d| (d.pointer.as_str(), d.rule.as_str(), d.severity))
            .collect()
    }

    #[test]
    fn good_policy_has_no_findings() {
        let mut c = cluster();
        for port in [json!(8080), json!("http"), json!(9090)] {
            let d = check(&netpol("shop", "web", "db", port), &mut c).unwrap();
            assert!(d.is_empty(), "{d:#?}");
        }
    }

    #[test]
    fn selector_matching_no_pod_is_an_error_with_the_nearest_label() {
        let d = check(&netpol("shop", "wbe", "db", json!(8080)), &mut cluster()).unwrap();
        assert_eq!(
            rules(&d),
            [(
                "/spec/podSelector/matchLabels/app",
                "selector",
                Severity::Error
            )]
        );
        assert_eq!(d[0].fix.as_ref().unwrap().replacement, Some(json!("web")));
        assert_eq!(d[0].layer, Layer::Resource);
    }

    #[test]
    fn missing_peer_and_unserved_port_are_flagged() {
        let d = check(&netpol("shop", "web", "dbb", json!(8081)), &mut cluster()).unwrap();
        assert_eq!(
            rules(&d),
            [
                (
                    "/spec/ingress/0/from/0/podSelector/matchLabels/app",
                    "selector",
                    Severity::Error
                ),
                ("/spec/ingress/0/ports/0/port", "port", Severity::Error),
            ]
        );
        assert_eq!(d[1].layer, Layer::Property);
        assert_eq!(d[1].fix.as_ref().unwrap().replacement, Some(json!(8080)));
    }

    #[test]
    fn pods_without_declared_ports_give_a_warning() {
        let d = check(&netpol("shop", "plain", "db", json!(80)), &mut cluster()).unwrap();
        assert_eq!(
            rules(&d),
            [("/spec/ingress/0/ports/0/port", "port", Severity::Warning)]
        );
    }

    #[test]
    fn missing_namespace_suggests_the_nearest() {
        let d = check(&netpol("shopp", "web", "db", json!(8080)), &mut cluster()).unwrap();
        assert_eq!(d[0].pointer, "/metadata/namespace");
        assert_eq!(d[0].fix.as_ref().unwrap().replacement, Some(json!("shop")));
    }

    #[test]
    fn cilium_endpoints_and_ports() {
        let p = Policy::from_value(json!({
            "apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "p", "namespace": "shop"},
            "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                     "ingress": [{"fromEndpoints": [{"matchLabels": {"k8s:app": "db"}}],
                                  "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]},
                                 {"fromEndpoints": [{"matchLabels": {"app": "db", "k8s:io.kubernetes.pod.namespace": "default"}}],
                                  "toPorts": [{"ports": [{"port": "7000", "protocol": "TCP"}]}]}]}
        }))
        .unwrap();
        let d = check(&p, &mut cluster()).unwrap();
        assert_eq!(
            rules(&d),
            [
                (
                    "/spec/ingress/1/fromEndpoints/0/matchLabels/app",
                    "selector",
                    Severity::Error
                ),
                (
                    "/spec/ingress/1/toPorts/0/ports/0/port",
                    "port",
                    Severity::Error
                ),
            ]
        );
    }
}
