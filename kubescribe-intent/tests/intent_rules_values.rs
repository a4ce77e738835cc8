//! Rules of the intent parser found on the blind batches `cc-` … `cf-`
//! (incident containment, translations from other tools, several items in
//! one ask, observability workloads): values glossed or listed as
//! operators write them, and sentences that point back or say a purpose.
//! Each test states the rule with phrasings of its own and fails without
//! it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Domain};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_protocols_name_glossed_with_another_port_is_that_port() {
    // "http (10902)" added port 80 beside 10902.
    let i = parsed("app=api in ns x may only receive traffic on grpc (9090) and http (8081)");
    assert_eq!(port_numbers(&i), [9090, 8081]);
    // Glossed with its own port, the protocol's ports stay (DNS is 53/UDP and TCP).
    let i = parsed("for all pods in ns ci: allow only DNS (53) and HTTPS (443) outbound");
    assert_eq!(port_numbers(&i), [53, 53, 443]);
}

#[test]
fn a_range_said_as_one_is_a_port_range() {
    // "plus the whole 30000-30100 range" was lost.
    let i = parsed(
        "allow egress of app=x in ns y to 10.5.0.0/16 on port 5432 plus the whole 30000-30100 range",
    );
    assert_eq!(i.resources.ports[1].port, 30000);
    assert_eq!(i.resources.ports[1].end_port, Some(30100));
}

#[test]
fn docker_capability_flags_list_several() {
    // "--cap-drop=A,B`:" was one capability named "a,b`:".
    let i = parsed("app=b in ns ci should run like `run --cap-drop=NET_RAW,MKNOD`: take them away");
    assert_eq!(i.resources.capabilities, ["net_raw", "mknod"]);
}

#[test]
fn a_log_file_is_no_audit() {
    // "the error log /var/log/x" made an allow-list an audit.
    let i = parsed(
        "for app=pg in ns db the data directory /var/lib/pg/ and the error log /var/log/pg/err.log should be accessible only to postgres (/usr/bin/postgres)",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/usr/bin/postgres"]);
}

#[test]
fn what_stays_fine_bounds_the_operation() {
    // "reading them stays fine" left reads blocked.
    let i = parsed(
        "block any change to /etc/hosts and /etc/resolv.conf in app=dns (ns net); reading them stays fine",
    );
    assert!(i.resources.read_only);
}

#[test]
fn an_ask_that_points_back_keeps_the_sentence_before() {
    // "that directory" lost its directory, and "to prevent …" was read as a
    // second action (a contradiction).
    let i = parsed(
        "the spool lives in /var/spool/relay/ on the relay pods (app=relay, namespace mail). restrict access to that directory to the relay process (/opt/relay) to prevent tampering with queued mail.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.dirs, ["/var/spool/relay/"]);
    assert_eq!(i.resources.sources, ["/opt/relay"]);
}

#[test]
fn flag_opens_an_ask() {
    // The background sentence's "read" widened the audit to reads.
    let i = parsed(
        "The agent only needs to read container metadata/logs, yet the socket is mounted read-write. flag any write to /run/agent.sock from the agent pods (app=agent, ns ops).",
    );
    assert_eq!(i.action, Action::Audit);
    assert!(i.resources.read_only);
}

#[test]
fn services_listed_with_slashes_and_their_ports() {
    // "SSH/HTTP/HTTPS (22/80/443)" lost the ports.
    let i =
        parsed("egress of app=r in ns ci permits public SSH/HTTP/HTTPS (22/80/443) to 0.0.0.0/0");
    assert_eq!(port_numbers(&i), [22, 80, 443]);
}

#[test]
fn a_port_that_stays_open_is_not_blocked() {
    // "8883 stays open" was blocked with 1883.
    let i = parsed(
        "for the broker pods (app=mq, ns iot) block incoming traffic on 1883; 8883 stays open.",
    );
    assert_eq!(port_numbers(&i), [1883]);
}

#[test]
fn only_before_a_colon_is_an_allow_list() {
    // "… only: A and B" said no action.
    let i = parsed(
        "app=sync (namespace ops) gets egress to the vendor API only: api.vendor.example on 443",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.fqdns, ["api.vendor.example"]);
}

#[test]
fn pods_named_in_prose_are_not_pod_names_or_guessed_labels() {
    // "each pod consists of …" named a pod "consists"; "the build pods are
    // labelled role=x" added app=build.
    let i = parsed(
        "Each proxy pod consists of two containers, so the proxy pods (app=px, namespace edge) should only run /usr/bin/px.",
    );
    assert!(i.scope.pod_names.is_empty());
    let i = parsed(
        "block /usr/bin/sudo in the build phase - the runner pods are labelled role=runner, namespace ci",
    );
    assert_eq!(i.scope.labels.len(), 1);
    assert_eq!(i.scope.labels["role"], "runner");
}
