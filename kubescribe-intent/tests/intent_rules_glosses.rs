//! Rules of the intent parser found on the blind batches `cw-` … `cz-`
//! (sidecars, language runtimes, DNS and external services, real-time
//! media): names glossed by the paths or ports in parentheses after them,
//! services carried over another protocol, and what the ask leaves as it
//! is. Each test states the rule with phrasings of its own and fails
//! without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Protocol};
use parse_helpers::{parsed, port_numbers, port_protocols};

#[test]
fn names_listed_before_their_paths_are_those_paths() {
    // "modprobe or insmod (/sbin/modprobe, /sbin/insmod)" kept a bare
    // "modprobe" beside the paths, which no engine accepts.
    let i = parsed(
        "keep the voip pods (app=rtp, ns tel) from running modprobe or insmod (/sbin/modprobe, /sbin/insmod)",
    );
    assert_eq!(i.resources.binaries, ["/sbin/modprobe", "/sbin/insmod"]);
    let i =
        parsed("block curl, wget and nc (/usr/bin/curl, /usr/bin/wget, /bin/nc) for app=x in ns y");
    assert_eq!(
        i.resources.binaries,
        ["/usr/bin/curl", "/usr/bin/wget", "/bin/nc"]
    );
}

#[test]
fn a_program_located_in_the_pods_spawns_what_follows() {
    // "java (…) in the app=x pods of namespace y must not spawn /bin/sh"
    // blocked java itself.
    let i = parsed(
        "the server's ruby (/usr/local/bin/ruby) in the app=shop pods of namespace web must not spawn /bin/sh",
    );
    assert_eq!(i.resources.sources, ["/usr/local/bin/ruby"]);
    assert_eq!(i.resources.binaries, ["/bin/sh"]);
}

#[test]
fn protocols_in_a_ports_parenthesis_are_its_own() {
    // "LAN Serf (8301, TCP and UDP)" lost 8301 and gave UDP to the port
    // before it.
    let i = parsed(
        "allow app=db in ns data to receive on the RPC port (7000) and gossip (7946, TCP and UDP)",
    );
    assert_eq!(
        port_protocols(&i),
        [
            (7000, Protocol::Tcp),
            (7946, Protocol::Tcp),
            (7946, Protocol::Udp)
        ]
    );
    let i = parsed("allow app=db in ns data to receive on gossip (7946 UDP)");
    assert_eq!(i.resources.ports[0].protocol, Protocol::Udp);
    assert_eq!(port_numbers(&i), [7946]);
}

#[test]
fn a_service_carried_over_another_protocol_is_neither() {
    // "DNS over TLS (TCP 853)" added DNS's port 53, "DNS over HTTPS" was
    // read as all of HTTPS (443).
    let i = parsed("deny DNS over TLS (TCP 853) outbound for app=tv in namespace lobby");
    assert_eq!(port_numbers(&i), [853]);
    assert!(
        parse_helpers::refused("deny DNS over HTTPS for app=tv in namespace lobby")
            .contains("govern")
    );
    // Over a transport protocol, it is that protocol's port.
    let i = parsed("allow app=tv in namespace lobby to send DNS over TCP");
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].protocol, Protocol::Tcp);
}

#[test]
fn the_users_of_a_port_left_alone_do_not_add_it() {
    // "players on 25565 are unaffected" added 25565 to the block.
    let i = parsed(
        "block inbound connections to port 7777 on the game pods (app=game, ns play); clients on 7778 are unaffected and the admin tool keeps working",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), [7777]);
}

#[test]
fn a_glossed_port_of_some_pods_is_theirs() {
    // "scrape port 4191 (linkerd-admin) of the web pods" made the scraper
    // the pods scraped.
    let i = parsed(
        "only component=prom in namespace mon may scrape the admin port 9901 (envoy-admin) of the gateway pods (app: gw, namespace edge)",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("gw"));
    assert_eq!(
        i.resources.peers[0]
            .labels
            .get("component")
            .map(String::as_str),
        Some("prom")
    );
}

#[test]
fn a_singular_workload_glossed_after_a_comma_is_the_one_reached() {
    // "8080 on the cluster operator, name=op in namespace strimzi": the
    // operator's port, Prometheus the one let in.
    let i = parsed(
        "Only Prometheus (app=prometheus in namespace monitoring) should scrape 8080 on the cluster operator, name=op in namespace strimzi.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("strimzi"));
    assert_eq!(i.scope.labels.get("name").map(String::as_str), Some("op"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("monitoring")
    );
}

#[test]
fn pods_restated_after_a_comma_keep_the_side_of_the_name_before() {
    let i = parsed(
        "allow egress from all pods in namespace payments to the resolvers, the pods labelled k8s-app=kube-dns in namespace kube-system on port 53/UDP.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("payments"));
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("kube-system")
    );
}
