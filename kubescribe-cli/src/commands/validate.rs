//! `kubescribe validate`: policy documents checked at layer 1 (built-in
//! schemas, `--crd`), layers 2/3 against an event store (`--store`) or a
//! live cluster (`--live`), layer 4 (over-permissive rules, warnings;
//! errors with `--deny-warnings`) on every document, and with `--intent` /
//! `--intent-file` intent fidelity (layer 5: the policy implements the
//! intent), reported as text or JSON.

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use kubescribe_core::CoreError;
use kubescribe_core::document::ReadLimits;
use kubescribe_validate::{DocumentReport, Validator, syntax_report};

use crate::args::{ValidateArgs, ValidateOutput};
use crate::input;
use crate::output::{self, Exit};
use crate::store_location;

mod junit_tap;
mod versions;

/// A file that could not be read at all.
pub(crate) struct Unreadable {
    pub(crate) source: String,
    pub(crate) error: String,
}

/// Validates every document of every file (`-`: standard input) and prints
/// the reports: exit 1 when some document is invalid, 2 when some file is
/// unreadable.
pub fn run(args: ValidateArgs) -> Result<Exit> {
    let mut validator = Validator::new()
        .use_builtin(!args.crd_only)
        .permissive(true);
    if !args.live && args.cluster_args.cluster_name.is_some() {
        // `--cluster` alone (the old switch) or with a file gets connect's message.
        args.cluster_args.connect()?;
        anyhow::bail!(
            "--cluster NAME picks the kubeconfig cluster (as in kubectl) that --live validates against; add --live"
        );
    }
    let files = input::expand_files(&args.input)?;
    let version = args
        .kubernetes_version
        .as_deref()
        .map(versions::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mut cluster = if args.live {
        Some(args.cluster_args.connect()?)
    } else {
        None
    };
    // -n is filled into the documents as they are read; one naming another
    // namespace is an error of its own (below), as kubectl refuses it.
    let dry_run_opts = kubescribe_kube::ApplyOptions::default();
    // The first failure of the cluster: the command then stops with it
    // (exit 2) rather than call a policy invalid that was not checked.
    let mut cluster_failure: Option<kubescribe_events::cluster::ClusterError> = None;
    let store_path = store_location::store_arg(&args.store);
    let mut store = store_path
        .as_deref()
        .map(store_location::open_store)
        .transpose()?;
    // The store presented as a cluster, read once for every policy.
    let mut snapshot = match store.as_mut() {
        Some(s) => Some(
            kubescribe_events::cluster::ClusterSnapshot::from_store(s)
                .context("reading the event store")?,
        ),
        None => None,
    };
    let intent = match (&args.intent, &args.intent_file) {
        (Some(text), _) => match crate::intent_source::parse_text(text, store_path.as_deref())? {
            Ok(i) => Some(i),
            Err(exit) => return Ok(exit),
        },
        (None, Some(path)) => match crate::intent_source::read_intent_file(path) {
            Ok(i) => Some(i),
            Err(e) => return Ok(output::fail(Exit::Unusable, output::error_text(&e))),
        },
        (None, None) => None,
    };
    let mut layer2 = |policy: &kubescribe_core::Policy,
                      cluster: Option<&mut kubescribe_kube::KubeCluster>,
                      document: &serde_json::Value,
                      failure: &mut Option<kubescribe_events::cluster::ClusterError>|
     -> Vec<kubescribe_validate::Diagnostic> {
        let mut out = match store
            .as_mut()
            .zip(snapshot.as_mut())
            .map(|(s, snap)| kubescribe_validate::resources::check_with(policy, s, snap))
        {
            None => Vec::new(),
            Some(Ok(d)) => d,
            Some(Err(e)) => vec![kubescribe_validate::Diagnostic::schema_error(
                "",
                "store",
                format!("event store: {e}"),
            )],
        };
        if let Some(c) = cluster
            && failure.is_none()
        {
            // The document as written goes to the server's dry run.
            match kubescribe_kube::checks::final_checks(c, policy, document, true, &dry_run_opts) {
                Ok(d) => out.extend(d),
                Err(e) => *failure = Some(e),
            }
        }
        if let Some(i) = &intent {
            let events = match store.as_mut() {
                Some(s) => {
                    kubescribe_infer::fidelity::events_in_scope(s, i, 2000).unwrap_or_default()
                }
                None => Vec::new(),
            };
            let options = kubescribe_infer::fidelity::FidelityOptions {
                events,
                ..Default::default()
            };
            match policy.to_value() {
                Ok(v) => out.extend(kubescribe_infer::fidelity::check(i, &v, &options)),
                Err(e) => out.push(kubescribe_validate::Diagnostic::schema_error(
                    "",
                    "fidelity",
                    e.to_string(),
                )),
            }
        }
        out
    };
    for crd in &args.crds {
        validator
            .add_crd_file(crd)
            .with_context(|| format!("loading CRD {}", crd.display()))?;
    }
    let limits = ReadLimits {
        max_bytes: args.max_file_mib.saturating_mul(1024 * 1024),
        ..ReadLimits::default()
    };
    let mut reports: Vec<DocumentReport> = Vec::new();
    let mut unreadable: Vec<Unreadable> = Vec::new();
    // Files on several threads when nothing per policy needs the store or
    // the cluster (one connection each); the output is the same either way.
    let parallel = cluster.is_none()
        && store_path.is_none()
        && intent.is_none()
        && version.is_none()
        && args.namespace.is_none()
        && args.jobs != 1;
    let namespace = args.namespace.as_deref();
    let read = |f: &std::path::Path| {
        input::read_documents(f, &limits).map(|mut set| {
            input::default_namespace(&mut set, namespace);
            set
        })
    };
    let results = if parallel {
        validator.validate_files(&files, args.jobs, read)
    } else {
        Vec::new()
    };
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok(v) => {
                if v.empty {
                    eprintln!("{}: warning: no documents", v.source);
                }
                reports.extend(v.reports);
            }
            Err(e) => unreadable.push(Unreadable {
                source: file.display().to_string(),
                error: e.to_string(),
            }),
        }
    }
    for file in files.iter().filter(|_| !parallel) {
        if cluster_failure.is_some() {
            break;
        }
        match read(file) {
            Ok(set) => {
                if set.documents.is_empty() {
                    eprintln!("{}: warning: no documents", set.source);
                }
                if let Some(c) = cluster.as_mut() {
                    let notes = kubescribe_kube::checks::add_cluster_crds(
                        c,
                        &mut validator,
                        set.documents.iter().map(|d| &d.value),
                    )
                    .context("reading CRDs from the cluster")?;
                    for n in notes {
                        eprintln!("note: {n}");
                    }
                }
                let mut used = vec![false; set.documents.len()];
                let mut these = validator.validate_set_with(&set, &mut |p| {
                    let document = crate::cluster_apply::document_of(&set, p, &mut used);
                    layer2(p, cluster.as_mut(), &document, &mut cluster_failure)
                });
                for (doc, r) in set.documents.iter().zip(&mut these) {
                    let own = doc
                        .value
                        .pointer("/metadata/namespace")
                        .and_then(serde_json::Value::as_str);
                    if let (Some(own), Some(flag)) = (own, args.namespace.as_deref())
                        && own != flag
                    {
                        let mut d = kubescribe_validate::Diagnostic::schema_error(
                            "/metadata/namespace",
                            "namespace",
                            format!(
                                "the document's namespace `{own}` does not match the namespace `{flag}` given with -n"
                            ),
                        );
                        d.line = set.line_of(doc, &d.pointer);
                        r.diagnostics.push(d);
                        r.valid = false;
                    }
                }
                if let Some(v) = version {
                    for (doc, r) in set.documents.iter().zip(&mut these) {
                        for mut d in versions::findings(&doc.value, v) {
                            d.line = set.line_of(doc, &d.pointer);
                            r.diagnostics.push(d);
                            r.valid = false;
                        }
                    }
                }
                reports.extend(these);
            }
            Err(CoreError::Syntax {
                source_name,
                line,
                column,
                message,
            }) => reports.push(syntax_report(source_name, line, column, message)),
            Err(e) => unreadable.push(Unreadable {
                source: file.display().to_string(),
                error: e.to_string(),
            }),
        }
    }
    if let Some(e) = cluster_failure {
        return Err(anyhow::Error::new(e).context("cannot validate against the cluster"));
    }
    if args.deny_warnings {
        deny_warnings(&mut reports);
    }
    // Buffered: stdout alone writes (one system call) per line, thousands
    // for a large report.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.output {
        ValidateOutput::Json => {
            let mut list: Vec<serde_json::Value> = reports
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            list.extend(unreadable.iter().map(
                |u| serde_json::json!({"source": u.source, "valid": false, "error": u.error}),
            ));
            output::write_json(&mut out, &serde_json::Value::Array(list))?;
        }
        ValidateOutput::Text => write_text(&mut out, &reports, &unreadable, args.summary)?,
        ValidateOutput::Junit => junit_tap::write_junit(&mut out, &reports, &unreadable)?,
        ValidateOutput::Tap => junit_tap::write_tap(&mut out, &reports, &unreadable)?,
        ValidateOutput::Name => {
            use kubescribe_core::quote::Printable as P;
            for r in reports.iter().filter(|r| r.valid) {
                writeln!(
                    out,
                    "{}/{}",
                    P(r.kind.as_deref().unwrap_or("document").to_lowercase()),
                    P(r.name.as_deref().unwrap_or(""))
                )?;
            }
            for r in reports.iter().filter(|r| !r.valid) {
                eprintln!("{}", junit_tap::finding_summary(r));
            }
            for u in &unreadable {
                eprintln!("{}: cannot read: {}", P(&u.source), P(&u.error));
            }
        }
    }
    out.flush()?;
    Ok(Exit::of(
        !unreadable.is_empty(),
        reports.iter().any(|r| !r.valid),
    ))
}

/// `--deny-warnings`: every warning becomes an error, and its document invalid.
fn deny_warnings(reports: &mut [DocumentReport]) {
    for r in reports {
        for d in &mut r.diagnostics {
            d.severity = kubescribe_validate::Severity::Error;
        }
        r.valid &= r.diagnostics.is_empty();
    }
}

/// The text report: one line per document, one per finding (with
/// file:line), coloured on a terminal unless `NO_COLOR` is set.
fn write_text(
    out: &mut impl Write,
    reports: &[DocumentReport],
    unreadable: &[Unreadable],
    summary_only: bool,
) -> Result<()> {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (red, yellow, green, dim, reset) = if color {
        ("\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    // Names, keys, messages and file names are user data: printed with
    // their control characters escaped, so none forges a line or drives the
    // terminal.
    use kubescribe_core::quote::Printable as P;
    for u in unreadable.iter().filter(|_| !summary_only) {
        writeln!(
            out,
            "{}: {red}cannot read{reset}: {}",
            P(&u.source),
            P(&u.error)
        )?;
    }
    for r in reports.iter().filter(|_| !summary_only) {
        let what = match (&r.kind, &r.name) {
            (Some(k), Some(n)) => format!("{} {}", P(k), P(n)),
            (Some(k), None) => P(k).to_string(),
            _ => format!("document {}", r.index),
        };
        let source = P(&r.source);
        let at = r.line.map(|l| format!(":{l}")).unwrap_or_default();
        if r.valid && r.diagnostics.is_empty() {
            writeln!(out, "{source}{at}: {what}: {green}valid{reset}")?;
            continue;
        }
        let verdict = if r.valid {
            format!("{green}valid{reset}")
        } else {
            format!("{red}invalid{reset}")
        };
        writeln!(out, "{source}{at}: {what}: {verdict}")?;
        for d in &r.diagnostics {
            let line = d.line.map(|l| format!(":{l}")).unwrap_or_default();
            let sev = if d.is_error() {
                format!("{red}error{reset}")
            } else {
                format!("{yellow}warning{reset}")
            };
            let ptr = if d.pointer.is_empty() {
                "/"
            } else {
                d.pointer.as_str()
            };
            writeln!(
                out,
                "  {source}{line}: {sev}: {}: {} {dim}[layer {} {}, {}]{reset}",
                P(ptr),
                P(&d.message),
                d.layer.number(),
                P(&d.rule),
                P(&d.origin)
            )?;
            if let Some(e) = &d.expected {
                writeln!(out, "      expected: {}", P(e))?;
            }
            if let Some(f) = &d.fix {
                writeln!(out, "      fix: {}", P(&f.message))?;
            }
        }
    }
    let invalid = reports.iter().filter(|r| !r.valid).count();
    let warnings = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| !d.is_error())
        .count();
    writeln!(
        out,
        "{} document(s): {} valid, {} invalid{}{}",
        reports.len(),
        reports.len() - invalid,
        invalid,
        if warnings > 0 {
            format!(", {warnings} warning(s)")
        } else {
            String::new()
        },
        if unreadable.is_empty() {
            String::new()
        } else {
            format!(", {} file(s) unreadable", unreadable.len())
        }
    )?;
    Ok(())
}
