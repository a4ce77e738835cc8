//! Rules of the intent parser found on the blind batches `du-` … `dx-`
//! (batch and HPC, VPN appliances, e-commerce webhooks, scopes of several
//! namespaces): the words around an ask — a quoted error message, a
//! parenthesis glossing the one exception, a port named as the subject,
//! a Kubernetes node, a list of namespaces or ranges — must not turn it
//! around, drop a value or cut a list to its first item. Each test states
//! the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn the_one_exception_glossed_in_a_parenthesis_is_the_allow_list() {
    // "deny access to X unless it is php-fpm (/usr/local/sbin/php-fpm)
    // doing the access" and "nothing but the medusa server (node,
    // /usr/local/bin/node) may touch X" blocked the one program allowed.
    let i = parsed(
        "in the billing pods (app=billing, namespace pay) deny access to /srv/keys/signing.pem unless it is the signer (/opt/signer/bin/signer) doing the access",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/opt/signer/bin/signer"]);
    let i = parsed(
        "nothing but the api server (gunicorn, /usr/local/bin/gunicorn) may touch /srv/media/ in the cms pods (app=cms, ns web)",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/usr/local/bin/gunicorn"]);
}

#[test]
fn a_quoted_error_message_asks_for_nothing() {
    // "(without it: ERROR: Cannot open …)" before "nothing except X
    // should open …" made the ask a block of X.
    let i = parsed(
        "the agent needs /dev/fuse (otherwise it logs FATAL: cannot open /dev/fuse). nothing except /usr/bin/rclone should open /dev/fuse in the sync pods (app=sync, namespace files).",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/usr/bin/rclone"]);
}

#[test]
fn a_port_limited_to_a_namespace_is_reached_from_it() {
    // "metrics (8443) should be limited to the monitoring namespace" read
    // as egress to that namespace, and without the port.
    let i = parsed(
        "For the operator pods (app=operator, ns ops), webhooks (9443) should be limited to the kube-system namespace.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), [9443]);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("kube-system")
    );
}

#[test]
fn a_bare_port_that_opens_its_clause_is_kept() {
    // "…, 9090 should only be reachable from 10.0.0.0/8" lost 9090.
    let i = parsed(
        "On the gateway pods, app=gw in namespace edge, 8081 should only be reachable from 192.168.0.0/16.",
    );
    assert_eq!(port_numbers(&i), [8081]);
    assert_eq!(i.resources.cidrs, ["192.168.0.0/16"]);
}

#[test]
fn a_cluster_node_is_no_program() {
    // "compile the program on every node as part of the execution job"
    // audited /usr/local/bin/node and a program named "job".
    let i = parsed(
        "we build on each node as part of the execution step. the compile pods (app=cc, ns hpc) keep their compilers; nothing should be blocked, but log every run of /usr/bin/clang there.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.binaries, ["/usr/bin/clang"]);
}

#[test]
fn across_the_cluster_before_a_colon_is_cluster_wide() {
    // "Across the cluster: pods may send DNS … to k8s-app=kube-dns"
    // made kube-dns the policy's pods.
    let i = parsed("Across the cluster: pods may send NTP (123/udp) to app=chrony in kube-system.");
    assert!(i.scope.cluster_wide);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("chrony")
    );
}

#[test]
fn namespaces_that_have_a_label_are_peers_by_label() {
    // "from all namespaces that have the nginx-ingress=true label into
    // every pod of namespace search" took the label as the pods'.
    let i = parsed(
        "allow traffic from all namespaces that have the team=edge label into every pod of namespace api, on port 8080",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("api"));
    assert!(i.scope.all_pods);
    assert_eq!(
        i.resources.peers[0]
            .namespace_labels
            .get("team")
            .map(String::as_str),
        Some("edge")
    );
}

#[test]
fn a_list_of_namespaces_for_the_pods_is_refused_not_cut() {
    // "app=myapp in namespaces ns1, ns2 and ns3" became namespace ns1.
    let e = refused(
        "for app=svc in namespaces alpha, beta and gamma: accept ingress on 9000 only from app=gw.",
    );
    assert!(e.contains("which namespace"), "{e}");
    assert!(e.contains("alpha, beta, gamma"), "{e}");
}

#[test]
fn addresses_said_before_are_what_those_upstreams_point_to() {
    // "… may only send queries to those four upstreams" dropped the
    // addresses the sentence before gave, and took the forwarded domain
    // names as peers.
    let i = parsed(
        "corp.example goes to 10.1.1.1 10.1.1.2, lab.example to 10.2.2.2. so the resolver pods (app=resolver, ns dns) may only send queries to those three upstreams, on 53/udp.",
    );
    assert_eq!(
        i.resources.cidrs,
        ["10.1.1.1/32", "10.1.1.2/32", "10.2.2.2/32"]
    );
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources.fqdns);
}

#[test]
fn ranges_outside_the_range_excepted_go_on_with_the_ranges() {
    // "must not open connections to 10.0.0.0/8 except 10.244.0.0/16,
    // 172.16.0.0/12 or 192.168.0.0/16" was refused as a contradiction.
    let i = parsed(
        "the crawler pods (app=crawler, namespace web) must not connect to 10.0.0.0/8 except 10.96.0.0/12, 100.64.0.0/10 or 192.168.0.0/16.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(
        i.resources.cidrs,
        ["10.0.0.0/8", "100.64.0.0/10", "192.168.0.0/16"]
    );
    assert_eq!(i.resources.except_cidrs, ["10.96.0.0/12"]);
}
