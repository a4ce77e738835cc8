use super::*;
use kubescribe_events::cluster::{ClusterSnapshot, PodPort, ServicePort};
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
fn selector_value_far_from_every_pod_value_names_the_values_pods_carry() {
    // Was: "no pod has a `app` label; did you mean `app`?" (pods carry app).
    let d = check(
        &netpol("shop", "frontend-gateway", "db", json!(8080)),
        &mut cluster(),
    )
    .unwrap();
    let fix = d[0].fix.as_ref().unwrap();
    assert_eq!(
        fix.message,
        "no pod has app=frontend-gateway; pods carry app=db, app=plain, app=web"
    );
    assert_eq!(fix.replacement, None);
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
