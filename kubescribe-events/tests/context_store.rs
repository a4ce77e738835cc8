//! Context summarization over a real store: ingest the fixture events, then
//! summarize one namespace within a token budget. Every observed binary,
//! file, address and port stays covered whatever the budget.

use std::collections::BTreeMap;
use std::path::Path;

use kubescribe_events::context::{Observed, estimate_tokens};
use kubescribe_events::store::{EventQuery, EventStore, EventTable, SqliteStore};
use kubescribe_events::{EventKind, IngestOptions, ingest_file};

fn store() -> SqliteStore {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events");
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

#[test]
fn summaries_cover_every_observation_at_every_budget() {
    let mut s = store();
    let all = EventQuery::default();
    let mut namespaces: Vec<String> = EventTable::ALL
        .iter()
        .flat_map(|t| s.events(*t, &all).unwrap())
        .filter_map(|e| e.event.pod.namespace.clone())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    assert!(!namespaces.is_empty());
    let none = BTreeMap::new();
    for ns in &namespaces {
        let observed = Observed::from_store(&mut s, Some(ns), &none).unwrap();
        let q = EventQuery {
            namespace: Some(ns.clone()),
            ..EventQuery::default()
        };
        let rows: Vec<_> = [EventTable::Processes, EventTable::Files, EventTable::Flows]
            .iter()
            .flat_map(|t| s.events(*t, &q).unwrap())
            .collect();
        for budget in [40usize, 120, 400, 4000] {
            let ctx = observed.summarize_within(Some(ns), &none, budget);
            let text = ctx.render();
            // The smallest summary (one entry per kind) may exceed a tiny budget; any larger one fits.
            let floor = estimate_tokens(&observed.summarize(Some(ns), &none, 1).render());
            assert!(
                estimate_tokens(&text) <= budget.max(floor),
                "{ns} budget {budget}:\n{text}"
            );
            for r in &rows {
                match &r.event.kind {
                    EventKind::Process(p) => assert!(
                        ctx.binaries.iter().any(|e| e.covers(&p.binary)),
                        "{}",
                        p.binary
                    ),
                    EventKind::File(f) => {
                        assert!(ctx.files.iter().any(|e| e.covers(&f.path)), "{}", f.path)
                    }
                    EventKind::Network(n) => {
                        if let Some(ip) = n.remote_ip.as_deref().and_then(|x| x.parse().ok()) {
                            assert!(ctx.remotes.iter().any(|c| c.covers(ip)), "{ip}");
                        }
                    }
                    EventKind::Syscall(_) => {}
                }
            }
        }
    }
}

#[test]
fn untrusted_strings_are_quoted() {
    let mut s = store();
    let observed = Observed::from_store(&mut s, None, &BTreeMap::new()).unwrap();
    let text = observed.summarize(None, &BTreeMap::new(), 50).render();
    for line in text.lines().filter(|l| l.starts_with("- \"")) {
        assert!(line[2..].starts_with('"'), "{line}");
    }
}
