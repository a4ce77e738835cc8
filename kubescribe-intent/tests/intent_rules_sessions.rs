//! Rules of the intent parser found on the blind batches `dy-` … `eb-`
//! (data platforms, asks pasted with a terminal session, developers'
//! access requests, ATT&CK techniques): a pasted session shows what was
//! seen (its commands are no programs of the ask) and gives what the ask
//! points back to; an attacker's "can" is no permission; what is left
//! running is left alone. Each test states the rule with phrasings of its
//! own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_pasted_ps_gives_the_rows_the_ask_names() {
    // "prevent the two /tmp binaries in that ps from executing" blocked
    // /tmp/ and redis-server, and ps's own command was a program.
    let i = parsed(
        "/srv # ps -o pid,args\nPID   COMMAND\n    1 memcached -u nobody\n   41 /tmp/.x/miner\n   57 /tmp/dropper\nthe cache pods (app=memcached, ns cache) run something else too. stop the two /tmp binaries in that ps from executing, memcached has to keep running",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/tmp/.x/miner", "/tmp/dropper"]);
    assert!(i.resources.dirs.is_empty(), "{:?}", i.resources.dirs);
}

#[test]
fn a_name_beside_the_path_a_listing_gives_is_that_path() {
    // "the postgres binary in that listing" added the usual
    // /usr/lib/postgresql/bin/postgres beside the listing's own path.
    let i = parsed(
        "$ kubectl -n pg exec db-0 -- ps -eo pid,args\n  PID COMMAND\n    1 /opt/pg/15/bin/postgres -D /data\n   40 /usr/sbin/cron\nfor the db pods (app: db) the postgres binary in that listing is the only thing allowed to execute",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, ["/opt/pg/15/bin/postgres"]);
    // The namespace comes from the pasted command.
    assert_eq!(i.scope.namespace.as_deref(), Some("pg"));
}

#[test]
fn a_pasted_service_listing_gives_the_pods_behind_it() {
    // "… on the pods behind that service" named no pods; the listing's
    // SELECTOR column does.
    let i = parsed(
        "$ kubectl get svc -n search -o wide\nNAME    TYPE           CLUSTER-IP    EXTERNAL-IP    PORT(S)          AGE   SELECTOR\nes      LoadBalancer   10.96.3.9     203.0.113.7    9200:31920/TCP   9d    app=es,tier=data\nblock the internet from reaching 9200 on the pods behind that service",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("search"));
    assert_eq!(i.scope.labels.get("tier").map(String::as_str), Some("data"));
    assert_eq!(port_numbers(&i), [9200]);
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources.cidrs);
}

#[test]
fn a_pasted_connection_gives_that_foreign_address() {
    let i = parsed(
        "/app # netstat -antp\ntcp        0      0 10.244.1.9:50122        198.51.100.23:4444      ESTABLISHED 77/python3\nthe listening port is fine, it dials out. the api pods (app=api, namespace web) must not connect to that foreign address anymore",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, ["198.51.100.23/32"]);
}

#[test]
fn an_attackers_can_is_no_permission() {
    // "if an attacker compromises a pod, they can potentially use this
    // capability …. deny that one" allowed the capability.
    let i = parsed(
        "the api pods (app=api, ns prod) have CAP_SYS_PTRACE. if an attacker gets a shell, they can do bad things with it. deny that one",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_capability_before_a_colon_is_kept() {
    // "have CAP_SYS_PTRACE: deny that one" lost the capability.
    let i = parsed("the api pods (app=api, ns prod) have CAP_SYS_PTRACE: deny that one");
    assert_eq!(i.resources.capabilities, ["sys_ptrace"]);
}

#[test]
fn an_asides_project_is_the_namespace() {
    let i = parsed("The batch pods (app=batch, project etl-prod) must never write to /etc/");
    assert_eq!(i.scope.namespace.as_deref(), Some("etl-prod"));
}

#[test]
fn the_port_reached_is_kept() {
    let i = parsed("keep the internet from reaching 5601 on the app=kibana pods in ns logs");
    assert_eq!(port_numbers(&i), [5601]);
}

#[test]
fn who_it_is_possible_for_reads_the_files() {
    let i = parsed(
        "in the vault pods (app=vault, namespace sec) reading /vault/tls/key.pem should only be possible for the server, /bin/vault",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/bin/vault"]);
    assert!(i.resources.paths.iter().all(|p| p != "/bin/vault"));
}

#[test]
fn the_ssh_server_is_the_daemon() {
    // "the SSH server" in the background added the client /usr/bin/ssh
    // beside the sshd the ask names.
    let i = parsed(
        "the vendor docs say their image disables the SSH server by default. That is wrong, it runs in our app=old pods (namespace legacy). Until we rebuild, alert on every start of sshd; don't block it yet",
    );
    assert_eq!(i.resources.binaries, ["/usr/sbin/sshd"]);
}
