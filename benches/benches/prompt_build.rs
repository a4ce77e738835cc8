//! Prompts built per second over a store of 100k events: the intent's scope
//! summarized from the store within the token budget, then the prompt
//! rendered (system prompt, scope, context, intent).

use std::fmt::Write as _;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubescribe_core::intent::Intent;
use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_events::{IngestOptions, ingest_reader};
use kubescribe_synth::prompt::{Template, build_prompt, context_for};

const EVENTS: usize = 100_000;

/// 100k KubeArmor log lines (file 50%, process 20%, network 30%) of 25
/// workloads in 5 namespaces, ingested into an in-memory store.
fn store() -> SqliteStore {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tops = [
        "etc",
        "var/lib",
        "usr/share",
        "opt/app",
        "tmp",
        "var/log",
        "srv",
    ];
    let bins = [
        "/usr/sbin/nginx",
        "/bin/sh",
        "/usr/bin/python3",
        "/usr/local/bin/app",
        "/usr/bin/curl",
        "/bin/busybox",
    ];
    let mut lines = String::with_capacity(EVENTS * 420);
    for i in 0..EVENTS {
        let ns = next() % 5;
        let app = next() % 5;
        let (op, resource, data) = match next() % 10 {
            0..=4 => {
                let mut p = format!("/{}", tops[(next() % tops.len() as u64) as usize]);
                for d in 0..(1 + next() % 4) {
                    let _ = write!(p, "/d{}", next() % (3 + d * 5));
                }
                let _ = write!(p, "/f{}.conf", next() % 40);
                (
                    "File",
                    p,
                    "syscall=SYS_OPENAT fd=-100 flags=O_RDONLY".to_string(),
                )
            }
            5..=6 => (
                "Process",
                bins[(next() % bins.len() as u64) as usize].to_string(),
                "syscall=SYS_EXECVE".to_string(),
            ),
            _ => (
                "Network",
                format!(
                    "remoteip=10.{}.{}.{} port={} protocol=TCP",
                    next() % 4,
                    next() % 256,
                    next() % 256,
                    [80, 443, 5432, 6379, 8080, 9090][(next() % 6) as usize]
                ),
                "syscall=SYS_CONNECT fd=12".to_string(),
            ),
        };
        let line = serde_json::json!({
            "Timestamp": 1_763_600_000 + i,
            "UpdatedTime": "2026-11-20T10:00:00.000000Z",
            "ClusterName": "default", "HostName": "worker-1",
            "NamespaceName": format!("ns{ns}"),
            "PodName": format!("app{app}-5f6d7c8b9-x{ns}{app}"),
            "Labels": format!("app=app{app},tier=t{}", app % 2),
            "ContainerName": "main",
            "ProcessName": bins[(app % 6) as usize],
            "ParentProcessName": "/usr/bin/containerd-shim-runc-v2",
            "PID": 1, "UID": 0, "Type": "ContainerLog",
            "Source": bins[(app % 6) as usize],
            "Operation": op, "Resource": resource, "Data": data, "Result": "Passed",
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let mut s = SqliteStore::open_in_memory().expect("store");
    let sum = ingest_reader(
        &mut s,
        "bench",
        lines.as_bytes(),
        &IngestOptions::default(),
        &mut |_| {},
    )
    .expect("ingest");
    assert_eq!(sum.records_skipped(), 0, "{:?}", sum.skipped);
    let c = s.counts().expect("counts");
    eprintln!(
        "store: {} events ingested: {} file, {} process, {} flow rows ({} observations)",
        EVENTS, c.files, c.processes, c.flows, c.observations
    );
    s
}

fn bench(c: &mut Criterion) {
    let mut s = store();
    let file: Intent = serde_json::from_value(serde_json::json!({
        "engine": "kubearmor",
        "scope": {"namespace": "ns1", "labels": {"app": "app2"}},
        "domain": "file", "action": "block",
        "resources": {"dirs": ["/etc/"], "recursive": true, "readOnly": true}
    }))
    .expect("intent");
    let net: Intent = serde_json::from_value(serde_json::json!({
        "engine": "cilium",
        "scope": {"namespace": "ns3", "labels": {"tier": "t0"}},
        "domain": "network", "action": "allow", "direction": "egress",
        "resources": {"ports": [{"port": 5432, "protocol": "TCP"}], "cidrs": ["10.1.0.0/16"]}
    }))
    .expect("intent");
    let mut g = c.benchmark_group("prompt_build_100k_events");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    for (name, intent) in [("file_one_workload", &file), ("network_tier", &net)] {
        let ctx = context_for(&mut s, intent, 400).expect("context");
        eprintln!(
            "{name}: the scope's context covers {} observations",
            ctx.observations
        );
        for t in [Template::ZeroShot, Template::FewShot] {
            g.bench_function(format!("{name}/{t}/store_context_and_prompt"), |b| {
                b.iter(|| {
                    let ctx = context_for(&mut s, intent, 400).expect("context");
                    build_prompt(intent, Some(&ctx), t, &[]).expect("prompt")
                })
            });
        }
        g.bench_function(format!("{name}/zero-shot/prompt_only"), |b| {
            b.iter(|| build_prompt(intent, Some(&ctx), Template::ZeroShot, &[]).expect("prompt"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
