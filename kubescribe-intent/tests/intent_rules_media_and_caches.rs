//! Rules of the intent parser found on the blind batches `fa-` … `fd-`
//! (game and media servers, blockchain nodes, Helm chart values, search
//! engines and caches), written after they were measured: a workload that
//! "can't be upgraded" is described, not blocked; "we don't use X
//! anywhere" and "reachable by every pod" name no scope; "our private
//! network", "trusted machines" and "the RPC port" name no value; a port
//! after "that means" or opening a clause before "only from" is a port;
//! "to 1935 toward X" keeps its port; "the other members" are the selected
//! pods; "keep the member JVM (/path) … from spawning" makes it the parent;
//! "keep X and drop every other capability" is the allow-list of X; an
//! example of what "nothing else" shuts out, and "TCP 11211 stays as it
//! is", are no values. Each test states the rule with phrasings of its own
//! and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Domain, Protocol};
use parse_helpers::{parsed, port_numbers, port_protocols, refused};

#[test]
fn a_workload_that_cannot_be_upgraded_is_described_not_blocked() {
    // "… can't be upgraded this sprint: alert on any exec of /bin/bash …"
    // blocked the shells.
    let i = parsed(
        "The redis pods (app=redis, namespace cache) can't be patched this quarter: alert on any exec of /bin/sh in them.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_feature_not_used_anywhere_names_no_scope() {
    // "we don't use the UDP feature anywhere either, so drop inbound UDP on
    // 11211 for our memcached boxes in namespace sessions" selected every
    // pod of the namespace.
    let e = refused(
        "we don't need the UDP listener anywhere, so drop inbound UDP 11211 for the cache boxes in namespace web.",
    );
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn who_reaches_a_port_by_every_pod_names_no_scope() {
    // "On k8s that port is reachable by every pod, so: in namespace webrtc,
    // block inbound connections to 7088" blocked it for every pod there.
    let e = refused(
        "Today that admin port is reachable by every pod. In namespace media, block inbound connections to 8088.",
    );
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn our_internal_network_and_trusted_machines_name_no_peer() {
    // "accept 11211 only from our private network" allowed every source.
    let e = refused(
        "the ldap pods (app=ldap, namespace id) accept 389 only from our internal network.",
    );
    assert!(e.contains("which traffic"), "{e}");
    let e =
        refused("the rpc pods (app=rpc, namespace chain): 8546 only from the trusted machines.");
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn the_private_api_port_names_no_port() {
    // "only the rpcdaemon pods can reach the private API port" was refused
    // without saying which port was missing.
    let e = refused(
        "lock the chain pods (app=chain-node, namespace chain) down so that only app=wallet can reach the private API port.",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn a_port_after_that_means_or_before_only_from_is_a_port() {
    // "For us that means 4000 on the prysm beacon pods (…) should only be
    // reachable from …" and "…: 8545 only from …" lost their port.
    let i = parsed(
        "In practice that means 7000 on the broker pods (app=broker, namespace mq) should only be reachable from app=producer.",
    );
    assert_eq!(port_numbers(&i), vec![7000]);
    let i = parsed("the minio pods (app=minio, namespace s3): 9000 only from app=backup.");
    assert_eq!(port_numbers(&i), vec![9000]);
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn a_port_toward_a_destination_is_kept() {
    // "Limit egress of the nginx-rtmp pods (…) to 1935 toward X" allowed
    // every port.
    let i = parsed(
        "Limit egress of the relay pods (app=relay, namespace live) to 443 toward upload.example.net.",
    );
    assert_eq!(port_numbers(&i), vec![443]);
    assert_eq!(i.resources.fqdns, vec!["upload.example.net"]);
}

#[test]
fn the_other_members_are_the_selected_pods() {
    // "should accept 5701 only from the other members and from
    // 10.10.1.0/24" dropped the members.
    let i = parsed(
        "the etcd members (app=etcd, namespace kv) should accept 2380 only from the other members.",
    );
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("etcd")
    );
}

#[test]
fn a_named_program_kept_from_spawning_is_the_parent() {
    // "keep the member JVM (/opt/java/openjdk/bin/java) in the hazelcast
    // pods (…) from spawning /bin/sh" had no action, then blocked the JVM.
    let i = parsed(
        "keep the embedded script engine (/opt/app/bin/engine) in the app pods (app=rules, namespace risk) from spawning /bin/sh.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.sources, vec!["/opt/app/bin/engine"]);
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn keep_one_capability_and_drop_every_other_is_its_allow_list() {
    // "keep IPC_LOCK and drop every other capability" blocked IPC_LOCK.
    let i = parsed(
        "For the ping pods (app=pinger, namespace net) keep NET_RAW and drop every other capability.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, vec!["net_raw"]);
}

#[test]
fn an_example_of_what_nothing_else_shuts_out_is_no_port() {
    // "… on UDP 2456-2457 only; nothing else inbound, supervisor's http
    // server on 9001 included" allowed 9001 too.
    let i = parsed(
        "the mumble pods (app=mumble, namespace voice) should be reachable on 64738 only; nothing else inbound, the ice admin port 6502 included.",
    );
    assert_eq!(port_numbers(&i), vec![64738]);
}

#[test]
fn a_port_of_another_protocol_left_as_it_is_is_no_value() {
    // "block inbound and outbound UDP 11211 …; TCP 11211 stays as it is"
    // blocked TCP too.
    let i = parsed(
        "block UDP 5353 for the mdns pods (app=mdns, namespace lan); TCP 5353 stays as it is.",
    );
    assert_eq!(port_protocols(&i), vec![(5353, Protocol::Udp)]);
}
