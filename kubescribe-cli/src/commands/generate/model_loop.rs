//! `kubescribe generate --backend ort|openai|candle …` (or with a store or
//! a trace): the generate → validate → regenerate loop over a model, and the
//! report of the policy against the store.

use std::path::Path;

use anyhow::{Context, Result};
use kubescribe_core::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_infer::pipeline::{Pipeline, PipelineConfig, PlainPrompts, Status};
use kubescribe_validate::Validator;

use crate::args::{Backend, GenerateApply, ModelArgs};
use crate::output::{self, Exit};
use crate::{backend, cluster_apply, input, intent_source};

/// What `generate` was asked for, beyond the intent.
pub struct LoopArgs<'a> {
    /// Engine override.
    pub engine: Option<&'a str>,
    /// The backend.
    pub backend: Backend,
    /// Model settings.
    pub model: &'a ModelArgs,
    /// Most attempts.
    pub max_attempts: usize,
    /// Where to write the trace (JSON).
    pub trace: Option<&'a Path>,
    /// Event store for the context and layer-2 checks.
    pub store: Option<&'a Path>,
    /// Fall back to the synthesizer when every attempt fails.
    pub fallback_synth: bool,
    /// Print JSON instead of YAML.
    pub json: bool,
    /// Apply the policy to a cluster once it passes every layer there.
    pub apply: Option<&'a GenerateApply>,
    /// Refuse a policy with warnings (layer 4 among them).
    pub deny_warnings: bool,
}

/// Runs the loop and prints the policy; exit 0 a valid policy was printed
/// (from the model, or the marked fallback), 1 every attempt failed, 2 the
/// intent, store or model could not be read.
pub fn run(intent_file: &Path, args: &LoopArgs<'_>) -> Result<Exit> {
    match intent_source::read_intent_file(intent_file) {
        Ok(i) => run_intent(i, args),
        Err(e) => Ok(output::fail(Exit::Unusable, output::error_text(&e))),
    }
}

/// The loop for an intent already read (or parsed from natural language).
pub fn run_intent(mut intent: Intent, args: &LoopArgs<'_>) -> Result<Exit> {
    if let Some(exit) = super::refuse_gaps(&intent) {
        return Ok(exit);
    }
    if let Some(e) = args.engine {
        intent.engine = Some(e.parse::<Engine>().map_err(anyhow::Error::msg)?);
    }
    let mut store = match args.store.map(input::open_store).transpose() {
        Ok(s) => s,
        Err(e) => return Ok(output::fail(Exit::Unusable, output::error_text(&e))),
    };
    let generator = match backend::open(args.backend, args.model) {
        Ok(g) => g,
        Err(e) => {
            return Ok(output::fail(
                Exit::Unusable,
                format_args!("cannot open the backend: {}", output::error_text(&e)),
            ));
        }
    };
    let validator = Validator::new();
    let config = PipelineConfig {
        max_attempts: args.max_attempts.max(1),
        generation: args.model.generation(),
        fallback_to_synth: args.fallback_synth,
        constrain: !args.model.no_constrain,
        ..PipelineConfig::default()
    };
    let pipeline = Pipeline::new(generator.as_ref(), &PlainPrompts, &validator, config);
    let result = pipeline.run(&intent, store.as_mut().map(|s| s as &mut dyn EventStore))?;
    if let Some(path) = args.trace {
        let json = serde_json::to_string_pretty(&result.trace)?;
        std::fs::write(path, json)
            .with_context(|| format!("writing the trace to {}", path.display()))?;
    }
    let t = &result.trace;
    for a in &t.attempts {
        let what = match (&a.error, a.valid) {
            (Some(e), _) => format!("generator failed: {e}"),
            (None, true) => "valid".to_string(),
            (None, false) => format!(
                "{} error(s)",
                a.diagnostics.iter().filter(|d| d.is_error()).count()
            ),
        };
        eprintln!(
            "kubescribe: attempt {} ({}{}): {what} [{:.0} ms{}]",
            a.number,
            a.generator,
            match (&t.constrained_to, a.constrained) {
                (Some(k), true) => format!(", constrained to {k}"),
                _ => String::new(),
            },
            a.generate_ms,
            a.completion_tokens
                .map(|n| format!(", {n} tokens"))
                .unwrap_or_default()
        );
        if !a.valid {
            for d in a.diagnostics.iter().filter(|d| d.is_error()) {
                eprintln!("    {d}");
            }
        }
    }
    let Some(policy) = result.policy.as_ref() else {
        eprintln!(
            "kubescribe: no valid policy after {} attempt(s) with {}{}",
            t.attempts.len(),
            t.generator,
            if args.trace.is_none() {
                " (--trace FILE records every prompt and answer)"
            } else {
                ""
            }
        );
        return Ok(Exit::Invalid);
    };
    // Layer 4 on the policy kept: the loop's validator leaves it out, so
    // that a model is not asked to narrow what the intent asked for.
    let permissive = kubescribe_validate::permissive::check(&policy.to_value()?);
    let mut diagnostics = t
        .attempts
        .last()
        .map(|a| a.diagnostics.clone())
        .unwrap_or_default();
    diagnostics.extend(permissive.iter().cloned());
    kubescribe_validate::permissive::drop_repeated(&mut diagnostics);
    if args.deny_warnings && diagnostics.iter().any(|d| !d.is_error()) {
        let warnings: Vec<_> = diagnostics.into_iter().filter(|d| !d.is_error()).collect();
        return Ok(super::refuse_warnings(policy, &warnings));
    }
    if args.json {
        let out = serde_json::json!({
            "engine": policy.engine().name(),
            "kind": policy.kind().kind(),
            "policy": policy.to_value()?,
            "status": t.status,
            "attempts": t.attempts.len(),
            "diagnostics": diagnostics,
        });
        output::print_json(&out)?;
    } else {
        output::print_text(&policy.to_canonical_yaml()?)?;
    }
    let layers = match (args.store.is_some(), permissive.len()) {
        (true, 0) => "layers 1-3".to_string(),
        (false, 0) => "layer 1".to_string(),
        (true, n) => format!("layers 1-3; layer 4: {n} warning(s)"),
        (false, n) => format!("layer 1; layer 4: {n} warning(s)"),
    };
    if let Some(store) = store.as_mut() {
        report(policy, &diagnostics, store);
    } else {
        for d in &permissive {
            eprintln!("  {d}");
        }
    }
    match t.status {
        Status::Fallback => eprintln!(
            "kubescribe: FALLBACK: {} failed {} attempt(s); the policy above comes from the deterministic synthesizer, valid ({layers})",
            t.generator,
            t.attempts.len() - 1
        ),
        _ => eprintln!(
            "kubescribe: {} {} for {}: valid ({layers}) after {} attempt(s) with {}",
            policy.kind().kind(),
            policy.name().unwrap_or(""),
            policy.engine(),
            t.attempts.len(),
            t.generator
        ),
    }
    match args.apply {
        Some(a) => cluster_apply::apply_generated(a, policy),
        None => Ok(Exit::Ok),
    }
}

/// The validation report of a policy checked against a store, on standard
/// error: each layer with its findings, then the store's events of the
/// policy's namespace replayed against it (what it would allow, audit,
/// block).
fn report(
    policy: &kubescribe_core::Policy,
    diagnostics: &[kubescribe_validate::diagnostic::Diagnostic],
    store: &mut SqliteStore,
) {
    use kubescribe_events::store::{EventQuery, EventTable};
    use kubescribe_simulate::{SimOptions, Simulator, Verdict};
    use kubescribe_validate::diagnostic::Layer;

    eprintln!("kubescribe: report");
    for (layer, what) in [
        (Layer::Schema, "layer 1 (schema and API-server rules)"),
        (
            Layer::Resource,
            "layer 2 (selector, paths and binaries against the store)",
        ),
        (
            Layer::Property,
            "layer 3 (properties: ports and protocols served, peers exist, CIDRs sane)",
        ),
        (
            Layer::Permissive,
            "layer 4 (over-permissive rules: /, match-all selectors, the world, every port)",
        ),
    ] {
        let found: Vec<_> = diagnostics.iter().filter(|d| d.layer == layer).collect();
        let errors = found.iter().filter(|d| d.is_error()).count();
        eprintln!(
            "  {what}: {}",
            match (errors, found.len()) {
                (0, 0) => "ok".to_string(),
                (0, n) => format!("ok, {n} warning(s)"),
                (e, n) => format!("{e} error(s), {} warning(s)", n - e),
            }
        );
        for d in found {
            eprintln!("    {d}");
        }
    }
    let query = EventQuery {
        namespace: policy.namespace().map(str::to_string),
        ..EventQuery::default()
    };
    let mut rows = Vec::new();
    for table in EventTable::ALL {
        match store.events(table, &query) {
            Ok(r) => rows.extend(r),
            Err(e) => {
                eprintln!("  simulation: the store could not be read: {e}");
                return;
            }
        }
    }
    let sim = match Simulator::new(std::slice::from_ref(policy), SimOptions::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("  simulation: not run: {e}");
            return;
        }
    };
    let r = sim.run_weighted(rows.iter().map(|r| (&r.event, r.count)));
    let t = &r.totals;
    eprintln!(
        "  simulation ({} distinct event(s){}, {} observation(s), replayed; KubeArmor posture block): {} allowed, {} audited, {} blocked, {} unknown, {} not simulated (observations)",
        rows.len(),
        policy
            .namespace()
            .map(|n| format!(" of namespace {n}"))
            .unwrap_or_default(),
        t.total(),
        t.allowed,
        t.audited,
        t.blocked,
        t.unknown,
        t.not_simulated
    );
    for (row, d) in rows
        .iter()
        .zip(&r.decisions)
        .filter(|(_, d)| d.verdict == Verdict::Block)
        .take(10)
    {
        eprintln!(
            "    blocked: {} x{}: {}",
            output::describe_event(&row.event),
            row.count,
            d.reason
        );
    }
    for n in &r.notes {
        eprintln!("    not simulated: {}: {}", n.pointer, n.message);
    }
}
