//! Rules of the intent parser about which side of a connection each
//! workload is on, found on the blind batches `cg-` … `cj-` (edge and
//! industrial workloads, web apps, CI runners, gateways): the pods a port
//! is on, a component named after a direction, a subject labelled as
//! `key: value`, addresses a few words after "to"/"towards", and the words
//! that restrict access to a range. Each test states the rule with
//! phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers};

#[test]
fn the_pods_a_port_is_on_are_the_target() {
    // "connect to P on Y" lost P, and Y became the peer.
    let i =
        parsed("only app=cli may connect to 7000 and 7001 on the broker pods (app=broker, ns mq)");
    assert_eq!(i.scope.labels["app"], "broker");
    assert_eq!(i.resources.peers[0].labels["app"], "cli");
    assert_eq!(port_numbers(&i), [7000, 7001]);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_component_named_after_a_direction_is_no_direction() {
    // "the ingress controller" made the subject of "only X may connect"
    // the target.
    let i = parsed(
        "Only the egress gateway (app=egw) may connect to 9000 on the audit pods (app=audit, ns sec).",
    );
    assert_eq!(i.scope.labels["app"], "audit");
    assert_eq!(i.resources.peers[0].labels["app"], "egw");
}

#[test]
fn only_pods_labelled_key_value_are_the_subject() {
    // Written as `key: value`, the label did not make the subject of
    // "only … may connect" a peer; "(run: x)" was no label at all.
    let i = parsed(
        "In namespace build, only pods labelled ci/agent: true may connect to the controller (run: ci-controller) on port 50000.",
    );
    assert_eq!(i.scope.labels["run"], "ci-controller");
    assert_eq!(i.resources.peers[0].labels["ci/agent"], "true");
}

#[test]
fn access_to_a_port_restricted_to_a_range_is_ingress() {
    let i = parsed(
        "access to port 9000 on the console pods (app=console, namespace minio) should be restricted to the admin VPN range 10.9.0.0/16",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), [9000]);
    // "Access to N" names the port.
    let i = parsed(
        "Access to 9090 on app=prom (ns mon) must only be allowed from pods in namespace ops.",
    );
    assert_eq!(port_numbers(&i), [9090]);
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn an_address_a_few_words_after_towards_is_egress() {
    // It was ingress: "towards the PLC subnet X" named no address at once.
    let i = parsed(
        "restrict the poller pods (app=poller, namespace plant) to TCP port 502 towards the PLC subnet 192.168.10.0/24",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    // "the edge node subnet X" names the addresses, not the host.
    let i = parsed(
        "app=cc in namespace edge should only accept 10000 from the edge node subnet 172.20.0.0/16",
    );
    assert!(i.resources.entities.is_empty());
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_lower_case_sentence_that_restricts_with_a_modal_starts_anew() {
    // The background's "talk to" made the ask egress.
    let i = parsed(
        "Agents talk to the hub on ports 7000 and 7001 by default. hub (app=hub, namespace fleet) should only accept 7000-7001 from 10.30.0.0/16.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports[0].end_port, Some(7001));
}
