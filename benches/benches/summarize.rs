//! Context summarization of 1M observed paths, 100k addresses and 100k ports.

use std::net::IpAddr;

use criterion::{Criterion, criterion_group, criterion_main};
use kubescribe_events::context::{summarize_ips, summarize_paths, summarize_ports};

/// Observed paths, addresses and ports, each with a count.
type Workload = (
    Vec<(String, u64)>,
    Vec<(IpAddr, u64)>,
    Vec<(u16, String, u64)>,
);

fn workload() -> Workload {
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tops = ["usr", "var", "etc", "opt", "srv", "tmp", "home", "proc"];
    let paths = (0..1_000_000)
        .map(|_| {
            let depth = 2 + next() % 5;
            let mut p = String::new();
            for d in 0..depth {
                let r = next();
                if d == 0 {
                    p.push('/');
                    p.push_str(tops[(r % tops.len() as u64) as usize]);
                } else {
                    p.push_str(&format!("/d{}", r % (4 + d * 6)));
                }
            }
            (p, 1 + next() % 5)
        })
        .collect();
    let ips = (0..100_000)
        .map(|_| {
            (
                IpAddr::V4(((10u32 << 24) | (next() as u32 & 0x00ff_ffff)).into()),
                1 + next() % 3,
            )
        })
        .collect();
    let ports = (0..100_000)
        .map(|_| {
            (
                (next() % 65535) as u16 + 1,
                if next() % 3 == 0 { "UDP" } else { "TCP" }.to_string(),
                1,
            )
        })
        .collect();
    (paths, ips, ports)
}

fn bench(c: &mut Criterion) {
    let (paths, ips, ports) = workload();
    let mut g = c.benchmark_group("summarize");
    g.sample_size(10);
    g.bench_function("paths_1m_budget_64", |b| {
        b.iter(|| summarize_paths(&paths, 64))
    });
    g.bench_function("ips_100k_budget_32", |b| b.iter(|| summarize_ips(&ips, 32)));
    g.bench_function("ports_100k_budget_32", |b| {
        b.iter(|| summarize_ports(&ports, 32))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
