//! Rules of the intent parser found on the blind batches `eo-` … `er-`
//! (observability stacks, runbook steps, asks quoting an alert, CI/CD
//! runners): a peer named with its namespace ends before the next one of a
//! list, "the node exporter pods" are no host, and a port reached by "every
//! connection to" is kept. Each test states the rule with phrasings of its
//! own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::Direction;
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_peer_named_with_its_namespace_ends_before_the_next() {
    // "the batch jobs (job-type=batch, namespace batch) and prometheus
    // (app=prometheus, namespace monitoring)" merged the two peers' labels.
    let i = parsed(
        "Only the cron jobs (kind=cron, namespace jobs) and the exporter (app=exporter, namespace obs) may reach the gateway pods (app=gateway, ns edge) on 8080.",
    );
    let peers: Vec<_> = i
        .resources
        .peers
        .iter()
        .map(|p| (p.namespace.clone(), p.labels.len()))
        .collect();
    assert_eq!(
        peers,
        vec![(Some("jobs".into()), 1), (Some("obs".into()), 1)],
        "{:?}",
        i.resources.peers
    );
    // "grafana (… in namespace monitoring) and promtail (…)": the namespace
    // in the first gloss is not the second's.
    let i = parsed(
        "the tempo pods (app=tempo, namespace traces) accept 4317 from the collector (app=otel in namespace obs) and the agent (app=agent), nothing else",
    );
    let ns: Vec<_> = i
        .resources
        .peers
        .iter()
        .map(|p| p.namespace.clone())
        .collect();
    assert_eq!(
        ns,
        vec![Some("obs".to_string()), None],
        "{:?}",
        i.resources.peers
    );
}

#[test]
fn the_node_exporter_pods_are_no_host() {
    // "Only prometheus should be able to reach the node exporter pods (…)"
    // added the host and turned the policy onto prometheus.
    let i = parsed(
        "only the scraper (app=scraper) may reach the node exporter pods (app=node-exporter, namespace obs) on 9100",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("node-exporter")
    );
}

#[test]
fn every_connection_to_a_port_keeps_the_port() {
    // "log every incoming connection to 9115 on the blackbox exporter"
    // audited all ingress.
    let i = parsed("audit each connection to 8125 on app=statsd in namespace obs");
    assert_eq!(port_numbers(&i), vec![8125]);
    assert!(!i.resources.all);
}

#[test]
fn the_parent_named_by_a_common_noun_spawns() {
    // "deny shell spawns (/bin/sh, /bin/bash) from the JVM /opt/…/java"
    // blocked the JVM too.
    let i = parsed(
        "in the agent pods (app=agent, namespace ci), stop shell spawns (/bin/sh) from the runtime /usr/local/bin/node",
    );
    assert_eq!(i.resources.sources, vec!["/usr/local/bin/node"]);
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn a_port_restricted_to_peers_is_kept() {
    // "restrict 1234 to the tekton build steps, i.e. pods labelled …"
    // allowed every port.
    let i = parsed(
        "registry pods (app=registry, namespace reg): limit 5000 to the builders (role=builder)",
    );
    assert_eq!(port_numbers(&i), vec![5000]);
}

#[test]
fn capabilities_given_before_the_others_are_dropped_are_the_allow_list() {
    // "give it CHOWN, …, and drop every other capability" blocked them.
    let i = parsed(
        "for the pods labelled app=packer in namespace img, grant NET_BIND_SERVICE and KILL, then drop every other capability",
    );
    assert_eq!(i.action, kubescribe_core::intent::Action::Allow);
    assert_eq!(i.resources.capabilities.len(), 2);
}

#[test]
fn reading_left_fine_after_a_dash_keeps_writes_only() {
    // "alert on any file write under X - reading the checkout is fine"
    // audited reads too.
    let i = parsed(
        "app=builder in ns ci: audit writes below /workspace/ - reading the sources is fine",
    );
    assert!(i.resources.read_only, "{i:?}");
}

#[test]
fn the_engine_that_reported_an_alert_is_not_picked() {
    // "tetragon caught this on …: block this: …" picked Tetragon.
    let i = parsed(
        "Falco flagged this in prod: deny egress from app=etl in namespace data to 203.0.113.9",
    );
    assert_eq!(i.engine, None);
    let i = parsed(
        "Tetragon reported an nc listener. block /usr/bin/nc in the app=web pods of namespace shop",
    );
    assert_eq!(i.engine, None);
}

#[test]
fn a_kubectl_selector_is_each_of_its_labels() {
    // "the pods labelled tier=frontend,app=dvwa-web" named no pods.
    let i = parsed("block /usr/bin/curl in the pods labelled role=api,env=prod (namespace web)");
    assert_eq!(i.scope.labels.len(), 2, "{:?}", i.scope.labels);
}

#[test]
fn inbound_agents_are_a_kind_of_workload_no_direction() {
    // "Only the inbound agents (…) may connect to the controller (…)" made
    // the agents the policy's pods.
    let i = parsed(
        "only the outbound relays (role=relay) may connect to the broker (app=broker, namespace mq) on 5671",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("broker")
    );
}

#[test]
fn a_port_said_by_whose_it_is_in_several_words_is_asked_for() {
    // "… on its TCP agent listener port" allowed every TCP port.
    let e = parse_helpers::refused(
        "only role=worker may connect to app=sched in namespace batch on its gRPC control plane port",
    );
    assert!(e.contains("which port"), "{e}");
    // "block non-business ports" asked which traffic.
    let e = parse_helpers::refused("block non-standard ports for egress of app=kiosk in ns shop");
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn an_action_left_to_decide_is_refused() {
    // "not sure yet whether to block it or just alert on it" blocked.
    let e = parse_helpers::refused(
        "that's /usr/bin/socat in the app=relay pods of namespace edge. not sure whether to deny it or only audit it.",
    );
    assert!(e.contains("what to do"), "{e}");
}
