//! Kubernetes NetworkPolicy.

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::flow::{Endpoint, Flow, Way};
use super::selector::LabelView;
use super::tri::Tri;
use super::{AllowList, Decision, Note, PolicyRef};

pub(crate) struct Compiled {
    r: PolicyRef,
    namespace: String,
    np: NetworkPolicy,
    ingress: bool,
    egress: bool,
}

impl Compiled {
    pub fn new(r: PolicyRef, np: &NetworkPolicy, notes: &mut Vec<Note>) -> Compiled {
        let spec = np.spec.clone().unwrap_or_default();
        let (ingress, egress) = match &spec.policy_types {
            Some(t) => (
                t.iter().any(|x| x == "Ingress"),
                t.iter().any(|x| x == "Egress"),
            ),
            None => (true, spec.egress.is_some()),
        };
        if np.metadata.namespace.is_none() {
            notes.push(Note {
                policy: r.clone(),
                pointer: "/metadata/namespace".into(),
                message: "no namespace given; simulated as namespace `default`".into(),
            });
        }
        Compiled {
            namespace: np
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into()),
            r,
            np: np.clone(),
            ingress,
            egress,
        }
    }
}

/// A `LabelSelector` against a label view.
pub(crate) fn label_selector(sel: &LabelSelector, view: &LabelView<'_>) -> Tri {
    let labels = view.match_labels(
        sel.match_labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    labels.and(|| {
        Tri::all(
            sel.match_expressions
                .iter()
                .flatten()
                .map(|e| view.requirement(&e.key, &e.operator, e.values.as_deref().unwrap_or(&[]))),
        )
    })
}

fn peer(p: &NetworkPolicyPeer, remote: &Endpoint<'_>, policy_ns: &str) -> Tri {
    if let Some(b) = &p.ip_block {
        return remote.ip_in(&b.cidr, b.except.as_deref().unwrap_or(&[]));
    }
    let ns = match &p.namespace_selector {
        Some(ns_sel) => remote
            .is_pod()
            .and(|| label_selector(ns_sel, &remote.ns_view())),
        None => remote.in_namespace(policy_ns),
    };
    ns.and(|| match &p.pod_selector {
        Some(ps) => label_selector(ps, &remote.view()),
        None => Tri::Yes,
    })
}

fn port(p: &NetworkPolicyPort, flow: &Flow<'_>) -> Tri {
    let protocol = p.protocol.as_deref().unwrap_or("TCP");
    flow.protocol_is(protocol).and(|| match &p.port {
        None => Tri::Yes,
        Some(IntOrString::Int(n)) => {
            let start = u16::try_from(*n).unwrap_or(0);
            let end = p.end_port.and_then(|e| u16::try_from(e).ok());
            if start == 0 {
                Tri::No
            } else {
                flow.dst_port_in(start, end)
            }
        }
        Some(IntOrString::String(name)) => match name.parse::<u16>() {
            Ok(n) if n > 0 => flow.dst_port_in(n, None),
            _ => flow.dst_named_port(name, protocol),
        },
    })
}

pub(crate) fn decide(policies: &[Compiled], flow: &Flow<'_>) -> Option<Decision> {
    let mut acc = AllowList::new();
    let way = flow.way.as_str();
    for c in policies {
        let has_type = match flow.way {
            Way::Ingress => c.ingress,
            Way::Egress => c.egress,
        };
        if !has_type {
            continue;
        }
        let spec = c.np.spec.as_ref();
        let selects = flow.local.in_namespace(&c.namespace).and(|| {
            match spec.and_then(|s| s.pod_selector.as_ref()) {
                Some(sel) => label_selector(sel, &flow.local.view()),
                None => Tri::Yes,
            }
        });
        if selects.is_no() {
            continue;
        }
        let list = format!("/spec/{way}");
        acc.policy(&c.r, selects.clone(), &list);
        let Some(spec) = spec else { continue };
        match flow.way {
            Way::Ingress => {
                for (i, rule) in spec.ingress.iter().flatten().enumerate() {
                    let m = peers(rule.from.as_deref(), flow, &c.namespace)
                        .and(|| ports(rule.ports.as_deref(), flow));
                    acc.rule(&c.r, &selects, m, format!("{list}/{i}"));
                }
            }
            Way::Egress => {
                for (i, rule) in spec.egress.iter().flatten().enumerate() {
                    let m = peers(rule.to.as_deref(), flow, &c.namespace)
                        .and(|| ports(rule.ports.as_deref(), flow));
                    acc.rule(&c.r, &selects, m, format!("{list}/{i}"));
                }
            }
        }
    }
    acc.decide(way)
}

fn peers(list: Option<&[NetworkPolicyPeer]>, flow: &Flow<'_>, ns: &str) -> Tri {
    match list {
        None | Some([]) => Tri::Yes,
        Some(ps) => Tri::any(ps.iter().map(|p| peer(p, &flow.remote, ns))),
    }
}

fn ports(list: Option<&[NetworkPolicyPort]>, flow: &Flow<'_>) -> Tri {
    match list {
        None | Some([]) => Tri::Yes,
        Some(ps) => Tri::any(ps.iter().map(|p| port(p, flow))),
    }
}
