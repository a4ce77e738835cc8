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

#[test]
fn camel_case_labels_with_one_dot_are_labels() {
    // "(weblogic.clusterName=cluster-1, …)" was read as a chart value.
    let i = parsed("block /bin/sh for the servers (weblogic.clusterName=cluster-1, namespace wls)");
    assert_eq!(
        i.scope
            .labels
            .get("weblogic.clusterName")
            .map(String::as_str),
        Some("cluster-1")
    );
    // A chart value's flag is still none.
    let e =
        parse_helpers::refused("set networkPolicy.enabled=true and block /bin/sh in namespace wls");
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn a_section_number_before_a_colon_is_no_label() {
    // "PCI DSS 1.3.4: Do not allow …" made the label 1.3.4=Do.
    let e = parse_helpers::refused(
        "PCI DSS 1.3.4: Do not allow outbound traffic from the cardholder data environment (namespace cde) to the Internet.",
    );
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn the_server_on_a_numbered_port_is_that_port_alone() {
    // "the HTTP server on 8042 stays reachable" blocked 80 and 8042.
    let i = parsed(
        "Drop incoming connections to the DICOM port 4242 of the pacs pods (app: pacs, namespace rad); the HTTP server on 8042 stays reachable.",
    );
    assert_eq!(port_numbers(&i), [4242]);
}

#[test]
fn only_the_owner_named_by_the_file_is_owner_only() {
    // "restrict access to X … to only the keytab owner" lost owner-only.
    let i = parsed(
        "restrict access to /etc/krb5.keytab in the web pods (app=web, ns corp) to only the keytab owner.",
    );
    assert!(i.resources.owner_only);
}

#[test]
fn sources_said_defined_are_asked_for() {
    // "should only accept our defined sources" opened the port to all.
    let e = parse_helpers::refused(
        "the scp of the pacs pods (app=pacs, namespace rad) on port 104 should only accept our defined sources.",
    );
    assert!(e.contains("which traffic"), "{e}");
    // "well defined network requirements" names no peer.
    let i =
        parsed("it has well defined network requirements: egress from app=m in ns k only on 443");
    assert_eq!(port_numbers(&i), [443]);
}
