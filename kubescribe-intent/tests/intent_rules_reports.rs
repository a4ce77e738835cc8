//! Rules of the intent parser found on the `a-` and `b-` blind batches
//! (runtime and network asks in issue reports, pull requests and advisories,
//! near verbatim): labelled asks ("Fix: …", "Expected result: …") and asks
//! after a short lead-in, several asks kept together, terminal transcripts
//! as background, prose that names no pod, passive restrictions, bare ports
//! after an action verb, Compose capability lists. Each test states the rule
//! with phrasings of its own (not the evaluation cases') and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::parsed;

#[test]
fn a_labelled_fix_is_the_ask_and_the_problem_is_background() {
    let i = parsed(
        "Problem: the chart's policy only admits port 9000 from the web namespace. Every consumer elsewhere is silently blocked: jobs, cron. Fix: an extra policy for the minio pods (app=minio, namespace store) allowing 9000 from all namespaces.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 9000);
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert!(i.resources.peers[0].any_namespace);
}

#[test]
fn a_command_after_a_short_lead_in_is_the_ask() {
    let i = parsed(
        "A miner was dropped into /var/tmp last night. Until we know how: alert whenever /usr/bin/python3 spawns /usr/bin/curl in the app=etl pods of namespace data.",
    );
    assert_eq!(i.action, Action::Audit);
    assert!(i.resources.dirs.is_empty(), "{:?}", i.resources.dirs);
    assert_eq!(i.resources.sources, ["/usr/bin/python3"]);
    assert_eq!(i.resources.binaries, ["/usr/bin/curl"]);
}

#[test]
fn a_title_and_its_fix_are_read_together() {
    let i = parsed(
        "feat(api): allow egress to pypi.org. The build fails: pip cannot connect. Fix: in the api policy (app=api, namespace build) add an egress rule on port 443 for pypi.org.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.fqdns, ["pypi.org"]);
}

#[test]
fn a_pasted_terminal_session_is_background() {
    let i = parsed(
        "Something odd runs in my worker (app=worker, namespace jobs):\n```\n/app # ps\n  1 root  /sbin/tini -- /entry.sh\n  9 app   /usr/local/bin/python3 /app/run.py\n```\nBlock executing anything from /dev/shm/ in these pods.",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.resources.dirs, ["/dev/shm/"]);
    assert!(
        i.resources.binaries.is_empty(),
        "{:?}",
        i.resources.binaries
    );
}

#[test]
fn prose_after_the_word_pod_names_no_pod() {
    let i = parsed(
        "all egress from all pods in namespace lab should be restricted, including the pod cidr",
    );
    assert!(i.scope.pod_names.is_empty());
    assert!(i.scope.all_pods);
    assert_eq!(i.action, Action::Block);
    // A name still names one.
    let i = parsed("block all ingress to pod api-7 in namespace lab");
    assert_eq!(i.scope.pod_names, ["api-7"]);
    let i = parsed("block all ingress to pod api in namespace lab");
    assert_eq!(i.scope.pod_names, ["api"]);
    let i = parsed("block all ingress to pod `api` in namespace lab");
    assert_eq!(i.scope.pod_names, ["api"]);
}

#[test]
fn none_of_the_pods_is_a_block_for_every_pod() {
    let i = parsed("make sure none of the pods in namespace lab can connect to 10.8.0.0/16");
    assert!(i.scope.all_pods);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.cidrs, ["10.8.0.0/16"]);
}

#[test]
fn restricted_without_a_target_blocks_and_restricted_to_allows() {
    let i = parsed("all egress from app=a in namespace lab should be restricted");
    assert_eq!(i.action, Action::Block);
    let i = parsed("egress from app=a in namespace lab is restricted to 10.0.0.0/8");
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_compose_capability_list_is_an_allow_list() {
    let i = parsed(
        "The app=relay pods (namespace edge) now have:\n```yaml\ncap_drop:\n  - ALL\ncap_add:\n  - NET_BIND_SERVICE\n  - KILL\n```",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["net_bind_service", "kill"]);
}

#[test]
fn a_dotted_word_without_a_top_level_domain_is_code_not_a_dns_name() {
    let i = parsed(
        "only let `runner.exec` start /usr/bin/git and /usr/bin/make in the app=ci pods of namespace build",
    );
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources.fqdns);
    assert_eq!(i.domain, Domain::Process);
    let i =
        parsed("allow app=ci in namespace build to reach pkg.example.io and repo.corp.internal");
    assert_eq!(i.resources.fqdns, ["pkg.example.io", "repo.corp.internal"]);
}

#[test]
fn a_noun_of_namespaces_after_the_keyword_names_none() {
    let i = parsed(
        "Audit for the app=vault pods in namespace sec: setns (namespace manipulation) and unshare",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("sec"));
    assert_eq!(i.resources.syscalls, ["setns", "unshare"]);
}

#[test]
fn an_entity_beside_files_that_are_read_is_prose() {
    let i = parsed(
        "Detect when a process in the app=shop pods (namespace web) reads /etc/shadow or the token at /run/secrets/token, which it could use to log in to the API server",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Audit);
    assert!(i.resources.entities.is_empty());
}

#[test]
fn a_word_kept_as_a_program_name_is_prose_in_a_network_intent() {
    let i = parsed(
        "Pods running sensitive or regulated workloads (app=ledger, namespace fin) must not reach the internet",
    );
    assert_eq!(i.domain, Domain::Network);
    assert!(
        i.resources.binaries.is_empty(),
        "{:?}",
        i.resources.binaries
    );
}

#[test]
fn a_chart_values_path_is_no_label() {
    let i = parsed(
        "With `--set serviceMonitor.enabled=true`, allow ingress on 9100 to app=exporter (namespace mon) from namespace prom",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert!(i.resources.peers.iter().all(|p| p.labels.is_empty()));
}

#[test]
fn the_x_pods_followed_by_their_labels_are_those_labels() {
    let i = parsed(
        "Block CAP_NET_RAW for the tunnel pods, app.kubernetes.io/name=tunnel in namespace edge",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert_eq!(
        i.scope
            .labels
            .get("app.kubernetes.io/name")
            .map(String::as_str),
        Some("tunnel")
    );
}

#[test]
fn a_heading_that_labels_the_ask_makes_the_next_sentence_the_ask() {
    let i = parsed(
        "Policy not enforced on our test cluster.\n\nExpected Behaviour\n\n/usr/bin/wget should be blocked for app=probe (namespace qa).\n\nActual Behaviour\n\nIt runs and downloads /tmp/x.sh.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/usr/bin/wget"]);
}

#[test]
fn a_recommended_fix_is_the_ask() {
    let i = parsed(
        "Finding: agents (app=agent, namespace ai) have unrestricted outbound internet access. Recommended fix: an egress allowlist permitting only api.example.com and pypi.org.",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.resources.fqdns, ["api.example.com", "pypi.org"]);
}

#[test]
fn one_sentence_that_says_a_whole_intent_stands_when_the_whole_text_cannot() {
    // The background allows what the ask blocks: as a whole, a contradiction.
    let i = parsed(
        "The runtime lets containers call about 300 syscalls; it allows keyctl too. In namespace ci, deny keyctl and add_key for the app=sandbox pods.",
    );
    assert_eq!(i.domain, Domain::Syscall);
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.syscalls, ["keyctl", "add_key"]);
    // A text that refers to values it does not give stays refused, whatever
    // its background says.
    let e = parse_helpers::refused(
        "By default every pod in your cluster can reach any IP on the internet. For app=web in namespace shop, restrict egress to the approved domains.",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn words_after_a_pod_name_are_prose_unless_listed() {
    let e = parse_helpers::refused(
        "it would be bad if a single pod getting hacked gave attackers the API: pods must not reach the kube-apiserver",
    );
    assert!(e.contains("which pods"), "{e}");
    let i = parsed("block all ingress to pod api-0, api-1 and api-2 in namespace lab");
    assert_eq!(i.scope.pod_names, ["api-0", "api-1", "api-2"]);
}

#[test]
fn a_chart_value_that_holds_the_port_is_no_port() {
    let e = parse_helpers::refused(
        "the policy of app=api (namespace web) should allow ingress from namespace monitoring to `metrics.exporter.port`",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn a_port_in_a_capability_intent_says_what_the_capability_is_for() {
    let i = parsed(
        "the app=edge pods (namespace dmz) bind :80 and :443 as non-root: allow only NET_BIND_SERVICE",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert!(i.resources.ports.is_empty());
    assert_eq!(i.resources.capabilities, ["net_bind_service"]);
}

#[test]
fn a_name_before_labels_in_an_aside_that_names_the_namespace_is_the_workload() {
    let i = parsed(
        "Allow the application (billing, app=billing in namespace pay) to connect to app=ledger on 5432",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("pay"));
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("billing")
    );
}

#[test]
fn the_x_pods_are_the_label_the_text_gives_x_as_value_of() {
    let i = parsed(
        "This lets app=api (namespace web) connect on 6379 to any pod, not just the cache-ha pods. Restrict egress to specific pod selectors:\n```yaml\n- ports:\n    - port: 6379\n  to:\n    - podSelector:\n        matchLabels:\n          app.kubernetes.io/name: cache-ha\n```",
    );
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert_eq!(
        i.resources.peers[0]
            .labels
            .get("app.kubernetes.io/name")
            .map(String::as_str),
        Some("cache-ha")
    );
}

#[test]
fn of_a_word_names_a_namespace_only_after_a_workload_noun() {
    let i = parsed(
        "Egress to the internet must be blocked for app=etl (namespace data); reaching a miner pool is the proof of compromise.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("data"));
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources.peers);
    assert!(!i.resources.peers.iter().any(|p| p.namespace.is_some()));
    let i = parsed("Block unshare system calls in the app=api containers of lab");
    assert_eq!(i.scope.namespace.as_deref(), Some("lab"));
}

#[test]
fn an_aside_in_a_reason_still_says_which_pods() {
    let i = parsed(
        "drop CAP_NET_ADMIN from the VPN pods since routing moved to the node (the VPN pods: app=vpn, namespace net)",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("net"));
    assert_eq!(i.resources.capabilities, ["net_admin"]);
}

#[test]
fn what_metrics_are_collected_from_is_reached() {
    let i = parsed(
        "pods in namespace obs may collect metrics from app=node-agent (namespace agents) on port 9100",
    );
    // The collectors send; the agents are reached.
    assert_eq!(i.scope.namespace.as_deref(), Some("obs"));
    assert_eq!(
        i.direction,
        Some(kubescribe_core::intent::Direction::Egress)
    );
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("node-agent")
    );
}

#[test]
fn any_short_label_with_an_ask_word_labels_the_ask() {
    let i = parsed(
        "The controller's egress covers DNS on 53 only. Tracing is dead. Fix shape: an egress rule to app=otel (namespace obs) on port 4317 for the controller pods (app=ctrl, namespace sys).",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("sys"));
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 4317);
}

#[test]
fn a_noun_compound_of_an_audit_word_is_no_action() {
    let i = parsed(
        "- [x] only allow connections from the job pods (app=job, namespace ci) to pypi.org\n- [x] add more log statements",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_commit_title_area_is_no_label() {
    let i = parsed(
        "kube-alerts: add an audit of /bin/sh and /bin/bash runs in the app=api pods of namespace prod",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
}

#[test]
fn only_x_can_access_y_protects_y() {
    let i = parsed(
        "Only the gateway pods (app=gw in namespace edge) can access the auth service (app=auth, namespace idp) on port 8080",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("idp"));
    assert_eq!(
        i.direction,
        Some(kubescribe_core::intent::Direction::Ingress)
    );
}

#[test]
fn traffic_between_the_nodes_of_a_workload_is_with_each_other() {
    let i = parsed(
        "allow traffic on ports 7000 and 17000 between the nodes of the cache cluster (app=cache, namespace data)",
    );
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("cache")
    );
}

#[test]
fn a_participle_after_namespace_names_none() {
    let i = parsed(
        "a CCNP letting app=ha egress to any app namespace carrying the label access/ha=true",
    );
    assert_eq!(i.scope.namespace, None);
    assert!(
        !i.resources
            .peers
            .iter()
            .any(|p| p.namespace.as_deref() == Some("carrying")),
        "{:?}",
        i.resources.peers
    );
}

#[test]
fn source_files_and_empty_comparisons_name_nothing() {
    let i = parsed(
        "The runner is mounted read-write (see runner.ts line 12). Block writes to /srv/src/ for app=runner in namespace agents.",
    );
    assert!(i.resources.fqdns.is_empty(), "{:?}", i.resources.fqdns);
    assert_eq!(i.domain, Domain::File);
    let i = parsed(
        "Audit memfd_create for the app=ml pods of namespace lab, as a rule like `proc.name == \"\" and proc.tty == 0` would",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert_eq!(i.resources.syscalls, ["memfd_create"]);
}

#[test]
fn comments_in_pasted_configuration_describe_it() {
    let i = parsed(
        "Hardening for the api pods (app=api, namespace web):\n```diff\n+    # keeps the two capabilities it needs and loses the rest (SYS_ADMIN, NET_RAW)\n+    cap_drop: [ALL]\n+    cap_add: [CHOWN, KILL]  # KILL for the reaper\n```",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["chown", "kill"]);
}

#[test]
fn a_file_readable_only_by_a_program_is_read_by_it_alone() {
    let i = parsed(
        "The broker's credentials file (/etc/broker/creds.ini in the app=broker pods, namespace mq) should only be readable by the broker process (/usr/local/bin/broker).",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Allow);
    assert!(i.resources.read_only);
    assert_eq!(i.resources.paths, ["/etc/broker/creds.ini"]);
    assert_eq!(i.resources.sources, ["/usr/local/bin/broker"]);
    // Without the file it asks for it.
    let e = parse_helpers::refused(
        "Any keystore should only be readable by the broker process (/usr/local/bin/broker in the app=broker pods, namespace mq).",
    );
    assert!(e.contains("which files"), "{e}");
}

#[test]
fn a_file_in_a_capability_intent_is_context() {
    let i = parsed(
        "Block CAP_NET_RAW for the job pods (app=job, namespace ci); the probe writes to /dev/null anyway",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert!(i.resources.paths.is_empty());
    assert_eq!(i.resources.capabilities, ["net_raw"]);
}

#[test]
fn an_entity_an_address_named_stays_that_address() {
    let i = parsed(
        "## Expected\nthe pod (app=bot in namespace tools) reaches the api server (172.31.0.1) on port 443\n\n## Context\nwe want to allow a pod to reach the apiserver.",
    );
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.resources.cidrs, ["172.31.0.1/32"]);
}

#[test]
fn a_verb_after_pod_is_no_pod_name() {
    let e = parse_helpers::refused(
        "the keycloak pod returns a timeout when it connects to port 465: allow egress on 465",
    );
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn pods_that_talk_to_themselves_in_their_namespace_are_their_own_peers() {
    let i = parsed(
        "* Allow traffic from Alloy (name=alloy) to Loki (name=loki) in logs\n* Allow traffic from Loki (name=loki) to Loki in logs",
    );
    assert_eq!(i.scope.labels.get("name").map(String::as_str), Some("loki"));
    let peers: Vec<_> = i
        .resources
        .peers
        .iter()
        .map(|p| p.labels.get("name").cloned().unwrap_or_default())
        .collect();
    assert_eq!(peers, ["alloy", "loki"]);
}

#[test]
fn permitted_subnets_said_but_not_given_are_asked_for() {
    let e = parse_helpers::refused(
        "restrict all incoming and outgoing traffic of the app=db pods (namespace data) to permitted subnets",
    );
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn the_calls_seccomp_profiles_deny_by_name_are_system_calls() {
    let i = parsed("block vfork and setgroups in the app=build pods of namespace ci");
    assert_eq!(i.domain, Domain::Syscall);
    assert_eq!(i.resources.syscalls, ["vfork", "setgroups"]);
}

#[test]
fn restricting_write_access_to_files_blocks_the_writes() {
    let i = parsed(
        "Restrict write access to the plugin directory (/opt/app/plugins/) in the app=app pods of namespace web",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    assert_eq!(i.resources.dirs, ["/opt/app/plugins/"]);
}

#[test]
fn everybody_but_x_is_an_allow_list_of_x() {
    let i = parsed("deny ingress to app=pg (namespace db) on port 5432 from everybody but app=api");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(
        i.direction,
        Some(kubescribe_core::intent::Direction::Ingress)
    );
    assert_eq!(
        i.resources.peers[0].labels.get("app").map(String::as_str),
        Some("api")
    );
}

#[test]
fn shared_memory_and_scratch_places_are_directories() {
    let i = parsed("block execution of anything in /dev/shm for the app=php pods of namespace web");
    assert_eq!(i.resources.dirs, ["/dev/shm/"]);
    assert!(i.resources.paths.is_empty());
}

#[test]
fn who_a_port_is_open_to_reaches_it() {
    let i = parsed("port 8080 of app=web (namespace shop) should only be accessible to app=prom");
    assert_eq!(
        i.direction,
        Some(kubescribe_core::intent::Direction::Ingress)
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("web"));
    let i =
        parsed("access to app=web (namespace shop) is restricted to pods in namespace monitoring");
    assert_eq!(
        i.direction,
        Some(kubescribe_core::intent::Direction::Ingress)
    );
    // Egress restricted to a peer still goes to it.
    let i = parsed("egress from app=a (namespace b) is restricted to app=c");
    assert_eq!(
        i.direction,
        Some(kubescribe_core::intent::Direction::Egress)
    );
}

#[test]
fn a_path_said_again_as_a_directory_is_the_directory() {
    let i = parsed(
        "block reads of /srv/keys and of the whole /srv/keys/ directory for app=vault in namespace sec",
    );
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
    assert_eq!(i.resources.dirs, ["/srv/keys/"]);
}

#[test]
fn the_pod_namespace_is_no_pod() {
    let i = parsed(
        "Allow an egress rule (port 6379 TCP, broad; no pod/namespace selector) for the hub pods (app=hub, namespace dev)",
    );
    assert!(i.scope.pod_names.is_empty(), "{:?}", i.scope.pod_names);
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("hub"));
}

#[test]
fn flags_of_code_are_no_labels() {
    let i = parsed(
        "the tool runs with `subprocess.run(cmd, shell=False)` and `dryRun=true`; block /usr/bin/curl in the app=agent pods of namespace ai",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    // A label's value may still be true.
    let i = parsed("block /usr/bin/curl in the pods labelled debug=true of namespace ai");
    assert_eq!(
        i.scope.labels.get("debug").map(String::as_str),
        Some("true")
    );
}
