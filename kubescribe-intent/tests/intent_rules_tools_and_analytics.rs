//! Rules of the intent parser found on the blind round `fu-` … `fx-`
//! (low-code platforms, notification services, network monitoring, web
//! analytics), written after it was measured: a peer said by a common noun
//! alone ("from the exam room") is asked for, and the ask's refusal is not
//! filled from the background; asks that open with a clause of when ("Until
//! …, block …", "for now keep …"), restrict a few words after the modal
//! ("should accept only …", "should be reachable only from …"), command
//! after a long story and a colon, or end an allow-list ("… and every other
//! capability is dropped") set the rest off as background; a quotation's
//! closing mark ends its sentence; "keep X (key: value, …) from reaching"
//! blocks; "only namespace X may reach …" protects the other side; ports
//! listed after "from" are kept; "dir:ro" is the directory; "the passive
//! agent port" is asked for. Each test states the rule with phrasings of its
//! own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, refused};

#[test]
fn a_peer_said_by_a_common_noun_alone_is_asked_for() {
    // "should only accept 443 from the exam room" allowed every source.
    let e = refused(
        "the grading pods (app=grader, namespace school) should only accept 8443 from the staff office.",
    );
    assert!(e.contains("which traffic"), "{e}");
    assert!(e.contains("the staff office"), "{e}");
    // "may only reach the CrowdStrike cloud on 443" allowed every
    // destination.
    let e = refused(
        "the sensor pods (app=sensor, namespace edr) may only reach the Acme telemetry cloud on 443.",
    );
    assert!(e.contains("which traffic"), "{e}");
    // Ports described by words before "port" are no peer.
    let i = parsed(
        "pods labelled app=sip in namespace voip must not connect to the known fraud ports 5060 or 5061.",
    );
    assert_eq!(i.resources.ports.len(), 2);
}

#[test]
fn the_asks_refusal_is_not_filled_from_the_background() {
    // The background's "internet" made the ask's unnamed peer the world.
    let e = refused(
        "Agents must reach the vendor cloud during setup. If your network restricts internet access, allow the vendor's addresses. Ours does: the agent pods (app=agent, namespace mon) may only reach the vendor cloud on 443.",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn an_ask_after_a_clause_of_when_sets_the_rest_off_as_background() {
    // "The /proxy endpoint allows requests …. Until the QA instance is
    // upgraded, block egress …" was a contradiction.
    let i = parsed(
        "The /fetch endpoint allows requests to internal hosts. While it checks the scheme, it does not block internal IP addresses. Until the fix ships, block egress from the fetcher pods (app=fetcher, namespace qa) to 10.0.0.0/8.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.cidrs, vec!["10.0.0.0/8"]);
    // "…, so for now keep the n8n process (…) from spawning /bin/sh".
    let i = parsed(
        "Advisory: the Exec node Allows users to run commands. The mitigation is to disable the node where it is not needed. The freeze blocks a restart, so for now keep the runner (/usr/bin/runner) in the jobs pods (app=jobs, namespace ci) from spawning /bin/bash.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, vec!["/bin/bash"]);
}

#[test]
fn a_restriction_a_few_words_after_the_modal_is_the_ask() {
    // "… should take 27017 only from the api, worker and ws pods (…)" was
    // read with the background's "connect" as egress.
    let i = parsed(
        "The compose file publishes the port and all services connect with a URL. On the cluster it is tighter: the db pods (app=db, ns shop) should take 5432 only from the api pods (app=api).",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 1);
    // "… on HTTPS …. …, so port 8000 … should be reachable only from …"
    // kept the background's 443.
    let i = parsed(
        "We recommend running it on HTTPS behind a proxy. Our proxy is traefik, so port 3000 of the dash pods (app=dash, namespace bi) should be reachable only from the traefik pods (app=traefik in namespace edge).",
    );
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 3000);
}

#[test]
fn a_command_after_a_long_story_and_a_colon_is_the_ask() {
    // "… for 161/udp …. We turned snmpscan off …, so an nmap run in the
    // librenms pods (…) would be somebody poking around: audit every
    // execution of /usr/bin/nmap in them" was a network audit of 161/udp.
    let i = parsed(
        "Scans run against 161/udp by default. We disabled scanning in our install, so a scanner run in the poller pods (app=poller, namespace nms) would be an intruder at work: audit every execution of /usr/bin/masscan in them.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.binaries, vec!["/usr/bin/masscan"]);
}

#[test]
fn the_story_before_the_colon_gives_no_values() {
    // "Our ingress routes /webhook/* and /form/* to them …: only namespace
    // ingress-nginx may reach 5678 …" kept the routes as paths.
    let i = parsed(
        "Hooks are served by dedicated pods. Our gateway routes /hooks/* and /api/* to them and nothing else gets there: only namespace gateway may reach 8080 on the hook pods (app=hooks, namespace auto).",
    );
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
    assert_eq!(i.resources.ports[0].port, 8080);
}

#[test]
fn only_a_namespace_reaching_pods_protects_the_pods() {
    // "only namespace ingress-nginx may reach 5678 on the webhook pods (…)"
    // was egress of the webhook pods.
    let i = parsed(
        "only namespace gateway may reach 8080 on the hook pods (app.kubernetes.io/name: hooks, namespace auto).",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("gateway"));
}

#[test]
fn the_rest_of_the_capabilities_dropped_ends_an_allow_list() {
    // "… get NET_RAW back, and every other capability is dropped" was no
    // ask; "keep IPC_LOCK and SYS_NICE and drop every other capability"
    // after a background list of four was a contradiction.
    let i = parsed(
        "the probe pods (app=probe, namespace mon) get NET_ADMIN back, and every other capability is dropped.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, vec!["net_admin"]);
    let i = parsed(
        "Optional capabilities for the engine: SYS_PTRACE NET_ADMIN IPC_LOCK SYS_NICE. We want only two: for the engine pods (app=engine, namespace db) keep IPC_LOCK and SYS_NICE and drop every other capability.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities.len(), 2);
}

#[test]
fn a_quoted_error_before_the_ask_is_background() {
    // "'ping: socket: Operation not permitted', '… or setuid?'" read as
    // pasted configuration, so its setuid joined the allow-list.
    let i = parsed(
        "the probe fails with 'ping: socket: Operation not permitted', 'ping: missing capability or setuid?'. Our checks ping the routers, so the probe pods (app.kubernetes.io/name=probe, namespace mon) get NET_RAW back, and every other capability is dropped.",
    );
    assert_eq!(i.resources.capabilities, vec!["net_raw"]);
}

#[test]
fn a_quotation_ends_its_sentence_with_its_closing_mark() {
    // "'… for 161/udp and auto add.' We turned …" ran the quote into the
    // ask's sentence.
    let i = parsed(
        "'Scans go to 161/udp on every subnet.' The nms pods (app=nms, namespace nms) must not run /usr/bin/nmap.",
    );
    assert_eq!(i.domain, Domain::Process);
}

#[test]
fn kept_from_reaching_across_a_yaml_label_blocks() {
    // "keep the netbox worker pods (app.kubernetes.io/component: worker,
    // …) from reaching 169.254.169.254" was no action.
    let i = parsed(
        "keep the fetch pods (app.kubernetes.io/name: fetch, namespace web) from reaching 169.254.169.254.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.cidrs, vec!["169.254.169.254/32"]);
}

#[test]
fn ports_listed_after_from_are_kept() {
    // "Block the outside world from 5066 and 7443 on …" blocked the world on
    // every port.
    let i = parsed("Block the internet from 8088, 8089 and 8090 on app=web in namespace shop.");
    assert_eq!(i.resources.ports.len(), 3);
}

#[test]
fn a_mount_mode_is_no_part_of_the_path() {
    // "(/var/lib/zabbix/enc:ro)" became a second directory.
    let i = parsed(
        "The volume is mounted read-only (/etc/keys:ro); in the signer pods (app=signer, namespace pki) we want only signer (/usr/bin/signer) to read /etc/keys/, read-only.",
    );
    assert_eq!(i.resources.dirs, vec!["/etc/keys/"]);
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
}

#[test]
fn a_port_said_by_what_listens_there_is_asked_for() {
    // "… to reach the VMs in 192.168.20.0/24 on the passive agent port"
    // allowed every port.
    let e = refused(
        "allow the poller pods (app=poller, namespace nms) to reach 10.9.0.0/24 on the active check port.",
    );
    assert!(e.contains("which port"), "{e}");
    // Not "the IP address or port level": no port is meant.
    let i = parsed(
        "To control traffic at the IP address or port level, block egress from app=web in namespace shop to 10.0.0.0/8.",
    );
    assert_eq!(i.resources.cidrs, vec!["10.0.0.0/8"]);
}
