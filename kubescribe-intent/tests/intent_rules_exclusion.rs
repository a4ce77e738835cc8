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

#[test]
fn the_selected_pods_themselves_are_a_peer_among_others() {
    // "only the sentinels (…) and the redis pods themselves may connect to
    // 6379 on the redis pods (…)" left the redis pods out.
    let i = parsed(
        "only the proxies (app=proxy) and the etcd pods themselves may connect to 2380 on the etcd pods (app=etcd, namespace kv)",
    );
    assert_eq!(i.resources.peers.len(), 2, "{:?}", i.resources.peers);
    assert!(
        i.resources
            .peers
            .iter()
            .any(|p| p.labels.get("app").map(String::as_str) == Some("etcd"))
    );
    // "reachable only by the other cockroachdb pods and by ledger-api".
    let i = parsed(
        "allow 2888 on the zk pods (app=zookeeper, namespace kafka) only from the other zookeeper pods",
    );
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("zookeeper")
    );
}

#[test]
fn a_deny_of_the_catch_all_address_beside_allowed_ones_is_the_allow_list() {
    // "… to A, B and C. Deny everything else to 0.0.0.0/0." denied C and
    // the catch-all (which would override the allows).
    let i = parsed(
        "the app=sync pods in namespace ops may reach 198.18.0.0/15 and 100.64.0.0/10. Block the rest to 0.0.0.0/0.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs.len(), 2, "{:?}", i.resources.cidrs);
    assert!(i.deny.is_none(), "{:?}", i.deny);
}

#[test]
fn the_internet_spelled_as_the_catch_all_with_excepts_is_no_world() {
    // "need public internet access but not the private networks: egress to
    // 0.0.0.0/0 except …" added the world, which lets the excepts back in.
    let i = parsed(
        "the crawler pods (app=crawler, ns web) need internet access but not the internal ranges: egress to 0.0.0.0/0 except 10.0.0.0/8",
    );
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.resources.except_cidrs, vec!["10.0.0.0/8"]);
}

#[test]
fn other_pods_named_by_no_label_of_the_selected_ones_are_asked_for() {
    // "only from the other web pods" of app=db dropped the peer, allowing
    // every source on 5432.
    let e = parse_helpers::refused(
        "allow ingress to app=db in ns shop on 5432 only from the other web pods",
    );
    assert!(e.contains("which peers"), "{e}");
}
