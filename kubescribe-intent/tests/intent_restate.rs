//! The restatement ("understood as: …") says the intent in the parser's own
//! forms: parsing it gives the same intent back, for generated intents of
//! every domain and the schema-2 features.

use std::collections::BTreeMap;

use kubescribe_core::intent::{
    Action, Direction, Domain, Intent, NamedPort, NetworkEntity, PeerSelector, PortSpec, Protocol,
    Resources, Scope,
};
use kubescribe_intent::{parse_intent, restate};
use proptest::prelude::*;

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::sample::select(vec![
        ("app", "web"),
        ("app", "checkout"),
        ("tier", "db"),
        ("role", "worker"),
        ("app.kubernetes.io/name", "grafana"),
    ])
    .prop_map(|(k, v)| [(k.to_string(), v.to_string())].into())
}

fn scope() -> impl Strategy<Value = Scope> {
    let ns = prop::sample::select(vec!["shop", "payments", "team-a"]);
    prop_oneof![
        (labels(), ns.clone()).prop_map(|(labels, ns)| Scope {
            namespace: Some(ns.into()),
            labels,
            ..Scope::default()
        }),
        ns.prop_map(|ns| Scope {
            namespace: Some(ns.into()),
            all_pods: true,
            ..Scope::default()
        }),
        labels().prop_map(|labels| Scope {
            labels,
            cluster_wide: true,
            ..Scope::default()
        }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop::sample::select(vec![Action::Allow, Action::Block, Action::Audit])
}

fn some<T: Clone + std::fmt::Debug + 'static>(
    pool: Vec<T>,
    min: usize,
    max: usize,
) -> impl Strategy<Value = Vec<T>> {
    prop::sample::subsequence(pool.clone(), min..=max.min(pool.len()))
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn file_intent() -> impl Strategy<Value = Intent> {
    (
        scope(),
        action(),
        some(s(&["/etc/passwd", "/etc/shadow", "/app/config.yaml"]), 0, 2),
        some(s(&["/var/www/", "/etc/nginx/", "/data/"]), 0, 2),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        some(s(&["/usr/sbin/nginx", "/usr/bin/python3"]), 0, 1),
    )
        .prop_filter("names a file", |(_, _, p, d, ..)| {
            !p.is_empty() || !d.is_empty()
        })
        .prop_map(
            |(scope, action, paths, dirs, recursive, read_only, owner_only, sources)| Intent {
                version: None,
                engine: None,
                scope,
                domain: Domain::File,
                action,
                direction: None,
                resources: Resources {
                    recursive: !dirs.is_empty() && recursive,
                    paths,
                    dirs,
                    read_only,
                    owner_only,
                    sources,
                    ..Resources::default()
                },
                deny: None,
                rationale: None,
            },
        )
}

/// An allow-list with a blocked part ("allow reads of /var/www/, but block
/// writes to /var/www/uploads/").
fn allow_with_deny() -> impl Strategy<Value = Intent> {
    (
        file_intent(),
        some(s(&["/var/www/uploads/", "/etc/nginx/conf.d/"]), 1, 2),
        any::<bool>(),
    )
        .prop_map(|(mut i, dirs, read_only)| {
            i.action = Action::Allow;
            i.resources.sources.clear();
            i.deny = Some(Resources {
                recursive: true,
                dirs,
                read_only,
                ..Resources::default()
            });
            i
        })
}

fn process_intent() -> impl Strategy<Value = Intent> {
    (
        scope(),
        action(),
        some(
            s(&["/usr/bin/curl", "/bin/bash", "/usr/local/bin/app-server"]),
            1,
            3,
        ),
        // The programs that run them (KubeArmor `fromSource`), or none.
        some(s(&["/usr/sbin/nginx", "/usr/bin/node"]), 0, 2),
    )
        .prop_map(|(scope, action, binaries, sources)| Intent {
            version: None,
            engine: None,
            scope,
            domain: Domain::Process,
            action,
            direction: None,
            resources: Resources {
                binaries,
                sources,
                ..Resources::default()
            },
            deny: None,
            rationale: None,
        })
}

fn network_intent() -> impl Strategy<Value = Intent> {
    let port = (
        prop::sample::select(vec![80u16, 443, 5432, 8000]),
        any::<bool>(),
        prop::sample::select(vec![Protocol::Tcp, Protocol::Udp]),
    )
        .prop_map(|(port, range, protocol)| PortSpec {
            port,
            end_port: range.then_some(port + 100),
            protocol,
        });
    let peer = (
        labels(),
        prop::option::of(prop::sample::select(vec!["monitoring", "ingress"])),
    )
        .prop_map(|(labels, ns)| PeerSelector {
            namespace: ns.map(String::from),
            labels,
            ..PeerSelector::default()
        });
    (
        scope(),
        action(),
        prop::sample::select(vec![Direction::Ingress, Direction::Egress]),
        prop::collection::vec(port, 0..=2),
        prop::collection::vec(peer, 0..=1),
        prop::option::of(prop::sample::select(vec![
            ("10.0.0.0/8", Some("10.1.0.0/16")),
            ("192.168.0.0/16", None),
        ])),
        prop::option::of(prop::sample::select(vec![
            NetworkEntity::World,
            NetworkEntity::KubeApiserver,
        ])),
        any::<bool>(),
        // The container port's name ("on the port named metrics"), beside
        // numbered ports or alone.
        prop::option::of(prop::sample::select(vec!["http", "metrics"])),
    )
        .prop_map(
            |(scope, action, direction, mut ports, peers, cidr, entity, icmp, named)| {
                ports.dedup();
                let mut r = Resources {
                    ports,
                    peers,
                    named_ports: named
                        .map(|name| NamedPort {
                            name: name.into(),
                            protocol: Protocol::Tcp,
                        })
                        .into_iter()
                        .collect(),
                    ..Resources::default()
                };
                if let Some((c, e)) = cidr {
                    r.cidrs = vec![c.into()];
                    r.except_cidrs = e.into_iter().map(String::from).collect();
                }
                r.entities = entity.into_iter().collect();
                if icmp {
                    r.protocols = vec![Protocol::Icmp];
                }
                if !r.names_network() {
                    r.all = true;
                }
                Intent {
                    version: None,
                    engine: None,
                    scope,
                    domain: Domain::Network,
                    action,
                    direction: Some(direction),
                    resources: r,
                    deny: None,
                    rationale: None,
                }
            },
        )
}

/// "allow all egress …, but block traffic to 10.0.0.0/8 on port 22/tcp":
/// the deny part of a network intent (it was restated as "block access to"
/// with nothing after it).
fn network_allow_all_with_deny() -> impl Strategy<Value = Intent> {
    (
        scope(),
        prop::sample::select(vec![Direction::Ingress, Direction::Egress]),
        prop::sample::select(vec!["10.0.0.0/8", "192.168.0.0/16"]),
        prop::option::of(prop::sample::select(vec![22u16, 3306])),
    )
        .prop_map(|(scope, direction, cidr, port)| Intent {
            version: None,
            engine: None,
            scope,
            domain: Domain::Network,
            action: Action::Allow,
            direction: Some(direction),
            resources: Resources {
                all: true,
                ..Resources::default()
            },
            deny: Some(Resources {
                cidrs: vec![cidr.into()],
                ports: port
                    .map(|port| PortSpec {
                        port,
                        end_port: None,
                        protocol: Protocol::Tcp,
                    })
                    .into_iter()
                    .collect(),
                ..Resources::default()
            }),
            rationale: None,
        })
}

fn other_intent() -> impl Strategy<Value = Intent> {
    (
        scope(),
        action(),
        prop_oneof![
            some(s(&["ptrace", "unshare", "mount", "bpf"]), 1, 2)
                .prop_map(|v| (Domain::Syscall, v)),
            some(s(&["net_raw", "sys_admin", "sys_ptrace"]), 1, 2)
                .prop_map(|v| (Domain::Capability, v)),
        ],
    )
        .prop_map(|(scope, action, (domain, names))| {
            let mut r = Resources::default();
            if domain == Domain::Syscall {
                r.syscalls = names;
            } else {
                r.capabilities = names;
            }
            Intent {
                version: None,
                engine: None,
                scope,
                domain,
                action,
                direction: None,
                resources: r,
                deny: None,
                rationale: None,
            }
        })
}

fn check(intent: &Intent) -> Result<(), TestCaseError> {
    prop_assert!(
        intent.gaps().is_empty(),
        "generator made {:?}",
        intent.gaps()
    );
    let text = restate(intent);
    let back = parse_intent(&text)
        .map_err(|e| TestCaseError::fail(format!("{text:?} does not parse: {e}")))?;
    prop_assert_eq!(
        &back.intent,
        intent,
        "\n  restated: {}\n  parsed:   {}\n  original: {}",
        text,
        serde_json::to_string(&back.intent).unwrap(),
        serde_json::to_string(intent).unwrap()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn file_intents_round_trip(i in file_intent()) { check(&i)?; }

    #[test]
    fn process_intents_round_trip(i in process_intent()) { check(&i)?; }

    #[test]
    fn allow_intents_with_a_deny_part_round_trip(i in allow_with_deny()) { check(&i)?; }

    #[test]
    fn network_intents_round_trip(i in network_intent()) { check(&i)?; }

    #[test]
    fn syscall_and_capability_intents_round_trip(i in other_intent()) { check(&i)?; }

    #[test]
    fn network_intents_with_a_deny_part_round_trip(i in network_allow_all_with_deny()) { check(&i)?; }
}
