//! `kubescribe`: validated runtime-security policies from intents and observed behaviour.
//!
//! This file parses the command line and hands it to the command's module;
//! `args` defines the command line, `commands` holds one module per command,
//! and what commands share lives a level below them (`input`,
//! `intent_source`, `cluster_apply`, `backend`, `output`).

mod args;
mod backend;
mod cluster_apply;
mod commands;
mod input;
mod intent_source;
mod output;
mod progress;
mod store_location;
mod when;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, DatasetCommand, IntentCommand, StoreCommand};

/// mimalloc: ingestion allocates a few short strings per event, and the
/// system allocator costs it ~8% of its throughput (see the issue-4 note).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    output::quiet_on_closed_stdout();
    let result = match Cli::parse().command {
        Command::Validate(a) => commands::validate::run(a),
        Command::Apply(a) => commands::apply::run(a),
        Command::Diff(a) => commands::diff::run(a),
        Command::Delete(a) => commands::delete::run(a),
        Command::Cluster(a) => commands::cluster::run(a),
        Command::Score(a) => commands::score::run(a),
        Command::Ingest(a) => commands::ingest::run(a),
        Command::Collect(a) => commands::collect::run(a),
        Command::Eval(a) => commands::eval::run(a),
        Command::Generate(a) => commands::generate::run(a),
        Command::Convert(a) => commands::convert::run(a),
        Command::Context(a) => commands::context::run(a),
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Discover(a) => commands::discover::run(a),
        Command::Intent {
            what: IntentCommand::Parse(a),
        } => commands::intent::run(a),
        Command::Prompt(a) => commands::prompt::run(a),
        Command::Dataset {
            what: DatasetCommand::Build(a),
        } => commands::dataset::run(a),
        Command::Schema { what } => commands::schema::run(what),
        Command::Store {
            what: StoreCommand::Prune(a),
        } => commands::store::prune(a),
    };
    output::finish(result)
}
