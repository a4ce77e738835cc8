//! Rules of the intent parser about who does what (found on the dev misses
//! left after the `c-` batch and on the `a-`/`b-` blind batches): the
//! executables that act in a file intent, an aside between an executable
//! and its verb, globs of a directory. Each test states the rule with
//! phrasings of its own (not the evaluation cases') and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Domain};
use parse_helpers::parsed;

#[test]
fn a_program_glossed_with_its_path_acts_on_the_files_named_beside_it() {
    let i = parsed(
        "the only program that may read the token (/run/secrets/token, app=billing in namespace pay) is the signer (/usr/local/bin/signer)",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.resources.paths, ["/run/secrets/token"]);
    assert_eq!(i.resources.sources, ["/usr/local/bin/signer"]);
    // A file the text calls a binary is protected, not an actor.
    let i = parsed(
        "for app=web in namespace shop, block writes to the tool binary (/usr/local/bin/tool) and to /etc/tool/",
    );
    assert!(i.resources.sources.is_empty(), "{:?}", i.resources);
    assert!(
        i.resources
            .paths
            .contains(&"/usr/local/bin/tool".to_string())
    );
}

#[test]
fn executables_beside_the_files_of_a_block_are_its_sources() {
    let i = parsed(
        "deny /usr/bin/less and /usr/bin/head reading /srv/vault/** in the app=ops pods of namespace tools",
    );
    assert_eq!(i.action, Action::Block);
    assert_eq!(i.resources.dirs, ["/srv/vault/"]);
    assert!(i.resources.recursive);
    assert!(i.resources.paths.is_empty());
    assert_eq!(i.resources.sources, ["/usr/bin/less", "/usr/bin/head"]);
    assert!(i.resources.binaries.is_empty());
}

#[test]
fn an_aside_between_an_executable_and_its_verb_keeps_it_the_actor() {
    let i = parsed(
        "audit when python (/usr/bin/python3), directly or through a wrapper, launches /usr/bin/nc in app=api pods of namespace prod",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.resources.sources, ["/usr/bin/python3"]);
    assert_eq!(i.resources.binaries, ["/usr/bin/nc"]);
}

#[test]
fn a_group_giving_one_key_two_values_lists_the_peers() {
    // The list comes first, after "to"; the selector the policy can have
    // comes after it.
    let i = parsed(
        "limit ingress on 11211 to api + jobs (tier=api, tier=jobs), for the cache pods (tier=cache, namespace store)",
    );
    assert_eq!(i.scope.namespace.as_deref(), Some("store"));
    assert_eq!(
        i.scope.labels.get("tier").map(String::as_str),
        Some("cache")
    );
    assert_eq!(
        i.direction,
        Some(kubescribe_core::intent::Direction::Ingress)
    );
    let peers: Vec<_> = i
        .resources
        .peers
        .iter()
        .map(|p| p.labels["tier"].clone())
        .collect();
    assert_eq!(peers, ["api", "jobs"]);
}
