//! What an ask says of everything it does not name ("everything else is
//! allowed", "anything else is not permitted"), and commands quoted for the
//! reader to look things up with.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers};

const PODS: &str = "For the server pods (app=server, namespace default): ";

#[test]
fn a_block_beside_everything_else_allowed_stays_a_block() {
    // Each was read as an allow of the very peer to block.
    for rest in [
        "ingress from app=intruder is blocked, everything else is allowed.",
        "incoming traffic from app=intruder must be blocked, everything else may still reach them.",
        "incoming traffic from app=intruder must be dropped, everything else may still reach them.",
    ] {
        let i = parsed(&format!("{PODS}{rest}"));
        assert_eq!(i.action, Action::Block, "{rest}");
        assert_eq!(
            i.resources.peers[0].labels.get("app").map(String::as_str),
            Some("intruder"),
            "{rest}"
        );
    }
}

#[test]
fn everything_else_not_allowed_is_the_allow_lists_edge() {
    // It was read as a block of the allowed peer.
    let i = parsed(&format!(
        "{PODS}allow ingress from app=web on 80; everything else is not allowed."
    ));
    assert_eq!(i.action, Action::Allow);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("web")
    );
}

#[test]
fn what_will_get_dropped_is_no_ask_to_drop() {
    let i = parsed(
        "Once I apply a policy with only an ingress rule, the probes to my pods (app=api in namespace store), which come from the node, will get dropped. How can I tell cilium to allow any connections from hosts to pods by default?",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(!i.resources.all, "{:?}", i.resources);
}

#[test]
fn a_kubectl_command_to_look_things_up_names_no_namespace() {
    // `k -n space2 get pod`: "get" is no namespace.
    let i = parsed(
        "There are pods in namespace blue and green (`k -n green get pod`, `k get ns --show-labels`). Create a NetworkPolicy so that all pods in namespace green only accept incoming traffic from pods in namespace blue.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("green"));
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("blue"));
}

#[test]
fn keeping_pods_off_a_peer_past_their_aside_is_a_block() {
    // The "off" past the aside went unseen: refused alone, and read as an
    // allow of the API server after a longer background (a turned policy).
    let i = parsed(
        "Until the token is gone, keep the build pods (gitlab.com/ci: \"true\", namespace ci) off the Kubernetes API server.",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_symptom_of_ours_is_no_block() {
    // "our … can't upload … anymore" reports what broke; it was read as a
    // block of the very host the ask allows.
    let i = parsed(
        "hey @platform :wave: since the egress lockdown our build jobs can't upload artifacts anymore:\nError: connect ETIMEDOUT 203.0.113.7:443\nthe uploader folks say that error just means \"you might be behind a firewall\" (https://example.com/issues/64). could the builder pods (app=builder, ns ci) be allowed to reach artifacts.example.com on 443? just that host pls, nothing else",
    );
    assert_eq!(i.action, Action::Allow);
    // Said as the new rule, it still blocks.
    let i = parsed(
        "For the dev pods (app=dev, namespace dev): after this change they can't reach 10.0.0.0/8 anymore.",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn when_the_trouble_began_and_the_log_pasted_are_no_actions() {
    // "since the default-deny landed" is history (its "deny" clashed with
    // the ask's "let"); "operator log:" names what is pasted next (it was
    // read as "log" the traffic: an audit).
    let i = parsed(
        "hi :wave: our billing db keeps restarting since the default-deny landed. operator log:\n{\"level\":\"error\",\"msg\":\"dial tcp 10.96.0.1:443: i/o timeout\"}\ncan you let the db pods (app=billing-db, ns billing) reach 10.96.0.1 on 443? thanks!",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs, vec!["10.96.0.1/32".to_string()]);
    // A heading "Log:" still asks.
    let i = parsed("Log: every connection to the db pods (app=db, ns billing) on 5432.");
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn what_someone_cannot_see_is_no_block() {
    // "can't see pod traffic" was read as a block of the traffic the ask
    // wants logged.
    let i = parsed(
        "Our SIEM can't see pod traffic, so for the search pods (app=search, namespace catalog) log every outgoing connection on 389 or 636. Don't block anything yet.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_pull_requests_checklist_is_the_authors_to_do() {
    // "Watch one job finish" was read as "watch" the traffic: an audit.
    let i = parsed(
        "feat(media): egress policy for the workers\n\n## What\nThe worker pods (app=worker, namespace media) may only connect to the server pods (app=server) on 8266.\n\n## Checklist\n- [x] `kustomize build apps/media` renders\n- [ ] Watch one job finish after merge\n",
    );
    assert_eq!(i.action, Action::Allow);
    // Under an acceptance-criteria heading the items are the ask.
    let i = parsed(
        "Acceptance criteria (the db pods, app=db, namespace shop):\n- [ ] the db pods take connections only from app=api, and only on 5432\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.ports[0].port, 5432);
}

#[test]
fn the_providers_we_have_configured_name_no_peer() {
    let e = parse_helpers::refused(
        "folio: egress allow-list\n\n## What\nRestrict egress of the portfolio pods (app=folio, namespace finance) to the market-data providers we have configured; everything else leaving the pod gets dropped.\n\n## Why\nThe pod shouldn't be able to talk to anything beyond its data sources.\n\n- [ ] Get the provider list from whoever set up the data sources",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn a_curly_quote_after_a_full_stop_is_no_panic() {
    // The sentence splitter stepped past the closing "”" and sliced inside
    // it (a panic on a KB article's quotation).
    let r = kubescribe_intent::parse_intent(
        "The KB says “ports 16000 and 5003 must be open.” Only 18.0.0.0/8 may reach the fms pods (app=fms, namespace fms) on 16000.",
    );
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn log_and_audit_naming_a_workload_are_no_verbs() {
    // "the log server", "the audit pods": what the workload is.
    let i = parsed(
        "Restrict the egress of the ledger pods (app=ledger, namespace ledger) to the log server (app=logserver, namespace trillian) on 8091.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    let i = parsed(
        "Only gatekeeper's controller-manager and audit pods, labelled control-plane=manager and control-plane=auditor, should reach 6001 on the provider pods (app=provider, namespace gk).",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers.len(), 2);
}

#[test]
fn a_port_that_gets_no_rule_is_left_out() {
    let i = parsed(
        "The collector pods (app=collector, namespace obs) should accept only 4317/tcp and 4318/tcp; the 8888 metrics port gets no rule.",
    );
    assert_eq!(port_numbers(&i), vec![4317, 4318]);
}

#[test]
fn what_a_program_keeps_writing_and_what_we_run_are_background() {
    // "the editor keeps writing …": a file the ask leaves writable.
    let i = parsed(
        "In the wiki pods (app=wiki, namespace docs), /srv/wiki/settings.php has to stay read-only; the editor keeps writing /srv/wiki/pages.db.",
    );
    assert_eq!(
        i.resources.paths,
        vec!["/srv/wiki/settings.php".to_string()]
    );
    // "We run Basic256Sha256 …": the operators' setup, no program.
    let i = parsed(
        "We run Basic256Sha256 with SignAndEncrypt against the PLCs. In the collector pods (app=collector, namespace plant), /etc/collector/key.pem should be readable by /usr/bin/collector alone.",
    );
    assert!(i.resources.binaries.is_empty(), "{:?}", i.resources);
    assert_eq!(i.resources.sources, vec!["/usr/bin/collector".to_string()]);
}

#[test]
fn their_own_outbound_pings_keep_working_leaves_egress_alone() {
    let i = parsed(
        "For every pod in namespace payments: drop inbound ICMP, their own outbound pings keep working.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_bind_mount_of_a_docker_command_is_no_path() {
    let i = parsed(
        "The demo starts the agent with docker run -v /dev:/dev -v /dev/shm:/dev/shm --net=host agent udp4 --port 8888. The agent pods (app=agent, namespace uros) should take 8888/udp from 192.168.1.0/24 and from nowhere else.",
    );
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources);
    assert_eq!(i.resources.cidrs, vec!["192.168.1.0/24".to_string()]);
}
