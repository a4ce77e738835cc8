//! Rules written in session 24 after the blind round `hu-` … `hx-`, whose
//! `hv-` batch wrote asks as acceptance criteria and Gherkin scenarios: a
//! heading "Acceptance criteria for the … pods (…):" makes the list under it
//! the ask (the story above is background); the list's checks of an
//! allow-list ("- … fails", "- … succeeds", "- … get no connection", "- …
//! cannot reach another one") and items left to another story ("- … is
//! tracked separately", "- … raises no alert", "- … are not part of this
//! story") go; "cannot reach the network: its only egress is to …" is an
//! allow-list; a Gherkin scenario's steps and Examples rows are the ask.
//! Each test states the rule with phrasings of its own and fails without
//! it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_criteria_heading_makes_its_list_the_ask() {
    let i = parsed(
        "Story: the workers talk to everything. Today they reach the admin API on 9000 and the metrics gateway on 9091.\n\nAcceptance criteria for the worker pods (app=worker, namespace jobs):\n- egress goes only to the queue pods (app=queue) on 5672\n- a connection to the admin API fails",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(port_numbers(&i), vec![5672]);
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn a_deny_of_the_network_before_an_only_list_is_its_posture() {
    let i = parsed(
        "The build pods (app=builder, namespace ci) cannot reach the network: their only egress is to the mirror pods (app=mirror) on 8081.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(port_numbers(&i), vec![8081]);
}

#[test]
fn the_checks_of_an_allow_list_go() {
    let i = parsed(
        "Acceptance criteria (app=web, namespace shop):\n- [ ] web pods take connections only from the gateway pods (app=gateway) on 8080\n- [ ] the batch pods (`app: batch`) get no connection to web\n- [ ] a request from the gateway still works\n- [ ] one web pod cannot reach another",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("gateway")
    );
}

#[test]
fn items_left_to_another_story_go() {
    let i = parsed(
        "Acceptance criteria for pods app=runner in namespace ci:\n- every execution of /usr/bin/ssh or /usr/bin/scp raises an alert\n- /usr/bin/git raises no alert\n- blocking is tracked separately",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.binaries, vec!["/usr/bin/ssh", "/usr/bin/scp"]);
}

#[test]
fn a_numbered_item_after_a_blank_line_is_still_an_item() {
    let i = parsed(
        "Story: reports must not see home directories.\n\nAcceptance criteria for the reports pods (app=reports, namespace bi):\n\n1. The service may only read /srv/reports/.\n2. A write to /srv/reports fails.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_gherkin_scenarios_steps_and_examples_are_the_ask() {
    let i = parsed(
        "Feature: no lateral movement from the lab agents (to keep them off other services)\n\n  Scenario Outline: agent egress to private ranges\n    Given the agent pods labelled role=agent in namespace lab\n    When the agent connects to <target>\n    Then the connection is blocked\n\n    Examples:\n      | target        |\n      | 10.0.0.0/8    |\n      | 172.16.0.0/12 |\n\nAll other egress keeps working.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, vec!["10.0.0.0/8", "172.16.0.0/12"]);
}

// After the blind round `hy-` … `ib-` (deployment platforms, batch
// schedulers, database operators, asks written as bug reports).

#[test]
fn the_expected_behaviour_section_ends_at_a_blank_line() {
    let i = parsed(
        "**Describe the bug**\nThe audit rule never fires for the runner pods.\n\n**Expected behaviour**\nThere should be a log entry whenever /bin/sh is executed in the runner pods (app=runner, namespace ci).\n\n**Environment**\n- Agent version: 1.2.3\n- Kernel: 6.1.0",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.scope.labels.len(), 1);
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn not_blocked_after_an_audit_says_what_is_not_done() {
    let i = parsed(
        "every write below /srv/conf/ in the cache pods (app=cache, namespace edge) gets logged. Not blocked, only logged.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn calls_accepted_are_ingress() {
    let i = parsed(
        "the report pods labelled app=reports in namespace bi accept calls from inside the cluster only.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn the_kind_of_traffic_left_on_its_port_stays_out() {
    let i = parsed(
        "Block all inbound traffic on 9090 for app=store in namespace data; client and gossip traffic on 7000 stays as it is.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), vec![9090]);
}

#[test]
fn numbers_listed_in_one_parenthesis_are_ports() {
    let i = parsed(
        "flag every inbound replication or snapshot connection (7001, 7002) to the store pods, app=store, namespace data.",
    );
    assert_eq!(i.action, Action::Audit);
    let mut ports = port_numbers(&i);
    ports.sort_unstable();
    assert_eq!(ports, vec![7001, 7002]);
}

// After the blind round `ic-` … `if-` (observability backends, CI/CD
// runners, asks written as tracker tickets, media servers).

#[test]
fn a_tickets_fields_are_no_configuration() {
    let i = parsed(
        "Summary: pin egress of the api pods\nComponent: k8s/apps\nPriority: High\nDescription: After the security audit we deny arbitrary hosts.\nAcceptance Criteria:\n- [ ] the api pods (app=api, namespace shop): egress on 443 goes only to api.example.com\n- [ ] a connection to any other host is dropped\nOut of scope: egress to the database.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.fqdns, vec!["api.example.com"]);
}

#[test]
fn a_starred_check_goes_too() {
    let i = parsed(
        "Acceptance Criteria:\n* port 7000 should be reachable only from 10.9.0.0/24 \u{2014} applies to the board pods (app=board) in namespace ops\n* a connection to 7000 from any other address times out",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.cidrs, vec!["10.9.0.0/24"]);
}

#[test]
fn programs_that_fail_to_start_check_a_nothing_but_list() {
    let i = parsed(
        "Acceptance Criteria:\n- [ ] in the cache pods (app=cache, namespace kv), nothing but /usr/bin/valkey-server may execute\n- [ ] /bin/sh and /bin/ls fail to start",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, vec!["/usr/bin/valkey-server"]);
}

#[test]
fn a_logfmt_line_names_no_labels() {
    let i = parsed(
        "Logs are flooded with: ts=2024-01-02T03:04:05Z caller=ring.go:74 level=error msg=\"ping failed\". The pods labelled app=ring in namespace obs have to accept 7946/tcp from each other.",
    );
    assert_eq!(i.scope.labels.len(), 1);
    assert_eq!(port_numbers(&i), vec![7946]);
}

#[test]
fn addresses_said_by_whose_they_are_name_no_peer() {
    let e = refused(
        "only Stripe's webhook IPs may reach the pay pods (app=pay, namespace shop) on 8443.",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn who_may_connect_to_a_port_after_where_names_no_pods() {
    let e = refused("so in namespace media only the ingress-nginx namespace may connect to 8096.");
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn a_number_after_the_protocol_that_listens_is_a_port() {
    let i = parsed(
        "RTMP 1935 on the stream pods (app=stream, namespace live) must not be reachable from the internet.",
    );
    assert_eq!(port_numbers(&i), vec![1935]);
}

#[test]
fn a_bare_namespace_may_repeat_the_label_value() {
    let i = parsed("block /usr/bin/curl for app=runner in runner");
    assert_eq!(i.scope.namespace.as_deref(), Some("runner"));
}

#[test]
fn an_engine_in_the_story_that_cannot_say_the_ask_is_no_pick() {
    let i = parsed(
        "The Cilium container runtime contains apt. Block /usr/bin/apt in the web pods (app=web, namespace ops).",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.engine, None);
}
