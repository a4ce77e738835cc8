//! Asks put to the team ("Can we make …?"), with what the writer shows for
//! reference, ports glossed by what they serve, and files listed before
//! the state they should keep.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_request_to_the_team_is_the_ask_and_the_state_before_it_background() {
    let i = parsed(
        "Today any pod in the cluster can hit the catalogue API on :9000 directly. Can we make the catalogue pods (app=catalogue, namespace library) accept 9000 from the gateway pods (app=gateway) only? The gateway talks to clients on 8443 anyway, so nothing breaks.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![9000]);
    assert!(i.resources.entities.is_empty(), "{:?}", i.resources);
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources);
}

#[test]
fn a_block_shown_for_reference_is_no_configuration_of_the_ask() {
    let i = parsed(
        "The kiosk gateway went live on Monday and the branch terminals use it; we can at least cut down who can reach it. kiosks.json, for reference:\n\n```\n{\n\"terminals\": [\n  { \"subnet\": \"10.70.1.0/24\", \"branch\": \"north\" }\n]\n}\n```\n\nPlease lock the gateway pods (app=kiosk-gw, namespace branches) down so that 7000 only takes connections from 10.70.1.0/24.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![7000]);
    assert_eq!(i.resources.cidrs, vec!["10.70.1.0/24".to_string()]);
}

#[test]
fn ports_glossed_by_what_they_serve_stay_the_ports_of_the_ask() {
    let i = parsed(
        "For the repository pods (app=dspace, namespace repo):\n1. 8080 (REST) and 4000 (UI) should be reachable only from the ingress-nginx namespace\n2. everything else inbound is dropped, Solr on 8983 included",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![8080, 4000]);
}

#[test]
fn files_listed_before_read_only_keep_that_state() {
    let i = parsed(
        "In the opac pods (app=opac, namespace ils), make /etc/opac/db.conf and /etc/opac/ldap.conf read-only; the web server only ever reads them.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    assert_eq!(i.resources.paths.len(), 2);
}

#[test]
fn peers_said_as_the_subject_by_a_common_noun_are_asked_for() {
    let e = refused(
        "Only the region's member hospitals should be able to connect to 2575 on the hl7 pods (app=hl7-gw, namespace clinical); the rest gets dropped.",
    );
    assert!(e.contains("which traffic"), "{e}");
    let i = parsed(
        "Only the billing pods (app=billing) should be able to connect to 2575 on the hl7 pods (app=hl7-gw, namespace clinical).",
    );
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources);
}

#[test]
fn do_it_then_what_asks_and_the_half_already_done_is_background() {
    let i = parsed(
        "Ingress TLS is the inbound half and admission enforces it. The outbound half has nothing checking it, so do it at runtime for the mailer (app=mailer, namespace notify): egress DNS and HTTPS only.",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(port_numbers(&i), vec![53, 53, 443]);
}

#[test]
fn an_admission_policy_pasted_beside_the_runtime_ask_is_background() {
    let i = parsed(
        "Admission already has this:\n\n```yaml\nspec:\n  validationFailureAction: Enforce\n  rules:\n  - name: deny-exec-ns-cards\n    match:\n      any:\n      - resources:\n          kinds:\n          - Pod/exec\n```\n\nThat stops kubectl exec, not a shell from an RCE. So at runtime: the card vault pods (app=card-vault, namespace cards) must not run /bin/sh or /bin/ash.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Block);
    let i = parsed(
        "It has an exception:\n\n```yaml\napiVersion: kyverno.io/v2\nkind: PolicyException\nmetadata:\n  name: vault-sa-token\n  namespace: vault\nspec:\n  match:\n    any:\n    - resources:\n        namespaces:\n        - vault\n```\n\nSo in the vault agent pods (app=vault-agent, namespace vault), /var/run/secrets/kubernetes.io/serviceaccount/ may only be read by /bin/vault.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("vault"));
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_posts_edit_changes_its_question_and_a_quoted_request_is_background() {
    let i = parsed(
        "How do I make it so only Grafana (app=grafana) can reach the prometheus pods (app=prometheus, namespace mon) on 9090?\n\nEDIT: oh and the alertmanager (app=alertmanager) too, it queries it. Thanks!",
    );
    assert_eq!(i.resources.peers.len(), 2, "{:?}", i.resources);
    let i = parsed(
        "There's an old feature request for this in Grafana itself: \"Using a mechanism like IP filters, allow access to Grafana on port 3000 to hosts on certain subnets and deny all other connectivity.\"\n\nHow do I let only the office 10.30.0.0/16 reach 3000 on the grafana pods (app=grafana, namespace mon)?",
    );
    assert_eq!(i.resources.cidrs, vec!["10.30.0.0/16".to_string()]);
}

#[test]
fn a_lock_down_then_port_only_from_is_an_allow_list_and_its_premise_background() {
    let i = parsed(
        "We don't render the chart's policy template, so lock down the airflow web pods (component=webserver, namespace airflow) by hand: 8080 only from the ingress-nginx controller (app.kubernetes.io/name=ingress-nginx in namespace ingress-nginx).",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![8080]);
    let i = parsed(
        "Deny all inbound traffic to the hasura pods (app=hasura, namespace data) except 8080 from the api pods (app=api).",
    );
    assert_eq!(port_numbers(&i), vec![8080]);
}

#[test]
fn parties_identified_in_a_list_not_given_are_asked_for() {
    let e = refused(
        "Clause 4.1. The reporting job (pods app=report-export, namespace finance) shall send Customer Data only to the recipients identified in Annex B, over HTTPS on 443, and to no other destination.",
    );
    assert!(e.contains("which traffic"), "{e}");
}
