//! Validating on a cluster and applying there, shared by `kubescribe apply`
//! and `generate --apply`: every layer with the cluster's CRDs and live
//! objects, then server-side apply, and the report of both — complete also
//! when a later document fails (every object touched is listed, then the
//! cause of the failure).

use std::io::Write;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_events::cluster::ClusterError;
use kubescribe_kube::{Action, ApplyOptions, ApplyReport, ApplyResult, KubeCluster, checks};
use kubescribe_validate::{Diagnostic, DocumentReport, Validator};

use crate::args::{DryRun, Format, GenerateApply};
use crate::output::{self, Exit};

/// Layer-1 validation with the cluster's CRDs, then layers 2/3 and (with
/// `dry_run`) the server-side dry run of each document as written. Returns
/// the reports (all layers). A cluster that cannot be asked is an error:
/// nothing is called valid or invalid without having been checked.
pub fn validate_on_cluster(
    cluster: &mut KubeCluster,
    validator: &mut Validator,
    set: &kubescribe_core::DocumentSet,
    layers23: bool,
    dry_run: bool,
    opts: &ApplyOptions,
    notes: &mut Vec<String>,
) -> Result<Vec<DocumentReport>, ClusterError> {
    notes.extend(checks::add_cluster_crds(
        cluster,
        validator,
        set.documents.iter().map(|d| &d.value),
    )?);
    let mut failure: Option<ClusterError> = None;
    let mut used = vec![false; set.documents.len()];
    let mut more = |p: &kubescribe_core::Policy| -> Vec<Diagnostic> {
        if !layers23 || failure.is_some() {
            return Vec::new();
        }
        let document = document_of(set, p, &mut used);
        match checks::final_checks(cluster, p, &document, dry_run, opts) {
            Ok(d) => d,
            Err(e) => {
                failure = Some(e);
                Vec::new()
            }
        }
    };
    let reports = validator.validate_set_with(set, &mut more);
    match failure {
        Some(e) => Err(e),
        None => Ok(reports),
    }
}

/// The user's document a validated policy came from (same apiVersion,
/// kind, name and namespace; the first not yet used), so the cluster gets
/// the document as written rather than the model's rendering of it.
pub fn document_of(
    set: &kubescribe_core::DocumentSet,
    policy: &kubescribe_core::Policy,
    used: &mut [bool],
) -> Value {
    let rendered = policy.to_value().unwrap_or(Value::Null);
    let key = |v: &Value| {
        [
            "/apiVersion",
            "/kind",
            "/metadata/name",
            "/metadata/namespace",
        ]
        .map(|p| {
            v.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        })
    };
    let want = key(&rendered);
    for (i, doc) in set.documents.iter().enumerate() {
        let mut got = key(&doc.value);
        if got[3].is_empty() {
            got[3] = want[3].clone();
        }
        if !used[i] && got == want {
            used[i] = true;
            return doc.value.clone();
        }
    }
    rendered
}

/// The object a document names, as kubectl prints it: `kind/ns/name`.
fn object_name(doc: &Value) -> String {
    let s = |p: &str| doc.pointer(p).and_then(Value::as_str).unwrap_or("?");
    let ns = doc
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(|n| format!("{n}/"))
        .unwrap_or_default();
    format!("{}/{ns}{}", s("/kind").to_lowercase(), s("/metadata/name"))
}

fn print_reports(out: &mut dyn Write, reports: &[DocumentReport]) -> Result<()> {
    use kubescribe_core::quote::Printable as P;
    for r in reports {
        let what = format!(
            "{} {}",
            r.kind.as_deref().unwrap_or("document"),
            r.name.as_deref().unwrap_or("")
        );
        let at = r.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(
            out,
            "{}{at}: {}: {}",
            P(&r.source),
            P(&what),
            if r.valid {
                "valid"
            } else {
                "invalid, not applied"
            }
        )?;
        for d in &r.diagnostics {
            let line = d.line.map(|l| format!(":{l}")).unwrap_or_default();
            let ptr = if d.pointer.is_empty() {
                "/"
            } else {
                d.pointer.as_str()
            };
            writeln!(
                out,
                "  {}{line}: {}: {}: {} [layer {} {}, {}]",
                P(&r.source),
                if d.is_error() { "error" } else { "warning" },
                P(ptr),
                P(&d.message),
                d.layer.number(),
                P(&d.rule),
                P(&d.origin)
            )?;
            if let Some(f) = &d.fix {
                writeln!(out, "      fix: {}", P(&f.message))?;
            }
        }
    }
    Ok(())
}

fn report_object(r: &ApplyReport) -> String {
    format!(
        "{}/{}{}",
        r.kind.to_lowercase(),
        r.namespace
            .as_deref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default(),
        r.name
    )
}

fn report_line(r: &ApplyReport) -> String {
    let verb = match (r.action, r.dry_run) {
        (Action::Created, false) => "created",
        (Action::Created, true) => "would be created (server dry run)",
        (Action::Configured, false) => "configured",
        (Action::Configured, true) => "would be configured (server dry run)",
        (Action::Unchanged, _) => "unchanged",
    };
    let mut s = format!("{} {verb}", report_object(r));
    if !r.changed.is_empty() {
        s.push_str(&format!(": {}", r.changed.join(", ")));
    }
    if r.attempts > 1 {
        s.push_str(&format!(" (after {} attempts)", r.attempts));
    }
    s
}

/// What happened to one document.
enum Outcome {
    /// Sent and accepted (or dry-run accepted).
    Applied(ApplyReport),
    /// Every layer passed; `--dry-run=client` sent nothing.
    Checked(String),
    /// The server refused it.
    Rejected {
        object: String,
        code: u16,
        reason: String,
        message: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// The cluster could not take it (a kind it does not serve, a request
    /// that failed); the cause.
    Failed { object: String, error: String },
}

/// How [`apply_sets`] applies.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    /// none, client or server.
    pub dry_run: DryRun,
    /// Take over fields another manager owns.
    pub force_conflicts: bool,
    /// Skip layers 2/3 against live objects.
    pub skip_resource_checks: bool,
    /// Field manager.
    pub field_manager: String,
    /// `-n`.
    pub namespace: Option<String>,
    /// Output format.
    pub format: Format,
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
        &ApplySettings {
            dry_run: args.dry_run,
            force_conflicts: false,
            skip_resource_checks: false,
            field_manager: kubescribe_kube::FIELD_MANAGER.to_string(),
            namespace: None,
            format: Format::Text,
        },
        &mut std::io::stderr().lock(),
    )
}

/// Validates (all layers) and applies document sets, writing the report to
/// `out`: [`Exit::Invalid`] when some document failed a layer or the server
/// rejected it, [`Exit::Unusable`] when the cluster could not take some
/// document (after the report of everything that was done, and the cause
/// on standard error).
pub fn apply_sets(
    cluster: &mut KubeCluster,
    validator: Validator,
    sets: &[kubescribe_core::DocumentSet],
    settings: &ApplySettings,
    out: &mut dyn Write,
) -> Result<Exit> {
    let mut notes = Vec::new();
    let mut all_reports = Vec::new();
    let mut results: Vec<(String, Outcome)> = Vec::new();
    let mut invalid = false;
    // Causes not shown in the report itself (standard error, once each).
    let mut causes: Vec<String> = Vec::new();
    let mut unusable = false;
    let opts = ApplyOptions {
        dry_run: settings.dry_run == DryRun::Server,
        force: settings.force_conflicts,
        field_manager: settings.field_manager.clone(),
        namespace: settings.namespace.clone(),
        ..Default::default()
    };
    let mut validator = validator;
    'sets: for set in sets {
        // Layers 1-3 here; the apply itself is the server's final check.
        let reports = match validate_on_cluster(
            cluster,
            &mut validator,
            set,
            !settings.skip_resource_checks,
            false,
            &opts,
            &mut notes,
        ) {
            Ok(r) => r,
            Err(e) => {
                unusable = true;
                causes.push(format!("{}: {e}", set.source));
                break 'sets;
            }
        };
        for (doc, report) in set.documents.iter().zip(&reports) {
            if !report.valid {
                invalid = true;
                continue;
            }
            if settings.dry_run == DryRun::Client {
                results.push((
                    set.source.clone(),
                    Outcome::Checked(object_name(&doc.value)),
                ));
                continue;
            }
            match cluster.apply(&doc.value, &opts) {
                Ok(ApplyResult::Applied(a)) => {
                    results.push((set.source.clone(), Outcome::Applied(a)))
                }
                Ok(ApplyResult::Rejected {
                    code,
                    reason,
                    message,
                    diagnostics,
                }) => {
                    // 403: the user may not do it, the cluster cannot be used
                    // for it (exit 2); any other refusal is about the document.
                    if code == 403 {
                        unusable = true;
                    } else {
                        invalid = true;
                    }
                    results.push((
                        set.source.clone(),
                        Outcome::Rejected {
                            object: object_name(&doc.value),
                            code,
                            reason,
                            message,
                            diagnostics,
                        },
                    ));
                }
                Err(e) => {
                    let stop = matches!(
                        e,
                        ClusterError::Unreachable { .. }
                            | ClusterError::Timeout { .. }
                            | ClusterError::Config(_)
                    );
                    // Said once, in the report's line for the document.
                    unusable = true;
                    results.push((
                        set.source.clone(),
                        Outcome::Failed {
                            object: object_name(&doc.value),
                            error: e.to_string(),
                        },
                    ));
                    if stop {
                        // Nothing later would get through either.
                        break 'sets;
                    }
                }
            }
        }
        all_reports.extend(reports);
    }
    let mut stderr = std::io::stderr().lock();
    for n in &notes {
        writeln!(stderr, "note: {n}")?;
    }
    write_results(out, &mut stderr, settings.format, &all_reports, &results)?;
    for c in &causes {
        writeln!(
            stderr,
            "kubescribe: error: {}",
            kubescribe_core::quote::escape_control(c)
        )?;
    }
    Ok(Exit::of(unusable, invalid))
}

/// The server's copy of an object without its bookkeeping (`-o yaml`).
pub fn without_bookkeeping(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(Value::Object(m)) = v.pointer_mut("/metadata") {
        m.remove("managedFields");
    }
    v
}

fn write_results(
    out: &mut dyn Write,
    err: &mut dyn Write,
    format: Format,
    all_reports: &[DocumentReport],
    results: &[(String, Outcome)],
) -> Result<()> {
    use kubescribe_core::quote::Printable as P;
    let invalid_reports: Vec<DocumentReport> = all_reports
        .iter()
        .filter(|r| !r.valid || !r.diagnostics.is_empty())
        .cloned()
        .collect();
    match format {
        Format::Json => {
            let results: Vec<Value> = results
                .iter()
                .map(|(source, r)| match r {
                    Outcome::Applied(a) => json!({"source": source, "applied": a}),
                    Outcome::Checked(o) => json!({"source": source, "checked": o, "dryRun": "client"}),
                    Outcome::Rejected { object, code, reason, message, diagnostics } => json!({
                        "source": source, "object": object,
                        "rejected": {"code": code, "reason": reason, "message": message, "diagnostics": diagnostics}}),
                    Outcome::Failed { object, error } => json!({"source": source, "object": object, "error": error}),
                })
                .collect();
            output::write_json(out, &json!({"validation": all_reports, "results": results}))?;
            return Ok(());
        }
        Format::Yaml | Format::Name => {
            // The objects on standard output; findings and failures on standard error.
            print_reports(err, &invalid_reports)?;
            let mut first = true;
            for (_, r) in results {
                match (r, format) {
                    (Outcome::Applied(a), Format::Yaml) => {
                        if !first {
                            writeln!(out, "---")?;
                        }
                        first = false;
                        let text = document::to_yaml(&without_bookkeeping(&a.after))
                            .context("rendering YAML")?;
                        write!(out, "{text}")?;
                    }
                    (Outcome::Applied(a), _) => writeln!(out, "{}", report_object(a))?,
                    (Outcome::Checked(o), _) => writeln!(out, "{}", P(o))?,
                    (other, _) => write_failure(err, "", other)?,
                }
            }
            return Ok(());
        }
        Format::Text => {}
    }
    print_reports(out, &invalid_reports)?;
    for (source, r) in results {
        match r {
            Outcome::Applied(a) => writeln!(out, "{}", P(&report_line(a)))?,
            Outcome::Checked(o) => writeln!(
                out,
                "{} passes every layer; not sent (client dry run)",
                P(o)
            )?,
            other => write_failure(out, source, other)?,
        }
    }
    Ok(())
}

/// A refused or failed document, in plain words: a 409 is a conflict with
/// another field manager, a 403 a request the user may not make, anything
/// else the server's rejection with its findings.
fn write_failure(out: &mut dyn Write, source: &str, r: &Outcome) -> Result<()> {
    use kubescribe_core::quote::Printable as P;
    let at = if source.is_empty() {
        String::new()
    } else {
        format!("{}: ", P(source))
    };
    match r {
        Outcome::Rejected {
            object,
            code: 409,
            message,
            ..
        } => writeln!(out, "{at}{}: conflict: {}", P(object), P(message))?,
        Outcome::Rejected {
            object,
            code: 403,
            message,
            ..
        } => writeln!(out, "{at}{}: forbidden: {}", P(object), P(message))?,
        Outcome::Rejected {
            object,
            code,
            reason,
            message,
            diagnostics,
        } => {
            writeln!(
                out,
                "{at}{}: rejected by the API server ({code} {}): {}",
                P(object),
                P(reason),
                P(message)
            )?;
            for d in diagnostics {
                writeln!(out, "  {}", P(&d.to_string()))?;
            }
        }
        Outcome::Failed { object, error } => {
            writeln!(out, "{at}{}: not applied: {}", P(object), P(error))?
        }
        Outcome::Applied(_) | Outcome::Checked(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::document_of;
    use kubescribe_core::document::{ReadLimits, read_bytes};
    use kubescribe_validate::Validator;

    #[test]
    fn the_cluster_gets_the_document_as_written() {
        // Offline half of issue 21's first bug: the validator's policy
        // carries the schema's defaults (`resolve: ""`, …); what the dry run
        // sends is the user's document, matched by kind, name and namespace.
        let text = "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata: {name: a}\nspec:\n  kprobes: [{call: sys_openat, syscall: true, args: [{index: 1, type: string}]}]\n---\napiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata: {name: b}\nspec:\n  kprobes: [{call: sys_close, syscall: true}]\n";
        let set = read_bytes("t.yaml", text.as_bytes(), &ReadLimits::default()).unwrap();
        let mut used = vec![false; 2];
        for i in [1, 0] {
            let policy = Validator::new()
                .validate_value(&set.documents[i].value)
                .policy
                .unwrap();
            assert!(
                policy.to_value().unwrap().to_string().contains("resolve")
                    || policy.to_value().unwrap() != set.documents[i].value
            );
            assert_eq!(
                document_of(&set, &policy, &mut used),
                set.documents[i].value
            );
        }
    }
}
