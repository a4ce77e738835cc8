//! Rules written in session 23 after the blind rounds `he-` … `hh-` (Git
//! forges and CI, workflow engines, home automation, postmortem action
//! items) and `hk-` (remote-access gateways): a port whose number a
//! setting holds, HTTP named as a program, or a port "for HTTP" gives no
//! port (each became 80); "lock down X so that 80 and 443 only take
//! connections from …" is the allow-list of those ports (it blocked, or
//! lost the ports); "their internet egress stays open" leaves the internet
//! alone; "the broker pods with label …" is no app=broker; "every user's
//! profile namespace" names none; "For X: only the Y pods may reach 6379"
//! lets Y in; "port 9391 on the web pods (…) should be limited to …" says
//! who reaches it; "except by act_runner itself (/path)" is the only
//! program allowed; "on 3000 for the web UI and 2222 for git" lists both;
//! "i.e." ends no sentence; "dial out to acme.teleport.sh on 443" names a
//! host; "Not blocking it, … but log …" audits; "Audit log can be
//! altered:" is a title; "… and nothing else, 51821 included" is the
//! allow-list's edge; "the VPN server we created on 14104/udp stays public"
//! leaves that port alone; "in the X pods (…), make … read-only" commands;
//! the pods of an aside before "keep the world off 443 of the X pods" are
//! not kept off. Each test states the rule with phrasings of its own and
//! fails without it, but for the guards marked.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain, NetworkEntity};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_port_a_setting_holds_names_no_port() {
    let e = refused(
        "The dashboard pods (app=dash, namespace ops) should accept connections on the HTTP port set by DASH_PORT only from namespace ingress.",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn http_named_as_a_program_or_a_ports_kind_is_no_port() {
    let i = parsed(
        "Fixed in Apache HTTP Server 2.4.51. In the web pods (app=web, namespace intra), only /usr/sbin/httpd may be executed.",
    );
    assert_eq!(i.domain, Domain::Process);
    let e = refused(
        "The server uses a separate port for gRPC and for HTTP. Only the runner pods (app=runner) should reach the gRPC port of the server (app=server, namespace ci).",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn ports_that_only_take_connections_after_a_lock_down_are_its_allow_list() {
    let i = parsed(
        "Lock down the proxy pods (app=proxy, namespace edge) so that 80 and 443 only take connections from 10.30.0.0/16.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![80, 443]);
    let i = parsed(
        "Lock down the cluster pods (app=node, namespace db) so the gossip ports 7000-7001 only take connections from the cluster pods themselves.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn internet_egress_that_stays_open_is_left_alone() {
    let i = parsed(
        "the build pods (app=build, namespace ci) must not reach 10.0.0.0/8; their internet egress stays open.",
    );
    assert!(i.resources.entities.is_empty(), "{i:?}");
}

#[test]
fn pods_with_labels_are_not_named_by_their_word() {
    let i = parsed(
        "The queue pods with label tier=mq in namespace ha should accept connections on 5671 only.",
    );
    assert!(!i.scope.labels.contains_key("app"), "{i:?}");
    assert_eq!(i.scope.labels.get("tier").map(String::as_str), Some("mq"));
}

#[test]
fn every_users_namespace_names_none() {
    let i = parsed(
        "Clients live in every user's home namespace, so: the api pods (app=api, namespace core) should accept 8443 from pods labelled client=true, from any namespace.",
    );
    assert_eq!(i.resources.peers.len(), 1, "{i:?}");
}

#[test]
fn only_these_pods_may_reach_the_port_of_the_pods_said_before() {
    let i = parsed(
        "For the queue (app=rabbit, namespace mq): only the worker pods (app=worker) may reach 5672.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("rabbit")
    );
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("worker")
    );
}

#[test]
fn a_port_on_the_pods_limited_to_a_namespace_is_reached_from_it() {
    let i = parsed(
        "port 9102 on the api pods (app=api, namespace shop) should be limited to the monitoring namespace.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn except_by_a_program_itself_makes_it_the_only_one() {
    let i = parsed(
        "deny access to /run/containerd/containerd.sock except by the agent itself (/usr/bin/agent) in app=agent, namespace ops.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, vec!["/usr/bin/agent"]);
}

#[test]
fn ports_each_said_with_their_purpose_are_listed() {
    let i = parsed(
        "The git pods (app=git, namespace scm) should be accessible only from 10.1.0.0/24, on 8080 for the web UI and 2022 for ssh.",
    );
    assert_eq!(port_numbers(&i), vec![8080, 2022]);
}

#[test]
fn an_abbreviation_ends_no_sentence() {
    let i = parsed(
        "Console logins are only allowed from localhost, i.e. only from the machine running Redis. So port 9001 of the daemon pods (app=daemon, namespace svc) must not be reachable at all.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), vec![9001]);
}

#[test]
fn a_host_whose_last_part_is_an_extension_is_a_host_when_reached() {
    let i = parsed(
        "The agent pods (app=agent, namespace tp) may only dial out to corp.example.sh on 443.",
    );
    assert_eq!(i.resources.fqdns, vec!["corp.example.sh"]);
}

#[test]
fn not_blocking_beside_a_log_keeps_the_audit() {
    let i = parsed(
        "Not blocking it, the hooks need it, but log every /bin/sh that python (/usr/bin/python3) starts in the hook pods (app=hooks, namespace ci).",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_title_of_a_noun_compound_is_no_command() {
    let i = parsed(
        "Audit log can be tampered with: records sit in /var/log/app. Nothing but the app itself (/usr/bin/app) may touch /var/log/app/records/ in the app pods (app=app, namespace prod).",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(i.resources.paths.is_empty(), "{i:?}");
}

#[test]
fn a_port_included_after_nothing_else_is_shut_out() {
    let i = parsed(
        "Inbound, the vpn pods (app=vpn, namespace edge) should accept 1194/udp and nothing else, 943 included: the admin UI goes through the tunnel.",
    );
    assert_eq!(port_numbers(&i), vec![1194]);
}

#[test]
fn a_port_that_stays_public_is_left_alone() {
    let i = parsed(
        "Keep the outside world off 8443 of the gw pods (app=gw, namespace vpn); the tunnel endpoint we run on 1194/udp stays public.",
    );
    assert_eq!(port_numbers(&i), vec![8443]);
}

#[test]
fn a_command_after_where_it_applies_asks() {
    let i = parsed(
        "The encoder writes the media. On our cluster the player pods only ever read the media back: in the player pods (app=player, namespace media), make /srv/media/ read-only.",
    );
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
}

#[test]
fn the_pods_of_an_earlier_aside_are_not_kept_off() {
    let i = parsed(
        "The console is on 8443 of the gw pods (app=gw, namespace vpn) and a LoadBalancer publishes it. Keep the outside world off 8443 of the gw pods.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.entities, vec![NetworkEntity::World]);
}

// Rules after the round `hi-` … `hl-` (document processing, audit
// findings, VPN gateways, geospatial servers).

#[test]
fn described_workers_of_a_namespace_are_not_all_its_pods() {
    let e = refused(
        "The sandbox has no network. We want the same for the render workers in namespace render: block all of their egress.",
    );
    assert!(e.contains("which pods"), "{e}");
    // Guard: "all egress in namespace X" is the namespace's default deny.
    let i = parsed("block all egress in namespace render");
    assert!(i.scope.all_pods);
}

#[test]
fn only_these_may_reach_a_port_whose_pods_the_story_names() {
    let i = parsed(
        "On our api pods (app=api, namespace shop) the admin endpoint is port 9901. Only the ops prometheus (app=prometheus, namespace ops) should be able to reach 9901.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("api"));
    assert_eq!(i.direction, Some(Direction::Ingress));
}

/// Guard: an ask that names both sides takes no pods from the story.
#[test]
fn an_only_ask_naming_both_sides_keeps_its_own() {
    let i = parsed(
        "In our release (namespace tp) only the proxy talks to auth. Only the proxy pods (component: proxy) may connect to the auth pods (component: auth, namespace tp) on 3025.",
    );
    assert_eq!(i.resources.peers.len(), 1, "{i:?}");
}

#[test]
fn what_flows_and_nowhere_else_is_an_allow_list() {
    let i = parsed(
        "Uploads run in the background. The one destination we ever use is the store service, so egress from the hook pods (app=hook, namespace docs) goes to the doc-store pods (app=doc-store) on 9000 and nowhere else.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("hook"));
}

#[test]
fn doing_it_for_someone_points_nowhere() {
    let i = parsed(
        "Egress controls would allow an operator to restrict which services an application running in the application namespace can communicate with. Since the mesh won't do it for us, the cart pods (app=cart, namespace shop) may only connect to api.stripe.com on 443.",
    );
    assert!(i.resources.peers.is_empty(), "{i:?}");
}
