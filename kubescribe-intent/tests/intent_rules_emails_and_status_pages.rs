//! Rules written after the blind round `go-` … `gr-` (translation
//! platforms, link shorteners and pastebins, status pages, asks written as
//! e-mails) and from the dev misses it brought up: the background's words
//! no longer decide the action when the ask is a conclusion ("…, so NET_ADMIN
//! is not permitted for …"), an obligation ("has to stay read-only"), a
//! how-to after a semicolon, a "please" late in a sentence or a question
//! about the pods ("Could the X pods accept … only from …?"); what a
//! workload does not need is blocked (it was allowed); "default deny
//! egress" and "limit its egress" are commands; "drop SETUID and SETGID"
//! names capabilities (it blocked the system calls); "only X may connect
//! on P" with no pods connected to is refused, and so is a port said by
//! the setting that holds it. Later in the round: "access to X is
//! restricted to /opt/prog" makes the program the source; labels after a
//! comma gloss the pods reached; "an ingress rule so X can reach P on Y" is
//! for Y; "they should be read … only by X" asks; "all traffic other than
//! that is rejected" ends an allow-list; "open towards 10.0.0.0/8" goes out;
//! "the example.com web pods" names pods, no destination; "(app: x)" in the
//! ask keeps a background's "(TTL=0)" out; a "Pods: …" line joins the ask;
//! "Only the X namespace may connect on P" is refused. Each test states the rule with phrasings of
//! its own and fails without it, but for the two guards marked.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, refused};

#[test]
fn a_conclusion_that_prohibits_is_the_ask() {
    let i = parsed(
        "Operators used to keep tenants apart by granting SYS_ADMIN to the sidecars. The new CSI driver mounts volumes itself, so SYS_ADMIN is no longer allowed for the sidecar pods (app: sidecar, namespace tenants).",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.capabilities, vec!["sys_admin"]);
}

#[test]
fn a_path_that_has_to_stay_read_only_is_the_ask() {
    let i = parsed(
        "Only the top-level plugin files are loaded at start. Whatever lands there runs in the server, so /srv/plugins/ has to remain read-only in the forum pods (app=forum, namespace community).",
    );
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
}

#[test]
fn a_how_to_after_a_semicolon_is_the_ask() {
    let i = parsed(
        "The attacker's sed rewrote /etc/group in that pod; how can I make /etc/shadow read-only in the billing pods (app=billing, namespace finance)?",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.paths, vec!["/etc/shadow"]);
}

#[test]
fn what_pods_do_not_need_is_blocked() {
    let i = parsed("the renderer pods (app=renderer, namespace docs) do not need any egress.");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    let i = parsed("the renderer pods (app=renderer, namespace docs) don't need /usr/bin/wget.");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, vec!["/usr/bin/wget"]);
}

/// A guard (it passes without the rules too): a relative clause's "do not
/// need" blocks nothing.
#[test]
fn pods_that_do_not_need_a_peer_are_not_the_ask() {
    let i = parsed(
        "Isolate the queue pods (app=queue, namespace jobs) so that only the worker pods (app=worker) may connect; pods that do not need to talk to the queue are kept out.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn default_deny_after_a_colon_is_a_command_and_what_stays_as_it_is_goes() {
    let i = parsed(
        "The runtimes ship in the image, so the judge pods (app: judge, namespace contest) never call out: default deny egress for them. Incoming requests on 8080 stay as they are.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.ports.is_empty());
}

#[test]
fn limit_its_egress_is_a_command() {
    let i = parsed(
        "We moved the probes into their own deployment (app=prober, tier=dns, namespace status) and all it does is ask 1.1.1.1, so limit its egress to DNS to 1.1.1.1.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.labels.len(), 2);
    assert_eq!(i.resources.cidrs, vec!["1.1.1.1/32"]);
}

#[test]
fn please_late_in_a_sentence_asks_and_the_story_before_is_background() {
    let i = parsed(
        "Hi all,\n\nThe SOC saw Python, Ruby and Perl spawn shells on the importer last week.\n\nWe've rotated the keys, but please also keep gunicorn (/usr/local/bin/gunicorn) in the importer pods (app=importer, namespace etl) from spawning /bin/sh.\n\nThanks,\nLee",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn a_question_about_the_pods_is_the_ask() {
    let i = parsed(
        "Right now anything can scrape the exporter, the payments app included.\n\nCould the exporter pods (app=redis-exporter, namespace payments) accept 9121 only from the monitoring namespace?",
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("redis-exporter")
    );
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("monitoring")
    );
}

#[test]
fn capabilities_in_capitals_after_drop_are_capabilities() {
    let i = parsed("drop SETUID, KILL and SETGID for the portal pods (app=portal, namespace web).");
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.resources.capabilities.len(), 3);
    assert!(i.resources.syscalls.is_empty());
}

#[test]
fn only_x_may_connect_with_no_pods_connected_to_is_refused() {
    let e = refused("Only app=worker may connect on 5672 in namespace jobs.");
    assert!(e.contains("which pods"), "{e}");
    let i = parsed("Only app=worker may connect on 5672 to app=rabbit in namespace jobs.");
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("rabbit")
    );
}

#[test]
fn a_port_said_by_its_setting_is_asked_for() {
    let e = refused(
        "The api pods (app=api, namespace shop) should accept only app=web on the port API_PORT sets.",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn a_sentence_may_open_with_a_path_and_only_with_is_describes() {
    let i = parsed(
        "Only the signed themes are loaded at boot. /srv/themes/ has to remain read-only in the blog pods (app=blog, namespace web).",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.dirs, vec!["/srv/themes/"]);
}

#[test]
fn no_longer_allowed_blocks() {
    let i = parsed("NET_RAW is no longer allowed for the proxy pods (app=proxy, namespace edge).");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_sentence_that_adds_values_as_well_joins_the_ask() {
    let i = parsed(
        "block reads of /etc/shadow for the shell pods (app=shell, namespace lab). The hashes are also kept elsewhere on some images, in /etc/, so /etc/gshadow as well",
    );
    assert_eq!(i.resources.paths, vec!["/etc/shadow", "/etc/gshadow"]);
    assert!(i.resources.dirs.is_empty());
}

#[test]
fn access_restricted_to_a_program_path_makes_it_the_source() {
    let i = parsed(
        "In the mirror pods (app: mirror, namespace mirror) access to /run/containerd/containerd.sock is restricted to /opt/mirror.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, vec!["/opt/mirror"]);
    assert_eq!(i.resources.paths, vec!["/run/containerd/containerd.sock"]);
}

#[test]
fn labels_after_a_comma_gloss_the_pods_reached() {
    let i = parsed(
        "Only the deploy bot (app=deployer) from namespace bots should be able to reach 8080 on the runner pods, app.kubernetes.io/name=runner in namespace ci.",
    );
    assert_eq!(
        i.scope
            .labels
            .get("app.kubernetes.io/name")
            .map(String::as_str),
        Some("runner")
    );
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn an_ingress_rule_so_x_can_reach_y_is_for_y() {
    let i = parsed(
        "Add an ingress rule so grafana (app=grafana, namespace mon) can reach 9090 on the prometheus pods (app=prometheus in namespace metrics).",
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("prometheus")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn they_should_be_read_only_by_x_is_an_ask() {
    let i = parsed(
        "The dumps live in /var/backups/db/ on the backup pods (app=backup, namespace ops); they should be read and written only by /usr/bin/pg_dump.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, vec!["/usr/bin/pg_dump"]);
}

#[test]
fn all_traffic_other_than_that_rejected_ends_an_allow_list() {
    let i = parsed(
        "restrict the broker's (app=broker, ns mq) traffic to the database subnet (10.30.0.0/24) to port 5432. all traffic other than that is rejected.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
}

/// A guard (it passes without the rules too): the rule that blocks what
/// pods do not need leaves "does not need to be defined" alone.
#[test]
fn what_need_not_be_done_is_no_block() {
    let i = parsed(
        "From the chart's values: \"A postgres connection string. Does not need to be defined if you are using the bundled database.\" We don't use it; the database runs as its own StatefulSet labelled app=db in namespace shop. Nothing but the api pods (app=api) should be able to open connections to the db pods on 5432.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn connections_opened_towards_addresses_go_out() {
    let i = parsed(
        "log every connection the hooks pods (app: hooks, namespace hooks) open towards 10.0.0.0/8",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn a_domain_that_names_pods_is_no_destination() {
    let i = parsed(
        "Egress of the example.com web pods (app=web, namespace site) has to be restricted to api.stripe.com on 443.",
    );
    assert_eq!(i.resources.fqdns, vec!["api.stripe.com"]);
}

#[test]
fn a_key_and_value_aside_in_the_ask_keeps_background_labels_out() {
    let i = parsed(
        "The advisory says an attacker's domain (TTL=0) could flip to 169.254.169.254. Please log every connection the hooks pods in namespace hooks (app: hooks) open to 10.0.0.0/8.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("hooks"));
    assert!(!i.scope.labels.contains_key("TTL"));
}

#[test]
fn a_pods_line_after_the_ask_belongs_to_it() {
    let i = parsed(
        "Our image starts it with celery --app=config flower --basic_auth=\"${AUTH}\", and basic auth is all that stands between the internet and the UI. Flower on 5555 should only be reachable from the admin VPN (10.8.0.0/16). Pods: app=flower in namespace jobs.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.resources.entities.is_empty());
}

#[test]
fn only_a_namespace_may_connect_with_no_pods_connected_to_is_refused() {
    let e = refused("Only the ingress-nginx namespace may connect on 6900 in namespace docs.");
    assert!(e.contains("which pods"), "{e}");
    assert_eq!(e.matches("which pods").count(), 1, "{e}");
}

#[test]
fn a_name_in_capitals_called_a_syscall_stays_a_system_call() {
    let i =
        parsed("drop SETUID and SETGID syscalls for the portal pods (app=portal, namespace web).");
    assert_eq!(i.domain, Domain::Syscall);
    assert_eq!(i.resources.syscalls.len(), 2);
    assert!(i.resources.capabilities.is_empty());
}
