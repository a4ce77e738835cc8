//! Hubble flows through the Hubble adapter.
//! Must never panic, hang or blow up memory; the body is shared with the
//! stable harness (`kubescribe-cli/tests/fuzz_bodies.rs`).
#![no_main]

use kubescribe_fuzz::bodies;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| bodies::events_hubble(data));
