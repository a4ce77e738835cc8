//! Every policy the deterministic synthesizer emits passes layer-1
//! validation, over a generated spread of intents across engines, domains,
//! actions and resources; what it refuses, it refuses with a reason.

use std::collections::BTreeMap;

use kubescribe_core::Engine;
use kubescribe_core::intent::*;
use kubescribe_synth::{SynthError, engines_for, synthesize};
use kubescribe_validate::Validator;

use kubescribe_testkit::intents::{Rng, intent};

#[test]
fn synthesized_policies_always_validate() {
    let validator = Validator::new();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let domains = [
        Domain::File,
        Domain::Process,
        Domain::Network,
        Domain::Syscall,
        Domain::Capability,
    ];
    let mut per_engine: BTreeMap<Engine, (usize, usize, usize)> = BTreeMap::new();
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    let mut invalid = Vec::new();
    for n in 0..3000 {
        let domain = domains[n % domains.len()];
        let i = intent(&mut rng, domain);
        for &engine in engines_for(domain) {
            let e = per_engine.entry(engine).or_default();
            match synthesize(&i, Some(engine)) {
                Ok(policy) => {
                    e.0 += 1;
                    let value = policy.to_value().unwrap();
                    let outcome = validator.validate_value(&value);
                    if outcome.is_valid() {
                        e.1 += 1;
                    } else if invalid.len() < 10 {
                        invalid.push(format!(
                            "{engine}: {:?}\n{}",
                            outcome
                                .diagnostics
                                .iter()
                                .map(|d| d.to_string())
                                .collect::<Vec<_>>(),
                            policy.to_canonical_yaml().unwrap()
                        ));
                    }
                }
                Err(err @ (SynthError::Unsupported { .. } | SynthError::Incomplete(_))) => {
                    e.2 += 1;
                    let key = err.to_string();
                    let key: String = key
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(90)
                        .collect();
                    *refusals.entry(format!("{engine}: {key}")).or_default() += 1;
                }
                Err(other) => panic!("{engine}: {other}\n{i:#?}"),
            }
        }
    }
    let produced: usize = per_engine.values().map(|v| v.0).sum();
    eprintln!("engine       produced  valid  refused");
    for (e, (p, v, r)) in &per_engine {
        eprintln!("{:<11} {p:>9} {v:>6} {r:>8}", e.name());
    }
    for (k, n) in &refusals {
        eprintln!("  refused {n:>5}: {k}");
    }
    assert!(
        invalid.is_empty(),
        "invalid synthesized policies:\n{}",
        invalid.join("\n---\n")
    );
    assert!(produced >= 1000, "only {produced} policies produced");
    for (e, (p, _, _)) in &per_engine {
        assert!(*p >= 100, "{e}: only {p} policies produced");
    }
}
