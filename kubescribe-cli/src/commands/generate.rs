//! `kubescribe generate`: an intent → a validated policy. The deterministic
//! synthesizer writes it offline (here); a model backend, a store or a
//! trace runs the generate → validate → regenerate loop ([`model_loop`]).
//! `--events` ingests into a temporary store first; `--live` reads the
//! intent against the cluster and `--apply` applies the policy there.

mod model_loop;

use std::path::PathBuf;

use anyhow::{Context, Result};
use kubescribe_core::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_events::cluster::{ClusterContext, ClusterPods};
use kubescribe_synth as synth;
use kubescribe_validate::Validator;

use crate::args::{Backend, GenerateApply, GenerateArgs, PolicyFormat};
use crate::cluster_apply;
use crate::intent_source::{self, IntentSource};
use crate::output::{self, Exit};
use crate::store_location;

/// Runs `generate`: the synthesizer alone when it writes the policy with no
/// store and no trace, else the loop.
pub fn run(args: GenerateArgs) -> Result<Exit> {
    if let Some(trace) = &args.trace {
        output::refuse_overwrite([trace.as_path()], args.force)?;
    }
    // The temporary store lives until the command is done.
    let (_temporary, store) = if args.events.is_empty() {
        (None, store_location::store_arg(&args.store))
    } else {
        let (dir, path) = ingest_events(&args.events)?;
        (Some(dir), Some(path))
    };
    let source = IntentSource::from_args(args.intent.as_deref(), args.intent_file.as_deref());
    let source = if args.apply.use_cluster {
        match cluster_intent(&args.apply, source, args.engine.as_deref())? {
            Ok(intent) => IntentSource::Parsed(Box::new(intent)),
            Err(exit) => return Ok(exit),
        }
    } else {
        source
    };
    if store.is_none() && (args.since.is_some() || args.until.is_some()) {
        return Ok(output::fail(
            Exit::Unusable,
            "--since/--until window the store's events: give --store (or KUBESCRIBE_STORE) or --events",
        ));
    }
    let apply = args.apply.apply.then_some(&args.apply);
    let json = matches!(args.output, PolicyFormat::Json);
    if args.backend == Backend::Synth && args.trace.is_none() && store.is_none() {
        return synthesize(
            source,
            args.engine.as_deref(),
            json,
            apply,
            args.deny_warnings,
        );
    }
    let loop_args = model_loop::LoopArgs {
        engine: args.engine.as_deref(),
        backend: args.backend,
        model: &args.model,
        max_attempts: args.max_attempts,
        trace: args.trace.as_deref(),
        store: store.as_deref(),
        since: args.since,
        until: args.until,
        fallback_synth: args.fallback_synth,
        json,
        apply,
        deny_warnings: args.deny_warnings,
        best_effort: args.best_effort,
        prompting: &args.prompting,
        quiet: args.quiet,
    };
    match source {
        IntentSource::File(path) => model_loop::run(path, &loop_args),
        // The store, when given, resolves pod names in the text.
        IntentSource::Text(text) => match intent_source::parse_text(text, store.as_deref())? {
            Ok(intent) => model_loop::run_intent(intent, &loop_args),
            Err(exit) => Ok(exit),
        },
        IntentSource::Parsed(intent) => model_loop::run_intent(*intent, &loop_args),
    }
}

/// Reads (or parses) the intent, synthesizes, validates (layers 1 and 4),
/// prints; exit 1, with nothing printed on standard output, when the intent
/// has gaps, the engine cannot express it, the policy is not valid, or with
/// `deny_warnings` the policy has a warning.
fn synthesize(
    source: IntentSource<'_>,
    engine: Option<&str>,
    json: bool,
    apply: Option<&GenerateApply>,
    deny_warnings: bool,
) -> Result<Exit> {
    let intent = match source {
        IntentSource::File(path) => intent_source::read_intent_file(path)?,
        IntentSource::Text(text) => match intent_source::parse_text(text, None)? {
            Ok(intent) => intent,
            Err(exit) => return Ok(exit),
        },
        IntentSource::Parsed(intent) => *intent,
    };
    if let Some(exit) = refuse_gaps(&intent) {
        return Ok(exit);
    }
    let engine: Option<Engine> = engine
        .map(str::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let policy = match synth::synthesize(&intent, engine) {
        Ok(p) => p,
        Err(e) => {
            return Ok(output::fail(
                Exit::Invalid,
                format_args!("cannot generate: {e}"),
            ));
        }
    };
    let value = policy.to_value()?;
    let outcome = Validator::new().permissive(true).validate_value(&value);
    if !outcome.is_valid() {
        // Nothing reaches standard output: the policy is not valid. The
        // synthesizer's own tests keep this from happening for well-formed
        // intents; a value the engine rejects (a label value, a name) can.
        eprintln!(
            "kubescribe: cannot generate: the synthesized {} is not valid (layer 1), so it is not printed:",
            policy.kind().kind()
        );
        for d in &outcome.diagnostics {
            eprintln!("  {d}");
        }
        return Ok(Exit::Invalid);
    }
    if deny_warnings && !outcome.diagnostics.is_empty() {
        return Ok(refuse_warnings(&policy, &outcome.diagnostics));
    }
    if json {
        let out = serde_json::json!({
            "engine": policy.engine().name(),
            "kind": policy.kind().kind(),
            "policy": value,
            "valid": true,
            "diagnostics": outcome.diagnostics,
        });
        output::print_json(&out)?;
    } else {
        output::print_text(&policy.to_canonical_yaml()?)?;
    }
    let warnings = outcome.diagnostics.len();
    eprintln!(
        "kubescribe: {} {} for {}: valid (layer 1: built-in schema and API-server rules; layer 4: over-permissive rules){}",
        policy.kind().kind(),
        policy.name().unwrap_or(""),
        policy.engine(),
        if warnings > 0 {
            format!(", {warnings} warning(s)")
        } else {
            String::new()
        }
    );
    for d in &outcome.diagnostics {
        eprintln!("  {d}");
    }
    match apply {
        Some(a) => cluster_apply::apply_generated(a, &policy),
        None => Ok(Exit::Ok),
    }
}

/// An intent with [gaps](Intent::gaps) (no workload named, a
/// contradiction, …) is refused before anything is generated: each gap on
/// standard error, nothing on standard output, exit 1. Nothing is guessed.
pub(crate) fn refuse_gaps(intent: &Intent) -> Option<Exit> {
    let gaps = intent.gaps();
    if gaps.is_empty() {
        return None;
    }
    eprintln!(
        "kubescribe: cannot generate: the intent is underspecified or contradictory (nothing is guessed):"
    );
    for g in &gaps {
        eprintln!("  {g}");
    }
    Some(Exit::Invalid)
}

/// `--deny-warnings` and a policy with warnings: the findings on standard
/// error, as errors, and exit 1; the policy is not printed.
fn refuse_warnings(
    policy: &kubescribe_core::Policy,
    warnings: &[kubescribe_validate::Diagnostic],
) -> Exit {
    eprintln!(
        "kubescribe: {} {} for {}: refused: {} warning(s), errors under --deny-warnings:",
        policy.kind().kind(),
        policy.name().unwrap_or(""),
        policy.engine(),
        warnings.len()
    );
    for d in warnings {
        let mut d = d.clone();
        d.severity = kubescribe_validate::Severity::Error;
        eprintln!("  {d}");
    }
    Exit::Invalid
}

/// Pod names resolved through the cluster, keeping the cluster's failure.
struct RecordingPods<'a> {
    pods: ClusterPods<'a>,
    failure: Option<kubescribe_events::cluster::ClusterError>,
}

impl kubescribe_events::PodResolver for RecordingPods<'_> {
    fn resolve_pod(
        &mut self,
        namespace: Option<&str>,
        name: &str,
    ) -> std::result::Result<
        Vec<kubescribe_core::intent::ResolvedPod>,
        Box<dyn std::error::Error + Send + Sync>,
    > {
        match self.pods.0.pods(namespace) {
            Ok(pods) => Ok(kubescribe_events::cluster::resolve_pod_name(&pods, name)),
            Err(e) => {
                self.failure = Some(e.clone());
                Err(Box::new(e))
            }
        }
    }
}

/// `generate --live`: the intent read (or parsed, with pod names
/// resolved through the cluster's pods), its engine defaulted to one the
/// cluster runs unless `--engine` or the intent names one. A parse error is
/// printed and becomes `Err(exit status)`.
fn cluster_intent(
    args: &GenerateApply,
    source: IntentSource<'_>,
    engine_flag: Option<&str>,
) -> Result<Result<Intent, Exit>> {
    let mut cluster = args.cluster.connect()?;
    let mut intent = match source {
        IntentSource::File(path) => intent_source::read_intent_file(path)?,
        IntentSource::Parsed(intent) => *intent,
        IntentSource::Text(text) => {
            let mut pods = RecordingPods {
                pods: ClusterPods(&mut cluster),
                failure: None,
            };
            let parsed = intent_source::parse_with(text, Some(&mut pods));
            // A cluster that cannot be asked is exit 2 with its cause, not
            // an intent that cannot be parsed (exit 1).
            if let Some(e) = pods.failure {
                return Err(
                    anyhow::Error::new(e).context("resolving pod names through the cluster")
                );
            }
            match intent_source::report_parse(parsed) {
                Ok(intent) => intent,
                Err(code) => return Ok(Err(code)),
            }
        }
    };
    if engine_flag.is_none() && intent.engine.is_none() {
        let installed = cluster.engines()?;
        let names: Vec<&str> = installed.iter().map(|e| e.name()).collect();
        let domain = format!("{:?}", intent.domain).to_lowercase();
        match kubescribe_synth::engine_for_cluster(intent.domain, &installed) {
            Some(engine) => {
                eprintln!(
                    "kubescribe: {} runs {}; targeting {engine} for this {domain} intent",
                    cluster.describe(),
                    names.join(", ")
                );
                intent.engine = Some(engine);
            }
            None => eprintln!(
                "kubescribe: warning: {} runs no engine for {domain} intents (it runs {}); using the default engine",
                cluster.describe(),
                names.join(", ")
            ),
        }
    }
    Ok(Ok(intent))
}

/// Ingests `files` (runtime events and manifests, as `kubescribe ingest`
/// reads them) into a new store in a temporary directory, which lives as
/// long as the returned guard. The summary and every skipped record go to
/// standard error; an unreadable file is an error.
fn ingest_events(files: &[PathBuf]) -> Result<(tempfile::TempDir, PathBuf)> {
    use kubescribe_events::store::SqliteStore;
    use kubescribe_events::{IngestOptions, IngestSummary, SkipReason, ingest_file};

    let dir = tempfile::tempdir().context("creating a temporary directory for the event store")?;
    let path = dir.path().join("events.db");
    let mut store =
        SqliteStore::open(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut total = IngestSummary::default();
    for f in files {
        let sum = ingest_file(&mut store, f, &IngestOptions::default(), &mut |_| {})
            .with_context(|| format!("ingesting {}", f.display()))?;
        total.merge(&sum, usize::MAX);
    }
    for e in &total.errors {
        eprintln!("kubescribe: skipped record: {e}");
    }
    let other = total
        .skipped
        .iter()
        .filter(|(r, _)| **r == SkipReason::NotRuntimeActivity)
        .map(|(_, n)| n)
        .sum::<u64>();
    eprintln!(
        "kubescribe: ingested {} file(s) into a temporary store: {} record(s), {} event(s), {} workload(s){}{}",
        files.len(),
        total.records_read,
        total.total_events(),
        total.workloads_stored,
        match total.records_skipped() - other {
            0 => String::new(),
            n => format!(", {n} malformed or unsupported record(s) skipped (listed above)"),
        },
        if other > 0 {
            format!(", {other} without workload activity")
        } else {
            String::new()
        }
    );
    Ok((dir, path))
}
