//! Policy simulation: events judged per second, for the three network
//! engines together (the Online-Boutique-like `examples/policies/network-shop.yaml`
//! set) and for a KubeArmor allow-list over file and process events.

use std::collections::BTreeMap;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubescribe_core::Policy;
use kubescribe_events::*;
use kubescribe_simulate::{SimOptions, Simulator};

fn policies(yaml: &str) -> Vec<Policy> {
    yaml.split("\n---\n")
        .map(|d| {
            let v: serde_json::Value = serde_saphyr::from_str(d).expect("bench policy");
            Policy::from_value(v).expect("bench policy")
        })
        .collect()
}

fn rng() -> impl FnMut() -> u64 {
    let mut x: u64 = 0x2545F4914F6CDD1D;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

fn pod(app: &str) -> PodMeta {
    PodMeta {
        namespace: Some("shop".into()),
        pod: Some(format!("{app}-0")),
        labels: BTreeMap::from([("app".to_string(), app.to_string())]),
        ..PodMeta::default()
    }
}

const APPS: [&str; 6] = [
    "frontend",
    "cartservice",
    "checkout",
    "redis-cart",
    "adservice",
    "db",
];

fn flows(n: usize) -> Vec<Event> {
    let mut next = rng();
    (0..n)
        .map(|_| {
            let a = APPS[(next() % 6) as usize];
            let b = APPS[(next() % 6) as usize];
            let ingress = next().is_multiple_of(2);
            Event {
                timestamp_ns: None,
                source: SourceEngine::Hubble,
                pod: pod(a),
                validity: Validity::Unreviewed,
                result: None,
                kind: EventKind::Network(NetworkEvent {
                    protocol: "TCP".into(),
                    direction: if ingress {
                        Direction::Ingress
                    } else {
                        Direction::Egress
                    },
                    local_ip: Some(format!("10.1.0.{}", next() % 250)),
                    local_port: Some(if ingress {
                        [7070, 8080, 22][(next() % 3) as usize]
                    } else {
                        40000
                    }),
                    remote_ip: Some(format!("10.1.1.{}", next() % 250)),
                    remote_port: Some(if ingress {
                        40000
                    } else {
                        [7070, 6379, 443][(next() % 3) as usize]
                    }),
                    peer: Some(Peer {
                        namespace: Some("shop".into()),
                        pod: None,
                        labels: pod(b).labels,
                    }),
                    dns_name: None,
                    process: None,
                    http: None,
                }),
            }
        })
        .collect()
}

fn files(n: usize) -> Vec<Event> {
    let mut next = rng();
    let dirs = [
        "/var/www/html/",
        "/etc/nginx/",
        "/etc/",
        "/tmp/",
        "/usr/lib/x86_64-linux-gnu/",
    ];
    (0..n)
        .map(|_| {
            let kind = if next().is_multiple_of(4) {
                EventKind::Process(ProcessEvent {
                    action: ProcessAction::Exec,
                    binary: ["/usr/sbin/nginx", "/bin/sh", "/usr/bin/curl"][(next() % 3) as usize]
                        .into(),
                    args: None,
                    parent: Some("/usr/sbin/nginx".into()),
                    uid: None,
                    by_owner: None,
                })
            } else {
                EventKind::File(FileEvent {
                    path: format!("{}f{}.txt", dirs[(next() % 5) as usize], next() % 1000),
                    operation: if next().is_multiple_of(3) {
                        FileOperation::Write
                    } else {
                        FileOperation::Read
                    },
                    flags: None,
                    syscall: None,
                    process: Some("/usr/sbin/nginx".into()),
                    by_owner: None,
                })
            };
            Event {
                timestamp_ns: None,
                source: SourceEngine::KubeArmor,
                pod: PodMeta {
                    labels: BTreeMap::from([("app".to_string(), "nginx".to_string())]),
                    ..pod("nginx")
                },
                validity: Validity::Unreviewed,
                result: None,
                kind,
            }
        })
        .collect()
}

const KUBEARMOR: &str = r#"apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: nginx, namespace: shop}
spec:
  selector: {matchLabels: {app: nginx}}
  action: Allow
  file:
    matchDirectories:
    - {dir: /var/www/, recursive: true, readOnly: true}
    - {dir: /etc/nginx/, recursive: true}
    - {dir: /usr/lib/, recursive: true, readOnly: true}
    matchPatterns: [{pattern: /tmp/*.txt, action: Audit}]
  process:
    matchPaths: [{path: /usr/sbin/nginx}]
"#;

fn bench(c: &mut Criterion) {
    let net = policies(include_str!("../../examples/policies/network-shop.yaml"));
    let sim = Simulator::new(&net, SimOptions::default()).expect("compiles");
    let events = flows(100_000);
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("network_3_engines_100k_flows", |b| {
        b.iter(|| sim.run(&events).totals)
    });
    let ka = policies(KUBEARMOR);
    let sim = Simulator::new(&ka, SimOptions::default()).expect("compiles");
    let events = files(100_000);
    g.bench_function("kubearmor_100k_file_process", |b| {
        b.iter(|| sim.run(&events).totals)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
