//! Rules of the intent parser found on the blind round `gg-` … `gj-` (chat
//! threads, antivirus scanners, device workloads, network sensors), written
//! after it was measured: a chat thread pasted as the ask ("dan: …",
//! "fred: …", the decision last) is read from its last message that asks,
//! the discussion before it being background (the threads read 3/13 at
//! first sight); "should never run what it scans" names no program. Each
//! test states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, refused};

#[test]
fn the_last_message_of_a_chat_thread_is_the_ask() {
    let i = parsed(
        "ana: the exporter needs to be scraped, without a policy prometheus can't reach it\n\
         ben: do we also need egress to the API server? it runs on the host network\n\
         ana: no, hostNetwork isn't affected by the policy\n\
         ben: ok then: the exporter pods (app=exporter, namespace mon) accept 9100 from the prometheus pods (app=prometheus) only",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 9100);
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
}

#[test]
fn a_thread_that_ends_in_approval_takes_the_last_ask() {
    let i = parsed(
        "kim: the token is mounted in every pod even if nothing uses it, allowing egress to the API server would not help\n\
         lee: attackers read it with cat and call the API on 443\n\
         kim: so block reads of /run/secrets/kubernetes.io/serviceaccount/ in the web pods (app=web, namespace shop)\n\
         lee: lgtm, ship it",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_thread_whose_last_ask_leaves_something_out_is_refused() {
    // "secops: …: block access to /run/secrets/… in namespace payments"
    // after a discussion was read as every pod of the namespace.
    let e = refused(
        "raj: the token is mounted in each pod even if no app uses it\n\
         bo: should we try a curl with the token to show the risk?\n\
         raj: great point, added to the demo\n\
         sec: nice, roll it out: block access to /run/secrets/kubernetes.io/serviceaccount/ in namespace billing",
    );
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn what_a_scanner_scans_is_no_program() {
    let i = parsed(
        "A scanner should never run what it scans: block execution of anything in /srv/inbox/ in the scanner pods (app=scanner, namespace av).",
    );
    assert!(
        i.resources.binaries.is_empty(),
        "{:?}",
        i.resources.binaries
    );
    assert_eq!(i.resources.dirs, vec!["/srv/inbox/"]);
}

#[test]
fn a_structured_ask_is_no_chat_thread() {
    // Fields of a form ("Scope: …", "What: …", "Why: …") are read together.
    let i = parsed(
        "Scope: the web pods, app=web in namespace shop\nWhat: block egress to 10.0.0.0/8\nWhy: the pods have no business in the office network",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("web"));
    assert_eq!(i.resources.cidrs, vec!["10.0.0.0/8"]);
}
