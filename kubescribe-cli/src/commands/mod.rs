//! One module per `kubescribe` command, each with a `run` that takes the
//! command's arguments (see [`crate::args`]) and returns its exit status.
//! Commands do not use each other: what two of them share lives a level
//! down (`input`, `intent_source`, `cluster_apply`, `backend`, `output`).

pub mod apply;
pub mod cluster;
pub mod collect;
pub mod context;
pub mod convert;
pub mod dataset;
pub mod delete;
pub mod diff;
pub mod discover;
pub mod eval;
pub mod generate;
pub mod ingest;
pub mod intent;
pub mod prompt;
pub mod schema;
pub mod score;
pub mod simulate;
pub mod store;
pub mod validate;
