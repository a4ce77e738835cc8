//! Rules of the intent parser found on the blind batches `ec-` and `ed-`
//! (post-mortem action items, commit messages and PR titles): a ticket's
//! fields are no labels, "apply that to the X pods" names the policy's
//! pods, an adjective is no action, a workload named by its program is no
//! program, an aside's namespace may be a common word, and a value said as
//! trusted but not given is refused. Each test states the rule with
//! phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_tickets_owner_field_is_no_label() {
    // "remediation owner: platform — block the calibre pods (app: calibre,
    // ns media) …" selected owner=platform.
    let i = parsed(
        "miner found. remediation owner: secops — block the wiki pods (app: wiki, ns docs) from reaching the internet.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("wiki"));
    assert!(!i.scope.labels.contains_key("owner"));
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources.peers);
}

#[test]
fn applying_it_to_pods_names_the_policys_pods() {
    // "Apply that to the redis pods labelled app=redis in namespace
    // laravel: their egress is limited to 80 and 443" was refused.
    let i = parsed(
        "Apply that to the cache pods labelled app=cache in namespace web: their egress is limited to 80 and 443.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("cache"));
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(port_numbers(&i), [80, 443]);
}

#[test]
fn an_adjective_before_binaries_is_no_action() {
    // "blocks execution of privileged and restricted binaries (…)" was a
    // contradiction of "restricted" and "blocks".
    let i = parsed(
        "ci: blocks execution of privileged and restricted binaries (/usr/bin/sudo, /bin/su) in the runner pods, app=runner ns ci",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/usr/bin/sudo", "/bin/su"]);
}

#[test]
fn pods_named_by_their_program_are_no_program() {
    // "… in the nginx pods, app=nginx" added /usr/sbin/nginx.
    let i = parsed("block execution of /usr/bin/curl in the nginx pods, app=nginx ns web");
    assert_eq!(i.resources.binaries, ["/usr/bin/curl"]);
}

#[test]
fn an_asides_namespace_may_be_a_common_word() {
    // "(app=filebrowser, namespace files)" lost its namespace.
    let i = parsed("the share pods (app=share, namespace files) must not execute /bin/sh");
    assert_eq!(i.scope.namespace.as_deref(), Some("files"));
}

#[test]
fn any_exposed_port_in_the_background_asks_for_none() {
    // "whether it's the image or an exposed port" refused "which port".
    let i = parsed(
        "Until we know whether it's the image or an exposed port, log every outbound connection from the db pods (app=db, namespace data) to 203.0.113.9 — don't drop it, we want the evidence.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn trusted_ranges_not_given_are_refused() {
    let e = refused(
        "Restrict access to the api pods (app=api, namespace web) on port 8000 to trusted IP ranges only.",
    );
    assert!(e.contains("which traffic"), "{e}");
}
