//! Rules of the intent parser found on the blind batch `ee-` (webhooks
//! and aggregated APIs the control plane calls): an entity named by its
//! address is that address; a pasted error sentence names nothing of the policy; an
//! address kept from a port of the pods comes in; a port let in is kept;
//! "nothing but X should …" asks; a refusal names every part missing.
//! Each test states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn an_entity_named_by_its_address_is_that_address() {
    // "from the apiserver at 172.18.0.2" added the kube-apiserver entity
    // beside the address.
    let i = parsed(
        "allow traffic from the apiserver at 10.0.0.1 to the hook pods (app=hook, namespace ops) over TCP port 9443",
    );
    assert_eq!(i.resources.cidrs, ["10.0.0.1/32"]);
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    let i = parsed(
        "allow egress from the hook pods (app=hook, ns ops) to the apiserver endpoint 10.0.0.1 on 6443 only",
    );
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
}

#[test]
fn a_pasted_error_sentence_names_nothing() {
    // 'failed calling webhook "x.io": dial tcp …' made x.io an FQDN peer.
    let i = parsed(
        "failed calling webhook \"validate.hook.example.io\": dial tcp 10.9.0.5:9443: i/o timeout. Only the kube-apiserver should be able to reach the hook pods (app=hook, namespace ops) on 9443.",
    );
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources.fqdns);
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources.cidrs);
}

#[test]
fn an_address_kept_from_a_port_of_the_pods_comes_in() {
    // "block the pod network 10.244.0.0/16 from port 8443 of the controller
    // pods" blocked the controller's egress.
    let i = parsed(
        "block the node network 192.168.0.0/16 from port 10250 of the agent pods (app=agent, namespace mon)",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), [10250]);
}

#[test]
fn a_port_let_in_is_kept() {
    // "permit 8443 into the gatekeeper pods … from 172.16.0.0/28" lost 8443.
    let i = parsed(
        "permit 9443 into the hook pods (app=hook, ns ops) from the master range 172.16.0.0/28, nothing else",
    );
    assert_eq!(port_numbers(&i), [9443]);
}

#[test]
fn namespaces_labelled_with_a_yaml_value_that_is_a_direction_word() {
    // "from namespaces labelled name: ingress" lost the peers.
    let i = parsed(
        "every pod in namespace web should only accept TCP 80 from namespaces labelled role: ingress",
    );
    assert_eq!(
        i.resources.peers[0]
            .namespace_labels
            .get("role")
            .map(String::as_str),
        Some("ingress")
    );
}

#[test]
fn nothing_but_a_program_should_asks_beside_a_quoted_log() {
    // A quoted log line's paths joined the files of "nothing but X should
    // touch Y".
    let i = parsed(
        "the app logs \"wrote keys (/run/app/a.pem, /run/app/b.pem)\". In the app pods (app: app, ops), nothing but /app/bin/server should touch /run/app/b.pem.",
    );
    assert_eq!(i.resources.paths, ["/run/app/b.pem"]);
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_refusal_names_the_pods_beside_an_unnamed_port() {
    let e = refused(
        "could you add a policy in namespace ops to allow traffic to the application port from all namespaces?",
    );
    assert!(e.contains("which pods"), "{e}");
    assert!(e.contains("which port"), "{e}");
}
