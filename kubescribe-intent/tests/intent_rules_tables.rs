//! Asks that carry their rules in a Markdown table: each row read as the
//! list item it stands for, the column naming what each cell is.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain, Protocol};
use kubescribe_intent::{EntityKind, parse_intent};
use parse_helpers::{parsed, port_protocols, port_ranges, refused};

#[test]
fn a_rule_table_gives_each_row_its_own_protocol() {
    let t = "The broker pods (app=broker, namespace queue) take exactly these:\n\n\
| Source | Port | Protocol | Action |\n\
|---|---|---|---|\n\
| producers (app=producer) | 5672 | TCP | allow |\n\
| producers (app=producer) | 4369 | UDP | allow |\n\
| any | any | any | deny |\n";
    let i = parsed(t);
    assert_eq!(i.domain, Domain::Network);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    let mut ports = port_protocols(&i);
    ports.sort();
    assert_eq!(ports, vec![(4369, Protocol::Udp), (5672, Protocol::Tcp)]);
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("producer")
    );
    // The entities quote the table's cells.
    let p = parse_intent(t).unwrap();
    let port = p
        .entities
        .iter()
        .find(|e| e.kind == EntityKind::Port)
        .expect("a port entity");
    assert_eq!(&t[port.start..port.end], port.text);
    assert!(port.text.contains("5672") || port.text.contains("4369"));
}

#[test]
fn destinations_without_an_action_column_are_what_is_allowed() {
    // No Action column and no action in the prose: an access matrix.
    let i = parsed(
        "Outbound traffic of the build pods (app=builder, namespace ci) should be exactly this:\n\n\
| Destination | Port | Protocol |\n\
|---|---|---|\n\
| registry.example.com | 443 | TCP |\n\
| 10.9.0.0/16 | 5000 | TCP |\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.fqdns, vec!["registry.example.com".to_string()]);
    assert_eq!(i.resources.cidrs, vec!["10.9.0.0/16".to_string()]);
}

#[test]
fn a_quotation_beside_the_table_adds_no_port() {
    // "HTTP requests" in a quoted doc sentence is no port 80.
    let i = parsed(
        "The vendor's guide says: \"The console listens for HTTP requests coming straight from the browser.\" For the console pods (app=console, namespace ops):\n\n\
| Source | Port | Protocol | Action |\n\
|---|---|---|---|\n\
| 10.20.0.0/16 | 9443 | HTTPS | allow |\n",
    );
    assert_eq!(port_protocols(&i), vec![(9443, Protocol::Tcp)]);
    assert_eq!(i.resources.cidrs, vec!["10.20.0.0/16".to_string()]);
}

#[test]
fn a_file_table_says_who_may_read_what() {
    let i = parsed(
        "Access matrix for the signing key in the signer pods (app=signer, namespace pki):\n\n\
| Path | Access | Who |\n\
|---|---|---|\n\
| /etc/signer/key.pem | read | /usr/bin/signer |\n",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.paths, vec!["/etc/signer/key.pem".to_string()]);
    assert_eq!(i.resources.sources, vec!["/usr/bin/signer".to_string()]);
    assert!(i.resources.read_only);
    // "Writable? no": written by no one.
    let i = parsed(
        "In the gateway pods (app=gateway, namespace edge):\n\n\
| Path | Writable? |\n\
|---|---|\n\
| /etc/gateway/routes.yaml | no |\n\
| /etc/gateway/tls.yaml | no |\n",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    assert_eq!(i.resources.paths.len(), 2);
}

#[test]
fn a_table_that_leaves_the_action_or_the_peers_open_is_refused() {
    let e = refused(
        "Flows into the admin pods (app=admin, namespace ops) seen this week:\n\n\
| Source | Port | Protocol | Action |\n\
|---|---|---|---|\n\
| app=backup | 8443 | TCP | TBD |\n",
    );
    assert!(e.contains("what to do"), "{e}");
    // Peers said by a common noun alone: which are they?
    let e = refused(
        "Keep the same matrix for the portal pods (app=portal, namespace web):\n\n\
| Source | Port | Protocol | Action |\n\
|---|---|---|---|\n\
| office workstations | 443 | TCP | allow |\n\
| jump hosts | 443 | TCP | allow |\n",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn everyone_the_allow_list_leaves_out_is_no_block_of_its_own() {
    // "Anything without that label is kept off …", "Nothing outside … should
    // get to …": the allow-list's edge, not a contradicting block.
    let i = parsed(
        "The contract for the web pods (app=web, namespace shop):\n\n\
| Who | Port | Proto |\n\
|---|---|---|\n\
| pods labelled web-client=true | 8080 | TCP |\n\
| pods labelled web-client=true | 8443 | TCP |\n\n\
Anything without that label is kept off both ports.",
    );
    assert_eq!(i.action, Action::Allow);
    // "Anything else must not reach 15010": no block of 15010 beside its
    // allow (it was read as one: the policy turned around).
    let i = parse_intent(
        "Access matrix for the control plane (app=pilot, namespace mesh) on that port:\n\n\
| Source | Destination | Port | Protocol | Action |\n\
|---|---|---|---|---|\n\
| namespaces labelled mesh=on | pilot | 15010 | TCP | allow |\n\
| namespaces labelled mesh-rev=next | pilot | 15010 | TCP | allow |\n\n\
Anything else must not reach 15010.",
    );
    assert!(
        !matches!(&i, Ok(p) if p.intent.action == Action::Block),
        "{i:?}"
    );
    let i = parsed(
        "For the nats pods (app=nats, namespace nats): allow ingress from namespace monitoring on TCP 8222. Nothing outside the monitoring namespace should get to it.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn the_no_rows_of_an_allow_list_are_what_it_shuts_out() {
    // "Host" is where the pods go; the ✗ rows and "anything else" go.
    let i = parsed(
        "Lock the egress of the scanner pods (app=scanner, namespace scan) down to the yes rows:\n\n\
| Host | Port | Protocol | Allowed |\n\
|---|---|---|---|\n\
| ghcr.io | 443 | TCP | ✓ |\n\
| mirror.example.org | 443 | TCP | ✗ |\n\
| anything else | any | any | ✗ |\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.fqdns, vec!["ghcr.io".to_string()]);
    // A process table's "no" rows too.
    let i = parsed(
        "In the api pods (app=api, namespace shop) this is the complete list of what may start:\n\n\
| Executable | Allowed |\n\
|---|---|\n\
| /usr/local/bin/node | yes |\n\
| /bin/sh | no |\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(
        i.resources.binaries,
        vec!["/usr/local/bin/node".to_string()]
    );
}

#[test]
fn a_no_row_that_carves_from_an_allowed_range_is_not_dropped() {
    // Dropping it would allow all of 10.0.0.0/8.
    let r = parse_intent(
        "Egress of the jobs (app=job, namespace batch):\n\n\
| Destination | Action |\n\
|---|---|\n\
| 10.0.0.0/8 | allow |\n\
| 10.1.0.0/16 | deny |\n",
    );
    if let Ok(p) = &r {
        assert!(
            p.intent.action != Action::Allow || p.intent.deny.is_some(),
            "{:?}",
            p.intent
        );
    }
}

#[test]
fn columns_named_for_an_address_a_protocol_or_what_a_row_is_called() {
    // "Server Name" names the row, "IP Address" is the peer; TCP and UDP
    // columns hold ports of their protocol ("None": none).
    let i = parsed(
        "The chrony pods (app: chrony) in namespace timesync may send NTP to these two and nowhere else:\n\n\
| Server Name | IP Address | Port | Protocol |\n\
|---|---|---|---|\n\
| time-a.example.gov | 192.0.2.28 | 123 | UDP |\n\
| time-b.example.gov | 192.0.2.29 | 123 | UDP |\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources.fqdns);
    assert_eq!(i.resources.cidrs.len(), 2);
    assert_eq!(port_protocols(&i), vec![(123, Protocol::Udp)]);
    let i = parsed(
        "As a Calico policy for the sso pods (app=sso, namespace iam): log their connections to 10.20.0.10 on the TCP ports in the table.\n\n\
| Service Name | UDP | TCP | Action |\n\
|---|---|---|---|\n\
| LDAP | None | 389 | Log |\n\
| LDAPS | None | 636 | Log |\n",
    );
    assert_eq!(i.action, Action::Audit);
    let mut ports = port_protocols(&i);
    ports.sort();
    assert_eq!(ports, vec![(389, Protocol::Tcp), (636, Protocol::Tcp)]);
}

#[test]
fn writable_rows_stay_as_they_are_and_a_port_without_a_number_is_asked_for() {
    let i = parsed(
        "Nothing should change the config at runtime. For the grafana pods (app=grafana, namespace obs):\n\n\
| Directory | Writable | Notes |\n\
|---|---|---|\n\
| /etc/grafana/ | no | config |\n\
| /var/lib/grafana/ | yes | sqlite db |\n",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.dirs, vec!["/etc/grafana/".to_string()]);
    let e = refused(
        "For the controller pods (app=ctl, namespace ci):\n\n\
| Source | Port | Protocol | Action |\n\
|---|---|---|---|\n\
| agents (role=agent) | the agent listener port | TCP | allow |\n",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn a_docker_run_line_in_backticks_names_no_workload() {
    let i = parsed(
        "The upstream README starts it with `docker run -d -p 21:21 -e \"PUBLICHOST=localhost\" ftpd`. In the cluster that's the ftpd pods, app=ftpd in namespace files. Only 198.51.100.0/24 may reach port 21 on them.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("ftpd"));
    assert!(!i.scope.labels.contains_key("PUBLICHOST"));
}

#[test]
fn a_table_without_an_action_column_is_allowed_only_when_the_prose_bounds_it_so() {
    // These read as allows of the hosts to keep away.
    let i = parsed(
        "These hosts must be kept away from the build pods (app=builder, namespace ci):\n\n\
| Host | Port |\n\
|---|---|\n\
| evil.example.com | 443 |\n",
    );
    assert_eq!(i.action, Action::Block);
    for t in [
        "Revoke access to these for the build pods (app=builder, namespace ci):\n\n| Host | Port |\n|---|---|\n| evil.example.com | 443 |\n",
        "For the build pods (app=builder, namespace ci):\n\n| Host | Port |\n|---|---|\n| evil.example.com | 443 |\n",
    ] {
        let e = refused(t);
        assert!(e.contains("what to do"), "{e}");
    }
}

#[test]
fn a_table_without_outer_pipes_is_read() {
    // GitHub's Markdown takes `a | b` rows with no pipe at either end.
    let i = parsed(
        "For the etcd pods (app=etcd, namespace kv) peer traffic should be exactly this:\n\n\
Port | Protocol | From\n\
--- | --- | ---\n\
2380 | TCP | other etcd pods (app=etcd)\n\
7000-7010 | TCP | other etcd pods (app=etcd)\n\n\
Client traffic on 2379 has its own policy.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_ranges(&i), vec![(2380, None), (7000, Some(7010))]);
    assert!(i.resources.entities.is_empty(), "{:?}", i.resources);
}

#[test]
fn a_sentence_about_everything_else_bounds_the_rows() {
    // "Anything else … gets dropped" is the allow-list's edge, not a block
    // of the rows.
    let i = parsed(
        "The registry's firewall page says: \"These are the domain names you need to add to an allowlist for pulls to work.\" Our image builders only pull base images, so I kept the two rows that matter. Egress for the builder pods (`app: kaniko`, namespace build) should be:\n\n\
| Domain | Port | Description |\n\
|---|---|---|\n\
| `quay.io` | `443` | Quay |\n\
| `ghcr.io` | `443` | GitHub packages |\n\n\
Anything else outbound gets dropped.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(
        i.resources.fqdns,
        vec!["quay.io".to_string(), "ghcr.io".to_string()]
    );
}

#[test]
fn a_mode_column_of_file_modes_is_background_and_access_says_how() {
    let i = parsed(
        "In the vault-agent pods (app=vault-agent, namespace secrets) only the agent reads its token. Permissions to enforce:\n\n\
| Path | Mode | Access | Process |\n\
|---|---|---|---|\n\
| `/vault/token` | 0400 | read | `/bin/vault` |\n\n\
Any other process opening it is blocked.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.paths, vec!["/vault/token".to_string()]);
    assert_eq!(i.resources.sources, vec!["/bin/vault".to_string()]);
    assert!(i.resources.read_only);
}

#[test]
fn a_capability_name_column_names_capabilities() {
    let i = parsed(
        "The ones the exporter never uses:\n\n\
| Capability Name | Description |\n\
| :-------------- | :------------------ |\n\
| NET_RAW         | Use RAW sockets (NET_ADMIN not needed) |\n\
| SYS_CHROOT      | Use chroot(2)       |\n\n\
For the exporter pods (app=exporter, namespace metrics), deny exactly these two capabilities.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Block);
    let mut caps = i.resources.capabilities.clone();
    caps.sort();
    assert_eq!(caps, vec!["net_raw".to_string(), "sys_chroot".to_string()]);
}

#[test]
fn a_lead_in_that_names_the_pods_scopes_the_rules_under_it() {
    // A peer's own namespace in the rules does not make it the policy's
    // pods.
    let i = parsed(
        "For the broker pods (app=broker in namespace mq):\n\
- allow from the billing workers (role=worker, namespace billing) on port 5671/tcp\n\
- allow from the auditors (role=auditor) on port 5671/tcp",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("mq"));
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("broker")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 2);
    assert!(
        i.resources
            .peers
            .iter()
            .any(|p| p.namespace.as_deref() == Some("billing"))
    );
    // So does a sentence saying how the pods are labelled, before the
    // lead-in.
    let t = "Here the broker pods are labelled app=broker in namespace mq. Who may connect to the broker port:\n\n\
| Client | Port\n\
|---|---\n\
| billing workers (role=worker, namespace billing) | 5671/tcp\n\
| auditors (role=auditor) | 5671/tcp\n\n\
Everyone else stays off 5671.";
    let i = parsed(t);
    assert_eq!(i.scope.namespace.as_deref(), Some("mq"), "{t}");
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("broker")
    );
}

#[test]
fn read_write_rows_beside_read_only_rows_are_left_as_they_are() {
    let i = parsed(
        "For the wiki pods (app=wiki, namespace docs), enforce this at runtime:\n\n\
| Directory | Access | Notes |\n\
|---|---|---|\n\
| /srv/wiki/conf/ | ro | settings |\n\
| /srv/wiki/plugins/ | ro | |\n\
| /srv/wiki/cache/ | rw | page cache |\n\n\
Writes to the ro rows must be blocked; reading them is fine.",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    assert_eq!(
        i.resources.dirs,
        vec![
            "/srv/wiki/conf/".to_string(),
            "/srv/wiki/plugins/".to_string()
        ]
    );
}

#[test]
fn a_writable_no_cell_beside_its_reader_is_a_read() {
    let i = parsed(
        "For the proxy pods (`app: dbproxy`, namespace db):\n\n\
File | Who | Writable\n\
--- | --- | ---\n\
/etc/dbproxy/users.conf | /usr/bin/dbproxy | no\n",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(
        i.resources.paths,
        vec!["/etc/dbproxy/users.conf".to_string()]
    );
    assert_eq!(i.resources.sources, vec!["/usr/bin/dbproxy".to_string()]);
    assert!(i.resources.read_only);
}

#[test]
fn a_row_that_admits_no_one_keeps_its_port_shut() {
    let i = parsed(
        "The collector pods (app=collector, namespace tracing) should accept spans only as below:\n\n\
| Port | Protocol | Peer |\n\
| ---- | -------- | ---- |\n\
| 6831 | UDP | the app pods (tier=app) |\n\
| 5775 | UDP | none, keep it closed |\n",
    );
    assert_eq!(port_protocols(&i), vec![(6831, Protocol::Udp)]);
}

#[test]
fn a_capabilities_column_named_for_its_kind_and_a_peer_side_said_before_the_table() {
    let i = parsed(
        "Our exporter (app=exporter, namespace metrics) needs two of the defaults; the rest go:\n\n\
| Linux capabilities | Keep |\n\
| --- | --- |\n\
| CAP_CHOWN | ✗ |\n\
| CAP_NET_BIND_SERVICE | ✓ |\n\
| CAP_SETUID | ✓ |\n",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
    let mut caps = i.resources.capabilities.clone();
    caps.sort();
    assert_eq!(
        caps,
        vec!["net_bind_service".to_string(), "setuid".to_string()]
    );
    let i = parsed(
        "Before we block anything, with Calico, for the fetcher pods (app=fetcher, namespace media), log their connections to:\n\n\
| Address | Cloud | Action |\n\
|---|---|---|\n\
| 169.254.169.254 | AWS | log |\n\n\
Nothing gets blocked yet.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.direction, Some(Direction::Egress));
}
