//! Rules of the intent parser found on the blind batches `eg-` … `ej-`
//! (hardening baselines, compliance controls, asks typed in a hurry): a
//! standard's section number is no address, "log data" is no audit, an ask
//! that says "instead" replaces the one before, "restore only the ones it
//! uses" after removing all is the allow-list, a bare program name beside
//! its path is that path, and a hurried "pls alow …" is a command. Each
//! test states the rule with phrasings of its own and fails without it.

mod parse_helpers;

use kubescribe_core::intent::{Action, Domain};
use parse_helpers::parsed;

#[test]
fn a_standards_section_number_is_no_address() {
    // "Under 10.2.1.2 audit logs must capture …" made 10.2.1.2 a peer.
    let i = parsed(
        "Under 10.2.1.2 every admin action must be recorded -- so log every /bin/bash started in the vault pods (app=vault, namespace sec).",
    );
    assert_eq!(i.domain, Domain::Process);
    assert!(i.resources.cidrs.is_empty(), "{:?}", i.resources.cidrs);
}

#[test]
fn log_data_is_no_audit() {
    // "ensure the security of log data …, so X should be accessible only
    // by its owner" audited X.
    let i = parsed(
        "We must protect log data from tampering, so /var/log/app/trail.log in the app pods (app=app, namespace fin) should be accessible only by its owner",
    );
    assert_eq!(i.action, Action::Allow);
    assert!(i.resources.owner_only);
}

#[test]
fn an_ask_that_says_instead_replaces_the_one_before() {
    // "… should not be allowed, but X needs /a mounted at /b. Audit every
    // access to /b instead." blocked /a and /b.
    let i = parsed(
        "hostPath mounts should not be allowed, but the backup agent (app=backup, ns ops) needs /var/lib/data mounted at /mnt/data/. Audit every access to /mnt/data/ instead.",
    );
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.dirs, ["/mnt/data/"]);
    assert!(i.resources.paths.is_empty(), "{:?}", i.resources.paths);
}

#[test]
fn restoring_only_some_after_removing_all_is_the_allow_list() {
    let i = parsed(
        "for the dns pods (app: dns, ns net) remove all the configured capabilities and then restore only the ones it uses: --cap-drop=all --cap-add={NET_BIND_SERVICE,SETUID}",
    );
    assert_eq!(i.action, Action::Allow);
    assert_eq!(i.resources.capabilities, ["net_bind_service", "setuid"]);
}

#[test]
fn a_bare_name_beside_its_path_is_that_path() {
    // "deny /usr/bin/top, so that running top … fails" kept a program
    // named "top".
    let i = parsed(
        "for the web pods (app=web, namespace web): deny /bin/sh and /usr/bin/htop, so that running htop in an exec session gives \"permission denied\"",
    );
    assert_eq!(i.resources.binaries, ["/bin/sh", "/usr/bin/htop"]);
}

#[test]
fn a_hurried_command_is_a_command() {
    // "… cant reach teh kube-apiserver rn. pls alow egres from them to …"
    // read the complaint's "cant" as the ask.
    let i = parsed(
        "the hook pods (app=hook, ns ops) cant reach teh kube-apiserver rn. pls alow egres from them to kube-apiserver on 6443 thx",
    );
    assert_eq!(i.action, Action::Allow);
}

#[test]
fn allowing_it_keeps_who_it_is() {
    // With "pls alow" read as a command, "alow it to access …" must still
    // take "it" (the sentence before names it) as the peer.
    let i = parsed(
        "My scraper runs in the metrics namespace. pls alow it to access the metric port (9100) of the exporter pods (app.kubernetes.io/name: exporter, namespace ops)",
    );
    assert_eq!(i.resources.peers[0].namespace.as_deref(), Some("metrics"));
}
