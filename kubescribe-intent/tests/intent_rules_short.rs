//! Rules of the intent parser found on blind batches of short asks, as an
//! operator types them into a policy tool (the evaluation set's `aj-` …
//! `am-` batches: network docs, rule descriptions, capability and
//! cluster-wide asks, ticket one-liners): "toward", excepts after a few
//! describing words, ports in parentheses after a name, a port named by
//! what listens on it, the progressive "should be reading", trailing
//! reasons after a comma, files that must stay read-only, events said as
//! nouns. Each test states the rule with phrasings of its own (not the
//! evaluation cases'), and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain, NetworkEntity};
use parse_helpers::{parsed, port_numbers, port_ranges, refused};

#[test]
fn toward_a_namespace_names_the_peer() {
    let i = parsed(
        "the web pods (app=web, ns shop) may send traffic on port 9090 toward the monitoring namespace",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("monitoring")
    );
}

#[test]
fn an_except_after_describing_words_carves_the_ranges_out() {
    let i = parsed(
        "app=crawler in namespace web may open connections to 0.0.0.0/0 except the internal networks 10.0.0.0/8 and 100.64.0.0/10",
    );
    assert_eq!(i.resources.cidrs, ["0.0.0.0/0"]);
    assert_eq!(i.resources.except_cidrs, ["10.0.0.0/8", "100.64.0.0/10"]);
}

#[test]
fn ports_in_parentheses_after_their_names_are_the_ports() {
    let i = parsed(
        "allow ingress to app=broker in ns mq from app=client on amqp (5672), the management ui (15672) and mqtt (1883 to 1885)",
    );
    assert_eq!(
        port_ranges(&i),
        [(5672, None), (15672, None), (1883, Some(1885))]
    );
    let i = parsed("allow egress from app=api in ns shop to app=db on mysql (3306)");
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 3306);
}

#[test]
fn a_port_named_by_what_listens_on_it_is_asked_for() {
    let e = refused("the cache pods (app=cache, ns shop) accept the memcached port from app=web");
    assert!(e.contains("which port"), "{e}");
    let e = refused("allow app=api in ns shop to reach app=queue on the broker port");
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn an_api_server_glossed_with_labels_is_pods_not_the_entity() {
    let i = parsed(
        "only the API server (app=api-server) may reach the cache pods (app=cache, namespace shop) on 6379",
    );
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn a_lockdown_with_what_is_shut_out_takes_its_direction() {
    let i = parsed(
        "lock down the exporter pods (app=exporter, ns obs) with Cilium: they must never reach anything outside the cluster",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.entities, [NetworkEntity::World]);
}

#[test]
fn an_executable_path_in_the_progressive_acts_on_the_files() {
    let i = parsed(
        "in the app=vault pods of namespace sec, only /bin/vault should be reading the keys in /vault/keys/",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.sources, ["/bin/vault"]);
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
}

#[test]
fn a_reason_after_a_comma_is_background() {
    let i = parsed(
        "nothing in app=web (ns shop) may modify /etc/hosts, since rewriting it lets anyone redirect traffic",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.paths, ["/etc/hosts"]);
}

#[test]
fn files_that_have_to_stay_read_only_are_kept_from_writes() {
    let i = parsed("/etc/cron.d/ has to stay read-only for the app=batch pods in namespace jobs");
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
    let i = parsed("/etc/ssh/sshd_config needs to be readonly in app=bastion pods of ns ops");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn shutting_a_machine_down_is_no_deny() {
    let i = parsed(
        "watch writes to /proc/sys/kernel/panic for app=agent in ns ops, since changing it could shut down the host",
    );
    assert_eq!(i.action, Action::Audit);
    let i = parsed(
        "monitor writes to /proc/sys/vm/drop_caches for app=agent in ns ops. Writing it can shut down or hang the node.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn an_event_said_as_a_noun_is_no_system_call() {
    let i = parsed(
        "/etc/init.d/ must remain read-only in the app=vm pods of ns legacy. Attackers drop scripts there to survive every reboot.",
    );
    assert_eq!(i.domain, Domain::File);
    assert!(i.resources.syscalls.is_empty());
}

#[test]
fn kinds_of_programs_are_no_executables() {
    let i = parsed(
        "Containers should not run debuggers. For app=api in namespace shop, block gdb and strace (/usr/bin/gdb, /usr/bin/strace).",
    );
    assert_eq!(i.resources.binaries, ["/usr/bin/gdb", "/usr/bin/strace"]);
}

#[test]
fn negated_modals_without_their_apostrophe_still_negate() {
    let i = parsed("the app=api pods (ns shop) shouldnt be able to call mount");
    assert_eq!(i.action, Action::Block);
    let i = parsed("app=worker in ns jobs cant read /etc/shadow");
    assert_eq!(i.action, Action::Block);
    assert!(i.scope.pod_names.is_empty(), "{:?}", i.scope.pod_names);
}

#[test]
fn nothing_is_blocked_says_the_ask_only_watches() {
    let i = parsed(
        "record every read of /etc/gshadow by the app=ldap pods in namespace auth; audit mode, nothing gets blocked",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_negative_purpose_after_a_comma_is_background() {
    let i = parsed(
        "for app=ci in namespace build, allow egress to 0.0.0.0/0 except 10.0.0.0/8, so that builds cannot reach internal services",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.except_cidrs, ["10.0.0.0/8"]);
}

#[test]
fn protocol_names_without_a_port_are_asked_for() {
    let e = refused("allow snmp traffic into the app=router pods in namespace net");
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn access_restricted_to_an_executable_makes_it_the_source() {
    let i = parsed(
        "in the app=agent pods (ns ops) access to /etc/agent/keys/ is limited to /opt/agent/bin/agent",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/opt/agent/bin/agent"]);
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
}

#[test]
fn a_heading_that_opens_with_namespace_and_a_verb_names_no_namespace() {
    let i =
        parsed("Namespace access: audit the unshare syscall in app=runner pods of namespace ci.");
    assert_eq!(i.scope.namespace.as_deref(), Some("ci"));
}

#[test]
fn a_kernel_entry_names_its_system_call() {
    let i =
        parsed("alert whenever __x64_sys_openat or sys_unshare is called by app=x in namespace y");
    assert_eq!(i.domain, Domain::Syscall);
    assert_eq!(i.resources.syscalls, ["openat", "unshare"]);
    // A capability keeps its name.
    let i = parsed("block the sys_ptrace capability for app=x in namespace y");
    assert_eq!(i.domain, Domain::Capability);
}

#[test]
fn disable_blocks_and_a_negated_audit_word_is_no_action() {
    let i = parsed(
        "debug consoles are not audited, so disable the consoles in app=shop (namespace web): /usr/bin/rails and /usr/bin/irb",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.domain, Domain::Process);
}

#[test]
fn a_deny_by_default_beside_an_allow_is_the_allow_lists_posture() {
    let i = parsed(
        "for the search pods (app=search, namespace web): deny incoming connections by default and allow connections from app=frontend on 9200 by exception",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers.len(), 1);
    // One system call dropped by default stays a block.
    let i = parsed("drop keyctl by default for the app=build pods in namespace ci");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn all_other_traffic_denied_is_the_allow_lists_posture() {
    let i = parsed(
        "ingress to the app=ledger pods (namespace fin) is restricted to app=teller on 8443, and all other traffic is strictly denied",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn the_whole_namespace_with_its_name_is_every_pod_of_it() {
    let i = parsed("deny the entire namespace billing as a default");
    assert_eq!(i.scope.namespace.as_deref(), Some("billing"));
    assert!(i.scope.all_pods);
}

#[test]
fn only_a_name_glossed_with_labels_restricts_the_subject() {
    let i = parsed(
        "make a policy to allow only grafana (app=grafana) to access loki (app=loki, ns obs) on 3100",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("loki"));
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn in_every_namespace_after_a_workload_names_no_namespace() {
    let i = parsed(
        "GlobalNetworkPolicy: for the cache endpoints (role=cache) in every namespace: allow TCP from role=api to port 11211",
    );
    assert!(i.scope.cluster_wide);
    assert_eq!(i.scope.namespace, None);
}

#[test]
fn containers_present_in_the_cluster_are_cluster_wide() {
    let i = parsed(
        "KubeArmorClusterPolicy: block /usr/bin/wget in all containers running in the cluster",
    );
    assert!(i.scope.cluster_wide);
    assert_eq!(i.engine, Some(kubescribe_core::engine::Engine::KubeArmor));
}

#[test]
fn prepositions_after_an_exec_verb_name_no_program() {
    let e = refused(
        "Processes spawned beneath the web server are suspicious. Block that for app=web in namespace shop.",
    );
    assert!(e.contains("which executables"), "{e}");
}

#[test]
fn asking_to_write_the_policy_is_no_file_write() {
    let e = refused(
        "if anything in the app=api pods (ns shop) starts an unknown shell, kill it. could you write that?",
    );
    assert!(e.contains("which executables"), "{e}");
}

#[test]
fn a_lower_case_command_after_a_full_stop_starts_a_sentence() {
    let i = parsed(
        "the app=proxy pods (ns edge) ship a shell that can help an attacker in case of a breach. block /bin/sh from being executed.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/bin/sh"]);
}

#[test]
fn a_command_after_pls_is_the_ask() {
    let i = parsed(
        "users can point our webhook sender at any host, so the api (app=hooks, ns notify) can be used to probe internal networks. pls block its egress to 10.0.0.0/8",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.cidrs, ["10.0.0.0/8"]);
}

#[test]
fn a_verb_after_the_ns_keyword_names_no_namespace() {
    let i = parsed(
        "our workers (app=worker, ns jobs) can't reach the queue since the ns got locked down. can we allow egress on port 5672 for them pls",
    );
    assert!(i.resources.peers.is_empty(), "{:?}", i.resources.peers);
    assert_eq!(i.scope.namespace.as_deref(), Some("jobs"));
}

#[test]
fn a_compound_adjective_before_app_is_no_name() {
    let i = parsed(
        "our wiki (app=wiki, ns docs) should not let the public-facing app change /srv/wiki/conf/. pls block writes to that directory",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("wiki"));
}

#[test]
fn nothing_in_a_long_workload_phrase_may_is_a_block() {
    let i = parsed(
        "Nothing in the app=shop pods of namespace retail may run /usr/bin/wget or /usr/bin/curl.",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn the_host_namespace_is_a_kernel_namespace() {
    let i = parsed(
        "log every setns from the app=runner pods (namespace ci), a switch from container to host namespace is an escape",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("ci"));
}

#[test]
fn a_hyphenated_key_that_opens_the_text_is_a_title() {
    let i = parsed(
        "02-privileged-calls: hook ptrace and log every call from the app=dbg pods (namespace tools)",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
}

#[test]
fn otherwise_opens_a_consequence() {
    let i = parsed(
        "make sure egress from app=api (ns shop) to k8s-app=kube-dns in kube-system on 53/udp is allowed, otherwise lookups won't work",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn only_a_namespace_restricts_the_subject() {
    let i = parsed(
        "allow only the ops namespace to reach the app=admin pods of namespace tools on 8443",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("tools"));
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("ops"));
}

#[test]
fn a_namespace_after_of_before_a_colon_is_the_pods_namespace() {
    let i = parsed("for the app=cart containers of shop: stop /bin/sh from being launched");
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
}

#[test]
fn between_pods_in_the_same_namespace_is_each_other() {
    let i = parsed(
        "for all pods in namespace team-b: allow traffic between pods in the same namespace, but block traffic between pods in different namespaces",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn restrict_without_to_beside_a_deny_blocks() {
    let i = parsed(
        "Restrict tool access in the app=web pods (namespace shop): deny /usr/bin/curl and /usr/bin/wget",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn the_program_shells_are_spawned_from_is_their_source() {
    let i = parsed(
        "deny shells (/bin/sh, /bin/bash) spawned from the app server process /usr/local/bin/node in app=api of namespace shop",
    );
    assert_eq!(i.resources.sources, ["/usr/local/bin/node"]);
    assert_eq!(i.resources.binaries, ["/bin/sh", "/bin/bash"]);
    let i = parsed(
        "nginx must not spawn a shell -- block /usr/sbin/nginx from executing /bin/sh (shop, app=web)",
    );
    assert_eq!(i.resources.binaries, ["/bin/sh"]);
}

#[test]
fn wanted_to_be_accessible_is_an_allow() {
    let i = parsed("we want grafana (app=grafana, ns obs) to be accessible on 3000 to app=proxy");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn accessible_by_names_who_reaches_it() {
    let i = parsed(
        "Make the cache (app=memcached, namespace shop) only accessible by the web pods (app=web).",
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("memcached")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn a_pod_at_a_sentence_end_names_no_pod_after_it() {
    let e = refused(
        "The proxy listens on 8181 and takes all inbound traffic to the pod. backend should never receive traffic directly on 8080.",
    );
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn a_reason_that_opens_a_sentence_is_set_aside_up_to_its_comma() {
    let i = parsed(
        "the cache dir is writable today. since the app only needs to write in /data, block writes to /etc/app/ for app=notes in ns notes",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.dirs, ["/etc/app/"]);
}

#[test]
fn accessed_only_by_names_who_reaches_it() {
    let i = parsed(
        "The broker (app=kafka, namespace data) must be accessed only by the producers (app=producer) and the consumers (app=consumer) in the same namespace.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("kafka"));
    assert_eq!(i.resources.peers.len(), 2, "{:?}", i.resources.peers);
}

#[test]
fn a_pod_manifest_names_no_pod() {
    let e = refused(
        "block creation of YAML files in the kubelet's static pod manifest directory from the agent pods (app=agent, namespace ops)",
    );
    assert!(e.contains("which files"), "{e}");
}

#[test]
fn namespace_owners_are_people_not_a_namespace() {
    let i = parsed(
        "default guardrail: deny all ingress to every pod in the cluster by default, so namespace owners have to open what they need themselves",
    );
    assert!(i.scope.cluster_wide);
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all);
}

#[test]
fn namespaces_with_the_label_are_peers_by_namespace_label() {
    let i = parsed(
        "allow connections to app=db in namespace data only from pods with the label role=client in namespaces with the label team=blue",
    );
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(
        i.resources.peers[0]
            .namespace_labels
            .get("team")
            .map(String::as_str),
        Some("blue")
    );
}

#[test]
fn a_boolean_label_said_after_labelled_is_a_label() {
    let i = parsed(
        "for all pods in namespace game: allow incoming traffic from the namespaces labelled systemManaged=true",
    );
    assert_eq!(
        i.resources.peers[0]
            .namespace_labels
            .get("systemManaged")
            .map(String::as_str),
        Some("true")
    );
}

#[test]
fn a_system_calls_manual_section_is_no_port() {
    let i = parsed("alert whenever ptrace(2) is called in the app=api pods of namespace prod");
    assert_eq!(i.domain, Domain::Syscall);
    assert!(i.resources.ports.is_empty(), "{:?}", i.resources.ports);
    assert_eq!(i.resources.syscalls, ["ptrace"]);
}

#[test]
fn a_program_after_the_word_command_is_run() {
    let i = parsed("block execution of command wget in the app=ci pods of namespace build");
    assert_eq!(i.resources.binaries, ["/usr/bin/wget"]);
}

#[test]
fn a_calico_label_whose_key_is_a_verb_is_a_label() {
    let i = parsed(
        "Use a Calico GlobalNetworkPolicy to deny all ingress to the api pods (run == 'api').",
    );
    assert_eq!(i.scope.labels.get("run").map(String::as_str), Some("api"));
    assert!(!i.scope.labels.contains_key("app"), "{:?}", i.scope.labels);
}

#[test]
fn addresses_a_port_is_opened_to_reach_the_pods() {
    let i = parsed("port 8443 of app=admin (ns ops) should only be accessible to 10.8.0.0/16");
    assert_eq!(i.direction, Some(Direction::Ingress));
    let i = parsed(
        "the git server (app=git in namespace scm) should be exposed only to the VPN range: 10.9.0.0/24, on port 22",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.cidrs, ["10.9.0.0/24"]);
}

#[test]
fn a_known_directory_named_as_a_binary_is_the_program() {
    let i =
        parsed("only the /app binary may run in the app=api pods of namespace shop, nothing else");
    assert_eq!(i.resources.binaries, ["/app"]);
    assert!(i.resources.dirs.is_empty(), "{:?}", i.resources.dirs);
}

#[test]
fn edits_are_writes() {
    let i = parsed("deny edits to /etc/app/config.yaml in the app=api pods of namespace shop");
    assert!(i.resources.read_only);
}

#[test]
fn drop_all_capabilities_and_allow_only_one_is_an_allow_list() {
    let i = parsed("for app=web in namespace shop: drop ALL capabilities and allow only CHOWN");
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["chown"]);
}

#[test]
fn a_label_in_yaml_form_in_parentheses_names_the_pods_not_a_guess() {
    let i = parsed(
        "allow every pod of namespace shop to receive traffic from the gateway pods (app: gateway) in namespace edge",
    );
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("edge"));
}

#[test]
fn a_possessive_namespace_noun_gives_way_to_the_named_namespace() {
    let i = parsed(
        "do the same for our team namespace: block all ingress to every pod in namespace team-b",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("team-b"));
}

#[test]
fn an_except_after_our_own_nodes_carves_them_out() {
    let i = parsed(
        "all pods in namespace dev must not reach 10.0.0.0/8, except our own worker nodes at 10.1.2.0/27",
    );
    assert_eq!(i.resources.except_cidrs, ["10.1.2.0/27"]);
}

#[test]
fn a_protocol_in_a_capability_intent_is_context() {
    let i = parsed(
        "block NET_RAW for the app=orders pods in namespace shop: NET_RAW is required to generate packets not supported by the normal tcp/ip stack, such as ICMP, or traceroute.",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert!(
        i.resources.protocols.is_empty(),
        "{:?}",
        i.resources.protocols
    );
}

#[test]
fn any_other_access_blocked_is_the_allow_lists_posture() {
    let i = parsed(
        "for the vault pods (app=vault, namespace sec): /vault/data/ may only be accessed by /bin/vault, any other access is unauthorized and has to be blocked",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.sources, ["/bin/vault"]);
}

#[test]
fn a_known_directory_an_exec_verb_runs_is_the_program() {
    let i = parsed("the app=api pods in namespace shop should execute /app only");
    assert_eq!(i.resources.binaries, ["/app"]);
}

#[test]
fn a_port_in_parentheses_after_a_word_of_a_network_ask() {
    let i = parsed(
        "restrict ingress to the kafka pods (app=kafka, namespace mq) to clients (9092) and replication (9093)",
    );
    let ports = port_numbers(&i);
    assert_eq!(ports, [9092, 9093]);
}

#[test]
fn ports_joined_by_a_spaced_slash_are_a_list() {
    let i = parsed("allow the app=etcd pods in ns kv to talk to each other on 2379 / 2380");
    let ports = port_numbers(&i);
    assert_eq!(ports, [2379, 2380]);
}

#[test]
fn every_incoming_packet_is_all_of_that_direction() {
    let i = parsed(
        "Calico: log every incoming packet to the api pods (app=api in namespace shop); nothing is blocked",
    );
    assert_eq!(i.action, Action::Audit);
    assert!(i.resources.all);
}

#[test]
fn make_a_directory_read_only_blocks_writes() {
    let i = parsed(
        "The agent pods only need to read files. Make /var/lib/agent read-only for the agent DaemonSet (app=agent, namespace ops).",
    );
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.read_only);
}

#[test]
fn a_noun_glossed_with_a_kind_and_labels_is_no_guessed_label() {
    let i = parsed(
        "Add a deny-all egress NetworkPolicy for the builders (Deployment builder, app.kubernetes.io/component=builder, namespace ci).",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
}

#[test]
fn a_negative_purpose_that_names_nothing_is_background() {
    let i = parsed(
        "only the signer, /usr/local/bin/signer, may read /etc/keys/hmac.key in app=api pods of namespace pay, so that an exploit in the web server cannot leak it",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn a_system_namespace_after_in_needs_no_workload_before_it() {
    let i = parsed(
        "metrics-server in kube-system (k8s-app=metrics-server) may reach 10.0.0.0/8 on 10250",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("kube-system"));
}

#[test]
fn not_to_be_granted_blocks() {
    let i = parsed(
        "CAP_SYS_MODULE, which allows loading kernel modules, is not to be granted to the app=agent containers (namespace ops).",
    );
    assert_eq!(i.action, Action::Block);
}

#[test]
fn pods_in_a_different_namespace_that_cannot_access_are_the_posture() {
    let i = parsed(
        "all Pods in namespace tenant-red may only be accessed by Pods in the same namespace; Pods in a different namespace cannot access them.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn no_workload_is_permitted_is_a_block() {
    let i = parsed(
        "No workload in namespace billing is permitted to run a shell (/bin/sh or /bin/bash), because an attacker could get shell access to the container.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.domain, Domain::Process);
}

#[test]
fn the_whole_system_call_table_is_known() {
    let i = parsed(
        "watch the system calls setxattr, swapoff, sethostname and syslog in app=node-agent, namespace agents",
    );
    assert_eq!(i.domain, Domain::Syscall);
    assert_eq!(
        i.resources.syscalls,
        ["setxattr", "swapoff", "sethostname", "syslog"]
    );
    let i = parsed("deny mknodat and fsconfig to the app=csi pods in ns storage");
    assert_eq!(i.resources.syscalls, ["mknodat", "fsconfig"]);
}

#[test]
fn english_words_are_system_calls_only_when_written_as_calls() {
    let i = parsed("block the access() and stat(2) calls in app=x, ns y");
    assert_eq!(i.resources.syscalls, ["access", "stat"]);
    assert!(i.resources.ports.is_empty(), "{:?}", i.resources.ports);
    let i = parsed("audit ptrace and time in app=x, namespace y");
    assert_eq!(i.resources.syscalls, ["ptrace", "time"]);
    // "a seccomp syscall filter" is the filter, not the seccomp call.
    let e = refused("add a seccomp syscall filter to the app=x pods in ns y");
    assert!(e.contains("which system calls"), "{e}");
}

#[test]
fn a_block_the_text_rules_out_beside_an_audit_is_not_the_action() {
    let i = parsed("record every exec of /usr/bin/nc in app=edge, ns dmz; don't block it yet");
    assert_eq!(i.action, Action::Audit);
    let i =
        parsed("alert on writes under /srv/www for app=site in namespace web but do not deny them");
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.domain, Domain::File);
}

#[test]
fn flag_asks_for_an_audit() {
    let i = parsed("flag every write under /etc/cron.d/ in app=scheduler, namespace batch");
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.domain, Domain::File);
    // The noun is no ask, nor is "flag if …" (tell the writer).
    let e = refused("set the feature flag for app=scheduler in namespace batch");
    assert!(e.contains("what to do") || e.contains("which"), "{e}");
    let i = parsed(
        "allow ingress to app=web in namespace web from app=prom on 8000 (flag if any of these are wrong)",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn programs_named_after_by_and_then_given_as_paths_are_the_sources() {
    let i = parsed(
        "audit reads of /etc/ssl/private/ by openssl and curl (/usr/bin/openssl, /usr/bin/curl) in app=edge, ns dmz",
    );
    assert_eq!(i.resources.sources, ["/usr/bin/openssl", "/usr/bin/curl"]);
    assert_eq!(i.resources.dirs, ["/etc/ssl/private/"]);
}

#[test]
fn what_a_program_invoked_or_started_runs_has_it_as_source() {
    let i = parsed(
        "alert on /usr/bin/curl invoked from the worker process /usr/local/bin/celery in app=tasks, namespace jobs",
    );
    assert_eq!(i.resources.binaries, ["/usr/bin/curl"]);
    assert_eq!(i.resources.sources, ["/usr/local/bin/celery"]);
}

#[test]
fn a_name_glossing_a_port_keeps_the_port_list_going() {
    let i = parsed(
        "app=gateway in ns edge: ingress only 9443 (admin-api) + 9090 (metrics exporter), from app=ops",
    );
    let ports = port_numbers(&i);
    assert_eq!(ports, [9443, 9090]);
    // A gloss that names a service adds no IANA port of its own.
    let i = parsed("allow ingress to app=x in ns y on 8443 (https) and 9000");
    let ports = port_numbers(&i);
    assert_eq!(ports, [8443, 9000]);
    // Protocols in the parenthesis still count.
    let i = parsed("allow egress from app=x in ns y to port 5353 (UDP and TCP)");
    assert_eq!(i.resources.ports.len(), 2, "{:?}", i.resources.ports);
}

#[test]
fn what_the_ask_leaves_as_it_is_bounds_it() {
    let i = parsed(
        "namespace billing, all pods: deny all egress. ingress remains open (the LB must still reach them)",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.resources.all);
    let i = parsed(
        "app=api in ns shop must drop egress to 10.0.0.0/8; all other traffic stays allowed",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.cidrs, ["10.0.0.0/8"]);
    let i = parsed("block writes under /opt/app/ for app=api in ns shop. reads are fine");
    assert!(i.resources.read_only);
}

#[test]
fn without_blocking_anything_is_no_block() {
    let i = parsed(
        "log each incoming connection of the db pods (app=db, ns data), without blocking any of them",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_request_in_chat_is_the_ask_and_what_follows_its_question_mark_background() {
    let i = parsed(
        "could you please audit exec of /usr/bin/scp in the bastion pods (app=bastion, ns ops)? today nobody would ever block it or know.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.binaries, ["/usr/bin/scp"]);
}

#[test]
fn an_obligation_in_the_passive_asks_when_nothing_else_does() {
    let i = parsed(
        "The exploit needs outbound HTTP to attacker hosts on the internet. Thus egress of the worker pods (app=worker, namespace jobs) needs to be limited to the queue (app=rabbitmq) on 5672.",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn labels_given_after_the_pods_noun_replace_the_guess_from_the_name() {
    let i =
        parsed("the cache pods labelled tier=memcached in namespace shop may only accept 11211");
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert_eq!(i.scope.labels["tier"], "memcached");
    let i = parsed(
        "the batch worker pods (team.io/role=batch, namespace jobs) may only send egress to app=queue on 5672",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert_eq!(i.scope.labels["team.io/role"], "batch");
}

#[test]
fn a_word_describing_the_namespace_the_keyword_names_is_no_namespace() {
    let i = parsed("block CAP_NET_RAW for all pods in project namespace proj-blue");
    assert_eq!(i.scope.namespace.as_deref(), Some("proj-blue"));
    // The gloss's namespace labels say which namespaces.
    let i = parsed(
        "allow ingress to app=api in namespace shop from the edge namespace (namespaces labelled zone=edge) on 443",
    );
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert_eq!(i.resources.peers[0].namespace, None);
    assert_eq!(i.resources.peers[0].namespace_labels["zone"], "edge");
}

#[test]
fn the_tenants_namespace_is_the_policys_own() {
    let i = parsed(
        "tenant namespace acme (all pods): deny all ingress into the tenant namespace, then allow ingress from pods within the tenant's namespace",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("acme"));
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert_eq!(i.resources.peers[0].namespace, None);
    assert!(i.resources.peers[0].labels.is_empty());
}

#[test]
fn a_conclusion_that_denies_in_the_passive_is_the_ask() {
    let i = parsed(
        "a compromised pod can load kernel modules and escape, so CAP_SYS_MODULE must be denied to the app=agent pods in namespace infra",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.capabilities, ["sys_module"]);
}

#[test]
fn yaml_labels_glossing_the_pods_replace_the_name_and_mark_the_subject() {
    let i =
        parsed("Don't let the runner pods (component: ci-runner, namespace ci) reach 10.0.0.0/8");
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    assert_eq!(i.scope.labels["component"], "ci-runner");
    // "Only the … pods (k: v) may send to …": they are the peer.
    let i = parsed(
        "Only the batch api pods (app.kubernetes.io/component: api) may send requests to the queue pods (app.kubernetes.io/component: queue, namespace jobs) over port 5672",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.labels["app.kubernetes.io/component"], "queue");
}

#[test]
fn typing_slips_in_keywords_are_read_as_the_keyword_and_said() {
    let p = kubescribe_intent::parse_intent(
        "pls alow ingres to app=web in namepsace shop from app=lb on 8080",
    )
    .unwrap();
    assert_eq!(p.intent.action, Action::Allow);
    assert_eq!(p.intent.direction, Some(Direction::Ingress));
    assert_eq!(p.intent.scope.namespace.as_deref(), Some("shop"));
    assert!(
        p.assumptions
            .iter()
            .any(|a| a.contains("\"alow\" read as \"allow\"")),
        "{:?}",
        p.assumptions
    );
    // Values keep their spelling; English words near a keyword stay.
    let i = parsed("block egress from app=alow in ns egres to 10.0.0.0/8");
    assert_eq!(i.scope.labels["app"], "alow");
    assert_eq!(i.scope.namespace.as_deref(), Some("egres"));
}

#[test]
fn a_block_of_a_bare_kind_except_some_is_an_allow_list() {
    let i = parsed("app=db in namespace data: block ingress traffic except from app=api");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.resources.peers[0].labels["app"], "api");
}

#[test]
fn a_gloss_that_says_it_names_the_ports_adds_none() {
    let i = parsed(
        "the search pods (app=search, ns data) should only accept 9200 and 9300 (the HTTP and transport ports) from app=kibana",
    );
    let ports = port_numbers(&i);
    assert_eq!(ports, [9200, 9300]);
}

#[test]
fn the_program_of_a_relative_clause_runs_what_it_spawns() {
    let i = parsed(
        "audit every /usr/bin/nc or /bin/sh that postgres (/usr/lib/postgresql/bin/postgres) spawns in app=db, namespace data",
    );
    assert_eq!(i.resources.sources, ["/usr/lib/postgresql/bin/postgres"]);
    assert_eq!(i.resources.binaries, ["/usr/bin/nc", "/bin/sh"]);
}
