//! Rules of the intent parser found on the blind batches `fi-` … `fl-`
//! (team chat, message brokers, education platforms, backend-as-a-service),
//! written after they were measured: a namespace right after a label in its
//! gloss is one even when a label value holds the name; a path that "is
//! writeable" is how it is now, not left alone; "we can't patch X" is
//! background; "so that 8090 only takes connections from …" keeps its port
//! and is an allow-list; "the intranet" and "its transaction-mode port"
//! name no value; "open 5672 on rabbitmq (…)" makes rabbitmq the target;
//! protocols in a port's parenthesis are its own, and one said before a
//! list goes on through it; "should not be exposed" before an allow-list
//! is its posture; "Nothing but /a, /b and /c should execute" is their
//! allow-list. Each test states the rule with phrasings of its own and
//! fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Protocol};
use parse_helpers::{parsed, port_numbers, port_protocols, refused};

#[test]
fn a_namespace_right_after_a_label_in_its_gloss_is_one() {
    // "(app.kubernetes.io/name=ingress-nginx, …=controller in ingress-nginx)"
    // lost its namespace (a label value holds the name).
    let i = parsed(
        "9090 on the api pods (app.kubernetes.io/name=shop, tier=api in shop) should only be reachable from app=prom.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
}

#[test]
fn a_path_that_stays_writable_is_left_alone_and_one_that_is_writeable_is_not() {
    // "/pb_hooks/ has to stay read-only …; /pb_data/ stays writable" made
    // both read-only.
    let i = parsed(
        "/hooks/ has to stay read-only in the app pods (app=pb, namespace pb); /data/ stays writable.",
    );
    assert_eq!(i.resources.dirs, vec!["/hooks/"]);
    // "currently, /config is writeable (chmod 700). … block writes to the
    // /config/ directory …": the state the ask changes.
    let i = parsed(
        "currently, /conf is writeable. block writes to the /conf/ directory for app=cal in ns cal.",
    );
    assert_eq!(i.resources.dirs, vec!["/conf/"]);
}

#[test]
fn a_workload_we_cannot_patch_is_described_not_blocked() {
    // "We can't patch the legacy broker before the next change window, so
    // lock down …" blocked both directions.
    let i = parsed(
        "We can't patch the broker this month, so lock down the broker pods (app=amq, namespace esb) so that their egress only goes to app=db.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_port_that_only_takes_connections_from_a_range_is_the_allow_list() {
    // "lock down our pocketbase pods (…) so that 8090 only takes
    // connections from … 192.168.40.0/24" allowed every port.
    let i = parsed(
        "lock down the api pods (app=api, namespace web) so that 8443 only takes connections from 10.9.0.0/16.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![8443]);
}

#[test]
fn the_intranet_and_a_ports_mode_name_no_value() {
    // "should only accept 8090 from the intranet" allowed every source;
    // "only on its transaction-mode port" every port.
    let e = refused(
        "the wiki pods (app=wiki, namespace docs) should only accept 443 from the intranet.",
    );
    assert!(e.contains("which traffic"), "{e}");
    let e = refused(
        "the workers (app=worker, namespace jobs) should reach the cache (app=cache) only on its read-replica port.",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn the_pods_a_port_is_opened_on_are_the_target() {
    // "Nothing but the zulip pods (…) should be able to open 5672 on
    // rabbitmq (…)" selected the zulip pods.
    let i = parsed(
        "Nothing but the api pods (app=api) should be able to open 6379 on redis (app=redis), namespace cache.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("redis"));
}

#[test]
fn protocols_in_a_ports_parenthesis_are_its_own() {
    // "talk to each other on 8074 (TCP and UDP) and 8075" gave 8075 UDP.
    let i = parsed("allow app=x (namespace y) to reach app=z on 53 (udp) and 8080.");
    assert_eq!(
        port_protocols(&i),
        vec![(53, Protocol::Udp), (8080, Protocol::Tcp)]
    );
}

#[test]
fn a_protocol_said_before_a_list_goes_on_through_it() {
    // "nothing but TCP 80 and 443 and UDP 16384-32768" gave 443 UDP too.
    let i = parsed(
        "the sip pods (app=sip, namespace voice) should accept nothing but TCP 5060 and 5061 and UDP 10000-10100.",
    );
    assert_eq!(
        port_protocols(&i),
        vec![
            (5060, Protocol::Tcp),
            (5061, Protocol::Tcp),
            (10000, Protocol::Udp)
        ]
    );
}

#[test]
fn not_exposed_before_an_allow_list_is_its_posture() {
    // "The FastCGI port 9000 should not be exposed to the wide network … only
    // the nginx web pods (…) may reach 9000 on the app pods (…)" blocked it.
    let i = parsed(
        "The debug port 5005 should not be exposed to the network. In namespace dev, only the ide pods (app=ide) may reach 5005 on the api pods (app=api).",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn nothing_but_a_list_of_programs_is_their_allow_list() {
    // "Nothing but /bin/sh, /usr/bin/sudo and /usr/local/bin/php should
    // execute in …" blocked the three.
    let i = parsed(
        "Nothing but /bin/sh, /usr/bin/env and /usr/local/bin/python should execute in the job pods (app=job, namespace batch).",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries.len(), 3);
}
