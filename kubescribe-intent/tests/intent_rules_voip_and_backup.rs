//! Rules of the intent parser found on the blind round `gc-` … `gf-` (VoIP
//! PBXs, file sync and backup, issue trackers, research repositories),
//! written after it was measured: "Anybody other than X must be kept off
//! port P of Y" lets X only (it blocked X) and "keep the world off port P of
//! Y" shuts the world out of it; "nothing but the server itself, /path,
//! should open it" lets the server only (it blocked it); "the ruby process
//! (/path)" that files are accessible by acts on them; "pods labelled X,
//! from any namespace" is one peer (it allowed every pod); a label before a
//! colon, "from 22070 there", quoted failures ("X: Unable to …"), manual
//! admonitions ("NOTE: … should NOT …"), passive denials among background,
//! "needs to be reachable by …", "send to that port", product names like
//! "Handle.Net", and peers said by their kind only ("the approved cloud
//! storage providers", "the providers our collections harvest from"). Each
//! test states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, refused};

#[test]
fn everyone_but_x_kept_off_a_port_lets_x_only() {
    let i = parsed(
        "Anybody other than the admin pods (app=admin) must be kept off port 9090 of the api pods (app=api, namespace core).",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn the_world_kept_off_a_port_of_the_pods_comes_in() {
    let i = parsed("keep the world off port 9090 of app=api in namespace core");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn nothing_but_a_glossed_server_may_open_the_file() {
    let i = parsed(
        "In the sync pods (app=sync, namespace s) the index is /var/lib/sync/index.db, and nothing but the daemon itself, /usr/bin/syncd, should open it.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, vec!["/usr/bin/syncd"]);
    assert_eq!(i.resources.paths, vec!["/var/lib/sync/index.db"]);
}

#[test]
fn a_process_glossed_after_by_acts_on_the_files() {
    let i = parsed(
        "/srv/uploads/ in app=cms in namespace web should be accessible only by that php process (/usr/local/bin/php).",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.sources, vec!["/usr/local/bin/php"]);
}

#[test]
fn pods_from_any_namespace_are_one_peer() {
    let i = parsed(
        "port 9000 on the store pods (app=store, namespace backup) should be reachable only by pods labelled role=client, from any namespace.",
    );
    assert_eq!(i.resources.peers.len(), 1);
    assert!(i.resources.peers[0].any_namespace);
    assert!(!i.resources.peers[0].labels.is_empty());
}

#[test]
fn a_label_before_a_colon_and_ports_there_are_kept() {
    let i = parsed(
        "Ours is private, in namespace relay, pods app=relay: block the outside world from 9070 there; 9067 stays open.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("relay"));
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 9070);
}

#[test]
fn a_manuals_admonition_and_a_product_name_are_background() {
    let i = parsed(
        "NOTE: The Registry.Net software should NOT be installed behind a firewall unless its ports are opened for all incoming and outgoing messages. Our registry runs as the reg pods (app=reg, namespace lib); they should accept only TCP 2641 and 8000, nothing else inbound.",
    );
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources.fqdns);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_quoted_failure_is_pasted_output() {
    let i = parsed(
        "Under plain docker I got \"Starting PBX: Unable to install capabilities\". The fix is docker run --cap-add NET_ADMIN. Same for the pbx pods (app=pbx, namespace voice), but tighter: --cap-drop=ALL --cap-add=NET_ADMIN.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_passive_denial_among_background_is_the_ask() {
    // "… exposes HTTPD/MI default 0.0.0.0 interface and default port 8888.
    // Anybody other than … must be kept off port 8888 …" kept the
    // background's address and port 80.
    let i = parsed(
        "The http server will bind to all available IPs. This case exposes the default 0.0.0.0 interface and default port 8080. Anybody other than the console pods (app=console) must be kept off port 8080 of the proxy pods (app=proxy, namespace sip).",
    );
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources.cidrs);
    assert_eq!(i.resources.ports.len(), 1);
}

#[test]
fn needs_to_be_reachable_by_is_the_ask() {
    let i = parsed(
        "This service usually listens only on the local 127.0.0.1 interface. Ours isn't: 5038 on the pbx pods (app=pbx, ns voice) needs to be reachable by the panel pods (app=panel) and by nothing else.",
    );
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources.cidrs);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn sending_to_the_pods_port_comes_in() {
    let i = parsed(
        "Our media pods (app=media, namespace rtc) listen for it on UDP 22222, and only the proxy pods labelled role=proxy should be able to send to that port.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn peers_said_by_their_kind_are_asked_for() {
    let e = refused(
        "Our backup pods (app=backup, namespace b) must only upload to the approved object storage vendors, nothing else outbound.",
    );
    assert!(e.contains("names no peer"), "{e}");
    let e = refused(
        "the crawler pods (app=crawler, namespace c) should only be able to reach the sites our editors are configured to crawl.",
    );
    assert!(e.contains("names no peer"), "{e}");
}

#[test]
fn a_preposition_after_execution_is_no_program() {
    // "remote code execution through the creation of cron jobs" made
    // "through" an executable to block (an invalid policy).
    let i = parsed(
        "An attacker can achieve code execution through the creation of cron jobs. Nothing in the cms pods (app=cms, namespace web) should run /usr/bin/at.",
    );
    assert_eq!(i.resources.binaries, vec!["/usr/bin/at"]);
}

#[test]
fn where_writes_keep_going_is_left_alone() {
    // "make /srv/app/src/ … read-only …; uploads keep going to
    // /var/lib/ckan/" made the upload directory read-only too.
    let i = parsed(
        "make /srv/site/ read-only in the cms pods (app=cms, namespace web); uploads still go to /srv/uploads/.",
    );
    assert_eq!(i.resources.dirs, vec!["/srv/site/"]);
}
