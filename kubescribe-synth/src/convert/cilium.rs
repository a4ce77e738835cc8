//! Cilium `CiliumNetworkPolicy` / `CiliumClusterwideNetworkPolicy` ↔ IR.
//!
//! Cilium selects namespaces through pod labels: `k8s:io.kubernetes.pod.namespace`
//! (the namespace's name) and `k8s:io.cilium.k8s.namespace.labels.<key>`
//! (its labels); service accounts through `k8s:io.cilium.k8s.policy.serviceaccount`.
//! Reading maps these to IR namespace selectors and service accounts;
//! writing maps them back. Deny rules are read first (Cilium's deny wins
//! regardless of order, which is what an ordered list with the denies first
//! means).
//!
//! Size: Cilium ↔ IR in both directions in one file, so each label and entity mapping is written next to its inverse.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use super::{
    Action, ConvertError, FqdnMatch, ICMP_TYPES, LabelSelector, Loss, NAMESPACE_NAME_KEY,
    NamespaceScope, NetPolicy, Peer, PortMatch, PortRef, Protocol, Requirement, Rule, Rules,
    Selector, Subject, loss, port_ref, split_namespace_terms,
};
use kubescribe_core::engine::{Engine, PolicyKind};
use kubescribe_core::policy::cilium::{
    CidrGroupSelector, CiliumNetworkPolicySpec, Icmp, Operator, Port, ToCIDRSetItem, ToEntity,
    ToFQDN, ToPort,
};

const NS_NAME: &str = "io.kubernetes.pod.namespace";
const NS_LABELS: &str = "io.cilium.k8s.namespace.labels.";
const SA: &str = "io.cilium.k8s.policy.serviceaccount";
const CLUSTER: &str = "io.cilium.k8s.policy.cluster";

fn strip_source(k: &str) -> &str {
    k.strip_prefix("k8s:")
        .or_else(|| k.strip_prefix("any:"))
        .unwrap_or(k)
}

fn ns_key(k: &str) -> Option<String> {
    if k == NS_NAME {
        Some(NAMESPACE_NAME_KEY.to_string())
    } else {
        k.strip_prefix(NS_LABELS).map(str::to_string)
    }
}

fn selector(s: &CidrGroupSelector) -> LabelSelector {
    let mut out = LabelSelector::default();
    for (k, v) in s.match_labels.iter().flatten() {
        out.match_labels
            .insert(strip_source(k).to_string(), v.clone());
    }
    for e in s.match_expressions.iter().flatten() {
        let k = strip_source(&e.key).to_string();
        let vs = e.values.iter().flatten().cloned().collect();
        out.match_expressions.push(match e.operator {
            Operator::In => Requirement::In(k, vs),
            Operator::NotIn => Requirement::NotIn(k, vs),
            Operator::Exists => Requirement::Exists(k),
            Operator::DoesNotExist => Requirement::DoesNotExist(k),
        });
    }
    out
}

/// `reserved:X` labels name entities.
fn reserved_entity(ls: &LabelSelector) -> Option<String> {
    ls.match_labels
        .keys()
        .find_map(|k| k.strip_prefix("reserved:").map(str::to_string))
}

struct Ctx<'a> {
    cluster_wide: bool,
    losses: &'a mut Vec<Loss>,
}

fn read_endpoint(s: &CidrGroupSelector, pointer: &str, cx: &mut Ctx) -> Option<Peer> {
    let mut ls = selector(s);
    if let Some(entity) = reserved_entity(&ls) {
        if ls.match_labels.len() + ls.match_expressions.len() > 1 {
            cx.losses.push(loss(
                pointer,
                "reserved label with other labels",
                "an entity carries no other labels elsewhere",
                &format!("read as entity {entity}"),
            ));
        }
        return Some(Peer::Entity {
            entity,
            pointer: pointer.to_string(),
        });
    }
    let mut service_accounts = Vec::new();
    if let Some(v) = ls.match_labels.remove(SA) {
        service_accounts.push(v);
    }
    let mut keep = Vec::new();
    for r in std::mem::take(&mut ls.match_expressions) {
        match &r {
            Requirement::In(k, vs) if k == SA => {
                if service_accounts.is_empty() {
                    service_accounts.extend(vs.iter().cloned());
                } else {
                    service_accounts.retain(|s| vs.contains(s));
                    if service_accounts.is_empty() {
                        return None;
                    }
                }
            }
            r if r.key() == SA => {
                cx.losses.push(loss(
                    pointer,
                    "service-account expression",
                    "only equality and In on the service account have a counterpart",
                    "peer dropped",
                ));
                return None;
            }
            r if r.key() == CLUSTER => {
                cx.losses.push(loss(
                    pointer,
                    "cluster-mesh cluster label",
                    "other engines have no cluster mesh",
                    "requirement dropped (the peer may be in any cluster)",
                ));
            }
            _ => keep.push(r),
        }
    }
    ls.match_expressions = keep;
    if ls.match_labels.remove(CLUSTER).is_some() {
        cx.losses.push(loss(
            pointer,
            "cluster-mesh cluster label",
            "other engines have no cluster mesh",
            "requirement dropped (the peer may be in any cluster)",
        ));
    }
    let (pods, mut nss) = split_namespace_terms(&ls, ns_key);
    let had_ns = !nss.is_empty();
    // "Has a namespace" holds for every pod.
    nss.match_expressions
        .retain(|r| *r != Requirement::Exists(NAMESPACE_NAME_KEY.to_string()));
    let namespaces = if had_ns {
        NamespaceScope::Selector(nss.to_selector())
    } else if cx.cluster_wide {
        NamespaceScope::Selector(Selector::All)
    } else {
        NamespaceScope::Policy
    };
    Some(Peer::Endpoints {
        pods: pods.to_selector(),
        namespaces,
        service_accounts,
        pointer: pointer.to_string(),
    })
}

fn entity_name(e: ToEntity) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The L3 part of a Cilium rule, whichever item type it came from.
#[derive(Default)]
struct L3<'a> {
    endpoints: Option<&'a [CidrGroupSelector]>,
    cidr: Option<&'a [String]>,
    cidr_set: Option<&'a [ToCIDRSetItem]>,
    entities: Option<&'a [ToEntity]>,
    fqdns: Option<&'a [ToFQDN]>,
    /// Fields with no counterpart: (field name, is set).
    unsupported: Vec<(&'static str, bool)>,
}

fn non_empty<T>(v: &Option<Vec<T>>) -> Option<&[T]> {
    v.as_deref().filter(|v| !v.is_empty())
}

/// The IR peers; `None` when the rule has L3 fields but none could be read
/// (the rule is then dropped); `Some(vec![])` for no L3 fields (any peer).
fn read_l3(l3: &L3, side: &str, rp: &str, cx: &mut Ctx) -> Option<Vec<Peer>> {
    let mut peers = Vec::new();
    let mut had = false;
    for (i, s) in l3.endpoints.into_iter().flatten().enumerate() {
        had = true;
        if let Some(p) = read_endpoint(s, &format!("{rp}/{side}Endpoints/{i}"), cx) {
            peers.push(p);
        }
    }
    for (i, c) in l3.cidr.into_iter().flatten().enumerate() {
        had = true;
        peers.push(Peer::Cidr {
            cidr: c.clone(),
            except: Vec::new(),
            pointer: format!("{rp}/{side}CIDR/{i}"),
        });
    }
    for (i, c) in l3.cidr_set.into_iter().flatten().enumerate() {
        had = true;
        let pointer = format!("{rp}/{side}CIDRSet/{i}");
        match &c.cidr {
            Some(cidr) => peers.push(Peer::Cidr {
                cidr: cidr.clone(),
                except: c.except.clone().unwrap_or_default(),
                pointer,
            }),
            None => cx.losses.push(loss(
                &pointer,
                "CiliumCIDRGroup reference",
                "CIDR groups are Cilium objects other engines cannot reference",
                "peer dropped",
            )),
        }
    }
    for (i, e) in l3.entities.into_iter().flatten().enumerate() {
        had = true;
        peers.push(Peer::Entity {
            entity: entity_name(*e),
            pointer: format!("{rp}/{side}Entities/{i}"),
        });
    }
    for (i, f) in l3.fqdns.into_iter().flatten().enumerate() {
        had = true;
        let pointer = format!("{rp}/toFQDNs/{i}");
        let name = match (&f.match_name, &f.match_pattern) {
            (Some(n), _) => FqdnMatch::Name(n.clone()),
            (None, Some(p)) => FqdnMatch::Pattern(p.clone()),
            (None, None) => continue,
        };
        peers.push(Peer::Fqdn { name, pointer });
    }
    for (field, set) in &l3.unsupported {
        if *set {
            had = true;
            cx.losses.push(loss(
                &format!("{rp}/{field}"),
                field,
                "Cilium-only peer type (nodes, cloud groups, services) with no counterpart",
                "peers dropped",
            ));
        }
    }
    if had && peers.is_empty() {
        cx.losses.push(loss(
            rp,
            "rule",
            "none of its peers can be read",
            "rule dropped",
        ));
        return None;
    }
    Some(peers)
}

fn read_port(p: &Port, pointer: &str) -> Option<PortMatch> {
    use kubescribe_core::policy::cilium::Protocol as P;
    let protocol = match p.protocol.unwrap_or(P::ANY) {
        P::TCP => Protocol::Tcp,
        P::UDP => Protocol::Udp,
        P::SCTP => Protocol::Sctp,
        P::ANY => Protocol::AnyL4,
        P::VRRP => Protocol::Other(112),
        P::IGMP => Protocol::Other(2),
        P::GRE => Protocol::Other(47),
        P::IPIP => Protocol::Other(4),
        P::IPV6 => Protocol::Other(41),
        P::ESP => Protocol::Other(50),
        P::AH => Protocol::Other(51),
    };
    let port = p.port.as_deref().map(str::trim).and_then(port_ref);
    if port.is_none() && protocol == Protocol::AnyL4 {
        // Every port of every protocol.
        return None;
    }
    Some(PortMatch {
        protocol,
        port,
        end_port: p.end_port.and_then(|e| u16::try_from(e).ok()),
        pointer: pointer.to_string(),
    })
}

fn read_icmps(icmps: &[Icmp], rp: &str, out: &mut Vec<PortMatch>, cx: &mut Ctx) {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use kubescribe_core::policy::cilium::Family;
    for (i, icmp) in icmps.iter().enumerate() {
        for (j, f) in icmp.fields.iter().flatten().enumerate() {
            let pointer = format!("{rp}/icmps/{i}/fields/{j}");
            let v6 = f.family == Some(Family::IPv6);
            let t = match &f.r#type {
                IntOrString::Int(n) => u8::try_from(*n).ok(),
                IntOrString::String(s) => s.parse::<u8>().ok().or_else(|| {
                    ICMP_TYPES
                        .iter()
                        .find(|(fv6, name, _)| *fv6 == v6 && name == s)
                        .map(|(_, _, n)| *n)
                }),
            };
            match t {
                Some(t) => out.push(PortMatch {
                    protocol: Protocol::Icmp {
                        v6,
                        icmp_type: Some(t),
                        code: None,
                    },
                    port: None,
                    end_port: None,
                    pointer,
                }),
                None => cx.losses.push(loss(
                    &pointer,
                    "ICMP type",
                    "unknown ICMP type name",
                    "entry dropped",
                )),
            }
        }
    }
}

/// A toPorts item's port list and its L7 / TLS extras (reported as losses).
fn read_to_ports(
    to_ports: &[ToPort],
    rp: &str,
    out: &mut Vec<PortMatch>,
    any: &mut bool,
    cx: &mut Ctx,
) {
    for (i, tp) in to_ports.iter().enumerate() {
        let tpp = format!("{rp}/toPorts/{i}");
        let ToPort {
            listener,
            originating_tls,
            ports,
            rules,
            server_names,
            terminating_tls,
        } = tp;
        if let Some(r) = rules {
            let what = if r.http.is_some() {
                "Cilium L7 HTTP rules"
            } else if r.dns.is_some() {
                "Cilium L7 DNS rules"
            } else {
                "Cilium L7 rules"
            };
            cx.losses.push(loss(
                &format!("{tpp}/rules"),
                what,
                "Kubernetes and Calico (without an application layer) filter at L3/L4 only",
                "dropped; all traffic on the rule's ports is allowed",
            ));
        }
        for (field, set) in [
            ("listener", listener.is_some()),
            ("originatingTLS", originating_tls.is_some()),
            ("terminatingTLS", terminating_tls.is_some()),
            ("serverNames", server_names.is_some()),
        ] {
            if set {
                cx.losses.push(loss(
                    &format!("{tpp}/{field}"),
                    &format!("Cilium {field}"),
                    "Envoy listeners, TLS interception and SNI matching are Cilium-only",
                    "dropped; the rule matches at L4",
                ));
            }
        }
        match ports.as_deref() {
            None | Some([]) => *any = true,
            Some(ps) => {
                for (j, p) in ps.iter().enumerate() {
                    match read_port(p, &format!("{tpp}/ports/{j}")) {
                        Some(pm) => out.push(pm),
                        None => *any = true,
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn push_rule(
    action: Action,
    l3: L3,
    side: &str,
    to_ports: Option<&[ToPort]>,
    deny_ports: Option<Vec<&[Port]>>,
    icmps: Option<&[Icmp]>,
    rp: String,
    out: &mut Vec<Rule>,
    cx: &mut Ctx,
) {
    let Some(peers) = read_l3(&l3, side, &rp, cx) else {
        return;
    };
    let mut ports = Vec::new();
    let mut any_port = false;
    let mut had_l4 = false;
    if let Some(tp) = to_ports.filter(|t| !t.is_empty()) {
        had_l4 = true;
        read_to_ports(tp, &rp, &mut ports, &mut any_port, cx);
    }
    if let Some(dp) = deny_ports.filter(|t| !t.is_empty()) {
        had_l4 = true;
        for (i, ps) in dp.into_iter().enumerate() {
            if ps.is_empty() {
                any_port = true;
            }
            for (j, p) in ps.iter().enumerate() {
                match read_port(p, &format!("{rp}/toPorts/{i}/ports/{j}")) {
                    Some(pm) => ports.push(pm),
                    None => any_port = true,
                }
            }
        }
    }
    if let Some(ic) = icmps.filter(|t| !t.is_empty()) {
        had_l4 = true;
        read_icmps(ic, &rp, &mut ports, cx);
    }
    if had_l4 && ports.is_empty() && !any_port {
        cx.losses.push(loss(
            &rp,
            "rule",
            "none of its ports can be read",
            "rule dropped",
        ));
        return;
    }
    if any_port {
        ports.clear();
    }
    let has_l3 = l3.endpoints.is_some()
        || l3.cidr.is_some()
        || l3.cidr_set.is_some()
        || l3.entities.is_some()
        || l3.fqdns.is_some()
        || l3.unsupported.iter().any(|(_, s)| *s);
    if !has_l3 && !had_l4 {
        // An empty Cilium rule matches nothing (`ingress: [{}]` is deny-all).
        return;
    }
    out.push(Rule {
        action,
        peers,
        ports,
        pointer: rp,
    });
}

fn read_spec(
    kind: PolicyKind,
    metadata: &ObjectMeta,
    spec: &CiliumNetworkPolicySpec,
    sp: &str,
    losses: &mut Vec<Loss>,
) -> Result<NetPolicy, ConvertError> {
    let cluster_wide = kind == PolicyKind::CiliumClusterwideNetworkPolicy;
    let CiliumNetworkPolicySpec {
        description,
        egress,
        egress_deny,
        enable_default_deny,
        endpoint_selector,
        ingress,
        ingress_deny,
        labels,
        log,
        node_selector,
    } = spec;
    let mut cx = Ctx {
        cluster_wide,
        losses,
    };
    if node_selector.is_some() {
        return Err(ConvertError::Inexpressible {
            target: Engine::Cilium,
            pointer: format!("{sp}/nodeSelector"),
            reason: "a host policy (nodeSelector) applies to nodes, which Kubernetes and Calico network policies for pods cannot select".into(),
        });
    }
    let Some(es) = endpoint_selector else {
        return Err(ConvertError::Invalid {
            pointer: sp.to_string(),
            message: "neither endpointSelector nor nodeSelector".into(),
        });
    };
    let es_ls = selector(es);
    if let Some(e) = reserved_entity(&es_ls) {
        return Err(ConvertError::Inexpressible {
            target: Engine::Cilium,
            pointer: format!("{sp}/endpointSelector"),
            reason: format!("the subject is the reserved entity {e}, not pods"),
        });
    }
    if es_ls.match_labels.contains_key(SA) || es_ls.match_expressions.iter().any(|r| r.key() == SA)
    {
        return Err(ConvertError::Inexpressible {
            target: Engine::Cilium,
            pointer: format!("{sp}/endpointSelector"),
            reason: "the subject is selected by service account".into(),
        });
    }
    let (pods, nss) = split_namespace_terms(&es_ls, ns_key);
    let mut annotations = metadata.annotations.clone().unwrap_or_default();
    if let Some(d) = description {
        annotations.insert("kubescribe.io/cilium-description".into(), d.clone());
    }
    if labels.as_ref().is_some_and(|l| !l.is_empty()) {
        cx.losses.push(loss(
            &format!("{sp}/labels"),
            "Cilium rule labels",
            "other engines have no per-rule labels",
            "dropped",
        ));
    }
    if log.is_some() {
        cx.losses.push(loss(
            &format!("{sp}/log"),
            "Hubble log value",
            "other engines have no per-policy flow annotation",
            "dropped",
        ));
    }
    let dd = enable_default_deny.as_ref();
    let mut ing_rules = Vec::new();
    for (i, r) in ingress_deny.iter().flatten().enumerate() {
        let l3 = L3 {
            endpoints: non_empty(&r.from_endpoints),
            cidr: non_empty(&r.from_cidr),
            cidr_set: non_empty(&r.from_cidr_set),
            entities: non_empty(&r.from_entities),
            fqdns: None,
            unsupported: vec![
                ("fromGroups", non_empty(&r.from_groups).is_some()),
                ("fromNodes", non_empty(&r.from_nodes).is_some()),
            ],
        };
        let dp: Option<Vec<&[Port]>> = r.to_ports.as_ref().map(|v| {
            v.iter()
                .map(|t| t.ports.as_deref().unwrap_or_default())
                .collect()
        });
        push_rule(
            Action::Deny,
            l3,
            "from",
            None,
            dp,
            r.icmps.as_deref(),
            format!("{sp}/ingressDeny/{i}"),
            &mut ing_rules,
            &mut cx,
        );
    }
    for (i, r) in ingress.iter().flatten().enumerate() {
        let rp = format!("{sp}/ingress/{i}");
        if r.authentication.is_some() {
            cx.losses.push(loss(
                &format!("{rp}/authentication"),
                "mutual authentication",
                "other engines cannot require authentication",
                "dropped; the rule allows without it",
            ));
        }
        let l3 = L3 {
            endpoints: non_empty(&r.from_endpoints),
            cidr: non_empty(&r.from_cidr),
            cidr_set: non_empty(&r.from_cidr_set),
            entities: non_empty(&r.from_entities),
            fqdns: None,
            unsupported: vec![
                ("fromGroups", non_empty(&r.from_groups).is_some()),
                ("fromNodes", non_empty(&r.from_nodes).is_some()),
            ],
        };
        push_rule(
            Action::Allow,
            l3,
            "from",
            r.to_ports.as_deref(),
            None,
            r.icmps.as_deref(),
            rp,
            &mut ing_rules,
            &mut cx,
        );
    }
    let mut eg_rules = Vec::new();
    for (i, r) in egress_deny.iter().flatten().enumerate() {
        let l3 = L3 {
            endpoints: non_empty(&r.to_endpoints),
            cidr: non_empty(&r.to_cidr),
            cidr_set: non_empty(&r.to_cidr_set),
            entities: non_empty(&r.to_entities),
            fqdns: None,
            unsupported: vec![
                ("toGroups", non_empty(&r.to_groups).is_some()),
                ("toNodes", non_empty(&r.to_nodes).is_some()),
                ("toServices", non_empty(&r.to_services).is_some()),
            ],
        };
        let dp: Option<Vec<&[Port]>> = r.to_ports.as_ref().map(|v| {
            v.iter()
                .map(|t| t.ports.as_deref().unwrap_or_default())
                .collect()
        });
        push_rule(
            Action::Deny,
            l3,
            "to",
            None,
            dp,
            r.icmps.as_deref(),
            format!("{sp}/egressDeny/{i}"),
            &mut eg_rules,
            &mut cx,
        );
    }
    for (i, r) in egress.iter().flatten().enumerate() {
        let rp = format!("{sp}/egress/{i}");
        if r.authentication.is_some() {
            cx.losses.push(loss(
                &format!("{rp}/authentication"),
                "mutual authentication",
                "other engines cannot require authentication",
                "dropped; the rule allows without it",
            ));
        }
        let l3 = L3 {
            endpoints: non_empty(&r.to_endpoints),
            cidr: non_empty(&r.to_cidr),
            cidr_set: non_empty(&r.to_cidr_set),
            entities: non_empty(&r.to_entities),
            fqdns: non_empty(&r.to_fqd_ns),
            unsupported: vec![
                ("toGroups", non_empty(&r.to_groups).is_some()),
                ("toNodes", non_empty(&r.to_nodes).is_some()),
                ("toServices", non_empty(&r.to_services).is_some()),
            ],
        };
        push_rule(
            Action::Allow,
            l3,
            "to",
            r.to_ports.as_deref(),
            None,
            r.icmps.as_deref(),
            rp,
            &mut eg_rules,
            &mut cx,
        );
    }
    let has_ing = non_empty(ingress).is_some() || non_empty(ingress_deny).is_some();
    let has_eg = non_empty(egress).is_some() || non_empty(egress_deny).is_some();
    let ing_dd = dd.and_then(|d| d.ingress);
    let eg_dd = dd.and_then(|d| d.egress);
    let direction = |has: bool, dd: Option<bool>, rules: Vec<Rule>| -> Option<Rules> {
        (has || dd == Some(true)).then_some(Rules {
            default_deny: dd.unwrap_or(true),
            rules,
        })
    };
    Ok(NetPolicy {
        name: metadata.name.clone().unwrap_or_default(),
        namespace: if cluster_wide {
            None
        } else {
            metadata.namespace.clone()
        },
        cluster_wide,
        labels: metadata.labels.clone().unwrap_or_default(),
        annotations,
        subject: Subject {
            pods: pods.to_selector(),
            namespaces: nss.to_selector(),
            pointer: format!("{sp}/endpointSelector"),
        },
        ingress: direction(has_ing, ing_dd, ing_rules),
        egress: direction(has_eg, eg_dd, eg_rules),
        order: None,
        source_kind: kind,
    })
}

/// Reads a Cilium policy: one IR policy per spec.
pub(super) fn read(
    kind: PolicyKind,
    metadata: &ObjectMeta,
    spec: Option<&CiliumNetworkPolicySpec>,
    specs: Option<&[CiliumNetworkPolicySpec]>,
    losses: &mut Vec<Loss>,
) -> Result<Vec<NetPolicy>, ConvertError> {
    let mut out = Vec::new();
    if let Some(s) = spec {
        out.push(read_spec(kind, metadata, s, "/spec", losses)?);
    }
    for (i, s) in specs.into_iter().flatten().enumerate() {
        out.push(read_spec(
            kind,
            metadata,
            s,
            &format!("/specs/{i}"),
            losses,
        )?);
    }
    let n = out.len();
    for (i, p) in out.iter_mut().enumerate() {
        p.name = super::nth_name(&p.name, i, n);
    }
    if out.is_empty() {
        return Err(ConvertError::Invalid {
            pointer: String::new(),
            message: "neither spec nor specs".into(),
        });
    }
    Ok(out)
}

// ------------------------------------------------------------------ writing

/// A Cilium endpoint selector from pod and namespace label selectors.
fn endpoint_json(pods: &LabelSelector, nss: Option<&LabelSelector>, sas: &[String]) -> Value {
    let mut all = pods.clone();
    if let Some(n) = nss {
        let key = |k: &str| {
            if k == NAMESPACE_NAME_KEY {
                format!("k8s:{NS_NAME}")
            } else {
                format!("k8s:{NS_LABELS}{k}")
            }
        };
        for (k, v) in &n.match_labels {
            all.match_labels.insert(key(k), v.clone());
        }
        for r in &n.match_expressions {
            all.match_expressions.push(match r {
                Requirement::In(k, v) => Requirement::In(key(k), v.clone()),
                Requirement::NotIn(k, v) => Requirement::NotIn(key(k), v.clone()),
                Requirement::Exists(k) => Requirement::Exists(key(k)),
                Requirement::DoesNotExist(k) => Requirement::DoesNotExist(key(k)),
            });
        }
        // Cilium confines a selector without the namespace key to the
        // policy's own namespace: any namespace, or those a label picks,
        // says the key exists.
        let ns_key = format!("k8s:{NS_NAME}");
        let names_namespace = all.match_labels.contains_key(&ns_key)
            || all.match_expressions.iter().any(|r| match r {
                Requirement::In(k, _)
                | Requirement::NotIn(k, _)
                | Requirement::Exists(k)
                | Requirement::DoesNotExist(k) => *k == ns_key,
            });
        if !names_namespace {
            all.match_expressions.push(Requirement::Exists(ns_key));
        }
    }
    match sas {
        [] => {}
        [one] => {
            all.match_labels.insert(format!("k8s:{SA}"), one.clone());
        }
        many => all.match_expressions.push(Requirement::In(
            format!("k8s:{SA}"),
            many.iter().cloned().collect(),
        )),
    }
    super::kubernetes::label_selector_json(&all)
}

fn ports_json(ports: &[PortMatch], deny: bool, losses: &mut Vec<Loss>) -> (Vec<Value>, Vec<Value>) {
    let mut l4 = Vec::new();
    let mut icmp = Vec::new();
    for p in ports {
        let proto = match p.protocol {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
            Protocol::AnyL4 => "ANY",
            Protocol::Other(n) => match n {
                112 => "VRRP",
                2 => "IGMP",
                47 => "GRE",
                4 => "IPIP",
                41 => "IPV6",
                50 => "ESP",
                51 => "AH",
                _ => {
                    losses.push(loss(
                        &p.pointer,
                        &format!("IP protocol {n}"),
                        "Cilium matches TCP, UDP, SCTP, ICMP and a few named protocols",
                        "port entry dropped",
                    ));
                    continue;
                }
            },
            Protocol::Icmp {
                v6,
                icmp_type,
                code,
            } => {
                let Some(t) = icmp_type else {
                    losses.push(loss(
                        &p.pointer,
                        "ICMP of every type",
                        "Cilium's icmps name one type each",
                        "port entry dropped",
                    ));
                    continue;
                };
                if code.is_some() {
                    losses.push(loss(
                        &p.pointer,
                        "ICMP code",
                        "Cilium matches ICMP types only",
                        "code dropped; every code of the type matches",
                    ));
                }
                icmp.push(json!({"family": if v6 { "IPv6" } else { "IPv4" }, "type": t}));
                continue;
            }
        };
        let mut v = json!({"protocol": proto});
        match &p.port {
            Some(PortRef::Number(n)) => v["port"] = json!(n.to_string()),
            Some(PortRef::Name(s)) => v["port"] = json!(s),
            None => v["port"] = json!("0"),
        }
        if let Some(e) = p.end_port {
            v["endPort"] = json!(e);
        }
        l4.push(v);
    }
    let _ = deny;
    let to_ports = l4
        .chunks(40)
        .map(|c| json!({"ports": c}))
        .collect::<Vec<_>>();
    let icmps = icmp
        .chunks(40)
        .map(|c| json!({"fields": c}))
        .collect::<Vec<_>>();
    (to_ports, icmps)
}

fn write_rule(
    r: &Rule,
    egress: bool,
    losses: &mut Vec<Loss>,
) -> Result<Option<Value>, ConvertError> {
    let side = if egress { "to" } else { "from" };
    let deny = r.action == Action::Deny;
    let mut endpoints = Vec::new();
    let mut cidrs = Vec::new();
    let mut entities: Vec<String> = Vec::new();
    let mut fqdns = Vec::new();
    for p in &r.peers {
        match p {
            Peer::Endpoints {
                pods,
                namespaces,
                service_accounts,
                pointer,
            } => {
                let pod_terms = match pods.to_label_selectors() {
                    Ok(t) => t,
                    Err(e) => {
                        losses.push(loss(pointer, "peer selector", &e.0, "peer dropped"));
                        continue;
                    }
                };
                let ns_terms = match namespaces {
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
                        None => endpoints.push(endpoint_json(pt, None, service_accounts)),
                        Some(nts) => {
                            for nt in nts {
                                endpoints.push(endpoint_json(pt, Some(nt), service_accounts));
                            }
                        }
                    }
                }
            }
            Peer::Cidr { cidr, except, .. } => {
                let mut v = json!({"cidr": cidr});
                if !except.is_empty() {
                    v["except"] = json!(except);
                }
                cidrs.push(v);
            }
            Peer::Entity { entity, .. } => {
                if !entities.contains(entity) {
                    entities.push(entity.clone());
                }
            }
            Peer::Fqdn { name, pointer } => {
                if !egress || deny {
                    losses.push(loss(
                        pointer,
                        "FQDN",
                        "Cilium matches DNS names in egress allow rules only",
                        "peer dropped",
                    ));
                    continue;
                }
                fqdns.push(match name {
                    FqdnMatch::Name(n) => json!({"matchName": n}),
                    FqdnMatch::Pattern(p) => json!({"matchPattern": p}),
                });
            }
        }
    }
    if !r.peers.is_empty()
        && endpoints.is_empty()
        && cidrs.is_empty()
        && entities.is_empty()
        && fqdns.is_empty()
    {
        losses.push(loss(
            &r.pointer,
            "rule",
            "none of its peers can be expressed in Cilium",
            "rule dropped",
        ));
        return Ok(None);
    }
    let (to_ports, icmps) = ports_json(&r.ports, deny, losses);
    if !r.ports.is_empty() && to_ports.is_empty() && icmps.is_empty() {
        losses.push(loss(
            &r.pointer,
            "rule",
            "none of its ports can be expressed in Cilium",
            "rule dropped",
        ));
        return Ok(None);
    }
    let mut v = json!({});
    if !endpoints.is_empty() {
        v[format!("{side}Endpoints")] = json!(endpoints);
    }
    if !cidrs.is_empty() {
        v[format!("{side}CIDRSet")] = json!(cidrs);
    }
    if !entities.is_empty() {
        v[format!("{side}Entities")] = json!(entities);
    }
    if !fqdns.is_empty() {
        v["toFQDNs"] = json!(fqdns);
    }
    if !to_ports.is_empty() {
        v["toPorts"] = json!(to_ports);
    }
    if !icmps.is_empty() {
        v["icmps"] = json!(icmps);
    }
    if r.peers.is_empty() && r.ports.is_empty() {
        // Every peer, every port: an empty Cilium rule would match nothing.
        v[format!("{side}Entities")] = json!(["all"]);
    }
    // toFQDNs and toPorts only: Cilium also needs DNS visibility, which is
    // the cluster's configuration, not the policy's.
    Ok(Some(v))
}

/// Writes Cilium policies for an IR policy.
pub(super) fn write(p: &NetPolicy, losses: &mut Vec<Loss>) -> Result<Vec<Value>, ConvertError> {
    let target = Engine::Cilium;
    let inexpressible = |e: super::selector::LowerError| ConvertError::Inexpressible {
        target,
        pointer: p.subject.pointer.clone(),
        reason: e.0,
    };
    let pod_terms = p.subject.pods.to_label_selectors().map_err(inexpressible)?;
    let ns_terms = if p.subject.namespaces.is_all() {
        None
    } else {
        Some(
            p.subject
                .namespaces
                .to_label_selectors()
                .map_err(inexpressible)?,
        )
    };
    let mut selectors = Vec::new();
    for pt in &pod_terms {
        match &ns_terms {
            None => selectors.push(endpoint_json(pt, None, &[])),
            Some(nts) => {
                for nt in nts {
                    selectors.push(endpoint_json(pt, Some(nt), &[]));
                }
            }
        }
    }
    if selectors.is_empty() {
        losses.push(loss(
            &p.subject.pointer,
            "subject",
            "the selector matches no pod",
            "no policy written",
        ));
        return Ok(Vec::new());
    }
    if let Some(o) = p.order {
        losses.push(loss(
            "/spec/order",
            "order",
            &format!("Cilium policies are unordered; deny rules win (order {o})"),
            "dropped",
        ));
    }
    let mut body = json!({});
    let mut default_deny = json!({});
    for (key, deny_key, egress, rules) in [
        ("ingress", "ingressDeny", false, &p.ingress),
        ("egress", "egressDeny", true, &p.egress),
    ] {
        let Some(rules) = rules else { continue };
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        let mut seen_allow = false;
        for r in &rules.rules {
            match r.action {
                Action::Allow => {
                    seen_allow = true;
                    if let Some(v) = write_rule(r, egress, losses)? {
                        allows.push(v);
                    }
                }
                Action::Deny => {
                    if seen_allow {
                        losses.push(loss(
                            &r.pointer,
                            "rule order",
                            "this Deny follows an Allow; Cilium's deny rules win regardless of order",
                            "written as a deny rule (traffic matching an earlier Allow too is now denied)",
                        ));
                    }
                    if let Some(v) = write_rule(r, egress, losses)? {
                        denies.push(v);
                    }
                }
                Action::Pass => losses.push(loss(
                    &r.pointer,
                    "Pass rule",
                    "Cilium has no tiers to pass to",
                    "rule dropped",
                )),
                Action::Log => losses.push(loss(
                    &r.pointer,
                    "Log rule",
                    "Cilium has no per-rule logging",
                    "rule dropped (it did not decide verdicts)",
                )),
            }
        }
        if allows.is_empty() && denies.is_empty() {
            // Govern the direction with a rule that matches nothing.
            allows.push(json!({}));
        }
        if !allows.is_empty() {
            body[key] = json!(allows);
        }
        if !denies.is_empty() {
            body[deny_key] = json!(denies);
        }
        if !rules.default_deny {
            default_deny[key] = json!(false);
        }
    }
    if body.as_object().is_some_and(|m| m.is_empty()) {
        losses.push(loss(
            &p.subject.pointer,
            "policy without directions",
            "a Cilium policy needs ingress or egress rules",
            "no policy written",
        ));
        return Ok(Vec::new());
    }
    if default_deny.as_object().is_some_and(|m| !m.is_empty()) {
        body["enableDefaultDeny"] = default_deny;
    }
    let description = p
        .annotations
        .get("kubescribe.io/cilium-description")
        .cloned();
    let specs: Vec<Value> = selectors
        .into_iter()
        .map(|s| {
            let mut spec = body.clone();
            spec["endpointSelector"] = s;
            if let Some(d) = &description {
                spec["description"] = json!(d);
            }
            spec
        })
        .collect();
    let mut meta = json!({"name": p.name});
    if !p.cluster_wide
        && let Some(ns) = &p.namespace
    {
        meta["namespace"] = json!(ns);
    }
    if !p.labels.is_empty() {
        meta["labels"] = json!(p.labels);
    }
    let annotations: std::collections::BTreeMap<_, _> = p
        .annotations
        .iter()
        .filter(|(k, _)| *k != "kubescribe.io/cilium-description")
        .collect();
    if !annotations.is_empty() {
        meta["annotations"] = json!(annotations);
    }
    let mut v = json!({
        "apiVersion": "cilium.io/v2",
        "kind": if p.cluster_wide { "CiliumClusterwideNetworkPolicy" } else { "CiliumNetworkPolicy" },
        "metadata": meta,
    });
    if specs.len() == 1 {
        v["spec"] = specs.into_iter().next().unwrap_or_default();
    } else {
        v["specs"] = json!(specs);
    }
    Ok(vec![v])
}
