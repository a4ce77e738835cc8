//! Prompts built over a real store: the fixture events ingested, the
//! context of the intent's scope summarized within the budget.

use std::path::Path;

use kubescribe_core::intent::Intent;
use kubescribe_events::context::estimate_tokens;
use kubescribe_events::store::SqliteStore;
use kubescribe_events::{IngestOptions, ingest_file};
use kubescribe_synth::prompt::{Template, build_prompt, context_for};

fn store() -> SqliteStore {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubescribe-events/tests/fixtures/events");
    for f in [
        "falco.jsonl",
        "tetragon.jsonl",
        "kubearmor.jsonl",
        "hubble.jsonl",
    ] {
        ingest_file(&mut s, &dir.join(f), &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    s
}

fn web() -> Intent {
    serde_json::from_value(serde_json::json!({
        "scope": {"namespace": "shop", "labels": {"app": "web"}},
        "domain": "process", "action": "block", "resources": {"binaries": ["/usr/bin/bash"]}
    }))
    .unwrap()
}

#[test]
fn the_prompt_carries_the_scopes_observed_behaviour_within_the_budget() {
    let mut s = store();
    let intent = web();
    let ctx = context_for(&mut s, &intent, 400).unwrap();
    assert!(ctx.observations > 0);
    assert!(estimate_tokens(&ctx.render()) <= 400);
    let p = build_prompt(&intent, Some(&ctx), Template::ZeroShot, &[]).unwrap();
    assert!(p.user.contains("\"/usr/bin/bash\""), "{}", p.user);
    assert!(p.user.contains("in namespace \"shop\""));
    // Another namespace sees none of it.
    let mut other = intent.clone();
    other.scope.namespace = Some("nowhere".into());
    let empty = context_for(&mut s, &other, 400).unwrap();
    assert_eq!(empty.observations, 0);
    assert!(empty.binaries.is_empty());
    // A tighter budget gives a shorter (still covering) context.
    let small = context_for(&mut s, &intent, 40).unwrap();
    assert!(small.render().len() <= ctx.render().len());
}
