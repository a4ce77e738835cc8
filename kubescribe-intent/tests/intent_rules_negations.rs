//! Rules of the intent parser found on the blind batches `ck-` … `cn-`
//! (alerts pasted before the ask, user stories, negations and exclusive
//! phrasings, storage workloads): "nothing but X", "nothing other than X",
//! "anybody other than X", "anywhere but X", "anything that isn't X", "for
//! all hosts except …", and alert output pasted before the ask. Each test
//! states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn nothing_but_x_is_the_only_one_allowed() {
    // "nothing but X should reach Y" blocked X's egress; "Nothing other
    // than X may read D" blocked X.
    let i = parsed(
        "nothing but the proxy (app=proxy) should be able to reach the api pods (app=api, namespace web), and only on port 8080",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.labels["app"], "api");
    assert_eq!(i.resources.peers[0].labels["app"], "proxy");
    let i = parsed(
        "Nothing other than postgres (/usr/bin/postgres) may read or write /var/lib/pg/ in the app=pg pods of namespace db",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/usr/bin/postgres"]);
}

#[test]
fn everyone_but_someone_is_the_allow_list_of_them() {
    // Each of these blocked the ones the ask lets in.
    let i = parsed(
        "port 9100 of the exporter pods (app=exp, namespace mon) must not be reachable by anybody other than 10.7.0.0/24",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.cidrs, ["10.7.0.0/24"]);
    assert_eq!(port_numbers(&i), [9100]);
    let i = parsed(
        "Block access to memcached (11211) on the cache pods (app=cache, namespace c) for all hosts except the web (app=web) pods",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers[0].labels["app"], "web");
    let i = parsed(
        "the fetcher pods (app=fetch, ns jobs) must not send egress anywhere but 0.0.0.0/0 except 10.0.0.0/8",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    // Who is excepted must be named.
    let e = refused(
        "port 8443 of app=op (ns sys) must not be reachable by anything other than the configured scrape source",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn anything_that_is_not_x_is_the_rest_of_the_kind() {
    let i = parsed(
        "for the web pods (app=w, ns w): refuse to exec anything that isn't gunicorn (/usr/bin/gunicorn)",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, ["/usr/bin/gunicorn"]);
}

#[test]
fn a_system_call_before_a_colon_ends_its_list() {
    // "pidfd_getfd: they …" was a label pidfd_getfd=they.
    let i = parsed(
        "never let app=dev (ns dev) call ptrace or pidfd_getfd: they read another process's memory",
    );
    assert_eq!(i.domain, Domain::Syscall);
    assert_eq!(i.scope.labels.len(), 1);
    assert_eq!(i.resources.syscalls, ["ptrace", "pidfd_getfd"]);
}

#[test]
fn alert_output_pasted_before_the_ask_is_background() {
    // Its fields became labels, paths and peers.
    let i = parsed(
        "12:00:01.123456789: Notice A shell was spawned (user=root k8s.ns=shop k8s.pod=web-7 container=ab12 shell=bash parent=runc image=nginx)\nblock /bin/bash and /bin/sh in the web pods (app=web, namespace shop)",
    );
    assert_eq!(i.scope.labels.len(), 1);
    assert_eq!(i.resources.binaries, ["/bin/bash", "/bin/sh"]);
    let i = parsed(
        r#"event: {"process":{"binary":"/usr/bin/nsenter","arguments":"-t 1"},"pod":{"namespace":"default"}} -- write a TracingPolicy so /usr/bin/nsenter can't be executed in pods labelled run=dbg in namespace default"#,
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/usr/bin/nsenter"]);
    let i = parsed(
        r#"File Log: "PodName": "agent-1", "Labels": "app=agent", "ProcessName": "/agent", "Resource": "/etc/agent/key". That read is fine. /etc/agent/key should be readable only by /agent in the agent pods (app=agent, namespace ops)"#,
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/agent"]);
    assert_eq!(i.resources.paths, ["/etc/agent/key"]);
}

#[test]
fn an_adverb_after_an_exec_word_is_no_program() {
    let i = parsed("block every execution out of /tmp/ in the app=w pods (namespace w)");
    assert!(i.resources.binaries.is_empty());
    assert_eq!(i.resources.dirs, ["/tmp/"]);
    // A port written as an address's suffix.
    let i = parsed("allow ingress to app=x in ns y on :9091 from namespace mon");
    assert_eq!(port_numbers(&i), [9091]);
}

#[test]
fn an_exception_that_names_nothing_is_refused() {
    // "block every process that is not one of those" allowed every
    // process; "block all capabilities except the ones it needs" blocked
    // the needed ones too.
    let e = refused(
        "in the api pods (app=api, namespace web) block every program that is not one of the approved programs",
    );
    assert!(e.contains("which executables"), "{e}");
    let e = refused("block all capabilities except the ones it needs for app=x in ns y");
    assert!(e.contains("which capabilities"), "{e}");
}
