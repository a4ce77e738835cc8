//! General rules of the intent parser found on the intent evaluation set's
//! dev split (issue 16): clause structure (headings, reason clauses, where a
//! preposition's reach ends), alert tags, actors named in lists, executables
//! by name, service names, ports after verbs. Each test states the rule with
//! phrasings of its own (not the evaluation cases'), and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain, NetworkEntity, Protocol};
use kubescribe_intent::parse_intent;
use parse_helpers::{parsed, refused};

#[test]
fn a_heading_is_set_aside_before_the_clauses_are_split() {
    // Allow and block words inside a heading do not split the intent.
    let i = parsed(
        "Allow only internal traffic. Block outside traffic: egress from app=db (ns data) to the internet is denied",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.entities, [NetworkEntity::World]);
    assert!(i.deny.is_none());
    assert_eq!(i.scope.namespace.as_deref(), Some("data"));
}

#[test]
fn a_reason_clause_names_nothing() {
    // "since …"/"because …" gives a reason; what it mentions is not governed.
    let i =
        parsed("Block /usr/bin/nc in app=api (ns prod) since SYS_ADMIN is dropped there anyway");
    assert_eq!((i.domain, i.action), (Domain::Process, Action::Block));
    assert_eq!(i.resources.binaries, ["/usr/bin/nc"]);
    assert!(i.resources.capabilities.is_empty());
    let i = parsed(
        "deny egress to 10.9.0.0/16 for app=api in namespace prod because port 22 is open there",
    );
    assert!(i.resources.ports.is_empty());
    assert_eq!(i.resources.cidrs, ["10.9.0.0/16"]);
    // "because of" stays inside the clause.
    let i = parsed("block /bin/su for app=api in namespace prod because of CVE-2021-3156");
    assert_eq!(i.resources.binaries, ["/bin/su"]);
}

#[test]
fn a_preposition_reaches_no_further_than_its_clause() {
    // "into" waits for a workload; the label after the colon is the target's.
    let i =
        parsed("Put the pods into lockdown at egress: tier=batch in namespace jobs, default deny");
    assert_eq!(
        i.scope.labels.get("tier").map(String::as_str),
        Some("batch")
    );
    assert!(i.resources.peers.is_empty());
    assert_eq!(i.direction, Some(Direction::Egress));
    // Within the clause the preposition still names the peer.
    let i = parsed("tier=batch in namespace jobs may connect to app=queue on 5672");
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn an_alert_tag_is_the_action_only_when_nothing_else_is() {
    // The message's tag in front of an intent that says what to do.
    let i = parsed(
        "Alert! Unexpected programs ran. Allow only /usr/bin/redis-server in app=redis (ns cache)",
    );
    assert_eq!(i.action, Action::Allow);
    let i = parsed("(Notification) block /usr/bin/scp in app=files, namespace share");
    assert_eq!(i.action, Action::Block);
    // Alone, the tag is an audit.
    let i = parsed("Alert! /etc/gshadow read in app=files, namespace share");
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn every_executable_of_a_list_acts_when_the_verb_follows_the_list() {
    let i = parsed(
        "/usr/bin/shred, /usr/bin/truncate and /usr/bin/dd must not modify /srv/data/ in app=store (ns data)",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(
        i.resources.sources,
        ["/usr/bin/shred", "/usr/bin/truncate", "/usr/bin/dd"]
    );
    assert!(i.resources.paths.is_empty());
    assert_eq!(i.resources.dirs, ["/srv/data/"]);
    let i =
        parsed("prevent /bin/cp or /bin/mv from changing /etc/ssl/ for app=web in namespace web");
    assert_eq!(i.resources.sources, ["/bin/cp", "/bin/mv"]);
    // Files listed before their verb stay files.
    let i = parsed(
        "block writes to /etc/a.conf, /etc/b.conf and /etc/c.conf in app=web, namespace web",
    );
    assert_eq!(i.resources.paths.len(), 3);
    assert!(i.resources.sources.is_empty());
}

#[test]
fn an_executable_followed_by_its_verb_acts_even_after_another_verb() {
    // "creation" was a file verb already; /usr/bin/install still acts.
    let i = parsed(
        "Directory creation under /opt/ is suspicious. Audit /usr/bin/install writing to /opt/ in app=web, namespace web",
    );
    assert_eq!(i.resources.sources, ["/usr/bin/install"]);
    assert_eq!(i.resources.dirs, ["/opt/"]);
    assert!(i.resources.paths.is_empty());
}

#[test]
fn executables_are_known_by_their_directory_or_their_program_name() {
    // A lexicon program outside bin/sbin is still an executable.
    let i = parsed("Block /opt/vendor/tools/python3 for app=etl in namespace etl");
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.resources.binaries, ["/opt/vendor/tools/python3"]);
    // A script or data file in a bin directory is a file.
    let i = parsed("Block /opt/app/bin/settings.yaml for app=etl in namespace etl");
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.paths, ["/opt/app/bin/settings.yaml"]);
}

#[test]
fn accessed_or_modified_is_any_operation() {
    let i = parsed("Alert! /etc/crontab accessed or modified in app=cron, namespace ops");
    assert_eq!(i.action, Action::Audit);
    assert!(!i.resources.read_only);
    let i = parsed("block any attempt to access or change /etc/crontab in app=cron, namespace ops");
    assert!(!i.resources.read_only);
    // A write verb alone still means writes only; an access word in another
    // sentence does not change that.
    let i =
        parsed("Secrets were accessed. Block writes to /etc/crontab in app=cron, namespace ops");
    assert!(i.resources.read_only);
}

#[test]
fn a_heading_keeps_its_read_only_word() {
    let i = parsed("Read-only: allow /srv/www/ for app=web in namespace web");
    assert_eq!(i.action, Action::Allow);
    assert!(i.resources.read_only);
    assert_eq!(i.resources.dirs, ["/srv/www/"]);
}

#[test]
fn a_service_name_asks_for_a_port_only_where_traffic_is_meant() {
    // Beside files, or naming pods, a service name is no port request.
    let i = parsed(
        "Reads of the redis data directory: audit /var/lib/redis/ for app=redis in namespace cache",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.dirs, ["/var/lib/redis/"]);
    let i = parsed("shell spawned on kafka pods: block /bin/sh for app=kafka in namespace stream");
    assert_eq!(i.domain, Domain::Process);
    // Where traffic is meant, a service name is still refused.
    assert!(refused("app=web in namespace shop may connect to redis").contains("which port"));
}

#[test]
fn a_bare_number_after_accept_or_receive_is_a_port() {
    let i = parsed("app=queue in namespace jobs accepts 5672 from app=worker only");
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 5672);
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed("app=dns in namespace infra accepts 53/udp from app=client");
    assert_eq!(i.resources.ports[0].protocol, Protocol::Udp);
}

#[test]
fn reachable_and_accessible_grant_permission() {
    let i = parsed(
        "The api (app=api, namespace prod) should be reachable on port 8443 from app=gateway",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports[0].port, 8443);
    // Negated, it is a block.
    let i = parsed("app=db in namespace prod must not be reachable from app=web");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_word_describing_processes_is_not_an_executable() {
    // "…ran, possible …": the verb's clause ended at the comma.
    let i =
        parsed("Tools ran, possible intrusion: block /usr/bin/nmap for app=web in namespace web");
    assert_eq!(i.resources.binaries, ["/usr/bin/nmap"]);
    // "spawns odd child processes like curl": nginx acts, curl is run.
    let i =
        parsed("Alert when nginx spawns odd child processes like curl (app=nginx, namespace web)");
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.sources, ["/usr/sbin/nginx"]);
    assert_eq!(i.resources.binaries, ["/usr/bin/curl"]);
}

#[test]
fn setuid_bits_are_file_modes_not_system_calls() {
    let i = parsed(
        "Setting the setuid bit with chmod is forbidden in app=web (ns prod): block /bin/chmod",
    );
    assert_eq!(i.domain, Domain::Process);
    assert!(i.resources.syscalls.is_empty() && i.resources.capabilities.is_empty());
    assert_eq!(i.resources.binaries, ["/bin/chmod"]);
    assert_eq!(i.scope.namespace.as_deref(), Some("prod"));
}

#[test]
fn what_is_set_aside_is_not_governed() {
    let i = parsed(
        "Block the SYS_PTRACE capability instead of the ptrace syscall for app=web in ns shop",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert!(i.resources.syscalls.is_empty());
    let i = parsed("allow port 443 rather than 80 for egress of app=web in namespace shop");
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 443);
}

#[test]
fn kubernetes_named_as_the_platform_is_no_engine_choice() {
    let i = parsed("Block /usr/bin/kubeadm in the k8s environment for app=ci in namespace build");
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.engine, None);
    // As a policy kind it still picks the engine.
    let i = parsed("NetworkPolicy: app=ci in namespace build accepts 8080 from app=web");
    assert_eq!(i.engine, Some(kubescribe_core::engine::Engine::Kubernetes));
}

#[test]
fn a_heading_word_before_a_colon_is_no_label() {
    let i = parsed("Persistence at Boot: audit /usr/sbin/insmod for app=node in namespace ops");
    assert_eq!(i.scope.labels.len(), 1);
    assert_eq!(i.domain, Domain::Process);
    let i = parsed("a deny-all policy: isolate all pods in namespace vault");
    assert!(i.scope.labels.is_empty() && i.scope.all_pods);
    // A lower-case key before a value is still a label.
    let i = parsed("tier: db (namespace data) accepts 5432 from tier: api");
    assert_eq!(i.scope.labels.get("tier").map(String::as_str), Some("db"));
}

#[test]
fn a_name_before_file_is_a_file_not_a_dns_name() {
    let i = parsed(
        "libc.so.6 file opened by unknown process: alert on /lib/libc.so.6 for app=x in namespace y",
    );
    assert_eq!(i.domain, Domain::File);
    assert!(i.resources.fqdns.is_empty());
}

#[test]
fn an_adjective_after_run_is_no_executable() {
    let i = parsed("audit when app=etl in namespace data runs rogue payloads or /usr/bin/nc");
    assert_eq!(i.resources.binaries, ["/usr/bin/nc"]);
}

#[test]
fn a_service_reached_asks_for_its_port() {
    assert!(refused("app=api in namespace prod may reach mongodb").contains("which port"));
}

#[test]
fn initiating_connections_is_egress() {
    let i = parsed("app=httpd in namespace web is allowed to initiate UDP connections");
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn all_other_traffic_denied_is_the_allow_list_posture() {
    let i = parsed(
        "app=db (ns data) accepts 5432 from app=api. All other incoming network traffic should be denied.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn allow_only_x_to_reach_y_protects_y() {
    for text in [
        "Allow only pods labelled tier=web to reach app=db in namespace data",
        "Only allow tier=web pods to reach app=db in namespace data",
    ] {
        let i = parsed(text);
        assert_eq!(
            i.scope.labels.get("app").map(String::as_str),
            Some("db"),
            "{text}"
        );
        assert_eq!(i.direction, Some(Direction::Ingress), "{text}");
        assert_eq!(
            i.resources.peers[0].labels.get("tier").map(String::as_str),
            Some("web"),
            "{text}"
        );
    }
}

#[test]
fn allow_nothing_is_a_default_deny() {
    let i = parsed("select all pods in namespace vault and allow nothing, ingress and egress");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all && i.scope.all_pods);
    assert_eq!(i.direction, Some(Direction::Both));
    // "nothing else" stays an allow-list.
    let i = parsed("app=web in namespace shop may read /var/www/ and nothing else");
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_conditional_heading_is_set_aside() {
    let i = parsed(
        "If egress is blocked, pods cannot reach DNS: allow UDP 53 from every pod in namespace shop to k8s-app=kube-dns in namespace kube-system",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.scope.all_pods);
}

#[test]
fn a_namespace_named_after_its_keyword_wins_over_the_word_before() {
    let i = parsed("Isolate the restricted namespace vault");
    assert_eq!(i.scope.namespace.as_deref(), Some("vault"));
    let i = parsed("Isolate the vault namespace");
    assert_eq!(i.scope.namespace.as_deref(), Some("vault"));
}

#[test]
fn leading_sentences_that_name_nothing_are_context() {
    // "run" in the first sentence does not make the intent about execution.
    let i = parsed(
        "Attackers drop payloads in temporary folders and run them. Audit /var/tmp/ in app=web, namespace web",
    );
    assert_eq!(i.domain, Domain::File);
    let i = parsed("Shell history touched -- audit /root/.ash_history in app=web, namespace web");
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.paths, ["/root/.ash_history"]);
}

#[test]
fn block_all_the_traffic_except_x_is_an_allow_list() {
    let i = parsed(
        "Block all the traffic except DNS: cluster-wide, pods may only send DNS to k8s-app=kube-dns in kube-system",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(i.scope.cluster_wide);
    // Under a cluster-wide scope the one workload named after "to" is the peer.
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("kube-system")
    );
}

#[test]
fn the_parser_never_panics_on_parts_of_the_dev_texts() {
    // Prefixes and suffixes (at word boundaries) of every dev text: eight
    // cuts per text, spread evenly over its words, so the run stays linear
    // in the size of the dev split (every cut of every text took minutes).
    let dev = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/intent_eval/dev.jsonl"),
    )
    .unwrap();
    let mut n = 0;
    for line in dev.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        let cuts: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
        let stride = cuts.len().div_ceil(8).max(1);
        for &c in cuts.iter().step_by(stride) {
            let _ = parse_intent(&text[..c]);
            let _ = parse_intent(&text[c + 1..]);
            n += 2;
        }
    }
    assert!(n > 1000, "{n} texts parsed");
}

#[test]
fn the_workload_that_acts_on_it_is_the_peer() {
    // "it" is the workload named first; the one named after a colon that
    // scrapes or talks to it is the peer it receives from.
    let i = parsed("app=api in namespace prod: let app=scraper scrape it on port 9090");
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("api"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("scraper")
    );
    // Words between two mentions start another group.
    let i = parsed(
        "Limit access to the cache (tier=cache, namespace data) so that only pods with label tier=api can communicate with it on TCP 6379",
    );
    assert_eq!(
        i.scope.labels.get("tier").map(String::as_str),
        Some("cache")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0].labels.get("tier").map(String::as_str),
        Some("api")
    );
}

// Rules found on the fifth dev batch (`w-…`: OpenShift/OKD and
// network-policy-api docs, Tracee signatures, Sigma rules, RHEL STIG items,
// Falco rules no earlier case used), each in phrasings of its own.

#[test]
fn a_project_is_a_namespace() {
    // OpenShift's word for a namespace, after a preposition.
    let i = parsed("block /usr/bin/curl for app=web in project payments");
    assert_eq!(i.scope.namespace.as_deref(), Some("payments"));
    let i = parsed("deny writes to /etc/ for the app=api pods of project billing");
    assert_eq!(i.scope.namespace.as_deref(), Some("billing"));
    // Not a namespace when it is not introduced so.
    let e = refused("give the project a default deny");
    assert!(e.contains("which"), "{e}");
}

#[test]
fn an_allow_verb_whose_object_is_no_traffic_is_a_default_deny() {
    let i = parsed("app=cache in namespace data allows no ingress");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all);
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed("every pod of namespace data accepts no traffic at all");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all && i.scope.all_pods);
    // "no other" keeps the allow-list.
    let i = parsed("app=web in namespace shop accepts port 443 and no other port");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.ports[0].port, 443);
}

#[test]
fn namespaces_labelled_in_yaml_form_are_peers() {
    let i = parsed("allow ingress to app=db in namespace data from namespaces labelled team: ops");
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("db"));
    assert_eq!(
        i.resources.peers[0]
            .namespace_labels
            .get("team")
            .map(String::as_str),
        Some("ops")
    );
}

#[test]
fn a_subject_of_namespaces_only_reaches_the_protected_workload() {
    // Namespaces by label cannot be the policy's pods: the workload they
    // reach is the target, receiving.
    let i = parsed(
        "pods in namespaces labelled env=ci may connect to app=registry in namespace infra on port 5000",
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("registry")
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("infra"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0]
            .namespace_labels
            .get("env")
            .map(String::as_str),
        Some("ci")
    );
}

#[test]
fn an_entity_word_before_a_noun_only_modifies_it() {
    let i = parsed(
        "app=cfg in namespace ops accepts connections from the kube-apiserver operator pods (app=operator, namespace operators)",
    );
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("operator")
    );
    // Alone, it is the entity.
    let i = parsed("app=cfg in namespace ops may connect to the kube-apiserver");
    assert_eq!(i.resources.entities, [NetworkEntity::KubeApiserver]);
}

#[test]
fn outside_the_cluster_is_the_world() {
    let i = parsed("app=batch in namespace jobs must never reach anything outside of the cluster");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.entities, [NetworkEntity::World]);
    let i = parsed("deny connections from outside the cluster to app=ui in namespace web");
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.entities, [NetworkEntity::World]);
}

#[test]
fn a_quoted_name_before_a_colon_is_a_heading() {
    // The rule's name names a program and an action; neither is the intent's.
    let i = parsed(
        "Rule \"Unexpected curl Egress\": app=web in namespace shop may only connect out on TCP 443",
    );
    assert_eq!((i.domain, i.action), (Domain::Network, Action::Allow));
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.binaries.is_empty());
    assert_eq!(i.resources.ports[0].port, 443);
}

#[test]
fn the_agent_of_a_passive_file_verb_acts() {
    let i = parsed("/etc/hosts must not be written by /usr/bin/tee in app=web, namespace shop");
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.paths, ["/etc/hosts"]);
    assert_eq!(i.resources.sources, ["/usr/bin/tee"]);
}

#[test]
fn a_program_called_a_command_or_tool_is_an_executable() {
    let i = parsed("Every run of the curl command must be blocked in app=web (namespace shop)");
    assert_eq!((i.domain, i.action), (Domain::Process, Action::Block));
    assert_eq!(i.resources.binaries, ["/usr/bin/curl"]);
}

#[test]
fn every_pod_after_from_or_to_is_the_peers_and_leaves_the_target_unnamed() {
    let e = refused("Allow egress to all pods in all namespaces");
    assert!(e.contains("which pods"), "{e}");
    let e = refused("Deny ingress from every pod in namespace shop");
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn the_noun_that_ends_a_phrase_picks_the_domain() {
    // "network"/"file" describe the tools; what is missing is which ones.
    let e = refused("Audit the network sniffing tools in app=web pods of namespace shop");
    assert!(e.contains("which executables"), "{e}");
    let e = refused("block the file transfer utilities for app=web in namespace shop");
    assert!(e.contains("which executables"), "{e}");
}

// Rules found on the sixth dev batch (`v-…`), read blind after the rules
// above: in phrasings of their own.

#[test]
fn query_takes_the_workload_queried_as_its_object() {
    let i = parsed("only pods labelled role=ui may query app=search in namespace web");
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("search")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.resources.peers[0].labels.get("role").map(String::as_str),
        Some("ui")
    );
}

#[test]
fn receiving_or_sending_nothing_is_a_default_deny_that_way() {
    let i = parsed("app=ledger in namespace bank receives nothing");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all);
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed("app=ledger in namespace bank sends no traffic");
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.all);
}

#[test]
fn a_namespace_topic_that_opens_the_text_is_a_heading() {
    // "Namespace separation:" is a topic when the text names its namespace.
    let i = parsed(
        "Namespace separation: pods in namespace red must not receive traffic from namespace blue",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("red"));
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("blue"));
    // After the keyword's own colon an action word is no namespace's name;
    // a namespace called like an action word still is one.
    let i = parsed("Tools that cross namespaces: block /usr/bin/nsenter for app=x in namespace ci");
    assert_eq!(i.scope.namespace.as_deref(), Some("ci"));
    let i = parsed("block /etc/x for app=y in namespace audit");
    assert_eq!(i.scope.namespace.as_deref(), Some("audit"));
}

#[test]
fn restricted_and_limited_are_allow_lists_but_not_as_adjectives() {
    let i = parsed("Egress of app=ci in namespace build is limited to 10.1.0.0/16");
    assert_eq!(
        (i.action, i.direction),
        (Action::Allow, Some(Direction::Egress))
    );
    assert_eq!(i.resources.cidrs, ["10.1.0.0/16"]);
    // After a determiner the participle describes a noun.
    let e = refused("deny all egress of the restricted workloads");
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn a_dash_between_a_heading_and_the_intent_is_no_executable() {
    let i = parsed(
        "Shell Binaries Executed -- audit /bin/sh and /bin/bash in every pod of namespace ci",
    );
    assert_eq!(i.resources.binaries, ["/bin/sh", "/bin/bash"]);
}

#[test]
fn it_with_nothing_named_before_is_asked_about() {
    let e = refused("Only pods labelled role=ui may reach it");
    assert!(e.contains("which pods"), "{e}");
}

// Rules found on the seventh dev batch (`u-…`), read blind after the rules
// above: in phrasings of their own.

#[test]
fn allow_nothing_as_a_heading_or_a_policy_name_is_a_default_deny() {
    let i = parsed("Allow nothing: every pod in namespace vault");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all && i.scope.all_pods);
    let i = parsed("give every workload of namespace vault an allow-none policy");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all && i.scope.all_pods);
}

#[test]
fn any_pod_of_a_namespace_is_every_pod_of_it() {
    let i = parsed("block /usr/bin/nmap in any pod of namespace lab");
    assert!(i.scope.all_pods);
    assert_eq!(i.scope.namespace.as_deref(), Some("lab"));
}

#[test]
fn a_subject_that_is_no_one_blocks() {
    let i = parsed("nothing in app=vault (namespace sec) may read /vault/keys/");
    assert_eq!((i.domain, i.action), (Domain::File, Action::Block));
    assert_eq!(i.resources.dirs, ["/vault/keys/"]);
    assert!(!i.resources.read_only);
    let i = parsed("Nobody in app=web, namespace shop, can run /usr/bin/gdb");
    assert_eq!((i.domain, i.action), (Domain::Process, Action::Block));
    // "nobody else" is still the allow-list's posture.
    let i = parsed("app=db in namespace data accepts port 5432 from app=api; nobody else gets in");
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn newer_system_calls_are_system_calls() {
    let i = parsed("block the clone3 and openat2 system calls for app=x in namespace ci");
    assert_eq!(i.resources.syscalls, ["clone3", "openat2"]);
}

#[test]
fn it_refers_to_a_workload_of_an_earlier_clause() {
    // Not dangling: the workload named before the comma is what "it" means.
    let i = parsed("app=web in namespace shop serves the shop, so allow ingress to it on port 80");
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("web"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports[0].port, 80);
}

#[test]
fn receiving_no_traffic_except_is_an_allow_list() {
    // "no … except …" states the allow-list's posture, not a default deny.
    let i = parsed("app=db in namespace data receives no traffic except from app=api");
    assert_eq!(i.action, Action::Allow);
    assert!(!i.resources.all);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("api")
    );
}

#[test]
fn a_participle_after_a_determiner_is_the_action_only_when_nothing_else_is() {
    let i = parsed("the permitted egress of app=web in namespace shop is TCP 443");
    assert_eq!(i.action, Action::Allow);
    let i = parsed("make every pod of namespace vault an isolated pod");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all);
}

#[test]
fn a_namespace_topic_is_kept_when_the_later_namespace_is_a_peers() {
    let i = parsed("Namespace shop: deny all ingress from namespace monitoring");
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("monitoring")
    );
}

// Rules found on the eighth dev batch (`s-…`), read blind after the rules
// above: in phrasings of their own.

#[test]
fn a_word_before_a_colon_followed_by_a_verb_and_its_object_is_no_label() {
    let i = parsed("Hardening in place: do it for app=web in namespace shop, block /usr/bin/wget");
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
}

#[test]
fn the_namespace_keyword_that_ends_its_clause_names_none() {
    // "each namespace" is every namespace; the word after its comma is no name.
    let i = parsed("in each namespace, selecting all pods, deny all ingress");
    assert!(i.scope.cluster_wide);
    assert!(i.scope.namespace.is_none());
}

#[test]
fn in_x_is_a_namespace_only_beside_a_workload() {
    // "are in place" names no namespace.
    let i = parsed("cluster-wide default deny of all ingress is in place");
    assert!(i.scope.cluster_wide && i.scope.namespace.is_none());
    // A guessed "in X" gives way to a namespace named with its keyword.
    let i =
        parsed("Shells are prohibited in staging for app=api in namespace stage: block /bin/sh");
    assert_eq!(i.scope.namespace.as_deref(), Some("stage"));
}

#[test]
fn a_program_name_listed_with_system_calls_is_a_system_call() {
    let i = parsed("deny chmod, fchmodat and chown for app=files in namespace data");
    assert_eq!(i.domain, Domain::Syscall);
    assert_eq!(i.resources.syscalls, ["chmod", "fchmodat", "chown"]);
    // Before a colon too.
    let i = parsed("forbid setns and pivot_root: app=box in namespace ci");
    assert_eq!(i.resources.syscalls, ["setns", "pivot_root"]);
}

#[test]
fn a_filler_word_between_a_determiner_and_namespace_is_its_name() {
    // "apps" is a filler word elsewhere ("all apps"); "the apps namespace"
    // names namespace apps (it was dropped from the scope).
    let i = parsed("block all ingress to app=web in the apps namespace");
    assert_eq!(i.scope.namespace.as_deref(), Some("apps"));
    let i = parsed("Put a default-deny ingress policy on the services namespace");
    assert_eq!(i.scope.namespace.as_deref(), Some("services"));
    assert!(i.scope.all_pods && i.resources.all);
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_leading_clause_that_ends_in_a_semicolon_and_names_nothing_is_background() {
    // The status quo before ";" is no second action.
    let i = parsed(
        "Out of the box everything may talk to everything; deny all ingress to app=vault in namespace secrets",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(i.resources.all);
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("vault"));
}

#[test]
fn an_all_pods_subject_keeps_the_workload_it_reaches_as_its_peer() {
    let i = parsed("all pods in namespace shop may reach app=cache on TCP 6379");
    assert!(i.scope.all_pods);
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert!(i.scope.labels.is_empty());
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("cache")
    );
}

#[test]
fn a_port_said_without_a_value_is_asked_for() {
    for text in [
        "allow app=web to reach app=db in namespace shop on the database's port",
        "let app=web in namespace shop connect to app=api on its port",
    ] {
        let e = refused(text);
        assert!(e.contains("which port"), "{text}: {e}");
    }
}

#[test]
fn a_default_deny_beside_an_allow_is_the_allow_lists_posture() {
    let i = parsed(
        "Set a default deny ingress policy for app=ledger in namespace bank and allow traffic from app=teller on 9443",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert!(!i.resources.all, "nothing is allowed wholesale");
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 9443);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("teller")
    );
    // with nothing allowed by name, the refusal asks for it
    let e = refused("default deny egress in namespace bank and allow the rest");
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn modification_and_alteration_nouns_name_writes() {
    for text in [
        "Watch /etc/hosts for modification in app=dns (namespace infra)",
        "audit any alteration of /etc/resolv.conf in app=dns, namespace infra",
    ] {
        let i = parsed(text);
        assert_eq!(
            (i.domain, i.action),
            (Domain::File, Action::Audit),
            "{text}"
        );
        assert!(i.resources.read_only, "{text}: writes only");
    }
}

#[test]
fn a_modal_after_a_system_call_or_executable_describes_it() {
    // "X can …" says what X can do; the clause after ";" says what to do.
    let i = parsed(
        "userfaultfd can stall the kernel for an exploit; block the userfaultfd system call for app=api in namespace prod",
    );
    assert_eq!((i.domain, i.action), (Domain::Syscall, Action::Block));
    assert_eq!(i.resources.syscalls, ["userfaultfd"]);
    assert!(i.deny.is_none());
    let i =
        parsed("/usr/bin/scp can copy data out; block /usr/bin/scp in app=web (namespace shop)");
    assert_eq!((i.domain, i.action), (Domain::Process, Action::Block));
    assert!(i.deny.is_none());
    // a workload's "may" is still permission beside a blocked part
    let i = parsed("app=web may read /var/www/; block writes to /var/www/ in namespace shop");
    assert_eq!(i.action, Action::Allow);
    assert!(i.deny.is_some());
}
