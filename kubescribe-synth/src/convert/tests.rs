//! Structural tests of the conversion: mappings, losses, refusals.

use serde_json::{Value, json};

use super::*;

fn policy(v: Value) -> Policy {
    Policy::from_value(v).unwrap()
}

fn conv(v: Value, to: Engine) -> (Vec<Value>, Vec<Loss>) {
    let c = convert(&policy(v), to, false).unwrap();
    (
        c.policies.iter().map(|p| p.to_value().unwrap()).collect(),
        c.losses,
    )
}

fn has_loss(losses: &[Loss], pointer: &str, feature: &str) -> bool {
    losses
        .iter()
        .any(|l| l.pointer == pointer && l.feature.contains(feature))
}

fn k8s_web() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [
                    {"podSelector": {"matchLabels": {"app": "lb"}}},
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mon"}},
                     "podSelector": {"matchExpressions": [{"key": "role", "operator": "In", "values": ["prom", "agent"]}]}},
                    {"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}}
                ],
                "ports": [{"protocol": "TCP", "port": 8080, "endPort": 8090}, {"port": "metrics"}]
            }],
            "egress": [{"to": [{"namespaceSelector": {}}], "ports": [{"protocol": "UDP", "port": 53}]}]
        }
    })
}

#[test]
fn kubernetes_to_cilium_maps_namespaces_ports_and_cidrs() {
    let (out, losses) = conv(k8s_web(), Engine::Cilium);
    assert!(losses.is_empty(), "{losses:?}");
    assert_eq!(out.len(), 1);
    let spec = &out[0]["spec"];
    assert_eq!(out[0]["kind"], "CiliumNetworkPolicy");
    assert_eq!(out[0]["metadata"]["namespace"], "shop");
    assert_eq!(
        spec["endpointSelector"],
        json!({"matchLabels": {"app": "web"}})
    );
    let ing = &spec["ingress"][0];
    assert_eq!(
        ing["fromEndpoints"][0],
        json!({"matchLabels": {"app": "lb"}})
    );
    assert_eq!(
        ing["fromEndpoints"][1],
        json!({"matchLabels": {"k8s:io.kubernetes.pod.namespace": "mon"},
               "matchExpressions": [{"key": "role", "operator": "In", "values": ["agent", "prom"]}]})
    );
    assert_eq!(
        ing["fromCIDRSet"][0],
        json!({"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]})
    );
    assert_eq!(
        ing["toPorts"][0]["ports"],
        json!([{"endPort": 8090, "port": "8080", "protocol": "TCP"}, {"port": "metrics", "protocol": "TCP"}])
    );
    // namespaceSelector: {} is every namespace.
    assert_eq!(
        spec["egress"][0]["toEndpoints"][0],
        json!({"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]})
    );
}

#[test]
fn kubernetes_to_calico_uses_selector_expressions() {
    let (out, losses) = conv(k8s_web(), Engine::Calico);
    assert!(losses.is_empty(), "{losses:?}");
    let spec = &out[0]["spec"];
    assert_eq!(out[0]["kind"], "NetworkPolicy");
    assert_eq!(spec["selector"], "app == 'web'");
    assert_eq!(spec["types"], json!(["Ingress", "Egress"]));
    let ing = spec["ingress"].as_array().unwrap();
    // 3 peers x 1 protocol.
    assert_eq!(ing.len(), 3);
    assert_eq!(ing[0]["source"], json!({"selector": "app == 'lb'"}));
    assert_eq!(
        ing[0]["destination"]["ports"],
        json!(["8080:8090", "metrics"])
    );
    assert_eq!(
        ing[1]["source"],
        json!({"namespaceSelector": "kubernetes.io/metadata.name == 'mon'", "selector": "role in {'agent', 'prom'}"})
    );
    assert_eq!(
        ing[2]["source"],
        json!({"nets": ["203.0.113.0/24"], "notNets": ["203.0.113.128/25"]})
    );
    assert_eq!(
        spec["egress"][0]["destination"]["namespaceSelector"],
        "all()"
    );
    assert_eq!(spec["egress"][0]["protocol"], "UDP");
}

#[test]
fn round_trips_through_every_engine_keep_the_ir() {
    let src = policy(k8s_web());
    let (ir, _) = from_policy(&src).unwrap();
    for via in [Engine::Cilium, Engine::Calico] {
        let there = convert(&src, via, true).unwrap();
        let back = convert(&there.policies[0], Engine::Kubernetes, true).unwrap();
        let (ir2, _) = from_policy(&back.policies[0]).unwrap();
        let strip = |p: &NetPolicy| {
            let mut p = p.clone();
            p.source_kind = PolicyKind::NetworkPolicy;
            p.subject.pointer.clear();
            for r in p.ingress.iter_mut().chain(p.egress.iter_mut()) {
                for rule in &mut r.rules {
                    rule.pointer.clear();
                    rule.peers.iter_mut().for_each(|x| match x {
                        Peer::Endpoints { pointer, .. }
                        | Peer::Cidr { pointer, .. }
                        | Peer::Entity { pointer, .. }
                        | Peer::Fqdn { pointer, .. } => pointer.clear(),
                    });
                    rule.ports.iter_mut().for_each(|x| x.pointer.clear());
                }
            }
            p
        };
        // Calico splits rules per peer; compare the Cilium trip exactly and
        // the Calico one by the policy it gives back.
        if via == Engine::Cilium {
            assert_eq!(strip(&ir[0]), strip(&ir2[0]), "via {via}");
        } else {
            let k8s_again = back.policies[0].to_value().unwrap();
            let (ir3, _) = from_policy(&policy(k8s_again)).unwrap();
            assert_eq!(strip(&ir2[0]), strip(&ir3[0]));
            assert_eq!(ir2[0].ingress.as_ref().unwrap().rules.len(), 3);
        }
    }
}

fn calico_ordered() -> Value {
    json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {
            "selector": "app == 'db' || role == 'db'",
            "order": 100,
            "types": ["Ingress"],
            "ingress": [
                {"action": "Deny", "source": {"nets": ["198.51.100.0/24"]}},
                {"action": "Allow", "protocol": "TCP",
                 "source": {"selector": "app == 'api'"}, "destination": {"ports": [5432]}},
                {"action": "Pass", "source": {"selector": "app == 'debug'"}}
            ]
        }
    })
}

#[test]
fn calico_deny_becomes_cilium_ingress_deny_and_or_selectors_become_specs() {
    let (out, losses) = conv(calico_ordered(), Engine::Cilium);
    assert!(has_loss(&losses, "/spec/order", "order"), "{losses:?}");
    assert!(
        has_loss(&losses, "/spec/ingress/2", "Pass rule"),
        "{losses:?}"
    );
    assert_eq!(losses.len(), 2, "{losses:?}");
    let specs = out[0]["specs"].as_array().unwrap();
    assert_eq!(specs.len(), 2);
    assert_eq!(
        specs[0]["endpointSelector"],
        json!({"matchLabels": {"app": "db"}})
    );
    assert_eq!(
        specs[1]["endpointSelector"],
        json!({"matchLabels": {"role": "db"}})
    );
    assert_eq!(
        specs[0]["ingressDeny"],
        json!([{"fromCIDRSet": [{"cidr": "198.51.100.0/24"}]}])
    );
    assert_eq!(
        specs[0]["ingress"],
        json!([{"fromEndpoints": [{"matchLabels": {"app": "api"}}],
                "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}])
    );
}

#[test]
fn calico_to_kubernetes_reports_deny_pass_order_and_splits_or() {
    let (out, losses) = conv(calico_ordered(), Engine::Kubernetes);
    assert_eq!(
        out.len(),
        2,
        "one NetworkPolicy per term of the || selector"
    );
    assert_eq!(out[0]["metadata"]["name"], "db-1");
    assert_eq!(
        out[1]["spec"]["podSelector"],
        json!({"matchLabels": {"role": "db"}})
    );
    assert!(
        has_loss(&losses, "/spec/ingress/0", "Deny rule"),
        "{losses:?}"
    );
    assert!(
        has_loss(&losses, "/spec/ingress/2", "Pass rule"),
        "{losses:?}"
    );
    assert!(has_loss(&losses, "/spec/order", "order"), "{losses:?}");
    for l in &losses {
        assert!(!l.reason.is_empty() && !l.action.is_empty());
    }
    // --strict refuses it, listing the same losses.
    match convert(&policy(calico_ordered()), Engine::Kubernetes, true) {
        Err(ConvertError::Strict {
            count, losses: l, ..
        }) => {
            assert_eq!(count, losses.len());
            assert_eq!(l, losses);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_allow_before_a_deny_is_an_order_loss_for_cilium() {
    let mut v = calico_ordered();
    v["spec"]["ingress"] = json!([
        {"action": "Allow", "source": {"selector": "app == 'api'"}},
        {"action": "Deny", "source": {"selector": "app == 'api' && env == 'dev'"}}
    ]);
    v["spec"]["selector"] = json!("app == 'db'");
    v["spec"].as_object_mut().unwrap().remove("order");
    let (_, losses) = conv(v, Engine::Cilium);
    assert!(
        has_loss(&losses, "/spec/ingress/1", "rule order"),
        "{losses:?}"
    );
}

fn cilium_rich() -> Value {
    json!({
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {
            "endpointSelector": {"matchLabels": {"app": "api"}},
            "ingress": [
                {"fromEndpoints": [{"matchLabels": {"app": "web"}}],
                 "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                              "rules": {"http": [{"method": "GET", "path": "/v1/.*"}]}}]},
                {"fromEntities": ["world"]}
            ],
            "egress": [
                {"toFQDNs": [{"matchName": "api.example.com"}],
                 "toPorts": [{"ports": [{"port": "443", "protocol": "ANY"}]}]},
                {"toEntities": ["kube-apiserver"]}
            ],
            "egressDeny": [{"toCIDR": ["169.254.169.254/32"]}]
        }
    })
}

#[test]
fn cilium_l7_fqdn_entities_and_deny_to_kubernetes_are_losses() {
    let (out, losses) = conv(cilium_rich(), Engine::Kubernetes);
    assert!(
        has_loss(&losses, "/spec/ingress/0/toPorts/0/rules", "L7 HTTP"),
        "{losses:?}"
    );
    assert!(
        has_loss(&losses, "/spec/ingress/1/fromEntities/0", "entity world"),
        "{losses:?}"
    );
    assert!(
        has_loss(&losses, "/spec/egress/0/toFQDNs/0", "FQDN"),
        "{losses:?}"
    );
    assert!(
        has_loss(
            &losses,
            "/spec/egress/1/toEntities/0",
            "entity kube-apiserver"
        ),
        "{losses:?}"
    );
    assert!(
        has_loss(&losses, "/spec/egressDeny/0", "Deny rule"),
        "{losses:?}"
    );
    let spec = &out[0]["spec"];
    // L7 dropped, L4 kept.
    assert_eq!(
        spec["ingress"][0],
        json!({"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 80, "protocol": "TCP"}]})
    );
    // world approximated.
    assert_eq!(
        spec["ingress"][1]["from"],
        json!([{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}])
    );
    // The FQDN rule lost its only peer: dropped, not widened to "any".
    assert!(spec.get("egress").is_none(), "{spec}");
    assert_eq!(spec["policyTypes"], json!(["Ingress", "Egress"]));
}

#[test]
fn cilium_world_to_calico_nets_and_deny_to_calico_deny() {
    let (out, losses) = conv(cilium_rich(), Engine::Calico);
    let spec = &out[0]["spec"];
    let ing = spec["ingress"].as_array().unwrap();
    assert_eq!(ing[1]["source"], json!({"nets": ["0.0.0.0/0"]}));
    assert_eq!(ing[2]["source"], json!({"nets": ["::/0"]}));
    assert!(has_loss(
        &losses,
        "/spec/ingress/1/fromEntities/0",
        "entity world"
    ));
    // Deny first, then the egress allows (ANY expanded per protocol; the FQDN rule dropped).
    let eg = spec["egress"].as_array().unwrap();
    assert_eq!(
        eg[0],
        json!({"action": "Deny", "destination": {"nets": ["169.254.169.254/32"]}})
    );
    assert!(has_loss(&losses, "/spec/egress/0/toFQDNs/0", "FQDN"));
}

#[test]
fn empty_cilium_rule_is_deny_all_and_any_port_expands() {
    let v = json!({
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "lock", "namespace": "shop"},
        "spec": {
            "endpointSelector": {},
            "ingress": [{}],
            "egress": [{"toPorts": [{"ports": [{"port": "53"}]}]}]
        }
    });
    let (out, losses) = conv(v, Engine::Kubernetes);
    assert!(losses.is_empty(), "{losses:?}");
    let spec = &out[0]["spec"];
    assert!(spec.get("ingress").is_none());
    assert_eq!(spec["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(
        spec["egress"][0]["ports"],
        json!([{"port": 53, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "SCTP"}])
    );
    // And back: deny-all ingress is `ingress: [{}]` again.
    let k = policy(out[0].clone());
    let back = convert(&k, Engine::Cilium, true).unwrap();
    assert_eq!(
        back.policies[0].to_value().unwrap()["spec"]["ingress"],
        json!([{}])
    );
}

#[test]
fn cluster_wide_policies() {
    let gnp = json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "dns"},
        "spec": {
            "selector": "all()",
            "namespaceSelector": "kubernetes.io/metadata.name in {'a', 'b'}",
            "types": ["Egress"],
            "egress": [{"action": "Allow", "protocol": "UDP",
                        "destination": {"selector": "k8s-app == 'kube-dns'", "namespaceSelector": "projectcalico.org/name == 'kube-system'", "ports": [53]}}]
        }
    });
    // Named namespaces: one NetworkPolicy each, no loss.
    let (out, losses) = conv(gnp.clone(), Engine::Kubernetes);
    assert!(losses.is_empty(), "{losses:?}");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["metadata"]["namespace"], "a");
    assert_eq!(out[1]["metadata"]["namespace"], "b");
    assert_eq!(
        out[0]["spec"]["egress"][0]["to"][0],
        json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
               "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}})
    );
    let (out, losses) = conv(gnp.clone(), Engine::Cilium);
    assert!(losses.is_empty(), "{losses:?}");
    assert_eq!(out[0]["kind"], "CiliumClusterwideNetworkPolicy");
    assert_eq!(
        out[0]["spec"]["endpointSelector"],
        json!({"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "In", "values": ["a", "b"]}]})
    );
    // Unnamed namespaces: a loss for Kubernetes.
    let mut g2 = gnp;
    g2["spec"]["namespaceSelector"] = json!("team == 'x'");
    let (out, losses) = conv(g2, Engine::Kubernetes);
    assert_eq!(out.len(), 1);
    assert!(out[0]["metadata"].get("namespace").is_none());
    assert!(
        has_loss(&losses, "/spec/selector", "cluster-wide"),
        "{losses:?}"
    );
    assert!(losses[0].action.contains("team == 'x'"), "{losses:?}");
}

#[test]
fn inexpressible_subjects_are_refused_with_a_pointer() {
    let v = json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "x", "namespace": "shop"},
        "spec": {"selector": "app starts with 'web'", "types": ["Ingress"]}
    });
    match convert(&policy(v), Engine::Kubernetes, false) {
        Err(ConvertError::Inexpressible { pointer, .. }) => assert_eq!(pointer, "/spec/selector"),
        other => panic!("{other:?}"),
    }
    let bad = json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "x", "namespace": "shop"},
        "spec": {"selector": "app == ", "types": ["Ingress"]}
    });
    match convert(&policy(bad), Engine::Cilium, false) {
        Err(ConvertError::Invalid { pointer, .. }) => assert_eq!(pointer, "/spec/selector"),
        other => panic!("{other:?}"),
    }
    let ka = json!({
        "apiVersion": "security.kubearmor.com/v1",
        "kind": "KubeArmorPolicy",
        "metadata": {"name": "x", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "process": {"matchPaths": [{"path": "/bin/sh"}]}, "action": "Block"}
    });
    assert!(matches!(
        convert(&policy(ka), Engine::Cilium, false),
        Err(ConvertError::NotNetworkPolicy { .. })
    ));
}

#[test]
fn same_engine_is_identity() {
    let p = policy(cilium_rich());
    let c = convert(&p, Engine::Cilium, true).unwrap();
    assert_eq!(c.policies, vec![p]);
}

#[test]
fn calico_icmp_and_service_accounts() {
    let v = json!({
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "ping", "namespace": "shop"},
        "spec": {
            "selector": "app == 'web'",
            "ingress": [
                {"action": "Allow", "protocol": "ICMP", "icmp": {"type": 8, "code": 0}},
                {"action": "Allow", "source": {"serviceAccounts": {"names": ["api"]}}}
            ]
        }
    });
    let (out, losses) = conv(v.clone(), Engine::Cilium);
    assert!(
        has_loss(&losses, "/spec/ingress/0/protocol", "ICMP code"),
        "{losses:?}"
    );
    let ing = &out[0]["spec"]["ingress"];
    assert_eq!(
        ing[0]["icmps"],
        json!([{"fields": [{"family": "IPv4", "type": 8}]}])
    );
    assert_eq!(
        ing[1]["fromEndpoints"],
        json!([{"matchLabels": {"k8s:io.cilium.k8s.policy.serviceaccount": "api"}}])
    );
    let (_, losses) = conv(v, Engine::Kubernetes);
    assert!(
        has_loss(&losses, "/spec/ingress/0/protocol", "ICMP"),
        "{losses:?}"
    );
    assert!(
        has_loss(&losses, "/spec/ingress/1/source", "service accounts"),
        "{losses:?}"
    );
}
