//! `kubescribe simulate`: replay the event store against policies.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{CoreError, Policy};
use kubescribe_events::store::{EventQuery, EventStore, EventTable};
use kubescribe_simulate::{Inventory, NamespacePosture, Posture, SimOptions, Simulator, Verdict};

use crate::args::{Output, PostureArg, SimulateArgs};
use crate::output::{self, Exit};
use crate::store_location;

fn load(files: &[PathBuf], max_file_mib: usize) -> Result<Vec<(String, Policy)>> {
    let limits = ReadLimits {
        max_bytes: max_file_mib.saturating_mul(1024 * 1024),
        ..ReadLimits::default()
    };
    let mut out = Vec::new();
    for f in files {
        let set = document::read_file(f, &limits).map_err(|e| match e {
            CoreError::Syntax {
                source_name,
                line,
                column,
                message,
            } => anyhow::anyhow!("{source_name}:{line}:{column}: {message}"),
            other => anyhow::anyhow!(other),
        })?;
        for doc in &set.documents {
            let mut v = doc.value.clone();
            document::prune_nulls(&mut v);
            let at = format!(
                "{}:{}",
                set.source,
                set.line_of(doc, "").map_or("?".into(), |l| l.to_string())
            );
            let p = Policy::from_value(v).with_context(|| {
                format!(
                    "{at}: not a policy kubescribe models (run `kubescribe validate` for details)"
                )
            })?;
            out.push((at, p));
        }
    }
    if out.is_empty() {
        bail!("no policy documents in {} file(s)", files.len());
    }
    Ok(out)
}

/// `--namespace-posture NS[:KIND]=POSTURE` values, per namespace.
fn namespace_postures(values: &[String]) -> Result<BTreeMap<String, NamespacePosture>> {
    let mut out: BTreeMap<String, NamespacePosture> = BTreeMap::new();
    for v in values {
        let bad = || {
            anyhow::anyhow!(
                "--namespace-posture {v:?}: expected NS=POSTURE or NS:KIND=POSTURE (KIND file, network or capabilities; POSTURE audit or block)"
            )
        };
        let (target, posture) = v.split_once('=').ok_or_else(bad)?;
        let posture = match posture.trim().to_ascii_lowercase().as_str() {
            "audit" => Posture::Audit,
            "block" => Posture::Block,
            _ => return Err(bad()),
        };
        let (ns, kind) = match target.split_once(':') {
            Some((ns, kind)) => (ns, Some(kind)),
            None => (target, None),
        };
        if ns.is_empty() {
            return Err(bad());
        }
        let p = out.entry(ns.to_string()).or_default();
        match kind {
            None => {
                p.file = Some(posture);
                p.network = Some(posture);
                p.capabilities = Some(posture);
            }
            Some("file") => p.file = Some(posture),
            Some("network") => p.network = Some(posture),
            Some("capabilities") => p.capabilities = Some(posture),
            Some(_) => return Err(bad()),
        }
    }
    Ok(out)
}

/// Replays the store's events (of `--namespace`) against the policies and
/// prints the decisions: exit 1 when some event is blocked.
pub fn run(a: SimulateArgs) -> Result<Exit> {
    let mut opened = store_location::open_store(&store_location::store_or_default(&a.store))?;
    let mut store = kubescribe_events::store::Windowed {
        store: &mut opened,
        since: a.since,
        until: a.until,
    };
    let loaded = load(&a.policies, a.max_file_mib)?;
    let policies: Vec<Policy> = loaded.iter().map(|(_, p)| p.clone()).collect();
    let sim = Simulator::new(
        &policies,
        SimOptions {
            kubearmor_posture: match a.posture {
                PostureArg::Block => Posture::Block,
                PostureArg::Audit => Posture::Audit,
            },
            kubearmor_namespace_postures: namespace_postures(&a.namespace_posture)?,
        },
    )?
    // The store's manifests: namespace labels and named container ports.
    .with_inventory(Inventory::from_store(&mut store)?);
    let q = EventQuery {
        namespace: a.namespace.clone(),
        ..EventQuery::default()
    };
    let mut rows = Vec::new();
    for t in EventTable::ALL {
        rows.extend(store.events(t, &q)?);
    }
    let report = sim.run_weighted(rows.iter().map(|r| (&r.event, r.count)));
    let mut out = std::io::stdout().lock();
    if matches!(a.output, Output::Json) {
        let events: Vec<serde_json::Value> = rows
            .iter()
            .zip(&report.decisions)
            .map(|(r, d)| {
                serde_json::json!({
                    "table": r.table, "id": r.id, "count": r.count,
                    "event": r.event, "decision": d,
                })
            })
            .collect();
        let v = serde_json::json!({
            "policies": loaded.iter().map(|(at, _)| at).collect::<Vec<_>>(),
            "rows": rows.len(),
            "totals": report.totals,
            "rules": report.rules,
            "notes": report.notes,
            "defaults": report.defaults,
            "events": events,
        });
        output::write_json(&mut out, &v)?;
    } else {
        // Policy names, rule pointers, reasons and events are user data:
        // printed with their control characters escaped.
        use kubescribe_core::quote::Printable as P;
        let t = &report.totals;
        writeln!(
            out,
            "{} distinct events ({} observations) against {} policies: {} allowed, {} audited, {} blocked, {} unknown, {} not simulated (observations)",
            rows.len(),
            t.total(),
            policies.len(),
            t.allowed,
            t.audited,
            t.blocked,
            t.unknown,
            t.not_simulated
        )?;
        writeln!(out, "\nper rule (observations):")?;
        writeln!(
            out,
            "  {:>8} {:>8} {:>8} {:>8} {:>13}  rule",
            "allowed", "audited", "blocked", "unknown", "not simulated"
        )?;
        for r in &report.rules {
            let who = match (&r.policy, &r.rule) {
                (Some(p), Some(rule)) => format!("{} {}", P(p), P(rule)),
                (Some(p), None) => P(p).to_string(),
                _ => "(no policy governs)".into(),
            };
            let c = &r.counts;
            writeln!(
                out,
                "  {:>8} {:>8} {:>8} {:>8} {:>13}  {who}",
                c.allowed, c.audited, c.blocked, c.unknown, c.not_simulated
            )?;
        }
        list_events(
            &mut out,
            "blocked events",
            &rows,
            &report.decisions,
            Verdict::Block,
            a.max_listed,
        )?;
        if !report.defaults.is_empty() {
            writeln!(
                out,
                "\nsimulated as the API server stores them (its defaults filled in):"
            )?;
            for n in &report.defaults {
                writeln!(
                    out,
                    "  {} {}: {}",
                    P(&n.policy),
                    P(&n.pointer),
                    P(&n.message)
                )?;
            }
        }
        list_events(
            &mut out,
            "not simulated events",
            &rows,
            &report.decisions,
            Verdict::NotSimulated,
            a.max_listed,
        )?;
        if !report.notes.is_empty() {
            writeln!(out, "\nnot simulated (policy parts):")?;
            for n in &report.notes {
                writeln!(
                    out,
                    "  {} {}: {}",
                    P(&n.policy),
                    P(&n.pointer),
                    P(&n.message)
                )?;
            }
        }
    }
    Ok(Exit::of(false, report.totals.blocked > 0))
}

/// Lists the events whose verdict is `verdict` (at most `max_listed`), each
/// with its reason and the deciding rule when there is one.
fn list_events(
    out: &mut impl Write,
    title: &str,
    rows: &[kubescribe_events::store::StoredEvent],
    decisions: &[kubescribe_simulate::Decision],
    verdict: Verdict,
    max_listed: usize,
) -> Result<()> {
    use kubescribe_core::quote::Printable as P;
    let listed: Vec<_> = rows
        .iter()
        .zip(decisions)
        .filter(|(_, d)| d.verdict == verdict)
        .collect();
    if listed.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title} ({}):", listed.len())?;
    for (r, d) in listed.iter().take(max_listed) {
        writeln!(
            out,
            "  {}#{} x{} {}: {}",
            r.table,
            r.id,
            r.count,
            output::describe_event(&r.event),
            P(&d.reason)
        )?;
        if let (Some(p), Some(rule)) = (&d.policy, &d.rule) {
            writeln!(out, "      by {} {}", P(p), P(rule))?;
        }
    }
    if listed.len() > max_listed {
        writeln!(
            out,
            "  ... {} more (--max-listed, or -o json for all)",
            listed.len() - max_listed
        )?;
    }
    Ok(())
}
