//! Rules written after the blind round `gs-` … `gv-` (annotation tools,
//! forms and scheduling, feed readers, asks typed by operators whose first
//! language is not English): "…, no deny them" / "…, not block" after a log
//! keeps the audit (it blocked); "but internet must still work for them"
//! leaves the internet alone (it blocked the world); "172.17.0.0/16 but not
//! 172.17.1.0/24" is an exception (it made a deny part); "namespaces with
//! label network-access: allowed" is a namespace label; "must be keep
//! read-only" obliges; "tentative fix: restricted …" reports, it asks
//! nothing; "So for our X pods (…), drop the capabilities that are not
//! required" asks, and names no capability; a command that points back
//! ("those two ports") keeps the story that gives its values. Each test
//! states the rule with phrasings of its own and fails without it, but for the guard marked.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, refused};

#[test]
fn no_deny_after_a_log_keeps_the_audit() {
    let i = parsed(
        "for the api pods (app=api, namespace web) I want just log the incoming connections on 9443, no deny them.",
    );
    assert_eq!(i.action, Action::Audit);
    let i = parsed(
        "please log every start of /usr/bin/python3 in the lab pods (app=lab, namespace ds), not block, people work there.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn internet_that_must_still_work_is_left_alone() {
    let i = parsed(
        "all pods in namespace team-x must not reach 10.20.2.0/24, but internet must still work for them.",
    );
    assert!(i.resources.entities.is_empty());
    assert_eq!(i.resources.cidrs, vec!["10.20.2.0/24"]);
}

#[test]
fn a_range_but_not_a_smaller_one_is_an_exception() {
    let i = parsed(
        "accept from 10.8.0.0/16 but not 10.8.3.0/24 for the vpn pods (app=vpn, namespace edge).",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.except_cidrs, vec!["10.8.3.0/24"]);
    assert!(i.deny.is_none());
}

#[test]
fn a_namespace_label_said_with_a_colon_may_hold_a_state() {
    let i = parsed(
        "for all pods in namespace shop: accept from namespaces with label zone: trusted, nothing other.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    let ns = &i.resources.peers[0].namespace_labels;
    assert_eq!(ns.get("zone").map(String::as_str), Some("trusted"));
    let i = parsed(
        "for all pods in namespace shop: accept from namespaces with label net-zone: allowed.",
    );
    let ns = &i.resources.peers[0].namespace_labels;
    assert_eq!(ns.get("net-zone").map(String::as_str), Some("allowed"));
}

#[test]
fn must_be_keep_read_only_obliges_and_a_done_fix_asks_nothing() {
    let i = parsed(
        "Someone uploaded a webshell. tentative fix: restricted upload types, disabled PHP in some folders. Beside that, in the php pods (app=cms, namespace web) the folder /var/www/app/ must be keep read-only. The cache goes to /var/www/cache/, this one stay writable.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.dirs, vec!["/var/www/app/"]);
}

#[test]
fn capabilities_that_are_not_required_are_asked_for() {
    let e = refused(
        "The container has NET_RAW and MAC_ADMIN, which I doubt are required. So for our wiki pods (app=wiki, namespace docs), drop the capabilities that are not required, please.",
    );
    assert!(e.contains("which capabilities"), "{e}");
}

/// A guard (it passes without the rules too): the commands read after a
/// colon since this round must not cut off the story a command points back to.
#[test]
fn a_command_that_points_back_keeps_the_story_with_its_values() {
    let i = parsed(
        "We want to close the admin (8081) and debug (8082) listeners later, but first: for the gateway pods (app=gateway, namespace edge), log every incoming connection on those two ports; nothing is blocked.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.ports.len(), 2);
}
