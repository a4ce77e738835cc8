//! Conformance with KubeArmor's own e2e expectations.
//!
//! `fixtures/kubearmor_e2e.yaml` holds one case per `cmdN` file of
//! kubearmor/KubeArmor `tests/k8s_env/{scenarios,host_scenarios}` (the
//! command run, its expected result and alert, copied verbatim; the file's
//! header gives the commit and how result/action become a verdict) with the
//! operation the command performs as an event. This test reads each case's
//! scenario policy and `cmd` file from the corpus (`KUBESCRIBE_CORPUS`),
//! checks that the fixture's copy of the expectation is the upstream one,
//! replays the event and reports agree / not simulated (with the reason) /
//! disagree. Any disagreement fails the test; so does an agreement rate
//! under 95%.
//!
//! Run: `KUBESCRIBE_CORPUS=../shared/corpus cargo test -p kubescribe-simulate --test kubearmor_e2e -- --nocapture`

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use kubescribe_core::Policy;
use kubescribe_core::document::{self, ReadLimits};
use kubescribe_events::{
    Direction, Event, EventKind, FileEvent, FileOperation, NetworkEvent, PodMeta, ProcessAction,
    ProcessEvent, SourceEngine,
};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};

#[derive(Debug, Deserialize)]
struct Upstream {
    cmd: String,
    result: String,
    operation: String,
    condition: String,
    action: String,
}

#[derive(Debug, Deserialize)]
struct Pod {
    namespace: String,
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Ev {
    File {
        path: String,
        op: String,
        process: String,
        by_owner: bool,
    },
    Process {
        binary: String,
        parent: String,
        by_owner: bool,
    },
    Network {
        protocol: String,
        process: String,
    },
}

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    upstream: Upstream,
    policy: String,
    #[serde(default)]
    pod: Option<Pod>,
    #[serde(default)]
    host: Option<String>,
    event: Ev,
    expect: String,
}

/// The verdict `test-scenarios-github.sh` expects (DEFAULT_POSTURE=block);
/// `None` where it checks nothing (host scenarios with result `default`).
fn upstream_verdict(u: &Upstream, host: bool) -> Option<Verdict> {
    Some(match (u.result.as_str(), u.action.as_str()) {
        ("default", _) if host => return None,
        ("default", _) | ("failed", _) => Verdict::Block,
        ("passed", "Allow") | ("passed", "Block") => Verdict::Allow,
        ("passed", "Audit") => Verdict::Audit,
        other => panic!("unexpected result/action {other:?}"),
    })
}

/// `key: value` lines of a `cmd` file (two YAML documents).
fn cmd_fields(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn event(case: &Case) -> Event {
    let pod = match (&case.pod, &case.host) {
        (Some(p), None) => PodMeta {
            namespace: Some(p.namespace.clone()),
            pod: Some(format!("{}-deployment-0", p.labels["container"])),
            container: p.labels.get("container").cloned(),
            labels: p.labels.clone(),
            node: Some("kubearmor-dev-next".into()),
        },
        (None, Some(node)) => PodMeta {
            node: Some(node.clone()),
            ..PodMeta::default()
        },
        _ => panic!("{}: give a pod or a host", case.id),
    };
    let kind = match &case.event {
        Ev::File {
            path,
            op,
            process,
            by_owner,
        } => EventKind::File(FileEvent {
            path: path.clone(),
            operation: FileOperation::parse(op).expect("read/write"),
            flags: None,
            syscall: None,
            process: Some(process.clone()),
            by_owner: Some(*by_owner),
        }),
        Ev::Process {
            binary,
            parent,
            by_owner,
        } => EventKind::Process(ProcessEvent {
            action: ProcessAction::Exec,
            binary: binary.clone(),
            args: None,
            parent: Some(parent.clone()),
            uid: None,
            by_owner: Some(*by_owner),
        }),
        Ev::Network { protocol, process } => EventKind::Network(NetworkEvent {
            protocol: protocol.clone(),
            direction: Direction::Unknown,
            local_ip: None,
            local_port: None,
            remote_ip: None,
            remote_port: None,
            peer: None,
            dns_name: None,
            process: Some(process.clone()),
            http: None,
        }),
    };
    Event {
        timestamp_ns: None,
        source: SourceEngine::KubeArmor,
        pod,
        validity: Default::default(),
        result: None,
        kind,
    }
}

fn policies(path: &Path) -> Vec<Policy> {
    let set = document::read_file(path, &ReadLimits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    set.documents
        .iter()
        .map(|d| {
            let mut v = d.value.clone();
            document::prune_nulls(&mut v);
            Policy::from_value(v).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect()
}

#[test]
fn kubearmor_e2e_expectations() {
    let Some(corpus) = kubescribe_testkit::corpus::corpus() else {
        return;
    };
    let root = corpus.join("policies/kubearmor/kubearmor-KubeArmor");
    let text = include_str!("fixtures/kubearmor_e2e.yaml");
    let cases: Vec<Case> = serde_saphyr::from_str(text).expect("fixture parses");
    assert_eq!(cases.len(), 118, "one case per upstream cmd file");
    let (mut agree, mut not_simulated, mut disagree, mut unchecked) =
        (0usize, Vec::new(), Vec::new(), 0usize);
    for case in &cases {
        // The fixture's expectation is upstream's, word for word.
        let cmd_path = root.join("tests/k8s_env").join(&case.id);
        let cmd = std::fs::read_to_string(&cmd_path)
            .unwrap_or_else(|e| panic!("{}: {e}", cmd_path.display()));
        let f = cmd_fields(&cmd);
        let u = &case.upstream;
        for (k, v) in [
            ("cmd", &u.cmd),
            ("result", &u.result),
            ("operation", &u.operation),
            ("condition", &u.condition),
            ("action", &u.action),
        ] {
            assert_eq!(
                f.get(k),
                Some(v),
                "{}: `{k}` differs from upstream",
                case.id
            );
        }
        let host = case.host.is_some();
        let want = upstream_verdict(u, host);
        assert_eq!(
            case.expect,
            want.map_or("none", Verdict::as_str),
            "{}: the fixture's expect is not what upstream's result/action give",
            case.id
        );
        let Some(want) = want else {
            unchecked += 1;
            continue;
        };
        let ps = policies(&root.join(&case.policy));
        let sim = Simulator::new(&ps, SimOptions::default()).expect("compiles");
        let got = sim.decide(&event(case));
        if got.verdict == want {
            agree += 1;
        } else if got.verdict == Verdict::NotSimulated {
            not_simulated.push(format!("{}: {}", case.id, got.reason));
        } else {
            disagree.push(format!(
                "{}: upstream {want}, simulated {} ({})",
                case.id, got.verdict, got.reason
            ));
        }
    }
    let checked = agree + not_simulated.len() + disagree.len();
    let pct = 100.0 * agree as f64 / checked as f64;
    println!(
        "KubeArmor e2e: {checked} expectations ({} cmd files, {unchecked} unchecked upstream): {agree} agree ({pct:.1}%), {} not simulated, {} disagree",
        cases.len(),
        not_simulated.len(),
        disagree.len()
    );
    for n in &not_simulated {
        println!("  not simulated: {n}");
    }
    for d in &disagree {
        println!("  DISAGREE: {d}");
    }
    assert!(disagree.is_empty(), "disagreements: {disagree:#?}");
    assert!(pct >= 95.0, "agreement {pct:.1}% is under 95%");
}
