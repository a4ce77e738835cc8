//! Two simulator rules discovery's allow-lists rely on (issue 24): a
//! process start meets a Tetragon `security_bprm_check` kprobe as that
//! call, and a Hubble peer whose record names no namespace takes it from
//! its identity labels.

use std::collections::BTreeMap;

use kubescribe_core::Policy;
use kubescribe_events::{
    Direction, Event, EventKind, NetworkEvent, Peer, PodMeta, ProcessAction, ProcessEvent,
    SourceEngine, Validity,
};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pod(app: &str) -> PodMeta {
    PodMeta {
        namespace: Some("shop".into()),
        pod: Some(format!("{app}-0")),
        container: None,
        labels: labels(&[("app", app)]),
        node: None,
    }
}

fn exec(source: SourceEngine, binary: &str) -> Event {
    Event {
        timestamp_ns: None,
        source,
        pod: pod("web"),
        validity: Validity::Unreviewed,
        result: None,
        kind: EventKind::Process(ProcessEvent {
            action: ProcessAction::Exec,
            binary: binary.into(),
            args: None,
            parent: Some("/bin/sh".into()),
            uid: None,
            by_owner: None,
        }),
    }
}

fn policy(v: serde_json::Value) -> Policy {
    Policy::from_value(v).unwrap()
}

#[test]
fn a_process_start_is_a_bprm_check_call_whoever_observed_it() {
    let p = policy(serde_json::json!({
        "apiVersion": "cilium.io/v1alpha1",
        "kind": "TracingPolicyNamespaced",
        "metadata": {"name": "exec-allow", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "kprobes": [{
                "call": "security_bprm_check",
                "syscall": false,
                "args": [{"index": 0, "type": "linux_binprm"}],
                "selectors": [{
                    "matchArgs": [{"index": 0, "operator": "NotEqual", "values": ["/usr/sbin/nginx"]}],
                    "matchActions": [{"action": "Sigkill"}],
                }],
            }],
        },
    }));
    let sim = Simulator::new(&[p], SimOptions::default()).unwrap();
    for source in [
        SourceEngine::Tetragon,
        SourceEngine::Falco,
        SourceEngine::KubeArmor,
    ] {
        assert_eq!(
            sim.decide(&exec(source, "/usr/sbin/nginx")).verdict,
            Verdict::Allow,
            "{source}"
        );
        assert_eq!(
            sim.decide(&exec(source, "/usr/bin/curl")).verdict,
            Verdict::Block,
            "{source}"
        );
    }
    // matchBinaries sees the parent (the process calling execve).
    let p = policy(serde_json::json!({
        "apiVersion": "cilium.io/v1alpha1",
        "kind": "TracingPolicy",
        "metadata": {"name": "no-shell-children"},
        "spec": {"kprobes": [{
            "call": "security_bprm_check",
            "syscall": false,
            "args": [{"index": 0, "type": "linux_binprm"}],
            "selectors": [{
                "matchBinaries": [{"operator": "In", "values": ["/bin/sh"]}],
                "matchActions": [{"action": "Sigkill"}],
            }],
        }]},
    }));
    let sim = Simulator::new(&[p], SimOptions::default()).unwrap();
    assert_eq!(
        sim.decide(&exec(SourceEngine::Falco, "/usr/bin/id"))
            .verdict,
        Verdict::Block
    );
}

#[test]
fn a_peer_without_a_namespace_takes_it_from_its_identity_labels() {
    let p = policy(serde_json::json!({
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "db-in", "namespace": "shop"},
        "spec": {
            "endpointSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{
                "fromEndpoints": [{"matchLabels": {"app": "api"}}],
                "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}],
            }],
        },
    }));
    let sim = Simulator::new(&[p], SimOptions::default()).unwrap();
    let flow = |peer_labels: BTreeMap<String, String>| Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: pod("db"),
        validity: Validity::Unreviewed,
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: "TCP".into(),
            direction: Direction::Ingress,
            local_ip: Some("10.0.0.9".into()),
            local_port: Some(5432),
            remote_ip: Some("10.0.0.7".into()),
            remote_port: None,
            peer: Some(Peer {
                namespace: None,
                pod: None,
                labels: peer_labels,
            }),
            dns_name: None,
            process: None,
            http: None,
        }),
    };
    let ns_label = "io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name";
    assert_eq!(
        sim.decide(&flow(labels(&[("app", "api"), (ns_label, "shop")])))
            .verdict,
        Verdict::Allow
    );
    // Another namespace's `app=api` is not the policy's peer.
    assert_eq!(
        sim.decide(&flow(labels(&[("app", "api"), (ns_label, "other")])))
            .verdict,
        Verdict::Block
    );
    // No namespace anywhere: unknown, as before.
    assert_eq!(
        sim.decide(&flow(labels(&[("app", "api")]))).verdict,
        Verdict::Unknown
    );
}
