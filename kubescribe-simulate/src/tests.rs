use std::collections::BTreeMap;

use super::*;
use kubescribe_events::{NetworkEvent, Peer, PodMeta, SourceEngine};

pub(crate) fn policy(yaml: &str) -> Policy {
    let v: serde_json::Value = serde_saphyr::from_str(yaml).unwrap();
    Policy::from_value(v).unwrap()
}

fn labels(s: &str) -> BTreeMap<String, String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// A flow event of pod `ns/lbls`: `dir` is ingress/egress; the peer is
/// `peer_ns/peer_lbls` (`None` for an unknown peer).
pub(crate) fn flow(
    ns: &str,
    lbls: &str,
    dir: Direction,
    peer: Option<(&str, &str)>,
    remote_ip: &str,
    port: u16,
    proto: &str,
) -> Event {
    let (local_port, remote_port) = match dir {
        Direction::Ingress => (Some(port), Some(40000)),
        _ => (Some(40000), Some(port)),
    };
    Event {
        timestamp_ns: None,
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some(ns.into()),
            pod: Some("p".into()),
            labels: labels(lbls),
            ..PodMeta::default()
        },
        validity: Default::default(),
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: proto.into(),
            direction: dir,
            local_ip: Some("10.0.0.5".into()),
            local_port,
            remote_ip: Some(remote_ip.into()),
            remote_port,
            peer: peer.map(|(pns, pl)| Peer {
                namespace: (!pns.is_empty()).then(|| pns.to_string()),
                pod: None,
                labels: labels(pl),
            }),
            dns_name: None,
            process: None,
            http: None,
        }),
    }
}

fn verdict(ps: &[Policy], e: &Event) -> Verdict {
    simulate_event(ps, e).unwrap().verdict
}

const K8S: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: frontend}}
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
      podSelector: {matchExpressions: [{key: app, operator: In, values: [prom]}]}
    - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}
    ports:
    - {port: 8080, protocol: TCP}
    - {port: 9000, endPort: 9010}
"#;

#[test]
fn kubernetes_allow_list() {
    let ps = [policy(K8S)];
    use Direction::*;
    let ing = |peer, ip, port| flow("shop", "app=web", Ingress, peer, ip, port, "TCP");
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), "10.0.0.9", 8080)),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), "10.0.0.9", 8081)),
        Verdict::Block
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), "10.0.0.9", 9005)),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("other", "app=frontend")), "10.0.0.9", 8080)),
        Verdict::Block
    );
    assert_eq!(
        verdict(
            &ps,
            &ing(Some(("monitoring", "app=prom")), "10.0.0.9", 8080)
        ),
        Verdict::Allow
    );
    assert_eq!(
        verdict(
            &ps,
            &ing(Some(("", "reserved:world=")), "192.168.7.1", 8080)
        ),
        Verdict::Allow
    );
    assert_eq!(
        verdict(
            &ps,
            &ing(Some(("", "reserved:world=")), "192.168.1.1", 8080)
        ),
        Verdict::Block
    );
    // Unknown peer from an address outside the block: its labels decide.
    let d = simulate_event(&ps, &ing(None, "10.9.9.9", 8080)).unwrap();
    assert_eq!(d.verdict, Verdict::Unknown, "{d:?}");
    assert_eq!(d.rule.as_deref(), Some("/spec/ingress/0"));
    // UDP to a TCP port: blocked.
    let udp = flow(
        "shop",
        "app=web",
        Ingress,
        Some(("shop", "app=frontend")),
        "10.0.0.9",
        8080,
        "UDP",
    );
    assert_eq!(verdict(&ps, &udp), Verdict::Block);
    // Egress is not governed; other pods are not selected.
    let eg = flow(
        "shop",
        "app=web",
        Egress,
        Some(("shop", "app=db")),
        "10.0.0.7",
        5432,
        "TCP",
    );
    let d = simulate_event(&ps, &eg).unwrap();
    assert_eq!((d.verdict, d.policy), (Verdict::Allow, None));
    let other = flow(
        "shop",
        "app=db",
        Ingress,
        Some(("x", "app=y")),
        "10.0.0.9",
        1,
        "TCP",
    );
    assert_eq!(verdict(&ps, &other), Verdict::Allow);
    // Blocked with the list's pointer.
    let d = simulate_event(&ps, &ing(Some(("shop", "app=frontend")), "10.0.0.9", 1)).unwrap();
    assert_eq!(d.rule.as_deref(), Some("/spec/ingress"));
    // Unknown pod labels: whether it is selected is unknown.
    let mut nolabels = ing(Some(("shop", "app=frontend")), "10.0.0.9", 1);
    nolabels.pod.labels.clear();
    assert_eq!(verdict(&ps, &nolabels), Verdict::Unknown);
}

#[test]
fn kubernetes_union_and_peer_side() {
    let deny_all = policy(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
    );
    let ps = [deny_all.clone(), policy(K8S)];
    use Direction::*;
    // The union: K8S allows frontend → web even though `deny` selects web too.
    let ing = flow(
        "shop",
        "app=web",
        Ingress,
        Some(("other", "x=y")),
        "10.0.0.9",
        8080,
        "TCP",
    );
    assert_eq!(verdict(&ps, &ing), Verdict::Block);
    let ing = flow(
        "shop",
        "app=web",
        Ingress,
        Some(("shop", "app=frontend")),
        "10.0.0.9",
        8080,
        "TCP",
    );
    // web allows it, but the frontend's egress is denied by `deny` (peer side).
    let d = simulate_event(&ps, &ing).unwrap();
    assert_eq!(d.verdict, Verdict::Block, "{d:?}");
    assert!(d.reason.starts_with("at the peer"), "{d:?}");
    assert_eq!(verdict(&ps[1..], &ing), Verdict::Allow);
    // Default deny in both directions.
    let eg = flow("shop", "app=web", Egress, None, "1.1.1.1", 443, "TCP");
    assert_eq!(verdict(&[deny_all], &eg), Verdict::Block);
}

const CILIUM: &str = r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {"k8s:app": web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: frontend}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
  - fromEntities: [world]
    toPorts: [{ports: [{port: "443"}]}]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: frontend, evil: "true"}}]
  egress:
  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.9.0.0/16]}]
  - toFQDNs: [{matchPattern: "*.example.com"}]
    toPorts: [{ports: [{port: "443"}]}]
"#;

#[test]
fn cilium_allow_deny_entities() {
    let ps = [policy(CILIUM)];
    use Direction::*;
    let ing = |peer, port| flow("shop", "app=web", Ingress, peer, "10.1.1.1", port, "TCP");
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), 8080)),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), 8081)),
        Verdict::Block
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("other", "app=frontend")), 8080)),
        Verdict::Block
    );
    let d = simulate_event(&ps, &ing(Some(("shop", "app=frontend,evil=true")), 8080)).unwrap();
    assert_eq!(
        (d.verdict, d.rule.as_deref()),
        (Verdict::Block, Some("/spec/ingressDeny/0"))
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("", "reserved:world=")), 443)),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), 443)),
        Verdict::Block
    );
    // Unknown peer: a pod selector and an entity may both match: unknown.
    assert_eq!(verdict(&ps, &ing(None, 8080)), Verdict::Unknown);
    let eg = |ip: &str, port| {
        flow(
            "shop",
            "app=web",
            Egress,
            Some(("", "reserved:world=")),
            ip,
            port,
            "TCP",
        )
    };
    assert_eq!(verdict(&ps, &eg("10.1.2.3", 5432)), Verdict::Allow);
    assert_eq!(verdict(&ps, &eg("10.9.2.3", 5432)), Verdict::Block);
    // FQDN without a DNS name: unknown; with one: decided.
    assert_eq!(verdict(&ps, &eg("93.184.216.34", 443)), Verdict::Unknown);
    let mut named = eg("93.184.216.34", 443);
    if let EventKind::Network(n) = &mut named.kind {
        n.dns_name = Some("api.example.com".into());
    }
    assert_eq!(verdict(&ps, &named), Verdict::Allow);
    // CIDR rules do not select pods.
    let pod = flow(
        "shop",
        "app=web",
        Egress,
        Some(("shop", "app=db")),
        "10.1.2.3",
        5432,
        "TCP",
    );
    assert_eq!(verdict(&ps, &pod), Verdict::Block);
}

#[test]
fn cilium_empty_rule_is_default_deny_and_can_be_turned_off() {
    let deny = policy(
        "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: d}\nspec:\n  endpointSelector: {}\n  ingress: [{}]\n",
    );
    let e = flow(
        "any",
        "app=x",
        Direction::Ingress,
        Some(("shop", "app=y")),
        "10.0.0.1",
        80,
        "TCP",
    );
    assert_eq!(verdict(&[deny], &e), Verdict::Block);
    let off = policy(
        "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: d}\nspec:\n  endpointSelector: {}\n  enableDefaultDeny: {ingress: false}\n  ingress: [{fromEntities: [cluster]}]\n",
    );
    assert_eq!(verdict(&[off], &e), Verdict::Allow);
}

const CALICO: &str = r#"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  selector: app == 'web' && !has(canary)
  order: 100
  types: [Ingress]
  ingress:
  - action: Log
    source: {nets: [172.16.0.0/12]}
  - action: Deny
    protocol: TCP
    source: {selector: "role in {'attacker', 'scanner'}"}
  - action: Pass
    source: {namespaceSelector: "kubernetes.io/metadata.name == 'monitoring'"}
  - action: Allow
    protocol: TCP
    source: {selector: app == 'frontend' || app starts with 'front'}
    destination: {ports: [8080, "9000:9010"]}
"#;

#[test]
fn calico_order_and_actions() {
    let ps = [policy(CALICO)];
    use Direction::*;
    let ing = |peer, ip, port| flow("shop", "app=web", Ingress, peer, ip, port, "TCP");
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), "10.0.0.1", 8080)),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend2")), "10.0.0.1", 9003)),
        Verdict::Allow
    );
    assert_eq!(
        verdict(&ps, &ing(Some(("shop", "app=frontend")), "10.0.0.1", 81)),
        Verdict::Block
    );
    // Logged, then allowed: audited.
    let d = simulate_event(
        &ps,
        &ing(Some(("shop", "app=frontend")), "172.16.3.3", 8080),
    )
    .unwrap();
    assert_eq!(
        (d.verdict, d.rule.as_deref()),
        (Verdict::Audit, Some("/spec/ingress/3"))
    );
    // Deny comes before the allow.
    let d = simulate_event(
        &ps,
        &ing(
            Some(("shop", "app=frontend,role=scanner")),
            "10.0.0.1",
            8080,
        ),
    )
    .unwrap();
    assert_eq!(
        (d.verdict, d.rule.as_deref()),
        (Verdict::Block, Some("/spec/ingress/1"))
    );
    // Pass: no later tier, so the profile allows.
    assert_eq!(
        verdict(&ps, &ing(Some(("monitoring", "app=prom")), "10.0.0.1", 1)),
        Verdict::Allow
    );
    // Not selected (canary), and another namespace: not governed.
    let canary = flow(
        "shop",
        "app=web,canary=1",
        Ingress,
        Some(("x", "a=b")),
        "10.0.0.1",
        1,
        "TCP",
    );
    assert_eq!(simulate_event(&ps, &canary).unwrap().policy, None);
    // Unknown peer labels: the Deny may or may not match.
    assert_eq!(verdict(&ps, &ing(None, "10.0.0.1", 8080)), Verdict::Unknown);
}

#[test]
fn calico_tiers_global_and_bad_selectors() {
    let global = policy(
        r#"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: base}
spec:
  tier: security
  order: 1
  namespaceSelector: kubernetes.io/metadata.name == 'shop'
  selector: all()
  types: [Egress]
  egress:
  - action: Deny
    destination: {nets: [169.254.169.254/32]}
  - action: Pass
"#,
    );
    let web = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: app == 'web'\n  types: [Egress]\n  egress:\n  - action: Allow\n    protocol: UDP\n    destination: {ports: [53]}\n",
    );
    let ps = [web, global];
    let eg =
        |ip: &str, port, proto| flow("shop", "app=web", Direction::Egress, None, ip, port, proto);
    assert_eq!(
        verdict(&ps, &eg("169.254.169.254", 80, "TCP")),
        Verdict::Block
    );
    assert_eq!(verdict(&ps, &eg("10.0.0.10", 53, "UDP")), Verdict::Allow);
    let d = simulate_event(&ps, &eg("10.0.0.10", 443, "TCP")).unwrap();
    assert_eq!(d.verdict, Verdict::Block);
    assert!(d.reason.contains("end of tier `default`"), "{d:?}");
    let sim = Simulator::new(&ps, SimOptions::default()).unwrap();
    assert!(
        sim.notes()
            .iter()
            .any(|n| n.message.contains("security, default"))
    );

    let bad = policy(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec:\n  selector: app = 'web'\n",
    );
    let err = Simulator::new(&[bad], SimOptions::default()).unwrap_err();
    assert!(err.to_string().contains("/spec/selector"), "{err}");
}

#[test]
fn report_counts_per_rule() {
    let ps = [policy(K8S)];
    let events = [
        flow(
            "shop",
            "app=web",
            Direction::Ingress,
            Some(("shop", "app=frontend")),
            "10.0.0.9",
            8080,
            "TCP",
        ),
        flow(
            "shop",
            "app=web",
            Direction::Ingress,
            Some(("shop", "app=frontend")),
            "10.0.0.9",
            22,
            "TCP",
        ),
        flow(
            "shop",
            "app=web",
            Direction::Ingress,
            None,
            "10.0.0.9",
            8080,
            "TCP",
        ),
        flow(
            "shop",
            "app=web",
            Direction::Listen,
            None,
            "10.0.0.9",
            8080,
            "TCP",
        ),
    ];
    let r = simulate(&ps, &events).unwrap();
    assert_eq!(
        r.totals,
        Counts {
            allowed: 2,
            audited: 0,
            blocked: 1,
            unknown: 1,
            not_simulated: 0,
        }
    );
    assert_eq!(r.decisions.len(), 4);
    let rule = |p: &str| {
        r.rules
            .iter()
            .find(|x| x.rule.as_deref() == Some(p))
            .unwrap()
    };
    assert_eq!(rule("/spec/ingress/0").counts.allowed, 1);
    assert_eq!(rule("/spec/ingress/0").counts.unknown, 1);
    assert_eq!(rule("/spec/ingress").counts.blocked, 1);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["totals"]["blocked"], 1);
}

pub(crate) fn pod_event(ns: &str, lbls: &str, kind: EventKind) -> Event {
    Event {
        timestamp_ns: None,
        source: SourceEngine::KubeArmor,
        pod: PodMeta {
            namespace: Some(ns.into()),
            labels: labels(lbls),
            ..PodMeta::default()
        },
        validity: Default::default(),
        result: None,
        kind,
    }
}

fn file(path: &str, op: kubescribe_events::FileOperation, process: Option<&str>) -> Event {
    pod_event(
        "shop",
        "app=nginx",
        EventKind::File(kubescribe_events::FileEvent {
            path: path.into(),
            operation: op,
            flags: None,
            syscall: None,
            process: process.map(str::to_string),
            by_owner: None,
        }),
    )
}

fn exec(binary: &str, parent: Option<&str>) -> Event {
    pod_event(
        "shop",
        "app=nginx",
        EventKind::Process(kubescribe_events::ProcessEvent {
            action: kubescribe_events::ProcessAction::Exec,
            binary: binary.into(),
            args: None,
            parent: parent.map(str::to_string),
            uid: None,
            by_owner: None,
        }),
    )
}

const KA_ALLOW: &str = r#"
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: nginx, namespace: shop}
spec:
  selector: {matchLabels: {app: nginx}}
  action: Allow
  file:
    matchDirectories:
    - {dir: /var/www/, recursive: true, readOnly: true}
    - {dir: /etc/nginx/}
    matchPaths:
    - path: /etc/passwd
      fromSource: [{path: /usr/sbin/nginx}]
    matchPatterns:
    - {pattern: /tmp/*.sock}
  process:
    matchPaths: [{path: /usr/sbin/nginx}]
    matchDirectories: [{dir: /docker-entrypoint.d/, recursive: true}]
"#;

#[test]
fn kubearmor_allow_list_and_posture() {
    use kubescribe_events::FileOperation::*;
    let ps = [policy(KA_ALLOW)];
    let v = |e: &Event| verdict(&ps, e);
    assert_eq!(
        v(&file("/var/www/html/index.html", Read, None)),
        Verdict::Allow
    );
    assert_eq!(
        v(&file("/var/www/html/index.html", Write, None)),
        Verdict::Block,
        "readOnly"
    );
    assert_eq!(
        v(&file("/var/www/html/index.html", Open, None)),
        Verdict::Unknown
    );
    assert_eq!(
        v(&file("/etc/nginx/nginx.conf", Write, None)),
        Verdict::Allow
    );
    assert_eq!(
        v(&file("/etc/nginx/conf.d/x.conf", Read, None)),
        Verdict::Block,
        "not recursive"
    );
    assert_eq!(v(&file("/tmp/a.sock", Write, None)), Verdict::Allow);
    assert_eq!(
        v(&file("/tmp/a/b.sock", Write, None)),
        Verdict::Block,
        "* stays in a segment"
    );
    assert_eq!(
        v(&file("/etc/passwd", Read, Some("/usr/sbin/nginx"))),
        Verdict::Allow
    );
    assert_eq!(
        v(&file("/etc/passwd", Read, Some("/bin/cat"))),
        Verdict::Block
    );
    assert_eq!(
        v(&file("/etc/passwd", Read, None)),
        Verdict::Unknown,
        "fromSource needs the process"
    );
    let d = simulate_event(&ps, &file("/etc/shadow", Read, None)).unwrap();
    assert_eq!(
        (d.verdict, d.rule.as_deref()),
        (Verdict::Block, Some("/spec/file"))
    );
    assert!(d.reason.contains("default posture"), "{d:?}");
    assert_eq!(v(&exec("/usr/sbin/nginx", None)), Verdict::Allow);
    assert_eq!(
        v(&exec("/docker-entrypoint.d/a/b.sh", None)),
        Verdict::Allow
    );
    assert_eq!(v(&exec("/bin/bash", None)), Verdict::Block);
    assert_eq!(v(&exec("nginx", None)), Verdict::Unknown, "bare name");
    // Audit posture.
    let sim = Simulator::new(
        &ps,
        SimOptions {
            kubearmor_posture: Posture::Audit,
            ..SimOptions::default()
        },
    )
    .unwrap();
    assert_eq!(sim.decide(&exec("/bin/bash", None)).verdict, Verdict::Audit);
    // Another pod, and another namespace: not governed.
    let mut other = exec("/bin/bash", None);
    other.pod.labels = labels("app=db");
    assert_eq!(v(&other).clone(), Verdict::Allow);
    other.pod.namespace = Some("x".into());
    other.pod.labels = labels("app=nginx");
    assert_eq!(simulate_event(&ps, &other).unwrap().policy, None);
}

const KA_BLOCK: &str = r#"
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: harden, namespace: shop}
spec:
  selector: {matchLabels: {app: nginx}}
  action: Block
  file:
    matchDirectories:
    - {dir: /etc/, recursive: true, readOnly: true}
    - {dir: /root/.ssh/, recursive: true, action: Audit}
  process:
    matchPaths: [{execname: apt}]
    matchPatterns: [{pattern: /usr/**/curl}]
  network:
    matchProtocols: [{protocol: raw}, {protocol: icmp, fromSource: [{path: /bin/ping}]}]
  capabilities:
    matchCapabilities: [{capability: net_raw}]
  syscalls:
    matchSyscalls: [{syscall: [ptrace]}]
"#;

#[test]
fn kubearmor_block_and_audit_rules() {
    use kubescribe_events::FileOperation::*;
    let ps = [policy(KA_BLOCK)];
    let v = |e: &Event| verdict(&ps, e);
    assert_eq!(
        v(&file("/etc/hosts", Read, None)),
        Verdict::Allow,
        "readOnly block lets reads through"
    );
    assert_eq!(v(&file("/etc/ssl/x.pem", Write, None)), Verdict::Block);
    assert_eq!(v(&file("/root/.ssh/id_rsa", Read, None)), Verdict::Audit);
    assert_eq!(
        v(&file("/srv/x", Write, None)),
        Verdict::Allow,
        "no allow-list: everything else is allowed"
    );
    assert_eq!(v(&exec("/usr/bin/apt", None)), Verdict::Block);
    assert_eq!(v(&exec("/usr/local/bin/curl", None)), Verdict::Block);
    assert_eq!(v(&exec("/bin/curl", None)), Verdict::Allow);
    let cap = pod_event(
        "shop",
        "app=nginx",
        EventKind::Syscall(kubescribe_events::SyscallEvent {
            kind: kubescribe_events::SyscallKind::Capability,
            name: "CAP_NET_RAW".into(),
            args: None,
            process: None,
        }),
    );
    assert_eq!(v(&cap), Verdict::Block);
    let mut icmp = flow(
        "shop",
        "app=nginx",
        Direction::Egress,
        None,
        "1.1.1.1",
        0,
        "ICMP",
    );
    assert_eq!(v(&icmp), Verdict::Unknown, "fromSource without a process");
    if let EventKind::Network(n) = &mut icmp.kind {
        n.process = Some("/bin/ping".into());
    }
    assert_eq!(v(&icmp), Verdict::Block);
    let tcp = flow(
        "shop",
        "app=nginx",
        Direction::Egress,
        None,
        "1.1.1.1",
        80,
        "TCP",
    );
    assert_eq!(v(&tcp), Verdict::Allow);
    let sim = Simulator::new(&ps, SimOptions::default()).unwrap();
    assert!(sim.notes().iter().any(|n| n.pointer == "/spec/syscalls"));
}

#[test]
fn globs() {
    use kubearmor::glob_matches as g;
    assert!(g("/tmp/*.sock", "/tmp/a.sock"));
    assert!(!g("/tmp/*.sock", "/tmp/a/b.sock"));
    assert!(g("/usr/**/curl", "/usr/local/bin/curl"));
    assert!(g("/a?c", "/abc"));
    assert!(!g("/a?c", "/a/c"));
}
