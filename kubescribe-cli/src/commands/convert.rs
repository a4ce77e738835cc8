//! `kubescribe convert`: network policies from one engine to another.

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{CoreError, Engine};
use kubescribe_synth::convert::{self, ConvertError};
use kubescribe_validate::{Validator, permissive};

use crate::args::{ConvertArgs, ConvertFormat};
use crate::input;
use crate::output::{self, Exit};

/// What happened to one input document.
enum Outcome {
    Converted {
        policies: Vec<Value>,
        losses: Vec<(convert::Loss, Option<usize>)>,
        /// Layer-4 findings on the converted policies: (policy index, finding,
        /// whether the source had none at all).
        warnings: Vec<(usize, kubescribe_validate::Diagnostic, bool)>,
    },
    Failed {
        error: String,
        details: Vec<String>,
    },
}

/// Converts every document of every file; prints the converted documents
/// (stdout) and the losses (stderr, or in the JSON output).
pub fn run(args: ConvertArgs) -> Result<Exit> {
    let (to, strict) = (args.to.as_str(), args.strict);
    let json_out = matches!(args.output, ConvertFormat::Json);
    let target: Engine = to.parse().map_err(anyhow::Error::msg)?;
    if !matches!(target, Engine::Kubernetes | Engine::Cilium | Engine::Calico) {
        anyhow::bail!("--to {to}: conversion targets kubernetes, cilium or calico");
    }
    let limits = ReadLimits {
        max_bytes: args.max_file_mib.saturating_mul(1024 * 1024),
        ..ReadLimits::default()
    };
    let validator = Validator::new();
    let mut unreadable = false;
    let mut failed = false;
    let mut json_docs = Vec::new();
    let mut yaml_docs: Vec<String> = Vec::new();
    let mut err = std::io::stderr().lock();
    let (mut n_docs, mut n_clean, mut n_lossy) = (0usize, 0usize, 0usize);
    for file in &args.files {
        let set = match input::read_documents(file, &limits) {
            Ok(s) => s,
            Err(e @ CoreError::Syntax { .. }) => {
                failed = true;
                writeln!(err, "{e}")?;
                json_docs.push(json!({"source": file.display().to_string(), "converted": false, "error": e.to_string()}));
                continue;
            }
            Err(e) => {
                unreadable = true;
                writeln!(err, "{e}")?;
                json_docs.push(json!({"source": file.display().to_string(), "converted": false, "error": e.to_string()}));
                continue;
            }
        };
        if set.documents.is_empty() {
            writeln!(err, "{}: warning: no documents", set.source)?;
        }
        for doc in &set.documents {
            n_docs += 1;
            let start = set.line_of(doc, "");
            let at = |line: Option<usize>| line.map(|l| format!(":{l}")).unwrap_or_default();
            let checked = validator.validate_value(&doc.value);
            let kind = doc
                .value
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("document");
            let name = doc
                .value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let outcome = match checked.policy {
                None => Outcome::Failed {
                    error: "invalid input (fix it first: kubescribe validate)".into(),
                    details: checked
                        .diagnostics
                        .iter()
                        .filter(|d| d.is_error())
                        .map(|d| format!("{}{}: {d}", set.source, at(set.line_of(doc, &d.pointer))))
                        .collect(),
                },
                Some(policy) => match convert::convert(&policy, target, strict) {
                    Ok(c) => {
                        let mut policies = Vec::new();
                        let mut problems = Vec::new();
                        for p in &c.policies {
                            let v = p.to_value()?;
                            let o = validator.validate_value(&v);
                            problems.extend(
                                o.diagnostics
                                    .iter()
                                    .filter(|d| d.is_error())
                                    .map(|d| d.to_string()),
                            );
                            policies.push(v);
                        }
                        if !problems.is_empty() {
                            // The converters' tests keep this from happening; say so loudly if it does.
                            Outcome::Failed {
                                error: "internal error: the converted policy is invalid".into(),
                                details: problems,
                            }
                        } else {
                            let losses = c
                                .losses
                                .into_iter()
                                .map(|l| {
                                    let line = set.line_of(doc, &l.pointer);
                                    (l, line)
                                })
                                .collect();
                            // Over-permissive rules in the result, marked when the
                            // source had none at all.
                            let widened = permissive::check(&doc.value).is_empty();
                            let warnings = policies
                                .iter()
                                .enumerate()
                                .flat_map(|(k, v)| {
                                    permissive::check(v).into_iter().map(move |d| (k, d))
                                })
                                .map(|(k, d)| (k, d, widened))
                                .collect();
                            Outcome::Converted {
                                policies,
                                losses,
                                warnings,
                            }
                        }
                    }
                    Err(ConvertError::Strict { losses, .. }) => Outcome::Failed {
                        error: format!(
                            "refused (--strict): {} loss(es) converting to {target}",
                            losses.len()
                        ),
                        details: losses
                            .iter()
                            .map(|l| {
                                format!("{}{}: {l}", set.source, at(set.line_of(doc, &l.pointer)))
                            })
                            .collect(),
                    },
                    Err(e) => {
                        let pointer = match &e {
                            ConvertError::Inexpressible { pointer, .. }
                            | ConvertError::Invalid { pointer, .. } => pointer.clone(),
                            _ => String::new(),
                        };
                        Outcome::Failed {
                            error: e.to_string(),
                            details: vec![format!(
                                "{}{}: {e}",
                                set.source,
                                at(set.line_of(doc, &pointer))
                            )],
                        }
                    }
                },
            };
            let head = format!("{}{}: {kind} {name}", set.source, at(start));
            match outcome {
                Outcome::Converted {
                    policies,
                    losses,
                    warnings,
                } => {
                    if losses.is_empty() {
                        n_clean += 1;
                        writeln!(err, "{head}: converted to {target}")?;
                    } else {
                        n_lossy += 1;
                        writeln!(
                            err,
                            "{head}: converted to {target} with {} loss(es):",
                            losses.len()
                        )?;
                        for (l, line) in &losses {
                            writeln!(err, "  {}{}: {l}", set.source, at(*line))?;
                        }
                    }
                    for (k, d, new) in &warnings {
                        writeln!(
                            err,
                            "  converted policy {}: {d}{}",
                            k + 1,
                            if *new {
                                " (the source had no over-permissive rule: the conversion wrote it)"
                            } else {
                                ""
                            }
                        )?;
                    }
                    if json_out {
                        json_docs.push(json!({
                            "source": set.source,
                            "index": doc.index,
                            "line": start,
                            "kind": kind,
                            "name": name,
                            "converted": true,
                            "policies": policies,
                            "warnings": warnings.iter().map(|(k, d, new)| {
                                let mut v = serde_json::to_value(d).unwrap_or_default();
                                v["policy"] = json!(k);
                                v["introduced_by_conversion"] = json!(new);
                                v
                            }).collect::<Vec<_>>(),
                            "losses": losses.iter().map(|(l, line)| {
                                let mut v = serde_json::to_value(l).unwrap_or_default();
                                v["line"] = json!(line);
                                v
                            }).collect::<Vec<_>>(),
                        }));
                    } else {
                        for p in &policies {
                            yaml_docs.push(document::to_yaml(p)?);
                        }
                    }
                }
                Outcome::Failed { error, details } => {
                    failed = true;
                    writeln!(err, "{head}: not converted: {error}")?;
                    for d in &details {
                        writeln!(err, "  {d}")?;
                    }
                    json_docs.push(json!({
                        "source": set.source,
                        "index": doc.index,
                        "line": start,
                        "kind": kind,
                        "name": name,
                        "converted": false,
                        "error": error,
                        "details": details,
                    }));
                }
            }
        }
    }
    writeln!(
        err,
        "{n_docs} document(s): {n_clean} converted, {n_lossy} converted with losses, {} not converted",
        n_docs - n_clean - n_lossy
    )?;
    let mut out = std::io::stdout().lock();
    if json_out {
        output::write_json(&mut out, &Value::Array(json_docs))?;
    } else {
        write!(out, "{}", yaml_docs.join("---\n"))?;
    }
    Ok(Exit::of(unreadable, failed))
}
