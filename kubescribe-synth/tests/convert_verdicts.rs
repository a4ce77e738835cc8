//! Acceptance: conversions preserve simulated verdicts on the same flows.
//!
//! For every valid network policy of the corpus (KUBESCRIBE_CORPUS) and of
//! a seeded generator, and every other engine: when the conversion reports
//! no loss, the source and the converted policies must give the same
//! verdict (`kubescribe_simulate`) on every generated flow; and when
//! the way back is lossless too, so must the round trip A → B → A.
//!
//! Flows are built from what the policies mention: pods in the named
//! namespaces (plus an unrelated one) with label sets that satisfy, and
//! narrowly miss, every selector term; external addresses inside and
//! outside every CIDR (and its exceptions); every port mentioned, its range
//! ends and an unrelated port; TCP, UDP and SCTP; both directions. Pod
//! addresses are chosen outside every CIDR of the policies, as Kubernetes
//! recommends ipBlock be used for cluster-external addresses (Cilium's CIDR
//! rules never match pods; whether an ipBlock does is left to the CNI).
//!
//! The simulator says *unknown* when an event lacks data a rule needs, and
//! the engines need different data for the same meaning: a namespace label
//! other than its name is unknown to the Kubernetes and Calico simulations
//! but, being a pod label in Cilium, absent there; a service account is a
//! Cilium pod label but unknown to Calico's simulation. Flows that are
//! unknown on exactly one side are counted (and printed) as undecidable;
//! every flow decided on both sides must agree.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use kubescribe_core::Engine;
use kubescribe_core::Policy;
use kubescribe_events::{
    Direction, Event, EventKind, NetworkEvent, Peer as EvPeer, PodMeta, SourceEngine,
};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};
use kubescribe_synth::convert::{self, NamespaceScope, NetPolicy, Peer, PortRef, Selector};
use kubescribe_validate::Validator;

const NET: [Engine; 3] = [Engine::Kubernetes, Engine::Cilium, Engine::Calico];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

#[derive(Clone, Debug)]
struct Pod {
    namespace: String,
    name: String,
    labels: BTreeMap<String, String>,
    ip: String,
}

#[derive(Clone, Debug)]
enum Remote {
    Pod(Pod),
    External(String),
}

/// What the policies mention.
#[derive(Default)]
struct Mentions {
    namespaces: BTreeSet<String>,
    /// key -> values mentioned.
    labels: BTreeMap<String, BTreeSet<String>>,
    /// Label sets that satisfy selector terms.
    label_sets: Vec<BTreeMap<String, String>>,
    cidrs: Vec<(String, Vec<String>)>,
    ports: BTreeSet<u16>,
}

fn note_selector(s: &Selector, m: &mut Mentions) {
    if let Ok(terms) = s.to_label_selectors() {
        for t in terms {
            let mut set = t.match_labels.clone();
            for r in &t.match_expressions {
                use kubescribe_synth::convert::Requirement as R;
                match r {
                    R::In(k, vs) => {
                        if let Some(v) = vs.iter().next() {
                            set.insert(k.clone(), v.clone());
                        }
                        m.labels
                            .entry(k.clone())
                            .or_default()
                            .extend(vs.iter().cloned());
                    }
                    R::NotIn(k, vs) => {
                        m.labels
                            .entry(k.clone())
                            .or_default()
                            .extend(vs.iter().cloned());
                    }
                    R::Exists(k) => {
                        set.insert(k.clone(), "x".into());
                    }
                    R::DoesNotExist(k) => {
                        m.labels.entry(k.clone()).or_default();
                    }
                }
            }
            for (k, v) in &t.match_labels {
                m.labels.entry(k.clone()).or_default().insert(v.clone());
            }
            m.label_sets.push(set);
        }
    }
}

fn note_namespaces(s: &Selector, m: &mut Mentions) {
    if let Ok(terms) = s.to_label_selectors() {
        for t in terms {
            if let Some(v) = t.match_labels.get(convert::NAMESPACE_NAME_KEY) {
                m.namespaces.insert(v.clone());
            }
            for r in &t.match_expressions {
                if let convert::Requirement::In(k, vs) | convert::Requirement::NotIn(k, vs) = r
                    && k == convert::NAMESPACE_NAME_KEY
                {
                    m.namespaces.extend(vs.iter().cloned());
                }
            }
        }
    }
}

fn mentions(ir: &[NetPolicy], m: &mut Mentions) {
    for p in ir {
        m.namespaces
            .insert(p.namespace.clone().unwrap_or_else(|| "default".into()));
        note_selector(&p.subject.pods, m);
        note_namespaces(&p.subject.namespaces, m);
        for rules in [&p.ingress, &p.egress].into_iter().flatten() {
            for r in &rules.rules {
                for peer in &r.peers {
                    match peer {
                        Peer::Endpoints {
                            pods, namespaces, ..
                        } => {
                            note_selector(pods, m);
                            if let NamespaceScope::Selector(s) = namespaces {
                                note_namespaces(s, m);
                            }
                        }
                        Peer::Cidr { cidr, except, .. } => {
                            m.cidrs.push((cidr.clone(), except.clone()))
                        }
                        Peer::Entity { .. } | Peer::Fqdn { .. } => {}
                    }
                }
                for pm in &r.ports {
                    if let Some(PortRef::Number(n)) = pm.port {
                        m.ports.insert(n);
                        if let Some(e) = pm.end_port {
                            m.ports.insert(e);
                            m.ports.insert(n + (e - n) / 2);
                            m.ports.insert(e.saturating_add(1));
                        }
                    }
                }
            }
        }
    }
}

/// An address inside a CIDR (at `offset` from its base), if it parses.
fn addr_in(cidr: &str, offset: u128) -> Option<String> {
    let (a, p) = cidr.split_once('/').unwrap_or((cidr, ""));
    let ip: std::net::IpAddr = a.parse().ok()?;
    match ip {
        std::net::IpAddr::V4(v4) => {
            let p: u32 = p.parse().unwrap_or(32);
            let size = if p >= 32 { 1u64 } else { 1u64 << (32 - p) };
            let base = u32::from(v4) as u64 & !(size - 1);
            let x = base + (offset as u64 % size);
            Some(std::net::Ipv4Addr::from(x as u32).to_string())
        }
        std::net::IpAddr::V6(v6) => {
            let p: u32 = p.parse().unwrap_or(128);
            let size = if p >= 128 {
                1u128
            } else {
                1u128 << (128 - p).min(127)
            };
            let base = u128::from(v6) & !(size - 1);
            Some(std::net::Ipv6Addr::from(base + offset % size).to_string())
        }
    }
}

fn in_cidr(ip: &str, cidr: &str) -> bool {
    let (a, p) = cidr.split_once('/').unwrap_or((cidr, "128"));
    match (
        ip.parse::<std::net::IpAddr>(),
        a.parse::<std::net::IpAddr>(),
    ) {
        (Ok(std::net::IpAddr::V4(x)), Ok(std::net::IpAddr::V4(b))) => {
            let p: u32 = p.parse().unwrap_or(32).min(32);
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
            u32::from(x) & mask == u32::from(b) & mask
        }
        (Ok(std::net::IpAddr::V6(x)), Ok(std::net::IpAddr::V6(b))) => {
            let p: u32 = p.parse().unwrap_or(128).min(128);
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            u128::from(x) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// The flows for a set of IR policies, `None` when no pod range lies
/// outside their CIDRs.
fn flows(ir: &[NetPolicy], seed: u64) -> Option<Vec<Event>> {
    let mut m = Mentions::default();
    mentions(ir, &mut m);
    let pod_range = [
        "10.244.0.0/16",
        "100.96.0.0/16",
        "172.30.0.0/16",
        "192.168.250.0/24",
    ]
    .into_iter()
    .find(|r| {
        let probe = addr_in(r, 0).unwrap_or_default();
        let probe2 = addr_in(r, 255).unwrap_or_default();
        !m.cidrs.iter().any(|(c, _)| {
            in_cidr(&probe, c)
                || in_cidr(&probe2, c)
                || in_cidr(&addr_in(c, 0).unwrap_or_default(), r)
        })
    })?;
    let mut rng = Rng(seed);
    let mut namespaces: Vec<String> = m.namespaces.iter().cloned().collect();
    namespaces.push("unrelated".into());
    // Label sets: the satisfying ones, each with one value changed or one key
    // dropped, and random mixes of the mentioned values.
    let mut sets: Vec<BTreeMap<String, String>> = Vec::new();
    for s in &m.label_sets {
        sets.push(s.clone());
        for k in s.keys() {
            let mut t = s.clone();
            t.insert(k.clone(), "zz-other".into());
            sets.push(t);
            let mut t = s.clone();
            t.remove(k);
            sets.push(t);
        }
    }
    let keys: Vec<(&String, Vec<&String>)> = m
        .labels
        .iter()
        .map(|(k, v)| (k, v.iter().collect()))
        .collect();
    for _ in 0..8 {
        let mut t = BTreeMap::new();
        for (k, vs) in &keys {
            match rng.below(3) {
                0 => {}
                1 if !vs.is_empty() => {
                    t.insert((*k).clone(), (*rng.pick(vs)).clone());
                }
                _ => {
                    t.insert((*k).clone(), "zz-other".into());
                }
            }
        }
        sets.push(t);
    }
    for s in &mut sets {
        // Pod labels must be known (non-empty) for selectors to be decidable.
        s.insert("kubescribe-test/pod".into(), "yes".into());
        // A namespace label Cilium would derive is not a pod label.
        s.retain(|k, _| {
            !k.contains(':') && !k.starts_with("io.") && !k.starts_with("projectcalico.org/")
        });
    }
    sets.sort();
    sets.dedup();
    let mut pods = Vec::new();
    for (i, s) in sets.iter().enumerate() {
        for ns in &namespaces {
            // Every set in the policies' namespaces; a sample elsewhere.
            if ns == "unrelated" && i % 3 != 0 {
                continue;
            }
            pods.push(Pod {
                namespace: ns.clone(),
                name: format!("pod-{}", pods.len()),
                labels: s.clone(),
                ip: addr_in(pod_range, 10 + pods.len() as u128)?,
            });
        }
    }
    let mut remotes: Vec<Remote> = pods.iter().cloned().map(Remote::Pod).collect();
    let mut ext = vec!["8.8.8.8".to_string(), "2001:db8::1".to_string()];
    for (c, except) in &m.cidrs {
        ext.extend(addr_in(c, 1));
        for e in except {
            ext.extend(addr_in(e, 1));
        }
    }
    ext.sort();
    ext.dedup();
    remotes.extend(
        ext.into_iter()
            .filter(|a| !in_cidr(a, pod_range))
            .map(Remote::External),
    );
    let mut ports: Vec<u16> = m.ports.iter().copied().collect();
    ports.push(9999);
    let mut out = Vec::new();
    let budget = 1500usize;
    let total = pods.len() * remotes.len();
    for (li, local) in pods.iter().enumerate() {
        for (ri, remote) in remotes.iter().enumerate() {
            // Sample pairs when there are many.
            if total > budget / 4 && rng.below(total) > budget / 4 && (li + ri) % 7 != 0 {
                continue;
            }
            for dir in [Direction::Ingress, Direction::Egress] {
                let proto = *rng.pick(&["TCP", "TCP", "UDP", "SCTP"]);
                let port = *rng.pick(&ports);
                out.push(event(local, remote, dir, proto, port));
            }
        }
    }
    Some(out)
}

fn event(local: &Pod, remote: &Remote, dir: Direction, proto: &str, port: u16) -> Event {
    let (remote_ip, peer) = match remote {
        Remote::Pod(p) => (
            p.ip.clone(),
            Some(EvPeer {
                namespace: Some(p.namespace.clone()),
                pod: Some(p.name.clone()),
                labels: p.labels.clone(),
            }),
        ),
        Remote::External(a) => (
            a.clone(),
            Some(EvPeer {
                namespace: None,
                pod: None,
                labels: [("reserved:world".to_string(), String::new())].into(),
            }),
        ),
    };
    let (local_port, remote_port) = match dir {
        Direction::Ingress => (port, 40000),
        _ => (40000, port),
    };
    Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some(local.namespace.clone()),
            pod: Some(local.name.clone()),
            container: None,
            labels: local.labels.clone(),
            node: None,
        },
        validity: Default::default(),
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: proto.into(),
            direction: dir,
            local_ip: Some(local.ip.clone()),
            local_port: Some(local_port),
            remote_ip: Some(remote_ip),
            remote_port: Some(remote_port),
            peer,
            dns_name: None,
            process: None,
            http: None,
        }),
    }
}

fn verdicts(policies: &[Policy], events: &[Event]) -> Vec<Verdict> {
    let sim = Simulator::new(policies, SimOptions::default()).expect("simulator");
    events.iter().map(|e| sim.decide(e).verdict).collect()
}

#[derive(Default)]
struct Tally {
    compared: usize,
    flows: usize,
    skipped_lossy: usize,
    skipped_no_pod_range: usize,
    round_trips: usize,
    /// Flows unknown on exactly one side.
    undecidable: usize,
    undecidable_round_trip: usize,
}

/// Compares source and converted verdicts; returns mismatches.
fn check(
    src: &Policy,
    label: &str,
    tallies: &mut BTreeMap<(Engine, Engine), Tally>,
    seed: u64,
) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok((ir, _)) = convert::from_policy(src) else {
        return problems;
    };
    for target in NET {
        if target == src.engine() {
            continue;
        }
        let t = tallies.entry((src.engine(), target)).or_default();
        let conv = match convert::convert(src, target, true) {
            Ok(c) => c,
            Err(_) => {
                t.skipped_lossy += 1;
                continue;
            }
        };
        // Flows from what both sides mention.
        let mut all_ir = ir.clone();
        for p in &conv.policies {
            if let Ok((mut more, _)) = convert::from_policy(p) {
                all_ir.append(&mut more);
            }
        }
        let Some(events) = flows(&all_ir, seed) else {
            t.skipped_no_pod_range += 1;
            continue;
        };
        let a = verdicts(std::slice::from_ref(src), &events);
        let b = verdicts(&conv.policies, &events);
        t.compared += 1;
        t.flows += events.len();
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if (*x == Verdict::Unknown) != (*y == Verdict::Unknown) {
                t.undecidable += 1;
            } else if x != y {
                problems.push(format!(
                    "{label} -> {target}: flow {i}: {x} vs {y}\n  flow: {}\n  source: {}\n  target: {}",
                    serde_json::to_string(&events[i]).unwrap_or_default(),
                    serde_json::to_string(&src.to_value().unwrap()).unwrap_or_default(),
                    serde_json::to_string(&conv.policies.iter().map(|p| p.to_value().unwrap()).collect::<Vec<_>>()).unwrap_or_default()
                ));
                break;
            }
        }
        // Round trip A -> B -> A.
        let mut back = Vec::new();
        let mut lossless = true;
        for p in &conv.policies {
            match convert::convert(p, src.engine(), true) {
                Ok(c) => back.extend(c.policies),
                Err(_) => lossless = false,
            }
        }
        if lossless {
            let c = verdicts(&back, &events);
            t.round_trips += 1;
            for (i, (x, y)) in a.iter().zip(&c).enumerate() {
                if (*x == Verdict::Unknown) != (*y == Verdict::Unknown) {
                    t.undecidable_round_trip += 1;
                } else if x != y {
                    problems.push(format!(
                        "{label} -> {target} -> back: flow {i}: {x} vs {y}\n  flow: {}\n  back: {}",
                        serde_json::to_string(&events[i]).unwrap_or_default(),
                        serde_json::to_string(
                            &back
                                .iter()
                                .map(|p| p.to_value().unwrap())
                                .collect::<Vec<_>>()
                        )
                        .unwrap_or_default()
                    ));
                    break;
                }
            }
        }
    }
    problems
}

fn print(title: &str, tallies: &BTreeMap<(Engine, Engine), Tally>) {
    eprintln!(
        "{title} (source -> target: policies compared / flows / round trips; flows unknown on one side only, there and back; policies skipped: lossy, no pod range)"
    );
    for ((s, t), x) in tallies {
        eprintln!(
            "  {:<10} -> {:<10} {:>4} / {:>7} / {:>4}; undecidable {:>4}, {:>4}; skipped {:>3}, {:>2}",
            s.name(),
            t.name(),
            x.compared,
            x.flows,
            x.round_trips,
            x.undecidable,
            x.undecidable_round_trip,
            x.skipped_lossy,
            x.skipped_no_pod_range
        );
    }
}

#[test]
fn corpus_conversions_preserve_simulated_verdicts() {
    let Some(root) = kubescribe_testkit::corpus::corpus() else {
        return;
    };
    let (docs, _) = kubescribe_testkit::corpus::policy_documents(&root);
    let validator = Validator::new();
    let mut tallies = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        if !NET.contains(&d.kind.engine()) {
            continue;
        }
        let Some(policy) = validator.validate_value(&d.value).policy else {
            continue;
        };
        if Simulator::new(std::slice::from_ref(&policy), SimOptions::default()).is_err() {
            continue;
        }
        problems.extend(check(
            &policy,
            &format!("{}#{}", d.path, d.index),
            &mut tallies,
            i as u64,
        ));
    }
    print("corpus", &tallies);
    let compared: usize = tallies.values().map(|t| t.compared).sum();
    assert!(
        compared >= 150,
        "only {compared} lossless conversions compared"
    );
    assert!(
        problems.is_empty(),
        "{} mismatch(es):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Generated policies: random subjects, peers (pods, namespaces, CIDRs),
/// ports and ranges, in each engine's own syntax.
fn generated(rng: &mut Rng, i: usize) -> Value {
    let apps = ["web", "api", "db", "cache"];
    let nss = ["shop", "mon", "kube-system"];
    let app = *rng.pick(&apps);
    let ns = "shop";
    let port = *rng.pick(&[80u16, 443, 5432, 8080, 53]);
    let peer_app = *rng.pick(&apps);
    let peer_ns = *rng.pick(&nss);
    let cidr = *rng.pick(&["203.0.113.0/24", "198.51.100.0/25", "192.0.2.8/29"]);
    let proto = *rng.pick(&["TCP", "UDP"]);
    let ranged = rng.below(3) == 0;
    let egress = rng.below(2) == 0;
    let name = format!("gen-{i}");
    match rng.below(3) {
        0 => {
            let mut p = json!({"protocol": proto, "port": port});
            if ranged {
                p["endPort"] = json!(port + 10);
            }
            let peers = json!([
                {"podSelector": {"matchLabels": {"app": peer_app}}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": peer_ns}},
                 "podSelector": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": [app]}]}},
                {"ipBlock": {"cidr": cidr}}
            ]);
            let (dir, key) = if egress {
                ("Egress", "to")
            } else {
                ("Ingress", "from")
            };
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                   "metadata": {"name": name, "namespace": ns},
                   "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": [dir],
                            dir.to_lowercase(): [{key: peers, "ports": [p]}]}})
        }
        1 => {
            let mut p = json!({"protocol": proto, "port": port.to_string()});
            if ranged {
                p["endPort"] = json!(port + 10);
            }
            let side = if egress { "to" } else { "from" };
            let mut rule = json!({
                format!("{side}Endpoints"): [
                    {"matchLabels": {"app": peer_app}},
                    {"matchLabels": {"k8s:io.kubernetes.pod.namespace": peer_ns, "tier": "backend"}}
                ],
                format!("{side}CIDRSet"): [{"cidr": cidr}],
                "toPorts": [{"ports": [p]}]
            });
            if rng.below(2) == 0 {
                rule.as_object_mut()
                    .unwrap()
                    .remove(&format!("{side}CIDRSet"));
            }
            let mut spec = json!({"endpointSelector": {"matchLabels": {"app": app}}});
            spec[if egress { "egress" } else { "ingress" }] = json!([rule]);
            if rng.below(2) == 0 {
                spec[if egress { "egressDeny" } else { "ingressDeny" }] =
                    json!([{format!("{side}Endpoints"): [{"matchLabels": {"app": "cache"}}]}]);
            }
            json!({"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                   "metadata": {"name": name, "namespace": ns}, "spec": spec})
        }
        _ => {
            let ports = if ranged {
                json!([format!("{port}:{}", port + 10)])
            } else {
                json!([port])
            };
            let peer_key = if egress { "destination" } else { "source" };
            let mut allow = json!({"action": "Allow", "protocol": proto,
                "destination": {"ports": ports}});
            let peer = match rng.below(3) {
                0 => json!({"selector": format!("app == '{peer_app}' || tier == 'backend'")}),
                1 => {
                    json!({"selector": format!("app != '{app}'"), "namespaceSelector": format!("kubernetes.io/metadata.name == '{peer_ns}'")})
                }
                _ => json!({"nets": [cidr]}),
            };
            for (k, v) in peer.as_object().unwrap() {
                allow[peer_key][k] = v.clone();
            }
            let mut rules = vec![allow];
            if rng.below(2) == 0 {
                rules.insert(
                    0,
                    json!({"action": "Deny", peer_key: {"selector": "app == 'cache'"}}),
                );
            }
            let dir = if egress { "Egress" } else { "Ingress" };
            json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                   "metadata": {"name": name, "namespace": ns},
                   "spec": {"selector": format!("app == '{app}' || has(canary)"), "types": [dir],
                            dir.to_lowercase(): rules}})
        }
    }
}

#[test]
fn generated_conversions_preserve_simulated_verdicts() {
    let validator = Validator::new();
    let mut rng = Rng(7);
    let mut tallies = BTreeMap::new();
    let mut problems = Vec::new();
    for i in 0..300 {
        let v = generated(&mut rng, i);
        let o = validator.validate_value(&v);
        let Some(policy) = o.policy else {
            panic!("generated policy invalid: {v}\n{:?}", o.diagnostics);
        };
        problems.extend(check(
            &policy,
            &format!("generated #{i}"),
            &mut tallies,
            i as u64,
        ));
    }
    print("generated", &tallies);
    let compared: usize = tallies.values().map(|t| t.compared).sum();
    assert!(
        compared >= 400,
        "only {compared} lossless conversions compared"
    );
    assert!(
        problems.is_empty(),
        "{} mismatch(es):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
