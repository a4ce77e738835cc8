//! Conformance: Calico's ordering semantics (`order`, tiers, `Pass`, `Log`,
//! `types`, profiles) as its documentation states them,
//! `tests/fixtures/conformance/calico-ordering.yaml`, which cites the
//! statements each case follows. Every probe must agree.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use kubescribe_core::Policy;
use kubescribe_events::{Direction, Event, EventKind, NetworkEvent, Peer, PodMeta, SourceEngine};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};

#[derive(Deserialize)]
struct Fixture {
    source: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    cite: String,
    policies: Vec<serde_json::Value>,
    probes: Vec<Probe>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Probe {
    from: String,
    to: String,
    port: u16,
    expect: Verdict,
}

fn labels(s: &str) -> BTreeMap<String, String> {
    s.split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("k=v");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn event(p: &Probe) -> Event {
    Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some("shop".into()),
            pod: Some("src".into()),
            labels: labels(&p.from),
            ..PodMeta::default()
        },
        validity: Default::default(),
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: "TCP".into(),
            direction: Direction::Egress,
            local_ip: Some("10.0.0.1".into()),
            local_port: None,
            remote_ip: Some("10.0.0.2".into()),
            remote_port: Some(p.port),
            peer: Some(Peer {
                namespace: Some("shop".into()),
                pod: Some("dst".into()),
                labels: labels(&p.to),
            }),
            dns_name: None,
            process: None,
            http: None,
        }),
    }
}

#[test]
fn calico_ordering_semantics_agree() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance/calico-ordering.yaml");
    let fx: Fixture =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("parses");
    let (mut total, mut agree, mut bad) = (0usize, 0usize, Vec::new());
    for case in &fx.cases {
        let policies: Vec<Policy> = case
            .policies
            .iter()
            .map(|v| Policy::from_value(v.clone()).unwrap_or_else(|e| panic!("{}: {e}", case.name)))
            .collect();
        let sim = Simulator::new(&policies, SimOptions::default()).expect("compiles");
        for p in &case.probes {
            total += 1;
            let d = sim.decide(&event(p));
            if d.verdict == p.expect {
                agree += 1;
            } else {
                bad.push(format!(
                    "{} ({}): {} -> {} :{}: expected {}, got {} ({})",
                    case.name, case.cite, p.from, p.to, p.port, p.expect, d.verdict, d.reason
                ));
            }
        }
    }
    println!(
        "Calico ordering semantics ({}): {agree}/{total} probes agree ({:.1}%) over {} cases",
        fx.source,
        100.0 * agree as f64 / total.max(1) as f64,
        fx.cases.len()
    );
    for b in &bad {
        println!("  DISAGREES: {b}");
    }
    assert!(
        fx.cases.len() >= 14 && total >= 30,
        "{} cases, {total} probes",
        fx.cases.len()
    );
    assert_eq!(
        agree,
        total,
        "{} disagreements, first: {:?}",
        bad.len(),
        bad.first()
    );
}
