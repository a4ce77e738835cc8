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

pub fn intent(rng: &mut Rng, domain: Domain) -> Intent {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let apps = [
        "nginx",
        "frontend",
        "cartservice",
        "redis-cart",
        "productpage",
        "db",
    ];
    let mut labels = BTreeMap::new();
    labels.insert("app".to_string(), rng.pick(&apps).to_string());
    if rng.next_u64().is_multiple_of(3) {
        labels.insert(
            "tier".to_string(),
            rng.pick(&["web", "backend", "data"]).to_string(),
        );
    }
    let mut resources = Resources {
        paths: rng.some(
            &s(&[
                "/etc/passwd",
                "/etc/shadow",
                "/var/log/app.log",
                "/root/.ssh/authorized_keys",
                "/usr/bin/curl",
            ]),
            3,
        ),
        dirs: rng.some(
            &s(&["/var/www/", "/etc/nginx/", "/tmp/", "/root/.ssh/", "/"]),
            2,
        ),
        recursive: rng.next_u64().is_multiple_of(2),
        read_only: rng.next_u64().is_multiple_of(2),
        binaries: rng.some(
            &s(&[
                "/usr/sbin/nginx",
                "/bin/bash",
                "/usr/bin/python3",
                "/bin/sh",
                "/usr/bin/apt",
            ]),
            3,
        ),
        ports: (0..rng.next_u64() % 3)
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
            .collect(),
        cidrs: rng.some(
            &s(&["10.0.0.0/8", "192.168.1.0/24", "172.16.0.0/12", "fd00::/8"]),
            2,
        ),
        peers: (0..rng.next_u64() % 3)
            .map(|_| PeerSelector {
                namespace: (rng.next_u64().is_multiple_of(2))
                    .then(|| rng.pick(&["shop", "payments", "kube-system"]).to_string()),
                labels: [("app".to_string(), rng.pick(&apps).to_string())].into(),
                ..PeerSelector::default()
            })
            .collect(),
        fqdns: if rng.next_u64().is_multiple_of(4) {
            rng.some(&s(&["api.example.com", "*.github.com", "pypi.org"]), 2)
        } else {
            Vec::new()
        },
        syscalls: rng.some(&s(&["ptrace", "mount", "unshare", "setuid", "chroot"]), 2),
        capabilities: rng.some(&s(&["net_raw", "sys_admin", "CAP_CHOWN", "sys_ptrace"]), 2),
        ..Resources::default()
    };
    resources.paths.dedup();
    resources.dirs.dedup();
    resources.binaries.dedup();
    resources.cidrs.dedup();
    resources.fqdns.dedup();
    resources.syscalls.dedup();
    resources.capabilities.dedup();
    Intent {
        version: None,
        deny: None,
        engine: None,
        scope: Scope {
            namespace: (!rng.next_u64().is_multiple_of(5))
                .then(|| rng.pick(&["shop", "default", "payments"]).to_string()),
            labels,
            ..Scope::default()
        },
        domain,
        action: *rng.pick(&[Action::Allow, Action::Audit, Action::Block]),
        direction: *rng.pick(&[
            None,
            Some(Direction::Ingress),
            Some(Direction::Egress),
            Some(Direction::Both),
        ]),
        resources,
        rationale: (rng.next_u64().is_multiple_of(2)).then(|| "least privilege".to_string()),
    }
}
