//! Rules of the intent parser found on the last blind round, `fq-` … `ft-`
//! (research platforms, image processing, geospatial stacks, monitoring
//! agents), written after it was measured with the session's final rules:
//! "Permit 35000-35100 into …" keeps its range; "give the X pods (…) A, B
//! and C, and drop every other capability" is their allow-list; "the
//! private subnet" names no peer; "every /bin/sh that the agent (/path)
//! spawns" makes the agent the parent; "in case that the origin is not
//! allowed the server will reply …" orders nothing. Each test states the
//! rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::Action;
use parse_helpers::{parsed, refused};

#[test]
fn a_range_permitted_into_pods_is_kept() {
    // "Permit 35000-35100 into the session pods, …, from the workbench
    // pods (…) only" allowed every port.
    let i = parsed(
        "Permit 30000-30100 into the media pods, labelled app=media in namespace m, from app=sfu only.",
    );
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 30000);
    assert_eq!(i.resources.ports[0].end_port, Some(30100));
}

#[test]
fn capabilities_given_to_glossed_pods_are_their_allow_list() {
    // "give the geoserver pods (app=geoserver, namespace gis) CHOWN, SETUID
    // and SETGID, and drop every other capability" blocked the three.
    let i = parsed(
        "give the ntp pods (app=ntp, namespace time) SYS_TIME and NET_BIND_SERVICE, and drop every other capability.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities.len(), 2);
}

#[test]
fn the_private_subnet_names_no_peer() {
    // "should accept 5432 only from the private subnet" allowed every
    // source.
    let e = refused(
        "the ldap pods (app=ldap, namespace id) should accept 636 only from the private subnet.",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn the_program_named_before_its_path_in_a_relative_clause_is_the_parent() {
    // "log every /bin/sh or /bin/bash that the agent (/usr/bin/newrelic-infra)
    // spawns" audited the agent itself.
    let i = parsed(
        "alert on every /bin/sh that the daemon (/usr/sbin/crond) spawns in the cron pods (app=cron, namespace c).",
    );
    assert_eq!(i.resources.sources, vec!["/usr/sbin/crond"]);
    assert_eq!(i.resources.binaries, vec!["/bin/sh"]);
}

#[test]
fn what_happens_when_something_is_not_allowed_orders_nothing() {
    // "in case that the origin is not allowed the server will reply with a
    // 400 status error. … only the nextcloud pods may call imaginary …"
    // blocked them.
    let i = parsed(
        "We run the proxy with an origin list; in case that the origin is not allowed the server will reply with a 400 status error. That covers where it pulls from, so: only app=web may call the proxy pods (app=proxy, namespace p) on 8080.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn updating_files_stays_an_ask_beside_upkeep_that_describes() {
    // The upkeep said of a workload ("can't be upgraded", "we can't patch
    // the broker") describes; what is done to files stays an ask.
    let i = parsed("nginx (app=nginx, namespace shop) should never update /etc/nginx/nginx.conf.");
    assert_eq!(i.action, Action::Block);
    let i = parsed("In the web pods (app=web, namespace shop), /etc/hosts can't be updated.");
    assert_eq!(i.action, Action::Block);
}
