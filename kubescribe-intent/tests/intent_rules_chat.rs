//! Rules of the intent parser found on the blind batches `cs-` … `cv-`
//! (namespace isolation, kernel hardening, very short chat one-liners,
//! detection rules' titles): chat's short forms, "rest blocked", "on
//! 80/443", lists of namespaces and programs, words that are no action or
//! system call where they stand. Each test states the rule with phrasings
//! of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn chat_short_forms() {
    // "egr … rest blocked" was a contradiction; "ro" said nothing.
    let i = parsed("egr only 443 to 9.9.9.9 for app=probe ns net, rest blocked");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    let i = parsed("app=api in ns edge: allow ing from app=lb in ns lb on 80/443");
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), [80, 443]);
    let i = parsed("keep /etc/haproxy/ ro for app=hap ns edge");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
}

#[test]
fn locking_down_ports_without_numbers_asks_which() {
    let e = refused("locking down cache egress ports for app=redis-client, ns ops");
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn namespaces_listed_before_the_plural_keyword_are_each_a_peer() {
    let i = parsed(
        "allow ingress to all pods in namespace prod only from the logging and cert-system namespaces",
    );
    let ns: Vec<_> = i
        .resources
        .peers
        .iter()
        .filter_map(|p| p.namespace.as_deref())
        .collect();
    assert_eq!(ns, ["logging", "cert-system"]);
}

#[test]
fn words_that_are_no_action_or_system_call_where_they_stand() {
    // "whenever kill, pkill or killall runs … just log it" blocked; "setuid
    // apps like sudo" was the setuid system call; "a symlink exchange
    // attack" made a network intent.
    let i = parsed(
        "audit whenever kill or pkill (/bin/kill, /usr/bin/pkill) runs in app=w pods of namespace w. just log it, don't block.",
    );
    assert_eq!(i.action, Action::Audit);
    let i = parsed("block setuid programs like /usr/bin/sudo and /bin/su in app=box ns dev");
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.resources.binaries, ["/usr/bin/sudo", "/bin/su"]);
    let i = parsed(
        "deny the docker binary (/usr/bin/docker) in app=agent ns ci, docker cp symlink exchange attack",
    );
    assert_eq!(i.domain, Domain::Process);
}

#[test]
fn the_reason_after_what_stays_open_is_no_part_of_the_ask() {
    let i = parsed(
        "deny all incoming traffic to every pod in the team-a namespace. egress stays open, the jobs still need to pull images from a registry.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.resources.all);
}
