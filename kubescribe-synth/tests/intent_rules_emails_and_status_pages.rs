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
//! the setting that holds it. Each test states the rule with phrasings of
//! its own and fails without it.

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
