//! Rules of the intent parser found on the `l-`, `k-`, `g-` and `h-` blind
//! batches (network and runtime asks in GitHub threads, Q&A and blog posts,
//! READMEs, kept near verbatim): background sentences around the ask, engines named in passing,
//! "allow all … except", reciprocal traffic, securityContext fragments,
//! contractions, kinds of programs. Each test states the rule with phrasings
//! of its own (not the evaluation cases') and fails without it.

mod parse_helpers;

use kubescribe_core::engine::Engine;
use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, port_numbers, refused};

#[test]
fn one_imperative_sentence_among_background_is_the_intent() {
    // The story's ports, namespaces and verbs describe the situation.
    let i = parsed(
        "We run Grafana in namespace dashboards and it cannot load panels. The chart opens only ports 3000 and 3001. Allow ingress to app=loki (namespace logs) on port 3100 from namespace dashboards",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.namespace.as_deref(), Some("logs"));
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.ports[0].port, 3100);
    assert_eq!(
        i.resources.peers[0].namespace.as_deref(),
        Some("dashboards")
    );
    // Where the ask needs another sentence (its namespace), the whole text is read.
    let i = parsed("Block /usr/bin/curl for app=web. The pods run in namespace shop.");
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
}

#[test]
fn the_platforms_name_picks_no_engine_but_a_policy_kind_in_words_does() {
    // "the K8s API server" names the platform: the entity needs an engine
    // that can express it (it pinned Kubernetes NetworkPolicy, which cannot).
    let i = parsed("app=ci in namespace build may only reach the K8s API server");
    assert_eq!(i.engine, None);
    let i =
        parsed("write a Kubernetes network policy: app=web in namespace shop accepts only TCP 80");
    assert_eq!(i.engine, Some(Engine::Kubernetes));
    let i = parsed(
        "a Global Network Policy that blocks egress to 10.9.0.0/16 for app=web in namespace shop",
    );
    assert_eq!(i.engine, Some(Engine::Calico));
    let i = parsed(
        "with projectcalico policies, deny egress to 10.9.0.0/16 for app=web in namespace shop",
    );
    assert_eq!(i.engine, Some(Engine::Calico));
}

#[test]
fn addresses_given_for_an_entity_are_what_is_named() {
    let i = parsed(
        "allow egress to the API server endpoints (10.20.0.5, 10.20.0.6) on TCP 6443 for app=ci in namespace build",
    );
    assert!(i.resources.entities.is_empty());
    assert_eq!(i.resources.cidrs, ["10.20.0.5/32", "10.20.0.6/32"]);
}

#[test]
fn allow_all_except_blocks_the_exception() {
    // It allowed exactly what was to be shut out.
    let i =
        parsed("allow all outbound traffic except to 192.168.0.0/16 for app=api in namespace prod");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.cidrs, ["192.168.0.0/16"]);
    assert!(!i.resources.all);
    let i = parsed("app=api in namespace prod may connect anywhere except port 25");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.ports[0].port, 25);
    // "anywhere" alone is all of it.
    let i = parsed("let app=api in namespace prod send traffic anywhere");
    assert_eq!(i.action, Action::Allow);
    assert!(i.resources.all);
    // The deny form stays an allow-list.
    let i =
        parsed("deny all outbound traffic except to 192.168.0.0/16 for app=api in namespace prod");
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn pods_that_talk_to_each_other_are_their_own_peers() {
    let i = parsed("let the pods of namespace lab talk to each other");
    assert!(i.scope.all_pods);
    assert_eq!(i.scope.namespace.as_deref(), Some("lab"));
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers.len(), 1);
    assert!(i.resources.peers[0].labels.is_empty());
    let i = parsed("app=worker pods in namespace jobs may reach one another on TCP 7946");
    assert_eq!(i.resources.peers[0].labels["app"], "worker");
    assert_eq!(i.resources.ports[0].port, 7946);
    // Beside a shut-in, what "can" happen is the allow-list.
    let i = parsed("Isolate namespace lab; the pods in it can still talk to each other");
    assert_eq!(i.action, Action::Allow);
    assert!(i.scope.all_pods);
}

#[test]
fn another_namespace_names_none() {
    let i = parsed(
        "our collector in a different namespace cannot reach it: allow ingress to app=api (namespace prod) on 9100 from namespace otel",
    );
    assert_eq!(i.resources.peers.len(), 1);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("otel"));
}

#[test]
fn executables_access_is_granted_to_act_on_the_files() {
    let i = parsed(
        "limit /srv/keys/ access solely to the signer (/opt/sign/bin/signer) for app=sign in namespace pki",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.sources, ["/opt/sign/bin/signer"]);
    assert_eq!(i.resources.dirs, ["/srv/keys/"]);
}

#[test]
fn slash_joined_verbs_are_each_a_verb() {
    let i = parsed("block create/modify access to /etc/crontab for app=web in namespace shop");
    assert!(i.resources.read_only, "writes only");
    let i = parsed("audit read/write access to /etc/crontab for app=web in namespace shop");
    assert!(!i.resources.read_only);
}

#[test]
fn a_clause_after_a_colon_is_no_label_value() {
    let i = parsed("scenario: when ptrace is called in app=api pods of namespace prod, alert");
    assert_eq!(i.scope.labels.len(), 1);
    assert_eq!(i.scope.labels["app"], "api");
}

#[test]
fn contractions_negate() {
    let i = parsed(
        "/usr/bin/python3 shouldn't be allowed to execute /bin/sh for app=ml in namespace lab",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.sources, ["/usr/bin/python3"]);
    assert_eq!(i.resources.binaries, ["/bin/sh"]);
    let i = parsed("app=ml pods in namespace lab mustn't run /usr/bin/nc");
    assert_eq!(i.action, Action::Block);
}

#[test]
fn a_kind_of_program_is_not_its_name() {
    let i = parsed(
        "block running interpreters (/usr/bin/python3, /usr/bin/perl) and shells (/bin/sh) in app=web, namespace shop",
    );
    assert_eq!(
        i.resources.binaries,
        ["/usr/bin/python3", "/usr/bin/perl", "/bin/sh"]
    );
    let i = parsed("prevent spawning shells (/bin/sh, /bin/dash) in app=web, namespace shop");
    assert_eq!(i.resources.binaries, ["/bin/sh", "/bin/dash"]);
}

#[test]
fn a_security_context_fragment_is_an_allow_list() {
    let i = parsed(
        "for app=vpn in namespace edge: securityContext: capabilities: drop: [ALL] add: [NET_ADMIN]",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["net_admin"]);
}

#[test]
fn an_entity_word_outside_a_network_intent_is_prose() {
    // "on the host" described where the program works; it made the intent
    // unsynthesizable.
    let i =
        parsed("app=agent in namespace ops manages routes on the host; drop CAP_SYS_MODULE for it");
    assert_eq!(i.domain, Domain::Capability);
    assert!(i.resources.entities.is_empty());
}

#[test]
fn a_service_given_by_its_address_is_the_address() {
    // "the metadata service at …" gave the peer label app=metadata.
    let i = parsed(
        "an attacker in app=shop pods (namespace web) could wget the credentials service at 169.254.170.2: block that",
    );
    assert!(i.resources.peers.is_empty());
    assert_eq!(i.resources.cidrs, ["169.254.170.2/32"]);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.action, Action::Block);
}

#[test]
fn not_allowing_negates() {
    let i =
        parsed("app=ledger in namespace bank answers requests, not allowing any outbound traffic");
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
}

#[test]
fn only_pods_with_this_label_are_the_allowed_peers() {
    let i = parsed(
        "only pods with this label (role=reporter) may reach my warehouse (app=dwh, namespace bi) on port 5439",
    );
    assert_eq!(i.scope.labels["app"], "dwh");
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.peers[0].labels["role"], "reporter");
}

#[test]
fn inside_their_namespace_after_a_verb_of_reaching_is_their_own() {
    let i = parsed(
        "can I restrict pods to only reach pods inside their namespace (every pod in namespace lab)?",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("lab"));
    assert!(i.scope.all_pods);
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.peers.len(), 1);
    assert!(i.resources.peers[0].labels.is_empty());
    assert_eq!(i.resources.peers[0].namespace, None);
}

#[test]
fn the_ask_among_background_takes_the_engine_the_background_names() {
    let i = parsed(
        "FQDN policies in Cilium let you filter by name. Allow app=ci in namespace build to reach ghcr.io on 443.",
    );
    assert_eq!(i.engine, Some(Engine::Cilium));
    assert_eq!(i.resources.fqdns, ["ghcr.io"]);
}

#[test]
fn asks_open_with_lead_words_gerunds_or_a_modal_restriction() {
    let i = parsed(
        "Every pod can reach every other pod by default, so a compromised pod in namespace dev can reach prod. Start by denying all ingress to the payments namespace.",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("payments"));
    assert!(i.scope.all_pods);
    assert_eq!(i.action, Action::Block);
    let i = parsed(
        "Containers should be immutable. A Redis container (app=cache, namespace data) should only run Redis (/usr/local/bin/redis-server). An attacker will try bash or sh first.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, ["/usr/local/bin/redis-server"]);
}

#[test]
fn protecting_by_allowing_only_is_the_allow_list() {
    let i = parsed(
        "we protect the cache (app=redis, namespace data) by allowing only app=worker to reach it on 6379",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.scope.labels["app"], "redis");
    assert_eq!(i.resources.peers[0].labels["app"], "worker");
}

#[test]
fn the_action_said_as_a_command_decides_between_clauses() {
    // The allow is background in another clause; the command is the ask.
    let i = parsed(
        "Runtimes grant SYS_CHROOT by default to allow old init scripts to work: drop it for app=web in namespace shop",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.capabilities, ["sys_chroot"]);
    // In one clause it stays a contradiction.
    assert!(
        refused("Block and allow TCP 22 into app=admin in namespace ops").contains("contradiction")
    );
}

#[test]
fn words_that_describe_are_no_resources_or_actions() {
    // "host directories" are directories, not the host entity.
    let i = parsed(
        "audit writes to sensitive host directories like /etc/ and /usr/bin/ in app=agent, namespace ops",
    );
    assert_eq!(i.domain, Domain::File);
    assert!(i.resources.entities.is_empty());
    // "is never changed" describes; it blocks nothing.
    let e = refused(
        "Egress is open by default and that default is never changed. For app=api in namespace prod we restrict outbound traffic to trusted destinations.",
    );
    assert!(e.contains("which traffic"), "{e}");
    // "networkPolicy.allowExternal" is a configuration key, not a DNS name.
    let e = refused("allow egress to networkPolicy.allowExternal for app=x in namespace y");
    assert!(e.contains("which traffic"), "{e}");
}

#[test]
fn destinations_and_ports_said_without_values_are_asked_for() {
    let e = refused("app=api in namespace prod may only reach approved domains");
    assert!(e.contains("which traffic"), "{e}");
    let e = refused(
        "app=db in namespace data accepts connections from app=api only on the ports used by MySQL",
    );
    assert!(e.contains("which port"), "{e}");
}

#[test]
fn a_capabilities_key_from_yaml_is_its_verb() {
    let i = parsed(
        "Adds `capabilities.drop: [ALL]` to app=proxy (namespace edge), with NET_ADMIN added back.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["net_admin"]);
}

#[test]
fn a_program_named_as_an_example_is_no_capability_rules_executable() {
    let i = parsed(
        "NET_RAW is granted so that tools like ping work; drop NET_RAW for app=web in namespace shop",
    );
    assert_eq!(i.domain, Domain::Capability);
    assert!(i.resources.binaries.is_empty());
}

#[test]
fn everyone_else_being_denied_is_the_allow_lists_edge() {
    // "non-X cannot connect" after "only X may …" was read as a block.
    let i = parsed(
        "only pods in namespaces labelled tier=web may connect to app=cache in namespace data on 6379, non-web pods cannot connect",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.scope.labels["app"], "cache");
}

#[test]
fn opening_a_shell_runs_it_and_a_capitalised_slash_is_prose() {
    let i = parsed(
        "The image ships /bin/sh and /bin/ash. It must not open a shell (app=api pods, namespace prod)",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.resources.binaries, ["/bin/sh", "/bin/ash"]);
    let i = parsed("Design /Review notes: block /usr/bin/nc for app=api in namespace prod");
    assert!(i.resources.paths.is_empty());
    assert_eq!(i.resources.binaries, ["/usr/bin/nc"]);
}

#[test]
fn rules_from_the_e_and_f_batches() {
    // An arrow between workloads is "to".
    let i = parsed("allow egress: api (app=api, namespace shop) -> db (role=db) on port 5432");
    assert_eq!(i.scope.labels["app"], "api");
    assert_eq!(i.direction, Some(Direction::Egress));
    assert_eq!(i.resources.peers[0].labels["role"], "db");
    // A policy added allows; a service name still asks for its port.
    let e = refused("add redis netpol egress for app=worker in namespace jobs");
    assert!(e.contains("which port"), "{e}");
    // An aside after "namespace" names none; a lone name in parentheses does.
    let i = parsed(
        "app=db accepts TCP 5432 from pods in the same namespace (service calls) and from namespace ops, namespace data",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("data"));
    // Archaic modals, YAML label lists, describing words.
    let i = parsed("app=agent in namespace ops shalt not run /usr/bin/curl");
    assert_eq!(i.action, Action::Block);
    let i = parsed(
        "for pods with labels app: hub, component: worker allow egress to 10.0.0.0/8 in namespace jh",
    );
    assert_eq!(i.scope.labels["component"], "worker");
    let i = parsed(
        "in my running distroless container (app=api, namespace prod) block /usr/bin/podman",
    );
    assert_eq!(i.resources.binaries, ["/usr/bin/podman"]);
    // A lock-down of named files is a file rule; a program named while
    // auditing files is an example.
    let i =
        parsed("lock down the config: /etc/app/ must not be modified in app=api, namespace prod");
    assert_eq!(i.domain, Domain::File);
    let i = parsed(
        "audit changes to /etc/passwd in app=api, namespace prod, e.g. someone editing it with vim",
    );
    assert!(i.resources.binaries.is_empty());
    let i = parsed("block kcmp and ptrace for app=api in namespace prod");
    assert_eq!(i.resources.syscalls, ["kcmp", "ptrace"]);
}

#[test]
fn lists_and_asides_inside_a_rule() {
    // A parenthesis opened in a port list stays one.
    let i = parsed(
        "app=ci in namespace build: egress to the world only on whitelisted ports (80 and 443 for web, 9418 for git)",
    );
    let ports = port_numbers(&i);
    assert_eq!(ports, [80, 443, 9418]);
    // "… from namespace X (aside) and pods in the same namespace": two peers.
    let i = parsed(
        "app=api in namespace prod accepts traffic from the gateway in the edge namespace (north-south traffic) and pods in the same namespace",
    );
    assert_eq!(i.resources.peers.len(), 2);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("edge"));
    assert_eq!(i.resources.peers[1].namespace, None);
    // "no executables besides X": an allow-list of X.
    let i = parsed("app=job in namespace batch must not run any executables besides /app/run");
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.binaries, ["/app/run"]);
}

#[test]
fn rules_from_the_d_batch() {
    // "anything but X" is an exception, as "anything except X" is.
    let i = parsed(
        "deny ingress to all pods in namespace web from anything but the ingress controllers (namespace ingress)",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("ingress"));
    // A purpose's "to" names no side ("to overcome …").
    let i = parsed(
        "we add a policy to overcome the limitation and allow this app (app=exporter, namespace mon) access to 10.0.0.1 on 443",
    );
    assert_eq!(i.scope.labels["app"], "exporter");
    assert_eq!(i.direction, Some(Direction::Egress));
    // A service with its port glued on.
    let i = parsed("allow ingress on Redis(6379) to app=cache in namespace data from app=api");
    assert_eq!(i.resources.ports[0].port, 6379);
}

#[test]
fn words_of_file_modes_and_code_are_no_entities() {
    // "world readable permissions", "the node code" made these network
    // intents that could not be written.
    let i = parsed(
        "the key /etc/app/key.pem must not be world readable: allow reads by its owner only, app=web in namespace shop",
    );
    assert_eq!(i.domain, Domain::File);
    assert!(i.resources.entities.is_empty());
    let i = parsed("the node code must not modify /app/ in app=web, namespace shop");
    assert_eq!(i.domain, Domain::File);
    // "Namespace change (setns)" names no namespace "change".
    let i = parsed("audit setns (namespace change) for app=web in namespace shop");
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(i.resources.syscalls, ["setns"]);
}
