//! `kubescribe apply`: policies validated at every layer against the
//! cluster, then server-side applied.

use anyhow::{Context, Result};
use kubescribe_core::document::ReadLimits;
use kubescribe_validate::Validator;

use crate::args::{ApplyArgs, DryRun};
use crate::cluster_apply;
use crate::input;
use crate::output::Exit;

/// Reads every file, connects, validates and applies what passed.
pub fn run(args: ApplyArgs) -> Result<Exit> {
    let mut validator = Validator::new();
    for crd in &args.crds {
        validator
            .add_crd_file(crd)
            .with_context(|| format!("loading CRD {}", crd.display()))?;
    }
    let mut sets = Vec::new();
    for f in &args.files {
        let set = input::read_documents(f, &ReadLimits::default())
            .with_context(|| format!("reading {}", f.display()))?;
        sets.push(set);
    }
    let mut cluster = args.cluster_args.connect()?;
    cluster_apply::apply_sets(
        &mut cluster,
        validator,
        &sets,
        args.dry_run == DryRun::Server,
        args.force_conflicts,
        args.skip_resource_checks,
        args.output,
        &mut std::io::stdout().lock(),
    )
}
