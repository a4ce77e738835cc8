//! Every policy the deterministic synthesizer emits passes layer-1
//! validation, over a generated spread of intents across engines, domains,
//! actions and resources (the schema-2 fields among them: every feature is
//! produced by every engine that can express it); what it refuses, it
//! refuses with a reason. Nothing wider than the intent appears: no
//! `0.0.0.0/0`, no `dir: /` unless the intent named `/` or said `all`.

use std::collections::BTreeMap;

use kubescribe_core::Engine;
use kubescribe_core::intent::*;
use kubescribe_synth::features::{self, Feature};
use kubescribe_synth::{SynthError, synthesize};
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
    let mut covered: std::collections::BTreeSet<(Feature, Engine)> = Default::default();
    for n in 0..5000 {
        let domain = domains[n % domains.len()];
        let i = intent(&mut rng, domain);
        for &engine in domain.engines() {
            let e = per_engine.entry(engine).or_default();
            match synthesize(&i, Some(engine)) {
                Ok(policy) => {
                    e.0 += 1;
                    let value = policy.to_value().unwrap();
                    for f in features::used(&i) {
                        covered.insert((f, engine));
                    }
                    let text = serde_json::to_string(&value).unwrap();
                    assert!(
                        !text.contains("0.0.0.0/0"),
                        "{engine}: 0.0.0.0/0 not asked for:\n{text}"
                    );
                    let root_asked = i.resources.all
                        || i.resources.dirs.iter().any(|d| d == "/")
                        || i.deny
                            .as_ref()
                            .is_some_and(|d| d.dirs.iter().any(|d| d == "/"));
                    assert!(
                        root_asked || !text.contains("\"dir\":\"/\""),
                        "{engine}: dir / not asked for:\n{text}\n{i:?}"
                    );
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
    // Every schema feature, on every engine that can express it (in some
    // domain), was produced and validated at least once. Not generated: a
    // selector expression (Calico only; the unit tests cover it), and
    // binaries beside a file block (no engine).
    let mut missing = Vec::new();
    for f in Feature::ALL {
        if matches!(
            f,
            Feature::SelectorExpression | Feature::BinariesInFileBlock
        ) {
            continue;
        }
        let mut can: Vec<Engine> = domains
            .iter()
            .flat_map(|d| {
                f.engines(*d)
                    .iter()
                    .copied()
                    .filter(|e| d.engines().contains(e))
                    .collect::<Vec<_>>()
            })
            .collect();
        can.sort();
        can.dedup();
        for e in can {
            if !covered.contains(&(f, e)) {
                missing.push(format!("{f:?} on {e}"));
            }
        }
    }
    assert!(missing.is_empty(), "never produced: {missing:?}");
}
