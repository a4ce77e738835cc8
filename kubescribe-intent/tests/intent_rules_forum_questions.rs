//! Asks posted as forum questions and chat threads: "How would I …?",
//! a question pointing at the file the sentence before names, an
//! "edit:" line, speakers written "name.initial", and "not looking to
//! block anything".

mod parse_helpers;

use kubescribe_core::intent::{Action, Domain};
use parse_helpers::{parsed, port_numbers};

#[test]
fn how_would_i_asks_and_that_file_is_the_one_named_just_before() {
    let i = parsed(
        "The maintainer replied \"The file won't be served though, so what's the issue?\" Fair enough. Our pods (app=docs-site, namespace web) keep it at /srv/site/.htpasswd. How would I alert on every access to that file? Not looking to block anything, the server reads it on start.\n\nedit: we're on KubeArmor already",
    );
    assert_eq!(i.domain, Domain::File);
    assert_eq!(i.action, Action::Audit);
    assert_eq!(i.resources.paths, vec!["/srv/site/.htpasswd".to_string()]);
    assert!(!i.resources.read_only, "{:?}", i.resources);
}

#[test]
fn speakers_written_name_dot_initial_are_a_chat_thread() {
    let i = parsed(
        "lena.p: how do I lock down egress for the docs-builder pods? security wants npm and nothing else\nomar.t: that cluster runs Cilium, FQDN rules work. labels?\nlena.p: app=docs-builder in namespace ci. so the ask: the docs-builder pods may only connect to registry.npmjs.org on 443, nothing else\nomar.t: ok, will write it up after lunch",
    );
    assert_eq!(
        i.scope.labels.get("app").map(String::as_str),
        Some("docs-builder")
    );
    assert_eq!(i.scope.labels.len(), 1, "{:?}", i.scope);
    assert_eq!(port_numbers(&i), vec![443]);
}

#[test]
fn not_looking_to_block_anything_is_said_of_the_alert() {
    let i = parsed(
        "Alert on every access to /srv/app/token.json in the docs pods (app=docs, namespace wiki), not looking to block anything.",
    );
    assert_eq!(i.action, Action::Audit);
}

#[test]
fn a_how_to_question_after_a_short_lead_asks() {
    let i = parsed(
        "We reproduced the exploit on staging and the reverse shell to port 4444 came straight back. The upgrade ships next sprint. Until then: how do I keep the JVM (/opt/java/bin/java) in the billing pods (app=billing, namespace staging) from spawning /bin/sh or /bin/bash?",
    );
    assert_eq!(i.domain, Domain::Process);
    assert_eq!(i.action, Action::Block);
}
