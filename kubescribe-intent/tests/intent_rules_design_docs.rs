//! Rules of the intent parser found on the blind batches `ew-` … `ez-`
//! (ML platforms, multi-cluster components, legacy services, design
//! documents), written after they were measured: a state described with
//! "is isolated in" orders nothing, "add X, drop all" is the allow-list of
//! X, "block the outside world from 8265 on …" keeps its port, "keep X
//! from spawning Y" makes X the parent, traffic "to …" that "stays as it
//! is" is left alone, "DNS records" are no traffic or audit, and a bare
//! name after "in" that a label of the text holds is no namespace. Each test
//! states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_state_described_as_isolated_orders_nothing() {
    // "the secondary interface is isolated in its own VRF …" made a
    // network block of everything.
    let i = parsed(
        "With the plugin the data plane is isolated in its own VRF, so the gw pods (app: gw, namespace edge) can drop SYS_ADMIN: deny it.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Block);
}

#[test]
fn add_one_capability_and_drop_all_is_its_allow_list() {
    // "deployed with capabilities add NET_BIND_SERVICE, drop all, since it
    // only has to bind port 53" blocked NET_BIND_SERVICE.
    let i = parsed(
        "the proxy (app=proxy, namespace edge) runs with capabilities add NET_BIND_SERVICE, drop all, since it binds port 80. enforce that at runtime.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, vec!["net_bind_service"]);
}

#[test]
fn the_world_kept_from_a_port_keeps_the_port() {
    // "Block the outside world from 8265 on the ray head pods" blocked
    // every port.
    let i = parsed("Block the internet from 7860 on the gradio pods (app=gradio, namespace ml).");
    assert_eq!(port_numbers(&i), vec![7860]);
}

#[test]
fn a_program_kept_from_spawning_another_is_its_parent() {
    // "keep freeswitch (/usr/bin/freeswitch) in the … pods from spawning
    // /bin/sh" blocked freeswitch too.
    let i = parsed(
        "keep asterisk (/usr/sbin/asterisk) in the pbx pods (app=pbx, namespace voip) from spawning /bin/bash",
    );
    assert_eq!(i.resources.sources, vec!["/usr/sbin/asterisk"]);
    assert_eq!(i.resources.binaries, vec!["/bin/bash"]);
}

#[test]
fn traffic_to_named_places_that_stays_as_it_is_is_left_alone() {
    // "… deny all ingress to it. its outgoing traffic to the k8s api and the
    // cloud provider stays as it is" blocked both directions.
    let i = parsed(
        "deny all ingress to app=cron in namespace jobs. their outgoing traffic to the registry and the k8s api stays as it is",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn dns_records_are_no_traffic_and_no_audit() {
    // "required for Cloud DNS records management: allow egress …" audited
    // and added port 53.
    let i = parsed(
        "needed to manage DNS records: allow egress from app=dns-sync in namespace ops to 203.0.113.0/28 on 443/TCP",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![443]);
}

#[test]
fn a_name_that_a_label_holds_is_no_namespace() {
    // "rebel-base in cluster2 … io.cilium.k8s.policy.cluster=cluster2"
    // added namespace cluster2 as a peer.
    let i = parsed(
        "Allow app=probe in region-a to contact app=target in region-b. app=probe is in namespace mon with zone=region-a; app=target has zone=region-b.",
    );
    assert!(
        i.resources
            .peers
            .iter()
            .all(|p| p.namespace.as_deref() != Some("region-b")),
        "{:?}",
        i.resources.peers
    );
}
