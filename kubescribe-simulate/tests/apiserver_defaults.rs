//! Policies are simulated as the API server stores them: its defaults
//! (`kubescribe_core::policy::defaults`) first, and the report says what
//! they changed.

use std::collections::BTreeMap;

use kubescribe_core::Policy;
use kubescribe_events::{Direction, Event, EventKind, NetworkEvent, Peer, PodMeta, SourceEngine};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};

fn policy(yaml: &str) -> Policy {
    Policy::from_value(serde_saphyr::from_str(yaml).unwrap()).unwrap()
}

/// A TCP flow seen at pod `app=<app>` of namespace shop.
fn flow(app: &str, dir: Direction, peer_app: &str, remote_ip: &str, port: u16) -> Event {
    let (local_port, remote_port) = match dir {
        Direction::Ingress => (Some(port), Some(40000)),
        _ => (Some(40000), Some(port)),
    };
    let labels = |a: &str| BTreeMap::from([("app".to_string(), a.to_string())]);
    Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some("shop".into()),
            pod: Some(format!("{app}-0")),
            labels: labels(app),
            ..PodMeta::default()
        },
        validity: Default::default(),
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: "TCP".into(),
            direction: dir,
            local_ip: Some("10.0.0.5".into()),
            local_port,
            remote_ip: Some(remote_ip.into()),
            remote_port,
            peer: Some(Peer {
                namespace: Some("shop".into()),
                pod: None,
                labels: labels(peer_app),
            }),
            dns_name: None,
            process: None,
            http: None,
        }),
    }
}

#[test]
fn empty_policy_types_with_ingress_rules_isolate_ingress() {
    let p = policy(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: []
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 8080}]
"#,
    );
    let sim = Simulator::new(std::slice::from_ref(&p), SimOptions::default()).unwrap();
    let from_db = flow("web", Direction::Ingress, "db", "10.0.0.9", 8080);
    let from_api = flow("web", Direction::Ingress, "api", "10.0.0.8", 8080);
    assert_eq!(sim.decide(&from_db).verdict, Verdict::Block);
    assert_eq!(sim.decide(&from_api).verdict, Verdict::Allow);
    // Egress is not isolated: no egress rules.
    let out = flow("web", Direction::Egress, "db", "10.0.0.9", 5432);
    assert_eq!(sim.decide(&out).verdict, Verdict::Allow);
    let report = sim.run([&from_db]);
    let said: Vec<String> = report.defaults.iter().map(|n| n.message.clone()).collect();
    assert!(
        said.iter()
            .any(|m| m.contains("/spec/policyTypes") && m.contains(r#"["Ingress"]"#)),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|m| m.contains("/spec/ingress/0/ports/0/protocol"))
    );
}

#[test]
fn calico_policy_with_egress_rules_only_governs_egress() {
    let p = policy(
        r#"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: egress-only}
spec:
  selector: app == 'web'
  egress:
  - action: Allow
    destination: {nets: [10.0.0.0/8]}
"#,
    );
    let sim = Simulator::new(std::slice::from_ref(&p), SimOptions::default()).unwrap();
    // Calico stores `types: [Egress]`: ingress to the pod is not governed.
    let inbound = flow("web", Direction::Ingress, "db", "192.168.1.9", 8080);
    assert_eq!(sim.decide(&inbound).verdict, Verdict::Allow);
    let outbound = flow("web", Direction::Egress, "db", "192.168.1.9", 5432);
    assert_eq!(sim.decide(&outbound).verdict, Verdict::Block);
    assert_eq!(sim.defaults().len(), 1);
    assert_eq!(sim.defaults()[0].pointer, "/spec/types");
}
