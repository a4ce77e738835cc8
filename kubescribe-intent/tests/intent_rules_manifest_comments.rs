//! Rules written after the blind round `gw-` … `gz-` (media servers, asks
//! in manifests' comments, a second batch of asks typed by operators whose
//! first language is not English, workloads named by their Service) was
//! measured: a comment that asks in pasted YAML is the intent, with the
//! manifest's namespace and selector when the comment names none (the whole
//! manifest was read as the ask); values referred to by what needs them are
//! asked for; a sentence that gives the values an ask points to joins it;
//! and smaller forms. After the next round (`ha-` … `hd-`) was measured
//! with the final parser: ports said after "off", "connect to" (a range) and
//! "there" are kept (they were dropped: the policy covered every port);
//! "record" commands; a "which may not" clause describes. Each test states the rule with phrasings of its own
//! and fails without it, but for the two guards marked.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::{parsed, refused};

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: mailer
  namespace: notify
spec:
  selector:
    matchLabels:
      app: mailer
  template:
    metadata:
      labels:
        app: mailer
    spec:
      containers:
      - name: mailer
        image: example/mailer:1.2
        ports:
        - containerPort: 8025
";

#[test]
fn a_comment_that_asks_in_a_manifest_is_the_intent() {
    let text = format!(
        "{DEPLOYMENT}        # TODO(security): the relay pods (app: relay, namespace notify) should take 2525 only from the mailer pods (app: mailer)\n"
    );
    let i = parsed(&text);
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("relay"));
    assert_eq!(i.resources.ports.len(), 1);
    assert_eq!(i.resources.peers.len(), 1);
}

#[test]
fn the_manifest_gives_the_namespace_and_pods_a_comment_leaves_out() {
    let text = format!(
        "{DEPLOYMENT}        # TODO(security): this pod holds our SMTP password. Its egress should be limited to smtp.example.com on 587.\n"
    );
    let i = parsed(&text);
    assert_eq!(i.scope.namespace.as_deref(), Some("notify"));
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("mailer")
    );
    assert_eq!(i.resources.fqdns, vec!["smtp.example.com"]);
    let text = format!(
        "{DEPLOYMENT}        # should not be able to spawn a shell: /bin/sh must never run in this container\n"
    );
    let i = parsed(&text);
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.scope.namespace.as_deref(), Some("notify"));
}

#[test]
fn commented_out_configuration_and_chart_docs_ask_nothing() {
    let text = "podSecurityContext: {}\n  # fsGroup: 2000\nsecurityContext: {}\n  # capabilities:\n  #   drop:\n  #   - ALL\n# TODO(security): for the mailer pods (app.kubernetes.io/name: mailer, namespace notify): drop ALL capabilities and add back only NET_BIND_SERVICE.\nservice:\n  type: ClusterIP\n  port: 80\n";
    let i = parsed(text);
    assert_eq!(i.domain, Domain::Capability);
    assert_eq!(i.scope.labels.len(), 1);
    let text = "master:\n  service:\n    ## @param master.service.type service type\n    type: ClusterIP\n    ports:\n      redis: 6379\n    # TODO(security): only pods from namespace orders should be able to connect on 6379\n";
    let e = refused(text);
    assert!(e.contains("which pods"), "{e}");
}

#[test]
fn values_referred_to_by_what_needs_them_are_asked_for() {
    let e = refused(
        "The sync job (app: sync, namespace jobs) breaks with our default deny. Please allow only the egress connections the sync job requires.",
    );
    assert!(e.contains("which traffic"), "{e}");
    let e =
        refused("add only the capabilities needed to the probe pods (app=probe, namespace mon).");
    assert!(e.contains("which capabilities"), "{e}");
}

/// A guard (it passes without this round's rules too): the values-needed refusal of this round must not refuse an ask whose values the next sentence gives.
#[test]
fn a_sentence_that_gives_the_values_pointed_to_joins_the_ask() {
    let i = parsed(
        "The containers should only be able to access the directories necessary for operation. For the archive pods (app=archive, ns docs) those are /srv/archive/ and /var/cache/archive/.",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.dirs.len(), 2);
}

#[test]
fn rest_need_to_block_ends_an_allow_list() {
    let i = parsed(
        "build pods (app=build, namespace ci) should be able to talk to only 10.9.8.7 and port 3128, rest all should get blocked.",
    );
    assert_eq!(i.action, Action::Allow);
    let i = parsed(
        "the proxy pods (app=proxy, namespace edge) on port 8080 only 10.1.0.0/16 can access, rest need to block.",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn keep_x_off_a_port_of_y_protects_y() {
    let i = parsed(
        "keep the guests (role: guest) off port 9000 of the admin pods (role: admin, tier: ops) in namespace ops.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(
        i.scope.labels.get("role").map(String::as_str),
        Some("admin")
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn nothing_may_connect_to_the_pods_or_their_ports() {
    let i = parsed(
        "Nothing should be able to connect to the batch pods (app: batch) in namespace jobs.",
    );
    assert_eq!(i.action, Action::Block);
    assert!(i.resources.all);
    let i = parsed(
        "On the broker pods (app=broker, namespace mq) nothing may connect to 8161 or 61616; clients keep publishing on 5672.",
    );
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports.len(), 2);
}

/// A guard (it passes without this round's rules too): the passive "should be restricted to" read as an ask this round must still take "that key" from the sentence before.
#[test]
fn a_path_after_restricted_to_does_not_give_what_that_key_points_to() {
    let i = parsed(
        "KEY_FILE points at /etc/keys/signing.pem in the signer pods (app=signer, ns pki). Anyone with the file can sign releases, so reads of that key should be restricted to /usr/local/bin/signer.",
    );
    assert_eq!(i.resources.paths, vec!["/etc/keys/signing.pem"]);
    assert_eq!(i.resources.sources, vec!["/usr/local/bin/signer"]);
}

#[test]
fn other_pods_in_the_namespace_are_its_own() {
    let i = parsed(
        "the search pods (app: search) in namespace docs should only accept TCP port 9200 from other pods in the namespace.",
    );
    assert_eq!(i.resources.peers.len(), 1);
    assert!(i.resources.peers[0].labels.is_empty());
}

#[test]
fn a_command_the_operator_is_told_to_use_is_no_binary() {
    let i = parsed(
        "/usr/sbin/sshd must not run in the agent pods (app=agent, ns ci); use kubectl exec to get a shell.",
    );
    assert_eq!(i.resources.binaries, vec!["/usr/sbin/sshd"]);
}

#[test]
fn access_by_a_program_under_a_directory() {
    let i = parsed(
        "File access by /usr/libexec/openssh/sftp-server under /srv/upload/ in the app=sftp pods of namespace files is to be logged.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(
        i.resources.sources,
        vec!["/usr/libexec/openssh/sftp-server"]
    );
    assert_eq!(i.resources.dirs, vec!["/srv/upload/"]);
}

#[test]
fn dns_queries_on_an_explicit_udp_port_are_that_port_alone() {
    let i = parsed(
        "All pods in namespace web may only send DNS queries on UDP port 53 to the resolver pods (k8s-app=kube-dns, namespace kube-system).",
    );
    assert_eq!(i.resources.ports.len(), 1);
}

#[test]
fn a_program_glossed_after_itself_is_the_source() {
    let i = parsed(
        "In the relay pods (app=relay, namespace chat) the key is at /srv/relay/key.pem; it should be readable only by the relay itself (/srv/relay/relayd).",
    );
    assert_eq!(i.resources.sources, vec!["/srv/relay/relayd"]);
    assert_eq!(i.resources.paths, vec!["/srv/relay/key.pem"]);
}

#[test]
fn only_x_glossed_may_connect_on_a_port_of_the_pods_locked_down() {
    let i = parsed(
        "Lock down the echo pods (app=echo, namespace lab): only the tester debug pod (run=tester) may connect, on the pod port 9000.",
    );
    assert_eq!(i.scope.labels.get("app").map(String::as_str), Some("echo"));
    assert_eq!(i.direction, Some(Direction::Ingress));
}

#[test]
fn keep_off_a_protocol_and_ports_and_a_question_answered_later() {
    let i = parsed(
        "the relay listens on 7000-7002/udp, is there a way to restrict these? It seems to work if they're closed. Then keep the outside world off UDP 7000 and 7001 of the relay pods (app=relay, namespace media).",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Ingress));
    assert_eq!(i.resources.ports.len(), 2);
}

#[test]
fn a_dockerfile_workdir_is_no_executable() {
    let i = parsed(
        "In our image (WORKDIR /srv) only /usr/local/bin/python and /srv/bin/worker should be executed in the worker pods (app=worker, namespace jobs).",
    );
    assert_eq!(i.resources.binaries.len(), 2);
    assert!(i.resources.dirs.is_empty());
}

#[test]
fn ports_said_after_off_to_and_there_are_kept() {
    let i = parsed(
        "Lesson learned: keep the internet off 9200 of the search pods (app=search, namespace catalog).",
    );
    assert_eq!(i.resources.ports.len(), 1);
    let i = parsed(
        "Only the indexer pods (app=indexer) may connect to 9500-9600 on the search nodes (cluster=products, namespace search).",
    );
    assert_eq!(i.resources.ports[0].end_port, Some(9600));
    let i = parsed(
        "We run it as its own Deployment (app=flight, namespace feast), and 8815 there should be reachable only from namespaces labelled team=ml.",
    );
    assert_eq!(i.resources.ports.len(), 1);
}

#[test]
fn record_is_a_command_and_a_which_clause_describes() {
    let i = parsed(
        "The rule never fires. Until that's sorted: record every connection the cart pods (app=cart, namespace shop) open to 203.0.113.9, without blocking anything.",
    );
    assert_eq!(i.action, Action::Audit);
    let i = parsed(
        "The server now runs its metrics on a different port (9601) which may not be exposed to the internet. Before I restrict it: log every incoming connection to 9601 on the relay pods (app=relay, namespace rt), without blocking anything.",
    );
    assert_eq!(i.action, Action::Audit);
    assert!(i.resources.entities.is_empty());
}
