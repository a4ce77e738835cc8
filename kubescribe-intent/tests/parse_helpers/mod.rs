//! What the intent-parser tests share: a text parsed (or refused) with the
//! text in the failure message.

// Each test binary that includes this module uses some of it.
#![allow(dead_code)]

use kubescribe_core::intent::Intent;
use kubescribe_intent::parse_intent;

/// The intent `text` parses to; panics with the refusal.
pub fn parsed(text: &str) -> Intent {
    match parse_intent(text) {
        Ok(p) => p.intent,
        Err(e) => panic!("{text:?} was refused: {e}"),
    }
}

/// The refusal of `text`; panics with the intent when it was accepted.
pub fn refused(text: &str) -> String {
    match parse_intent(text) {
        Ok(p) => panic!(
            "{text:?} was accepted as {}",
            serde_json::to_string(&p.intent).unwrap()
        ),
        Err(e) => e.to_string(),
    }
}

/// The port numbers of `i`'s resources, in order.
pub fn port_numbers(i: &Intent) -> Vec<u16> {
    i.resources.ports.iter().map(|p| p.port).collect()
}

/// The (port, protocol) pairs of `i`'s resources, in order.
pub fn port_protocols(i: &Intent) -> Vec<(u16, kubescribe_core::intent::Protocol)> {
    i.resources
        .ports
        .iter()
        .map(|p| (p.port, p.protocol))
        .collect()
}

/// The (port, end port) pairs of `i`'s resources, in order.
pub fn port_ranges(i: &Intent) -> Vec<(u16, Option<u16>)> {
    i.resources
        .ports
        .iter()
        .map(|p| (p.port, p.end_port))
        .collect()
}
