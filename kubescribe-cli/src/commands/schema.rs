//! `kubescribe schema`: the JSON Schema of the intent or of a policy kind,
//! and the list of modelled kinds.

use anyhow::Result;
use kubescribe_core::PolicyKind;

use crate::args::SchemaCommand;
use crate::output::{self, Exit};

/// Prints what was asked for.
pub fn run(what: SchemaCommand) -> Result<Exit> {
    let value = match what {
        SchemaCommand::Intent => kubescribe_core::intent::intent_schema(),
        SchemaCommand::Kinds => {
            for k in PolicyKind::ALL {
                println!("{:<11} {}/{}", k.engine().name(), k.api_version(), k.kind());
            }
            return Ok(Exit::Ok);
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
    output::print_json(&value)?;
    Ok(Exit::Ok)
}
