//! Rules of the intent parser found on the blind batches `di-` … `dl-`
//! (mail and chat servers, asks phrased as questions, legacy enterprise
//! workloads, healthcare and finance stacks): questions that ask, "nothing
//! … can", "able to … but not", environment variables beside labels and
//! paths, a service word that only names a port's kind, "KILL" among
//! capabilities, and pods left out of a cluster-wide scope. Each test
//! states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Protocol};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_how_to_question_is_the_ask() {
    // The complaint before "How do I make every pod … drop incoming ping?"
    // made it an allow of the cluster.
    let i = parsed(
        "I set deny-all for namespace lab but I can still ping the pods from anywhere in the cluster. How do I make every pod in namespace lab drop incoming ping (ICMP)?",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.protocols, [Protocol::Icmp]);
    assert!(i.resources.entities.is_empty());
}

#[test]
fn nothing_that_can_do_it_is_a_block() {
    // "for app=p, nothing can write under /bin/" allowed the writes.
    let i = parsed("for app=p in ns tools nothing can write under /usr/");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    // A purpose after the pods: "restricting … so nothing in them can …".
    let i = parsed(
        "Is there a way of restricting the job pods (app=job, namespace ci) so nothing in them can write under /etc/?",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.dirs, ["/etc/"]);
    // "nothing else may run" stays the allow-list's posture.
    let i = parsed(
        "Only /usr/bin/app may run in app=x pods of namespace y; nothing else may be executed",
    );
    assert_eq!(i.action, Action::Allow);
    // "nothing should be blocked" is no block.
    let i = parsed(
        "nothing should be blocked, but log every /bin/sh that starts in the app=x pods (namespace y)",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn what_one_is_able_to_do_but_not_is_blocked() {
    // "should be able to start the app but not exec /bin/sh" allowed sh.
    let i = parsed(
        "the user should be able to use the app but not exec /bin/bash, in pods app=box, namespace lab",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/bin/bash"]);
    // "must not be able to …, so block …" is no allow.
    let i = parsed(
        "builds must not be able to influence one another. so block the ptrace syscall in the app=build pods (namespace ci)",
    );
    assert_eq!(i.action, Action::Block);
    assert!(i.deny.is_none());
}

#[test]
fn environment_variables_are_neither_labels_nor_hidden_paths() {
    // "ENABLE_SENDMAIL=false" became a label; "KEY_FILE=/path" hid the path.
    let i = parsed(
        "mail is still sent when ENABLE_MAIL=false is set. block /usr/sbin/sendmail in the app=shop pods (namespace web)",
    );
    assert_eq!(i.scope.labels.len(), 1);
    let i = parsed(
        "the server reads TLS_KEY_FILE=/etc/app/tls.key; keep that key only accessible to the file owner, read-only, for app=srv in ns web",
    );
    assert_eq!(i.resources.paths, ["/etc/app/tls.key"]);
    assert!(i.resources.owner_only);
}

#[test]
fn a_service_word_before_a_numbered_port_names_its_kind() {
    // "the HTTP replication port 9093" added port 80.
    let i = parsed(
        "only app=worker may connect to the HTTP replication port 9093 of app=main in namespace chat",
    );
    assert_eq!(port_numbers(&i), [9093]);
}

#[test]
fn kill_among_capabilities_is_one() {
    // "add only CHOWN, SYS_CHROOT and KILL." denied KILL.
    let i = parsed(
        "for the pods (app=m, namespace mail) drop all capabilities and add only CHOWN, SETUID and KILL.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["chown", "setuid", "kill"]);
    assert!(i.deny.is_none());
}

#[test]
fn pods_left_out_of_the_cluster_are_a_selector() {
    // "for every pod in the cluster other than the ones labelled X"
    // governed X.
    let i = parsed(
        "deny all traffic to an external IP (a database outside the cluster, 10.9.9.9) for every pod in the cluster other than the ones labelled role=db-client",
    );
    assert_eq!(i.scope.selector.as_deref(), Some("role != db-client"));
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
}
