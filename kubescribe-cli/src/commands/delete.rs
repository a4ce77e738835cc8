//! `kubescribe delete`: the objects the files name, deleted (kubectl delete -f).

use std::io::Write;

use anyhow::Result;
use kubescribe_kube::Deleted;

use crate::args::{DeleteArgs, DryRun, Format};
use crate::input;
use crate::output::Exit;

/// Deletes every object named; exit 1 when one did not exist (unless
/// `--ignore-not-found`), 2 when the cluster could not take a request.
pub fn run(args: DeleteArgs) -> Result<Exit> {
    let sets = input::read_object_files(&args.input, args.namespace.as_deref())?;
    let cluster = args.cluster_args.connect()?;
    let mut out = std::io::stdout().lock();
    let (mut missing, mut failed) = (false, false);
    let suffix = match args.dry_run {
        DryRun::None => "",
        DryRun::Server => " (server dry run)",
        DryRun::Client => " (client dry run)",
    };
    for set in &sets {
        for doc in &set.documents {
            let result = if args.dry_run == DryRun::Client {
                // Only what would be deleted: is it there?
                cluster
                    .live(&doc.value, args.namespace.as_deref())
                    .map(|live| {
                        let s = |p: &str| {
                            doc.value
                                .pointer(p)
                                .and_then(serde_json::Value::as_str)
                                .unwrap_or("?")
                                .to_string()
                        };
                        let ns = live
                            .as_ref()
                            .and_then(|l| l.pointer("/metadata/namespace"))
                            .and_then(serde_json::Value::as_str)
                            .map(|n| format!("{n}/"))
                            .unwrap_or_default();
                        (
                            format!("{}/{ns}{}", s("/kind").to_lowercase(), s("/metadata/name")),
                            if live.is_some() {
                                Deleted::Deleted
                            } else {
                                Deleted::NotFound
                            },
                        )
                    })
            } else {
                cluster.delete(
                    &doc.value,
                    args.namespace.as_deref(),
                    args.dry_run == DryRun::Server,
                )
            };
            match result {
                Ok((object, Deleted::Deleted)) => match args.output {
                    Format::Name => writeln!(out, "{object}")?,
                    _ => writeln!(
                        out,
                        "{object} {}{suffix}",
                        if args.dry_run == DryRun::None {
                            "deleted"
                        } else {
                            "would be deleted"
                        }
                    )?,
                },
                Ok((object, Deleted::NotFound)) => {
                    if !args.ignore_not_found {
                        missing = true;
                        eprintln!("kubescribe: {object}: not found");
                    }
                }
                Err(e) => {
                    failed = true;
                    eprintln!(
                        "kubescribe: error: {}: {}",
                        set.source,
                        kubescribe_core::quote::escape_control(&e.to_string())
                    );
                    if matches!(
                        e,
                        kubescribe_events::cluster::ClusterError::Unreachable { .. }
                            | kubescribe_events::cluster::ClusterError::Timeout { .. }
                    ) {
                        return Ok(Exit::Unusable);
                    }
                }
            }
        }
    }
    Ok(Exit::of(failed, missing))
}
