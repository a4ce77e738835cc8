//! Discovery checked end to end on ingested events: the sample events of
//! `examples/` and, with `KUBESCRIBE_CORPUS`, every runtime event of the
//! corpus. Every discovered policy must be valid (layers 1-3; layer 4
//! findings are warnings) and allow 100% of the events it was derived
//! from; what is left out is counted, never allowed silently.

use std::path::{Path, PathBuf};

use kubescribe_core::engine::Engine;
use kubescribe_discover::DiscoverOptions;
use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_events::{IngestOptions, ingest_file};
use kubescribe_infer::discover::{self, DiscoverRun};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn store_of(files: &[PathBuf]) -> SqliteStore {
    let mut store = SqliteStore::open_in_memory().unwrap();
    for f in files {
        ingest_file(&mut store, f, &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    store
}

fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.push(examples().join("manifests/shop.yaml"));
    files.sort();
    files
}

fn all_engines() -> DiscoverOptions {
    DiscoverOptions {
        engines: Engine::ALL.to_vec(),
        ..DiscoverOptions::default()
    }
}

/// The assertion of issue 24: every policy valid, every training event
/// allowed (and there were training events for every engine asked).
fn assert_sound(r: &DiscoverRun, what: &str) {
    for (p, c) in r.discovery.policies.iter().zip(&r.checks) {
        assert!(
            c.valid,
            "{what}: {} {:?} invalid: {:#?}",
            p.engine,
            p.policy.name(),
            c.diagnostics
        );
    }
    for e in &r.replays {
        let t = &e.training;
        assert!(t.total() > 0, "{what}: {}: no training events", e.engine);
        assert_eq!(
            t.allowed + t.audited,
            t.total(),
            "{what}: {}: {:#?}",
            e.engine,
            e.training_not_allowed
                .iter()
                .map(|j| (&r.events[j.index].event, &j.decision))
                .collect::<Vec<_>>()
        );
        assert!(e.training_not_allowed.is_empty());
    }
    assert!(r.sound());
}

#[test]
fn sample_events_discovered_policies_are_valid_and_allow_every_training_event() {
    let mut store = store_of(&sample_files());
    let r = discover::run(&mut store, &all_engines(), &[]).unwrap();
    assert_sound(&r, "examples");
    // Every engine got policies: the samples have processes, files and flows.
    for engine in Engine::ALL {
        assert!(
            r.discovery.policies.iter().any(|p| p.engine == engine),
            "no {engine} policy"
        );
        assert!(r.replays.iter().any(|e| e.engine == engine));
    }
    // Grouped by workload, not pod: the nginx Deployment's pod, seen by
    // Falco, KubeArmor, Tetragon and Hubble (with Cilium's identity labels),
    // is one workload named after its Deployment, selected by its pod labels.
    let deployments: Vec<_> = r
        .discovery
        .workloads
        .iter()
        .filter(|w| w.workload.kind.as_deref() == Some("Deployment") && w.workload.name == "nginx")
        .collect();
    assert_eq!(deployments.len(), 1);
    let nginx = deployments[0];
    assert_eq!(
        kubescribe_events::labels_text(&nginx.workload.labels),
        "app=nginx,tier=web"
    );
    let sources: std::collections::BTreeSet<_> = nginx
        .events
        .iter()
        .map(|&i| r.events[i].event.source)
        .collect();
    assert!(sources.len() >= 3, "{sources:?}");
}

#[test]
fn sample_events_an_unseen_behaviour_is_blocked_and_listed() {
    // Discover on everything but what an operator marked denied: the write
    // to /etc/nginx/conf.d/evil.conf.
    let mut store = store_of(&sample_files());
    let rows = store
        .events(
            kubescribe_events::store::EventTable::Files,
            &Default::default(),
        )
        .unwrap();
    let evil = rows
        .iter()
        .find(|r| matches!(&r.event.kind, kubescribe_events::EventKind::File(f) if f.path.ends_with("evil.conf")))
        .unwrap();
    assert!(
        store
            .set_validity(evil.table, evil.id, kubescribe_events::Validity::Denied)
            .unwrap()
    );
    let options = DiscoverOptions {
        engines: vec![Engine::KubeArmor],
        namespace: Some("shop".into()),
        ..DiscoverOptions::default()
    };
    let r = discover::run(&mut store, &options, &[]).unwrap();
    assert_sound(&r, "examples, denied write");
    let ka = &r.replays[0];
    assert!(
        ka.other_not_allowed.iter().any(|j| matches!(
            &r.events[j.index].event.kind,
            kubescribe_events::EventKind::File(f) if f.path.ends_with("evil.conf")
        )),
        "{:#?}",
        ka.other_not_allowed
    );
    assert_eq!(ka.other.blocked, 1);
}

#[test]
fn held_out_replay_reports_false_blocks_per_threshold() {
    let mut store = store_of(&sample_files());
    let events = discover::load_events(&mut store).unwrap();
    let workloads = store.workloads(None, &Default::default()).unwrap();
    let inventory = kubescribe_simulate::Inventory::from_store(&mut store).unwrap();
    let h = discover::holdout(
        &events,
        &workloads,
        &inventory,
        &all_engines(),
        0.5,
        &[None, Some(1), Some(3)],
    )
    .unwrap();
    assert_eq!(h.points.len(), 3);
    assert!(h.train_events > 0 && h.test_events > 0, "{h:?}");
    for p in &h.points {
        assert!(p.false_blocks <= p.judged);
        assert!((0.0..=1.0).contains(&p.false_block_rate));
    }
    // Wider rules never block more: the threshold-1 point has at least as
    // many directory rules as the exact one and no more false blocks.
    assert_eq!(h.points[0].dir_rules, 0);
    assert!(h.points[1].dir_rules >= h.points[2].dir_rules);
    assert!(h.points[1].false_blocks <= h.points[0].false_blocks);
    // Discovering on everything leaves nothing held out.
    let all = discover::holdout(
        &events,
        &workloads,
        &inventory,
        &all_engines(),
        1.0,
        &[None],
    )
    .unwrap();
    assert_eq!(all.test_events, 0);
    assert_eq!(all.points[0].judged, 0);
}

#[test]
fn corpus_discovered_policies_are_valid_and_allow_every_training_event() {
    let Some(corpus) = kubescribe_testkit::corpus::corpus() else {
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![corpus.join("events")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 50, "{} event files", files.len());
    let mut store = store_of(&files);
    let r = discover::run(&mut store, &all_engines(), &[]).unwrap();
    println!(
        "corpus: {} workloads, {} policies, skipped {:?}",
        r.discovery.workloads.len(),
        r.discovery.policies.len(),
        r.discovery.skipped
    );
    assert!(r.discovery.workloads.len() >= 10);
    assert_sound(&r, "corpus");
}
