use super::*;
use kubescribe_core::intent::{
    Action, Direction, PeerSelector, PortSpec, Protocol, Resources, Scope,
};

fn intent(domain: Domain, action: Action, resources: Resources) -> Intent {
    Intent {
        version: None,
        deny: None,
        engine: None,
        scope: Scope {
            namespace: Some("shop".into()),
            labels: [("app".to_string(), "nginx".to_string())].into(),
            ..Scope::default()
        },
        domain,
        action,
        direction: None,
        resources,
        rationale: Some("serve static files only".into()),
    }
}

#[test]
fn kubearmor_file_allow_list_matches_the_issue_example() {
    let i = intent(
        Domain::File,
        Action::Allow,
        Resources {
            dirs: vec!["/var/www/".into()],
            recursive: true,
            read_only: true,
            binaries: vec!["/usr/sbin/nginx".into()],
            ..Resources::default()
        },
    );
    let p = synthesize(&i, None).unwrap();
    assert_eq!(p.kind(), kubescribe_core::PolicyKind::KubeArmorPolicy);
    let v = p.to_value().unwrap();
    assert_eq!(v["metadata"]["namespace"], "shop");
    assert_eq!(v["spec"]["selector"]["matchLabels"]["app"], "nginx");
    assert_eq!(
        v["spec"]["file"]["matchDirectories"][0],
        serde_json::json!({"dir": "/var/www/", "readOnly": true, "recursive": true})
    );
    assert_eq!(
        v["spec"]["process"]["matchPaths"][0]["path"],
        "/usr/sbin/nginx"
    );
    assert_eq!(v["spec"]["action"], "Allow");
    assert_eq!(v["spec"]["message"], "serve static files only");
}

#[test]
fn network_intent_on_each_engine() {
    let mut i = intent(
        Domain::Network,
        Action::Allow,
        Resources {
            ports: vec![PortSpec {
                port: 7070,
                end_port: None,
                protocol: Protocol::Tcp,
            }],
            peers: vec![PeerSelector {
                namespace: None,
                labels: [("app".to_string(), "frontend".to_string())].into(),
                ..PeerSelector::default()
            }],
            ..Resources::default()
        },
    );
    i.direction = Some(Direction::Ingress);
    let k8s = synthesize(&i, Some(Engine::Kubernetes))
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(
        k8s["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]["app"],
        "frontend"
    );
    assert_eq!(k8s["spec"]["ingress"][0]["ports"][0]["port"], 7070);
    let cnp = synthesize(&i, Some(Engine::Cilium))
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(
        cnp["spec"]["ingress"][0]["toPorts"][0]["ports"][0]["port"],
        "7070"
    );
    let calico = synthesize(&i, Some(Engine::Calico))
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(calico["spec"]["selector"], "app == 'nginx'");
    assert_eq!(
        calico["spec"]["ingress"][0]["source"]["selector"],
        "app == 'frontend'"
    );
    assert_eq!(
        calico["spec"]["ingress"][0]["destination"]["ports"][0],
        7070
    );
}

#[test]
fn what_an_engine_cannot_express_is_reported_not_dropped() {
    let mut i = intent(
        Domain::Network,
        Action::Block,
        Resources {
            fqdns: vec!["evil.example.com".into()],
            ..Resources::default()
        },
    );
    assert!(matches!(
        synthesize(&i, Some(Engine::Kubernetes)),
        Err(SynthError::Unsupported { .. })
    ));
    assert!(matches!(
        synthesize(&i, Some(Engine::Cilium)),
        Err(SynthError::Unsupported { .. })
    ));
    assert!(matches!(
        synthesize(&i, Some(Engine::Calico)),
        Err(SynthError::Unsupported { .. })
    ));
    i.action = Action::Allow;
    let cnp = synthesize(&i, Some(Engine::Cilium))
        .unwrap()
        .to_value()
        .unwrap();
    assert_eq!(
        cnp["spec"]["egress"][0]["toFQDNs"][0]["matchName"],
        "evil.example.com"
    );
    assert_eq!(
        cnp["spec"]["egress"][1]["toPorts"][0]["rules"]["dns"][0]["matchPattern"],
        "*"
    );
    let e = synthesize(
        &intent(
            Domain::File,
            Action::Allow,
            Resources {
                paths: vec!["/etc/x".into()],
                ..Resources::default()
            },
        ),
        Some(Engine::Tetragon),
    )
    .unwrap_err();
    assert!(e.to_string().contains("allow-lists"), "{e}");
    let e = synthesize(
        &intent(
            Domain::Capability,
            Action::Block,
            Resources {
                capabilities: vec!["net_raw".into()],
                ..Resources::default()
            },
        ),
        Some(Engine::Cilium),
    )
    .unwrap_err();
    assert!(e.to_string().contains("kubearmor"), "{e}");
    let e = synthesize(
        &intent(Domain::File, Action::Block, Resources::default()),
        None,
    )
    .unwrap_err();
    assert!(matches!(e, SynthError::Incomplete(_)));
}

#[test]
fn the_cluster_decides_the_default_engine() {
    use Engine::*;
    assert_eq!(
        engine_for_cluster(Domain::Network, &[Calico, Cilium, Kubernetes]),
        Some(Cilium)
    );
    assert_eq!(
        engine_for_cluster(Domain::Network, &[Calico, Kubernetes]),
        Some(Calico)
    );
    assert_eq!(
        engine_for_cluster(Domain::Network, &[Kubernetes]),
        Some(Kubernetes)
    );
    assert_eq!(
        engine_for_cluster(Domain::File, &[Tetragon, Kubernetes]),
        Some(Tetragon)
    );
    assert_eq!(
        engine_for_cluster(Domain::Capability, &[Tetragon, Kubernetes]),
        None,
        "Tetragon cannot express capability intents here"
    );
    assert_eq!(engine_for_cluster(Domain::Process, &[Kubernetes]), None);
}
