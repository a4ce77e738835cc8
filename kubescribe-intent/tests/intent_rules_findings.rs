//! Asks pasted with a security finding or a quoted report: what the tester
//! did and saw (description, evidence, quoted sections) is the finding's,
//! the recommendation and the operator's own lines are the ask; values the
//! ask leaves to another ticket or leaves public are no part of it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers};

#[test]
fn before_a_findings_recommendation_only_its_asset_is_read() {
    let i = parsed(
        "### F-014 Unrestricted egress from the report workload (High)\n\nCVSS:3.1/AV:N/AC:H/PR:L (7.4)\nAffected asset: reports-api, namespace finance, pods labelled app=reports\n\n**Description.** Open egress to 0.0.0.0/0 lets a pod reach the internet:\n\n```\n$ kubectl -n finance exec deploy/reports-api -- nc -zv db.payments.svc 5432\nConnection to db.payments.svc (10.96.41.7) 5432 port [tcp/postgresql] succeeded!\n```\n\n**Recommendation.** Restrict egress of app=reports in namespace finance to the PostgreSQL pods (app=postgresql) on 5432.\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources);
    assert!(i.resources.entities.is_empty(), "{:?}", i.resources);
    assert_eq!(port_numbers(&i), vec![5432]);
}

#[test]
fn a_quoted_report_beside_the_operators_ask_is_background() {
    let i = parsed(
        "From the pentest report, section 5.3 (Medium):\n\n> The proxy container runs with the default capability set, CAP_NET_RAW included.\n> Reference: \"the NET_RAW capability may be misused by malicious containers.\"\n\nFor the edge proxy pods (app=caddy, namespace edge) drop ALL capabilities and add back only NET_BIND_SERVICE.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(
        i.resources.capabilities,
        vec!["net_bind_service".to_string()]
    );
}

#[test]
fn a_dotted_port_setting_is_no_label() {
    let i = parsed(
        "management.server.port=8081 on the portal: nothing from outside the cluster may reach port 8081 of the portal pods (app=portal, namespace web).",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn ports_left_public_or_to_another_ticket_and_a_release_are_no_values() {
    let i = parsed(
        "Block ingress from the internet to app=cs in namespace central on 4002/tcp. 4001 (certificate registration) and 80 (configuration distribution) stay public for member servers.",
    );
    assert_eq!(port_numbers(&i), vec![4002]);
    let i = parsed(
        "XR-57: open the member server to the instance\n\nReference data:\n- TCP 5500, message exchange\n\nThe server pods (app=ss, namespace member) should accept only TCP 5500 from the internet. The admin UI on 4000 is handled in XR-58.",
    );
    assert_eq!(port_numbers(&i), vec![5500]);
    let i = parsed(
        "PR \"fix: include fixes from 2.37.8.1\". Until it is rolled out, alert on any run of /bin/bash in the dhis2 pods (app=dhis2, namespace hmis); don't block anything.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources);
}

#[test]
fn a_why_section_quotes_the_docs_and_the_rule_section_asks() {
    let i = parsed(
        "## What\nIngress policy for the csms in `csms`.\n\n## Why\nThe README says the container listens on:\n  - `8080`: webserver http\n  - `8081`: websocket without auth\n\nnothing should ever reach the no-auth socket.\n\n## Rule\nThe csms pods (app=csms, namespace csms) take 8082 from the ingress controller (app=ingress, namespace ingress) and nothing else.\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![8082]);
}

#[test]
fn a_hard_wrapped_sentence_is_read_as_one() {
    let i = parsed(
        "fix(netpol): shut the admin port\n\nUntil the image is rebuilt, deny all incoming\nconnections to 8849 on the manager pods (app=manager,\nnamespace evse). Everything else they serve (ISO 15118 on 61341/64109,\nthe bridge) stays as it is.\n",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(port_numbers(&i), vec![8849]);
    assert!(!i.resources.all, "{:?}", i.resources);
}

#[test]
fn nothing_in_glossed_pods_may_modify_and_the_reader_stays_fine() {
    let i = parsed(
        "From now on nothing in the hab pods (app=hab, namespace home) may modify /hab/etc/users.properties. openHAB reading it at login stays fine.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only, "{:?}", i.resources);
}

#[test]
fn an_action_items_owner_a_named_range_and_a_service_said_as_traffic() {
    // "(owner: Femi)" is who does another item, no peer's label.
    let i = parsed(
        "What we'll change\n • Drop UDP 11211 inbound to the memcached pods (app=memcached, namespace cache).\n • Add -U 0 to the chart values at the next release (owner: Femi)\n",
    );
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources);
    // "21 and the passive range 21000-21010": both.
    let i = parsed(
        "The ftp pods (app=ftp, namespace partners) should accept 21 and the passive range 21000-21010 over TCP from 198.51.100.0/24 only.",
    );
    assert_eq!(port_numbers(&i), vec![21, 21000]);
    // "accept PostgreSQL from …": the traffic by its service, no port.
    let why = parse_helpers::refused(
        "For the db pods (app=db, namespace orders): accept PostgreSQL from the api pods (app=api) only.",
    );
    assert!(why.contains("which port"), "{why}");
}

#[test]
fn a_namespace_in_a_peers_gloss_is_the_peers_own() {
    let i = parsed(
        "the web pods (app=web) should only send DNS to kube-dns (k8s-app=kube-dns, namespace kube-system).",
    );
    assert_eq!(i.scope.namespace, None, "{:?}", i.scope);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("kube-system")
    );
    // A namespace alone in parentheses after the peer still says where the
    // policy's pods are (Calico's "namespace default" example).
    let i = parsed("color=blue accepts traffic from color=red (namespace default)");
    assert_eq!(i.scope.namespace.as_deref(), Some("default"));
}
