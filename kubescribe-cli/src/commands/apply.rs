//! `kubescribe apply`: policies validated at every layer against the
//! cluster, then server-side applied.

use anyhow::{Context, Result};
use kubescribe_validate::Validator;

use crate::args::ApplyArgs;
use crate::cluster_apply::{self, ApplySettings};
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
    let sets = input::read_object_files(&args.input, args.namespace.as_deref())?;
    let mut cluster = args.cluster_args.connect()?;
    cluster_apply::apply_sets(
        &mut cluster,
        validator,
        &sets,
        &ApplySettings {
            dry_run: args.dry_run,
            force_conflicts: args.force_conflicts,
            skip_resource_checks: args.skip_resource_checks,
            field_manager: args.field_manager,
            namespace: args.namespace,
            format: args.output,
        },
        &mut std::io::stdout().lock(),
    )
}
