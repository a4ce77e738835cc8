//! The commands that talk to a cluster: `apply`, `cluster`, and the
//! `--cluster` layers of `validate`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_events::cluster::{ClusterContext, ClusterSnapshot};
use kubescribe_kube::{
    Action, ApplyOptions, ApplyReport, ApplyResult, ClusterOptions, KubeCluster, checks,
};
use kubescribe_validate::{Diagnostic, DocumentReport, Validator};

/// Where the cluster is: as kubectl finds it.
#[derive(Args, Clone, Debug)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Seconds to wait for the API server to connect and to answer each request.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub request_timeout: u64,
}

impl ClusterArgs {
    /// Connects (no request yet).
    pub fn connect(&self) -> Result<KubeCluster> {
        let opts = ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            timeout: Duration::from_secs(self.request_timeout.max(1)),
        };
        Ok(KubeCluster::connect(&opts)?)
    }
}

/// `--dry-run` values, as kubectl spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Apply for real.
    None,
    /// Server-side dry run: validated and admitted by the server, not stored.
    Server,
}

/// Output of `apply` and `cluster`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Human-readable.
    Text,
    /// JSON.
    Json,
}

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

/// Applies the documents that passed every layer; returns the exit code.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    files: &[PathBuf],
    cluster_args: &ClusterArgs,
    crds: &[PathBuf],
    dry_run: DryRun,
    force_conflicts: bool,
    skip_resource_checks: bool,
    format: Format,
) -> Result<ExitCode> {
    let mut validator = Validator::new();
    for crd in crds {
        validator
            .add_crd_file(crd)
            .with_context(|| format!("loading CRD {}", crd.display()))?;
    }
    let mut sets = Vec::new();
    for f in files {
        let set = if f.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
            document::read_bytes("<stdin>", &buf, &ReadLimits::default())
        } else {
            document::read_file(f, &ReadLimits::default())
        }
        .with_context(|| format!("reading {}", f.display()))?;
        sets.push(set);
    }
    let mut cluster = cluster_args.connect()?;
    apply_sets(
        &mut cluster,
        validator,
        &sets,
        dry_run == DryRun::Server,
        force_conflicts,
        skip_resource_checks,
        format,
        &mut std::io::stdout().lock(),
    )
}

/// `generate --apply`: where and how to apply a generated policy.
#[derive(Args, Clone, Debug)]
pub struct GenerateApply {
    /// Use the cluster for context: pod names in --intent resolve through
    /// its pods and their Deployments/StatefulSets/DaemonSets, and the
    /// engine defaults to one the cluster runs (network intents: Cilium,
    /// then Calico, then Kubernetes NetworkPolicy; others: KubeArmor, then
    /// Tetragon).
    #[arg(long = "cluster")]
    pub use_cluster: bool,
    /// Apply the generated policy to the cluster (server-side apply, field
    /// manager `kubescribe`) once it passes every layer there: the cluster's
    /// CRD and CEL rules, live pods and ports, the server's admission. The
    /// report goes to standard error.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: `server` only dry-runs it on the server.
    #[arg(long, value_enum, default_value_t = DryRun::None, value_name = "MODE", requires = "apply")]
    pub dry_run: DryRun,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// `generate --cluster`: the intent read (or parsed, with pod names
/// resolved through the cluster's pods), its engine defaulted to one the
/// cluster runs unless `--engine` or the intent names one. A parse error is
/// printed and becomes `Err(exit status)`.
pub fn cluster_intent(
    args: &GenerateApply,
    source: crate::generate::IntentSource<'_>,
    engine_flag: Option<&str>,
) -> Result<std::result::Result<kubescribe_core::intent::Intent, ExitCode>> {
    use crate::generate::{IntentSource, report_parse};
    let mut cluster = args.cluster.connect()?;
    let mut intent = match source {
        IntentSource::File(path) => crate::generate::read_intent_file(path)?,
        IntentSource::Parsed(intent) => *intent,
        IntentSource::Text(text) => {
            let mut pods = kubescribe_events::cluster::ClusterPods(&mut cluster);
            match report_parse(crate::intent_cmd::parse_with(text, Some(&mut pods))) {
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

/// Applies one generated policy (see [`GenerateApply`]); the report goes to
/// standard error, the policy itself was printed already.
pub fn apply_generated(args: &GenerateApply, policy: &kubescribe_core::Policy) -> Result<ExitCode> {
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

/// Validates (all layers) and applies document sets; shared with `generate --apply`.
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
) -> Result<ExitCode> {
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
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(
                    &json!({"validation": all_reports, "results": results})
                )?
            )?
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
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `kubescribe cluster`: what the cluster runs.
pub fn info(
    cluster_args: &ClusterArgs,
    namespace: Option<&str>,
    format: Format,
) -> Result<ExitCode> {
    let mut cluster = cluster_args.connect()?;
    let snapshot = ClusterSnapshot::take(&mut cluster, namespace)?;
    let engines = cluster.engines()?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let mut v = serde_json::to_value(&snapshot)?;
            if let Value::Object(m) = &mut v {
                m.insert(
                    "engines".into(),
                    json!(engines.iter().map(|e| e.name()).collect::<Vec<_>>()),
                );
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Format::Text => {
            writeln!(out, "cluster: {}", snapshot.source)?;
            writeln!(
                out,
                "engines: {}",
                engines
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            writeln!(out, "namespaces: {}", snapshot.namespaces.join(", "))?;
            writeln!(out, "pods ({}):", snapshot.pods.len())?;
            for p in &snapshot.pods {
                let labels: Vec<String> =
                    p.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let ports: Vec<String> = p
                    .ports
                    .iter()
                    .map(|pp| match &pp.name {
                        Some(n) => format!("{n}:{}/{}", pp.port, pp.protocol),
                        None => format!("{}/{}", pp.port, pp.protocol),
                    })
                    .collect();
                let owner = p
                    .owner
                    .as_ref()
                    .map(|o| format!(" owner {}/{}", o.kind, o.name))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}/{} [{}] ports [{}]{owner}",
                    p.namespace,
                    p.name,
                    labels.join(","),
                    ports.join(",")
                )?;
            }
            writeln!(out, "services ({}):", snapshot.services.len())?;
            for s in &snapshot.services {
                let sel: Vec<String> = s.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let ports: Vec<String> = s
                    .ports
                    .iter()
                    .map(|p| {
                        format!(
                            "{}->{}/{}",
                            p.port,
                            p.target_port.as_deref().unwrap_or("?"),
                            p.protocol
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    "  {}/{} selector [{}] ports [{}]",
                    s.namespace,
                    s.name,
                    sel.join(","),
                    ports.join(",")
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
