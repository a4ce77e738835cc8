//! Conformance: the simulator against the expectations of Cilium's own
//! connectivity test suite (L3/L4), `tests/fixtures/conformance/
//! cilium-connectivity.yaml`, which cites each test's builder and manifests.
//! Every probe must agree; `unknown` counts as a disagreement.
//!
//! The probes are flows as Hubble reports them: the pods' Cilium identity
//! labels (service account, cluster, namespace labels), ICMP with its type;
//! the pods' manifests give the named ports.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use kubescribe_core::Policy;
use kubescribe_events::{
    Direction, Event, EventKind, NetworkEvent, Peer, PodMeta, SourceEngine, Workload, WorkloadPort,
};
use kubescribe_simulate::{Inventory, SimOptions, Simulator, Verdict};

const NS: &str = "cilium-test";

#[derive(Deserialize)]
struct Fixture {
    source: String,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    builder: String,
    policies: Vec<serde_json::Value>,
    #[serde(default)]
    extra_policies: Vec<serde_json::Value>,
    scenarios: Vec<Scenario>,
    #[serde(default)]
    blocked_if: Vec<Condition>,
}

#[derive(Deserialize)]
struct Scenario {
    kind: String,
    #[serde(default)]
    source: BTreeMap<String, String>,
    #[serde(default)]
    destination: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Condition {
    #[serde(default)]
    src: BTreeMap<String, String>,
    #[serde(default)]
    src_lacks: BTreeMap<String, String>,
    #[serde(default)]
    dst: BTreeMap<String, String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    dst_external: Option<bool>,
}

/// A test pod: name, its labels (as a selector sees them), address.
struct Pod {
    name: &'static str,
    labels: BTreeMap<String, String>,
    ip: &'static str,
    echo: bool,
}

fn pods() -> Vec<Pod> {
    let pod = |name: &'static str, kind: &str, extra: &[(&str, &str)], ip, echo| {
        let mut labels: BTreeMap<String, String> = [("name", name), ("kind", kind)]
            .iter()
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Cilium's identity labels, as Hubble carries them.
        labels.insert("io.cilium.k8s.policy.cluster".into(), "default".into());
        labels.insert("io.cilium.k8s.policy.serviceaccount".into(), name.into());
        labels.insert(
            "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name".into(),
            NS.into(),
        );
        Pod {
            name,
            labels,
            ip,
            echo,
        }
    };
    vec![
        pod("client", "client", &[], "10.0.0.11", false),
        pod(
            "client2",
            "client",
            &[("other", "client")],
            "10.0.0.12",
            false,
        ),
        pod(
            "client3",
            "client",
            &[("other", "client-other-node")],
            "10.0.1.13",
            false,
        ),
        pod(
            "echo-same-node",
            "echo",
            &[("other", "echo")],
            "10.0.0.21",
            true,
        ),
        pod(
            "echo-other-node",
            "echo",
            &[("first", "echo")],
            "10.0.1.22",
            true,
        ),
    ]
}

/// The pods' Deployments (pod-template labels without the identity labels; echo's named port).
fn inventory(pods: &[Pod]) -> Inventory {
    let mut inv = Inventory::new();
    for p in pods {
        let template: BTreeMap<String, String> = p
            .labels
            .iter()
            .filter(|(k, _)| !k.starts_with("io.cilium.k8s."))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        inv.add_workload(Workload {
            kind: "Deployment".into(),
            namespace: NS.into(),
            name: p.name.into(),
            labels: BTreeMap::new(),
            pod_labels: template.clone(),
            selector: template,
            ports: if p.echo {
                vec![WorkloadPort {
                    container: Some("echo".into()),
                    name: Some("http-8080".into()),
                    port: 8080,
                    target_port: None,
                    protocol: "TCP".into(),
                }]
            } else {
                Vec::new()
            },
            addresses: Vec::new(),
        });
    }
    inv
}

fn has(labels: &BTreeMap<String, String>, want: &BTreeMap<String, String>) -> bool {
    want.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// One probe: source pod, destination (a pod, or an external address),
/// protocol and destination port (the ICMP type for pings).
struct Probe<'a> {
    src: &'a Pod,
    dst: Option<&'a Pod>,
    dst_ip: &'static str,
    protocol: &'static str,
    port: u16,
}

impl Probe<'_> {
    fn describe(&self) -> String {
        format!(
            "{} -> {} {}/{}",
            self.src.name,
            self.dst.map_or(self.dst_ip, |d| d.name),
            self.port,
            self.protocol
        )
    }

    fn event(&self) -> Event {
        let peer = match self.dst {
            Some(d) => Peer {
                namespace: Some(NS.into()),
                pod: Some(format!("{}-5d8c7b9f6d-x2k9q", d.name)),
                labels: d.labels.clone(),
            },
            None => Peer {
                labels: [("reserved:world".to_string(), String::new())].into(),
                ..Peer::default()
            },
        };
        Event {
            timestamp_ns: None,
            source: SourceEngine::Hubble,
            pod: PodMeta {
                namespace: Some(NS.into()),
                pod: Some(format!("{}-6f9b8c7d5c-q7w4e", self.src.name)),
                labels: self.src.labels.clone(),
                ..PodMeta::default()
            },
            validity: Default::default(),
            result: None,
            kind: EventKind::Network(NetworkEvent {
                protocol: self.protocol.into(),
                direction: Direction::Egress,
                local_ip: Some(self.src.ip.into()),
                local_port: None,
                remote_ip: Some(self.dst.map_or(self.dst_ip, |d| d.ip).into()),
                remote_port: Some(self.port),
                peer: Some(peer),
                dns_name: None,
                process: None,
                http: None,
            }),
        }
    }

    fn blocked(&self, conds: &[Condition]) -> bool {
        conds.iter().any(|c| {
            let dst_labels = self.dst.map(|d| &d.labels);
            has(&self.src.labels, &c.src)
                && (c.src_lacks.is_empty() || !has(&self.src.labels, &c.src_lacks))
                && (c.dst.is_empty() || dst_labels.is_some_and(|l| has(l, &c.dst)))
                && c.port.is_none_or(|p| p == self.port)
                && c.dst_external.is_none_or(|e| e == self.dst.is_none())
        })
    }
}

fn probes<'a>(pods: &'a [Pod], s: &Scenario) -> Vec<Probe<'a>> {
    let clients = || pods.iter().filter(|p| !p.echo && has(&p.labels, &s.source));
    let mut out = Vec::new();
    match s.kind.as_str() {
        "pod-to-pod" => {
            for src in clients() {
                for dst in pods
                    .iter()
                    .filter(|p| p.echo && has(&p.labels, &s.destination))
                {
                    out.push(Probe {
                        src,
                        dst: Some(dst),
                        dst_ip: "",
                        protocol: "TCP",
                        port: 8080,
                    });
                }
            }
        }
        "client-to-client" => {
            for src in clients() {
                for dst in pods.iter().filter(|p| !p.echo && p.name != src.name) {
                    out.push(Probe {
                        src,
                        dst: Some(dst),
                        dst_ip: "",
                        protocol: "ICMPv4",
                        port: 8,
                    });
                }
            }
        }
        "pod-to-cidr" => {
            for src in clients() {
                for ip in ["1.1.1.1", "1.0.0.1"] {
                    out.push(Probe {
                        src,
                        dst: None,
                        dst_ip: ip,
                        protocol: "TCP",
                        port: 443,
                    });
                }
            }
        }
        other => panic!("unknown scenario {other}"),
    }
    out
}

#[test]
fn cilium_connectivity_suite_expectations_agree() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance/cilium-connectivity.yaml");
    let fx: Fixture =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("parses");
    let pods = pods();
    let inv = inventory(&pods);
    let (mut total, mut agree, mut bad) = (0usize, 0usize, Vec::new());
    for case in &fx.tests {
        let policies: Vec<Policy> = case
            .policies
            .iter()
            .chain(&case.extra_policies)
            .map(|v| Policy::from_value(v.clone()).unwrap_or_else(|e| panic!("{}: {e}", case.name)))
            .collect();
        let sim = Simulator::new(&policies, SimOptions::default())
            .expect("compiles")
            .with_inventory(inv.clone());
        let mut n = 0;
        for s in &case.scenarios {
            for p in probes(&pods, s) {
                n += 1;
                total += 1;
                let want_ok = !p.blocked(&case.blocked_if);
                let d = sim.decide(&p.event());
                let got = match d.verdict {
                    Verdict::Allow => Some(true),
                    Verdict::Block => Some(false),
                    _ => None,
                };
                if got == Some(want_ok) {
                    agree += 1;
                } else {
                    bad.push(format!(
                        "{} ({}): {}: expected {}, got {} ({})",
                        case.name,
                        case.builder,
                        p.describe(),
                        if want_ok { "OK" } else { "drop" },
                        d.verdict,
                        d.reason
                    ));
                }
            }
        }
        assert!(n > 0, "{}: no probes", case.name);
    }
    println!(
        "Cilium connectivity suite, L3/L4 ({}): {agree}/{total} probes agree ({:.1}%) over {} tests",
        fx.source,
        100.0 * agree as f64 / total.max(1) as f64,
        fx.tests.len()
    );
    for b in &bad {
        println!("  DISAGREES: {b}");
    }
    assert!(
        fx.tests.len() >= 18 && total >= 100,
        "{} tests, {total} probes",
        fx.tests.len()
    );
    assert_eq!(
        agree,
        total,
        "{} disagreements, first: {:?}",
        bad.len(),
        bad.first()
    );
}
