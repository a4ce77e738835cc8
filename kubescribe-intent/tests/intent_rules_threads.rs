//! Rules of the intent parser found on the `i-` and `j-` blind batches
//! (container-hardening and Cilium/Calico asks in GitHub threads, near
//! verbatim): cluster-wide kinds and phrases, Cilium's deny sections,
//! complaints, port ranges and exceptions, mixed allow/deny with "and",
//! what is missing before a contradiction. Each test states the rule with
//! phrasings of its own (not the evaluation cases') and fails without it.

mod parse_helpers;

use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, refused};

#[test]
fn what_is_missing_is_named_before_a_contradiction() {
    // The allow/block clash is prose around an ask that names nothing.
    let e = refused(
        "Profiles allow a lot by default; block risky system calls for app=build in namespace ci",
    );
    assert!(e.contains("which system calls"), "{e}");
}

#[test]
fn every_pod_of_the_cluster_is_cluster_wide() {
    let i = parsed("I need to keep all pods in our cluster from reaching 172.16.0.0/12");
    assert!(i.scope.cluster_wide);
    assert_eq!(i.scope.namespace, None);
    let i = parsed("the policy should let every pod from any namespace reach example.org");
    assert!(i.scope.cluster_wide);
    assert!(i.resources.peers.is_empty());
    assert_eq!(i.resources.fqdns, ["example.org"]);
}

#[test]
fn restricting_from_doing_something_blocks_it() {
    let i = parsed("restrict app=etl in namespace data from connecting to 10.50.0.0/16");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    // "restrict … to" stays an allow-list.
    let i = parsed("restrict app=etl in namespace data to 10.50.0.0/16");
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_word_after_an_indefinite_article_describes_the_namespace() {
    let i = parsed(
        "only the ingress controller may reach app=portal (namespace web) which runs in a dedicated namespace: allow ingress from namespace ingress-nginx on 8080",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("web"));
}

#[test]
fn a_cluster_wide_kind_applies_across_the_cluster_unless_a_namespace_is_named() {
    let i = parsed("a CCNP that blocks egress to 10.9.0.0/16 for role=batch");
    assert_eq!(i.engine, Some(Engine::Cilium));
    assert!(i.scope.cluster_wide);
    let i = parsed(
        "a GlobalNetworkPolicy that blocks egress to 10.9.0.0/16 for role=batch in namespace jobs",
    );
    assert_eq!(i.engine, Some(Engine::Calico));
    assert!(!i.scope.cluster_wide);
    assert_eq!(i.scope.namespace.as_deref(), Some("jobs"));
}

#[test]
fn ciliums_deny_sections_block_that_way() {
    let i = parsed("an egressDeny rule on TCP 2379 for app=tools in namespace ops");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    let i = parsed("ingressDeny: port 9100 for app=node-exporter in namespace mon");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_complaint_that_ends_its_sentence_asks_for_nothing() {
    let i = parsed(
        "I tried to allow ingress to app=api in namespace prod from namespace gateway on 8443, but can't. Any idea?",
    );
    assert_eq!(i.action, Action::Allow);
    // A "can't" followed by its verb still blocks.
    let i = parsed("app=api in namespace prod can't reach 10.0.0.0/8");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_port_range_named_as_such_is_ports() {
    let i = parsed(
        "allow egress only to the NodePort range (e.g. 30000-32767) for app=edge in namespace dmz",
    );
    assert_eq!(i.resources.ports[0].port, 30000);
    assert_eq!(i.resources.ports[0].end_port, Some(32767));
}

#[test]
fn all_ports_except_one_is_an_allow_list_of_it() {
    // It blocked exactly the port meant to stay open.
    for t in [
        "block all ports except port 8443 for app=api in namespace prod",
        "block all ports except 8443 for app=api in namespace prod",
    ] {
        let i = parsed(t);
        assert_eq!(i.action, Action::Allow, "{t}");
        assert_eq!(i.resources.ports[0].port, 8443, "{t}");
    }
    let e = refused("block the unnecessary ports of app=api in namespace prod");
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn allow_and_block_joined_by_and_is_an_allow_with_a_deny_part() {
    let i = parsed("allow TCP 8443 and block TCP 8080 for app=api in namespace prod");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.ports[0].port, 8443);
    assert_eq!(i.deny.as_ref().unwrap().ports[0].port, 8080);
    // The scope said after the deny part still counts.
    let i = parsed("allow only TCP 8443 and block the other ports for app=api in namespace prod");
    assert_eq!(i.scope.labels["app"], "api");
    assert!(i.deny.is_none());
    // The same port both ways is a contradiction.
    assert!(
        refused("allow TCP 8443 and block TCP 8443 for app=api in namespace prod")
            .contains("both allowed and blocked")
    );
    // An engine named in the deny part is the policy's.
    let i = parsed(
        "allow egress to 10.0.0.1 but drop packets to 10.0.0.0/24 except 10.0.0.1 for app=a in namespace b (CiliumNetworkPolicy)",
    );
    assert_eq!(i.engine, Some(Engine::Cilium));
}

#[test]
fn removing_a_capability_drops_it() {
    let i = parsed("harden app=api (namespace prod) by removing the SYS_ADMIN capability");
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.capabilities, ["sys_admin"]);
}

#[test]
fn a_preposition_after_namespace_names_none() {
    let e = refused("pods should talk freely in their namespace without limits");
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn rules_added_to_a_policy_of_a_workload_are_that_workloads() {
    // "to … NetworkPolicy" is where the rules go, no side of a connection.
    let i = parsed(
        "add an egress rule for TCP 9092 to the streams NetworkPolicy of app=flink in namespace data",
    );
    assert_eq!(i.scope.labels["app"], "flink");
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.peers.is_empty());
}

#[test]
fn a_cluster_wide_kind_still_needs_its_pods_said() {
    // The kind says where the policy lives, not which pods it selects.
    let e = refused("use a GlobalNetworkPolicy to shield port 10250 from the outside world");
    assert!(e.contains("which pods"), "{e}");
    // Calico's "selector: all()" says every endpoint.
    let i = parsed(
        "kind: GlobalNetworkPolicy, metadata: name: default-deny, spec: selector: all(), types: - Egress",
    );
    assert!(i.scope.cluster_wide);
    assert!(i.scope.labels.is_empty(), "{:?}", i.scope.labels);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.all);
}
