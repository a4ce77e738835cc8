//! Rules of the intent parser about where a policy applies, found on the
//! evaluation set's dev split and its `l-`/`k-` batches (operators' own
//! words): a per-namespace phrase beside a named namespace, the policy's own
//! workload given in a closing aside after its peers, every pod of a
//! namespace after a heading, a target's "all namespaces", a namespace said
//! before everything else. Each test states
//! the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, refused};

#[test]
fn each_namespace_beside_a_named_one_is_that_namespace() {
    // "in each namespace" says a policy is made per namespace; the one named
    // is where this one goes (it was "cluster-wide and namespace … both given").
    let i = parsed(
        "We keep a default deny in each namespace: for namespace billing, only app=api may reach app=ledger on TCP 7000",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("billing"));
    assert!(!i.scope.cluster_wide);
    assert_eq!(i.scope.labels["app"], "ledger");
    // With no namespace named it is every namespace: cluster-wide.
    let i = parsed("block /usr/bin/wget for app=web in every namespace");
    assert!(i.scope.cluster_wide);
    assert_eq!(i.scope.namespace, None);
    // "all namespaces" beside a named one is still a contradiction.
    assert!(
        refused("block /usr/bin/wget for app=web in all namespaces and in namespace shop")
            .contains("contradiction")
    );
}

#[test]
fn a_closing_aside_with_a_label_and_a_namespace_names_the_policys_own_pods() {
    // Every workload before it came after "from": the aside is the subject.
    let i = parsed("permit TCP 9000 only from app=ui and app=cli (app=minio, namespace storage)");
    assert_eq!(i.scope.namespace.as_deref(), Some("storage"));
    assert_eq!(i.scope.labels["app"], "minio");
    assert_eq!(i.direction, Some(Direction::Ingress));
    let peers: Vec<&str> = i
        .resources
        .peers
        .iter()
        .map(|p| p.labels["app"].as_str())
        .collect();
    assert_eq!(peers, ["ui", "cli"]);
}

#[test]
fn a_namespace_said_first_frames_the_text() {
    // "only X may reach Y" protects Y also when the namespace comes first.
    let i = parsed("in namespace billing, only app=api may reach app=ledger on TCP 7000");
    assert_eq!(i.scope.namespace.as_deref(), Some("billing"));
    assert_eq!(i.scope.labels["app"], "ledger");
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers[0].labels["app"], "api");
    // An explicit direction's side is the workload, not the framing namespace.
    let i = parsed("in namespace shop, block egress from app=web to 10.0.0.0/8");
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(i.scope.labels["app"], "web");
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, ["10.0.0.0/8"]);
}

#[test]
fn pods_in_a_namespace_after_a_heading_are_every_pod_of_it() {
    let i = parsed(
        "Tenant isolation: pods in namespace tenant-b only receive traffic from namespaces labelled tenant=b",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("tenant-b"));
    assert!(i.scope.all_pods);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers[0].namespace_labels["tenant"], "b");
}

#[test]
fn all_namespaces_after_an_ingress_target_is_the_targets() {
    // "ingress to app=web in all namespaces": the group after "to" receives,
    // so its namespaces are the policy's (it was read as peers' namespaces,
    // leaving no pods to protect).
    let i = parsed("deny all ingress to app=web in all namespaces");
    assert!(i.scope.cluster_wide);
    assert_eq!(i.scope.labels["app"], "web");
    assert_eq!(i.action, Action::Block);
    // After "from" on an ingress rule it is still the peers'.
    let i = parsed("allow ingress to app=db in namespace data from app=api in all namespaces");
    assert_eq!(i.scope.namespace.as_deref(), Some("data"));
    assert!(i.resources.peers[0].any_namespace);
}
