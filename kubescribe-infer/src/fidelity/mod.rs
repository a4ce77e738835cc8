//! Intent fidelity: does a policy implement the intent it was written for?
//!
//! Validation (layers 1–4) says a policy is well formed and fits the
//! cluster; it does not say the policy is the one that was asked for. A
//! KubeArmor policy whose spec is only `action: Allow`, a NetworkPolicy
//! with `policyTypes: []` or a Calico policy without a selector are all
//! valid, and none of them implements "allow app=frontend to reach app=web
//! on 8080". [`check`] answers that question with [`Diagnostic`]s of layer
//! [`Layer::Fidelity`], errors each naming the gap and, where there is
//! one, the JSON pointer of the rule (or of the place a missing rule
//! belongs):
//!
//! * **scope** (`fidelity.kind`, `fidelity.namespace`, `fidelity.scope`):
//!   the policy is of the kind the intent needs, in its namespace, and
//!   selects exactly the intent's workloads: not every pod (`podSelector:
//!   {}`, a Calico policy without `selector`) when the intent names labels,
//!   not a subset of the labels (wider), not other labels;
//! * **resources** (`fidelity.missing`, `fidelity.action`): each resource of
//!   the intent (file, directory, executable, peer × port × protocol,
//!   CIDR, entity, FQDN, capability, system call, the default deny of a
//!   direction) is stated with the intent's action (allow, block, audit);
//! * **nothing more** (`fidelity.extra`): the policy allows (or blocks)
//!   nothing the intent did not name, beyond the observed needs the caller
//!   says to keep ([`FidelityOptions::keep`]);
//! * **replay** (`fidelity.replay`), when events are given: each event the
//!   intent forbids is blocked and each one it leaves alone is not, as
//!   `kubescribe-simulate` replays them (events the simulator cannot judge,
//!   unknown or not simulated, are skipped).
//!
//! What the intent means in a given engine is what the deterministic
//! synthesizer writes for it (`kubescribe_synth::synthesize`, which never
//! drops or widens what the intent says and is tested against the
//! simulator engine by engine). Both documents are reduced to their
//! meaning ([`facts`]: scope, and one fact per behaviour a rule states,
//! after the API server's defaults) and compared, so layout does not
//! matter: one rule per port or one rule with all ports, `k8s:`-prefixed
//! Cilium labels or not, Calico selector terms in any order. An intent
//! the policy's engine cannot express (or that has gaps) is itself a
//! finding (`fidelity.intent`).
//!
//! It lives in `kubescribe-infer` because it needs the synthesizer (the
//! intent's meaning), validation's diagnostics and the simulator, and
//! `kubescribe-synth` sits above none of the latter two; the regeneration
//! loop ([`crate::pipeline`]) is its first user, `kubescribe validate
//! --intent` the second.

mod facts;

use std::collections::BTreeSet;

use serde_json::Value;

use kubescribe_core::intent::{Intent, Resources};
use kubescribe_core::{Engine, Policy};
use kubescribe_events::Event;
use kubescribe_events::store::{EventQuery, EventStore, EventTable, StoreError};
use kubescribe_simulate::{SimOptions, Simulator, Verdict};
use kubescribe_validate::diagnostic::{Diagnostic, Layer, Severity};

use facts::{Shape, shape_of};

/// What the check may take into account besides the intent.
#[derive(Debug, Clone, Default)]
pub struct FidelityOptions {
    /// Observed needs the policy was told to keep: allowing these as well
    /// is not a finding.
    pub keep: Option<Resources>,
    /// Events to replay against the policy and the intent's own policy
    /// (e.g. [`events_in_scope`]); none: no replay.
    pub events: Vec<Event>,
}

/// Findings listed per kind before the rest are counted in one line.
const SHOWN: usize = 8;

fn diag(pointer: &str, rule: &str, message: String) -> Diagnostic {
    let mut d = Diagnostic::schema_error(pointer, rule, message);
    d.layer = Layer::Fidelity;
    d.origin = "intent".into();
    d
}

/// Whether `diagnostics` hold no fidelity error.
pub fn is_faithful(diagnostics: &[Diagnostic]) -> bool {
    !diagnostics
        .iter()
        .any(|d| d.layer == Layer::Fidelity && d.severity == Severity::Error)
}

/// The engine of a policy document (`None`: not a kind kubescribe reads).
fn engine_of(doc: &Value) -> Option<Engine> {
    Policy::kind_of(doc).ok().map(|k| k.engine())
}

/// `keep` added to the intent's own resources.
fn widened(intent: &Intent, keep: &Resources) -> Intent {
    let mut i = intent.clone();
    let r = &mut i.resources;
    macro_rules! extend {
        ($($f:ident),*) => {$(
            for x in &keep.$f {
                if !r.$f.contains(x) {
                    r.$f.push(x.clone());
                }
            }
        )*};
    }
    extend!(
        paths,
        dirs,
        sources,
        binaries,
        ports,
        named_ports,
        protocols,
        cidrs,
        entities,
        peers,
        fqdns,
        syscalls,
        capabilities
    );
    i
}

/// Checks `policy` (one document, as JSON) against `intent`; every
/// finding is an error of [`Layer::Fidelity`]. Empty: the policy
/// implements the intent.
pub fn check(intent: &Intent, policy: &Value, options: &FidelityOptions) -> Vec<Diagnostic> {
    let Some(engine) = engine_of(policy) else {
        return vec![diag(
            "/kind",
            "fidelity.kind",
            "the document is not a policy kind kubescribe reads, so it cannot implement the intent"
                .into(),
        )];
    };
    let reference = match kubescribe_synth::synthesize(intent, Some(engine)) {
        Ok(p) => p,
        Err(e) => {
            return vec![diag(
                "",
                "fidelity.intent",
                format!("the intent has no faithful {} policy: {e}", engine.name()),
            )];
        }
    };
    let ref_value = match reference.to_value() {
        Ok(v) => v,
        Err(e) => return vec![diag("", "fidelity.intent", e.to_string())],
    };
    let (Some(want), Some(got)) = (shape_of(&ref_value), shape_of(policy)) else {
        return vec![diag(
            "/kind",
            "fidelity.kind",
            format!(
                "{} policies are not read by the fidelity check",
                engine.name()
            ),
        )];
    };
    let mut out = Vec::new();
    if want.kind != got.kind {
        out.push(diag(
            "/kind",
            "fidelity.kind",
            format!(
                "the policy is a {}, the intent needs a {}",
                got.kind, want.kind
            ),
        ));
        return out;
    }
    if want.namespace != got.namespace {
        out.push(diag(
            "/metadata/namespace",
            "fidelity.namespace",
            format!(
                "the policy is in namespace {}, the intent's scope is namespace {}",
                got.namespace.as_deref().unwrap_or("(none)"),
                want.namespace.as_deref().unwrap_or("(none)")
            ),
        ));
    }
    scope_findings(&want, &got, &mut out);
    let tolerated = options.keep.as_ref().and_then(|k| {
        kubescribe_synth::synthesize(&widened(intent, k), Some(engine))
            .ok()
            .and_then(|p| p.to_value().ok())
            .and_then(|v| shape_of(&v))
    });
    rule_findings(&want, &got, tolerated.as_ref(), &mut out);
    if !options.events.is_empty()
        && let Ok(candidate) = Policy::from_value(policy.clone())
    {
        replay_findings(&reference, &candidate, &options.events, &mut out);
    }
    out
}

fn scope_findings(want: &Shape, got: &Shape, out: &mut Vec<Diagnostic>) {
    if want.scope == got.scope || (want.scope.is_everything() && got.scope.is_everything()) {
        return;
    }
    let message = if got.scope.is_everything() {
        format!(
            "the policy selects every pod{} (its selector is {}), the intent names only {}",
            if got.namespace.is_some() {
                " of the namespace"
            } else {
                ""
            },
            if got.scope.present {
                "empty"
            } else {
                "missing"
            },
            want.scope.render()
        )
    } else if got.scope.strictly_wider_than(&want.scope) {
        format!(
            "the policy's selector ({}) is wider than the intent's scope ({})",
            got.scope.render(),
            want.scope.render()
        )
    } else {
        format!(
            "the policy selects {}, the intent's scope is {}",
            got.scope.render(),
            want.scope.render()
        )
    };
    out.push(diag(&got.scope_pointer, "fidelity.scope", message));
}

fn rule_findings(want: &Shape, got: &Shape, tolerated: Option<&Shape>, out: &mut Vec<Diagnostic>) {
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut extra = Vec::new();
    for (what, f) in &want.facts {
        match got.facts.get(what) {
            None => missing.push((what, f)),
            Some(g) if g.action != f.action => wrong.push((what, f, g)),
            Some(_) => {}
        }
    }
    for (what, g) in &got.facts {
        if want.facts.contains_key(what) {
            continue;
        }
        if tolerated.is_some_and(|t| t.facts.get(what).is_some_and(|f| f.action == g.action)) {
            continue;
        }
        extra.push((what, g));
    }
    let verb = |a: &str| match a {
        "default-deny" => "isolated (default deny)".to_string(),
        other => other.to_string(),
    };
    // Where a missing rule belongs: the candidate's rule list of that kind, else the spec.
    let pointers: BTreeSet<&str> = got.facts.values().map(|f| f.pointer.as_str()).collect();
    let place = |ptr: &str| -> String {
        let parent = ptr.rsplit_once('/').map_or("", |(p, _)| p);
        if pointers.iter().any(|p| p.starts_with(parent)) {
            parent.to_string()
        } else {
            "/spec".to_string()
        }
    };
    for (what, f) in missing.iter().take(SHOWN) {
        let message = match what.split_once(": everything not allowed below") {
            Some((dir, _)) if f.action == "default-deny" => format!(
                "the policy does not isolate {dir} traffic (default deny: only what its rules allow), which the intent asks for"
            ),
            _ => format!(
                "the policy does not state `{what}` with action {}, which the intent asks for",
                verb(&f.action)
            ),
        };
        out.push(diag(&place(&f.pointer), "fidelity.missing", message));
    }
    if missing.len() > SHOWN {
        out.push(diag(
            "/spec",
            "fidelity.missing",
            format!(
                "and {} more behaviours of the intent are not stated",
                missing.len() - SHOWN
            ),
        ));
    }
    for (what, f, g) in wrong.iter().take(SHOWN) {
        out.push(
            diag(
                &g.pointer,
                "fidelity.action",
                format!(
                    "`{what}` is {} in the policy, the intent says {}",
                    verb(&g.action),
                    verb(&f.action)
                ),
            )
            .expected(f.action.clone())
            .actual(g.action.clone()),
        );
    }
    for (what, g) in extra.iter().take(SHOWN) {
        let message = match what.split_once(": everything not allowed below") {
            Some((dir, _)) if g.action == "default-deny" => format!(
                "the policy isolates {dir} traffic (default deny: everything its rules do not allow is blocked), which the intent does not ask for"
            ),
            _ => format!(
                "the policy states `{what}` ({}), which the intent does not name",
                verb(&g.action)
            ),
        };
        out.push(diag(&g.pointer, "fidelity.extra", message));
    }
    if extra.len() > SHOWN {
        out.push(diag(
            "/spec",
            "fidelity.extra",
            format!(
                "and {} more behaviours the intent does not name",
                extra.len() - SHOWN
            ),
        ));
    }
}

fn describe(e: &Event) -> String {
    let s = serde_json::to_value(&e.kind)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let s: String = s.chars().take(160).collect();
    format!(
        "{}/{} {s}",
        e.pod.namespace.as_deref().unwrap_or("-"),
        e.pod.pod.as_deref().unwrap_or("-")
    )
}

fn blocks(v: Verdict) -> Option<bool> {
    match v {
        Verdict::Block => Some(true),
        Verdict::Allow | Verdict::Audit => Some(false),
        Verdict::Unknown | Verdict::NotSimulated => None,
    }
}

fn replay_findings(
    reference: &Policy,
    candidate: &Policy,
    events: &[Event],
    out: &mut Vec<Diagnostic>,
) {
    let (Ok(want), Ok(got)) = (
        Simulator::new(std::slice::from_ref(reference), SimOptions::default()),
        Simulator::new(std::slice::from_ref(candidate), SimOptions::default()),
    ) else {
        return;
    };
    let mut shown = 0;
    let mut more = 0;
    for e in events {
        let (w, g) = (want.decide(e).verdict, got.decide(e).verdict);
        let (Some(wb), Some(gb)) = (blocks(w), blocks(g)) else {
            continue;
        };
        if wb == gb {
            continue;
        }
        if shown == SHOWN {
            more += 1;
            continue;
        }
        shown += 1;
        let message = if wb {
            format!(
                "on replay the policy lets through {}, which the intent forbids",
                describe(e)
            )
        } else {
            format!(
                "on replay the policy blocks {}, which the intent leaves allowed",
                describe(e)
            )
        };
        out.push(
            diag("", "fidelity.replay", message)
                .expected(w.as_str().to_string())
                .actual(g.as_str().to_string()),
        );
    }
    if more > 0 {
        out.push(diag(
            "",
            "fidelity.replay",
            format!("and {more} more replayed events disagree with the intent"),
        ));
    }
}

/// The stored events of the intent's workloads (its namespace and scope
/// labels), at most `limit` per table, for [`FidelityOptions::events`].
pub fn events_in_scope(
    store: &mut dyn EventStore,
    intent: &Intent,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    let query = EventQuery {
        namespace: intent.scope.namespace.clone(),
        selector: intent.scope.labels.clone(),
        limit: Some(limit),
        ..EventQuery::default()
    };
    let mut out = Vec::new();
    for table in EventTable::ALL {
        out.extend(store.events(table, &query)?.into_iter().map(|r| r.event));
    }
    Ok(out)
}
