//! Rules of the intent parser found on the blind batches `ea-` … `ed-`
//! (access requests, ATT&CK techniques, post-mortem action items, commit
//! messages and PR titles): a ticket's
//! fields are no labels, "apply that to the X pods" names the policy's
//! pods, an adjective is no action, a workload named by its program is no
//! program, an aside's namespace may be a common word, and a value said as
//! trusted but not given is refused; "requesting egress" asks for it, a
//! "drop" may be a place, and a path set off after "only by the service
//! itself," is the one reading. Each test states the rule with
//! phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_tickets_owner_field_is_no_label() {
    // "remediation owner: platform — block the calibre pods (app: calibre,
    // ns media) …" selected owner=platform.
    let i = parsed(
        "miner found. remediation owner: secops — block the wiki pods (app: wiki, ns docs) from reaching the internet.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("wiki"));
    assert!(!i.scope.labels.contains_key("owner"));
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources.peers);
}

#[test]
fn applying_it_to_pods_names_the_policys_pods() {
    // "Apply that to the redis pods labelled app=redis in namespace
    // laravel: their egress is limited to 80 and 443" was refused.
    let i = parsed(
        "Apply that to the cache pods labelled app=cache in namespace web: their egress is limited to 80 and 443.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("cache"));
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(port_numbers(&i), [80, 443]);
}

#[test]
fn an_adjective_before_binaries_is_no_action() {
    // "blocks execution of privileged and restricted binaries (…)" was a
    // contradiction of "restricted" and "blocks".
    let i = parsed(
        "ci: blocks execution of privileged and restricted binaries (/usr/bin/sudo, /bin/su) in the runner pods, app=runner ns ci",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/usr/bin/sudo", "/bin/su"]);
}

#[test]
fn pods_named_by_their_program_are_no_program() {
    // "… in the nginx pods, app=nginx" added /usr/sbin/nginx.
    let i = parsed("block execution of /usr/bin/curl in the nginx pods, app=nginx ns web");
    assert_eq!(i.resources.binaries, ["/usr/bin/curl"]);
}

#[test]
fn an_asides_namespace_may_be_a_common_word() {
    // "(app=filebrowser, namespace files)" lost its namespace.
    let i = parsed("the share pods (app=share, namespace files) must not execute /bin/sh");
    assert_eq!(i.scope.namespace.as_deref(), Some("files"));
}

#[test]
fn any_exposed_port_in_the_background_asks_for_none() {
    // "whether it's the image or an exposed port" refused "which port".
    let i = parsed(
        "Until we know whether it's the image or an exposed port, log every outbound connection from the db pods (app=db, namespace data) to 203.0.113.9 — don't drop it, we want the evidence.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn trusted_ranges_not_given_are_refused() {
    let e = refused(
        "Restrict access to the api pods (app=api, namespace web) on port 8000 to trusted IP ranges only.",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn requesting_egress_asks_for_it() {
    let i = parsed(
        "requesting egress for the billing pods (app=billing, ns fin) to smtp.example.com on 587.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn a_drop_may_be_a_place() {
    // "our partner SFTP drop (…) needs its sshd, but limit network access
    // to it: …" was a contradiction of "drop" and "limit".
    let i = parsed(
        "our vendor FTP drop (app: ftp, namespace vendors) needs its daemon, but limit network access to it: port 21 should only be reachable from 198.51.100.0/24.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), [21]);
}

#[test]
fn the_path_set_off_after_the_reader_is_the_reader() {
    // "… must be readable only by the service itself, /app/orders-svc"
    // made /app/orders-svc one of the files.
    let i = parsed(
        "In the cart service (app=cart, namespace shop) that token /run/secrets/token must be readable only by the service itself, /app/cart-svc.",
    );
    assert_eq!(i.resources.sources, ["/app/cart-svc"]);
    assert_eq!(i.resources.paths, ["/run/secrets/token"]);
}

#[test]
fn an_ask_after_a_colon_behind_an_aside_asks() {
    // "The build runners (role=x, namespace y) get no kubectl: block
    // /usr/local/bin/kubectl there. Removing it … comes later." read the
    // later removal as a write.
    let i = parsed(
        "The test runners (role=tester, namespace ci) get no helm: block /usr/local/bin/helm there. Removing it from the image comes later.",
    );
    assert_eq!(i.resources.binaries, ["/usr/local/bin/helm"]);
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
}
