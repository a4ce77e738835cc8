//! Rules of the intent parser found on the blind batches `co-` … `cr-`
//! (scanner findings, vendors' tutorials, selectors and qualifiers,
//! secrets): set-based selectors, a pod named and glossed with its label, a
//! YAML list of labels, "but only on pods labelled …", passives of file
//! verbs, ditransitive "deny X access to F", a leading "With a … policy,".
//! Each test states the rule with phrasings of its own and fails without
//! it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Direction, Domain};
use parse_helpers::parsed;

#[test]
fn set_based_selectors_select_the_pods() {
    // "(cache)" was read as a namespace, the set as nothing.
    let i = parsed(
        "cache pods in namespace shop selected by component=memcached, tier in (cache, hot), env notin (dev) accept 11211 only from app=cart",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(i.scope.labels["component"], "memcached");
    assert_eq!(
        i.scope.selector.as_deref(),
        Some("tier in (cache, hot), env notin (dev)")
    );
    let i = parsed(
        "across the cluster, every pod whose k8s-app notin (coredns) may only send to 10.96.0.10 on UDP 53",
    );
    assert_eq!(i.scope.selector.as_deref(), Some("k8s-app notin (coredns)"));
    assert!(i.scope.cluster_wide);
}

#[test]
fn a_pod_glossed_with_its_label_needs_no_resolving() {
    let i = parsed(
        "pod db-0 (statefulset.kubernetes.io/pod-name=db-0) in namespace data may only be reached by app=api on port 5432",
    );
    assert!(i.scope.pod_names.is_empty());
    assert_eq!(i.scope.labels["statefulset.kubernetes.io/pod-name"], "db-0");
    // "the same pod still needs it" names no pod "still".
    let i = parsed(
        "in the app=pay pods of namespace billing block access to /var/run/secrets/token. The sidecar in the same pod still needs it.",
    );
    assert!(i.scope.pod_names.is_empty());
}

#[test]
fn a_yaml_list_of_labels_gives_them_all() {
    let i = parsed(
        "the blue pods (app: shop, track: blue) in namespace default must not connect to app=payments on 8443",
    );
    assert_eq!(i.scope.labels["track"], "blue");
    assert_eq!(i.scope.labels.len(), 2);
}

#[test]
fn only_on_some_pods_says_where_not_an_allow_list() {
    // It allowed the system calls the ask kills.
    let i = parsed(
        "block with Sigkill any process that calls unshare, but only on pods labelled app=ci and pool=shared in namespace jobs",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.syscalls, ["unshare"]);
}

#[test]
fn files_in_the_passive_are_what_is_read() {
    // "/etc/x is read" made /etc/x the program that reads.
    let i = parsed(
        "Ops wants to be informed whenever /etc/gshadow is read or modified in the jump pods (app=jump, namespace ops)",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.paths, ["/etc/gshadow"]);
    assert!(i.resources.sources.is_empty());
}

#[test]
fn programs_denied_access_to_a_file_act_on_it() {
    let i = parsed(
        "deny /bin/cat and /usr/bin/less access to /srv/.env in the web pods (app=web, namespace w)",
    );
    assert_eq!(i.resources.paths, ["/srv/.env"]);
    assert_eq!(i.resources.sources, ["/bin/cat", "/usr/bin/less"]);
}

#[test]
fn how_before_the_command_and_words_for_unreachable() {
    // "With a … policy, prevent …" was not read as the ask: the story
    // before it gave a file intent.
    let i = parsed(
        "my agent copied the kubeconfig to /tmp/kc/config and ran kubectl. With a Tetragon policy, prevent /usr/bin/kubectl from running in the agent pods (app=agent, namespace ai).",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.resources.binaries, ["/usr/bin/kubectl"]);
    // "should be inaccessible" allowed it.
    let i = parsed(
        "Expected: 169.254.169.254 should be inaccessible from the pods labelled app=web in namespace w.",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.direction, Some(Direction::Egress));
    // "…, so the pods should only execute A and B" was a block of A and B.
    let i = parsed(
        "We can't take exec away yet, so the api pods (app: api, ns web) should only execute /app/api, nothing else.",
    );
    assert_eq!(i.action, Action::Allow);
    // The root directory.
    let i = parsed("block all writes under /, reads stay allowed, for app=w in ns w");
    assert_eq!(i.resources.dirs, ["/"]);
    assert!(i.resources.read_only);
}
