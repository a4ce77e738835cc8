//! `kubescribe generate --backend ort|openai|candle …` (or with a store or
//! a trace): the generate → validate → regenerate loop over a model, and the
//! report of the policy against the store.

use std::path::Path;

use anyhow::{Context, Result};
use kubescribe_core::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_events::store::{EventStore, Windowed};
use kubescribe_infer::pipeline::{Pipeline, PipelineConfig, Status};
use kubescribe_validate::Validator;

use crate::args::{Backend, GenerateApply, ModelArgs, PromptingArgs, SchemaFieldArg};
use crate::output::{self, Exit};
use crate::store_location;
use crate::{backend, cluster_apply, intent_source};

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
    /// Only the store's events observed at or after this time (ns).
    pub since: Option<i64>,
    /// Only the store's events observed before this time (ns).
    pub until: Option<i64>,
    /// Fall back to the synthesizer when every attempt fails.
    pub fallback_synth: bool,
    /// Print JSON instead of YAML.
    pub json: bool,
    /// Apply the policy to a cluster once it passes every layer there.
    pub apply: Option<&'a GenerateApply>,
    /// Refuse a policy with warnings (layer 4 among them).
    pub deny_warnings: bool,
    /// Template and examples.
    pub prompting: &'a PromptingArgs,
    /// No progress on standard error.
    pub quiet: bool,
    /// Print the last valid but unfaithful policy, marked, when no attempt
    /// was faithful (the exit status stays 1).
    pub best_effort: bool,
}

/// Runs the loop and prints the policy; exit 0 a valid policy that
/// implements the intent was printed (from the model, or the marked
/// fallback), 1 every attempt failed (invalid, or valid but unfaithful to
/// the intent: the gaps are named; with `--best-effort` the last valid
/// policy is printed, marked), 2 the intent, store or model could not be
/// read.
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
    let mut opened = match args.store.map(store_location::open_store).transpose() {
        Ok(s) => s,
        Err(e) => return Ok(output::fail(Exit::Unusable, output::error_text(&e))),
    };
    // Every reader of the store (context, layer 2, the report) sees the
    // --since/--until window only.
    let mut store = opened.as_mut().map(|s| Windowed {
        store: s,
        since: args.since,
        until: args.until,
    });
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
    let bank = match example_bank(args) {
        Ok(b) => b,
        Err(e) => return Ok(output::fail(Exit::Unusable, output::error_text(&e))),
    };
    let prompts = match prompts(args, generator.as_ref(), bank.as_ref()) {
        Ok(p) => p,
        Err(e) => return Ok(output::fail(Exit::Unusable, output::error_text(&e))),
    };
    let progress = crate::progress::AttemptProgress::new(
        args.quiet || args.backend == Backend::Synth,
        config.max_attempts,
        generator.name().to_string(),
    );
    let on_progress = |e: &kubescribe_infer::GenerationProgress| progress.report(e);
    let observed = kubescribe_infer::WithProgress::new(generator.as_ref(), &on_progress);
    let pipeline = Pipeline::new(&observed, &prompts, &validator, config);
    let result = pipeline.run(&intent, store.as_mut().map(|s| s as &mut dyn EventStore))?;
    // A backend that failed every attempt without answering (a server gone,
    // a prompt over the model's context) is unusable, not a model mistake;
    // the synthesizer failing is the intent's gap (exit 1).
    if args.backend != Backend::Synth
        && let Some(e) = all_failed(&result.trace)
    {
        return Ok(output::fail(
            Exit::Unusable,
            format_args!("the backend failed on every attempt: {e}"),
        ));
    }
    if let Some(path) = args.trace {
        let json = serde_json::to_string_pretty(&result.trace)?;
        std::fs::write(path, json)
            .with_context(|| format!("writing the trace to {}", path.display()))?;
    }
    let t = &result.trace;
    if let Some(n) = t.answer_budget_raised_to {
        eprintln!(
            "kubescribe: the policy this intent needs is long: each answer had up to {n} tokens \
             (--max-new-tokens {})",
            args.model.max_new_tokens
        );
    }
    for a in &t.attempts {
        let errors = a.diagnostics.iter().filter(|d| d.is_error()).count();
        let what = match (&a.error, a.valid, a.faithful) {
            (Some(e), _, _) => format!("generator failed: {e}"),
            (None, true, true) => "valid, implements the intent".to_string(),
            (None, true, false) => {
                format!("valid but does not implement the intent: {errors} gap(s)")
            }
            (None, false, _) => format!("{errors} error(s)"),
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
        if !a.faithful {
            for d in a.diagnostics.iter().filter(|d| d.is_error()) {
                eprintln!("    {d}");
            }
        }
    }
    let Some(policy) = result.policy.as_ref() else {
        eprintln!(
            "kubescribe: no policy that is valid and implements the intent after {} attempt(s) with {}{}",
            t.attempts.len(),
            t.generator,
            if args.trace.is_none() {
                " (--trace FILE records every prompt and answer)"
            } else {
                ""
            }
        );
        if let Some(p) = &result.best_effort {
            if args.best_effort {
                print_best_effort(p, result.last_diagnostics(), args.json)?;
            } else {
                eprintln!(
                    "kubescribe: a valid policy that does not implement the intent was kept back (--best-effort prints it, marked)"
                );
            }
        }
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
    // Layer 5 (intent fidelity) held: the loop keeps no other policy.
    let layers = match (args.store.is_some(), permissive.len()) {
        (true, 0) => "layers 1-5".to_string(),
        (false, 0) => "layers 1, 4 and 5".to_string(),
        (true, n) => format!("layers 1-3 and 5; layer 4: {n} warning(s)"),
        (false, n) => format!("layers 1 and 5; layer 4: {n} warning(s)"),
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
            "kubescribe: {} {} for {}: valid and implements the intent ({layers}) after {} attempt(s) with {}",
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

/// `--best-effort`: the last valid but unfaithful policy on standard
/// output, marked as such (a YAML comment, or `"bestEffort": true` in
/// JSON), with a note on standard error.
fn print_best_effort(
    policy: &kubescribe_core::Policy,
    diagnostics: &[kubescribe_validate::diagnostic::Diagnostic],
    json: bool,
) -> Result<()> {
    use kubescribe_validate::diagnostic::Layer;
    let gaps: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.is_error() && d.layer == Layer::Fidelity)
        .collect();
    eprintln!(
        "kubescribe: BEST EFFORT: the policy printed is valid but does not implement the intent ({} gap(s) above); review it before use",
        gaps.len()
    );
    if json {
        output::print_json(&serde_json::json!({
            "engine": policy.engine().name(),
            "kind": policy.kind().kind(),
            "policy": policy.to_value()?,
            "status": "best-effort",
            "bestEffort": true,
            "diagnostics": diagnostics,
        }))
    } else {
        let mut text = String::from(
            "# kubescribe: BEST EFFORT - valid, but does NOT implement the intent; gaps:\n",
        );
        for d in gaps {
            let line = kubescribe_core::quote::escape_control(&d.message);
            text.push_str(&format!("#   {}: {line}\n", d.pointer));
        }
        text.push_str(&policy.to_canonical_yaml()?);
        output::print_text(&text)
    }
}

/// The policies of `--examples` as an example bank (none when no example
/// is shown).
fn example_bank(args: &LoopArgs<'_>) -> Result<Option<kubescribe_infer::prompts::ExampleBank>> {
    args.prompting.bank(few_shot(args))
}

/// The examples to show: none for the synthesizer, which reads only the intent.
fn few_shot(args: &LoopArgs<'_>) -> usize {
    if args.backend == Backend::Synth {
        0
    } else {
        args.prompting.few_shot
    }
}

/// Template, examples and answer form from the arguments; the model
/// measures the prompts (see `kubescribe_infer::prompts`).
fn prompts<'g>(
    args: &LoopArgs<'_>,
    generator: &'g dyn kubescribe_infer::Generator,
    bank: Option<&'g kubescribe_infer::prompts::ExampleBank>,
) -> Result<kubescribe_infer::prompts::TemplatePrompts<'g>> {
    use kubescribe_infer::prompts::TemplatePrompts;
    use kubescribe_synth::prompt::{OutputFormat, Template};
    let template: Template = args.prompting.template()?;
    // Constrained decoding writes JSON; the prompt asks for what is enforced.
    let constrained = !args.model.no_constrain
        && args.backend != Backend::Synth
        && !(args.backend == Backend::Openai && args.model.schema_field == SchemaFieldArg::Off);
    let format = if constrained {
        OutputFormat::Json
    } else {
        OutputFormat::Yaml
    };
    let mut source = TemplatePrompts::new(template, few_shot(args), format);
    source.bank = bank;
    source.generator = Some(generator);
    // room for the answer: a policy rarely needs more than 512 tokens
    source.answer_tokens = args.model.max_new_tokens.min(512);
    Ok(source)
}

/// The first generator error, when every attempt failed with one (nothing
/// was generated).
fn all_failed(trace: &kubescribe_infer::pipeline::Trace) -> Option<&str> {
    let model: Vec<_> = trace
        .attempts
        .iter()
        .filter(|a| !a.generator.contains("fallback"))
        .collect();
    if model.is_empty() || model.iter().any(|a| a.error.is_none()) {
        return None;
    }
    model.first().and_then(|a| a.error.as_deref())
}

/// The validation report of a policy checked against a store, on standard
/// error: each layer with its findings, then the store's events of the
/// policy's namespace replayed against it (what it would allow, audit,
/// block).
fn report(
    policy: &kubescribe_core::Policy,
    diagnostics: &[kubescribe_validate::diagnostic::Diagnostic],
    store: &mut dyn EventStore,
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
        (
            Layer::Fidelity,
            "layer 5 (intent fidelity: scope, resources and actions, replayed events)",
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
