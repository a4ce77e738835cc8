//! Conformance against the upstream corpus (runs when KUBESCRIBE_CORPUS is set).
//!
//! * every policy document of the five engines' kinds is parsed and validated
//!   with the built-in schemas, and again with the upstream CRDs alone;
//! * the two verdicts must agree (differences would be listed, reviewed, in
//!   tests/data/corpus-differences.tsv: none at present);
//! * documents rejected must be exactly those in tests/data/corpus-rejections.tsv,
//!   each with a diagnostic at the listed field;
//! * parse -> canonical YAML -> parse gives an equal policy for every valid document.

mod corpus_common;

use std::collections::{BTreeMap, BTreeSet};

use corpus_common::*;
use kubescribe_core::document::{self, ReadLimits};
use kubescribe_core::{Engine, Policy};
use kubescribe_validate::Validator;

struct Expected {
    pointer: String,
    rule: String,
}

fn rejections() -> BTreeMap<(String, String), Expected> {
    include_str!("data/corpus-rejections.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 5, "bad row: {l}");
            (
                (c[0].to_string(), c[1].to_string()),
                Expected {
                    pointer: c[2].to_string(),
                    rule: c[3].to_string(),
                },
            )
        })
        .collect()
}

#[test]
fn corpus_verdicts_match_upstream_and_the_reviewed_list() {
    let Some(root) = corpus() else { return };
    let expected = rejections();
    let (docs, unparsed) = policy_documents(&root);
    let ours = Validator::new();
    let upstream = upstream_validator(&root);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut counts: BTreeMap<Engine, (usize, usize)> = BTreeMap::new();
    let mut upstream_counts: BTreeMap<Engine, (usize, usize)> = BTreeMap::new();
    for (path, err) in &unparsed {
        let key = (path.clone(), "-".to_string());
        if !expected.contains_key(&key) {
            problems.push(format!("{path}: unexpected read error: {err}"));
        }
        seen.insert(key);
    }
    for d in &docs {
        let key = (d.path.clone(), d.index.to_string());
        let a = ours.validate_value(&d.value);
        let b = upstream.validate_value(&d.value);
        let engine = d.kind.engine();
        let c = counts.entry(engine).or_default();
        c.1 += 1;
        c.0 += a.is_valid() as usize;
        let c = upstream_counts.entry(engine).or_default();
        c.1 += 1;
        c.0 += b.is_valid() as usize;
        if a.is_valid() != b.is_valid() {
            problems.push(format!(
                "{}#{}: ours {} vs upstream CRD {}",
                d.path,
                d.index,
                a.is_valid(),
                b.is_valid()
            ));
        }
        match (expected.get(&key), a.is_valid()) {
            (None, true) => {}
            (None, false) => problems.push(format!(
                "{}#{}: rejected but not listed: {:?}",
                d.path,
                d.index,
                a.diagnostics
                    .iter()
                    .filter(|x| x.is_error())
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
            )),
            (Some(_), true) => problems.push(format!(
                "{}#{}: listed as rejected but valid",
                d.path, d.index
            )),
            (Some(e), false) => {
                let ptr = if e.pointer == "/" {
                    ""
                } else {
                    e.pointer.as_str()
                };
                if !a
                    .diagnostics
                    .iter()
                    .any(|x| x.pointer == ptr && x.rule == e.rule)
                {
                    problems.push(format!(
                        "{}#{}: no {} diagnostic at {}: {:?}",
                        d.path,
                        d.index,
                        e.rule,
                        e.pointer,
                        a.diagnostics
                            .iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
        seen.insert(key);
    }
    for key in expected.keys() {
        if !seen.contains(key) {
            problems.push(format!("listed but not in corpus: {key:?}"));
        }
    }
    print_counts("built-in schemas: valid / documents", &counts);
    print_counts("upstream CRDs:    valid / documents", &upstream_counts);
    eprintln!("unparsable files: {}", unparsed.len());
    assert!(docs.len() > 1300, "only {} documents found", docs.len());
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_round_trips_through_canonical_yaml() {
    let Some(root) = corpus() else { return };
    let (docs, _) = policy_documents(&root);
    let v = Validator::new();
    let mut n = 0;
    for d in &docs {
        let Some(policy) = v.validate_value(&d.value).policy else {
            continue;
        };
        let yaml = policy.to_canonical_yaml().unwrap();
        let set = document::read_bytes("canonical", yaml.as_bytes(), &ReadLimits::default())
            .unwrap_or_else(|e| {
                panic!(
                    "{}#{}: canonical YAML does not parse: {e}\n{yaml}",
                    d.path, d.index
                )
            });
        assert_eq!(set.documents.len(), 1);
        let mut value = set.documents[0].value.clone();
        document::prune_nulls(&mut value);
        let again = Policy::from_value(value)
            .unwrap_or_else(|e| panic!("{}#{}: {e}\n{yaml}", d.path, d.index));
        assert_eq!(
            policy, again,
            "{}#{} changed in the round trip:\n{yaml}",
            d.path, d.index
        );
        // Canonical output is a fixed point.
        assert_eq!(again.to_canonical_yaml().unwrap(), yaml);
        n += 1;
    }
    eprintln!("round-tripped {n} documents");
    assert!(n > 1200);
}
