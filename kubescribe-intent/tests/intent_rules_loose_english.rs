//! Rules written in session 23 after the misses of the second second-
//! language round (`gy-`) and older ones: "read is ok because site need it"
//! leaves reads alone (it widened a write block to any access); "nothing in
//! the X pods (…) should write …" asks, so the story's addresses stay out;
//! "the external network" is the world; "Please do this for our X pods"
//! points back to the ask before it; "that kind: outside can …" is no
//! label; "…, from Internet nobody" after an allow-list names what it shuts
//! out (it allowed the world); "only VPN ip can access" names no address;
//! a pronoun or verb after "namespace" names none; "reachable only by pods
//! labelled …" says who reaches them; "pods labelled a=b which are in
//! namespaces labelled c=d" is one peer (it was two, either one allowed).
//! Each test states the rule with phrasings of its own and fails without
//! it, but for the guards marked.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain, NetworkEntity};
use parse_helpers::{parsed, refused};

#[test]
fn an_operation_that_is_ok_for_a_reason_is_left_alone() {
    let i = parsed(
        "nothing in the blog pods (app=blog, namespace web) may write under /srv/blog/static/, reading is ok because nginx serves it.",
    );
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only, "writes only: {i:?}");
    let i = parsed(
        "block writes to /etc/app/ for app=api in namespace prod, reads are fine since the app loads its config.",
    );
    assert!(i.resources.read_only, "writes only: {i:?}");
}

#[test]
fn nothing_in_the_pods_should_asks_and_the_story_stays_out() {
    let i = parsed(
        "Our logs show requests from 203.0.113.7 and 198.51.100.9 to /admin/upload. Until the patch ships, nothing in the cms pods (app=cms, namespace site) should write under /var/www/uploads/.",
    );
    assert_eq!(i.domain, Domain::File);
    assert!(i.resources.cidrs.is_empty(), "{i:?}");
    assert_eq!(i.resources.dirs, vec!["/var/www/uploads/"]);
}

#[test]
fn the_external_network_is_the_world() {
    let i = parsed(
        "the worker pods (app=worker) in namespace jobs must not open connections to the external network.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.entities, vec![NetworkEntity::World]);
}

/// Guard: "can reach any external network" says how open the pods are
/// now; the ask that names nothing is still refused.
#[test]
fn any_external_network_in_the_story_names_no_peer() {
    refused(
        "Today the report pods (app=report, namespace bi) can reach any external network. Please add sensible egress rules for them.",
    );
}

#[test]
fn do_this_for_our_pods_points_back_to_the_ask() {
    let i = parsed(
        "I want that the containers cannot open connections to the outside network. Please do this for our wiki pods (app=wiki) in namespace docs.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("docs"));
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("wiki"));
    assert_eq!(i.resources.entities, vec![NetworkEntity::World]);
}

#[test]
fn a_determiners_noun_before_a_colon_is_no_label() {
    let i = parsed(
        "I would like this kind: the ci pods (app=ci, namespace build) must not connect to the external network.",
    );
    assert!(!i.scope.labels.contains_key("kind"), "{i:?}");
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("ci"));
}

#[test]
fn nobody_from_a_peer_after_an_allow_list_is_its_edge() {
    let i = parsed(
        "the editor pods (app=editor, namespace docs) must be reachable only from app=portal on port 8080, from internet nobody.",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(i.resources.entities.is_empty(), "world allowed: {i:?}");
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn only_vpn_ip_names_no_address() {
    let e = refused(
        "the grafana pods (app=grafana, namespace mon) on port 3000 only VPN ip can access, rest must be blocked.",
    );
    assert!(e.contains("which traffic"), "{e}");
    // Guard: the range given with it is the value.
    let i = parsed("only the VPN range 10.8.0.0/16 may reach app=grafana in namespace mon on 3000");
    assert_eq!(i.resources.cidrs, vec!["10.8.0.0/16"]);
}

#[test]
fn a_pronoun_or_verb_after_namespace_names_none() {
    let i = parsed(
        "pods app=api in namespace blue may only connect to namespace green for egress, other namespace they must not reach.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("blue"));
    let i = parsed(
        "With a policy which combined namespace and label selectors: the db pods (app=db) in namespace data accept only from pods labelled role=api.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("data"));
}

#[test]
fn reachable_only_by_pods_says_who_reaches_them() {
    for text in [
        "the redis pods (app=redis) in namespace cache should be reachable only by pods labelled role=worker.",
        "the redis pods (app=redis) in namespace cache should be accessable only by pods labelled role=worker.",
    ] {
        let i = parsed(text);
        assert_eq!(i.action, Action::Allow, "{text}");
        assert_eq!(i.direction, Some(Direction::Ingress), "{text}");
        assert_eq!(
            i.resources.peers[0].labels.get("role").map(String::as_str),
            Some("worker")
        );
    }
}

#[test]
fn pods_which_are_in_labelled_namespaces_are_one_peer() {
    for text in [
        "allow ingress to app=db in namespace data from pods labelled role=api which are in namespaces labelled env=prod",
        "allow ingress to app=db in namespace data from pods labelled role=api that run in namespaces labelled env=prod",
    ] {
        let i = parsed(text);
        assert_eq!(i.resources.peers.len(), 1, "{text}: {i:?}");
        let p = &i.resources.peers[0];
        assert_eq!(p.labels.get("role").map(String::as_str), Some("api"));
        assert_eq!(
            p.namespace_labels.get("env").map(String::as_str),
            Some("prod")
        );
    }
}
