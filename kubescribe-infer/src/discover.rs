//! Discovery checked: the allow-lists `kubescribe_discover` writes
//! from the store, each validated (layer 1, layers 2-3 against the store,
//! layer 4 over-permissive findings) and replayed (`kubescribe-simulate`)
//! against the store's events: every event a policy was derived from must
//! be allowed, and what the policies would block is listed. Policies from
//! an intent (`extra`) join the replay, so a refinement in words is seen
//! against the same events. [`holdout`] measures how discovery generalizes:
//! discover on the first part of the recorded window, replay the rest.
//!
//! It lives here, not in `kubescribe-synth`, because it needs the validator
//! and the simulator, which sit beside `synth`, not below it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use kubescribe_core::Policy;
use kubescribe_core::engine::Engine;
use kubescribe_discover::{self as discover, DiscoverOptions, Discovery, WorkloadId, group};
use kubescribe_events::cluster::ClusterSnapshot;
use kubescribe_events::store::{EventQuery, EventStore, EventTable, StoredEvent};
use kubescribe_events::{Event, Validity, Workload};
use kubescribe_simulate::{Counts, Decision, Inventory, SimOptions, Simulator, Verdict};
use kubescribe_validate::{Diagnostic, Validator};

use crate::InferError;

fn err(e: impl std::fmt::Display) -> InferError {
    InferError::Discover(e.to_string())
}

/// Every event of the store (all tables), most frequent first per table.
pub fn load_events(store: &mut dyn EventStore) -> Result<Vec<StoredEvent>, InferError> {
    let mut rows = Vec::new();
    for t in EventTable::ALL {
        rows.extend(store.events(t, &EventQuery::default()).map_err(err)?);
    }
    Ok(rows)
}

/// One policy's validation.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyCheck {
    /// Index in [`DiscoverRun::policies`].
    pub index: usize,
    /// No error-severity finding.
    pub valid: bool,
    /// Every finding, layers 1-4.
    pub diagnostics: Vec<Diagnostic>,
}

/// One event the policies would not let through.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    /// Index in [`DiscoverRun::events`].
    pub index: usize,
    /// Observations of it.
    pub count: u64,
    /// The decision.
    pub decision: Decision,
}

/// One engine's replay.
#[derive(Debug, Clone, Serialize)]
pub struct EngineReplay {
    /// The engine.
    pub engine: Engine,
    /// How many discovered policies (plus intent policies) were replayed.
    pub policies: usize,
    /// Verdicts on the events its policies were derived from (observations).
    pub training: Counts,
    /// Training events not allowed, other than by an intent policy (must be
    /// none).
    pub training_not_allowed: Vec<Judged>,
    /// Training events an intent policy blocks (the refinement's effect).
    pub blocked_by_intent: Vec<Judged>,
    /// Verdicts on the other events of the scope (not derived from:
    /// marked denied, or of pods no selector can select).
    pub other: Counts,
    /// Those other events that would be blocked (or not be allowed).
    pub other_not_allowed: Vec<Judged>,
}

/// The outcome of [`run`].
#[derive(Debug, Clone)]
pub struct DiscoverRun {
    /// The events read from the store.
    pub events: Vec<StoredEvent>,
    /// The discovery (indices point into `events`).
    pub discovery: Discovery,
    /// Validation per discovered policy, in `discovery.policies` order.
    pub checks: Vec<PolicyCheck>,
    /// Validation of the intent policies, in `extra` order.
    pub extra_checks: Vec<PolicyCheck>,
    /// Replay per engine.
    pub replays: Vec<EngineReplay>,
}

impl DiscoverRun {
    /// Every discovered policy valid, and every training event allowed.
    pub fn sound(&self) -> bool {
        self.checks.iter().all(|c| c.valid)
            && self
                .replays
                .iter()
                .all(|r| r.training_not_allowed.is_empty())
    }
}

fn validate(
    policy: &Policy,
    store: &mut dyn EventStore,
    snapshot: &mut ClusterSnapshot,
) -> (bool, Vec<Diagnostic>) {
    let mut diags = match policy.to_value() {
        Ok(v) => {
            Validator::new()
                .permissive(true)
                .validate_value(&v)
                .diagnostics
        }
        Err(e) => vec![Diagnostic::schema_error("", "model", e.to_string())],
    };
    if !diags.iter().any(Diagnostic::is_error) {
        match kubescribe_validate::resources::check_with(policy, store, snapshot) {
            Ok(more) => diags.extend(more),
            Err(e) => diags.push(Diagnostic::schema_error(
                "",
                "store",
                format!("event store: {e}"),
            )),
        }
    }
    let valid = !diags.iter().any(Diagnostic::is_error);
    (valid, diags)
}

fn let_through(v: Verdict) -> bool {
    matches!(v, Verdict::Allow | Verdict::Audit)
}

/// Replays `events` against one engine's policies (`discovered` then
/// `extra`): the training events (`training`) and the other events of
/// the scope (`scope`).
fn replay(
    engine: Engine,
    discovered: &[Policy],
    extra: &[Policy],
    inventory: &Inventory,
    events: &[StoredEvent],
    training: &BTreeSet<usize>,
    scope: &BTreeSet<usize>,
) -> Result<EngineReplay, InferError> {
    let all: Vec<Policy> = discovered.iter().chain(extra).cloned().collect();
    let sim = Simulator::new(&all, SimOptions::default())
        .map_err(err)?
        .with_inventory(inventory.clone());
    let mut r = EngineReplay {
        engine,
        policies: all.len(),
        training: Counts::default(),
        training_not_allowed: Vec::new(),
        blocked_by_intent: Vec::new(),
        other: Counts::default(),
        other_not_allowed: Vec::new(),
    };
    for &i in scope.union(training) {
        let row = &events[i];
        let d = sim.decide(&row.event);
        let j = || Judged {
            index: i,
            count: row.count,
            decision: d.clone(),
        };
        if training.contains(&i) {
            r.training.add(d.verdict, row.count);
            if !let_through(d.verdict) {
                let by_intent = d
                    .policy
                    .as_ref()
                    .is_some_and(|p| p.index >= discovered.len());
                if by_intent {
                    r.blocked_by_intent.push(j());
                } else {
                    r.training_not_allowed.push(j());
                }
            }
        } else {
            r.other.add(d.verdict, row.count);
            if !let_through(d.verdict) {
                r.other_not_allowed.push(j());
            }
        }
    }
    Ok(r)
}

/// Whether an event's own pod is in the options' scope.
fn event_in_scope(e: &Event, o: &DiscoverOptions) -> bool {
    if let Some(ns) = &o.namespace
        && e.pod.namespace.as_deref() != Some(ns.as_str())
    {
        return false;
    }
    o.selector
        .iter()
        .all(|(k, v)| e.pod.labels.get(k) == Some(v))
}

/// Discovers from the whole store, validates every policy and replays the
/// store's events against each engine's policies (with `extra`, intent
/// policies, of the same engine).
pub fn run(
    store: &mut dyn EventStore,
    options: &DiscoverOptions,
    extra: &[Policy],
) -> Result<DiscoverRun, InferError> {
    let events = load_events(store)?;
    let workloads = store.workloads(None, &BTreeMap::new()).map_err(err)?;
    let plain: Vec<Event> = events.iter().map(|r| r.event.clone()).collect();
    let discovery = discover::discover(&plain, &workloads, options).map_err(err)?;
    let mut snapshot = ClusterSnapshot::from_store(store).map_err(err)?;
    let mut checks = Vec::new();
    for (index, p) in discovery.policies.iter().enumerate() {
        let (valid, diagnostics) = validate(&p.policy, store, &mut snapshot);
        checks.push(PolicyCheck {
            index,
            valid,
            diagnostics,
        });
    }
    let mut extra_checks = Vec::new();
    for (index, p) in extra.iter().enumerate() {
        let (valid, diagnostics) = validate(p, store, &mut snapshot);
        extra_checks.push(PolicyCheck {
            index,
            valid,
            diagnostics,
        });
    }
    let inventory = Inventory::from_store(store).map_err(err)?;
    let scope: BTreeSet<usize> = plain
        .iter()
        .enumerate()
        .filter(|(_, e)| event_in_scope(e, options))
        .map(|(i, _)| i)
        .collect();
    let mut replays = Vec::new();
    for &engine in &options.engines {
        let mine: Vec<&discover::DiscoveredPolicy> = discovery
            .policies
            .iter()
            .filter(|p| p.engine == engine)
            .collect();
        let policies: Vec<Policy> = mine.iter().map(|p| p.policy.clone()).collect();
        let extra_here: Vec<Policy> = extra
            .iter()
            .filter(|p| p.engine() == engine)
            .cloned()
            .collect();
        if policies.is_empty() && extra_here.is_empty() {
            continue;
        }
        let with_policy: BTreeSet<&WorkloadId> = mine.iter().map(|p| &p.workload).collect();
        let training: BTreeSet<usize> = discovery
            .workloads
            .iter()
            .filter(|w| with_policy.contains(&w.workload))
            .flat_map(|w| {
                // Network rules are not derived from flows without a peer
                // identity (KubeArmor's socket protocols are).
                let network = !matches!(engine, Engine::KubeArmor | Engine::Tetragon);
                w.events
                    .iter()
                    .copied()
                    .filter(move |i| !(network && w.peerless.contains(i)))
            })
            .collect();
        replays.push(replay(
            engine,
            &policies,
            &extra_here,
            &inventory,
            &events,
            &training,
            &scope,
        )?);
    }
    Ok(DiscoverRun {
        events,
        discovery,
        checks,
        extra_checks,
        replays,
    })
}

/// One aggregation threshold's held-out replay.
#[derive(Debug, Clone, Serialize)]
pub struct HoldoutPoint {
    /// The threshold (`None`: exact paths).
    pub threshold: Option<usize>,
    /// Observations in the training part / held-out part.
    pub train_observations: u64,
    /// Held-out observations of workloads discovered in training
    /// (operator-denied ones left out): the benign events judged.
    pub judged: u64,
    /// Of those, blocked (false blocks).
    pub false_blocks: u64,
    /// False blocks by event kind (`process`, `file`, `network`, `syscall`).
    pub false_blocks_by_kind: BTreeMap<String, u64>,
    /// Of those, neither allowed nor blocked (unknown, not simulated).
    pub undecided: u64,
    /// `false_blocks / judged` (0 when nothing was judged).
    pub false_block_rate: f64,
    /// Held-out operator-denied observations that were blocked / judged.
    pub denied_blocked: u64,
    /// Held-out operator-denied observations of discovered workloads.
    pub denied: u64,
    /// Breadth: file and process rules written, and how many of them are
    /// directories.
    pub path_rules: usize,
    /// Directory rules among them.
    pub dir_rules: usize,
    /// Policies written.
    pub policies: usize,
}

/// The held-out replay's result.
#[derive(Debug, Clone, Serialize)]
pub struct Holdout {
    /// Workloads whose window was split.
    pub workloads: usize,
    /// The fraction of the window asked for.
    pub fraction: f64,
    /// Distinct events in the training part / held-out part.
    pub train_events: usize,
    /// Held-out distinct events.
    pub test_events: usize,
    /// One point per threshold.
    pub points: Vec<HoldoutPoint>,
}

/// Held-out replay: each workload's events (distinct rows, by the time each
/// was first seen) are split at `fraction` of that workload's recorded
/// window (a flow counts for the workload that reported it); discovery runs on
/// the first part for each aggregation threshold and the held-out part is
/// replayed against the result, each engine's policies together. A
/// held-out event of a workload discovered in training that is blocked is
/// a false block (benign behaviour the policy did not foresee), unless an
/// operator marked it denied. Rows are deduplicated in the store: a
/// behaviour seen in both parts counts in the first only.
pub fn holdout(
    events: &[StoredEvent],
    workloads: &[Workload],
    inventory: &Inventory,
    options: &DiscoverOptions,
    fraction: f64,
    thresholds: &[Option<usize>],
) -> Result<Holdout, InferError> {
    // Each workload's own recorded window: a store often holds recordings
    // of different days (the corpus: years apart), so one global cutoff
    // would hold out whole recordings rather than the rest of one.
    let fraction = fraction.clamp(0.0, 1.0);
    let owner = |r: &StoredEvent| {
        let e = &r.event;
        group::resolve(
            e.pod.namespace.as_deref(),
            e.pod.pod.as_deref(),
            &e.pod.labels,
            workloads,
        )
    };
    let owners: Vec<Option<WorkloadId>> = events.iter().map(owner).collect();
    let mut windows: BTreeMap<&WorkloadId, (i64, i64)> = BTreeMap::new();
    for (r, id) in events.iter().zip(&owners) {
        if let (Some(id), Some(t)) = (id, r.first_seen) {
            let w = windows.entry(id).or_insert((t, t));
            w.0 = w.0.min(t);
            w.1 = w.1.max(t);
        }
    }
    let cutoffs: BTreeMap<&WorkloadId, i64> = windows
        .iter()
        .map(|(id, (lo, hi))| (*id, lo + ((hi - lo) as f64 * fraction) as i64))
        .collect();
    let train_mask: Vec<bool> = events
        .iter()
        .zip(&owners)
        .map(
            |(r, id)| match (id.as_ref().and_then(|id| cutoffs.get(id)), r.first_seen) {
                (Some(c), Some(t)) => t <= *c,
                _ => true,
            },
        )
        .collect();
    let train: Vec<Event> = events
        .iter()
        .zip(&train_mask)
        .filter(|(_, t)| **t)
        .map(|(r, _)| r.event.clone())
        .collect();
    let train_observations: u64 = events
        .iter()
        .zip(&train_mask)
        .filter(|(_, t)| **t)
        .map(|(r, _)| r.count)
        .sum();
    let test: Vec<&StoredEvent> = events
        .iter()
        .zip(&train_mask)
        .filter(|(_, t)| !**t)
        .map(|(r, _)| r)
        .collect();
    let mut points = Vec::new();
    for &t in thresholds {
        let o = DiscoverOptions {
            dir_threshold: t,
            ..options.clone()
        };
        let d = discover::discover(&train, workloads, &o).map_err(err)?;
        let known: BTreeSet<&WorkloadId> = d.workloads.iter().map(|w| &w.workload).collect();
        let policies: Vec<Policy> = d.policies.iter().map(|p| p.policy.clone()).collect();
        let sim = Simulator::new(&policies, SimOptions::default())
            .map_err(err)?
            .with_inventory(inventory.clone());
        let mut p = HoldoutPoint {
            threshold: t,
            train_observations,
            judged: 0,
            false_blocks: 0,
            false_blocks_by_kind: BTreeMap::new(),
            undecided: 0,
            false_block_rate: 0.0,
            denied_blocked: 0,
            denied: 0,
            path_rules: d
                .workloads
                .iter()
                .map(|w| w.allow.files.len() + w.allow.processes.len())
                .sum(),
            dir_rules: d
                .workloads
                .iter()
                .map(|w| {
                    w.allow.files.iter().filter(|f| f.rule.dir).count()
                        + w.allow.processes.iter().filter(|r| r.dir).count()
                })
                .sum(),
            policies: d.policies.len(),
        };
        for r in &test {
            let e = &r.event;
            if !event_in_scope(e, &o) {
                continue;
            }
            let Some(id) = group::resolve(
                e.pod.namespace.as_deref(),
                e.pod.pod.as_deref(),
                &e.pod.labels,
                workloads,
            ) else {
                continue;
            };
            if !known.contains(&id) {
                continue;
            }
            let v = sim.decide(e).verdict;
            if e.validity == Validity::Denied {
                p.denied += r.count;
                if v == Verdict::Block {
                    p.denied_blocked += r.count;
                }
                continue;
            }
            p.judged += r.count;
            match v {
                Verdict::Block => {
                    p.false_blocks += r.count;
                    *p.false_blocks_by_kind
                        .entry(e.kind.name().to_string())
                        .or_default() += r.count;
                }
                Verdict::Allow | Verdict::Audit => {}
                Verdict::Unknown | Verdict::NotSimulated => p.undecided += r.count,
            }
        }
        if p.judged > 0 {
            p.false_block_rate = p.false_blocks as f64 / p.judged as f64;
        }
        points.push(p);
    }
    Ok(Holdout {
        workloads: cutoffs.len(),
        fraction,
        train_events: train.len(),
        test_events: test.len(),
        points,
    })
}
