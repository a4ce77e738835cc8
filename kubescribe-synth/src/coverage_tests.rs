//! Schema-2 synthesis: every feature is expressed by the engines the
//! [`features`](super::features) table names and refused, naming them, by
//! the others; exact shapes for each engine; nothing wider than asked.

use serde_json::{Value, json};

use super::features::Feature;
use super::*;
use kubescribe_core::intent::Intent;

fn base(domain: &str, action: &str, resources: Value) -> Value {
    json!({
        "version": 2,
        "scope": {"namespace": "shop", "labels": {"app": "db"}},
        "domain": domain, "action": action, "resources": resources,
    })
}

fn intent(v: Value) -> Intent {
    serde_json::from_value(v).unwrap()
}

/// An intent that uses `f` (and otherwise only what every engine of its
/// domain can say, where possible), with the text each engine's output
/// must contain when it expresses `f`.
fn probe(f: Feature) -> (Intent, Vec<&'static str>) {
    let net_allow = || base("network", "allow", json!({"ports": [{"port": 5432}]}));
    let file_block = || base("file", "block", json!({"paths": ["/etc/shadow"]}));
    let (v, markers): (Value, Vec<&str>) = match f {
        Feature::AllowList => (
            base("file", "allow", json!({"paths": ["/etc/app.conf"]})),
            vec!["\"action\":\"Allow\""],
        ),
        Feature::Block => (file_block(), vec!["\"action\":\"Block\"", "Sigkill"]),
        Feature::Audit => (
            base("file", "audit", json!({"paths": ["/etc/shadow"]})),
            vec!["\"action\":\"Audit\"", "\"Post\""],
        ),
        Feature::DenyInsideAllow => {
            let mut v = base(
                "network",
                "allow",
                json!({"cidrs": ["10.0.0.0/8"], "ports": [{"port": 443}]}),
            );
            v["deny"] = json!({"cidrs": ["10.9.0.0/16"]});
            (v, vec!["Deny\"", "\"action\":\"Block\""])
        }
        Feature::All => {
            let mut v = base("network", "block", json!({"all": true}));
            v["direction"] = json!("ingress");
            (
                v,
                vec![
                    "\"policyTypes\":[\"Ingress\"]",
                    "\"ingress\":[{}]",
                    "\"types\":[\"Ingress\"]",
                ],
            )
        }
        Feature::AllPods => {
            let mut v = net_allow();
            v["scope"] = json!({"namespace": "shop", "allPods": true});
            (
                v,
                vec!["\"podSelector\":{}", "\"endpointSelector\":{}", "all()"],
            )
        }
        Feature::ClusterWide => {
            let mut v = net_allow();
            v["scope"] = json!({"clusterWide": true, "labels": {"app": "db"}});
            (v, vec!["Clusterwide", "Global"])
        }
        Feature::SelectorExpression => {
            let mut v = net_allow();
            v["scope"]["selector"] = json!("tier in (a, b)");
            (v, vec!["tier in {'a', 'b'}"])
        }
        Feature::Sources => (
            base(
                "file",
                "block",
                json!({"paths": ["/etc/shadow"], "sources": ["/usr/bin/cat"]}),
            ),
            vec![
                "\"fromSource\":[{\"path\":\"/usr/bin/cat\"}]",
                "\"matchBinaries\"",
            ],
        ),
        Feature::OwnerOnly => (
            base(
                "file",
                "block",
                json!({"paths": ["/etc/shadow"], "ownerOnly": true}),
            ),
            vec!["\"ownerOnly\":true"],
        ),
        Feature::NonRecursiveDirs => (
            base("file", "block", json!({"dirs": ["/etc/ssl/"]})),
            vec!["{\"dir\":\"/etc/ssl/\"}"],
        ),
        Feature::BinariesInFileBlock => (
            base(
                "file",
                "block",
                json!({"paths": ["/etc/shadow"], "binaries": ["/bin/cat"]}),
            ),
            vec![],
        ),
        Feature::Ports => (
            base(
                "network",
                "allow",
                json!({"ports": [{"port": 8000, "endPort": 8100}]}),
            ),
            vec!["\"endPort\":8100", "\"8000:8100\""],
        ),
        Feature::NamedPorts => (
            base(
                "network",
                "allow",
                json!({"namedPorts": [{"name": "metrics"}]}),
            ),
            vec!["\"metrics\""],
        ),
        Feature::TransportProtocols => (
            base("network", "allow", json!({"protocols": ["SCTP"]})),
            vec!["SCTP", "sctp"],
        ),
        Feature::Icmp => (
            base("network", "block", json!({"protocols": ["ICMP"]})),
            vec!["ICMP", "icmp"],
        ),
        Feature::Peers => (
            base(
                "network",
                "allow",
                json!({"peers": [{"labels": {"app": "web"}}]}),
            ),
            vec!["web"],
        ),
        Feature::PeerNamespaceLabels => (
            base(
                "network",
                "allow",
                json!({"peers": [{"namespaceLabels": {"team": "ops"}}]}),
            ),
            vec!["team\":\"ops\"", "team == 'ops'"],
        ),
        Feature::PeerAnyNamespace => (
            base(
                "network",
                "allow",
                json!({"peers": [{"labels": {"app": "web"}, "anyNamespace": true}]}),
            ),
            vec![
                "\"namespaceSelector\":{}",
                "\"operator\":\"Exists\"",
                "\"namespaceSelector\":\"all()\"",
            ],
        ),
        Feature::Cidrs => (
            base("network", "allow", json!({"cidrs": ["10.0.0.0/8"]})),
            vec!["10.0.0.0/8"],
        ),
        Feature::ExceptCidrs => (
            base(
                "network",
                "allow",
                json!({"cidrs": ["10.0.0.0/8"], "exceptCidrs": ["10.1.0.0/16"]}),
            ),
            vec!["10.1.0.0/16"],
        ),
        Feature::Entities => (
            base("network", "allow", json!({"entities": ["kube-apiserver"]})),
            vec!["\"toEntities\":[\"kube-apiserver\"]"],
        ),
        Feature::Fqdns => (
            base("network", "allow", json!({"fqdns": ["api.example.com"]})),
            vec!["api.example.com"],
        ),
        Feature::OneDirection => {
            let mut v = base("network", "block", json!({"protocols": ["UDP"]}));
            v["direction"] = json!("egress");
            (
                v,
                vec![
                    "egressDeny",
                    "\"types\":[\"Egress\"]",
                    "\"policyTypes\":[\"Egress\"]",
                ],
            )
        }
    };
    (intent(v), markers)
}

#[test]
fn every_feature_is_expressed_or_refused_naming_the_engines_that_can() {
    let mut expressed = 0;
    for f in Feature::ALL {
        let before = expressed;
        let (i, markers) = probe(f);
        assert!(
            features::used(&i).contains(&f),
            "{f:?}: the probe does not use it"
        );
        let can = f.engines(i.domain);
        for &engine in i.domain.engines() {
            match synthesize(&i, Some(engine)) {
                Ok(p) => {
                    let text = serde_json::to_string(&p.to_value().unwrap()).unwrap();
                    assert!(
                        can.contains(&engine),
                        "{f:?}: {engine} wrote a policy although the table says it cannot:\n{text}"
                    );
                    assert!(
                        markers.iter().any(|m| text.contains(m)),
                        "{f:?}: {engine}'s policy does not say it (looked for {markers:?}):\n{text}"
                    );
                    let v = kubescribe_validate::Validator::new()
                        .validate_value(&p.to_value().unwrap());
                    assert!(v.is_valid(), "{f:?}: {engine}: {:?}\n{text}", v.diagnostics);
                    expressed += 1;
                }
                Err(e @ SynthError::Unsupported { .. }) => {
                    let msg = e.to_string();
                    if can.contains(&engine) {
                        // Refused for another part of the probe (KubeArmor
                        // network rules cannot say ports), not for this one.
                        assert!(
                            !msg.contains(f.describe()),
                            "{f:?}: {engine} refused what the table says it can express: {msg}"
                        );
                        continue;
                    }
                    for other in can {
                        assert!(
                            msg.contains(other.name()),
                            "{f:?}: {msg} does not name {other}"
                        );
                    }
                    if can.is_empty() {
                        assert!(msg.contains("no engine"), "{msg}");
                    }
                }
                Err(e) => panic!("{f:?}: {engine}: {e}"),
            }
        }
        assert!(
            expressed > before || can.is_empty(),
            "{f:?}: no engine expressed it"
        );
    }
    assert!(expressed >= 40, "only {expressed} policies");
}

fn synth(v: Value, engine: Engine) -> Value {
    synthesize(&intent(v), Some(engine))
        .unwrap_or_else(|e| panic!("{engine}: {e}"))
        .to_value()
        .unwrap()
}

#[test]
fn intents_with_gaps_are_refused_with_the_gap_not_guessed() {
    // A namespace alone: which pods?
    let mut v = base("network", "block", json!({"ports": [{"port": 22}]}));
    v["scope"] = json!({"namespace": "shop"});
    for engine in [Engine::Cilium, Engine::Calico, Engine::Kubernetes] {
        let e = synthesize(&intent(v.clone()), Some(engine)).unwrap_err();
        assert!(
            matches!(&e, SynthError::Incomplete(m) if m.contains("which pods")),
            "{engine}: {e}"
        );
    }
    // A file intent naming ports: not silently dropped.
    let e = synthesize(
        &intent(base(
            "file",
            "block",
            json!({"paths": ["/etc/shadow"], "ports": [{"port": 22}]}),
        )),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("ports"), "{e}");
}

#[test]
fn port_ranges_protocol_lists_and_duplicates() {
    let v = base(
        "network",
        "allow",
        json!({"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"},
                         {"port": 8000, "endPort": 8100}, {"port": 53, "protocol": "UDP"},
                         {"port": 8000, "endPort": 8100}],
               "namedPorts": [{"name": "metrics"}]}),
    );
    let k = synth(v.clone(), Engine::Kubernetes);
    assert_eq!(
        k["spec"]["ingress"][0]["ports"],
        json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53},
               {"protocol": "TCP", "port": 8000, "endPort": 8100},
               {"protocol": "TCP", "port": "metrics"}])
    );
    let c = synth(v.clone(), Engine::Cilium);
    assert_eq!(
        c["spec"]["ingress"][0]["toPorts"][0]["ports"],
        json!([{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"},
               {"port": "8000", "endPort": 8100, "protocol": "TCP"},
               {"port": "metrics", "protocol": "TCP"}])
    );
    let cal = synth(v, Engine::Calico);
    assert_eq!(
        cal["spec"]["ingress"],
        json!([
            {"action": "Allow", "protocol": "TCP", "destination": {"ports": [53, "8000:8100", "metrics"]}},
            {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
        ])
    );
}

#[test]
fn protocol_only_rules() {
    let v = base("network", "block", json!({"protocols": ["ICMP", "SCTP"]}));
    let cal = synth(v.clone(), Engine::Calico);
    assert_eq!(
        cal["spec"]["ingress"],
        json!([{"action": "Deny", "protocol": "SCTP"}, {"action": "Deny", "protocol": "ICMP"},
               {"action": "Pass"}])
    );
    let ka = synth(v.clone(), Engine::KubeArmor);
    assert_eq!(
        ka["spec"]["network"]["matchProtocols"],
        json!([{"protocol": "icmp"}, {"protocol": "sctp"}])
    );
    // Cilium's ICMP rules need a type: every ICMPv4 type, in a rule of its
    // own beside the SCTP rule.
    let c = synth(v.clone(), Engine::Cilium);
    let deny = &c["spec"]["ingressDeny"];
    assert_eq!(deny.as_array().unwrap().len(), 2, "{deny}");
    let fields: Vec<&Value> = deny[0]["icmps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["fields"].as_array().unwrap())
        .collect();
    assert_eq!(fields.len(), 256);
    assert_eq!(fields[8], &json!({"family": "IPv4", "type": 8}));
    assert!(deny[0].get("toPorts").is_none());
    assert_eq!(
        deny[1]["toPorts"][0]["ports"],
        json!([{"port": "0", "protocol": "SCTP"}])
    );
    let mut allow = v;
    allow["action"] = json!("allow");
    let e = synthesize(&intent(allow), Some(Engine::Kubernetes)).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("ICMP") && m.contains("cilium") && m.contains("calico"),
        "{m}"
    );
    let sctp = base("network", "allow", json!({"protocols": ["SCTP"]}));
    let k = synth(sctp.clone(), Engine::Kubernetes);
    assert_eq!(
        k["spec"]["ingress"][0]["ports"],
        json!([{"protocol": "SCTP"}])
    );
    let c = synth(sctp, Engine::Cilium);
    assert_eq!(
        c["spec"]["ingress"][0]["toPorts"][0]["ports"],
        json!([{"port": "0", "protocol": "SCTP"}])
    );
}

#[test]
fn excepts_sit_under_the_cidr_that_contains_them() {
    let mut v = base(
        "network",
        "allow",
        json!({"cidrs": ["10.0.0.0/8", "192.168.0.0/16"], "exceptCidrs": ["10.1.0.0/16"]}),
    );
    v["direction"] = json!("egress");
    let k = synth(v.clone(), Engine::Kubernetes);
    assert_eq!(
        k["spec"]["egress"][0]["to"],
        json!([{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
               {"ipBlock": {"cidr": "192.168.0.0/16"}}])
    );
    let c = synth(v.clone(), Engine::Cilium);
    assert_eq!(c["spec"]["egress"][0]["toCIDR"], json!(["192.168.0.0/16"]));
    assert_eq!(
        c["spec"]["egress"][0]["toCIDRSet"],
        json!([{"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}])
    );
    let cal = synth(v, Engine::Calico);
    assert_eq!(
        cal["spec"]["egress"],
        json!([{"action": "Allow", "destination": {"nets": ["192.168.0.0/16"]}},
               {"action": "Allow", "destination": {"nets": ["10.0.0.0/8"], "notNets": ["10.1.0.0/16"]}}])
    );
}

#[test]
fn default_deny_and_allow_all() {
    let mut deny = base("network", "block", json!({"all": true}));
    deny["scope"] = json!({"namespace": "shop", "allPods": true});
    deny["direction"] = json!("both");
    let k = synth(deny.clone(), Engine::Kubernetes);
    assert_eq!(
        k["spec"],
        json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    );
    let c = synth(deny.clone(), Engine::Cilium);
    assert_eq!(
        c["spec"],
        json!({"endpointSelector": {}, "ingress": [{}], "egress": [{}]})
    );
    let cal = synth(deny, Engine::Calico);
    assert_eq!(
        cal["spec"],
        json!({"selector": "all()", "types": ["Ingress", "Egress"]})
    );
    let allow = base("network", "allow", json!({"all": true}));
    let k = synth(allow.clone(), Engine::Kubernetes);
    assert_eq!(k["spec"]["ingress"], json!([{}]));
    let c = synth(allow.clone(), Engine::Cilium);
    assert_eq!(c["spec"]["ingress"], json!([{"fromEntities": ["all"]}]));
    let cal = synth(allow, Engine::Calico);
    assert_eq!(cal["spec"]["ingress"], json!([{"action": "Allow"}]));
    // Files: `dir: /` only because the intent said all.
    let ka = synth(
        base("file", "block", json!({"all": true, "recursive": true})),
        Engine::KubeArmor,
    );
    assert_eq!(
        ka["spec"]["file"]["matchDirectories"],
        json!([{"dir": "/", "recursive": true}])
    );
}

#[test]
fn allow_with_a_deny_part() {
    let mut v = base(
        "file",
        "allow",
        json!({"dirs": ["/var/www/"], "recursive": true, "readOnly": true,
               "sources": ["/usr/sbin/nginx"]}),
    );
    v["deny"] = json!({"dirs": ["/var/www/private/"], "recursive": true});
    let ka = synth(v.clone(), Engine::KubeArmor);
    assert_eq!(
        ka["spec"]["file"]["matchDirectories"],
        json!([
            {"dir": "/var/www/", "recursive": true, "readOnly": true,
             "fromSource": [{"path": "/usr/sbin/nginx"}]},
            {"dir": "/var/www/private/", "recursive": true, "action": "Block"},
        ])
    );
    assert_eq!(ka["spec"]["action"], "Allow");
    let e = synthesize(&intent(v), Some(Engine::Tetragon)).unwrap_err();
    assert!(e.to_string().contains("kubearmor"), "{e}");
    let mut n = base("network", "allow", json!({"ports": [{"port": 443}]}));
    n["deny"] = json!({"cidrs": ["10.9.0.0/16"]});
    n["direction"] = json!("egress");
    let c = synth(n.clone(), Engine::Cilium);
    assert_eq!(
        c["spec"]["egressDeny"],
        json!([{"toCIDR": ["10.9.0.0/16"]}])
    );
    let cal = synth(n.clone(), Engine::Calico);
    assert_eq!(
        cal["spec"]["egress"],
        json!([{"action": "Deny", "destination": {"nets": ["10.9.0.0/16"]}},
               {"action": "Allow", "protocol": "TCP", "destination": {"ports": [443]}}])
    );
    let e = synthesize(&intent(n), Some(Engine::Kubernetes)).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("cilium") && m.contains("calico"), "{m}");
}

#[test]
fn scopes_peers_and_audit() {
    let mut v = base(
        "network",
        "allow",
        json!({"peers": [{"labels": {"app": "web"}, "namespaceLabels": {"team": "ops"}},
                         {"labels": {"app": "prom"}, "anyNamespace": true}],
               "ports": [{"port": 5432}]}),
    );
    let k = synth(v.clone(), Engine::Kubernetes);
    assert_eq!(
        k["spec"]["ingress"][0]["from"],
        json!([{"podSelector": {"matchLabels": {"app": "web"}},
                "namespaceSelector": {"matchLabels": {"team": "ops"}}},
               {"podSelector": {"matchLabels": {"app": "prom"}}, "namespaceSelector": {}}])
    );
    let c = synth(v.clone(), Engine::Cilium);
    assert_eq!(
        c["spec"]["ingress"][0]["fromEndpoints"],
        json!([{"matchLabels": {"app": "web", "k8s:io.cilium.k8s.namespace.labels.team": "ops"},
                "matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]},
               {"matchLabels": {"app": "prom"},
                "matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]}])
    );
    let cal = synth(v.clone(), Engine::Calico);
    assert_eq!(
        cal["spec"]["ingress"][0]["source"],
        json!({"selector": "app == 'web'", "namespaceSelector": "team == 'ops'"})
    );
    assert_eq!(
        cal["spec"]["ingress"][1]["source"]["namespaceSelector"],
        "all()"
    );
    v["scope"] = json!({"clusterWide": true, "labels": {"app": "db"}});
    assert_eq!(
        synth(v.clone(), Engine::Cilium)["kind"],
        "CiliumClusterwideNetworkPolicy"
    );
    assert_eq!(
        synth(v.clone(), Engine::Calico)["kind"],
        "GlobalNetworkPolicy"
    );
    let e = synthesize(&intent(v), Some(Engine::Kubernetes)).unwrap_err();
    assert!(e.to_string().contains("cluster-wide"), "{e}");
    let mut f = base("process", "audit", json!({"binaries": ["/bin/sh"]}));
    f["scope"] = json!({"clusterWide": true, "labels": {"app": "db", "tier": "x"}});
    let ka = synth(f.clone(), Engine::KubeArmor);
    assert_eq!(ka["kind"], "KubeArmorClusterPolicy");
    assert_eq!(
        ka["spec"]["selector"],
        json!({"matchExpressions": [
            {"key": "label", "operator": "In", "values": ["app=db"]},
            {"key": "label", "operator": "In", "values": ["tier=x"]}]})
    );
    assert_eq!(ka["spec"]["action"], "Audit");
    let t = synth(f, Engine::Tetragon);
    assert_eq!(t["kind"], "TracingPolicy");
    assert_eq!(
        t["spec"]["kprobes"][0]["selectors"][0]["matchActions"],
        json!([{"action": "Post"}])
    );
    let mut all = base("file", "block", json!({"paths": ["/etc/shadow"]}));
    all["scope"] = json!({"namespace": "shop", "allPods": true});
    let ka = synth(all.clone(), Engine::KubeArmor);
    assert_eq!(ka["spec"]["selector"], json!({"matchLabels": {}}));
    let t = synth(all, Engine::Tetragon);
    assert!(t["spec"].get("podSelector").is_none(), "{t}");
}

#[test]
fn sources_and_owner_only_on_processes() {
    let v = base(
        "process",
        "block",
        json!({"paths": ["/usr/bin/curl"], "ownerOnly": true, "sources": ["/bin/bash"]}),
    );
    let ka = synth(v, Engine::KubeArmor);
    assert_eq!(
        ka["spec"]["process"]["matchPaths"],
        json!([{"path": "/usr/bin/curl", "ownerOnly": true, "fromSource": [{"path": "/bin/bash"}]}])
    );
    let t = synth(
        base(
            "process",
            "block",
            json!({"paths": ["/usr/bin/curl"], "sources": ["/bin/bash"]}),
        ),
        Engine::Tetragon,
    );
    assert_eq!(
        t["spec"]["kprobes"][0]["selectors"][0]["matchBinaries"],
        json!([{"operator": "In", "values": ["/bin/bash"]}])
    );
    assert_eq!(
        t["spec"]["kprobes"][0]["selectors"][0]["matchArgs"][0]["values"],
        json!(["/usr/bin/curl"])
    );
}

#[test]
fn cilium_any_icmp_matches_an_icmp_event_without_its_type() {
    use kubescribe_events::*;
    use kubescribe_simulate::{SimOptions, Simulator, Verdict};
    let mut v = base("network", "allow", json!({"protocols": ["ICMP"]}));
    v["direction"] = json!("egress");
    let policy = synthesize(&intent(v), Some(Engine::Cilium)).unwrap();
    let sim = Simulator::new(std::slice::from_ref(&policy), SimOptions::default()).unwrap();
    let event = |protocol: &str, port: Option<u16>| Event {
        timestamp_ns: Some(1),
        source: SourceEngine::Hubble,
        pod: PodMeta {
            namespace: Some("shop".into()),
            pod: Some("db-0".into()),
            container: Some("main".into()),
            labels: [("app".to_string(), "db".to_string())].into(),
            node: None,
        },
        validity: Validity::Unreviewed,
        result: None,
        kind: EventKind::Network(NetworkEvent {
            protocol: protocol.into(),
            direction: kubescribe_events::Direction::Egress,
            local_ip: Some("10.244.0.5".into()),
            local_port: None,
            remote_ip: Some("198.51.100.7".into()),
            remote_port: port,
            peer: None,
            dns_name: None,
            process: None,
            http: None,
        }),
    };
    // Every ICMPv4 type is listed: a ping whose type the event does not
    // carry is allowed, TCP is not.
    assert_eq!(sim.decide(&event("ICMP", None)).verdict, Verdict::Allow);
    assert_eq!(sim.decide(&event("TCP", Some(80))).verdict, Verdict::Block);
}
