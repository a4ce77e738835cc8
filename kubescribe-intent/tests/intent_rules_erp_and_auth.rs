//! Rules of the intent parser found on the blind round `fy-` … `gb-` (ERP
//! and CRM suites, authentication proxies, feature-flag services, wikis)
//! and on older dev misses, written after the round was measured: a log
//! line's time stamp no longer hides the ask on the same line; "only X may
//! …" asks, and a long story before a colon is background unless it names
//! the pods; a premise before ", so <ask>" is background; "except from the
//! php process (/path)" lets only it; "Only the office VPN, 10.8.0.0/16, may
//! connect to …" comes in; "should be reachable from … on 30303 only" asks;
//! "restrict port 22 on X to …" keeps who may reach the port; "the X binary
//! (/x)" acts on the files; "lock down …" commands; "7777 on the … pods"
//! is a port; a shell's complaint and a quoted errno message are pasted
//! output; "Applies to:" names the policy's pods; "(key: value, it …)"
//! keeps its label; "only namespaces labelled …" are who comes in; an
//! environment variable's name is no label value. Each test states the
//! rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::parsed;

#[test]
fn a_time_stamped_log_line_ends_with_its_sentence() {
    // "[2022-11-20 13:45:44.989] [sctp] [error] Connecting … failed. …
    // Log all SCTP coming into …" was blanked to the end of the line.
    let i = parsed(
        "[2024-03-02 10:11:12.345] [gtp] [error] Sending to 10.0.0.9:2152 failed. The peer may be down. Log all UDP coming into the upf pods (app=upf, namespace core) so we see whether packets arrive.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn only_x_may_is_the_ask_and_its_story_before_a_colon_is_background() {
    // "The driver will not execute random commands …: in the … pods (…)
    // only /bin/a, /bin/b … may be executed" was a block.
    let i = parsed(
        "Escalation: the driver formats and mounts volumes, so it requires root privilege. The driver will not execute random commands: in the csi pods (app=csi, namespace kube-system) only /bin/csi-driver and /bin/mount may be executed.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries.len(), 2);
}

#[test]
fn a_premise_before_so_and_an_ask_is_background() {
    // "… and nothing else should talk to the server directly, so lock down
    // the unleash pods (…) so that 4242 only takes connections from …"
    // took the edge pods for the policy's.
    let i = parsed(
        "The proxy points at http://toggle.toggle:4242 and nothing else should talk to the server directly, so lock down the toggle pods (app.kubernetes.io/name: toggle, namespace toggle) so that 4242 only takes connections from the relay pods (app.kubernetes.io/name=relay, namespace relay).",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("toggle"));
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_program_named_before_its_kind_and_path_is_the_excepted_one() {
    // "block file access to the /run/secrets directory except from the php
    // process (/usr/local/bin/php)" blocked php itself.
    let i = parsed(
        "block file access to the /var/keys directory except from the java process (/usr/bin/java), for the pods labelled app=svc in namespace svc.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, vec!["/usr/bin/java"]);
}

#[test]
fn addresses_only_named_before_may_connect_come_in() {
    // "Only the office VPN, 10.8.0.0/16, may connect to 5005 on the gateway
    // pods" after a gloss of the pods was egress.
    let i = parsed(
        "On our api (app: api, namespace dev) the debugger listens on 5005. Only the office VPN, 10.9.0.0/16, may connect to 5005 on the api pods.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.cidrs, vec!["10.9.0.0/16"]);
}

#[test]
fn only_at_the_end_of_a_modal_clause_asks() {
    // "… should be reachable from the internet on 30303/tcp and 30303/udp
    // only." after a manual's "should allow traffic …, this allows the node
    // to connect to peers" was egress.
    let i = parsed(
        "The manual says the firewall should allow traffic on TCP 9000, this allows the node to connect to peers. The node pods (app=node, namespace chain) should be reachable from the internet on 9000/tcp only.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn a_port_restricted_on_pods_to_addresses_is_theirs() {
    let i = parsed("restrict port 2222 on the sftp pods (app=sftp in files) to 10.1.2.0/24");
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports[0].port, 2222);
}

#[test]
fn a_binary_glossed_after_its_kind_reads_the_files() {
    // "… readable only by the vaultwarden binary (/vaultwarden)" read it as
    // an executable to allow.
    let i = parsed(
        "in the vault pods (app=vault, namespace v), /data/key.pem should be readable only by the vault binary (/vault), read-only.",
    );
    assert_eq!(i.resources.sources, vec!["/vault"]);
    assert!(i.resources.binaries.is_empty());
}

#[test]
fn lock_down_after_a_reason_commands() {
    // "…, so lock down the dolibarr pods (…) so their egress only goes to
    // squid (…) on 3128" kept the background's "access to internet".
    let i = parsed(
        "The proxy setting is only used to allow the app to access to internet for feeds. We set it to our proxy, so lock down the erp pods (app=erp, ns erp) so their egress only goes to the proxy pods (app=proxy, namespace proxy) on 3128.",
    );
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn a_port_said_first_on_the_pods_is_kept() {
    // "7777 on the websocket pods (…) should only take connections from …"
    // lost the port.
    let i = parsed(
        "The daemon binds tcp://*:6000. 6000 on the bus pods (app: bus, namespace crm) should only take connections from the web pods (app=web).",
    );
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 6000);
}

#[test]
fn a_shells_complaint_is_pasted_output() {
    // "-bash: line 1: /etc/…: Permission denied" turned "alert on … don't
    // block anything" into a block.
    let i = parsed(
        "-bash: line 1: /etc/app/key.asc: Permission denied\nThat was before we fixed the mode. Now alert on any access to /etc/app/key.asc in the app pods (app=app, namespace app), don't block anything.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_quoted_errno_message_is_pasted_output() {
    // "… dies with \"/start.sh: exec: line 25: /vaultwarden: Operation not
    // permitted\" under --cap-drop=ALL …" blocked the capability it asked
    // for.
    let i = parsed(
        "The server dies with \"/entry.sh: exec: line 3: /server: Operation not permitted\" under --cap-drop=ALL, and adding --cap-add=NET_BIND_SERVICE fixes it. Same here, so the server pods (app=server, namespace s) get --cap-drop=ALL --cap-add=NET_BIND_SERVICE.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn applies_to_names_the_policys_pods() {
    // "only the apisix gateway pods (…) may connect to 2379. Applies to: the
    // etcd pods (…)" was egress of the gateway.
    let i = parsed(
        "only the api pods (app=api) may connect to 5432. Applies to: the db pods (app=db) in namespace shop.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("db"));
}

#[test]
fn a_yaml_label_before_a_comment_is_kept() {
    // "(app.kubernetes.io/name: growthbook, it pushes …)" dropped the peer:
    // every source was allowed.
    let i = parsed(
        "Only the app itself (app.kubernetes.io/name: app, it sends the webhooks) should reach 3300 on the proxy pods (app.kubernetes.io/name=proxy, ns p).",
    );
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn namespaces_labelled_after_only_come_in() {
    let i = parsed(
        "Only namespaces labelled sdk=enabled and the app itself (app.kubernetes.io/name: app) should reach 3300 on the proxy pods (app.kubernetes.io/name=proxy, ns p).",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.namespace.as_deref(), Some("p"));
}

#[test]
fn an_environment_variables_name_is_no_label_value() {
    // "frappe-nginx: FRAPPE_SOCKETIO is the SocketIO host" became a label.
    let i = parsed(
        "web-nginx and api-nginx: BACKEND_HOST is the backend to proxy. 9000 should only be reachable from the nginx pods (app=nginx). Applies to the socket pods: app=socket, namespace erp.",
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("socket")
    );
    assert_eq!(i.scope.labels.len(), 1);
}
