//! Rules of the intent parser found on blind batches of operators' own
//! words (the evaluation set's `p-`, `o-`, `n-` and `m-` batches: Antrea
//! and Datadog texts, GitHub threads kept near verbatim, Kubescape
//! controls): allow-list postures said around a deny, infinitives,
//! addresses reached, Docker flags, labels before a colon, names in network
//! intents. Each test states the rule with phrasings of its own (not the
//! evaluation cases'), and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain, Protocol};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn a_service_qualifying_connections_asks_for_its_port() {
    // "SSH connections", "IRC traffic": the service names the traffic, and
    // no port is guessed for it.
    assert!(
        refused("app=chat in namespace irc must not make outbound IRC connections")
            .contains("which port")
    );
    assert!(refused("block SSH traffic to app=db in namespace data").contains("which port"));
    // With its port said, the port is what the rule governs.
    let i = parsed("block outbound IRC connections on TCP 6667 from app=bot in namespace chat");
    assert_eq!(i.resources.ports[0].port, 6667);
}

#[test]
fn a_system_call_or_executable_that_lets_something_happen_is_described_not_permitted() {
    let i = parsed(
        "ptrace lets a process read another's memory: block the ptrace system call for app=api in namespace prod",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.domain, Domain::Syscall);
    let i = parsed(
        "/usr/bin/nsenter allows an attacker to enter the host's namespaces, so deny /usr/bin/nsenter for app=ops in namespace tools",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.binaries, ["/usr/bin/nsenter"]);
    // A workload that lets something happen is still a permission.
    let i = parsed("let app=web in namespace shop reach app=db on TCP 5432");
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn capabilities_dropped_but_one_added_back_is_an_allow_list_of_it() {
    // It was read as "block NET_BIND_SERVICE": the one capability meant to stay.
    for text in [
        "drop all capabilities except NET_BIND_SERVICE for app=api in namespace prod",
        "app=api in namespace prod: drop ALL capabilities, add NET_BIND_SERVICE",
        "pods of app=api (namespace prod) drop all capabilities and only add back CAP_CHOWN",
    ] {
        let i = parsed(text);
        assert_eq!(i.action, Action::Allow, "{text}");
        assert_eq!(i.domain, Domain::Capability, "{text}");
        assert_eq!(i.resources.capabilities.len(), 1, "{text}");
    }
    // Dropping one stays a block; dropping all is said as all, not asked
    // "which capabilities?".
    let i = parsed("drop NET_RAW for app=api in namespace prod");
    assert_eq!(i.action, Action::Block);
    let i = parsed("drop all capabilities for app=api in namespace prod");
    assert_eq!((i.action, i.resources.all), (Action::Block, true));
}

#[test]
fn nobody_else_reaching_a_workload_protects_it() {
    // "nothing else may reach httpbin": the workload reached is the one
    // the allow-list protects, as after "only app=web may connect to …".
    for text in [
        "Let app=client pods (namespace web) talk to app=api on port 9000 -- nothing else may reach the api",
        "allow app=client to connect to app=api on TCP 9000 in namespace web; nobody else can connect to it",
        "app=client may reach app=api on TCP 9000 in namespace web and no one else may access app=api",
    ] {
        let i = parsed(text);
        assert_eq!(
            i.scope.labels.get("app").map(String::as_str),
            Some("api"),
            "{text}"
        );
        assert_eq!(i.scope.namespace.as_deref(), Some("web"), "{text}");
        assert_eq!(i.direction, Some(Direction::Ingress), "{text}");
        assert_eq!(
            i.resources.peers.len(),
            1,
            "{text}: {:?}",
            i.resources.peers
        );
        assert_eq!(
            i.resources.peers[0].labels.get("app").map(String::as_str),
            Some("client")
        );
    }
    // "… and nothing else" after the object keeps the subject's egress.
    let i = parsed("app=client in namespace web may reach app=api on TCP 9000 and nothing else");
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn an_address_the_pods_access_is_egress() {
    for text in [
        "block app=batch in namespace jobs from accessing 10.20.0.0/16",
        "deny access to the metadata server 169.254.169.254 for all pods in namespace jobs",
        "pods labelled app=batch (namespace jobs) must not query the internal resolver at 10.0.0.10",
    ] {
        let i = parsed(text);
        assert_eq!(i.direction, Some(Direction::Egress), "{text}");
    }
    // An address the traffic comes from stays ingress.
    let i = parsed("block access from 10.20.0.0/16 to app=batch in namespace jobs");
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn an_infinitive_to_names_no_side_of_a_connection() {
    // "the correct way to forbid all pods …": no "to" cue on the pods
    // (they were read as the side traffic goes to: ingress).
    let i = parsed(
        "How do I find the right way to forbid all pods in namespace jobs to reach 10.20.0.0/16?",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(i.scope.all_pods);
    let i = parsed("I want to block every pod of namespace jobs from reaching 10.20.0.0/16");
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn ports_listed_with_a_slash_are_each_a_port() {
    let i =
        parsed("deny inbound connections to the VNC port (5900/5901) of app=desk in namespace vdi");
    let ports = port_numbers(&i);
    assert_eq!(ports, [5900, 5901]);
    // A port and its protocol keep their meaning.
    let i = parsed("allow 53/udp to app=dns in namespace infra");
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].protocol, Protocol::Udp);
}

#[test]
fn a_resource_noun_after_in_namespace_is_its_name() {
    // "in namespace files" named no namespace: the intent lost it.
    let i = parsed("block ingress on TCP 21 to app=ftp in namespace files");
    assert_eq!(i.scope.namespace.as_deref(), Some("files"));
}

#[test]
fn shutting_access_is_blocking_it() {
    let i = parsed("shut all ingress to app=db in namespace data");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn limiting_the_blast_radius_is_a_purpose_not_an_allow() {
    let i = parsed(
        "Worker pods (app=worker, namespace jobs) need egress controls to limit the blast radius of a breach. Allow TCP 443 to 10.0.0.0/8, deny all other egress",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, ["10.0.0.0/8"]);
}

#[test]
fn deny_all_other_traffic_is_the_allow_lists_posture() {
    let i = parsed("app=api in namespace shop: allow UDP 53, deny all other egress");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(!i.resources.all);
}

#[test]
fn access_to_an_api_or_service_asks_which_traffic() {
    let e = refused("Block access to the cloud metadata API for app=web pods in namespace shop");
    assert!(e.contains("which traffic"), "{e}");
    // Access to something unnamed otherwise still asks for files.
    let e = refused("block access to the secrets for app=web in namespace shop");
    assert!(e.contains("which files"), "{e}");
}

#[test]
fn a_program_named_in_a_network_intent_describes_the_traffic() {
    // "ping", "SSH server": the program's name is no executable rule of a
    // network intent (it made the intent unsynthesizable).
    let i = parsed(
        "A netcat listener that is running in a pod can be used as a backdoor: block incoming connections on TCP 4444 to app=bastion in namespace ops",
    );
    assert_eq!(i.domain, Domain::Network);
    assert!(
        i.resources.binaries.is_empty(),
        "{:?}",
        i.resources.binaries
    );
    assert_eq!(i.resources.ports[0].port, 4444);
    let i = parsed(
        "log outbound ICMP of app=probe in namespace ops -- for instance somebody running ping",
    );
    assert!(
        i.resources.binaries.is_empty(),
        "{:?}",
        i.resources.binaries
    );
}

#[test]
fn deny_all_traffic_but_allow_is_an_allow_list() {
    // It was refused as a contradiction ("both allow and deny").
    let i =
        parsed("deny all ingress to app=cache in namespace data but allow app=worker on TCP 6379");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("cache"));
    assert_eq!(i.resources.peers.len(), 1);
    assert!(!i.resources.all);
    let i = parsed(
        "block all outgoing traffic from app=worker in namespace data, but allow TCP 443 to 10.0.0.0/8",
    );
    assert_eq!(
        (i.action, i.direction),
        (Action::Allow, Some(Direction::Egress))
    );
    assert_eq!(i.resources.cidrs, ["10.0.0.0/8"]);
    // Allow-all with a carved-out deny keeps its deny part.
    let i = parsed("allow all egress from app=worker in namespace data but block 10.0.0.0/8");
    assert!(i.resources.all);
    assert_eq!(
        i.deny.map(|d| d.cidrs),
        Some(vec!["10.0.0.0/8".to_string()])
    );
}

#[test]
fn traffic_not_destined_for_x_is_an_exception() {
    let i = parsed(
        "this policy blocks all egress not bound for the kube-apiserver for every pod in namespace jobs",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.entities.len(), 1);
}

#[test]
fn a_deny_of_other_traffic_beside_an_allow_is_the_posture() {
    let i = parsed(
        "* allow traffic from app=api to app=db in namespace data on TCP 5432\n* the policy denies non-whitelisted traffic",
    );
    assert_eq!(i.action, Action::Allow);
    let i = parsed(
        "Lets every pod in namespace data receive traffic from the pods of the same namespace (denies inbound traffic to every pod in namespace data from other namespaces)",
    );
    assert_eq!(i.action, Action::Allow);
    // The parenthesis restates the edge: no peer of its own.
    assert_eq!(i.resources.peers.len(), 1, "{:?}", i.resources.peers);
    assert!(i.resources.peers[0].namespace.is_none());
}

#[test]
fn a_reason_that_opens_its_sentence_ends_at_its_comma() {
    let i = parsed(
        "Note: Since policies are enforced, only pods with label role=client can connect to this database (app=pg, namespace data).",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("pg"));
}

#[test]
fn host_before_a_process_noun_is_no_network_entity() {
    let i = parsed(
        "nsenter_escape: Detects /usr/bin/nsenter targeting PID 1 (host init) in app=ci pods of namespace build -- entering the host process namespace is an escape attempt",
    );
    assert_eq!(i.domain, Domain::Process);
    assert!(i.resources.entities.is_empty());
}

#[test]
fn a_peer_of_every_pod_of_the_namespace_is_restated() {
    let i =
        parsed("allow ingress for all pods in namespace data from all pods in the same namespace");
    let text = kubescribe_intent::restate(&i);
    assert!(
        text.ends_with("from all pods in the same namespace"),
        "{text}"
    );
    assert_eq!(parsed(&text), i);
}

#[test]
fn not_able_to_and_disallowing_block() {
    let i = parsed(
        "make sure the service user is not able to write to /srv/static/ (app=site, namespace www)",
    );
    assert_eq!(i.action, Action::Block);
    let i = parsed("app=site in namespace www should be unable to read /etc/shadow");
    assert_eq!(i.action, Action::Block);
    let i = parsed("consider disallowing unshare for app=site in namespace www");
    assert_eq!((i.action, i.domain), (Action::Block, Domain::Syscall));
}

#[test]
fn dockers_capability_flags_are_understood() {
    let i = parsed("run app=site in namespace www with --cap-drop=ALL --cap-add=CHOWN");
    assert_eq!((i.action, i.domain), (Action::Allow, Domain::Capability));
    assert_eq!(i.resources.capabilities, ["chown"]);
    let i = parsed("--cap-drop=NET_RAW for app=site in namespace www");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.capabilities, ["net_raw"]);
}

#[test]
fn nothing_else_on_the_internet_is_the_edge_not_a_peer() {
    let i = parsed(
        "app=bot in namespace chat may reach only api.example.com and nothing else on the internet",
    );
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    assert_eq!(i.resources.fqdns, ["api.example.com"]);
}

#[test]
fn unnamed_application_ports_ask_which_port() {
    let e =
        refused("allow traffic from app=web to app=api on the application ports in namespace shop");
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn ping_between_workloads_is_icmp() {
    let i = parsed("Block ping from app=probe in namespace ops to the db node 10.0.0.40");
    assert_eq!(i.resources.protocols, [Protocol::Icmp]);
    assert_eq!(i.resources.cidrs, ["10.0.0.40/32"]);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert!(
        i.resources.entities.is_empty(),
        "{:?}",
        i.resources.entities
    );
    // The executable stays an executable.
    let i = parsed("block /bin/ping for app=probe in namespace ops");
    assert_eq!(i.domain, Domain::Process);
}

#[test]
fn a_word_before_a_colon_is_a_label_key_only_when_it_is_one() {
    // "something like: AllowExec …" gave the label like=AllowExec.
    let i = parsed(
        "My pods (app=httpd, namespace web) are simple and I want to do something like: AllowExec /usr/sbin/httpd, DenyExec all other executable files",
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope.labels);
    let i = parsed("allow reads of /srv/ for pods (tier: frontend) in namespace web");
    assert_eq!(
        i.scope.labels.get("tier").map(String::as_str),
        Some("frontend")
    );
}

#[test]
fn io_uring_register_is_a_system_call() {
    let i = parsed("block io_uring_setup and io_uring_register for app=api in namespace prod");
    assert_eq!(i.resources.syscalls.len(), 2);
}

#[test]
fn a_name_is_only_ever_a_destination() {
    // "to sandbox an application (…)": an infinitive and its object, no
    // "to" side; and an FQDN peer makes the rule egress.
    let i = parsed(
        "We use Cilium to sandbox an application (app=agent in namespace ai): it may connect only to api.example.com",
    );
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.fqdns, ["api.example.com"]);
}

#[test]
fn adding_rules_allows_what_they_name() {
    let i = parsed("Add an ingress rule for TCP 9090 from app=prom to app=api in namespace mon");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.ports[0].port, 9090);
    // A rule that says what it does keeps its action.
    let i = parsed("add a rule that blocks TCP 22 to app=api in namespace mon");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn shutting_a_workload_in_beside_an_allow_is_the_allow_list() {
    // Refused as a contradiction ("lock down" and "allow") before.
    let i = parsed(
        "Title: lock down memcached\n- target: app=memcached (ns cache)\n- allow: app=web on 11211/tcp\n- everything else: denied",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("memcached")
    );
    let i = parsed("isolate app=memcached in namespace cache but allow app=web on TCP 11211");
    assert_eq!(
        (i.action, i.direction),
        (Action::Allow, Some(Direction::Ingress))
    );
    // Alone, isolating is a default deny both ways.
    let i = parsed("isolate app=memcached in namespace cache");
    assert_eq!(
        (i.action, i.direction),
        (Action::Block, Some(Direction::Both))
    );
}

#[test]
fn a_generic_word_before_pods_names_no_workload() {
    // "the application pods" gave app=application beside the real label.
    let i = parsed(
        "only the application pods labelled app=client in namespace shop may connect to app=db on TCP 5432",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("db"));
    assert_eq!(i.resources.peers.len(), 1);
    let i = parsed("block /bin/sh in the nginx pods of namespace web");
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("nginx"));
}
