//! Named ports and namespace labels: what the simulator learns from
//! manifests (an [`Inventory`]) and from the labels Hubble flows carry.

use std::collections::BTreeMap;

use kubescribe_core::Policy;
use kubescribe_events::{
    Direction, Event, EventKind, NetworkEvent, Peer, PodMeta, SourceEngine, Workload, WorkloadPort,
};
use kubescribe_simulate::{Inventory, SimOptions, Simulator, Verdict};

fn policy(yaml: &str) -> Policy {
    let v: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
    Policy::from_value(v).unwrap()
}

fn labels(s: &str) -> BTreeMap<String, String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `src` (namespace, pod, labels) connects to `dst` on `port`/`proto`, seen
/// from the source's side (egress; the simulator judges both ends).
fn conn(src: (&str, &str, &str), dst: (&str, &str, &str), port: u16, proto: &str) -> Event {
    Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some(src.0.into()),
            pod: Some(src.1.into()),
            labels: labels(src.2),
            ..PodMeta::default()
        },
        validity: Default::default(),
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: proto.into(),
            direction: Direction::Egress,
            local_ip: Some("10.0.0.1".into()),
            local_port: None,
            remote_ip: Some("10.0.0.2".into()),
            remote_port: Some(port),
            peer: Some(Peer {
                namespace: Some(dst.0.into()),
                pod: Some(dst.1.into()),
                labels: labels(dst.2),
            }),
            dns_name: None,
            process: None,
            http: None,
        }),
    }
}

fn deployment(ns: &str, name: &str, pod_labels: &str, ports: &[(&str, u16, &str)]) -> Workload {
    Workload {
        kind: "Deployment".into(),
        namespace: ns.into(),
        name: name.into(),
        labels: BTreeMap::new(),
        pod_labels: labels(pod_labels),
        selector: labels(pod_labels),
        ports: ports
            .iter()
            .map(|(n, p, proto)| WorkloadPort {
                container: Some("c".into()),
                name: Some(n.to_string()),
                port: *p,
                target_port: None,
                protocol: proto.to_string(),
            })
            .collect(),
        addresses: Vec::new(),
    }
}

fn namespace(name: &str, lbls: &str) -> Workload {
    let mut l = labels(lbls);
    l.insert("kubernetes.io/metadata.name".into(), name.into());
    Workload {
        kind: "Namespace".into(),
        namespace: name.into(),
        name: name.into(),
        labels: l,
        pod_labels: BTreeMap::new(),
        selector: BTreeMap::new(),
        ports: Vec::new(),
        addresses: Vec::new(),
    }
}

fn inventory(ws: Vec<Workload>) -> Inventory {
    let mut inv = Inventory::new();
    for w in ws {
        inv.add_workload(w);
    }
    inv
}

fn verdict(ps: &[Policy], inv: &Inventory, e: &Event) -> Verdict {
    Simulator::new(ps, SimOptions::default())
        .unwrap()
        .with_inventory(inv.clone())
        .decide(e)
        .verdict
}

const NAMED_INGRESS: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-http, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: http}]
"#;

#[test]
fn named_port_resolves_through_the_destination_pods_container_ports() {
    let ps = [policy(NAMED_INGRESS)];
    let inv = inventory(vec![
        deployment(
            "shop",
            "web",
            "app=web",
            &[("http", 8080, "TCP"), ("metrics", 9090, "TCP")],
        ),
        deployment("shop", "client", "app=client", &[]),
    ]);
    let client = ("shop", "client-6b7c9d8f5d-abcde", "app=client");
    let web = (
        "shop",
        "web-5f6d7c8b9a-xyzab",
        "app=web,pod-template-hash=5f6d7c8b9a",
    );
    assert_eq!(
        verdict(&ps, &inv, &conn(client, web, 8080, "TCP")),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &inv, &conn(client, web, 9090, "TCP")),
        Verdict::Block
    );
    // The named port is TCP (the policy's default protocol): UDP 8080 is not it.
    assert_eq!(
        verdict(&ps, &inv, &conn(client, web, 8080, "UDP")),
        Verdict::Block
    );
    // Without manifests the port name cannot be resolved.
    assert_eq!(
        verdict(&ps, &Inventory::new(), &conn(client, web, 8080, "TCP")),
        Verdict::Unknown
    );
    // A pod no workload matches: unknown, not allowed.
    let stranger = ("shop", "other", "app=web,x=y");
    let inv_other = inventory(vec![deployment(
        "shop",
        "db",
        "app=db",
        &[("http", 8080, "TCP")],
    )]);
    assert_eq!(
        verdict(&ps, &inv_other, &conn(client, stranger, 8080, "TCP")),
        Verdict::Unknown
    );
}

#[test]
fn named_port_in_egress_resolves_on_the_peer_and_never_on_non_pods() {
    let ps = [policy(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: dns, protocol: UDP}]
"#,
    )];
    let inv = inventory(vec![
        deployment(
            "kube-system",
            "coredns",
            "k8s-app=kube-dns",
            &[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
        ),
        deployment("shop", "web", "app=web", &[("dns", 5353, "UDP")]),
    ]);
    let web = ("shop", "web-5f6d7c8b9a-xyzab", "app=web");
    let dns = (
        "kube-system",
        "coredns-7db6d8ff4d-k2x9z",
        "k8s-app=kube-dns",
    );
    assert_eq!(
        verdict(&ps, &inv, &conn(web, dns, 53, "UDP")),
        Verdict::Allow
    );
    // The source's own `dns` port (5353) is not what is resolved.
    assert_eq!(
        verdict(&ps, &inv, &conn(web, dns, 5353, "UDP")),
        Verdict::Block
    );
    // To the world: no container ports, so a named port never matches.
    let mut world = conn(web, dns, 53, "UDP");
    if let EventKind::Network(n) = &mut world.kind {
        n.peer = Some(Peer {
            labels: labels("reserved:world="),
            ..Peer::default()
        });
    }
    assert_eq!(verdict(&ps, &inv, &world), Verdict::Block);
}

#[test]
fn cilium_and_calico_named_ports() {
    let cilium = [policy(
        r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{}]
    toPorts: [{ports: [{port: http, protocol: TCP}]}]
"#,
    )];
    let calico = [policy(
        r#"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    destination: {ports: [http]}
"#,
    )];
    let inv = inventory(vec![deployment(
        "shop",
        "web",
        "app=web",
        &[("http", 8080, "TCP")],
    )]);
    let client = ("shop", "c", "app=client");
    let web = ("shop", "web-5f6d7c8b9a-xyzab", "app=web");
    for ps in [&cilium[..], &calico[..]] {
        assert_eq!(
            verdict(ps, &inv, &conn(client, web, 8080, "TCP")),
            Verdict::Allow
        );
        assert_eq!(
            verdict(ps, &inv, &conn(client, web, 8081, "TCP")),
            Verdict::Block
        );
        assert_eq!(
            verdict(ps, &Inventory::new(), &conn(client, web, 8080, "TCP")),
            Verdict::Unknown
        );
    }
}

const FROM_TEAM_BLUE: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: blue}}}]
"#;

#[test]
fn namespace_selectors_match_the_labels_of_namespace_manifests() {
    let ps = [policy(FROM_TEAM_BLUE)];
    let inv = inventory(vec![
        namespace("blue-apps", "team=blue"),
        namespace("red-apps", "team=red"),
    ]);
    let web = ("shop", "w", "app=web");
    let blue = ("blue-apps", "b", "app=client");
    let red = ("red-apps", "r", "app=client");
    assert_eq!(
        verdict(&ps, &inv, &conn(blue, web, 80, "TCP")),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &inv, &conn(red, web, 80, "TCP")),
        Verdict::Block
    );
    // Unknown namespace labels: undecided.
    assert_eq!(
        verdict(&ps, &Inventory::new(), &conn(blue, web, 80, "TCP")),
        Verdict::Unknown
    );
    // A namespace whose manifest is known lacks labels it does not list.
    let green = ("green", "g", "app=client");
    let inv2 = inventory(vec![namespace("green", "")]);
    assert_eq!(
        verdict(&ps, &inv2, &conn(green, web, 80, "TCP")),
        Verdict::Block
    );
}

#[test]
fn namespace_labels_carried_by_hubble_flows_are_used() {
    let ps = [policy(FROM_TEAM_BLUE)];
    let web = ("shop", "w", "app=web");
    let blue = (
        "blue-apps",
        "b",
        "app=client,io.cilium.k8s.namespace.labels.team=blue,io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=blue-apps",
    );
    let red = (
        "red-apps",
        "r",
        "app=client,io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=red-apps",
    );
    let none = Inventory::new();
    assert_eq!(
        verdict(&ps, &none, &conn(blue, web, 80, "TCP")),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &none, &conn(red, web, 80, "TCP")),
        Verdict::Block
    );

    // Cilium matches the same labels under their identity keys.
    let cilium = [policy(
        r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints:
    - matchLabels: {k8s:io.cilium.k8s.namespace.labels.team: blue, k8s:io.kubernetes.pod.namespace: blue-apps}
"#,
    )];
    assert_eq!(
        verdict(&cilium, &none, &conn(blue, web, 80, "TCP")),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&cilium, &none, &conn(red, web, 80, "TCP")),
        Verdict::Block
    );
    // From a Namespace manifest instead of the flow.
    let inv = inventory(vec![namespace("blue-apps", "team=blue")]);
    let blue_plain = ("blue-apps", "b", "app=client");
    assert_eq!(
        verdict(&cilium, &inv, &conn(blue_plain, web, 80, "TCP")),
        Verdict::Allow
    );
}

#[test]
fn calico_namespace_selectors_use_namespace_labels() {
    let rule = [policy(
        r#"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    source: {namespaceSelector: team == 'blue'}
"#,
    )];
    let global = [policy(
        r#"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: blue-ingress-deny}
spec:
  namespaceSelector: team == 'blue'
  selector: all()
  types: [Ingress]
  ingress:
  - action: Deny
"#,
    )];
    let inv = inventory(vec![
        namespace("blue-apps", "team=blue"),
        namespace("red-apps", "team=red"),
        namespace("shop", ""),
    ]);
    let web = ("shop", "w", "app=web");
    let blue = ("blue-apps", "b", "app=client");
    let red = ("red-apps", "r", "app=client");
    assert_eq!(
        verdict(&rule, &inv, &conn(blue, web, 80, "TCP")),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&rule, &inv, &conn(red, web, 80, "TCP")),
        Verdict::Block
    );
    // The global policy applies to endpoints of blue namespaces only.
    assert_eq!(
        verdict(&global, &inv, &conn(web, blue, 80, "TCP")),
        Verdict::Block
    );
    assert_eq!(
        verdict(&global, &inv, &conn(web, red, 80, "TCP")),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&global, &Inventory::new(), &conn(web, red, 80, "TCP")),
        Verdict::Unknown
    );
}

#[test]
fn cilium_policy_labels_from_hubble_are_kept_and_matched() {
    // Upstream's allow-all policies select on the cluster label, and service
    // accounts are matched through `io.cilium.k8s.policy.serviceaccount`.
    let line = r#"{"flow":{"verdict":"FORWARDED","IP":{"source":"10.1.2.3","destination":"10.1.9.9"},"l4":{"TCP":{"source_port":51234,"destination_port":8080}},"source":{"namespace":"shop","labels":["k8s:app=client","k8s:io.kubernetes.pod.namespace=shop","k8s:io.cilium.k8s.policy.cluster=default","k8s:io.cilium.k8s.policy.serviceaccount=client-sa"],"pod_name":"client-1"},"destination":{"namespace":"shop","labels":["k8s:app=web","k8s:io.kubernetes.pod.namespace=shop","k8s:io.cilium.k8s.policy.cluster=default","k8s:io.cilium.k8s.policy.serviceaccount=web-sa"],"pod_name":"web-1"},"traffic_direction":"EGRESS"}}"#;
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let (_, out) = kubescribe_events::convert(&v);
    let kubescribe_events::Converted::Events(events) = &out[0] else {
        panic!("{out:?}")
    };
    let ps = [policy(
        r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {k8s:io.cilium.k8s.policy.serviceaccount: web-sa}}
  ingress:
  - fromEndpoints:
    - matchLabels: {k8s:io.cilium.k8s.policy.serviceaccount: client-sa, io.cilium.k8s.policy.cluster: default}
"#,
    )];
    assert_eq!(verdict(&ps, &Inventory::new(), &events[0]), Verdict::Allow);
}

#[test]
fn fqdn_rules_match_addresses_through_earlier_dns_answers() {
    use kubescribe_events::store::SqliteStore;
    // A flow Hubble linked to its name (destination_names), then flows seen
    // by address only.
    let flow = |ip: &str, names: &str| {
        format!(
            r#"{{"flow":{{"verdict":"FORWARDED","IP":{{"source":"10.0.0.1","destination":"{ip}"}},"l4":{{"TCP":{{"source_port":40000,"destination_port":443}}}},"source":{{"namespace":"shop","labels":["k8s:app=web"],"pod_name":"web-1"}},"destination":{{"labels":["reserved:world"]}},"destination_names":[{names}],"traffic_direction":"EGRESS"}}}}"#
        )
    };
    let lines = [
        flow("140.82.112.6", r#""api.github.com""#),
        flow("151.101.0.223", r#""pypi.org""#),
    ]
    .join("\n");
    let mut store = SqliteStore::open_in_memory().unwrap();
    kubescribe_events::ingest_reader(
        &mut store,
        "hubble.jsonl",
        lines.as_bytes(),
        &Default::default(),
        &mut |_| {},
    )
    .unwrap();
    let inv = Inventory::from_store(&mut store).unwrap();
    let ps = [policy(
        r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  egress:
  - toFQDNs: [{matchPattern: "*.github.com"}]
"#,
    )];
    let by_ip = |ip: &str| {
        let v: serde_json::Value = serde_json::from_str(&flow(ip, "")).unwrap();
        let (_, out) = kubescribe_events::convert(&v);
        let kubescribe_events::Converted::Events(events) = &out[0] else {
            panic!("{out:?}")
        };
        events[0].clone()
    };
    assert_eq!(verdict(&ps, &inv, &by_ip("140.82.112.6")), Verdict::Allow);
    assert_eq!(verdict(&ps, &inv, &by_ip("151.101.0.223")), Verdict::Block);
    // An address no answer named: undecided.
    assert_eq!(verdict(&ps, &inv, &by_ip("192.0.2.1")), Verdict::Unknown);
    assert_eq!(
        verdict(&ps, &Inventory::new(), &by_ip("140.82.112.6")),
        Verdict::Unknown
    );
}

#[test]
fn cilium_icmp_types_and_dns_wildcards() {
    let ps = [policy(
        r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: c, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: client}}
  egress:
  - toEndpoints: [{}]
    icmps: [{fields: [{type: EchoRequest}]}]
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]
"#,
    )];
    let none = Inventory::new();
    let client = ("shop", "c", "app=client");
    let server = ("shop", "s", "app=server");
    let dns = ("kube-system", "coredns-1", "k8s-app=kube-dns");
    // Echo request (type 8) allowed; an echo reply type (0) or a port is not.
    assert_eq!(
        verdict(&ps, &none, &conn(client, server, 8, "ICMPv4")),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &none, &conn(client, server, 0, "ICMPv4")),
        Verdict::Block
    );
    assert_eq!(
        verdict(&ps, &none, &conn(client, server, 8, "TCP")),
        Verdict::Block
    );
    // `matchPattern: "*"`: every query, named or not.
    assert_eq!(
        verdict(&ps, &none, &conn(client, dns, 53, "UDP")),
        Verdict::Allow
    );
}
