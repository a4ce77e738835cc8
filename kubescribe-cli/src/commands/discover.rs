//! `kubescribe discover`: least-privilege allow-list policies per workload
//! from the store (`kubescribe_discover`), validated and replayed
//! (`kubescribe_infer::discover`), optionally refined by an intent,
//! compared with a previous discovery, or measured on a held-out window.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, Result, bail};
use serde_json::json;

use kubescribe_core::Policy;
use kubescribe_core::document::ReadLimits;
use kubescribe_core::engine::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_core::quote::Printable as P;
use kubescribe_discover::{DiscoverOptions, WorkloadDiscovery, diff};
use kubescribe_events::PodResolver;
use kubescribe_events::store::{EventStore, Windowed};
use kubescribe_infer::discover::{self as check, DiscoverRun, EngineReplay, Judged};
use kubescribe_intent::{IntentParseError, parse_intent_with, restate};
use kubescribe_simulate::Inventory;

use crate::args::{DiscoverArgs, PolicyFormat};
use crate::input;
use crate::output::{self, Exit};
use crate::store_location;

fn options(a: &DiscoverArgs) -> Result<DiscoverOptions> {
    let mut o = DiscoverOptions {
        namespace: a.namespace.clone(),
        dir_threshold: (a.dir_threshold > 0).then_some(a.dir_threshold),
        ..DiscoverOptions::default()
    };
    if !a.engines.is_empty() {
        o.engines = a
            .engines
            .iter()
            .map(|e| e.parse::<Engine>().map_err(anyhow::Error::msg))
            .collect::<Result<_>>()?;
        o.engines.dedup();
    }
    if let Some(sel) = &a.selector {
        for pair in sel.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((k, v)) = pair.split_once('=') else {
                bail!("--selector {sel:?}: expected K=V[,K=V...]");
            };
            o.selector
                .insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    Ok(o)
}

/// Runs `discover`.
pub fn run(a: DiscoverArgs) -> Result<Exit> {
    let o = options(&a)?;
    let mut opened = store_location::open_store(&store_location::store_or_default(&a.store))?;
    let mut store = Windowed {
        store: &mut opened,
        since: a.since,
        until: a.until,
    };
    if let Some(fraction) = a.holdout {
        return holdout(&a, &o, &mut store, fraction);
    }
    let mut result = check::run(&mut store, &o, &[]).context("discovering")?;
    let mut extra = Vec::new();
    if let Some(text) = &a.intent {
        match intent_policies(text, &mut store, &result.discovery.workloads, &o.engines) {
            Ok(p) => extra = p,
            Err(exit) => return Ok(exit),
        }
        result = check::run(&mut store, &o, &extra).context("discovering")?;
    }
    let diffs = match &a.diff {
        Some(path) => {
            let old = read_policies(path)?;
            let mut new: Vec<Policy> = result
                .discovery
                .policies
                .iter()
                .map(|p| p.policy.clone())
                .collect();
            new.extend(extra.iter().cloned());
            Some(diff::diff(&old, &new))
        }
        None => None,
    };
    if matches!(a.output, PolicyFormat::Json) {
        output::print_json(&to_json(&result, &extra, diffs.as_deref())?)?;
    } else {
        let mut text = String::new();
        for p in result
            .discovery
            .policies
            .iter()
            .map(|p| &p.policy)
            .chain(&extra)
        {
            if !text.is_empty() {
                text.push_str("---\n");
            }
            text.push_str(&p.to_canonical_yaml()?);
        }
        output::print_text(&text)?;
    }
    report(&result, &extra, a.max_listed)?;
    if let Some(d) = &diffs {
        report_diff(d, a.diff.as_deref())?;
    }
    let extra_valid = result.extra_checks.iter().all(|c| c.valid);
    Ok(if result.sound() && extra_valid {
        Exit::Ok
    } else {
        Exit::Invalid
    })
}

/// Policies of a previous discovery (any policy file).
fn read_policies(path: &std::path::Path) -> Result<Vec<Policy>> {
    let set = input::read_documents(path, &ReadLimits::default())
        .with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for doc in &set.documents {
        let mut v = doc.value.clone();
        kubescribe_core::document::prune_nulls(&mut v);
        let p = Policy::from_value(v).with_context(|| {
            format!(
                "{}: a document is not a policy kubescribe models",
                path.display()
            )
        })?;
        out.push(p);
    }
    Ok(out)
}

/// The policies of `--intent`: the text parsed (pod names through the
/// store); a text that names no pods applies to each discovered workload.
/// A text that cannot be parsed, an intent with gaps or one no discovered
/// engine (nor its own) can express is printed and becomes exit 1.
fn intent_policies(
    text: &str,
    store: &mut Windowed<'_>,
    workloads: &[WorkloadDiscovery],
    engines: &[Engine],
) -> std::result::Result<Vec<Policy>, Exit> {
    let text = text.trim();
    let text = text.strip_prefix("and ").unwrap_or(text);
    let mut intents: Vec<Intent> = Vec::new();
    let first = parse_intent_with(text, Some(store as &mut dyn PodResolver));
    let parsed = match first {
        Ok(p) => {
            intents.push(p.intent.clone());
            p
        }
        Err(IntentParseError::Missing(m)) if m.iter().any(|g| g.starts_with("which pods")) => {
            // No pods named: the intent is about each discovered workload.
            // The parser is given a stand-in scope, replaced per workload.
            let scoped =
                format!("{text} for kubescribe-discover=scope in namespace kubescribe-discover");
            let p = parse_intent_with(&scoped, None).map_err(|e| output::fail(Exit::Invalid, e))?;
            for w in workloads {
                let mut i = p.intent.clone();
                i.scope.labels = w.workload.labels.clone();
                i.scope.namespace = Some(w.workload.namespace.clone());
                intents.push(i);
            }
            eprintln!(
                "kubescribe: the intent names no pods: applied to each of the {} discovered workload(s)",
                workloads.len()
            );
            p
        }
        Err(e) => return Err(output::fail(Exit::Invalid, e)),
    };
    for a in &parsed.assumptions {
        eprintln!("kubescribe: assumed: {a}");
    }
    let mut out = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for intent in intents {
        let gaps = intent.gaps();
        if !gaps.is_empty() {
            let list: Vec<String> = gaps.iter().map(ToString::to_string).collect();
            return Err(output::fail(
                Exit::Invalid,
                format_args!("cannot refine: the intent has gaps: {}", list.join("; ")),
            ));
        }
        eprintln!("kubescribe: understood as: {}", restate(&intent));
        let engine = intent.engine.or_else(|| {
            intent
                .domain
                .engines()
                .iter()
                .copied()
                .find(|e| engines.contains(e))
        });
        let policy = kubescribe_synth::synthesize(&intent, engine)
            .map_err(|e| output::fail(Exit::Invalid, format_args!("cannot refine: {e}")))?;
        // Two workloads' intents may synthesize one name: the later gets a
        // suffix, so no refinement is lost.
        let mut policy = policy;
        let mut n = 2;
        while !names.insert(diff::policy_key(&policy)) {
            let mut v = policy
                .to_value()
                .map_err(|e| output::fail(Exit::Invalid, e))?;
            let base = v["metadata"]["name"]
                .as_str()
                .unwrap_or("ks-intent")
                .to_string();
            let base = base.trim_end_matches(&format!("-{}", n - 1)).to_string();
            v["metadata"]["name"] = json!(format!("{base}-{n}"));
            policy = Policy::from_value(v).map_err(|e| output::fail(Exit::Invalid, e))?;
            n += 1;
        }
        out.push(policy);
    }
    Ok(out)
}

fn holdout(
    a: &DiscoverArgs,
    o: &DiscoverOptions,
    store: &mut dyn EventStore,
    fraction: f64,
) -> Result<Exit> {
    if !(0.0..=1.0).contains(&fraction) {
        bail!("--holdout {fraction}: a fraction of the window, between 0 and 1");
    }
    let events = check::load_events(store)?;
    let workloads = store.workloads(None, &BTreeMap::new())?;
    let inventory = Inventory::from_store(store)?;
    let thresholds: Vec<Option<usize>> =
        a.thresholds.iter().map(|&t| (t > 0).then_some(t)).collect();
    let h = check::holdout(&events, &workloads, &inventory, o, fraction, &thresholds)?;
    if matches!(a.output, PolicyFormat::Json) {
        output::print_json(&serde_json::to_value(&h)?)?;
        return Ok(Exit::Ok);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "held-out replay: {} workload(s), each discovered on the first {:.0}% of its own recorded window: {} distinct event(s) before, {} after",
        h.workloads,
        h.fraction * 100.0,
        h.train_events,
        h.test_events
    )?;
    writeln!(
        out,
        "{:>9} {:>9} {:>9} {:>12} {:>10} {:>10} {:>8}  blocked by kind",
        "threshold", "judged", "blocked", "false-block%", "undecided", "path-rules", "dirs"
    )?;
    for p in &h.points {
        writeln!(
            out,
            "{:>9} {:>9} {:>9} {:>11.1}% {:>10} {:>10} {:>8}  {}",
            p.threshold.map_or("exact".into(), |t| t.to_string()),
            p.judged,
            p.false_blocks,
            p.false_block_rate * 100.0,
            p.undecided,
            p.path_rules,
            p.dir_rules,
            p.false_blocks_by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    writeln!(
        out,
        "(observations of held-out benign events of workloads discovered from the first part; operator-denied ones left out)"
    )?;
    Ok(Exit::Ok)
}

fn to_json(
    r: &DiscoverRun,
    extra: &[Policy],
    diffs: Option<&[diff::PolicyDiff]>,
) -> Result<serde_json::Value> {
    let mut policies = Vec::new();
    for (p, c) in r.discovery.policies.iter().zip(&r.checks) {
        policies.push(json!({
            "engine": p.engine.name(),
            "workload": p.workload,
            "policy": p.policy.to_value()?,
            "valid": c.valid,
            "diagnostics": c.diagnostics,
        }));
    }
    let mut intent = Vec::new();
    for (p, c) in extra.iter().zip(&r.extra_checks) {
        intent.push(json!({
            "engine": p.engine().name(),
            "policy": p.to_value()?,
            "valid": c.valid,
            "diagnostics": c.diagnostics,
        }));
    }
    let events = |list: &[Judged]| -> Vec<serde_json::Value> {
        list.iter()
            .map(|j| json!({"event": r.events[j.index].event, "count": j.count, "decision": j.decision}))
            .collect()
    };
    let replay: Vec<serde_json::Value> = r
        .replays
        .iter()
        .map(|e| {
            json!({
                "engine": e.engine.name(),
                "policies": e.policies,
                "training": e.training,
                "trainingNotAllowed": events(&e.training_not_allowed),
                "blockedByIntent": events(&e.blocked_by_intent),
                "other": e.other,
                "otherNotAllowed": events(&e.other_not_allowed),
            })
        })
        .collect();
    let mut v = json!({
        "sound": r.sound(),
        "policies": policies,
        "intentPolicies": intent,
        "workloads": r.discovery.workloads,
        "replay": replay,
        "skipped": r.discovery.skipped,
        "notes": r.discovery.notes,
    });
    if let Some(d) = diffs {
        v["diff"] = serde_json::to_value(d)?;
    }
    Ok(v)
}

fn list(
    err: &mut dyn Write,
    title: &str,
    r: &DiscoverRun,
    items: &[Judged],
    max: usize,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(err, "    {title}:")?;
    for j in items.iter().take(max) {
        writeln!(
            err,
            "      {} x{}: {}",
            output::describe_event(&r.events[j.index].event),
            j.count,
            P(&j.decision.reason)
        )?;
    }
    if items.len() > max {
        writeln!(
            err,
            "      ... and {} more (--max-listed)",
            items.len() - max
        )?;
    }
    Ok(())
}

fn replay_line(e: &EngineReplay) -> String {
    let t = &e.training;
    let o = &e.other;
    format!(
        "{} ({} policies): training {} observation(s): {} allowed, {} audited, {} blocked, {} unknown, {} not simulated; other events of the scope {}: {} allowed, {} blocked, {} unknown/not simulated",
        e.engine,
        e.policies,
        t.total(),
        t.allowed,
        t.audited,
        t.blocked,
        t.unknown,
        t.not_simulated,
        o.total(),
        o.allowed + o.audited,
        o.blocked,
        o.unknown + o.not_simulated
    )
}

fn report(r: &DiscoverRun, extra: &[Policy], max: usize) -> Result<()> {
    let mut err = std::io::stderr().lock();
    let d = &r.discovery;
    writeln!(
        err,
        "kubescribe: discovered {} workload(s) from {} distinct event(s): {} policies",
        d.workloads.len(),
        r.events.len(),
        d.policies.len()
    )?;
    for w in &d.workloads {
        let a = &w.allow;
        let dirs = a.files.iter().filter(|f| f.rule.dir).count();
        writeln!(
            err,
            "  {} ({}{}): {} executable rule(s), {} file rule(s) ({} directories), {} ingress and {} egress rule(s); from {} event(s)",
            P(&w.workload.display()),
            P(&kubescribe_events::labels_text(&w.workload.labels)),
            w.workload
                .kind
                .as_deref()
                .map(|k| format!("; {k}"))
                .unwrap_or_default(),
            a.processes.len() + a.exec_names.len(),
            a.files.len(),
            dirs,
            a.ingress.len(),
            a.egress.len(),
            w.events.len()
        )?;
    }
    for (why, n) in &d.skipped {
        writeln!(err, "  not derived from: {n} event(s): {why}")?;
    }
    for n in &d.notes {
        writeln!(err, "  note: {}", P(n))?;
    }
    writeln!(
        err,
        "kubescribe: validation (layer 1 schema and API-server rules, layers 2-3 against the store, layer 4 over-permissive rules):"
    )?;
    let all = d
        .policies
        .iter()
        .map(|p| &p.policy)
        .zip(&r.checks)
        .chain(extra.iter().zip(&r.extra_checks));
    for (p, c) in all {
        let warnings = c.diagnostics.iter().filter(|d| !d.is_error()).count();
        writeln!(
            err,
            "  {} {}/{}: {}{}",
            p.kind().kind(),
            P(p.namespace().unwrap_or("-")),
            P(p.name().unwrap_or("")),
            if c.valid { "valid" } else { "INVALID" },
            if warnings > 0 {
                format!(", {warnings} warning(s)")
            } else {
                String::new()
            }
        )?;
        for diag in &c.diagnostics {
            writeln!(err, "    {diag}")?;
        }
    }
    writeln!(
        err,
        "kubescribe: replay of the store's events (observations; simulate's semantics):"
    )?;
    for e in &r.replays {
        writeln!(err, "  {}", replay_line(e))?;
        list(
            &mut err,
            "TRAINING EVENTS NOT ALLOWED",
            r,
            &e.training_not_allowed,
            max,
        )?;
        list(
            &mut err,
            "blocked by the intent",
            r,
            &e.blocked_by_intent,
            max,
        )?;
        list(
            &mut err,
            "would be blocked (not derived from)",
            r,
            &e.other_not_allowed,
            max,
        )?;
    }
    writeln!(
        err,
        "kubescribe: {}",
        if r.sound() {
            "every discovered policy is valid and allows every event it was derived from"
        } else {
            "NOT SOUND: some discovered policy is invalid or does not allow an event it was derived from (listed above)"
        }
    )?;
    Ok(())
}

fn report_diff(diffs: &[diff::PolicyDiff], old: Option<&std::path::Path>) -> Result<()> {
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "kubescribe: changes since {}: {} policies",
        old.map_or("(old)".into(), |p| p.display().to_string()),
        diffs.len()
    )?;
    for d in diffs {
        writeln!(err, "  {} ({})", P(&d.policy), d.status)?;
        for a in &d.added {
            writeln!(err, "    + {}", P(a))?;
        }
        for r in &d.removed {
            writeln!(err, "    - {}", P(r))?;
        }
    }
    Ok(())
}
