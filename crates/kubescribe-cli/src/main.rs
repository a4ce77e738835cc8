//! `kubescribe`: validated runtime-security policies from intents and observed behaviour.

mod score;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{CoreError, PolicyKind};
use kubescribe_validate::{DocumentReport, Validator, syntax_report};

#[derive(Parser)]
#[command(
    name = "kubescribe",
    version,
    about = "Validated runtime-security policies for KubeArmor, Tetragon, Cilium, Kubernetes NetworkPolicy and Calico"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate policy documents (YAML or JSON, multi-document, `-` for stdin).
    ///
    /// Each document is checked against the built-in schema of its kind
    /// (kubescribe's typed models, which carry the upstream CRD's
    /// constraints) with the API server's semantics: nulls pruned, unknown
    /// fields rejected, int-or-string, object-name rules. `--crd` adds the
    /// schema of a CRD (or an OpenAPI v3 document) you supply.
    ///
    /// Exit status: 0 all documents valid, 1 some document invalid (including
    /// malformed YAML), 2 some file could not be read (missing, not UTF-8,
    /// over the size limit).
    Validate {
        /// Policy files; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// A CRD (YAML/JSON) or OpenAPI v3 document to validate against as well; repeatable.
        #[arg(long = "crd", value_name = "CRD.yaml")]
        crds: Vec<PathBuf>,
        /// Validate against the --crd schemas only, not the built-in ones.
        #[arg(long, requires = "crds")]
        crd_only: bool,
        /// Output format.
        #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// Largest accepted input file, in MiB.
        #[arg(long, default_value_t = 16)]
        max_file_mib: usize,
    },
    /// Score generated policies against references: BLEU and chrF++ (as
    /// sacrebleu), ROUGE-1/2/L/Lsum (as rouge-score, with and without
    /// stemming), METEOR (as nltk; synonyms only with --wordnet).
    ///
    /// With --pairs, reads JSONL lines {"id", "hypothesis", "reference"} and
    /// writes one JSON line of scores per pair, then a line with
    /// "id": "__corpus__" holding corpus BLEU and chrF++ and the mean ROUGE
    /// and METEOR. Scales: BLEU and chrF++ 0-100, ROUGE and METEOR 0-1.
    Score {
        /// HYP_FILE REF_FILE: one pair, each file one text.
        files: Vec<PathBuf>,
        /// JSONL file of pairs.
        #[arg(long, value_name = "PAIRS.jsonl", conflicts_with = "files")]
        pairs: Option<PathBuf>,
        /// WordNet 3.0 dict directory (e.g. /usr/share/wordnet from Debian's wordnet-base).
        #[arg(long, value_name = "DIR")]
        wordnet: Option<PathBuf>,
    },
    /// Print a JSON Schema: of the intent, or of a policy kind's built-in schema.
    Schema {
        #[command(subcommand)]
        what: SchemaCommand,
    },
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// The engine-agnostic intent.
    Intent,
    /// A policy kind's built-in schema, e.g. `KubeArmorPolicy` or `projectcalico.org/v3/NetworkPolicy`.
    Policy {
        /// Kind name (or apiVersion/kind when ambiguous).
        kind: String,
    },
    /// List the modelled policy kinds.
    Kinds,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// Human-readable, one line per finding with file:line.
    Text,
    /// One JSON document: a list of per-document reports.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate {
            files,
            crds,
            crd_only,
            output,
            max_file_mib,
        } => validate(&files, &crds, crd_only, output, max_file_mib),
        Command::Schema { what } => schema(what),
        Command::Score {
            files,
            pairs,
            wordnet,
        } => score::run(&files, pairs.as_deref(), wordnet.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kubescribe: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn schema(what: SchemaCommand) -> Result<ExitCode> {
    let value = match what {
        SchemaCommand::Intent => kubescribe_core::intent::intent_schema(),
        SchemaCommand::Kinds => {
            for k in PolicyKind::ALL {
                println!("{:<11} {}/{}", k.engine().name(), k.api_version(), k.kind());
            }
            return Ok(ExitCode::SUCCESS);
        }
        SchemaCommand::Policy { kind } => {
            let found: Vec<PolicyKind> = PolicyKind::ALL
                .iter()
                .copied()
                .filter(|k| {
                    k.kind().eq_ignore_ascii_case(&kind)
                        || format!("{}/{}", k.api_version(), k.kind()).eq_ignore_ascii_case(&kind)
                })
                .collect();
            match found.as_slice() {
                [k] => kubescribe_core::policy::schema::builtin_schema(*k),
                [] => anyhow::bail!("unknown kind {kind:?}; `kubescribe schema kinds` lists them"),
                many => anyhow::bail!(
                    "{kind:?} is ambiguous: {}",
                    many.iter()
                        .map(|k| format!("{}/{}", k.api_version(), k.kind()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(ExitCode::SUCCESS)
}

/// A file that could not be read at all.
struct Unreadable {
    source: String,
    error: String,
}

fn validate(
    files: &[PathBuf],
    crds: &[PathBuf],
    crd_only: bool,
    output: Output,
    max_file_mib: usize,
) -> Result<ExitCode> {
    let mut validator = Validator::new().use_builtin(!crd_only);
    for crd in crds {
        validator
            .add_crd_file(crd)
            .with_context(|| format!("loading CRD {}", crd.display()))?;
    }
    let limits = ReadLimits {
        max_bytes: max_file_mib.saturating_mul(1024 * 1024),
        ..ReadLimits::default()
    };
    let mut reports: Vec<DocumentReport> = Vec::new();
    let mut unreadable: Vec<Unreadable> = Vec::new();
    for file in files {
        let read = if file.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .take(limits.max_bytes as u64 + 1)
                .read_to_end(&mut buf)
                .map_err(|e| CoreError::Unreadable {
                    source_name: "<stdin>".into(),
                    reason: e.to_string(),
                })
                .and_then(|_| document::read_bytes("<stdin>", &buf, &limits))
        } else {
            document::read_file(file, &limits)
        };
        match read {
            Ok(set) => {
                if set.documents.is_empty() {
                    eprintln!("{}: warning: no documents", set.source);
                }
                reports.extend(validator.validate_set(&set));
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
    let mut out = std::io::stdout().lock();
    match output {
        Output::Json => {
            let mut list: Vec<serde_json::Value> = reports
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            list.extend(unreadable.iter().map(
                |u| serde_json::json!({"source": u.source, "valid": false, "error": u.error}),
            ));
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Output::Text => write_text(&mut out, &reports, &unreadable)?,
    }
    Ok(if !unreadable.is_empty() {
        ExitCode::from(2)
    } else if reports.iter().any(|r| !r.valid) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_text(
    out: &mut impl Write,
    reports: &[DocumentReport],
    unreadable: &[Unreadable],
) -> Result<()> {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (red, yellow, green, dim, reset) = if color {
        ("\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    for u in unreadable {
        writeln!(out, "{}: {red}cannot read{reset}: {}", u.source, u.error)?;
    }
    for r in reports {
        let what = match (&r.kind, &r.name) {
            (Some(k), Some(n)) => format!("{k} {n}"),
            (Some(k), None) => k.clone(),
            _ => format!("document {}", r.index),
        };
        let at = r.line.map(|l| format!(":{l}")).unwrap_or_default();
        if r.valid && r.diagnostics.is_empty() {
            writeln!(out, "{}{at}: {what}: {green}valid{reset}", r.source)?;
            continue;
        }
        let verdict = if r.valid {
            format!("{green}valid{reset}")
        } else {
            format!("{red}invalid{reset}")
        };
        writeln!(out, "{}{at}: {what}: {verdict}", r.source)?;
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
                "  {}{line}: {sev}: {ptr}: {} {dim}[layer {} {}, {}]{reset}",
                r.source,
                d.message,
                d.layer.number(),
                d.rule,
                d.origin
            )?;
            if let Some(e) = &d.expected {
                writeln!(out, "      expected: {e}")?;
            }
            if let Some(f) = &d.fix {
                writeln!(out, "      fix: {}", f.message)?;
            }
        }
    }
    let invalid = reports.iter().filter(|r| !r.valid).count();
    writeln!(
        out,
        "{} document(s): {} valid, {} invalid{}",
        reports.len(),
        reports.len() - invalid,
        invalid,
        if unreadable.is_empty() {
            String::new()
        } else {
            format!(", {} file(s) unreadable", unreadable.len())
        }
    )?;
    Ok(())
}
