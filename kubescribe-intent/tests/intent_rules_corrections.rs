//! The writer correcting or extending the ask in the same message (found on
//! the blind batch `ds-`): the last word counts. Each test states the rule
//! with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::Action;
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_corrected_port_replaces_the_one_said() {
    // "… on 443 and nothing else. sorry, 6443 not 443" kept no port.
    let i = parsed(
        "every pod in ns ops needs egress to 10.2.0.5 on 443 and nothing else. sorry, 8443 not 443",
    );
    assert_eq!(port_numbers(&i), [8443]);
    // "scratch 8200 … just 8201".
    let i = parsed(
        "deny ingress from the world to 9000 and 9001 for app=minio in ns s3. scratch 9000, thats the console - just 9001",
    );
    assert_eq!(port_numbers(&i), [9001]);
}

#[test]
fn a_corrected_action_replaces_the_one_said() {
    // "monitor setns … so we see nsenter escapes - no wait, block it
    // outright" audited.
    let i = parsed(
        "monitor setns in the runner pods (app=runner, ns ci) so we see nsenter escapes - no wait, block it outright, nobody in there should be switching namespaces",
    );
    assert_eq!(i.action, Action::Block);
    let i = parsed(
        "log writes under /proc/sys/ in the app pods (app=web, ns shop) so we see tampering... no wait, block them",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn values_added_on_second_thought_join() {
    // "block /bin/bash. oh and /bin/sh too, most images only ship sh"
    // allowed both.
    let i = parsed(
        "for app=api in ns web: block /bin/bash. oh and /bin/dash too, some images only ship dash",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/bin/bash", "/bin/dash"]);
    // A second program that may read: another source.
    let i = parsed(
        "/etc/tls/ should be readable only by /usr/sbin/nginx in app=web pods (ns shop). oh and /usr/bin/certbot too",
    );
    assert_eq!(i.resources.sources, ["/usr/sbin/nginx", "/usr/bin/certbot"]);
}

#[test]
fn a_narrowed_correction_replaces_what_it_narrows() {
    // "run anything from /sbin/ - hmm, too noisy. just /sbin/apk …" kept
    // the directory; "… except X. wait, make the except the whole Y"
    // allowed Y.
    let i = parsed(
        "alert when app=web pods (ns shop) run anything from /usr/sbin/ - hmm, too noisy. just /usr/sbin/useradd and /usr/sbin/usermod",
    );
    assert!(i.resources.dirs.is_empty());
    assert_eq!(
        i.resources.binaries,
        ["/usr/sbin/useradd", "/usr/sbin/usermod"]
    );
    let i = parsed(
        "app=a in ns n: allow egress to 10.8.0.0/16 except 10.8.1.1. wait, make the except the whole 10.8.1.0/24",
    );
    assert_eq!(i.resources.cidrs, ["10.8.0.0/16"]);
    assert_eq!(i.resources.except_cidrs, ["10.8.1.0/24"]);
    // "log reads and writes … - actually only the writes".
    let i = parsed(
        "log reads and writes of /etc/shadow for app=x (namespace y) - actually only the writes, reads are noise",
    );
    assert_eq!(i.action, Action::Audit);
    assert!(i.resources.read_only);
}

#[test]
fn a_correction_left_open_is_refused() {
    let e = refused(
        "app=x pods (ns y): block /usr/bin/wget. hmm or just alert... not sure yet, will decide later",
    );
    assert!(e.contains("what to do"), "{e}");
    let e = refused(
        "allow ingress from any namespace to app=prom in ns mon on 9090. no wait, not 9090 - whatever port the service exposes, need to check",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn bare_ports_after_restricted_to_or_a_direction_are_ports() {
    // "egress … should be restricted to 53 tcp and udp, 27017" lost 53;
    // "deny ingress from the world to 8200 and 8201" lost both.
    let i = parsed(
        "egress for app=doc in default should be restricted to 53 tcp and udp, 27017 and 443.",
    );
    assert_eq!(port_numbers(&i), [53, 53, 27017, 443]);
    let i = parsed("for app=vault (ns vault): deny ingress from the world to 8200 and 8201.");
    assert_eq!(port_numbers(&i), [8200, 8201]);
}

#[test]
fn every_namespace_before_a_colon_is_cluster_wide() {
    // "for pods labelled x=y in every namespace: block …" lost the scope.
    let i = parsed("for pods labelled tier=batch in every namespace: block /usr/bin/curl.");
    assert!(i.scope.cluster_wide);
}
