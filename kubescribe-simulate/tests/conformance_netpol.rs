//! Conformance: the simulator against the truth tables of the upstream
//! Kubernetes NetworkPolicy e2e tests (`tests/fixtures/conformance/
//! netpol-e2e.yaml`, which cites its source). Every probe of every step must
//! agree; an `unknown` verdict counts as a disagreement.
//!
//! The traffic verdicts of cyclonus' matcher tests
//! (`netpol-cyclonus.yaml`) are checked the same way.
//!
//! Each table is replayed twice: once with the namespaces' labels from
//! `Namespace` manifests, once with them carried by the flows as Hubble
//! carries them (`io.cilium.k8s.namespace.labels.*`). Container port names
//! (named ports) come from the pods' manifests in both.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use kubescribe_core::Policy;
use kubescribe_events::{
    Direction, Event, EventKind, NetworkEvent, Peer, PodMeta, SourceEngine, Workload, WorkloadPort,
};
use kubescribe_simulate::{CILIUM_NS_LABELS, Inventory, SimOptions, Simulator, Verdict};

#[derive(Deserialize)]
struct Fixture {
    source: String,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    pods: Vec<String>,
    ports: Vec<u16>,
    protocols: Vec<String>,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    #[serde(default)]
    policies: Option<Vec<serde_json::Value>>,
    probe: (u16, String),
    expect: Vec<String>,
    #[serde(default)]
    pod_labels: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    namespace_labels: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Clone, Copy, Debug)]
enum NsLabels {
    /// From `Namespace` manifests.
    Manifests,
    /// Carried by the flows (Hubble).
    Flows,
}

fn split(pod: &str) -> (&str, &str) {
    pod.split_once('/').expect("pods are `ns/name`")
}

fn ip(pod: &str) -> String {
    let (ns, name) = split(pod);
    let n = match ns {
        "x" => 1,
        "y" => 2,
        "z" => 3,
        other => panic!("namespace {other}"),
    };
    let p = 10 + (name.as_bytes()[0] - b'a');
    format!("10.{n}.0.{p}")
}

/// Whether a reachability selector (`*`, `x`, `x/a`) covers a pod.
fn covers(sel: &str, pod: &str) -> bool {
    sel == "*" || sel == pod || (!sel.contains('/') && split(pod).0 == sel)
}

/// Upstream's Reachability: default true, then each expectation in order.
fn expected(pods: &[String], ops: &[String]) -> BTreeMap<(String, String), bool> {
    let mut m = BTreeMap::new();
    for f in pods {
        for t in pods {
            m.insert((f.clone(), t.clone()), true);
        }
    }
    for op in ops {
        let w: Vec<&str> = op.split_whitespace().collect();
        let set = |m: &mut BTreeMap<(String, String), bool>,
                   from: &dyn Fn(&str) -> bool,
                   to: &dyn Fn(&str) -> bool,
                   v: bool| {
            for ((f, t), c) in m.iter_mut() {
                if from(f) && to(t) {
                    *c = v;
                }
            }
        };
        match w.as_slice() {
            ["peer", from, to, v] => set(
                &mut m,
                &|f| covers(from, f),
                &|t| covers(to, t),
                v.parse().unwrap(),
            ),
            ["pair", from, to, v] => {
                set(&mut m, &|f| f == *from, &|t| t == *to, v.parse().unwrap())
            }
            ["ingress", pod, v] => set(&mut m, &|_| true, &|t| t == *pod, v.parse().unwrap()),
            ["egress", pod, v] => set(&mut m, &|f| f == *pod, &|_| true, v.parse().unwrap()),
            _ => panic!("bad expectation {op:?}"),
        }
    }
    m
}

struct World {
    pod_labels: BTreeMap<String, BTreeMap<String, String>>,
    ns_labels: BTreeMap<String, BTreeMap<String, String>>,
}

impl World {
    fn new(case: &Case) -> World {
        let mut w = World {
            pod_labels: BTreeMap::new(),
            ns_labels: BTreeMap::new(),
        };
        for p in &case.pods {
            let (ns, name) = split(p);
            w.pod_labels
                .insert(p.clone(), [("pod".to_string(), name.to_string())].into());
            w.ns_labels
                .insert(ns.to_string(), [("ns".to_string(), ns.to_string())].into());
        }
        w
    }

    fn ns_labels(&self, ns: &str) -> BTreeMap<String, String> {
        let mut l = self.ns_labels.get(ns).cloned().unwrap_or_default();
        l.insert("kubernetes.io/metadata.name".into(), ns.into());
        l
    }

    fn inventory(&self, case: &Case, mode: NsLabels) -> Inventory {
        let mut inv = Inventory::new();
        if let NsLabels::Manifests = mode {
            for ns in self.ns_labels.keys() {
                inv.add_workload(Workload {
                    kind: "Namespace".into(),
                    namespace: ns.clone(),
                    name: ns.clone(),
                    labels: self.ns_labels(ns),
                    pod_labels: BTreeMap::new(),
                    selector: BTreeMap::new(),
                    ports: Vec::new(),
                    addresses: Vec::new(),
                });
            }
        }
        for (pod, labels) in &self.pod_labels {
            let (ns, name) = split(pod);
            let mut ports = Vec::new();
            for port in &case.ports {
                for proto in &case.protocols {
                    let lower = proto.to_ascii_lowercase();
                    ports.push(WorkloadPort {
                        container: Some(format!("cont-{port}-{lower}")),
                        name: Some(format!("serve-{port}-{lower}")),
                        port: *port,
                        target_port: None,
                        protocol: proto.clone(),
                    });
                }
            }
            inv.add_workload(Workload {
                kind: "Pod".into(),
                namespace: ns.into(),
                name: name.into(),
                labels: labels.clone(),
                pod_labels: labels.clone(),
                selector: BTreeMap::new(),
                ports,
                addresses: Vec::new(),
            });
        }
        inv
    }

    fn labels(&self, pod: &str, mode: NsLabels) -> BTreeMap<String, String> {
        let mut l = self.pod_labels[pod].clone();
        if let NsLabels::Flows = mode {
            for (k, v) in self.ns_labels(split(pod).0) {
                l.insert(format!("{CILIUM_NS_LABELS}{k}"), v);
            }
        }
        l
    }

    /// `from` connects to `to`, as the client's egress flow.
    fn probe(&self, from: &str, to: &str, port: u16, proto: &str, mode: NsLabels) -> Event {
        Event {
            timestamp_ns: None,
            source: SourceEngine::Hubble,
            pod: PodMeta {
                namespace: Some(split(from).0.into()),
                pod: Some(split(from).1.into()),
                labels: self.labels(from, mode),
                ..PodMeta::default()
            },
            validity: Default::default(),
            result: None,
            kind: EventKind::Network(NetworkEvent {
                protocol: proto.into(),
                direction: Direction::Egress,
                local_ip: Some(ip(from)),
                local_port: Some(40000),
                remote_ip: Some(ip(to)),
                remote_port: Some(port),
                peer: Some(Peer {
                    namespace: Some(split(to).0.into()),
                    pod: Some(split(to).1.into()),
                    labels: self.labels(to, mode),
                }),
                dns_name: None,
                process: None,
                http: None,
            }),
        }
    }
}

/// (probes, agreeing, disagreements described).
fn replay(fx: &Fixture, mode: NsLabels) -> (usize, usize, Vec<String>) {
    let (mut total, mut agree, mut bad) = (0, 0, Vec::new());
    for case in &fx.tests {
        let mut world = World::new(case);
        let mut policies: Vec<Policy> = Vec::new();
        for (si, step) in case.steps.iter().enumerate() {
            if let Some(ps) = &step.policies {
                policies = ps
                    .iter()
                    .map(|v| Policy::from_value(v.clone()).expect("fixture policy"))
                    .collect();
            }
            world.pod_labels.extend(step.pod_labels.clone());
            world.ns_labels.extend(step.namespace_labels.clone());
            let sim = Simulator::new(&policies, SimOptions::default())
                .expect("compiles")
                .with_inventory(world.inventory(case, mode));
            let (port, proto) = &step.probe;
            for ((from, to), want) in expected(&case.pods, &step.expect) {
                if from == to {
                    continue; // upstream ignores loopback
                }
                total += 1;
                let d = sim.decide(&world.probe(&from, &to, *port, proto, mode));
                let got = match d.verdict {
                    Verdict::Allow => Some(true),
                    Verdict::Block => Some(false),
                    _ => None,
                };
                if got == Some(want) {
                    agree += 1;
                } else {
                    bad.push(format!(
                        "{} / step {} / {from} -> {to} {port}/{proto}: expected {}, got {} ({})",
                        case.name,
                        si + 1,
                        if want { "reachable" } else { "blocked" },
                        d.verdict,
                        d.reason
                    ));
                }
            }
        }
    }
    (total, agree, bad)
}

fn fixture() -> Fixture {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance/netpol-e2e.yaml");
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_saphyr::from_str(&text).expect("fixture parses")
}

#[test]
fn netpol_e2e_truth_tables_agree() {
    let fx = fixture();
    assert!(fx.tests.len() >= 40, "{} tests", fx.tests.len());
    for mode in [NsLabels::Manifests, NsLabels::Flows] {
        let (total, agree, bad) = replay(&fx, mode);
        println!(
            "NetworkPolicy e2e truth tables ({}; namespace labels from {mode:?}): {agree}/{total} probes agree ({:.1}%) over {} tests",
            fx.source,
            100.0 * agree as f64 / total.max(1) as f64,
            fx.tests.len()
        );
        for b in &bad {
            println!("  DISAGREES: {b}");
        }
        assert!(total > 400, "{total} probes");
        assert_eq!(
            agree,
            total,
            "{} disagreements, first: {:?}",
            bad.len(),
            bad.first()
        );
    }
}

#[test]
fn named_port_and_namespace_label_cases_are_in_the_tables() {
    // The cases the simulator could not express before: named ports and
    // labels other than the namespace's name.
    let fx = fixture();
    let text = serde_json::to_string(
        &fx.tests
            .iter()
            .flat_map(|c| &c.steps)
            .filter_map(|s| s.policies.as_ref())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(text.contains("serve-80-tcp") && text.contains("serve-81-tcp"));
    assert!(text.contains("ns2"));
    assert!(
        fx.tests
            .iter()
            .any(|c| c.steps.iter().any(|s| !s.namespace_labels.is_empty()))
    );
}

#[derive(Deserialize)]
struct CyclonusFixture {
    source: String,
    cases: Vec<CyclonusCase>,
}

#[derive(Deserialize)]
struct CyclonusCase {
    name: String,
    policies: Vec<serde_json::Value>,
    source: CyclonusPeer,
    destination: CyclonusPeer,
    port: u16,
    protocol: String,
    allowed: bool,
}

/// A pod (with a namespace) or an address outside the cluster.
#[derive(Deserialize)]
struct CyclonusPeer {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    namespace_labels: Option<BTreeMap<String, String>>,
    ip: String,
    #[serde(default)]
    ports: Vec<WorkloadPort>,
}

impl CyclonusPeer {
    fn labels(&self) -> BTreeMap<String, String> {
        match &self.namespace {
            Some(_) => self.labels.clone(),
            None => [("reserved:world".to_string(), String::new())].into(),
        }
    }
}

#[test]
fn cyclonus_matcher_cases_agree() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance/netpol-cyclonus.yaml");
    let fx: CyclonusFixture =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("parses");
    let mut bad = Vec::new();
    for c in &fx.cases {
        let policies: Vec<Policy> = c
            .policies
            .iter()
            .map(|v| Policy::from_value(v.clone()).expect("fixture policy"))
            .collect();
        let mut inv = Inventory::new();
        for p in [&c.source, &c.destination] {
            let Some(ns) = &p.namespace else { continue };
            if let Some(l) = &p.namespace_labels {
                let mut l = l.clone();
                l.insert("kubernetes.io/metadata.name".into(), ns.clone());
                inv.add_namespace(ns, l);
            }
            inv.add_workload(Workload {
                kind: "Pod".into(),
                namespace: ns.clone(),
                name: format!("pod-{}", p.ip),
                labels: p.labels.clone(),
                pod_labels: p.labels.clone(),
                selector: BTreeMap::new(),
                ports: p.ports.clone(),
                addresses: Vec::new(),
            });
        }
        // Seen from the source when it is a pod, else from the destination.
        let (local, remote, direction) = match c.source.namespace {
            Some(_) => (&c.source, &c.destination, Direction::Egress),
            None => (&c.destination, &c.source, Direction::Ingress),
        };
        let (local_port, remote_port) = match direction {
            Direction::Egress => (None, Some(c.port)),
            _ => (Some(c.port), None),
        };
        let event = Event {
            timestamp_ns: None,
            source: SourceEngine::Hubble,
            pod: PodMeta {
                namespace: local.namespace.clone(),
                pod: Some(format!("pod-{}", local.ip)),
                labels: local.labels(),
                ..PodMeta::default()
            },
            validity: Default::default(),
            result: None,
            kind: EventKind::Network(NetworkEvent {
                protocol: c.protocol.clone(),
                direction,
                local_ip: Some(local.ip.clone()),
                local_port,
                remote_ip: Some(remote.ip.clone()),
                remote_port,
                peer: Some(Peer {
                    namespace: remote.namespace.clone(),
                    pod: remote
                        .namespace
                        .as_ref()
                        .map(|_| format!("pod-{}", remote.ip)),
                    labels: remote.labels(),
                }),
                dns_name: None,
                process: None,
                http: None,
            }),
        };
        let d = Simulator::new(&policies, SimOptions::default())
            .expect("compiles")
            .with_inventory(inv)
            .decide(&event);
        let got = match d.verdict {
            Verdict::Allow => Some(true),
            Verdict::Block => Some(false),
            _ => None,
        };
        if got != Some(c.allowed) {
            bad.push(format!(
                "{}: expected allowed={}, got {} ({})",
                c.name, c.allowed, d.verdict, d.reason
            ));
        }
    }
    let total = fx.cases.len();
    println!(
        "NetworkPolicy cyclonus matcher cases ({}): {}/{total} agree ({:.1}%)",
        fx.source,
        total - bad.len(),
        100.0 * (total - bad.len()) as f64 / total.max(1) as f64
    );
    for b in &bad {
        println!("  DISAGREES: {b}");
    }
    assert!(total >= 6);
    assert!(bad.is_empty(), "{bad:?}");
}
