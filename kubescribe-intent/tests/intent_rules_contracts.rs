//! Asks written as contract clauses and controls: a party's obligation to
//! act ("Supplier shall record every inbound connection …"), with what it
//! must not do said of it ("Such recording shall not block …").

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_partys_obligation_is_the_ask_and_not_blocking_is_said_of_it() {
    let i = parsed(
        "C.2 Retention. Logs made under C.1 shall be retained for two (2) years.\nC.1 Monitoring. The Supplier shall record every inbound connection to the claims API (pods app=claims-api, namespace claims) on port 8443. Such recording shall not block or delay any connection.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![8443]);
    let i = parsed(
        "Log every inbound connection to the ledger pods (app=ledger, namespace books) on port 9000. Such logging shall not block any connection.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_program_said_by_the_service_it_runs_is_no_workload() {
    let i = parsed(
        "Control as designed: in the signer pods (app=signer, namespace pki), /etc/pki/signing.key shall be readable only by the signing service binary /usr/local/bin/signer; any other process opening it is blocked.",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
    assert_eq!(
        i.resources.sources,
        vec!["/usr/local/bin/signer".to_string()]
    );
}
