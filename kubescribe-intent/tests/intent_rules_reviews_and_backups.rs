//! Rules written in session 24 after the blind rounds `hy-` … `ib-` and
//! `ig-` … `ij-` (schedulers, database operators, identity providers,
//! review comments, backup tools, chaos tools): "its readonly flag" is a
//! noun, no audit; "… should be able to reach 8443 on them" reaches the pods
//! named before; "any run of X by postgres (/path)" names who runs them;
//! "that admin socket" names no port; "accept only 9404 (the metrics port)"
//! gives the port; "every connection to 8080 on the X pods" comes in; "add
//! back only X, not the broader Y" grants X alone; "the legacy applications
//! that bind to it" name no peer. Each test states the rule with phrasings
//! of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_flag_owned_is_a_noun() {
    let i = parsed(
        "Until the volume CRD gets its readonly flag, make /srv/shared/ read-only in the pods labelled team=data in namespace lab.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
}

#[test]
fn reaching_a_port_on_them_comes_in() {
    let i = parsed(
        "The hook pods (app=hook, namespace ops) serve on 9443 now. Nothing but the apiserver at 10.0.0.1 should be able to reach 9443 on them.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.cidrs, vec!["10.0.0.1/32"]);
}

#[test]
fn a_run_by_a_program_names_its_parent() {
    let i = parsed(
        "For the db pods (app=db, namespace data): audit any run of /usr/bin/curl or /usr/bin/wget by mysqld (/usr/sbin/mysqld).",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.binaries, vec!["/usr/bin/curl", "/usr/bin/wget"]);
    assert_eq!(i.resources.sources, vec!["/usr/sbin/mysqld"]);
}

#[test]
fn an_admin_socket_names_no_port() {
    let e = refused(
        "that admin socket on the radio pods (app=radio, namespace fm) should only be reachable from 10.8.0.0/24.",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn a_port_accepted_only_with_its_gloss_is_given() {
    let i = parsed(
        "The broker pods (app=broker, namespace mq) should accept only 9404 (the metrics port) from the monitoring namespace.",
    );
    assert_eq!(port_numbers(&i), vec![9404]);
}

#[test]
fn a_connection_to_a_port_on_the_pods_comes_in() {
    let i = parsed(
        "log every connection to 8080 on the hook pods (run=hook, namespace ops) to see who calls it.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_capability_set_aside_is_not_granted() {
    let i = parsed(
        "For the sync pods (app=sync, namespace backup): drop ALL and add back only DAC_READ_SEARCH, not the broader DAC_OVERRIDE.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, vec!["dac_read_search"]);
}

#[test]
fn applications_that_bind_name_no_peer() {
    let e = refused(
        "On the directory pods (app=dir, namespace idm), 636 should only be reachable by the old applications that bind to it.",
    );
    assert!(e.contains("which traffic"), "{e}");
}

// After the blind round `ik-` … `in-` (web application firewalls, asks by
// developers, data pipelines, hardening items restated): "until then keep
// …" commands; a dash ends what must not be done ("don't block it — just
// flag …"); an adverb after "pod" names no pod; "trusted users" name no
// peer.

#[test]
fn until_then_commands() {
    let i = parsed(
        "A change allows attackers to read any file. Until then keep the internet off port 8081 of the api pods (app=api, namespace web).",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), vec![8081]);
}

#[test]
fn a_dash_ends_what_must_not_be_done() {
    let i = parsed(
        "wget has to stay for the probes, so don't block it \u{2014} just flag every run of /usr/bin/wget in the relay pods (app=relay, namespace mail).",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("relay"));
}

#[test]
fn an_adverb_after_pod_names_no_pod() {
    let i = parsed(
        "Tokens should not be mounted except where the workload in the pod explicitly needs them. The wiki pods (app=wiki, namespace docs) never talk to the API server: block their egress to the kube-apiserver.",
    );
    assert!(i.scope.pod_names.is_empty());
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("wiki"));
}

#[test]
fn trusted_users_name_no_peer() {
    let e = refused(
        "For the connect pods (app=connect, namespace kafka): port 8083 reachable by trusted users only.",
    );
    assert!(e.contains("which traffic"), "{e}");
}

// After the blind round `io-` … `ir-` (help desks, scanner findings, vector
// databases, terse requests): a scanner's finding pasted before the ask is
// the tool's words, not the ask; "6335 should only take connections from
// …" gives its port.

#[test]
fn a_scanner_finding_before_the_ask_is_background() {
    let i = parsed(
        "polaris: runAsPrivileged (danger) - Should not be running as privileged. The probe agent (app: probe-agent, namespace obs) has to stay privileged, so in exchange only /usr/local/bin/probe-agent may be executed in it.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, vec!["/usr/local/bin/probe-agent"]);
}

#[test]
fn a_port_that_should_only_take_connections_is_given() {
    let i = parsed(
        "So for the raft pods in namespace kv (app.kubernetes.io/name: raft), 7300 should only take connections from pods labelled app.kubernetes.io/name=raft.",
    );
    assert_eq!(port_numbers(&i), vec![7300]);
}
