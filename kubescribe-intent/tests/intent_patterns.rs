//! One test per failure pattern of issue 16 ("intents as operators write
//! them"): each phrasing below was misread before the clause-level parser.
//! The expected intents follow `docs/intents.md`.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain, NetworkEntity, Protocol};
use kubescribe_intent::{IntentParseError, parse_intent};
use parse_helpers::{parsed, refused};
use serde_json::json;

fn as_json(text: &str) -> serde_json::Value {
    serde_json::to_value(parsed(text)).unwrap()
}

#[test]
fn block_wordings_outside_the_old_lexicon() {
    for text in [
        "writes to /etc/ must be prevented for app=web in namespace shop",
        "writing to /etc/ is forbidden for app=web in namespace shop",
        "app=web in namespace shop should never write to /etc/",
    ] {
        let i = parsed(text);
        assert_eq!(i.action, Action::Block, "{text}");
        assert_eq!(i.resources.dirs, ["/etc/"], "{text}");
        assert!(i.resources.read_only, "{text}");
    }
}

#[test]
fn nothing_else_is_an_allow_list() {
    let i = parsed("app=web in namespace shop may read /var/www/ and nothing else");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.dirs, ["/var/www/"]);
}

#[test]
fn isolate_and_default_deny_are_block_all() {
    let i = parsed("isolate app=db in namespace shop");
    assert_eq!((i.action, i.domain), (Action::Block, Domain::Network));
    assert!(i.resources.all);
    assert_eq!(i.direction, Some(Direction::Both));
    let i = parsed("default deny ingress in namespace shop");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all && i.scope.all_pods);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    let i = parsed("allow all egress from app=web in namespace shop");
    assert_eq!(
        (i.action, i.direction),
        (Action::Allow, Some(Direction::Egress))
    );
    assert!(i.resources.all);
}

#[test]
fn log_alert_and_watch_are_audit() {
    for text in [
        "log reads of /etc/shadow by app=web in namespace shop",
        "alert on writes to /etc/ for app=web in namespace shop",
        "watch execution of /bin/bash in app=web pods in namespace shop",
    ] {
        assert_eq!(parsed(text).action, Action::Audit, "{text}");
    }
}

#[test]
fn only_the_subject_may_connect_makes_the_object_the_target() {
    let i = parsed("only app=web may connect to app=db on 5432 in namespace shop");
    assert_eq!(i.scope.labels["app"], "db");
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers[0].labels["app"], "web");
    assert_eq!(i.resources.ports[0].port, 5432);
    // Without "only" on the subject, the subject is restricted.
    let i = parsed("app=web may only connect to app=db on 5432 in namespace shop");
    assert_eq!(i.scope.labels["app"], "web");
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.peers[0].labels["app"], "db");
}

#[test]
fn port_ranges_and_protocol_lists() {
    let i = parsed("allow ingress on ports 8000-8100 to app=web in namespace shop");
    assert_eq!(
        (
            i.resources.ports.len(),
            i.resources.ports[0].port,
            i.resources.ports[0].end_port
        ),
        (1, 8000, Some(8100))
    );
    let i = parsed("allow egress on TCP and UDP 53 from app=web in namespace shop");
    let got: Vec<(u16, Protocol)> = i
        .resources
        .ports
        .iter()
        .map(|p| (p.port, p.protocol))
        .collect();
    assert_eq!(got, [(53, Protocol::Tcp), (53, Protocol::Udp)]);
}

#[test]
fn cidr_except_and_protocol_only_rules() {
    let i = parsed("allow egress to 10.0.0.0/8 except 10.1.0.0/16 from app=web in namespace shop");
    assert_eq!(i.resources.cidrs, ["10.0.0.0/8"]);
    assert_eq!(i.resources.except_cidrs, ["10.1.0.0/16"]);
    let i = parsed("deny ICMP to app=db in namespace shop");
    assert_eq!(i.resources.protocols, [Protocol::Icmp]);
    assert!(i.resources.ports.is_empty());
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_binary_before_the_verb_is_the_source() {
    let i = parsed("only /usr/sbin/nginx may read /etc/nginx/ in app=web pods of namespace shop");
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.sources, ["/usr/sbin/nginx"]);
    assert_eq!(i.resources.dirs, ["/etc/nginx/"]);
    assert!(i.resources.paths.is_empty() && i.resources.binaries.is_empty());
}

#[test]
fn allow_and_deny_in_one_intent() {
    let i = parsed(
        "allow app=web in namespace shop to read /var/www/ but block writes to /var/www/uploads/",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.dirs, ["/var/www/"]);
    let deny = i.deny.expect("a deny part");
    assert_eq!(deny.dirs, ["/var/www/uploads/"]);
}

#[test]
fn service_names_are_not_ports() {
    let e = refused("allow app=api in namespace shop to connect on postgresql");
    assert!(e.contains("which port"), "{e}");
    // DNS, HTTP and HTTPS are their IANA ports, said as an assumption.
    let p = parse_intent("allow DNS egress from app=web in namespace shop").unwrap();
    let ports: Vec<(u16, Protocol)> = p
        .intent
        .resources
        .ports
        .iter()
        .map(|p| (p.port, p.protocol))
        .collect();
    assert_eq!(ports, [(53, Protocol::Udp), (53, Protocol::Tcp)]);
    assert!(p.assumptions.iter().any(|a| a.contains("DNS")));
}

#[test]
fn punctuation_makes_no_bogus_labels() {
    for text in [
        "block writes to /etc/ for (app=web) in namespace shop.",
        "block writes to /etc/ for \"app=web\" in namespace \"shop\"",
        "block writes to /etc/ for app: web, in namespace: shop",
        "block writes to /etc/ for pods labelled app=web (namespace shop)",
    ] {
        let i = parsed(text);
        assert_eq!(
            serde_json::to_value(&i.scope).unwrap(),
            json!({"namespace": "shop", "labels": {"app": "web"}}),
            "{text}"
        );
    }
}

#[test]
fn a_namespace_alone_is_refused_and_all_pods_must_be_said() {
    let e = refused("block writes to /etc/ in namespace shop");
    assert!(e.contains("which pods"), "{e}");
    let e = refused("deny egress to 10.0.0.0/8 in namespace shop");
    assert!(e.contains("which pods"), "{e}");
    let i = parsed("block writes to /etc/ for all pods in namespace shop");
    assert!(i.scope.all_pods);
    assert!(i.scope.labels.is_empty());
}

#[test]
fn cluster_wide_only_when_said() {
    let i = parsed("block execution of /usr/bin/nc for app=web across the cluster");
    assert!(i.scope.cluster_wide);
    let e = refused("block execution of /usr/bin/nc");
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn entities_and_named_ports() {
    let i = parsed("allow egress from app=web in namespace shop to the kube-apiserver");
    assert_eq!(i.resources.entities, [NetworkEntity::KubeApiserver]);
    let i = parsed("allow ingress to app=web in namespace shop on the port named metrics");
    assert_eq!(i.resources.named_ports[0].name, "metrics");
    let i = parsed("allow app=web in namespace shop to reach the internet on 443");
    assert_eq!(i.resources.entities, [NetworkEntity::World]);
    assert!(i.resources.cidrs.is_empty());
}

#[test]
fn missing_parts_are_named() {
    assert!(
        refused("allow app=web in namespace shop").contains("which traffic")
            || refused("allow app=web in namespace shop").contains("what to govern")
    );
    let e = refused("for app=web in namespace shop, /etc/shadow");
    assert!(e.contains("what to do"), "{e}");
    assert!(matches!(
        parse_intent("block writes to /etc/ in namespace shop"),
        Err(IntentParseError::Missing(_))
    ));
}

#[test]
fn peers_by_namespace_labels() {
    let i = parsed(
        "allow ingress to app=db in namespace shop from namespaces labelled team=ops on 5432",
    );
    assert_eq!(i.resources.peers[0].namespace_labels["team"], "ops");
    assert!(i.resources.peers[0].labels.is_empty());
    let _ = as_json;
}

#[test]
fn a_wildcard_over_a_top_level_domain_is_kept() {
    // It was dropped, which left "egress on 443 to anywhere".
    let i = parsed("allow egress to *.com on 443/tcp for app=web in namespace shop");
    assert_eq!(i.resources.fqdns, ["*.com"]);
}

#[test]
fn a_name_glossed_by_its_labels_is_the_workload_not_an_executable() {
    // The README's main job: "nginx" is the workload the parenthesis
    // describes; every writer of /etc/nginx/ is blocked, not only nginx.
    let i = parsed(
        "nginx (app=nginx, namespace shop) must never modify its configuration under /etc/nginx/",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(i.resources.dirs, ["/etc/nginx/"]);
    assert!(i.resources.sources.is_empty(), "{:?}", i.resources.sources);
    // Named as the acting program, it still is one.
    let i = parsed("allow nginx to read /etc/nginx/ for app=web in namespace shop");
    assert_eq!(i.resources.sources, ["/usr/sbin/nginx"]);
}
