//! Asks under an alert or incident payload pasted from on-call tooling
//! (a Falco output line, a paging tool's custom details and status
//! header, an alert's `Key: value` fields, a chat app's header), and rule
//! tables pasted as spreadsheet rows (CSV, semicolons, tabs): the payload
//! is what fired, the rows are the rule.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers};

#[test]
fn a_falco_output_line_and_its_custom_details_are_what_fired() {
    let i = parsed(
        "[#4821] Outbound connection to cloud metadata | connection=10.0.3.1:5281->169.254.169.254:80 lport=5281 rport=80 fd_type=ipv4 fd_proto=tcp evt_type=connect user=root user_uid=0 process=curl proc_exepath=/usr/bin/curl parent=sh command=curl -s http://169.254.169.254/ terminal=0\nTriggered · High urgency · Service: Runtime Security · Assigned to: Ana\nCustom Details\n{\n  \"k8s.ns.name\": \"ci\",\n  \"k8s.pod.name\": \"job-7b9fd-x2kqp\",\n  \"proc.exepath\": \"/usr/bin/curl\"\n}\n\nPlease block egress to 169.254.169.254 for the job pods (app=job, namespace ci).",
    );
    assert_eq!(i.domain, Domain::Network);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources);
    assert_eq!(i.resources.cidrs, vec!["169.254.169.254/32".to_string()]);
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
}

#[test]
fn an_alerts_fields_and_headers_are_no_ask() {
    // "Description: Detect …" is the rule that fired (no audit), the pod
    // name a field (no label), the bot's header no host.
    let i = parsed(
        "P2 · Open · Outbound connection to a miner pool | ip=203.0.113.7 connection=10.0.1.2:4011->203.0.113.7:3333 evt_type=connect user_uid=1000 proc_exepath=/usr/bin/python3 terminal=0\nDescription: Detect outbound connections to common miner pool ports\nEntity: Falcosidekick\nTags: container, network, T1496\nk8s_pod_name: comfy-5c8d7f9b6-ltq2w\nResponders: ml-platform\n\nAcked. The comfy pods (app=comfy, ns genai) may only send HTTPS (443/tcp), nothing else outbound.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(port_numbers(&i), vec![443]);
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
    let i = parsed(
        "incident.io APP 02:16\nNew alert attached from \"Tetragon (Loki ruler)\":\nlead: in the shop pods (app=shop, namespace web) only /usr/local/bin/node may be executed, anything else that tries to start gets blocked.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.engine, None);
    assert_eq!(
        i.resources.binaries,
        vec!["/usr/local/bin/node".to_string()]
    );
}

#[test]
fn a_past_event_given_as_the_reason_is_background() {
    let i = parsed(
        "Grafana OnCall · Alert Group #11 · Firing\nAcknowledged by @tk · 3 alerts in group\n\n@tk: same on all three replicas since the namespace default deny landed in monitoring, they can't gossip anymore. the alertmanager pods (alertmanager=main, namespace monitoring) need to accept 9094 TCP and UDP from each other.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.namespace.as_deref(), Some("monitoring"));
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources);
}

#[test]
fn spreadsheet_rows_are_a_rule_table() {
    // CSV with quoted cells and a catch-all deny row.
    let i = parsed(
        "FW request, the broker is the mq pods, app=mq in namespace orders.\n\nSource,Destination,Port,Protocol,Action,Justification\n\"orders-api (app=orders-api)\",mq,5672,TCP,Allow,\"AMQP clients, with and without TLS\"\nany,mq,any,any,Deny,\"not exposed\"\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![5672]);
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources);
    // Semicolons; a "0.0.0.0/0 … deny" row is the allow-list's edge; the
    // auditors who want it are no audit.
    let i = parsed(
        "Rows for the ntp pods (app=ntp, namespace time). Audit wants a traceable source. Rows:\nSource;Destination;Port;Protocol;Action\nntp;129.6.15.28/32;123;UDP;allow\nntp;0.0.0.0/0;any;any;deny\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, vec!["129.6.15.28/32".to_string()]);
    // Tabs, an exec list.
    let i = parsed(
        "Requested exec allow-list for the redis pods (app=redis, namespace cache):\nProgram\tAllowed\tWhy\n/usr/local/bin/redis-server\tyes\tthe server\n/bin/sh\tno\t\n",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(
        i.resources.binaries,
        vec!["/usr/local/bin/redis-server".to_string()]
    );
    // A two-column sheet of a form's fields stays a form.
    let i = parsed(
        "Request field\tValue\nNamespace\tlogging\nWorkload\tapp=es\nDirection\tIngress\nAllowed from\tthe other nodes (app=es)\nPort(s)\t9300/TCP\nAction\tAllow, nothing else may connect to 9300\nStatus\tApproved\n",
    );
    assert_eq!(port_numbers(&i), vec![9300]);
}
