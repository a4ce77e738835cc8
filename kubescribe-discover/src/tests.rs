//! Discovery on events built in memory: the policies' shapes, both ends of
//! a flow, operator-denied events, and every engine's policies replayed
//! against the events they came from.

use std::collections::BTreeMap;

use kubescribe_core::engine::Engine;
use kubescribe_events::{
    Direction, Event, EventKind, FileEvent, FileOperation, NetworkEvent, Peer as EvPeer, PodMeta,
    ProcessAction, ProcessEvent, SourceEngine, Validity, Workload,
};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};

use super::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pod(app: &str, name: &str) -> PodMeta {
    PodMeta {
        namespace: Some("shop".into()),
        pod: Some(name.into()),
        container: None,
        labels: labels(&[("app", app), ("pod-template-hash", "6d4cf56db6")]),
        node: None,
    }
}

fn ev(p: PodMeta, kind: EventKind) -> Event {
    Event {
        timestamp_ns: None,
        source: SourceEngine::KubeArmor,
        pod: p,
        validity: Validity::Unreviewed,
        result: None,
        kind,
    }
}

fn exec(p: PodMeta, bin: &str) -> Event {
    ev(
        p,
        EventKind::Process(ProcessEvent {
            action: ProcessAction::Exec,
            binary: bin.into(),
            args: None,
            parent: None,
            uid: None,
            by_owner: None,
        }),
    )
}

fn file(p: PodMeta, path: &str, op: FileOperation) -> Event {
    ev(
        p,
        EventKind::File(FileEvent {
            path: path.into(),
            operation: op,
            flags: None,
            syscall: None,
            process: Some("/usr/sbin/nginx".into()),
            by_owner: None,
        }),
    )
}

fn flow(p: PodMeta, peer: Option<(&str, &str)>, ip: &str, port: u16, dns: Option<&str>) -> Event {
    ev(
        p,
        EventKind::Network(NetworkEvent {
            protocol: "TCP".into(),
            direction: Direction::Egress,
            local_ip: None,
            local_port: None,
            remote_ip: Some(ip.into()),
            remote_port: Some(port),
            peer: Some(match peer {
                Some((app, name)) => EvPeer {
                    namespace: Some("shop".into()),
                    pod: Some(name.into()),
                    labels: labels(&[("app", app)]),
                },
                None => EvPeer {
                    namespace: None,
                    pod: None,
                    labels: labels(&[("reserved:world", "")]),
                },
            }),
            dns_name: dns.map(str::to_string),
            process: None,
            http: None,
        }),
    )
}

fn sample() -> Vec<Event> {
    let web = || pod("web", "web-6d4cf56db6-aaaaa");
    let web2 = || pod("web", "web-6d4cf56db6-bbbbb");
    vec![
        exec(web(), "/usr/sbin/nginx"),
        exec(web2(), "/usr/sbin/nginx"),
        file(web(), "/var/www/html/a.html", FileOperation::Read),
        file(web2(), "/var/www/html/b.html", FileOperation::Read),
        file(web(), "/var/www/html/c.html", FileOperation::Read),
        file(web(), "/var/www/html/img/d.png", FileOperation::Read),
        file(web(), "/var/log/nginx/access.log", FileOperation::Write),
        flow(
            web(),
            Some(("api", "api-7b9c8d5f4-q2wzl")),
            "10.0.0.7",
            8080,
            None,
        ),
        flow(web(), None, "203.0.113.9", 443, Some("example.com.")),
        flow(web(), None, "198.51.100.4", 443, None),
        flow(
            pod("api", "api-7b9c8d5f4-q2wzl"),
            Some(("db", "db-0")),
            "10.0.0.9",
            5432,
            None,
        ),
    ]
}

fn run(engines: &[Engine], threshold: Option<usize>) -> Discovery {
    discover(
        &sample(),
        &[],
        &DiscoverOptions {
            engines: engines.to_vec(),
            dir_threshold: threshold,
            ..DiscoverOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn pods_group_into_workloads_by_labels_not_pod_names() {
    let d = run(&[Engine::KubeArmor], Some(3));
    let names: Vec<&str> = d
        .workloads
        .iter()
        .map(|w| w.workload.name.as_str())
        .collect();
    assert_eq!(names, ["api", "db", "web"]);
    let web = d
        .workloads
        .iter()
        .find(|w| w.workload.name == "web")
        .unwrap();
    assert_eq!(web.workload.labels, labels(&[("app", "web")]));
    // Both pods' events, and the flows.
    assert_eq!(web.events.len(), 10);
}

#[test]
fn kubearmor_allow_list_aggregates_and_marks_read_only() {
    let d = run(&[Engine::KubeArmor], Some(3));
    let p = d
        .policies
        .iter()
        .find(|p| p.workload.name == "web")
        .unwrap();
    let v = p.policy.to_value().unwrap();
    assert_eq!(v["kind"], "KubeArmorPolicy");
    assert_eq!(v["spec"]["action"], "Allow");
    assert_eq!(
        v["spec"]["selector"]["matchLabels"],
        serde_json::json!({"app": "web"})
    );
    assert_eq!(
        v["spec"]["process"]["matchPaths"],
        serde_json::json!([{"path": "/usr/sbin/nginx"}])
    );
    // /var/www/html has 4 entries (a, b, c, img) > 3: one read-only dir.
    assert_eq!(
        v["spec"]["file"]["matchDirectories"],
        serde_json::json!([{"dir": "/var/www/html/", "recursive": true, "readOnly": true}])
    );
    assert_eq!(
        v["spec"]["file"]["matchPaths"],
        serde_json::json!([{"path": "/var/log/nginx/access.log"}])
    );
    // Exact paths without aggregation.
    let d = run(&[Engine::KubeArmor], None);
    let p = d
        .policies
        .iter()
        .find(|p| p.workload.name == "web")
        .unwrap();
    let v = p.policy.to_value().unwrap();
    assert!(v["spec"]["file"].get("matchDirectories").is_none(), "{v}");
    assert_eq!(v["spec"]["file"]["matchPaths"].as_array().unwrap().len(), 5);
}

#[test]
fn a_flow_is_egress_of_one_end_and_ingress_of_the_other() {
    let d = run(&[Engine::Cilium], Some(3));
    let api = d
        .workloads
        .iter()
        .find(|w| w.workload.name == "api")
        .unwrap();
    assert_eq!(api.allow.ingress.len(), 1);
    assert_eq!(api.allow.egress.len(), 1);
    let web = d
        .workloads
        .iter()
        .find(|w| w.workload.name == "web")
        .unwrap();
    let peers: Vec<String> = web.allow.egress.iter().map(|r| r.peer.describe()).collect();
    assert_eq!(peers, ["shop/api", "198.51.100.4/32", "example.com"]);
    let v = d
        .policies
        .iter()
        .find(|p| p.workload.name == "web")
        .unwrap()
        .policy
        .to_value()
        .unwrap();
    let egress = v["spec"]["egress"].as_array().unwrap();
    assert!(
        egress
            .iter()
            .any(|r| r["toFQDNs"][0]["matchName"] == "example.com"),
        "{v}"
    );
    assert!(
        egress.iter().any(|r| r["toCIDR"][0] == "198.51.100.4/32"),
        "{v}"
    );
}

#[test]
fn denied_events_are_never_allowed() {
    let mut events = sample();
    let mut bad = exec(pod("web", "web-6d4cf56db6-aaaaa"), "/bin/sh");
    bad.validity = Validity::Denied;
    events.push(bad.clone());
    let d = discover(&events, &[], &DiscoverOptions::default()).unwrap();
    let web = d
        .workloads
        .iter()
        .find(|w| w.workload.name == "web")
        .unwrap();
    assert!(!web.events.contains(&(events.len() - 1)));
    let ka: Vec<_> = d
        .policies
        .iter()
        .filter(|p| p.engine == Engine::KubeArmor)
        .map(|p| p.policy.clone())
        .collect();
    let sim = Simulator::new(&ka, SimOptions::default()).unwrap();
    bad.validity = Validity::Unreviewed;
    assert_eq!(sim.decide(&bad).verdict, Verdict::Block);
    assert_eq!(d.skipped.values().sum::<u64>(), 1);
}

/// Every engine: the policies validate (layer 1) and allow every event
/// they were derived from; an unseen binary or peer is blocked.
#[test]
fn every_engine_allows_its_training_events_and_blocks_the_unseen() {
    let events = sample();
    for engine in Engine::ALL {
        let d = run(&[engine], Some(3));
        assert!(!d.policies.is_empty(), "{engine}");
        let policies: Vec<_> = d.policies.iter().map(|p| p.policy.clone()).collect();
        for p in &policies {
            let v = p.to_value().unwrap();
            let o = kubescribe_validate::Validator::new().validate_value(&v);
            assert!(o.is_valid(), "{engine}: {v}\n{:?}", o.diagnostics);
        }
        let sim = Simulator::new(&policies, SimOptions::default()).unwrap();
        for w in &d.workloads {
            for &i in &w.events {
                let dec = sim.decide(&events[i]);
                assert_eq!(dec.verdict, Verdict::Allow, "{engine}: event {i}: {dec:?}");
            }
        }
        let unseen = match engine {
            Engine::KubeArmor | Engine::Tetragon => {
                exec(pod("web", "web-6d4cf56db6-aaaaa"), "/usr/bin/curl")
            }
            _ => flow(
                pod("web", "web-6d4cf56db6-aaaaa"),
                None,
                "192.0.2.1",
                4444,
                None,
            ),
        };
        assert_eq!(sim.decide(&unseen).verdict, Verdict::Block, "{engine}");
    }
}

#[test]
fn a_manifest_names_the_workload_and_its_selector() {
    let w = Workload {
        kind: "Deployment".into(),
        namespace: "shop".into(),
        name: "frontend".into(),
        labels: BTreeMap::new(),
        pod_labels: labels(&[("app", "web")]),
        selector: labels(&[("app", "web")]),
        ports: vec![],
        addresses: vec![],
    };
    let d = discover(&sample(), &[w], &DiscoverOptions::default()).unwrap();
    assert!(
        d.workloads
            .iter()
            .any(|w| w.workload.name == "frontend"
                && w.workload.kind.as_deref() == Some("Deployment"))
    );
    assert!(
        d.policies
            .iter()
            .any(|p| p.policy.name() == Some("ks-discover-frontend"))
    );
}

#[test]
fn diff_names_new_peers_and_binaries() {
    let old = run(&[Engine::KubeArmor, Engine::Cilium], Some(3));
    let mut events = sample();
    events.push(exec(pod("web", "web-6d4cf56db6-aaaaa"), "/usr/bin/curl"));
    events.push(flow(
        pod("web", "web-6d4cf56db6-aaaaa"),
        None,
        "192.0.2.1",
        4444,
        None,
    ));
    let new = discover(&events, &[], &DiscoverOptions::default()).unwrap();
    let ps = |d: &Discovery| {
        d.policies
            .iter()
            .map(|p| p.policy.clone())
            .collect::<Vec<_>>()
    };
    let changes = diff::diff(&ps(&old), &ps(&new));
    let added: Vec<&String> = changes.iter().flat_map(|c| &c.added).collect();
    assert!(
        added.iter().any(|a| a.contains("/usr/bin/curl")),
        "{changes:?}"
    );
    assert!(
        added
            .iter()
            .any(|a| a.contains("192.0.2.1/32") && a.contains("4444/TCP")),
        "{changes:?}"
    );
    assert!(changes.iter().all(|c| c.removed.is_empty()), "{changes:?}");
    assert!(diff::diff(&ps(&old), &ps(&old)).is_empty());
}
