//! The deterministic intent generator shared by the synthesis tests.

use std::collections::BTreeMap;

use kubescribe_core::intent::*;

/// A small deterministic generator (xorshift), so the set is reproducible.
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next_u64() % xs.len() as u64) as usize]
    }
    pub fn some<T: Clone>(&mut self, xs: &[T], max: usize) -> Vec<T> {
        let n = (self.next_u64() % (max as u64 + 1)) as usize;
        (0..n).map(|_| self.pick(xs).clone()).collect::<Vec<_>>()
    }
}

/// A generated intent of `domain`: resources of that domain only, with the
/// schema-2 fields (sources, ownerOnly, ranges, named ports, protocols,
/// excepts, entities, namespace-label peers, `all`, `deny` parts, all-pods
/// and cluster-wide scopes) mixed in.
pub fn intent(rng: &mut Rng, domain: Domain) -> Intent {
    let apps = apps();
    let mut labels = BTreeMap::new();
    labels.insert("app".to_string(), rng.pick(&apps).to_string());
    if rng.next_u64().is_multiple_of(3) {
        labels.insert(
            "tier".to_string(),
            rng.pick(&["web", "backend", "data"]).to_string(),
        );
    }
    let mut scope = Scope {
        namespace: (!rng.next_u64().is_multiple_of(5))
            .then(|| rng.pick(&["shop", "default", "payments"]).to_string()),
        labels,
        ..Scope::default()
    };
    match rng.next_u64() % 12 {
        0 => {
            scope.all_pods = true;
            scope.labels.clear();
            scope.namespace = Some(rng.pick(&["shop", "default"]).to_string());
        }
        1 => {
            scope.cluster_wide = true;
            scope.namespace = None;
            if rng.next_u64().is_multiple_of(2) {
                scope.labels.clear();
            }
        }
        _ => {}
    }
    let action = *rng.pick(&[Action::Allow, Action::Audit, Action::Block]);
    let mut resources = resources(rng, domain, action);
    if rng.next_u64().is_multiple_of(15) {
        resources = Resources {
            all: true,
            recursive: domain == Domain::File || domain == Domain::Process,
            ..Resources::default()
        };
    }
    let deny = (action == Action::Allow && rng.next_u64().is_multiple_of(6)).then(|| {
        let mut d = self::resources(rng, domain, Action::Block);
        d.all = false;
        d.binaries.clear();
        d
    });
    Intent {
        version: rng.next_u64().is_multiple_of(2).then_some(2),
        deny,
        engine: None,
        scope,
        domain,
        action,
        direction: if domain == Domain::Network {
            *rng.pick(&[
                None,
                Some(Direction::Ingress),
                Some(Direction::Egress),
                Some(Direction::Both),
            ])
        } else {
            None
        },
        resources,
        rationale: (rng.next_u64().is_multiple_of(2)).then(|| "least privilege".to_string()),
    }
}

/// Resources of `domain` only.
fn resources(rng: &mut Rng, domain: Domain, action: Action) -> Resources {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let programs = s(&[
        "/usr/sbin/nginx",
        "/bin/bash",
        "/usr/bin/python3",
        "/bin/sh",
        "/usr/bin/apt",
    ]);
    let mut r = Resources::default();
    let sources = |rng: &mut Rng| {
        if rng.next_u64().is_multiple_of(4) {
            let mut v = rng.some(&programs, 2);
            v.dedup();
            v
        } else {
            Vec::new()
        }
    };
    match domain {
        Domain::File | Domain::Process => {
            let files = if domain == Domain::File {
                s(&[
                    "/etc/passwd",
                    "/etc/shadow",
                    "/var/log/app.log",
                    "/root/.ssh/authorized_keys",
                    "/usr/bin/curl",
                ])
            } else {
                s(&["/usr/bin/curl", "/usr/bin/wget", "/sbin/apk"])
            };
            r.paths = rng.some(&files, 3);
            r.dirs = rng.some(
                &s(&["/var/www/", "/etc/nginx/", "/tmp/", "/root/.ssh/", "/"]),
                2,
            );
            r.recursive = !rng.next_u64().is_multiple_of(4);
            r.read_only = domain == Domain::File && rng.next_u64().is_multiple_of(2);
            r.owner_only = rng.next_u64().is_multiple_of(5);
            r.sources = sources(rng);
            if domain == Domain::Process || action == Action::Allow {
                r.binaries = rng.some(&programs, 3);
            }
            if r.paths.is_empty() && r.dirs.is_empty() && r.binaries.is_empty() {
                r.paths.push(rng.pick(&files).clone());
            }
        }
        Domain::Network if rng.next_u64().is_multiple_of(6) => {
            // Protocols only ("deny ICMP"), what KubeArmor's network rules say.
            r.protocols =
                vec![*rng.pick(&[Protocol::Tcp, Protocol::Udp, Protocol::Sctp, Protocol::Icmp])];
            r.sources = sources(rng);
        }
        Domain::Network => {
            r.ports = (0..rng.next_u64() % 3)
                .map(|_| {
                    let port = *rng.pick(&[53u16, 80, 443, 5432, 6379, 7070, 8080]);
                    let range = rng.next_u64().is_multiple_of(5);
                    PortSpec {
                        port,
                        end_port: range.then_some(port + 10),
                        protocol: *rng.pick(&[
                            Protocol::Tcp,
                            Protocol::Tcp,
                            Protocol::Udp,
                            Protocol::Sctp,
                        ]),
                    }
                })
                .collect();
            if rng.next_u64().is_multiple_of(5) {
                r.named_ports.push(NamedPort {
                    name: rng.pick(&["http", "metrics", "grpc"]).to_string(),
                    protocol: Protocol::Tcp,
                });
            }
            if rng.next_u64().is_multiple_of(5) {
                r.protocols = rng.some(
                    &[Protocol::Tcp, Protocol::Udp, Protocol::Sctp, Protocol::Icmp],
                    2,
                );
            }
            r.cidrs = rng.some(
                &s(&["10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12", "fd00::/8"]),
                2,
            );
            if rng.next_u64().is_multiple_of(3) {
                for c in r.cidrs.clone() {
                    let except = match c.as_str() {
                        "10.0.0.0/8" => "10.1.0.0/16",
                        "192.168.1.0/24" => "192.168.1.128/25",
                        "172.16.0.0/12" => "172.16.5.0/24",
                        _ => "fd00:1::/32",
                    };
                    r.except_cidrs.push(except.to_string());
                }
            }
            if rng.next_u64().is_multiple_of(6) {
                r.entities = rng.some(
                    &[
                        NetworkEntity::World,
                        NetworkEntity::Cluster,
                        NetworkEntity::Host,
                        NetworkEntity::KubeApiserver,
                    ],
                    2,
                );
            }
            r.peers = (0..rng.next_u64() % 3)
                .map(|_| {
                    let mut p = PeerSelector {
                        labels: [("app".to_string(), rng.pick(&apps()).to_string())].into(),
                        ..PeerSelector::default()
                    };
                    match rng.next_u64() % 6 {
                        0..=2 => {
                            p.namespace =
                                Some(rng.pick(&["shop", "payments", "kube-system"]).to_string())
                        }
                        3 => p.namespace_labels = [("team".to_string(), "ops".to_string())].into(),
                        4 => p.any_namespace = true,
                        _ => {}
                    }
                    p
                })
                .collect();
            if rng.next_u64().is_multiple_of(4) {
                r.fqdns = rng.some(&s(&["api.example.com", "*.github.com", "pypi.org"]), 2);
            }
            if rng.next_u64().is_multiple_of(8) {
                r.sources = sources(rng);
            }
            if !r.names_network() {
                r.ports.push(PortSpec {
                    port: 8080,
                    end_port: None,
                    protocol: Protocol::Tcp,
                });
            }
        }
        Domain::Syscall => {
            r.syscalls = rng.some(&s(&["ptrace", "mount", "unshare", "setuid", "chroot"]), 2);
            if r.syscalls.is_empty() {
                r.syscalls.push("ptrace".into());
            }
            r.sources = sources(rng);
        }
        Domain::Capability => {
            r.capabilities = rng.some(&s(&["net_raw", "sys_admin", "CAP_CHOWN", "sys_ptrace"]), 2);
            if r.capabilities.is_empty() {
                r.capabilities.push("net_raw".into());
            }
            r.sources = sources(rng);
        }
    }
    r.paths.dedup();
    r.dirs.dedup();
    r.binaries.dedup();
    r.cidrs.dedup();
    r.except_cidrs.dedup();
    r.fqdns.dedup();
    r.syscalls.dedup();
    r.capabilities.dedup();
    r
}

fn apps() -> [&'static str; 6] {
    [
        "nginx",
        "frontend",
        "cartservice",
        "redis-cart",
        "productpage",
        "db",
    ]
}
