//! KubeArmor semantics as the engine applies them (each case is one that
//! KubeArmor's e2e scenarios check; `kubearmor_e2e.rs` runs them all
//! against the corpus): ownerOnly/readOnly, ICMP and raw sockets, `net_raw`,
//! allow-lists for the whole container, namespace postures, host policies
//! and what is not simulated.

use std::collections::BTreeMap;

use kubescribe_core::Policy;
use kubescribe_events::{
    Direction, Event, EventKind, FileEvent, FileOperation, NetworkEvent, PodMeta, ProcessAction,
    ProcessEvent, SourceEngine,
};
use kubescribe_simulate::{NamespacePosture, Posture, SimOptions, Simulator, Verdict};

fn policy(yaml: &str) -> Policy {
    let v: serde_json::Value = serde_saphyr::from_str(yaml).expect("yaml");
    Policy::from_value(v).expect("policy")
}

fn pod() -> PodMeta {
    PodMeta {
        namespace: Some("multiubuntu".into()),
        pod: Some("ubuntu-1-abc".into()),
        container: Some("ubuntu-1".into()),
        labels: BTreeMap::from([("container".to_string(), "ubuntu-1".to_string())]),
        node: Some("node-a".into()),
    }
}

fn ev(pod: PodMeta, kind: EventKind) -> Event {
    Event {
        timestamp_ns: None,
        source: SourceEngine::KubeArmor,
        pod,
        validity: Default::default(),
        result: None,
        kind,
    }
}

fn file(path: &str, op: FileOperation, process: &str, by_owner: Option<bool>) -> Event {
    ev(
        pod(),
        EventKind::File(FileEvent {
            path: path.into(),
            operation: op,
            flags: None,
            syscall: None,
            process: Some(process.into()),
            by_owner,
        }),
    )
}

fn exec(binary: &str, parent: &str) -> Event {
    ev(
        pod(),
        EventKind::Process(ProcessEvent {
            action: ProcessAction::Exec,
            binary: binary.into(),
            args: None,
            parent: Some(parent.into()),
            uid: None,
            by_owner: None,
        }),
    )
}

fn socket(protocol: &str, process: &str) -> Event {
    ev(
        pod(),
        EventKind::Network(NetworkEvent {
            protocol: protocol.into(),
            direction: Direction::Unknown,
            local_ip: None,
            local_port: None,
            remote_ip: None,
            remote_port: None,
            peer: None,
            dns_name: None,
            process: Some(process.into()),
            http: None,
        }),
    )
}

fn verdict(policies: &[Policy], e: &Event) -> Verdict {
    Simulator::new(policies, SimOptions::default())
        .unwrap()
        .decide(e)
        .verdict
}

const HEAD: &str = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: p, namespace: multiubuntu}\nspec:\n  selector: {matchLabels: {container: ubuntu-1}}\n";

#[test]
fn owner_only_read_only_block_blocks_writes_by_anyone_and_reads_by_others() {
    // multiubuntu_test_27: Block + ownerOnly + readOnly.
    let p = [policy(&format!(
        "{HEAD}  file:\n    matchPatterns:\n    - {{pattern: /home/user1/secret_data*, ownerOnly: true, readOnly: true}}\n  action: Block\n"
    ))];
    let f = "/home/user1/secret_data1.txt";
    use FileOperation::{Read, Write};
    assert_eq!(
        verdict(&p, &file(f, Read, "/bin/cat", Some(true))),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&p, &file(f, Write, "/bin/bash", Some(true))),
        Verdict::Block
    );
    assert_eq!(
        verdict(&p, &file(f, Read, "/bin/cat", Some(false))),
        Verdict::Block
    );
    assert_eq!(
        verdict(&p, &file(f, Write, "/bin/bash", Some(false))),
        Verdict::Block
    );
    // Without the owner: a write is blocked all the same; a read is unknown.
    assert_eq!(
        verdict(&p, &file(f, Write, "/bin/bash", None)),
        Verdict::Block
    );
    assert_eq!(
        verdict(&p, &file(f, Read, "/bin/cat", None)),
        Verdict::Unknown
    );
    // Outside the pattern: untouched.
    let other = "/home/user1/otherfile.txt";
    assert_eq!(
        verdict(&p, &file(other, Write, "/bin/bash", Some(false))),
        Verdict::Allow
    );
}

#[test]
fn owner_only_allow_allows_the_owner_only() {
    // multiubuntu_test_21 / github_test_06: Allow + ownerOnly (+ readOnly).
    let p = [policy(&format!(
        "{HEAD}  file:\n    matchPaths:\n    - {{path: /home/user1/secret_data1.txt, ownerOnly: true, readOnly: true}}\n  action: Allow\n"
    ))];
    let f = "/home/user1/secret_data1.txt";
    use FileOperation::{Read, Write};
    assert_eq!(
        verdict(&p, &file(f, Read, "/bin/cat", Some(true))),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&p, &file(f, Write, "/bin/bash", Some(true))),
        Verdict::Block
    );
    assert_eq!(
        verdict(&p, &file(f, Read, "/bin/cat", Some(false))),
        Verdict::Block
    );
}

#[test]
fn icmp_rules_match_ping_and_net_raw_covers_raw_sockets() {
    // github_test_09: protocol icmp, Audit; ping opens an ICMP socket.
    let icmp = [policy(&format!(
        "{HEAD}  network:\n    matchProtocols:\n    - protocol: icmp\n  action: Audit\n"
    ))];
    assert_eq!(verdict(&icmp, &socket("ICMP", "/bin/ping")), Verdict::Audit);
    assert_eq!(
        verdict(&icmp, &socket("TCP", "/usr/bin/curl")),
        Verdict::Allow
    );
    // github_test_10: capability net_raw, Block: arping's raw socket is blocked, curl is not.
    let cap = [policy(&format!(
        "{HEAD}  capabilities:\n    matchCapabilities:\n    - capability: net_raw\n  action: Block\n"
    ))];
    assert_eq!(
        verdict(&cap, &socket("RAW", "/usr/sbin/arping")),
        Verdict::Block
    );
    assert_eq!(
        verdict(&cap, &socket("TCP", "/usr/bin/curl")),
        Verdict::Allow
    );
    // Whether ping's ICMP socket is raw is not recorded.
    assert_eq!(
        verdict(&cap, &socket("ICMP", "/bin/ping")),
        Verdict::Unknown
    );
}

#[test]
fn an_allow_rule_with_from_source_makes_an_allow_list_for_every_process() {
    // github_test_12: tcp from curl allowed; wget's TCP and curl's UDP get the posture.
    let p = [policy(&format!(
        "{HEAD}  network:\n    matchProtocols:\n    - protocol: tcp\n      fromSource:\n      - path: /usr/bin/curl\n  action: Allow\n"
    ))];
    assert_eq!(verdict(&p, &socket("TCP", "/usr/bin/curl")), Verdict::Allow);
    assert_eq!(verdict(&p, &socket("UDP", "/usr/bin/curl")), Verdict::Block);
    assert_eq!(verdict(&p, &socket("TCP", "/usr/bin/wget")), Verdict::Block);
    // Another kind of operation is not on the allow-list.
    assert_eq!(
        verdict(&p, &exec("/usr/bin/wget", "/bin/bash")),
        Verdict::Allow
    );
    // The namespace's network posture annotation: audit.
    let mut opts = SimOptions::default();
    opts.kubearmor_namespace_postures.insert(
        "multiubuntu".into(),
        NamespacePosture::from_annotations(&BTreeMap::from([(
            "kubearmor-network-posture".to_string(),
            "audit".to_string(),
        )])),
    );
    let sim = Simulator::new(&p, opts).unwrap();
    assert_eq!(
        sim.decide(&socket("TCP", "/usr/bin/wget")).verdict,
        Verdict::Audit
    );
    // ... which leaves the file posture alone.
    let files = [policy(&format!(
        "{HEAD}  file:\n    matchPaths:\n    - path: /secret.txt\n  action: Allow\n"
    ))];
    let mut opts = SimOptions {
        kubearmor_posture: Posture::Block,
        ..SimOptions::default()
    };
    opts.kubearmor_namespace_postures.insert(
        "multiubuntu".into(),
        NamespacePosture {
            network: Some(Posture::Audit),
            ..NamespacePosture::default()
        },
    );
    let sim = Simulator::new(&files, opts).unwrap();
    let hosts = file("/etc/hosts", FileOperation::Read, "/bin/cat", None);
    assert_eq!(sim.decide(&hosts).verdict, Verdict::Block);
}

#[test]
fn apparmor_only_policies_are_not_simulated_not_allowed() {
    // github_test_11: a native AppArmor profile.
    let p = [policy(&format!(
        "{HEAD}  apparmor: |\n    deny /etc/{{*,**}} rw,\n"
    ))];
    let d = Simulator::new(&p, SimOptions::default())
        .unwrap()
        .decide(&file("/etc/shells", FileOperation::Read, "/bin/cat", None));
    assert_eq!(d.verdict, Verdict::NotSimulated);
    assert!(d.reason.contains("AppArmor"), "{}", d.reason);
    // Another pod is not governed by it.
    let mut other = file("/etc/shells", FileOperation::Read, "/bin/cat", None);
    other
        .pod
        .labels
        .insert("container".into(), "ubuntu-2".into());
    assert_eq!(verdict(&p, &other), Verdict::Allow);
}

#[test]
fn host_policies_select_host_events_by_node_name() {
    // host_scenarios/kubearmor-dev-next_test_06.
    let p = [policy(
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata: {name: h}\nspec:\n  nodeSelector: {matchLabels: {kubernetes.io/hostname: kubearmor-dev-next}}\n  file:\n    matchPaths:\n    - path: /etc/hostname\n      fromSource:\n      - path: /usr/bin/head\n  action: Block\n",
    )];
    let host = |node: &str| PodMeta {
        node: Some(node.into()),
        ..PodMeta::default()
    };
    let mut e = file("/etc/hostname", FileOperation::Read, "/usr/bin/head", None);
    e.pod = host("kubearmor-dev-next");
    assert_eq!(verdict(&p, &e), Verdict::Block);
    e.pod = host("other-node");
    assert_eq!(verdict(&p, &e), Verdict::Allow);
    // A container on that node is not the host.
    let mut c = file("/etc/hostname", FileOperation::Read, "/usr/bin/head", None);
    c.pod.node = Some("kubearmor-dev-next".into());
    assert_eq!(verdict(&p, &c), Verdict::Allow);
}
