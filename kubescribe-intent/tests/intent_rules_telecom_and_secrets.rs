//! Rules of the intent parser found on the blind batches `fe-` … `fh-`
//! (5G core functions, developer environments, secrets and PKI,
//! living-off-the-land binaries), written after they were measured: the
//! program that "must not spawn" another is its parent, "scrape 8081" is
//! a port, "from each other" beside another peer adds the selected pods,
//! a directory written once without its slash is no executable, "nothing
//! but our own X (the pods labelled …)" names the peers, "should not get
//! anywhere: they may only …" is the allow-list's posture, and peers said
//! by what they need ("the clients that need it", "the backends it has
//! been configured with") are refused with which traffic. Each test states
//! the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn the_program_that_must_not_spawn_another_is_its_parent() {
    // "the gunicorn master /usr/local/bin/gunicorn in the storefront pods
    // (…) must not spawn /usr/bin/curl" blocked gunicorn itself too.
    let i = parsed(
        "the queue worker /usr/bin/python3 in the worker pods (app=worker, namespace jobs) must not spawn /bin/sh.",
    );
    assert_eq!(i.resources.sources, vec!["/usr/bin/python3"]);
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn the_port_prometheus_scrapes_is_a_port() {
    // "only prometheus (…) may scrape 8081 on the pods labelled …" allowed
    // every port.
    let i = parsed(
        "only app=prometheus may scrape 9100 on the exporter pods (app=exporter, namespace mon).",
    );
    assert_eq!(port_numbers(&i), vec![9100]);
}

#[test]
fn each_other_beside_another_peer_adds_the_selected_pods() {
    // "all pods in namespace alice-che should accept traffic only from the
    // eclipse-che namespace and from each other" dropped each other.
    let i = parsed(
        "all pods in namespace team-a should accept traffic only from the ingress namespace and from each other.",
    );
    assert_eq!(i.resources.peers.len(), 2, "{:?}", i.resources.peers);
}

#[test]
fn a_directory_written_once_without_its_slash_is_no_executable() {
    // `plugin_directory = "/vault/plugins"` beside "the plugin binaries
    // under /vault/plugins/" made /vault/plugins an executable.
    let i = parsed(
        r#"extensions live in ext_dir = "/opt/ext". In the app pods (app=rules, namespace risk) restrict execution to /usr/bin/rules and the binaries under /opt/ext/."#,
    );
    assert_eq!(i.resources.binaries, vec!["/usr/bin/rules"]);
    assert_eq!(i.resources.dirs, vec!["/opt/ext/"]);
}

#[test]
fn nothing_but_our_own_glossed_pods_names_the_peers() {
    // "nothing but our own NFs (the pods labelled project=free5gc) should
    // be able to talk to the nrf pods (…)" turned the sides around.
    let i = parsed(
        "nothing but our own frontends (the pods labelled tier=web) should be able to talk to the api pods (app=api, namespace shop) on 8080.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("api"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0].labels.get("tier").map(String::as_str),
        Some("web")
    );
}

#[test]
fn getting_nowhere_but_the_listed_peers_is_the_allow_list() {
    // "… should not get anywhere from there: they may only connect to
    // mongodb (…) on 27017" blocked what it allows.
    let i = parsed(
        "the admin pods (app=admin, namespace ops) should not get anywhere: they may only connect to app=db on 5432.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![5432]);
}

#[test]
fn peers_said_by_what_they_need_name_no_peer() {
    // "should only answer discovery on 8000 for the NFs that legitimately
    // need it" allowed every source.
    let e = refused(
        "the registry pods (app=registry, namespace ci) should only accept 5000 from the clients that really need it.",
    );
    assert!(e.contains("which traffic"), "{e}");
    let e = refused(
        "the sync pods (app=sync, namespace data) may reach only the storage backends it has been configured with and the kube-apiserver.",
    );
    assert!(e.contains("which traffic"), "{e}");
}
