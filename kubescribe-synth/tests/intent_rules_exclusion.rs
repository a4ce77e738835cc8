//! Rules of the intent parser found on the blind batches `ek-` … `en-`
//! (operators' databases, asks written as test expectations, GitOps
//! controllers, asks by exclusion or analogy): traffic the ask leaves
//! flowing is no allow, "namespaces labelled a or b" are two peers,
//! "same-namespace ingress" names its peer, and "pods of dev1" in a text
//! about namespace dev1 are the pods of the policy's own namespace. Each test states the
//! rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::parsed;

#[test]
fn traffic_left_flowing_is_no_allow() {
    // "deny … access to X, without putting the pods into default-deny. all
    // other traffic has to keep flowing as before." allowed X.
    let i = parsed(
        "deny the app=scraper pods in namespace crawl access to internal IPs such as the metadata endpoint (100.100.100.200), without putting them into default-deny. all other traffic should keep flowing as before.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.cidrs, vec!["100.100.100.200/32"]);
    assert!(i.resources.peers.is_empty() && i.deny.is_none());
    // "X can keep egress to everything, but egress to Y must be blocked"
    // allowed Y.
    let i = parsed(
        "The runner pods (app=runner, namespace ci) can keep egress to anywhere, but egress to 10.96.0.0/12 has to be blocked.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, vec!["10.96.0.0/12"]);
}

#[test]
fn namespaces_labelled_a_or_b_are_two_peers() {
    // "namespaces labelled system-namespace=true or nginx-ingress=true"
    // made one peer whose pods carried the second label.
    let i = parsed(
        "allow ingress to app=api in namespace core only from namespaces labelled tier=edge or purpose=monitoring",
    );
    let ns: Vec<_> = i
        .resources
        .peers
        .iter()
        .map(|p| (p.labels.len(), p.namespace_labels.clone()))
        .collect();
    assert_eq!(ns.len(), 2, "{:?}", i.resources.peers);
    assert!(ns.iter().all(|(l, n)| *l == 0 && n.len() == 1), "{ns:?}");
}

#[test]
fn same_namespace_ingress_names_its_peer() {
    // "allows same-namespace ingress and denies everything else" was
    // refused for naming no traffic.
    let i = parsed("all pods in namespace billing: permit same-namespace egress, nothing more");
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.peers.len(), 1);
    assert!(i.resources.peers[0].namespace.is_none());
    assert!(i.resources.peers[0].labels.is_empty());
}

#[test]
fn pods_of_the_policys_namespace_are_the_same_namespace() {
    // "every pod in namespace dev1: egress to anything other than pods of
    // dev1 is denied" was refused for naming no exception.
    let i = parsed(
        "all pods in namespace team-q: outgoing traffic to anything other than pods of team-q is refused",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    let peer = &i.resources.peers[0];
    assert!(peer.labels.is_empty() && peer.namespace_labels.is_empty());
    assert!(peer.namespace.is_none() || peer.namespace == i.scope.namespace);
}

#[test]
fn nothing_may_connect_to_some_pods_blocks_all_their_ingress() {
    // "nothing should be able to connect to the target=isolated pods in
    // namespace x any more" named no traffic.
    let i = parsed("no one should be able to reach the role=vault pods in namespace secrets");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.resources.all);
    assert_eq!(
        i.scope.labels.get("role").map(String::as_str),
        Some("vault")
    );
}

#[test]
fn what_the_ask_leaves_as_it_is_or_out_of_its_scope_is_no_direction() {
    // "… explicit deny on all egress traffic, so the client is not able to
    // contact the server in the same namespace any more. Incoming traffic
    // stays as it is." blocked both directions, from the same namespace.
    let i = parsed(
        "all pods of namespace quarantine get a deny on all outgoing traffic, so the agent can no longer call the backend in the same namespace. Ingress traffic stays as is.",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.all && i.resources.peers.is_empty(), "{i:?}");
    // "their own outgoing connections are not part of this test".
    let i = parsed(
        "block all ingress to the app=db pods in namespace x; their outgoing connections are out of scope.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}
