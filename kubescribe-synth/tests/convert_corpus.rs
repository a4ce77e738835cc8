//! Cross-engine conversion over every network policy of the corpus (runs
//! when KUBESCRIBE_CORPUS is set): each valid Kubernetes, Cilium and Calico
//! policy is converted to the two other engines; every converted policy
//! must pass layer-1 validation; counts of converted / converted with
//! losses / refused are printed per pair of engines, and every loss and
//! refusal must name a field of the source.

use std::collections::BTreeMap;

use kubescribe_core::Engine;
use kubescribe_synth::convert::{self, ConvertError};
use kubescribe_testkit::corpus::*;
use kubescribe_validate::Validator;

#[derive(Default)]
struct Counts {
    clean: usize,
    lossy: usize,
    refused: usize,
}

const NET: [Engine; 3] = [Engine::Kubernetes, Engine::Cilium, Engine::Calico];

#[test]
fn every_corpus_network_policy_converts_to_valid_policies() {
    let Some(root) = corpus() else { return };
    let (docs, _) = policy_documents(&root);
    let validator = Validator::new();
    let mut counts: BTreeMap<(Engine, Engine), Counts> = BTreeMap::new();
    let mut features: BTreeMap<String, usize> = BTreeMap::new();
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut sources = 0;
    for d in &docs {
        if !NET.contains(&d.kind.engine()) {
            continue;
        }
        let outcome = validator.validate_value(&d.value);
        let Some(policy) = outcome.policy else {
            continue; // invalid upstream documents are the conformance test's business
        };
        sources += 1;
        for target in NET {
            if target == policy.engine() {
                continue;
            }
            let c = counts.entry((policy.engine(), target)).or_default();
            match convert::convert(&policy, target, false) {
                Ok(conv) => {
                    if conv.losses.is_empty() {
                        c.clean += 1;
                    } else {
                        c.lossy += 1;
                    }
                    for l in &conv.losses {
                        *features.entry(l.feature.clone()).or_default() += 1;
                        if !l.pointer.starts_with('/') {
                            problems.push(format!(
                                "{}#{}: loss without a pointer: {l}",
                                d.path, d.index
                            ));
                        }
                    }
                    for out in &conv.policies {
                        let v = out.to_value().unwrap();
                        let o = validator.validate_value(&v);
                        if !o.is_valid() {
                            problems.push(format!(
                                "{}#{} -> {target}: invalid output:\n{}\n{}",
                                d.path,
                                d.index,
                                o.diagnostics
                                    .iter()
                                    .map(|x| format!("  {x}"))
                                    .collect::<Vec<_>>()
                                    .join("\n"),
                                out.to_canonical_yaml().unwrap()
                            ));
                        }
                    }
                    // Strict mode refuses exactly the lossy conversions.
                    let strict = convert::convert(&policy, target, true);
                    if strict.is_ok() != conv.losses.is_empty() {
                        problems.push(format!(
                            "{}#{}: --strict disagrees with the losses",
                            d.path, d.index
                        ));
                    }
                }
                Err(
                    ConvertError::Inexpressible {
                        pointer, reason, ..
                    }
                    | ConvertError::Invalid {
                        pointer,
                        message: reason,
                    },
                ) => {
                    c.refused += 1;
                    *refusals
                        .entry(reason.chars().take(60).collect())
                        .or_default() += 1;
                    if !pointer.starts_with('/') {
                        problems.push(format!("{}#{}: refusal without a pointer", d.path, d.index));
                    }
                }
                Err(e) => problems.push(format!("{}#{} -> {target}: {e}", d.path, d.index)),
            }
        }
    }
    eprintln!(
        "conversion of {sources} valid corpus network policies (source -> target: converted / with losses / refused):"
    );
    for ((s, t), c) in &counts {
        eprintln!(
            "  {:<10} -> {:<10} {:>4} / {:>4} / {:>4}",
            s.name(),
            t.name(),
            c.clean,
            c.lossy,
            c.refused
        );
    }
    eprintln!("losses by feature:");
    for (f, n) in &features {
        eprintln!("  {n:>5}  {f}");
    }
    eprintln!("refusals:");
    for (f, n) in &refusals {
        eprintln!("  {n:>5}  {f}");
    }
    assert!(sources > 250, "only {sources} network policies found");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
