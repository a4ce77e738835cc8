//! Asks filled into a request form ("Workload: …", "Direction: …",
//! "Action: …"), and asks beside a pasted Docker Compose excerpt: the
//! form's fields read as the one sentence they say, the compose file as
//! the setup being moved.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use kubescribe_intent::{EntityKind, parse_intent};
use parse_helpers::{parsed, port_numbers, refused};

const NETWORK_FORM: &str = "Firewall request FR-77\n\
Requester: payments team (a.lee)\n\
Workload: ledger API, app=ledger\n\
Namespace: payments\n\
Direction: inbound\n\
Peers: the checkout pods (app=checkout) in namespace shop\n\
Ports: 8443/TCP (API)\n\
Action: allow\n\
Justification: the vendor guide says \"the API should never be exposed to the internet\" and port 9090 serves metrics.\n\
Expiry: 2027-06-30\n";

#[test]
fn a_request_form_is_read_as_the_rule_its_fields_say() {
    let i = parsed(NETWORK_FORM);
    assert_eq!(i.domain, Domain::Network);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.namespace.as_deref(), Some("payments"));
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("ledger")
    );
    // The justification's port and the requester are background.
    assert_eq!(port_numbers(&i), vec![8443]);
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("shop"));
    assert!(i.resources.entities.is_empty(), "{:?}", i.resources);
    // The entities quote the form's values.
    let p = parse_intent(NETWORK_FORM).unwrap();
    let label = p
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::PeerLabel)
        .expect("the peer's label");
    assert_eq!(&NETWORK_FORM[label.start..label.end], "app=checkout");
    let dir = p
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::Direction)
        .expect("the direction");
    assert_eq!(dir.text, "inbound");
}

#[test]
fn a_forms_action_says_the_verb_in_its_own_words() {
    let process = parsed(
        "Workload: renderer (app=renderer)\nNamespace: docs\nExecutables: /usr/bin/gs\nAction: must not run\nJustification: uploads reach Ghostscript through the preview path, and it can modify files on the server.\nDetails: previews go through pdftoppm from now on.\n",
    );
    assert_eq!(process.domain, Domain::Process);
    assert_eq!(process.action, Action::Block);
    assert_eq!(process.resources.binaries, vec!["/usr/bin/gs".to_string()]);
    let logged = parsed(
        "Action: log only, do not block anything\nDirection: outbound\nPorts: 25/TCP\nPeers: n/a\nWorkload: relay pods (app=relay)\nNamespace: mail\n",
    );
    assert_eq!(logged.action, Action::Audit);
    assert_eq!(logged.direction, Some(Direction::Egress));
    assert!(logged.resources.peers.is_empty());
    let all = parsed(
        "Workload: converter (app=converter)\nNamespace: billing\nDirection: egress\nPeers: n/a\nPorts: n/a\nAction: deny all egress\n",
    );
    assert_eq!(all.action, Action::Block);
    assert_eq!(all.direction, Some(Direction::Egress));
    assert!(all.resources.all, "{:?}", all.resources);
}

#[test]
fn a_file_form_gives_paths_access_and_reader() {
    let i = parsed(
        "Workload: broker, pod label app=broker\nNamespace: iot\nFiles: /etc/broker/passwd\nAccess: read\nWho: /usr/sbin/broker only\nAction: allow only this reader\n",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.paths, vec!["/etc/broker/passwd".to_string()]);
    assert_eq!(i.resources.sources, vec!["/usr/sbin/broker".to_string()]);
    assert!(i.resources.read_only);
}

#[test]
fn a_form_that_leaves_the_action_or_the_pods_open_is_refused() {
    let e = refused(
        "Workload: broker (app=broker)\nNamespace: iot\nDirection: ingress\nPorts: 8883/TCP\nAction: TBD, waiting on review\n",
    );
    assert!(
        e.contains("what to do") && e.contains("Action field"),
        "{e}"
    );
    let e = refused(
        "Requester: monitoring\nWorkload:\nNamespace: monitoring\nDirection: ingress\nPorts: 3000/TCP\nAction: allow\n",
    );
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn a_pasted_compose_service_is_the_setup_being_moved() {
    // Its keys (`image:`, `container_name:`, `volumes:`) are no
    // configuration of the ask, and its `db-data` volume no label.
    let i = parsed(
        "Moving the stack off Compose. The db service in docker-compose.yml:\n\n\
  db:\n    image: mariadb:11\n    container_name: db\n    volumes:\n      - db-data:/var/lib/mysql\n\n\
Now it runs as the db pods (app=db, namespace shop). Only mariadbd (/usr/sbin/mariadbd) may read or write /var/lib/mysql/.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("db"));
    assert_eq!(i.resources.sources, vec!["/usr/sbin/mariadbd".to_string()]);
}
