//! Rules written in session 25 after the blind round `ja-` … `jd-`, whose
//! `jb-` batch asked in commit messages ("feat(netpol): …", a body, then
//! "Refs #…" and "Signed-off-by:" trailers) and `jd-` after a compliance
//! control's text. Each test states the rule with phrasings of its own and
//! fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, NetworkEntity};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_commit_body_that_says_the_whole_ask_is_the_ask() {
    // The subject sums up ("to the kube-apiserver"); the body pins the
    // address, and says it all.
    let i = parsed(
        "feat(netpol): allow egress to the kube-apiserver\n\nThe sync pods (app=sync, namespace infra) get egress to 10.96.0.1/32 on 443 and nothing else.\n\nRefs #88\nSigned-off-by: Jane Doe <jane@example.org>",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs, vec!["10.96.0.1/32".to_string()]);
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(port_numbers(&i), vec![443]);
}

#[test]
fn a_prefix_length_is_no_path() {
    let i = parsed(
        "deny egress of the app=crawler pods in namespace web to 169.254.169.254, as a /32 rule",
    );
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
    assert_eq!(i.resources.cidrs, vec!["169.254.169.254/32".to_string()]);
}

#[test]
fn a_port_that_stays_is_left_alone() {
    let i = parsed(
        "the mailer pods (app=mailer, namespace mail) must stop connecting to 10.1.2.3 on 25; submission on 587 stays.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), vec![25]);
}

#[test]
fn an_audit_said_as_a_noun_is_no_action() {
    let i = parsed(
        "For the annual audit we keep the ledger pods (app=ledger, namespace fin) reachable only from namespaces labelled zone=fin.",
    );
    assert_eq!(i.action, Action::Allow);
    // ("keep an audit trail of …" still asks for one.)
    let i = parsed("keep an audit trail of /usr/bin/curl in the app=shop pods of namespace shop");
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn nothing_may_connect_to_the_pods_named_before() {
    let i = parsed(
        "The cron pods (app=cron, namespace jobs) serve nothing, so nothing should be able to connect to them.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.resources.all);
}

#[test]
fn providing_access_is_an_allow() {
    let i = parsed(
        "Provide access to port 9100 of the exporter pods (app=exporter, namespace mon) from namespace prometheus.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![9100]);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("prometheus")
    );
    // Said negated, it is no permission.
    for text in [
        "don't provide access to port 22 of the app=x pods in namespace y from namespace z",
        "do not grant access to port 22 of the app=x pods in namespace y from namespace z",
        "never give access to port 22 of the app=x pods in namespace y from namespace z",
    ] {
        assert_eq!(parsed(text).action, Action::Block, "{text}");
    }
}

#[test]
fn the_namespace_keyword_names_nothing_on_the_next_line() {
    let i = parsed(
        "Add a default policy to the sample namespaces\n\nrelates to org/infra#342\n\n- Apply it to every pod in namespace ref-app.\n- It will deny ingress traffic from anything but namespace gateway.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("ref-app"));
    assert!(i.scope.all_pods);
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("gateway"));
}

#[test]
fn where_something_else_lives_now_is_no_path_of_the_ask() {
    let i = parsed(
        "keep the proxy pods (app=proxy, namespace edge) from writing under /etc/haproxy/; the rendered config lives in /run now.",
    );
    assert_eq!(i.resources.dirs, vec!["/etc/haproxy/".to_string()]);
}

#[test]
fn the_port_of_a_name_the_text_gives_is_that_named_port() {
    let i = parsed(
        "Only namespace ingress-nginx may reach the docs pods (app=docs, namespace docs), on the http port (the container port named http) only.",
    );
    assert!(i.resources.ports.is_empty(), "{:?}", i.resources.ports);
    assert_eq!(i.resources.named_ports[0].name, "http");
    assert!(!i.resources.entities.contains(&NetworkEntity::World));
}

#[test]
fn a_noun_after_the_namespace_keyword_names_no_namespace() {
    let i = parsed(
        "Plan for the shop namespace lockdown: the api pods (app=api) must accept traffic only from namespace gateway.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn two_protocols_written_with_a_slash_are_both() {
    use kubescribe_core::intent::Protocol::{Tcp, Udp};
    for text in [
        "the resolver pods (app=resolver, namespace dns) may only send to namespace upstream on UDP/TCP 5353",
        "the resolver pods (app=resolver, namespace dns) may only send to namespace upstream on 5353 tcp/udp",
    ] {
        let mut got = parse_helpers::port_protocols(&parsed(text));
        got.sort();
        assert_eq!(got, vec![(5353, Tcp), (5353, Udp)], "{text}");
    }
}

#[test]
fn what_would_happen_and_a_later_step_are_no_block() {
    let i = parsed(
        "audit each /usr/bin/mount exec in the csi pods (app=csi, namespace storage); volumes would stop mounting otherwise.",
    );
    assert_eq!(i.action, Action::Audit);
    let i = parsed(
        "Before we drop it, log every use of CAP_NET_ADMIN in the vpn pods (app=vpn, namespace net) without blocking anything.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn read_only_in_two_words_is_a_state_the_file_keeps() {
    let i = parsed("make /srv/app/settings.ini read only in the app=cms pods of namespace web");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    // ("may be read only by X": who may read it.)
    let i = parsed(
        "in the app=cms pods of namespace web /srv/app/settings.ini may be read only by php-fpm (/usr/sbin/php-fpm)",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn to_not_be_able_to_is_a_block() {
    for text in [
        "I want every pod in namespace lab to not be able to talk to the internet",
        "I want every pod in namespace lab not to be able to talk to the internet",
    ] {
        let i = parsed(text);
        assert_eq!(i.action, Action::Block, "{text}");
        assert_eq!(i.resources.entities, vec![NetworkEntity::World], "{text}");
    }
}

#[test]
fn a_numbered_list_mark_is_no_port() {
    let i = parsed(
        "Acceptance criteria\n1. The web pods (app=web, namespace shop) take 8443 only from namespace edge.\n2. Health checks keep working after the change.",
    );
    assert_eq!(port_numbers(&i), vec![8443]);
}

#[test]
fn runs_as_names_the_pods_not_a_program() {
    let i = parsed(
        "the agent runs as app=agent in namespace ops: 9001 on it must be reachable only by the server pods (app=server).",
    );
    assert_eq!(port_numbers(&i), vec![9001]);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_port_reached_on_the_pods_or_kept_off_is_theirs() {
    let i = parsed(
        "nobody should be able to reach 6060/tcp on the resolver pods (app=resolver, ns dns).",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed(
        "The switches and access points (10.60.0.0/24) must be kept off the status port 18121/udp of the radius pods (app=radius, namespace aaa).",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn nothing_but_the_addresses_set_off_by_commas_may() {
    let i = parsed(
        "nothing but the two replicas, 192.0.2.10 and 192.0.2.11, should reach the db pods (app=db, namespace data) on 5432.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs.len(), 2);
}

#[test]
fn a_security_setting_pasted_as_yaml_is_no_label() {
    let i = parsed(
        "The chart runs it with allowPrivilegeEscalation: false, readOnlyRootFilesystem: true. Enforce more at runtime: block NET_RAW for app=api in namespace web.",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
}

#[test]
fn in_front_and_in_sync_name_no_namespace() {
    let i = parsed(
        "Until the proxy is in front, log every inbound connection on port 80 of the api pods (app=api, namespace web), don't block anything yet.",
    );
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources.peers);
    let i = parsed(
        "We can't keep that list in sync, so the repo pods (app=repo, namespace ci) may only connect to github.com on 443.",
    );
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources.peers);
}

#[test]
fn not_only_says_more_than_no_allow_list() {
    let i = parsed(
        "drop all incoming ICMP to the vpn pods (app=vpn, namespace vpn), not only echo-request.",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn the_pods_named_between_a_program_and_its_verb_leave_it_the_actor() {
    let i = parsed(
        "/usr/bin/fetcher in the fetcher pods (app=fetcher, namespace llm) must not write under /etc/.",
    );
    assert_eq!(i.resources.sources, vec!["/usr/bin/fetcher".to_string()]);
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
}

#[test]
fn a_two_part_host_reached_on_a_port_is_a_dns_name() {
    let i = parsed(
        "the push pods (app=push, namespace push) should reach ntfy.sh on 443 and nothing else.",
    );
    assert_eq!(i.resources.fqdns, vec!["ntfy.sh".to_string()]);
}

#[test]
fn a_policy_that_logs_asks_for_an_audit() {
    let i = parsed(
        "write a policy that logs every inbound connection to port 4242 of the bridge pods (app=bridge, namespace chat).",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn the_program_that_alone_may_read_a_file() {
    for text in [
        "In the capa pods (app=capa, namespace capa-system), /home/.aws/credentials must be readable only by the manager binary /manager.",
        "In the capa pods (app=capa, namespace capa-system), /home/.aws/credentials must be readable only by the manager (/manager).",
        "/home/.aws/credentials must be readable by the manager (/manager) alone, in the capa pods (app=capa, namespace capa-system).",
    ] {
        let i = parsed(text);
        assert_eq!(i.action, Action::Allow, "{text}");
        assert_eq!(i.resources.sources, vec!["/manager".to_string()], "{text}");
        assert_eq!(
            i.resources.paths,
            vec!["/home/.aws/credentials".to_string()],
            "{text}"
        );
    }
}

#[test]
fn a_change_requests_plan_step_that_asks_is_the_ask() {
    let i = parsed(
        "Change ID: CHG-1\nRisk: Low | Impact: issuance only; renewals run 30 days before expiry\nBackground: the old endpoint will be disabled in June.\nImplementation plan:\n1. Confirm every issuer uses the v2 URL.\n2. The issuer pods (app=issuer, namespace certs) may only reach acme.example.org, on 443.\n3. Force a renewal of the staging certificate.\nRollback plan: delete the egress policy.\nValidation: the renewal succeeds.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.fqdns, vec!["acme.example.org".to_string()]);
    assert_eq!(port_numbers(&i), vec![443]);
}

#[test]
fn the_namespace_keyword_that_closes_an_aside_names_nothing_after_it() {
    let i = parsed(
        "Your api pods (in front-end namespace) need the database: allow ingress to app=db in namespace data only from app=api in namespace front-end on 5432.",
    );
    assert!(
        i.resources
            .peers
            .iter()
            .all(|p| p.namespace.as_deref() != Some("need")),
        "{:?}",
        i.resources.peers
    );
}

#[test]
fn a_site_named_as_a_source_is_no_dns_name() {
    let i = parsed(
        "That weave.works write-up is what we hit. Every pod in namespace shop may send DNS only to the kube-dns pods (k8s-app=kube-dns in namespace kube-system).",
    );
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources.fqdns);
}
