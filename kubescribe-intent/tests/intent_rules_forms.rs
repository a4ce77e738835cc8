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
        e.contains("what to do") && e.contains("form's action"),
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

#[test]
fn a_yaml_request_file_with_an_allow_list_is_a_form() {
    // Its justification, a folded block, quotes ports it does not ask for.
    let i = parsed(
        "# netpol-request.yaml\n\
requested_by: search-team\n\
workload: the indexers (app.kubernetes.io/component: indexer)\n\
namespace: search\n\
justification: >\n  The docs: \"every node listens on 9200 for HTTP and 9300 for transport\".\n  We only need the second.\n\
direction: ingress\n\
allow:\n  - from: app.kubernetes.io/component=coordinator\n    port: 9300/tcp\n  - from: app.kubernetes.io/component=master\n    port: 9300/tcp\n\
expires: never\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.namespace.as_deref(), Some("search"));
    assert_eq!(port_numbers(&i), vec![9300]);
    assert_eq!(i.resources.peers.len(), 2);
}

#[test]
fn form_questions_numbered_or_asked_and_answered_are_fields() {
    // A numbered catalog item: "Cluster / namespace" gives the namespace
    // where the value puts it; "Describe the change" is the rule in words.
    let i = parsed(
        "Catalog item: egress exception | RITM0001\n\
1. Requested for: Jo Park (SRE)\n\
2. Cluster / namespace: prod-1 / alerting\n\
3. Workload labels: app=notifier\n\
4. Business justification: the vendor's page says \"webhooks are delivered from 203.0.113.0/24\".\n\
5. Destination(s): hooks.example.com\n\
6. Port / protocol: 443/TCP\n\
7. Describe the change: the notifier's outbound traffic should be limited to hooks.example.com on 443, nothing else.\n",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("alerting"));
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.fqdns, vec!["hooks.example.com".to_string()]);
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources);
    // A form's export as Q:/A: pairs; an empty answer to what should
    // happen is asked for.
    let e = refused(
        "Runtime file-access request\nQ: Workload (labels)\nA: app=payroll\nQ: Namespace\nA: hr\nQ: Files or directories\nA: /etc/shadow\nQ: What should happen when one is read? (allow / log / block)\nA:\nQ: Background\nA: a Falco rule fired on it.\n",
    );
    assert!(e.contains("what to do"), "{e}");
    let i = parsed(
        "Q: Pods\nA: app.kubernetes.io/name: wiki\nQ: Namespace\nA: docs\nQ: Request\nA: /srv/wiki/config.php has to stay read-only at runtime. Block every write to it.\n",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.scope.namespace.as_deref(), Some("docs"));
    assert!(i.resources.read_only);
}

#[test]
fn jira_fields_and_pipe_rows_are_forms() {
    let i = parsed(
        "*Summary:* Lock down the agent port\n*Component/s:* CI platform\n*Target workload:* the controller, app=ci-controller\n*Namespace:* ci\n*Requested rule:* port 50000 on the controller should only accept connections from the agent pods (role=agent)\n*Due date:* 15/Jan/27\n",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("ci"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(port_numbers(&i), vec![50000]);
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources);
    let i = parsed(
        "Field | Value\nSummary | open LDAPS to the directory\nWorkload | sso pods, app=sso\nNamespace | iam\nDestination | 10.40.12.5 (domain controller)\nPort | 636/TCP\nRequest | egress from the sso pods may go to 10.40.12.5 on 636 and nowhere else\n",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, vec!["10.40.12.5/32".to_string()]);
    assert_eq!(port_numbers(&i), vec![636]);
}

#[test]
fn a_code_span_before_a_colon_is_still_a_namespace() {
    let i = parsed("For `app=batch`, namespace `jobs`: disable the net_raw capability.");
    assert_eq!(i.scope.namespace.as_deref(), Some("jobs"));
}

#[test]
fn an_issue_forms_headings_and_checked_boxes_are_its_fields() {
    let i = parsed(
        "[Policy request]: metrics only for Prometheus\n\n\
### Workload (pod labels)\n\napp.kubernetes.io/name=broker\n\n\
### Namespace\n\nqueue\n\n\
### Direction\n\n- [x] Ingress\n- [ ] Egress\n\n\
### Who needs access?\n\nPrometheus (app=prometheus, namespace monitoring)\n\n\
### Ports\n\n9419/TCP (metrics)\n\n\
### Action\n\n- [ ] Block\n- [x] Allow only the sources above\n\n\
### Justification\n\nThe docs say \"port 15692 serves the Prometheus plugin\".\n\n\
### Expiry date\n\n_No response_\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.namespace.as_deref(), Some("queue"));
    assert_eq!(port_numbers(&i), vec![9419]);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("monitoring")
    );
    // A checked "Block writes" box says what a file form blocks.
    let i = parsed(
        "### Workload\n\napp=forge\n\n### Namespace\n\ngit\n\n### Files\n\n/data/conf/app.ini\n\n### Action\n\n- [ ] Allow\n- [x] Block writes (reads keep working)\n",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
}

#[test]
fn submitted_parameters_in_json_or_yaml_lists_are_a_form() {
    // A scaffolder task's JSON: camelCase keys, a list of ports, peers by
    // the labels of their namespaces.
    let i = parsed(
        "The scaffolder task:\n{\n  \"spec\": {\n    \"parameters\": {\n      \"namespace\": \"ray\",\n      \"podLabels\": \"ray.io/node-type=head\",\n      \"direction\": \"ingress\",\n      \"ports\": [\n        \"8265/TCP\",\n        \"10001/TCP\"\n      ],\n      \"allowFromNamespacesLabelled\": \"team=ml\",\n      \"action\": \"allow only these namespaces\"\n    }\n  }\n}\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.namespace.as_deref(), Some("ray"));
    let mut ports = port_numbers(&i);
    ports.sort();
    assert_eq!(ports, vec![8265, 10001]);
    assert_eq!(
        i.resources.peers[0]
            .namespace_labels
            .get("team")
            .map(String::as_str),
        Some("ml")
    );
    // YAML lists under their keys; an "Enforcement" that says a verb.
    let i = parsed(
        "parameters:\n  namespace: obs\n  podSelector: \"app: grafana\"\n  executables:\n    - /bin/sh\n    - /bin/bash\n  enforcement: log only, do not block anything\n",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.binaries.len(), 2);
}

#[test]
fn rows_split_by_tabs_or_pipes_and_section_labels_stay_in_the_form() {
    let i = parsed(
        "Request field\tValue\nRequested by\tSearch team\nNamespace\tlogging\nWorkload\tapp=es\nDirection\tIngress\nAllowed from\tthe other nodes (app=es)\nPort(s)\t9300/TCP (transport)\nAction\tAllow, nothing else may connect to 9300\n",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(port_numbers(&i), vec![9300]);
    let i = parsed(
        "|| Field || Value ||\n| Namespace | iot |\n| Pod selector | app=broker |\n| Files | /etc/broker/passwd, /etc/broker/acl |\n| Who may access | the broker only, /usr/sbin/broker - read-only |\n",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.sources, vec!["/usr/sbin/broker".to_string()]);
    let i = parsed(
        "EDGE-12  Keep the monitoring endpoint off the internet\nStatus: Todo   Priority: Urgent\n\nCustom fields\nWorkload: nats (app=nats)\nNamespace: messaging\nTraffic: inbound, from the internet\nPort: 8222/TCP\nDecision: block\n",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.entities.len(), 1);
}

#[test]
fn a_protocol_in_parentheses_after_a_port_says_what_it_serves() {
    let i = parsed(
        "allow ingress to app=db in namespace data from app=ui on port 8123/TCP (HTTP), 9000/TCP (native).",
    );
    assert_eq!(port_numbers(&i), vec![8123, 9000]);
}

#[test]
fn a_chat_commands_options_are_the_forms_fields() {
    // `--flag value`, a flag alone for the direction, the bot's reply after
    // it; the command's name is no path.
    let i = parsed(
        "/firewall open --ns billing --selector \"app=ledger\" --ingress --from \"app=checkout\" --port 8443/tcp --action allow --reason \"the vendor says nothing else needs it\"\nfw-bot APP 09:12\nTicket FW-88 queued for review.",
    );
    assert_eq!(i.domain, Domain::Network);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.namespace.as_deref(), Some("billing"));
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources);
    assert_eq!(port_numbers(&i), vec![8443]);
    assert_eq!(i.resources.peers.len(), 1);
    // `key=value` words, a list of names in one value, "allow-only".
    let i = parsed(
        "/egress add namespace=ci pods=\"app=runner\" direction=egress to=\"example.com,api.example.com\" port=443/tcp action=allow-only",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.fqdns.len(), 2, "{:?}", i.resources);
    // "log-only" logs.
    let i = parsed(
        "/netpol request --engine calico --namespace media --pods app=console --ingress --port 9001 --action log-only",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_field_left_to_be_decided_is_asked_for() {
    let why = refused(
        "/netpol request --namespace jobs --selector app=queue --ingress --from app=worker --port tbd --action allow",
    );
    assert!(why.contains("which port"), "{why}");
    let why = refused(
        "Workload: app=queue\nNamespace: jobs\nDirection: inbound\nPorts: TBD\nAction: allow\n",
    );
    assert!(why.contains("which port"), "{why}");
}

#[test]
fn a_bold_question_is_a_key_and_a_title_is_not_the_pods() {
    let i = parsed(
        "🚨 *Change request* (flow: Containment)\n*Submitted by* @ops on behalf of @dev\n*Workload:* wiki, pods labelled app=wiki\n*Namespace:* docs\n*What do you need?* Block all internet traffic to and from the wiki pods, both directions.\n*Expires:* when patched\n",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Both));
    assert_eq!(i.scope.namespace.as_deref(), Some("docs"));
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("wiki"));
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources);
}
