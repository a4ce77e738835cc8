//! Calico (`projectcalico.org/v3`) ↔ IR.
//!
//! Calico rules are ordered with first-match actions; a rule's peer is its
//! `source` for ingress and its `destination` for egress, and the port match
//! is `destination.ports`. Match criteria on the policy's own side (an
//! ingress rule's `destination.selector`, an egress rule's `source.*`),
//! negations with no positive counterpart (`notPorts`, `notProtocol`,
//! `notICMP`, a lone `notSelector`/`notNets`), `ipVersion`, `services`,
//! `http` and source ports have no counterpart in the other engines: the rule
//! is dropped (or, for `http`, kept at L4) and a [`Loss`] says so.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use super::{
    Action, Cidr, ConvertError, Loss, NAMESPACE_NAME_KEY, NamespaceScope, NetPolicy, Peer,
    PortMatch, PortRef, Protocol, Rule, Rules, Selector, Subject, loss, port_ref,
    protocol_from_name, protocol_from_number,
};
use kubescribe_core::engine::{Engine, PolicyKind};
use kubescribe_core::policy::Policy;
use kubescribe_core::policy::calico::{Action as CAction, Destination, EgressItem, Type};

/// The parts of the Calico policy kinds the conversion reads.
struct View<'a> {
    kind: PolicyKind,
    metadata: &'a ObjectMeta,
    cluster_wide: bool,
    selector: Option<&'a str>,
    namespace_selector: Option<&'a str>,
    service_account_selector: Option<&'a str>,
    order: Option<f64>,
    tier: Option<&'a str>,
    types: Option<&'a [Type]>,
    ingress: Option<&'a [EgressItem]>,
    egress: Option<&'a [EgressItem]>,
    /// Host-endpoint options: (field, set).
    host_options: Vec<(&'static str, bool)>,
    staged: bool,
}

fn parse_selector(text: &str, pointer: &str) -> Result<Selector, ConvertError> {
    Selector::parse(text).map_err(|e| ConvertError::Invalid {
        pointer: pointer.to_string(),
        message: format!("Calico {e}"),
    })
}

/// A Calico namespace selector, with `projectcalico.org/name` as the IR's
/// namespace-name key.
fn namespace_selector(text: &str, pointer: &str) -> Result<Selector, ConvertError> {
    Ok(parse_selector(text, pointer)?.map_keys(&|k| {
        if k == "projectcalico.org/name" {
            NAMESPACE_NAME_KEY.to_string()
        } else {
            k.to_string()
        }
    }))
}

/// Moves top-level `projectcalico.org/namespace` terms of a pod selector
/// into a namespace selector.
fn split_pod_namespace(sel: Selector) -> (Selector, Option<Selector>) {
    const K: &str = "projectcalico.org/namespace";
    let parts = match sel {
        Selector::And(v) => v,
        other => vec![other],
    };
    let mut pods = Vec::new();
    let mut nss = Vec::new();
    for p in parts {
        if p.keys().len() == 1 && p.keys().contains(K) {
            nss.push(p.map_keys(&|_| NAMESPACE_NAME_KEY.to_string()));
        } else {
            pods.push(p);
        }
    }
    let ns = (!nss.is_empty()).then(|| Selector::and(nss));
    (Selector::and(pods), ns)
}

fn calico_only_keys(sel: &Selector, pointer: &str, losses: &mut Vec<Loss>) {
    for k in sel.keys() {
        if k.starts_with("projectcalico.org/") {
            losses.push(loss(
                pointer,
                &format!("Calico label {k}"),
                "the label is set by Calico and exists in no other engine",
                "kept as a plain label (it matches no pod elsewhere)",
            ));
        }
    }
}

fn read_protocol(p: &IntOrString) -> Option<Protocol> {
    match p {
        IntOrString::Int(n) => protocol_from_number(*n),
        IntOrString::String(s) => s
            .parse::<i32>()
            .ok()
            .and_then(protocol_from_number)
            .or_else(|| protocol_from_name(s)),
    }
}

fn read_ports(
    protocol: Protocol,
    ports: &[IntOrString],
    pointer: &str,
) -> Result<Vec<PortMatch>, ConvertError> {
    let mut out = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let pp = format!("{pointer}/{i}");
        let bad = |what: &str| ConvertError::Invalid {
            pointer: pp.clone(),
            message: format!("port {what:?} is not a port, a:b range or name"),
        };
        let (port, end_port) = match p {
            IntOrString::Int(n) => (
                Some(PortRef::Number(
                    u16::try_from(*n).map_err(|_| bad(&n.to_string()))?,
                )),
                None,
            ),
            IntOrString::String(s) => match s.split_once(':') {
                Some((a, b)) => {
                    let a: u16 = a.trim().parse().map_err(|_| bad(s))?;
                    let b: u16 = b.trim().parse().map_err(|_| bad(s))?;
                    (Some(PortRef::Number(a)), (b != a).then_some(b))
                }
                None => (port_ref(s.trim()), None),
            },
        };
        out.push(PortMatch {
            protocol,
            port,
            end_port,
            pointer: pp,
        });
    }
    Ok(out)
}

fn read_rule(
    r: &EgressItem,
    rp: &str,
    egress: bool,
    view: &View,
    losses: &mut Vec<Loss>,
) -> Result<Option<Rule>, ConvertError> {
    let EgressItem {
        action,
        destination,
        http,
        icmp,
        ip_version,
        metadata,
        not_icmp,
        not_protocol,
        protocol,
        source,
    } = r;
    let action = match action {
        CAction::Allow => Action::Allow,
        CAction::Deny => Action::Deny,
        CAction::Pass => Action::Pass,
        CAction::Log => Action::Log,
    };
    let drop = |losses: &mut Vec<Loss>, field: &str, feature: &str, reason: &str| {
        losses.push(loss(
            &format!("{rp}/{field}"),
            feature,
            reason,
            "rule dropped",
        ));
    };
    if metadata.is_some() {
        losses.push(loss(
            &format!("{rp}/metadata"),
            "rule annotations",
            "other engines have no per-rule annotations",
            "dropped",
        ));
    }
    if http.is_some() {
        losses.push(loss(
            &format!("{rp}/http"),
            "Calico HTTP match",
            "needs Calico's application layer; other engines' L7 rules differ",
            "dropped; the rule matches at L4",
        ));
    }
    if ip_version.is_some() {
        drop(
            losses,
            "ipVersion",
            "ipVersion",
            "other engines cannot restrict a rule to one IP family",
        );
        return Ok(None);
    }
    if not_icmp.is_some() || not_protocol.is_some() {
        drop(
            losses,
            if not_icmp.is_some() {
                "notICMP"
            } else {
                "notProtocol"
            },
            "negated protocol match",
            "other engines have no negated protocol match",
        );
        return Ok(None);
    }
    let (peer_field, local_field) = if egress {
        ("destination", "source")
    } else {
        ("source", "destination")
    };
    let (peer_side, local_side) = if egress {
        (destination.as_ref(), source.as_ref())
    } else {
        (source.as_ref(), destination.as_ref())
    };
    // The policy's own side: only destination ports (ingress) have a counterpart.
    let mut port_list: Option<&[IntOrString]> = None;
    if let Some(l) = local_side {
        let Destination {
            namespace_selector,
            nets,
            not_nets,
            not_ports,
            not_selector,
            ports,
            selector,
            service_accounts,
            services,
        } = l;
        let restricted = namespace_selector.is_some()
            || nets.is_some()
            || not_nets.is_some()
            || not_ports.is_some()
            || not_selector.is_some()
            || selector.is_some()
            || service_accounts.is_some()
            || services.is_some()
            || (egress && ports.is_some());
        if restricted {
            drop(
                losses,
                local_field,
                &format!("match on the policy's own side ({local_field})"),
                "other engines cannot narrow a rule to some of the selected pods, their addresses or source ports",
            );
            return Ok(None);
        }
        if !egress {
            port_list = ports.as_deref();
        }
    }
    let mut peers = Vec::new();
    if let Some(p) = peer_side {
        let Destination {
            namespace_selector,
            nets,
            not_nets,
            not_ports,
            not_selector,
            ports,
            selector,
            service_accounts,
            services,
        } = p;
        let pp = format!("{rp}/{peer_field}");
        if services.is_some() {
            drop(
                losses,
                &format!("{peer_field}/services"),
                "Kubernetes Service match",
                "other engines cannot select peers by Service here",
            );
            return Ok(None);
        }
        if not_ports.is_some() {
            drop(
                losses,
                &format!("{peer_field}/notPorts"),
                "notPorts",
                "other engines have no negated port match",
            );
            return Ok(None);
        }
        if egress {
            port_list = ports.as_deref();
        } else if ports.is_some() {
            drop(
                losses,
                &format!("{peer_field}/ports"),
                "source ports",
                "other engines match destination ports only",
            );
            return Ok(None);
        }
        let endpointish = selector.is_some()
            || not_selector.is_some()
            || namespace_selector.is_some()
            || service_accounts.is_some();
        let netish = nets.is_some() || not_nets.is_some();
        if endpointish && netish {
            drop(
                losses,
                &pp,
                "selector and nets together",
                "other engines cannot require both labels and an address range of one peer",
            );
            return Ok(None);
        }
        if endpointish {
            if selector.is_none() && not_selector.is_some() {
                drop(
                    losses,
                    &format!("{peer_field}/notSelector"),
                    "notSelector alone",
                    "it also matches traffic from outside the cluster, which a pod selector cannot",
                );
                return Ok(None);
            }
            let mut pods = match selector {
                Some(s) => parse_selector(s, &format!("{pp}/selector"))?,
                None => Selector::All,
            };
            if let Some(ns) = not_selector {
                let n = parse_selector(ns, &format!("{pp}/notSelector"))?;
                pods = Selector::and(vec![pods, Selector::Not(Box::new(n))]);
            }
            let (pods, ns_from_pods) = split_pod_namespace(pods);
            calico_only_keys(&pods, &format!("{pp}/selector"), losses);
            let mut namespaces = match namespace_selector {
                Some(n) => NamespaceScope::Selector(namespace_selector_ir(
                    n,
                    &format!("{pp}/namespaceSelector"),
                )?),
                None if view.cluster_wide => NamespaceScope::Selector(Selector::All),
                None => NamespaceScope::Policy,
            };
            if let Some(extra) = ns_from_pods {
                namespaces = match namespaces {
                    NamespaceScope::Selector(s) => {
                        NamespaceScope::Selector(Selector::and(vec![s, extra]))
                    }
                    NamespaceScope::Policy => match &view.metadata.namespace {
                        Some(own) => NamespaceScope::Selector(Selector::and(vec![
                            Selector::Eq(NAMESPACE_NAME_KEY.into(), own.clone()),
                            extra,
                        ])),
                        None => NamespaceScope::Selector(extra),
                    },
                };
            }
            let mut sas = Vec::new();
            if let Some(sa) = service_accounts {
                if sa.selector.is_some() {
                    drop(
                        losses,
                        &format!("{peer_field}/serviceAccounts/selector"),
                        "service-account label selector",
                        "other engines cannot select service accounts by their labels",
                    );
                    return Ok(None);
                }
                sas = sa.names.clone().unwrap_or_default();
            }
            peers.push(Peer::Endpoints {
                pods,
                namespaces,
                service_accounts: sas,
                pointer: pp.clone(),
            });
        } else if netish {
            let Some(nets) = nets.as_deref().filter(|n| !n.is_empty()) else {
                drop(
                    losses,
                    &format!("{peer_field}/notNets"),
                    "notNets alone",
                    "it also matches pod addresses, which an address block cannot exclude everywhere",
                );
                return Ok(None);
            };
            let excluded: Vec<(String, Cidr)> = not_nets
                .iter()
                .flatten()
                .filter_map(|n| Cidr::parse(n).map(|c| (n.clone(), c)))
                .collect();
            for (i, n) in nets.iter().enumerate() {
                let Some(c) = Cidr::parse(n) else {
                    return Err(ConvertError::Invalid {
                        pointer: format!("{pp}/nets/{i}"),
                        message: format!("{n:?} is not a CIDR"),
                    });
                };
                if excluded.iter().any(|(_, x)| x.contains(&c)) {
                    continue;
                }
                let except = excluded
                    .iter()
                    .filter(|(_, x)| c.contains(x))
                    .map(|(s, _)| s.clone())
                    .collect();
                peers.push(Peer::Cidr {
                    cidr: n.clone(),
                    except,
                    pointer: format!("{pp}/nets/{i}"),
                });
            }
            if peers.is_empty() {
                // Every net is excluded: the rule matches nothing.
                return Ok(None);
            }
        }
    }
    let proto = match protocol {
        None => None,
        Some(p) => match read_protocol(p) {
            Some(p) => Some(p),
            None => {
                return Err(ConvertError::Invalid {
                    pointer: format!("{rp}/protocol"),
                    message: format!("unknown protocol {p:?}"),
                });
            }
        },
    };
    let proto = match (proto, icmp) {
        (Some(Protocol::Icmp { v6, .. }), Some(i)) => Some(Protocol::Icmp {
            v6,
            icmp_type: i.r#type.and_then(|t| u8::try_from(t).ok()),
            code: i.code.and_then(|t| u8::try_from(t).ok()),
        }),
        (p, _) => p,
    };
    let ports = match (proto, port_list) {
        (_, Some(list)) if !list.is_empty() => read_ports(
            proto.unwrap_or(Protocol::AnyL4),
            list,
            &format!("{rp}/destination/ports"),
        )?,
        (Some(p), _) => vec![PortMatch {
            protocol: p,
            port: None,
            end_port: None,
            pointer: format!("{rp}/protocol"),
        }],
        (None, _) => Vec::new(),
    };
    Ok(Some(Rule {
        action,
        peers,
        ports,
        pointer: rp.to_string(),
    }))
}

fn namespace_selector_ir(text: &str, pointer: &str) -> Result<Selector, ConvertError> {
    let s = namespace_selector(text, pointer)?;
    Ok(s)
}

fn view(policy: &Policy) -> Option<View<'_>> {
    Some(match policy {
        Policy::CalicoNetworkPolicy(p) => {
            let s = &p.spec;
            View {
                kind: policy.kind(),
                metadata: &p.metadata,
                cluster_wide: false,
                selector: s.selector.as_deref(),
                namespace_selector: None,
                service_account_selector: s.service_account_selector.as_deref(),
                order: s.order,
                tier: s.tier.as_deref(),
                types: s.types.as_deref(),
                ingress: s.ingress.as_deref(),
                egress: s.egress.as_deref(),
                host_options: Vec::new(),
                staged: false,
            }
        }
        Policy::CalicoStagedNetworkPolicy(p) => {
            let s = &p.spec;
            View {
                kind: policy.kind(),
                metadata: &p.metadata,
                cluster_wide: false,
                selector: s.selector.as_deref(),
                namespace_selector: None,
                service_account_selector: s.service_account_selector.as_deref(),
                order: s.order,
                tier: s.tier.as_deref(),
                types: s.types.as_deref(),
                ingress: s.ingress.as_deref(),
                egress: s.egress.as_deref(),
                host_options: Vec::new(),
                staged: true,
            }
        }
        Policy::CalicoGlobalNetworkPolicy(p) => {
            let s = &p.spec;
            View {
                kind: policy.kind(),
                metadata: &p.metadata,
                cluster_wide: true,
                selector: s.selector.as_deref(),
                namespace_selector: s.namespace_selector.as_deref(),
                service_account_selector: s.service_account_selector.as_deref(),
                order: s.order,
                tier: s.tier.as_deref(),
                types: s.types.as_deref(),
                ingress: s.ingress.as_deref(),
                egress: s.egress.as_deref(),
                host_options: vec![
                    ("applyOnForward", s.apply_on_forward == Some(true)),
                    ("doNotTrack", s.do_not_track == Some(true)),
                    ("preDNAT", s.pre_dnat == Some(true)),
                ],
                staged: false,
            }
        }
        Policy::CalicoStagedGlobalNetworkPolicy(p) => {
            let s = &p.spec;
            View {
                kind: policy.kind(),
                metadata: &p.metadata,
                cluster_wide: true,
                selector: s.selector.as_deref(),
                namespace_selector: s.namespace_selector.as_deref(),
                service_account_selector: s.service_account_selector.as_deref(),
                order: s.order,
                tier: s.tier.as_deref(),
                types: s.types.as_deref(),
                ingress: s.ingress.as_deref(),
                egress: s.egress.as_deref(),
                host_options: vec![
                    ("applyOnForward", s.apply_on_forward == Some(true)),
                    ("doNotTrack", s.do_not_track == Some(true)),
                    ("preDNAT", s.pre_dnat == Some(true)),
                ],
                staged: true,
            }
        }
        _ => return None,
    })
}

/// Reads a Calico policy of any of the five kinds.
pub(super) fn read(policy: &Policy, losses: &mut Vec<Loss>) -> Result<NetPolicy, ConvertError> {
    if let Policy::CalicoStagedKubernetesNetworkPolicy(p) = policy {
        losses.push(loss(
            "/spec/stagedAction",
            "staged policy",
            "a staged policy is only evaluated for reporting; the converted policy is enforced",
            "converted as if it were enforced",
        ));
        // Same shape as a Kubernetes NetworkPolicy spec.
        let mut spec = serde_json::to_value(&p.spec).map_err(|e| ConvertError::Model {
            kind: p.kind.clone(),
            message: e.to_string(),
        })?;
        if let Some(m) = spec.as_object_mut() {
            m.remove("stagedAction");
        }
        let spec: kubescribe_core::policy::kubernetes::NetworkPolicySpec =
            serde_json::from_value(spec).map_err(|e| ConvertError::Model {
                kind: p.kind.clone(),
                message: e.to_string(),
            })?;
        return super::kubernetes::read_parts(
            PolicyKind::CalicoStagedKubernetesNetworkPolicy,
            &p.metadata,
            Some(&spec),
            "/spec",
        );
    }
    let Some(v) = view(policy) else {
        return Err(ConvertError::NotNetworkPolicy {
            kind: policy.kind().kind().to_string(),
        });
    };
    for (field, set) in &v.host_options {
        if *set && *field == "applyOnForward" {
            losses.push(loss(
                "/spec/applyOnForward",
                "applyOnForward",
                "it concerns traffic forwarded through host endpoints; pod policies elsewhere have no such switch",
                "dropped (no effect on pods)",
            ));
        } else if *set {
            return Err(ConvertError::Inexpressible {
                target: Engine::Calico,
                pointer: format!("/spec/{field}"),
                reason: format!(
                    "{field} applies to host endpoints, which other engines' pod policies cannot select"
                ),
            });
        }
    }
    if let Some(s) = v.service_account_selector {
        return Err(ConvertError::Inexpressible {
            target: Engine::Calico,
            pointer: "/spec/serviceAccountSelector".into(),
            reason: format!(
                "the subject is selected by service-account labels ({s:?}), which other engines cannot"
            ),
        });
    }
    if v.staged {
        losses.push(loss(
            "/spec/stagedAction",
            "staged policy",
            "a staged policy is only evaluated for reporting; the converted policy is enforced",
            "converted as if it were enforced",
        ));
    }
    if let Some(t) = v.tier.filter(|t| *t != "default") {
        losses.push(loss(
            "/spec/tier",
            "tier",
            &format!("other engines have no tiers (tier {t:?})"),
            "dropped; the policy is evaluated with all others",
        ));
    }
    let (pods, ns_from_pods) = split_pod_namespace(match v.selector {
        Some(s) => parse_selector(s, "/spec/selector")?,
        None => Selector::All,
    });
    calico_only_keys(&pods, "/spec/selector", losses);
    let mut namespaces = match v.namespace_selector {
        Some(n) => namespace_selector(n, "/spec/namespaceSelector")?,
        None => Selector::All,
    };
    if let Some(extra) = ns_from_pods {
        namespaces = Selector::and(vec![namespaces, extra]);
    }
    let ingress_rules = v.ingress.unwrap_or_default();
    let egress_rules = v.egress.unwrap_or_default();
    let (ing, eg) = match v.types {
        Some(t) => (t.contains(&Type::Ingress), t.contains(&Type::Egress)),
        None => match (ingress_rules.is_empty(), egress_rules.is_empty()) {
            (_, true) => (true, false),
            (true, false) => (false, true),
            (false, false) => (true, true),
        },
    };
    let mut read_dir =
        |rules: &[EgressItem], key: &str, egress: bool| -> Result<Rules, ConvertError> {
            let mut out = Vec::new();
            for (i, r) in rules.iter().enumerate() {
                if let Some(rule) = read_rule(r, &format!("/spec/{key}/{i}"), egress, &v, losses)? {
                    out.push(rule);
                }
            }
            Ok(Rules {
                default_deny: true,
                rules: out,
            })
        };
    let ingress = if ing {
        Some(read_dir(ingress_rules, "ingress", false)?)
    } else {
        None
    };
    let egress = if eg {
        Some(read_dir(egress_rules, "egress", true)?)
    } else {
        None
    };
    Ok(NetPolicy {
        name: v.metadata.name.clone().unwrap_or_default(),
        namespace: v.metadata.namespace.clone().filter(|_| !v.cluster_wide),
        cluster_wide: v.cluster_wide,
        labels: v.metadata.labels.clone().unwrap_or_default(),
        annotations: v.metadata.annotations.clone().unwrap_or_default(),
        subject: Subject {
            pods,
            namespaces,
            pointer: "/spec/selector".into(),
        },
        ingress,
        egress,
        order: v.order,
        source_kind: v.kind,
    })
}

// ------------------------------------------------------------------ writing

/// The Calico peer sides of an IR rule; `Some(vec![])`: no peer constraint;
/// `None`: no peer left, drop the rule.
fn write_peers(r: &Rule, namespaced: bool, losses: &mut Vec<Loss>) -> Option<Vec<Value>> {
    let mut out = Vec::new();
    let mut any = false;
    for p in &r.peers {
        match p {
            Peer::Endpoints {
                pods,
                namespaces,
                service_accounts,
                ..
            } => {
                let mut v = json!({});
                match namespaces {
                    NamespaceScope::Policy if namespaced => {
                        v["selector"] = json!(pods.to_string());
                    }
                    NamespaceScope::Policy => {
                        // A global policy has no own namespace: every namespace.
                        v["selector"] = json!(pods.to_string());
                        v["namespaceSelector"] = json!("all()");
                    }
                    NamespaceScope::Selector(ns) => {
                        if !pods.is_all() {
                            v["selector"] = json!(pods.to_string());
                        }
                        v["namespaceSelector"] = json!(ns.to_string());
                    }
                }
                if !service_accounts.is_empty() {
                    v["serviceAccounts"] = json!({"names": service_accounts});
                }
                out.push(v);
            }
            Peer::Cidr { cidr, except, .. } => {
                let mut v = json!({"nets": [cidr]});
                if !except.is_empty() {
                    v["notNets"] = json!(except);
                }
                out.push(v);
            }
            Peer::Entity { entity, pointer } => match entity.as_str() {
                "all" => any = true,
                "world" => {
                    losses.push(loss(
                        pointer,
                        "entity world",
                        "Calico has no notion of outside the cluster",
                        "approximated by nets 0.0.0.0/0 and ::/0, which also match in-cluster addresses",
                    ));
                    out.push(json!({"nets": ["0.0.0.0/0"]}));
                    out.push(json!({"nets": ["::/0"]}));
                }
                "cluster" => {
                    losses.push(loss(
                        pointer,
                        "entity cluster",
                        "Calico selects workloads, not Cilium's cluster identity (nodes included)",
                        "approximated by every pod in every namespace (namespaceSelector: all())",
                    ));
                    out.push(json!({"namespaceSelector": "all()"}));
                }
                other => losses.push(loss(
                    pointer,
                    &format!("entity {other}"),
                    "Calico has no such entity",
                    "peer dropped",
                )),
            },
            Peer::Fqdn { pointer, .. } => losses.push(loss(
                pointer,
                "FQDN",
                "domain names in rules are a Calico Enterprise feature",
                "peer dropped",
            )),
        }
    }
    if any {
        return Some(Vec::new());
    }
    if !r.peers.is_empty() && out.is_empty() {
        losses.push(loss(
            &r.pointer,
            "rule",
            "none of its peers can be expressed in Calico",
            "rule dropped",
        ));
        return None;
    }
    Some(out)
}

/// (protocol, destination ports, icmp) groups of an IR rule.
fn write_ports(r: &Rule) -> Vec<(Option<Value>, Vec<Value>, Option<Value>)> {
    if r.ports.is_empty() {
        return vec![(None, Vec::new(), None)];
    }
    type Group = (Option<Value>, Vec<Value>, Option<Value>);
    let mut groups: Vec<Group> = Vec::new();
    let push = |groups: &mut Vec<Group>, proto: Value, port: Option<Value>| {
        if let Some(g) = groups.iter_mut().find(|g| {
            g.0.as_ref() == Some(&proto)
                && g.2.is_none()
                && port.is_some()
                && !g.1.is_empty()
                && g.1.len() < 50
        }) {
            if let Some(p) = port {
                g.1.push(p);
            }
            return;
        }
        groups.push((Some(proto), port.into_iter().collect(), None));
    };
    for p in &r.ports {
        let port = match (&p.port, p.end_port) {
            (Some(PortRef::Number(a)), Some(b)) => Some(json!(format!("{a}:{b}"))),
            (Some(PortRef::Number(a)), None) => Some(json!(a)),
            (Some(PortRef::Name(n)), _) => Some(json!(n)),
            (None, _) => None,
        };
        match p.protocol {
            Protocol::Tcp => push(&mut groups, json!("TCP"), port),
            Protocol::Udp => push(&mut groups, json!("UDP"), port),
            Protocol::Sctp => push(&mut groups, json!("SCTP"), port),
            Protocol::AnyL4 => {
                for proto in ["TCP", "UDP", "SCTP"] {
                    push(&mut groups, json!(proto), port.clone());
                }
            }
            Protocol::Other(n) => push(&mut groups, json!(n), None),
            Protocol::Icmp {
                v6,
                icmp_type,
                code,
            } => {
                let mut icmp = json!({});
                if let Some(t) = icmp_type {
                    icmp["type"] = json!(t);
                }
                if let Some(c) = code {
                    icmp["code"] = json!(c);
                }
                let proto = json!(if v6 { "ICMPv6" } else { "ICMP" });
                groups.push((
                    Some(proto),
                    Vec::new(),
                    icmp.as_object()
                        .is_some_and(|m| !m.is_empty())
                        .then_some(icmp),
                ));
            }
        }
    }
    groups
}

fn write_rules(
    rules: &Rules,
    egress: bool,
    namespaced: bool,
    losses: &mut Vec<Loss>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for r in &rules.rules {
        let Some(peers) = write_peers(r, namespaced, losses) else {
            continue;
        };
        let peers: Vec<Option<Value>> = if peers.is_empty() {
            vec![None]
        } else {
            peers.into_iter().map(Some).collect()
        };
        let action = match r.action {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
            Action::Log => "Log",
        };
        for peer in &peers {
            for (proto, ports, icmp) in write_ports(r) {
                let mut rule = json!({"action": action});
                if let Some(p) = proto {
                    rule["protocol"] = p;
                }
                if let Some(i) = icmp {
                    rule["icmp"] = i;
                }
                let mut dest = if egress {
                    peer.clone().unwrap_or_else(|| json!({}))
                } else {
                    json!({})
                };
                if !ports.is_empty() {
                    dest["ports"] = json!(ports);
                }
                if !egress && let Some(p) = peer {
                    rule["source"] = p.clone();
                }
                if dest.as_object().is_some_and(|m| !m.is_empty()) {
                    rule["destination"] = dest;
                }
                out.push(rule);
            }
        }
    }
    out
}

/// Writes a Calico policy for an IR policy.
pub(super) fn write(p: &NetPolicy, losses: &mut Vec<Loss>) -> Result<Vec<Value>, ConvertError> {
    let namespaced = !p.cluster_wide;
    let mut spec = json!({"selector": p.subject.pods.to_string()});
    if p.cluster_wide {
        if !p.subject.namespaces.is_all() {
            spec["namespaceSelector"] = json!(p.subject.namespaces.to_string());
        }
    } else if !p.subject.namespaces.is_all() {
        losses.push(loss(
            &p.subject.pointer,
            "namespace selector of the subject",
            "a Calico NetworkPolicy applies to its own namespace only",
            "dropped; the policy applies in its namespace",
        ));
    }
    if let Some(o) = p.order {
        spec["order"] = json!(o);
    }
    let mut types = Vec::new();
    for (dir, key, egress, rules) in [
        ("Ingress", "ingress", false, &p.ingress),
        ("Egress", "egress", true, &p.egress),
    ] {
        let Some(rules) = rules else { continue };
        types.push(dir);
        if !rules.default_deny {
            losses.push(loss(
                &p.subject.pointer,
                &format!("{key} without default deny"),
                "Calico denies what no policy of the tier allows once a policy selects the pod",
                "written with default deny",
            ));
        }
        let r = write_rules(rules, egress, namespaced, losses);
        if !r.is_empty() {
            spec[key] = json!(r);
        }
    }
    if types.is_empty() {
        losses.push(loss(
            &p.subject.pointer,
            "policy without directions",
            "the source governs no direction",
            "no policy written",
        ));
        return Ok(Vec::new());
    }
    spec["types"] = json!(types);
    let mut meta = json!({"name": p.name});
    if namespaced && let Some(ns) = &p.namespace {
        meta["namespace"] = json!(ns);
    }
    if !p.labels.is_empty() {
        meta["labels"] = json!(p.labels);
    }
    if !p.annotations.is_empty() {
        meta["annotations"] = json!(p.annotations);
    }
    Ok(vec![json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": if namespaced { "NetworkPolicy" } else { "GlobalNetworkPolicy" },
        "metadata": meta,
        "spec": spec,
    })])
}
