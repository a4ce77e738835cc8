//! The bodies of the fuzz targets, one plain function per parser, shared by
//! cargo-fuzz (`fuzz/fuzz_targets/*.rs`, nightly) and the stable harness
//! that `cargo test` runs over the seeds and deterministic mutations
//! (`kubescribe-cli/tests/fuzz_bodies.rs`).
//!
//! Each must return normally on any input: a panic, a stack overflow or a
//! hang is the bug the fuzzer looks for. Properties that must hold for
//! accepted input (a selector prints to text that parses back to it, a
//! valid policy round-trips through canonical YAML) are asserted.

use kubescribe_core::Policy;
use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::glob::{Dialect, Glob};
use kubescribe_core::selector::Selector;
use serde_json::Value;

/// A target's body.
pub type Body = fn(&[u8]);

/// Every target: its name (the cargo-fuzz binary) and body.
pub const TARGETS: &[(&str, Body)] = &[
    ("parse_validate", documents),
    ("events_falco", events_falco),
    ("events_tetragon", events_tetragon),
    ("events_kubearmor", events_kubearmor),
    ("events_hubble", events_hubble),
    ("selector", selector),
    ("glob", glob),
    ("intent", intent),
];

/// YAML/JSON policy documents: read, validate each, round-trip every valid
/// policy through canonical YAML.
pub fn documents(data: &[u8]) {
    let limits = ReadLimits {
        max_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    let Ok(set) = document::read_bytes("fuzz", data, &limits) else {
        return;
    };
    let validator = kubescribe_validate::Validator::new();
    for report in validator.validate_set(&set) {
        for d in &report.diagnostics {
            let line = d.to_string();
            assert!(
                !line.contains('\n'),
                "a diagnostic printed two lines: {line:?}"
            );
        }
    }
    for d in &set.documents {
        if let Some(policy) = validator.validate_value(&d.value).policy {
            let yaml = policy.to_canonical_yaml().expect("canonical YAML");
            let again = document::read_bytes("canonical", yaml.as_bytes(), &limits)
                .expect("canonical YAML parses");
            let mut v = again.documents[0].value.clone();
            document::prune_nulls(&mut v);
            assert_eq!(
                Policy::from_value(v).expect("canonical YAML decodes"),
                policy
            );
        }
    }
}

/// The JSON records in `data`: the whole input, or else each line.
fn records(data: &[u8]) -> Vec<Value> {
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        return vec![v];
    }
    data.split(|b| *b == b'\n')
        .filter_map(|l| serde_json::from_slice::<Value>(l).ok())
        .collect()
}

/// Converts each record after making it look like `engine`'s output (the
/// keys format detection looks at), so the mutations reach that adapter.
fn events_as(data: &[u8], mark: fn(&mut serde_json::Map<String, Value>)) {
    for mut v in records(data) {
        if let Value::Object(o) = &mut v {
            mark(o);
        } else {
            let mut o = serde_json::Map::new();
            o.insert("value".into(), v);
            mark(&mut o);
            v = Value::Object(o);
        }
        let (_, converted) = kubescribe_events::adapters::convert(&v);
        for c in converted {
            if let kubescribe_events::adapters::Converted::Events(events) = c {
                for e in events {
                    // Every event serialises (the store writes it as JSON).
                    serde_json::to_string(&e).expect("an event serialises");
                }
            }
        }
    }
}

/// Falco alerts.
pub fn events_falco(data: &[u8]) {
    events_as(data, |o| {
        o.entry("output_fields")
            .or_insert_with(|| Value::Object(Default::default()));
    });
}

/// Tetragon exports.
pub fn events_tetragon(data: &[u8]) {
    events_as(data, |o| {
        if !o.keys().any(|k| k.starts_with("process_")) {
            let inner = Value::Object(std::mem::take(o));
            o.insert("process_exec".into(), inner);
        }
    });
}

/// KubeArmor logs and alerts.
pub fn events_kubearmor(data: &[u8]) {
    events_as(data, |o| {
        o.entry("Operation").or_insert_with(|| "File".into());
        o.entry("Type").or_insert_with(|| "ContainerLog".into());
        o.remove("output_fields");
        o.remove("flow");
        o.retain(|k, _| !k.starts_with("process_"));
    });
}

/// Hubble flows.
pub fn events_hubble(data: &[u8]) {
    events_as(data, |o| {
        o.remove("output_fields");
        if !o.contains_key("flow") {
            let inner = Value::Object(std::mem::take(o));
            o.insert("flow".into(), inner);
        }
    });
}

/// Calico selectors: a parsed selector prints to text that parses back to
/// it, and evaluating or lowering it returns.
pub fn selector(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(s) = Selector::parse(&text) else {
        return;
    };
    let printed = s.to_string();
    let again = Selector::parse(&printed).expect("a printed selector parses");
    assert_eq!(again, s, "{printed}");
    let _ = s.to_label_selectors();
    let _ = s.matches(&Default::default());
}

/// Globs: `pattern\ntext`, in both dialects; linear time, so no input
/// hangs. On short inputs the verdict equals a backtracking reference.
pub fn glob(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (pattern, subject) = text.split_once('\n').unwrap_or((&text, ""));
    for dialect in [Dialect::KubeArmor, Dialect::CiliumFqdn] {
        if let Ok(g) = Glob::new(pattern, dialect) {
            let (matched, steps) = g.matches_counting(subject);
            let bound = 2 * (pattern.len() as u64 + 1) * (subject.len() as u64 + 1);
            assert!(steps <= bound, "{steps} steps > {bound}");
            if dialect == Dialect::KubeArmor && pattern.len() <= 8 && subject.len() <= 12 {
                assert_eq!(matched, reference(pattern.as_bytes(), subject.as_bytes()));
            }
        }
    }
}

/// KubeArmor's glob by backtracking (exponential; short inputs only).
fn reference(p: &[u8], t: &[u8]) -> bool {
    match p {
        [] => t.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=t.len()).any(|i| reference(rest, &t[i..])),
        [b'*', rest @ ..] => (0..=t.len())
            .take_while(|&i| i == 0 || t[i - 1] != b'/')
            .any(|i| reference(rest, &t[i..])),
        [b'?', rest @ ..] => !t.is_empty() && t[0] != b'/' && reference(rest, &t[1..]),
        [c, rest @ ..] => t.first() == Some(c) && reference(rest, &t[1..]),
    }
}

/// Natural-language intents (the rule-based parser).
pub fn intent(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(parsed) = kubescribe_intent::parse_intent(&text) {
        let _ = kubescribe_intent::restate(&parsed.intent);
    }
}
