//! Rules of the intent parser found on the blind batches `bw-` … `cb-`
//! (exceptions and exclusions, the engines' vocabulary in prose, tickets,
//! jobs and sidecars): exceptions to every one of a kind, "nobody but X",
//! "must not contact … outside of the listed …", what an ask replaces, a
//! posture's value. Each test states the rule with phrasings of its own
//! and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn exceptions_to_every_one_of_a_kind_are_the_allow_list() {
    // Each of these blocked exactly what it meant to keep.
    let i = parsed("block all of its egress apart from HTTPS for app=fetcher in ns jobs");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.ports[0].port, 443);
    let i = parsed(
        "every program other than /usr/bin/node is blocked from running in app=web, ns shop",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, ["/usr/bin/node"]);
    let i = parsed("drop every capability save for NET_BIND_SERVICE in app=proxy, namespace edge");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["net_bind_service"]);
    let i = parsed("app=crawler in ns web may send egress to 0.0.0.0/0 save for 10.0.0.0/8");
    assert_eq!(i.resources.except_cidrs, ["10.0.0.0/8"]);
}

#[test]
fn nobody_but_x_is_only_x() {
    let i = parsed(
        "nobody but the gateway (app=gateway in namespace edge) should be able to reach the admin port 9901 of the envoy pods (app=envoy, namespace mesh)",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.labels["app"], "envoy");
    assert_eq!(i.resources.peers[0].labels["app"], "gateway");
}

#[test]
fn only_x_should_be_able_to_read_makes_x_the_source() {
    let i = parsed(
        "in the api pods (app=api, namespace shop) only /usr/local/bin/api should be able to read /etc/api/token",
    );
    assert_eq!(i.resources.sources, ["/usr/local/bin/api"]);
    assert_eq!(i.resources.paths, ["/etc/api/token"]);
}

#[test]
fn nothing_may_after_a_connective_still_blocks() {
    let i = parsed(
        "until the patch lands. till then nothing in app=ci (ns build) may run /usr/bin/pkexec",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn must_not_reach_outside_the_named_ones_is_the_allow_lists_edge() {
    // It was a block of the very CIDRs the ask limits egress to.
    let i = parsed(
        "egress of app=etl in namespace data should be limited to 10.20.0.0/16 - it must not contact addresses outside of the listed range",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs, ["10.20.0.0/16"]);
}

#[test]
fn what_the_ask_replaces_and_a_postures_value_are_no_action() {
    let i = parsed(
        "instead of just blocking example.com: app=bot in namespace chat may only reach api.slack.com over 443",
    );
    assert_eq!(i.action, Action::Allow);
    let i = parsed(
        "namespace media has kubearmor-file-posture: block. the transcoder pods (app=transcoder) may only use the capability NET_BIND_SERVICE",
    );
    assert_eq!(i.action, Action::Allow);
    // "instead of ICMP" names no verb: the rest of its clause still counts.
    let i = parsed("Block the NET_RAW capability instead of ICMP for app=web in ns shop");
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
}

#[test]
fn a_log_rotate_sidecar_is_no_audit_and_opening_a_shell_runs_one() {
    let i = parsed(
        "in the mon pods (app=mon, namespace ceph) only /usr/sbin/logrotate may write to /var/lib/logrotate/ - the log rotate sidecar needs it",
    );
    assert_eq!(i.action, Action::Allow);
    let i = parsed(
        "the app=job pods in namespace batch shouldn't be able to open a shell: block /bin/sh and /bin/dash",
    );
    assert_eq!(i.domain, Domain::Process);
}

#[test]
fn pods_left_out_of_the_scope_are_a_selector_expression() {
    // The left-out label was the scope: the policy governed exactly the
    // pods the ask spared, and none of the others.
    let i =
        parsed("block egress to 198.51.100.7 for every pod in namespace ops except tier=backup");
    assert_eq!(i.scope.selector.as_deref(), Some("tier != backup"));
    assert!(i.scope.labels.is_empty());
    assert_eq!(i.action, Action::Block);
    let i = parsed(
        "the workloads of the ledger namespace other than role=auditor must not reach 203.0.113.0/24",
    );
    assert_eq!(i.scope.selector.as_deref(), Some("role != auditor"));
    // A peer's exception is not the scope's.
    let i = parsed("allow ingress to app=db in ns shop from all pods except app=x on 5432");
    assert_eq!(i.scope.selector, None);
}

#[test]
fn an_executable_excepted_from_a_denial_is_the_only_one_allowed() {
    // Each of these blocked the one program the ask meant to let in.
    for text in [
        "in the app=keys pods of ns vault deny access to /srv/keys/ unless it is /usr/bin/keyd doing the reading",
        "in the app=keys pods of ns vault deny access to /srv/keys/ except by /usr/bin/keyd",
        "deny access to /srv/keys/ for every process other than /usr/bin/keyd (app=keys, ns vault)",
    ] {
        let i = parsed(text);
        assert_eq!(i.action, Action::Allow, "{text}");
        assert_eq!(i.resources.sources, ["/usr/bin/keyd"], "{text}");
        assert_eq!(i.resources.dirs, ["/srv/keys/"], "{text}");
    }
}

#[test]
fn a_path_carved_out_of_an_allowed_directory_is_denied() {
    // It was allowed along with the directory.
    let i = parsed("allow /var/cache/app/ except /var/cache/app/token for app=c in ns c");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.dirs, ["/var/cache/app/"]);
    assert!(i.resources.paths.is_empty());
    assert_eq!(i.deny.expect("a deny part").paths, ["/var/cache/app/token"]);
}

#[test]
fn any_port_other_than_one_is_the_allow_list_of_it() {
    // "other than port P" blocked P; "other than P" lost the port.
    for text in [
        "app=gw in namespace edge must not accept connections on any port other than port 8443",
        "app=gw in namespace edge must not accept connections on any port other than 8443.",
    ] {
        let i = parsed(text);
        assert_eq!(i.action, Action::Allow, "{text}");
        assert_eq!(port_numbers(&i), [8443], "{text}");
        assert_eq!(i.direction, Some(Direction::Ingress), "{text}");
    }
}

#[test]
fn what_is_not_on_the_allowed_list_is_blocked_and_the_list_is_needed() {
    // The list's "allowed" was an allow beside the block: a contradiction.
    let i = parsed(
        "stop the api pods (app=api, ns web) from running programs that aren't on the approved list: /app/server and /bin/busybox",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, ["/app/server", "/bin/busybox"]);
    // With no list given, what it holds is asked for.
    let e = refused("alert on processes in app=api (ns web) that are not in our allowlist");
    assert!(e.contains("which executables"), "{e}");
    let e = refused("deny all egress of app=api in ns web unless explicitly allowlisted");
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn nobody_but_after_so_is_the_ask_not_a_purpose() {
    // ", so nobody but X should read …" was set aside as a purpose clause.
    let i = parsed(
        "/etc/app/tls/ holds the key, so nobody but the server (/usr/bin/server) should read it in the app=tls pods of namespace web",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/usr/bin/server"]);
}

#[test]
fn an_exception_for_what_is_required_leaves_the_traffic_unsaid() {
    // It was a block of all traffic: the exception was dropped.
    let e = refused(
        "cut off all ingress and egress of the suspect pods (app=miner, ns ci), except where strictly necessary",
    );
    assert!(e.contains("which traffic"), "{e}");
    // Named after it, the traffic is the allow-list.
    let i = parsed("block all egress of app=x in ns y except where needed: 10.1.0.0/16");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs, ["10.1.0.0/16"]);
    // After a named value the words add nothing.
    let i = parsed("block /usr/bin/nc unless really needed for app=x in ns y");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn cidrs_carved_out_with_names_of_their_own() {
    // "except for the seed network X": X was allowed with the rest.
    let i = parsed(
        "allow egress of app=x in ns y to 10.0.0.0/8, except for the build network 10.9.0.0/16 and the lab network 10.8.0.0/16",
    );
    assert_eq!(i.resources.cidrs, ["10.0.0.0/8"]);
    assert_eq!(i.resources.except_cidrs, ["10.9.0.0/16", "10.8.0.0/16"]);
}

#[test]
fn cidrs_carved_out_after_a_list_of_adjectives() {
    // "except the private, loopback and multicast ranges A, B and C" allowed them.
    let i = parsed(
        "allow egress of app=r in ns ci to 0.0.0.0/0 except the private, loopback and multicast ranges 10.0.0.0/8, 127.0.0.0/8 and 224.0.0.0/4",
    );
    assert_eq!(i.resources.cidrs, ["0.0.0.0/0"]);
    assert_eq!(i.resources.except_cidrs.len(), 3);
}

#[test]
fn pods_of_a_bare_name_other_than_a_label_are_no_scope_of_that_label() {
    // "the pods of shop other than app=x" made app=x the scope.
    let i = parsed("block egress to 192.0.2.9 for the pods of shop other than app=canary");
    assert_eq!(i.scope.selector.as_deref(), Some("app != canary"));
    assert!(i.scope.labels.is_empty());
}

#[test]
fn a_destination_before_the_pods_is_no_peer_cue() {
    // "egress to 192.0.2.9 for pods … other than app=x": the "to" is the
    // address's, the pods are the scope.
    let i = parsed("block egress to 192.0.2.9 for pods in namespace shop other than app=canary");
    assert_eq!(i.scope.selector.as_deref(), Some("app != canary"));
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
}
