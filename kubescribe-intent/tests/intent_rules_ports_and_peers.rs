//! Rules of the intent parser found on the blind batch `dy-` (Kafka,
//! ZooKeeper, Cassandra, Flink, ClickHouse): ports said as a clause's
//! subject, as what a pod takes, or as an item of a list of named ports
//! must not be dropped (an allow-list without them is wider than asked);
//! "same-namespace traffic" is a peer; "limit access to port N of X to Y"
//! protects X; Docker's --cap-drop/--cap-add flags are capabilities; a peer
//! or port named without being given is refused. Each test states the rule
//! with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn ports_that_open_their_clause_are_kept() {
    // "2888 & 3888 are Zookeeper only ports, they need to be accessed by
    // the zk pods" dropped both ports.
    let i = parsed(
        "etcd pods (app=etcd, namespace infra): 2379 & 2380 are etcd's own ports, they need to be accessed by the etcd pods only (talking to each other).",
    );
    assert_eq!(port_numbers(&i), [2379, 2380]);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("etcd")
    );
    let i = parsed(
        "the nats pods (app=nats, ns msg): 4222 and 6222 need to be reachable from app=client only",
    );
    assert_eq!(port_numbers(&i), [4222, 6222]);
}

#[test]
fn the_same_pods_named_again_keep_their_labels() {
    // "zk pods strimzi.io/name=zk … (the zk pods talking to each other)"
    // made "app=zk" the peers.
    let i = parsed(
        "etcd pods etcd.io/member=yes in namespace infra: 2380 is for the etcd pods only (the etcd pods talking to each other).",
    );
    assert!(
        i.resources
            .peers
            .iter()
            .all(|p| !p.labels.contains_key("app")),
        "{:?}",
        i.resources.peers
    );
}

#[test]
fn what_a_pod_takes_is_its_port() {
    // "should only take 9092 from app=audit" lost 9092.
    let i = parsed(
        "the broker pods (app=broker in namespace bus) should only take 5672 from app=billing",
    );
    assert_eq!(port_numbers(&i), [5672]);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_list_of_named_ports_goes_on_without_the_word() {
    // "broker port 9092, TLS port 9093, schema registry 8081" lost 8081.
    let i = parsed(
        "restrict ingress on the mq pods (app=mq, ns t) to same-namespace traffic only: amqp port 5672, tls port 5671, management ui 15672",
    );
    assert_eq!(port_numbers(&i), [5672, 5671, 15672]);
    // "same-namespace traffic": every pod of the policy's namespace.
    assert_eq!(i.resources.peers.len(), 1);
    assert!(i.resources.peers[0].labels.is_empty());
}

#[test]
fn limiting_access_to_a_port_of_pods_protects_them() {
    // "limit access to the REST port 8081 of app=x … to app=op" made the
    // operator the policy's pods, with egress.
    let i = parsed(
        "limit access to the admin port 9990 of app=keycloak (namespace iam) to app=ops in namespace tools",
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("keycloak")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), [9990]);
    // Not "… as only X needs to access it": an infinitive is no peer's "to".
    let i = parsed(
        "we want to restrict access to the hook service (app=hook, namespace ops) as only the kube-apiserver needs to access it.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn dockers_capability_flags_are_capabilities() {
    // "--cap-drop=ALL, then --cap-add only NET_ADMIN …" blocked them.
    let i = parsed(
        "the proxy pods (app=proxy, namespace edge): --cap-drop=ALL, then --cap-add only NET_BIND_SERVICE and CHOWN.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["net_bind_service", "chown"]);
    let i = parsed("the job pods (app=job, namespace ci): --cap-drop=SETUID,SETGID");
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Block);
}

#[test]
fn peers_and_ports_named_without_being_given_are_refused() {
    // "… and specific pod labels" and "the JMX monitoring port" were
    // accepted with the peers or the port left out.
    let e = refused(
        "the db pods (app=db, namespace data): restrict to port 5432 and specific pod labels.",
    );
    assert!(e.contains("which traffic"), "{e}");
    let e = refused(
        "the Kafka JMX monitoring port on the app=kafka pods (namespace bus): let only app=exporter connect to it.",
    );
    assert!(e.contains("which port"), "{e}");
}
