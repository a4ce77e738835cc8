//! Rules written in session 25 after the blind round `ja-` … `jd-`, whose
//! `jb-` batch asked in commit messages ("feat(netpol): …", a body, then
//! "Refs #…" and "Signed-off-by:" trailers) and `jd-` after a compliance
//! control's text. Each test states the rule with phrasings of its own and
//! fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, NetworkEntity};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_commit_body_that_says_the_whole_ask_is_the_ask() {
    // The subject sums up ("to the kube-apiserver"); the body pins the
    // address, and says it all.
    let i = parsed(
        "feat(netpol): allow egress to the kube-apiserver\n\nThe sync pods (app=sync, namespace infra) get egress to 10.96.0.1/32 on 443 and nothing else.\n\nRefs #88\nSigned-off-by: Jane Doe <jane@example.org>",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs, vec!["10.96.0.1/32".to_string()]);
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(port_numbers(&i), vec![443]);
}

#[test]
fn a_prefix_length_is_no_path() {
    let i = parsed(
        "deny egress of the app=crawler pods in namespace web to 169.254.169.254, as a /32 rule",
    );
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
    assert_eq!(i.resources.cidrs, vec!["169.254.169.254/32".to_string()]);
}

#[test]
fn a_port_that_stays_is_left_alone() {
    let i = parsed(
        "the mailer pods (app=mailer, namespace mail) must stop connecting to 10.1.2.3 on 25; submission on 587 stays.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), vec![25]);
}

#[test]
fn an_audit_said_as_a_noun_is_no_action() {
    let i = parsed(
        "For the annual audit we keep the ledger pods (app=ledger, namespace fin) reachable only from namespaces labelled zone=fin.",
    );
    assert_eq!(i.action, Action::Allow);
    // ("keep an audit trail of …" still asks for one.)
    let i = parsed("keep an audit trail of /usr/bin/curl in the app=shop pods of namespace shop");
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn nothing_may_connect_to_the_pods_named_before() {
    let i = parsed(
        "The cron pods (app=cron, namespace jobs) serve nothing, so nothing should be able to connect to them.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.resources.all);
}

#[test]
fn providing_access_is_an_allow() {
    let i = parsed(
        "Provide access to port 9100 of the exporter pods (app=exporter, namespace mon) from namespace prometheus.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![9100]);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("prometheus")
    );
}

#[test]
fn the_namespace_keyword_names_nothing_on_the_next_line() {
    let i = parsed(
        "Add a default policy to the sample namespaces\n\nrelates to org/infra#342\n\n- Apply it to every pod in namespace ref-app.\n- It will deny ingress traffic from anything but namespace gateway.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("ref-app"));
    assert!(i.scope.all_pods);
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("gateway"));
}

#[test]
fn where_something_else_lives_now_is_no_path_of_the_ask() {
    let i = parsed(
        "keep the proxy pods (app=proxy, namespace edge) from writing under /etc/haproxy/; the rendered config lives in /run now.",
    );
    assert_eq!(i.resources.dirs, vec!["/etc/haproxy/".to_string()]);
}

#[test]
fn the_port_of_a_name_the_text_gives_is_that_named_port() {
    let i = parsed(
        "Only namespace ingress-nginx may reach the docs pods (app=docs, namespace docs), on the http port (the container port named http) only.",
    );
    assert!(i.resources.ports.is_empty(), "{:?}", i.resources.ports);
    assert_eq!(i.resources.named_ports[0].name, "http");
    assert!(!i.resources.entities.contains(&NetworkEntity::World));
}

#[test]
fn a_noun_after_the_namespace_keyword_names_no_namespace() {
    let i = parsed(
        "Plan for the shop namespace lockdown: the api pods (app=api) must accept traffic only from namespace gateway.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(i.resources.peers.len(), 1);
}
