//! Cilium's HTTP rules (`toPorts[].rules.http`) and `toServices`, judged on
//! flows as Hubble reports them.
//!
//! Expectations come from upstream:
//! * the Star Wars demo (`Documentation/gettingstarted/demo.rst`, policy
//!   `examples/minikube/sw_l3_l4_l7_policy.yaml` in the corpus): with the
//!   L7 policy, a tiefighter's `POST /v1/request-landing` lands, its
//!   `PUT /v1/exhaust-port` is "Access denied", and an xwing (org=alliance)
//!   is dropped at L3;
//! * Cilium's policy-language docs on HTTP rules (`Documentation/security/
//!   policy/language.rst`): method, path and host are extended POSIX
//!   regexes matched against the whole value, an entry with several fields
//!   needs them all;
//! * the same page on `toServices` with the corpus examples
//!   `examples/policies/l3/service/service.yaml` and `service-labels.yaml`:
//!   a Service without a selector allows its Endpoints' addresses.

use std::collections::BTreeMap;

use kubescribe_core::Policy;
use kubescribe_events::manifest::workload;
use kubescribe_events::{
    Direction, Event, EventKind, HttpRequest, NetworkEvent, Peer, PodMeta, SourceEngine,
};
use kubescribe_simulate::{Inventory, SimOptions, Simulator, Verdict};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn policy(yaml: &str) -> Policy {
    let v: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
    Policy::from_value(v).unwrap()
}

/// An ingress flow to the deathstar on 80/TCP from a pod with `src` labels,
/// carrying `http` when an L7 proxy saw the request.
fn to_deathstar(src: &[(&str, &str)], http: Option<HttpRequest>) -> Event {
    Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some("default".into()),
            pod: Some("deathstar-6fb5694d48-5hmds".into()),
            labels: labels(&[("org", "empire"), ("class", "deathstar")]),
            ..PodMeta::default()
        },
        validity: Default::default(),
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: "TCP".into(),
            direction: Direction::Ingress,
            local_ip: Some("10.0.0.9".into()),
            local_port: Some(80),
            remote_ip: Some("10.0.0.5".into()),
            remote_port: None,
            peer: Some(Peer {
                namespace: Some("default".into()),
                pod: Some("ship".into()),
                labels: labels(src),
            }),
            dns_name: None,
            process: None,
            http,
        }),
    }
}

fn req(method: &str, path: &str) -> Option<HttpRequest> {
    Some(HttpRequest {
        method: Some(method.into()),
        path: Some(path.into()),
        host: Some("deathstar.default.svc.cluster.local".into()),
    })
}

const TIEFIGHTER: &[(&str, &str)] = &[("org", "empire"), ("class", "tiefighter")];
const XWING: &[(&str, &str)] = &[("org", "alliance"), ("class", "xwing")];

fn star_wars() -> Simulator {
    // The demo policy, from the corpus when KUBESCRIBE_CORPUS is set (a
    // relative path resolved as every corpus test does; a missing file
    // fails), else the same text, so the test also runs without it.
    let corpus =
        std::env::var_os("KUBESCRIBE_CORPUS").and_then(|_| kubescribe_testkit::corpus::corpus());
    let text = corpus
        .map(|c| {
            let p =
                c.join("policies/cilium/cilium-cilium/examples/minikube/sw_l3_l4_l7_policy.yaml");
            std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .unwrap_or_else(|| {
            r#"
apiVersion: "cilium.io/v2"
kind: CiliumNetworkPolicy
metadata: {name: rule1}
spec:
  endpointSelector: {matchLabels: {org: empire, class: deathstar}}
  ingress:
  - fromEndpoints: [{matchLabels: {org: empire}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules:
        http: [{method: "POST", path: "/v1/request-landing"}]
"#
            .to_string()
        });
    Simulator::new(&[policy(&text)], SimOptions::default()).unwrap()
}

#[test]
fn star_wars_demo_l7_verdicts() {
    let sim = star_wars();
    let verdict = |e: Event| sim.decide(&e);
    let landing = verdict(to_deathstar(TIEFIGHTER, req("POST", "/v1/request-landing")));
    assert_eq!(landing.verdict, Verdict::Allow, "{}", landing.reason);
    let exhaust = verdict(to_deathstar(TIEFIGHTER, req("PUT", "/v1/exhaust-port")));
    assert_eq!(exhaust.verdict, Verdict::Block, "{}", exhaust.reason);
    // The path is matched whole: a longer path is another resource.
    let longer = verdict(to_deathstar(
        TIEFIGHTER,
        req("POST", "/v1/request-landing/now"),
    ));
    assert_eq!(longer.verdict, Verdict::Block, "{}", longer.reason);
    // Method is matched whole too ("POST" does not match "POSTX").
    let method = verdict(to_deathstar(
        TIEFIGHTER,
        req("POSTX", "/v1/request-landing"),
    ));
    assert_eq!(method.verdict, Verdict::Block, "{}", method.reason);
    // The xwing is dropped at L3, whatever it asks.
    let xwing = verdict(to_deathstar(XWING, req("POST", "/v1/request-landing")));
    assert_eq!(xwing.verdict, Verdict::Block, "{}", xwing.reason);
    let xwing_l4 = verdict(to_deathstar(XWING, None));
    assert_eq!(xwing_l4.verdict, Verdict::Block, "{}", xwing_l4.reason);
    // An L4 record of the tiefighter's connection says nothing of its
    // requests: not guessed.
    let l4 = verdict(to_deathstar(TIEFIGHTER, None));
    assert_eq!(l4.verdict, Verdict::Unknown, "{}", l4.reason);
    assert!(l4.reason.contains("HTTP"), "{}", l4.reason);
}

#[test]
fn http_rule_regexes_host_and_headers() {
    let sim = Simulator::new(
        &[policy(
            r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: api}
spec:
  endpointSelector: {matchLabels: {org: empire, class: deathstar}}
  ingress:
  - toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules:
        http:
        - {method: "GET", path: "/public/.*"}
        - {method: "PUT|POST", path: "/v1/.*", host: "deathstar\\.default\\.svc\\.cluster\\.local"}
        - {path: "/secret", headers: ["X-Token: 42"]}
        - {path: "/bad(", method: "GET"}
"#,
        )],
        SimOptions::default(),
    )
    .unwrap();
    let v = |method: &str, path: &str, host: Option<&str>| {
        sim.decide(&to_deathstar(
            TIEFIGHTER,
            Some(HttpRequest {
                method: Some(method.into()),
                path: Some(path.into()),
                host: host.map(String::from),
            }),
        ))
    };
    let host = Some("deathstar.default.svc.cluster.local");
    assert_eq!(v("GET", "/public/index.html", host).verdict, Verdict::Allow);
    assert_eq!(v("PUT", "/v1/x", host).verdict, Verdict::Allow);
    assert_eq!(
        v("PUT", "/v1/x", Some("evil.example")).verdict,
        Verdict::Block
    );
    // The host rule cannot be judged without a host; the other rules do
    // not match, the regex that does not compile is named.
    let no_host = v("PUT", "/v1/x", None);
    assert_eq!(no_host.verdict, Verdict::Unknown, "{}", no_host.reason);
    // Header rules need headers, which events do not keep.
    let secret = v("DELETE", "/secret", host);
    assert_eq!(secret.verdict, Verdict::Unknown, "{}", secret.reason);
    assert!(secret.reason.contains("header"), "{}", secret.reason);
    // A GET of a path only the broken regex could match is not guessed.
    let bad = v("GET", "/bad", host);
    assert_eq!(bad.verdict, Verdict::Unknown, "{}", bad.reason);
}

/// An egress flow from app2 to `ip`:9000/TCP, its peer an external address
/// (no pod labels) unless `peer` gives the pod's labels.
fn from_app2(ip: &str, peer: Option<&[(&str, &str)]>) -> Event {
    Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some("default".into()),
            pod: Some("app2-7d9f8c-abcde".into()),
            labels: labels(&[("id", "app2")]),
            ..PodMeta::default()
        },
        validity: Default::default(),
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: "TCP".into(),
            direction: Direction::Egress,
            local_ip: Some("10.0.0.2".into()),
            local_port: None,
            remote_ip: Some(ip.into()),
            remote_port: Some(9000),
            peer: Some(match peer {
                Some(l) => Peer {
                    namespace: Some("default".into()),
                    pod: Some("backend-1".into()),
                    labels: labels(l),
                },
                None => Peer {
                    labels: labels(&[("reserved:world", "")]),
                    ..Peer::default()
                },
            }),
            dns_name: None,
            process: None,
            http: None,
        }),
    }
}

fn inventory(manifests: &str) -> Inventory {
    let mut inv = Inventory::new();
    for doc in manifests.split("\n---\n") {
        let v: serde_json::Value = serde_saphyr::from_str(doc).unwrap();
        if let Some(w) = workload(&v).unwrap() {
            inv.add_workload(w);
        }
    }
    inv
}

const SERVICES: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: myservice, namespace: default, labels: {head: none}}
spec:
  ports: [{port: 9000}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: myservice, namespace: default}
subsets:
- addresses: [{ip: 192.168.10.5}]
  ports: [{port: 9000}]
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: default, labels: {head: pods}}
spec:
  selector: {app: backend}
  ports: [{port: 9000}]
"#;

#[test]
fn to_services_by_name_and_by_service_labels() {
    let by_name = policy(
        r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: service-rule}
spec:
  endpointSelector: {matchLabels: {id: app2}}
  egress:
  - toServices:
    - k8sService: {serviceName: myservice, namespace: default}
"#,
    );
    let sim = Simulator::new(std::slice::from_ref(&by_name), SimOptions::default())
        .unwrap()
        .with_inventory(inventory(SERVICES));
    // The selector-less Service's backend is allowed, another address not.
    let d = sim.decide(&from_app2("192.168.10.5", None));
    assert_eq!(d.verdict, Verdict::Allow, "{}", d.reason);
    let d = sim.decide(&from_app2("192.168.10.6", None));
    assert_eq!(d.verdict, Verdict::Block, "{}", d.reason);
    // Without the manifests the Service is unknown, and so is the verdict.
    let bare = Simulator::new(&[by_name], SimOptions::default()).unwrap();
    let d = bare.decide(&from_app2("192.168.10.5", None));
    assert_eq!(d.verdict, Verdict::Unknown, "{}", d.reason);
    assert!(d.reason.contains("myservice"), "{}", d.reason);

    // k8sServiceSelector matches the Services' own labels.
    let by_labels = |head: &str| {
        policy(&format!(
            r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {{name: service-labels-rule}}
spec:
  endpointSelector: {{matchLabels: {{id: app2}}}}
  egress:
  - toServices:
    - k8sServiceSelector: {{selector: {{matchLabels: {{head: {head}}}}}}}
"#
        ))
    };
    let sim = Simulator::new(&[by_labels("none")], SimOptions::default())
        .unwrap()
        .with_inventory(inventory(SERVICES));
    assert_eq!(
        sim.decide(&from_app2("192.168.10.5", None)).verdict,
        Verdict::Allow
    );
    // A Service with a selector selects its pods (Cilium 1.17+).
    let sim = Simulator::new(&[by_labels("pods")], SimOptions::default())
        .unwrap()
        .with_inventory(inventory(SERVICES));
    let d = sim.decide(&from_app2("10.0.3.3", Some(&[("app", "backend")])));
    assert_eq!(d.verdict, Verdict::Allow, "{}", d.reason);
    let d = sim.decide(&from_app2("10.0.3.4", Some(&[("app", "frontend")])));
    assert_eq!(d.verdict, Verdict::Block, "{}", d.reason);
    // The selector-less Service's address is not one of its backends.
    let d = sim.decide(&from_app2("192.168.10.5", None));
    assert_eq!(d.verdict, Verdict::Block, "{}", d.reason);
}
