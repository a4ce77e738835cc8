//! Validating on a cluster and applying there, shared by `kubescribe apply`
//! and `generate --apply`: every layer with the cluster's CRDs and live
//! objects, then server-side apply, and the report of both.

use std::io::Write;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_kube::{Action, ApplyOptions, ApplyReport, ApplyResult, KubeCluster, checks};
use kubescribe_validate::{Diagnostic, DocumentReport, Validator};

use crate::args::{DryRun, Format, GenerateApply};
use crate::output::{self, Exit};

/// Layer-1 validation with the cluster's CRDs, then layers 2/3 and the
/// server-side dry run for what passed. Returns the reports (all layers)
/// and the documents that passed every layer.
pub fn validate_on_cluster(
    cluster: &mut KubeCluster,
    mut validator: Validator,
    set: &kubescribe_core::DocumentSet,
    layers23: bool,
    dry_run: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<DocumentReport>> {
    notes.extend(
        checks::add_cluster_crds(
            cluster,
            &mut validator,
            set.documents.iter().map(|d| &d.value),
        )
        .context("reading CRDs from the cluster")?,
    );
    let mut more = |p: &kubescribe_core::Policy| -> Vec<Diagnostic> {
        if layers23 {
            checks::final_checks(cluster, p, dry_run)
        } else {
            Vec::new()
        }
    };
    Ok(validator.validate_set_with(set, &mut more))
}

fn print_reports(out: &mut dyn Write, reports: &[DocumentReport]) -> Result<()> {
    for r in reports {
        let what = format!(
            "{} {}",
            r.kind.as_deref().unwrap_or("document"),
            r.name.as_deref().unwrap_or("")
        );
        let at = r.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(
            out,
            "{}{at}: {what}: {}",
            r.source,
            if r.valid {
                "valid"
            } else {
                "invalid, not applied"
            }
        )?;
        for d in &r.diagnostics {
            let line = d.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(
                out,
                "  {}{line}: {} [layer {} {}, {}]",
                r.source,
                d,
                d.layer.number(),
                d.rule,
                d.origin
            )?;
        }
    }
    Ok(())
}

fn report_line(r: &ApplyReport) -> String {
    let obj = format!(
        "{}/{}{}",
        r.kind.to_lowercase(),
        r.namespace
            .as_deref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default(),
        r.name
    );
    let verb = match (r.action, r.dry_run) {
        (Action::Created, false) => "created",
        (Action::Created, true) => "would be created (server dry run)",
        (Action::Configured, false) => "configured",
        (Action::Configured, true) => "would be configured (server dry run)",
        (Action::Unchanged, _) => "unchanged",
    };
    let mut s = format!("{obj} {verb}");
    if !r.changed.is_empty() {
        s.push_str(&format!(": {}", r.changed.join(", ")));
    }
    if r.attempts > 1 {
        s.push_str(&format!(" (after {} attempts)", r.attempts));
    }
    s
}

/// Applies one generated policy (see [`GenerateApply`]); the report goes to
/// standard error, the policy itself was printed already.
pub fn apply_generated(args: &GenerateApply, policy: &kubescribe_core::Policy) -> Result<Exit> {
    let text = policy.to_canonical_json()?;
    let set = document::read_bytes("<generated>", text.as_bytes(), &ReadLimits::default())?;
    let mut cluster = args.cluster.connect()?;
    apply_sets(
        &mut cluster,
        Validator::new(),
        &[set],
        args.dry_run == DryRun::Server,
        false,
        false,
        Format::Text,
        &mut std::io::stderr().lock(),
    )
}

/// Validates (all layers) and applies document sets, writing the report to
/// `out`: [`Exit::Invalid`] when some document failed a layer or the server
/// rejected it.
#[allow(clippy::too_many_arguments)]
pub fn apply_sets(
    cluster: &mut KubeCluster,
    validator: Validator,
    sets: &[kubescribe_core::DocumentSet],
    dry_run: bool,
    force_conflicts: bool,
    skip_resource_checks: bool,
    format: Format,
    out: &mut dyn Write,
) -> Result<Exit> {
    let mut notes = Vec::new();
    let mut all_reports = Vec::new();
    let mut results = Vec::new();
    let mut failed = false;
    let stderr = &mut std::io::stderr().lock();
    for set in sets {
        // Layers 1-3 here; the apply itself is the server's final check.
        let reports = validate_on_cluster(
            cluster,
            validator.clone(),
            set,
            !skip_resource_checks,
            false,
            &mut notes,
        )?;
        for (doc, report) in set.documents.iter().zip(&reports) {
            if !report.valid {
                failed = true;
                continue;
            }
            let opts = ApplyOptions {
                dry_run,
                force: force_conflicts,
                ..Default::default()
            };
            let result = cluster.apply(&doc.value, &opts)?;
            failed |= matches!(result, ApplyResult::Rejected { .. });
            results.push((set.source.clone(), result));
        }
        all_reports.extend(reports);
    }
    for n in &notes {
        writeln!(stderr, "note: {n}")?;
    }
    match format {
        Format::Json => {
            let results: Vec<Value> = results
                .iter()
                .map(|(source, r)| match r {
                    ApplyResult::Applied(a) => json!({"source": source, "applied": a}),
                    ApplyResult::Rejected { code, reason, message, diagnostics } => json!({
                        "source": source,
                        "rejected": {"code": code, "reason": reason, "message": message, "diagnostics": diagnostics}}),
                })
                .collect();
            output::write_json(out, &json!({"validation": all_reports, "results": results}))?
        }
        Format::Text => {
            let shown: Vec<DocumentReport> = all_reports
                .iter()
                .filter(|r| !r.valid || !r.diagnostics.is_empty())
                .cloned()
                .collect();
            print_reports(out, &shown)?;
            for (source, r) in &results {
                match r {
                    ApplyResult::Applied(a) => writeln!(out, "{}", report_line(a))?,
                    ApplyResult::Rejected {
                        code,
                        reason,
                        message,
                        diagnostics,
                    } => {
                        writeln!(
                            out,
                            "{source}: rejected by the API server ({code} {reason}): {message}"
                        )?;
                        for d in diagnostics {
                            writeln!(out, "  {d}")?;
                        }
                    }
                }
            }
        }
    }
    Ok(Exit::of(false, failed))
}
