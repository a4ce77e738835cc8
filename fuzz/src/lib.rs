//! The fuzz targets' shared bodies as a library, so each target in
//! `fuzz_targets/` is one line and tools that read the crate's sources
//! (cargo-machete) see what it uses.

pub mod bodies;
