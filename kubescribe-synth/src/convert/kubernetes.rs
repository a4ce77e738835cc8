//! Kubernetes NetworkPolicy ↔ IR.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use super::{
    Action, ConvertError, LabelSelector, Loss, NamespaceScope, NetPolicy, Peer, PortMatch, PortRef,
    Protocol, Requirement, Rule, Rules, Selector, Subject, loss, named_namespaces, nth_name,
};
use kubescribe_core::engine::PolicyKind;
use kubescribe_core::policy::kubernetes::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};

/// A Kubernetes label selector as an IR label selector.
pub(super) fn label_selector(
    ls: &meta::LabelSelector,
    pointer: &str,
) -> Result<LabelSelector, ConvertError> {
    let mut out = LabelSelector {
        match_labels: ls.match_labels.clone().unwrap_or_default(),
        match_expressions: Vec::new(),
    };
    for (i, r) in ls.match_expressions.iter().flatten().enumerate() {
        let values = r.values.iter().flatten().cloned().collect();
        out.match_expressions.push(match r.operator.as_str() {
            "In" => Requirement::In(r.key.clone(), values),
            "NotIn" => Requirement::NotIn(r.key.clone(), values),
            "Exists" => Requirement::Exists(r.key.clone()),
            "DoesNotExist" => Requirement::DoesNotExist(r.key.clone()),
            other => {
                return Err(ConvertError::Invalid {
                    pointer: format!("{pointer}/matchExpressions/{i}/operator"),
                    message: format!(
                        "unknown operator {other:?} (expected In, NotIn, Exists or DoesNotExist)"
                    ),
                });
            }
        });
    }
    Ok(out)
}

/// An IR label selector as Kubernetes JSON (`{}` when empty).
pub(super) fn label_selector_json(ls: &LabelSelector) -> Value {
    let mut v = json!({});
    if !ls.match_labels.is_empty() {
        v["matchLabels"] = json!(ls.match_labels);
    }
    if !ls.match_expressions.is_empty() {
        v["matchExpressions"] = Value::Array(
            ls.match_expressions
                .iter()
                .map(|r| match r {
                    Requirement::In(k, vs) => json!({"key": k, "operator": "In", "values": vs}),
                    Requirement::NotIn(k, vs) => {
                        json!({"key": k, "operator": "NotIn", "values": vs})
                    }
                    Requirement::Exists(k) => json!({"key": k, "operator": "Exists"}),
                    Requirement::DoesNotExist(k) => {
                        json!({"key": k, "operator": "DoesNotExist"})
                    }
                })
                .collect(),
        );
    }
    v
}

fn read_peer(p: &NetworkPolicyPeer, pointer: &str) -> Result<Peer, ConvertError> {
    if let Some(b) = &p.ip_block {
        return Ok(Peer::Cidr {
            cidr: b.cidr.clone(),
            except: b.except.clone().unwrap_or_default(),
            pointer: pointer.to_string(),
        });
    }
    let pods = match &p.pod_selector {
        Some(s) => label_selector(s, &format!("{pointer}/podSelector"))?.to_selector(),
        None => Selector::All,
    };
    let namespaces = match &p.namespace_selector {
        Some(s) => NamespaceScope::Selector(
            label_selector(s, &format!("{pointer}/namespaceSelector"))?.to_selector(),
        ),
        None => NamespaceScope::Policy,
    };
    Ok(Peer::Endpoints {
        pods,
        namespaces,
        service_accounts: Vec::new(),
        pointer: pointer.to_string(),
    })
}

pub(super) fn read_port(p: &NetworkPolicyPort, pointer: &str) -> Result<PortMatch, ConvertError> {
    let proto = p.protocol.as_deref().unwrap_or("TCP");
    let protocol = match proto {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        "SCTP" => Protocol::Sctp,
        other => {
            return Err(ConvertError::Invalid {
                pointer: format!("{pointer}/protocol"),
                message: format!("unknown protocol {other:?} (expected TCP, UDP or SCTP)"),
            });
        }
    };
    let port = match &p.port {
        None => None,
        Some(IntOrString::Int(n)) => match u16::try_from(*n) {
            Ok(0) | Err(_) => {
                return Err(ConvertError::Invalid {
                    pointer: format!("{pointer}/port"),
                    message: format!("port {n} is out of range 1-65535"),
                });
            }
            Ok(n) => Some(PortRef::Number(n)),
        },
        Some(IntOrString::String(s)) => Some(PortRef::Name(s.clone())),
    };
    let end_port = p.end_port.and_then(|e| u16::try_from(e).ok());
    Ok(PortMatch {
        protocol,
        port,
        end_port,
        pointer: pointer.to_string(),
    })
}

/// A rule's peers and ports, whichever direction.
type RulePair<'a> = (
    Option<&'a Vec<NetworkPolicyPeer>>,
    Option<&'a Vec<NetworkPolicyPort>>,
);

/// Reads a Kubernetes NetworkPolicy.
pub(super) fn read(p: &NetworkPolicy, _losses: &mut [Loss]) -> Result<NetPolicy, ConvertError> {
    read_parts(
        PolicyKind::NetworkPolicy,
        &p.metadata,
        p.spec.as_ref(),
        "/spec",
    )
}

/// Reads a Kubernetes NetworkPolicy spec (also Calico's staged form).
pub(super) fn read_parts(
    kind: PolicyKind,
    metadata: &meta::ObjectMeta,
    spec: Option<&kubescribe_core::policy::kubernetes::NetworkPolicySpec>,
    at: &str,
) -> Result<NetPolicy, ConvertError> {
    let default_spec = Default::default();
    let spec = spec.unwrap_or(&default_spec);
    let pods = match &spec.pod_selector {
        Some(s) => label_selector(s, &format!("{at}/podSelector"))?.to_selector(),
        None => Selector::All,
    };
    let egress_rules = spec.egress.as_deref().unwrap_or_default();
    let ingress_rules = spec.ingress.as_deref().unwrap_or_default();
    let (ing, eg) = match &spec.policy_types {
        Some(t) => (
            t.iter().any(|x| x == "Ingress"),
            t.iter().any(|x| x == "Egress"),
        ),
        None => (true, !egress_rules.is_empty()),
    };
    let direction =
        |rules: Vec<RulePair>, key: &str, peer_key: &str| -> Result<Rules, ConvertError> {
            let mut out = Vec::new();
            for (i, (peers, ports)) in rules.into_iter().enumerate() {
                let rp = format!("{at}/{key}/{i}");
                let peers = peers
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(j, p)| read_peer(p, &format!("{rp}/{peer_key}/{j}")))
                    .collect::<Result<Vec<_>, _>>()?;
                let ports = ports
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(j, p)| read_port(p, &format!("{rp}/ports/{j}")))
                    .collect::<Result<Vec<_>, _>>()?;
                out.push(Rule {
                    action: Action::Allow,
                    peers,
                    ports,
                    pointer: rp,
                });
            }
            Ok(Rules {
                default_deny: true,
                rules: out,
            })
        };
    let ingress = if ing {
        Some(direction(
            ingress_rules
                .iter()
                .map(|r| (r.from.as_ref(), r.ports.as_ref()))
                .collect(),
            "ingress",
            "from",
        )?)
    } else {
        None
    };
    let egress = if eg {
        Some(direction(
            egress_rules
                .iter()
                .map(|r| (r.to.as_ref(), r.ports.as_ref()))
                .collect(),
            "egress",
            "to",
        )?)
    } else {
        None
    };
    Ok(NetPolicy {
        name: metadata.name.clone().unwrap_or_default(),
        namespace: metadata.namespace.clone(),
        cluster_wide: false,
        labels: metadata.labels.clone().unwrap_or_default(),
        annotations: metadata.annotations.clone().unwrap_or_default(),
        subject: Subject {
            pods,
            namespaces: Selector::All,
            pointer: format!("{at}/podSelector"),
        },
        ingress,
        egress,
        order: None,
        source_kind: kind,
    })
}

/// The Kubernetes ports of an IR rule; `None` when the rule must be dropped.
fn write_ports(rule: &Rule, losses: &mut Vec<Loss>) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    for p in &rule.ports {
        let protos: &[&str] = match p.protocol {
            Protocol::Tcp => &["TCP"],
            Protocol::Udp => &["UDP"],
            Protocol::Sctp => &["SCTP"],
            Protocol::AnyL4 => &["TCP", "UDP", "SCTP"],
            Protocol::Icmp { .. } => {
                losses.push(loss(
                    &p.pointer,
                    "ICMP",
                    "Kubernetes NetworkPolicy matches TCP, UDP and SCTP only",
                    "port entry dropped",
                ));
                continue;
            }
            Protocol::Other(n) => {
                losses.push(loss(
                    &p.pointer,
                    &format!("IP protocol {n}"),
                    "Kubernetes NetworkPolicy matches TCP, UDP and SCTP only",
                    "port entry dropped",
                ));
                continue;
            }
        };
        for proto in protos {
            let mut v = json!({"protocol": proto});
            match &p.port {
                Some(PortRef::Number(n)) => v["port"] = json!(n),
                Some(PortRef::Name(s)) => v["port"] = json!(s),
                None => {}
            }
            if let Some(e) = p.end_port {
                v["endPort"] = json!(e);
            }
            out.push(v);
        }
    }
    if !rule.ports.is_empty() && out.is_empty() {
        losses.push(loss(
            &rule.pointer,
            "rule",
            "none of its ports can be expressed in Kubernetes",
            "rule dropped",
        ));
        return None;
    }
    Some(out)
}

/// The Kubernetes peers of an IR rule: `Some(vec![])` matches every peer,
/// `None` means no peer is left and the rule must be dropped.
fn write_peers(rule: &Rule, losses: &mut Vec<Loss>) -> Result<Option<Vec<Value>>, ConvertError> {
    let mut out = Vec::new();
    let mut any = false;
    for p in &rule.peers {
        match p {
            Peer::Endpoints {
                pods,
                namespaces,
                service_accounts,
                pointer,
            } => {
                if !service_accounts.is_empty() {
                    losses.push(loss(
                        pointer,
                        "service accounts",
                        "Kubernetes NetworkPolicy cannot select peers by service account",
                        "peer dropped",
                    ));
                    continue;
                }
                let pod_terms = match pods.to_label_selectors() {
                    Ok(t) => t,
                    Err(e) => {
                        losses.push(loss(pointer, "peer selector", &e.0, "peer dropped"));
                        continue;
                    }
                };
                let ns_terms: Option<Vec<LabelSelector>> = match namespaces {
                    NamespaceScope::Policy => None,
                    NamespaceScope::Selector(s) => match s.to_label_selectors() {
                        Ok(t) => Some(t),
                        Err(e) => {
                            losses.push(loss(pointer, "namespace selector", &e.0, "peer dropped"));
                            continue;
                        }
                    },
                };
                for pt in &pod_terms {
                    match &ns_terms {
                        None => out.push(json!({"podSelector": label_selector_json(pt)})),
                        Some(nts) => {
                            for nt in nts {
                                let mut v = json!({"namespaceSelector": label_selector_json(nt)});
                                if !pt.is_empty() {
                                    v["podSelector"] = label_selector_json(pt);
                                }
                                out.push(v);
                            }
                        }
                    }
                }
            }
            Peer::Cidr { cidr, except, .. } => {
                let mut b = json!({"cidr": cidr});
                if !except.is_empty() {
                    b["except"] = json!(except);
                }
                out.push(json!({"ipBlock": b}));
            }
            Peer::Entity { entity, pointer } => match entity.as_str() {
                "all" => any = true,
                "world" => {
                    losses.push(loss(
                        pointer,
                        "entity world",
                        "Kubernetes has no notion of outside the cluster",
                        "approximated by ipBlock 0.0.0.0/0 and ::/0, which may also match in-cluster addresses",
                    ));
                    out.push(json!({"ipBlock": {"cidr": "0.0.0.0/0"}}));
                    out.push(json!({"ipBlock": {"cidr": "::/0"}}));
                }
                "cluster" => {
                    losses.push(loss(
                        pointer,
                        "entity cluster",
                        "Kubernetes peers are pods or IP blocks; nodes and host networking are not selectable",
                        "approximated by every pod in every namespace (namespaceSelector: {})",
                    ));
                    out.push(json!({"namespaceSelector": {}}));
                }
                other => losses.push(loss(
                    pointer,
                    &format!("entity {other}"),
                    "Kubernetes NetworkPolicy has no entities",
                    "peer dropped",
                )),
            },
            Peer::Fqdn { pointer, .. } => losses.push(loss(
                pointer,
                "FQDN",
                "Kubernetes NetworkPolicy cannot match DNS names",
                "peer dropped",
            )),
        }
    }
    if any {
        return Ok(Some(Vec::new()));
    }
    if !rule.peers.is_empty() && out.is_empty() {
        losses.push(loss(
            &rule.pointer,
            "rule",
            "none of its peers can be expressed in Kubernetes",
            "rule dropped",
        ));
        return Ok(None);
    }
    Ok(Some(out))
}

fn write_rules(
    rules: &Rules,
    peer_key: &str,
    losses: &mut Vec<Loss>,
) -> Result<Vec<Value>, ConvertError> {
    let mut out = Vec::new();
    for r in &rules.rules {
        match r.action {
            Action::Allow => {}
            Action::Deny | Action::Pass => {
                losses.push(loss(
                    &r.pointer,
                    &format!("{:?} rule", r.action),
                    "Kubernetes NetworkPolicy only allows",
                    "rule dropped",
                ));
                continue;
            }
            Action::Log => {
                losses.push(loss(
                    &r.pointer,
                    "Log rule",
                    "Kubernetes NetworkPolicy does not log",
                    "rule dropped (it did not decide verdicts)",
                ));
                continue;
            }
        }
        let Some(peers) = write_peers(r, losses)? else {
            continue;
        };
        let Some(ports) = write_ports(r, losses) else {
            continue;
        };
        let mut v = json!({});
        if !peers.is_empty() {
            v[peer_key] = Value::Array(peers);
        }
        if !ports.is_empty() {
            v["ports"] = Value::Array(ports);
        }
        out.push(v);
    }
    Ok(out)
}

/// Writes Kubernetes NetworkPolicies for an IR policy.
pub(super) fn write(p: &NetPolicy, losses: &mut Vec<Loss>) -> Result<Vec<Value>, ConvertError> {
    let target = kubescribe_core::engine::Engine::Kubernetes;
    let subject_terms =
        p.subject
            .pods
            .to_label_selectors()
            .map_err(|e| ConvertError::Inexpressible {
                target,
                pointer: p.subject.pointer.clone(),
                reason: e.0,
            })?;
    if subject_terms.is_empty() {
        losses.push(loss(
            &p.subject.pointer,
            "subject",
            "the selector matches no pod",
            "no policy written",
        ));
        return Ok(Vec::new());
    }
    // Namespaces the policy is written into.
    let namespaces: Vec<Option<String>> = if p.cluster_wide || !p.subject.namespaces.is_all() {
        match named_namespaces(&p.subject.namespaces) {
            Some(names) if !names.is_empty() => names.into_iter().map(Some).collect(),
            _ => {
                let which = if p.subject.namespaces.is_all() {
                    "every namespace".to_string()
                } else {
                    format!("the namespaces matching {}", p.subject.namespaces)
                };
                losses.push(loss(
                    &p.subject.pointer,
                    if p.cluster_wide {
                        "cluster-wide scope"
                    } else {
                        "namespace selector of the subject"
                    },
                    "a Kubernetes NetworkPolicy applies to one namespace",
                    &format!("written without a namespace: apply it in {which}"),
                ));
                vec![None]
            }
        }
    } else {
        vec![p.namespace.clone()]
    };
    if let Some(o) = p.order {
        losses.push(loss(
            "/spec/order",
            "order",
            &format!("Kubernetes NetworkPolicies are unordered (order {o})"),
            "dropped",
        ));
    }
    let mut types = Vec::new();
    let mut spec_rules: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (dir, key, peer_key, rules) in [
        ("Ingress", "ingress", "from", &p.ingress),
        ("Egress", "egress", "to", &p.egress),
    ] {
        let Some(rules) = rules else { continue };
        if !rules.default_deny {
            losses.push(loss(
                &p.subject.pointer,
                &format!("{key} without default deny"),
                "a Kubernetes NetworkPolicy denies what no rule allows in each direction it covers",
                "written with default deny",
            ));
        }
        types.push(dir);
        spec_rules.insert(key, write_rules(rules, peer_key, losses)?);
    }
    let mut out = Vec::new();
    let n = namespaces.len() * subject_terms.len();
    let mut i = 0;
    for ns in &namespaces {
        for term in &subject_terms {
            let mut meta = json!({"name": nth_name(&p.name, i, n)});
            i += 1;
            if let Some(ns) = ns {
                meta["namespace"] = json!(ns);
            }
            if !p.labels.is_empty() {
                meta["labels"] = json!(p.labels);
            }
            if !p.annotations.is_empty() {
                meta["annotations"] = json!(p.annotations);
            }
            let mut spec = json!({"podSelector": label_selector_json(term), "policyTypes": types});
            for (k, v) in &spec_rules {
                if !v.is_empty() {
                    spec[*k] = json!(v);
                }
            }
            out.push(json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": meta,
                "spec": spec,
            }));
        }
    }
    Ok(out)
}
