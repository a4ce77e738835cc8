//! Mutation testing against the upstream CRDs (runs when KUBESCRIBE_CORPUS is set).
//!
//! Every corpus document valid under the built-in schema gets at least six
//! mutants: a dropped field, a wrong type, an enum/case typo, an unknown
//! field, a path/dir confusion (or a misspelt key) and an out-of-range
//! number. Each mutant is validated with the built-in schemas and with the
//! upstream CRD alone; the verdicts must agree on at least 99% of mutants.

mod corpus_common;

use std::collections::BTreeMap;

use corpus_common::*;
use kubescribe_core::Engine;
use kubescribe_validate::Validator;
use serde_json::{Value, json};

/// Every (pointer, value) in the document, depth-first, the root excluded.
fn nodes(v: &Value, at: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push((p.clone(), c.clone()));
                nodes(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push((p.clone(), c.clone()));
                nodes(c, p, out);
            }
        }
        _ => {}
    }
}

fn fnv(s: &str) -> usize {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    }) as usize
}

fn parent_and_key(p: &str) -> (&str, String) {
    let i = p.rfind('/').unwrap_or(0);
    (&p[..i], p[i + 1..].replace("~1", "/").replace("~0", "~"))
}

fn remove(doc: &mut Value, p: &str) -> bool {
    let (parent, key) = parent_and_key(p);
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => m.shift_remove(&key).is_some(),
        Some(Value::Array(a)) => key
            .parse::<usize>()
            .ok()
            .filter(|i| *i < a.len())
            .map(|i| a.remove(i))
            .is_some(),
        _ => false,
    }
}

fn set(doc: &mut Value, p: &str, v: Value) {
    if let Some(slot) = doc.pointer_mut(p) {
        *slot = v;
    }
}

fn pick<T>(items: &[T], seed: usize, k: usize) -> Option<&T> {
    (!items.is_empty()).then(|| &items[(seed.wrapping_add(k.wrapping_mul(7919))) % items.len()])
}

/// (category, mutant) pairs for one document.
fn mutants(doc: &Value, seed: usize) -> Vec<(&'static str, Value)> {
    let mut all = Vec::new();
    nodes(doc, String::new(), &mut all);
    let fields: Vec<&(String, Value)> = all
        .iter()
        .filter(|(p, _)| {
            !p.ends_with(|c: char| c.is_ascii_digit())
                || p.rsplit('/')
                    .next()
                    .is_some_and(|t| t.parse::<usize>().is_err())
        })
        .collect();
    let skip_type = |p: &str| p == "/apiVersion" || p == "/kind";
    let leaves: Vec<&(String, Value)> = all
        .iter()
        .filter(|(p, v)| !v.is_object() && !v.is_array() && !skip_type(p))
        .collect();
    let objects: Vec<&(String, Value)> = all.iter().filter(|(_, v)| v.is_object()).collect();
    let strings: Vec<&(String, Value)> = leaves
        .iter()
        .copied()
        .filter(|(_, v)| v.is_string())
        .collect();
    let enumish: Vec<&(String, Value)> = strings
        .iter()
        .copied()
        .filter(|(_, v)| {
            v.as_str().is_some_and(|s| {
                s.len() > 1
                    && s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && s.chars().all(|c| c.is_ascii_alphanumeric())
            })
        })
        .collect();
    let numbers: Vec<&(String, Value)> = leaves
        .iter()
        .copied()
        .filter(|(_, v)| v.is_number())
        .collect();
    let mut out = Vec::new();

    // 1. drop a field: a shallow one (often required) and a deep one.
    let shallow: Vec<&&(String, Value)> = fields
        .iter()
        .filter(|(p, _)| p.matches('/').count() <= 2 && !skip_type(p))
        .collect();
    for (k, cands) in [
        (0, shallow.iter().map(|x| **x).collect::<Vec<_>>()),
        (1, fields.clone()),
    ] {
        if let Some((p, _)) = pick(&cands, seed, k) {
            let mut m = doc.clone();
            if remove(&mut m, p) {
                out.push(("drop-field", m));
            }
        }
    }
    // 2. wrong type.
    if let Some((p, v)) = pick(&leaves, seed, 2) {
        let mut m = doc.clone();
        let wrong = match v {
            Value::String(_) => json!(7),
            Value::Number(_) => json!("seven"),
            Value::Bool(_) => json!("maybe"),
            _ => json!([1]),
        };
        set(&mut m, p, wrong);
        out.push(("wrong-type", m));
    } else if let Some((p, _)) = pick(&objects, seed, 2) {
        let mut m = doc.clone();
        set(&mut m, p, json!("not-an-object"));
        out.push(("wrong-type", m));
    }
    // 3. unknown enum value: case typo of an enum-like token, or a suffixed string.
    if let Some((p, v)) = pick(&enumish, seed, 3).or_else(|| pick(&strings, seed, 3)) {
        let mut m = doc.clone();
        let s = v.as_str().unwrap_or("");
        let typo = if s.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            s.to_lowercase()
        } else {
            format!("{s}Zz")
        };
        set(&mut m, p, Value::String(typo));
        out.push(("enum-value", m));
    }
    // 4. unknown field in some object (or at the root).
    let mut m = doc.clone();
    let target = pick(&objects, seed, 4)
        .map(|(p, _)| p.clone())
        .unwrap_or_default();
    if let Some(Value::Object(o)) = m.pointer_mut(&target) {
        o.insert("unknownFieldZz".into(), json!(true));
    }
    out.push(("unknown-field", m));
    // 5. path/dir confusion, else a misspelt key.
    let pathdir: Vec<&(String, Value)> = strings
        .iter()
        .copied()
        .filter(|(p, _)| p.ends_with("/path") || p.ends_with("/dir"))
        .collect();
    if let Some((p, v)) = pick(&pathdir, seed, 5) {
        let mut m = doc.clone();
        let s = v.as_str().unwrap_or("");
        let confused = if p.ends_with("/path") {
            format!("{s}/")
        } else {
            s.trim_end_matches('/').to_string()
        };
        set(&mut m, p, Value::String(confused));
        out.push(("path-dir", m));
    } else if let Some((p, v)) = pick(
        &fields
            .iter()
            .filter(|(p, _)| !skip_type(p))
            .copied()
            .collect::<Vec<_>>(),
        seed,
        5,
    ) {
        let mut m = doc.clone();
        let (parent, key) = parent_and_key(p);
        if let Some(Value::Object(o)) = m.pointer_mut(parent) {
            o.shift_remove(&key);
            o.insert(format!("{key}x"), v.clone());
            out.push(("misspelt-key", m));
        }
    }
    // 6. out-of-range number (severity, ports, counts).
    let mut m = doc.clone();
    if let Some((p, _)) = pick(&numbers, seed, 6) {
        let big = if p.ends_with("severity") {
            json!(11)
        } else if seed.is_multiple_of(2) {
            json!(70000)
        } else {
            json!(-1)
        };
        set(&mut m, p, big);
        out.push(("out-of-range", m));
    } else if let Some(Value::Object(spec)) = m.pointer_mut("/spec") {
        spec.insert("severity".into(), json!(11));
        out.push(("out-of-range", m));
    }
    out
}

#[test]
fn mutants_agree_with_upstream_crds() {
    let Some(root) = corpus() else { return };
    let (docs, _) = policy_documents(&root);
    let ours = Validator::new();
    let upstream = upstream_validator(&root);
    let mut per_engine: BTreeMap<Engine, (usize, usize)> = BTreeMap::new();
    let mut per_category: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut docs_mutated = 0;
    for d in &docs {
        if !ours.validate_value(&d.value).is_valid() {
            continue;
        }
        docs_mutated += 1;
        let ms = mutants(&d.value, fnv(&format!("{}#{}", d.path, d.index)));
        assert!(
            ms.len() >= 5,
            "{}#{}: only {} mutants",
            d.path,
            d.index,
            ms.len()
        );
        for (cat, m) in ms {
            let a = ours.validate_value(&m);
            let b = upstream.validate_value(&m);
            let agree = a.is_valid() == b.is_valid();
            let e = per_engine.entry(d.kind.engine()).or_default();
            e.0 += agree as usize;
            e.1 += 1;
            let c = per_category.entry(cat).or_default();
            c.0 += agree as usize;
            c.1 += 1;
            c.2 += (!a.is_valid()) as usize;
            if !agree {
                let why = |o: &kubescribe_validate::Outcome| {
                    o.diagnostics
                        .iter()
                        .find(|x| x.is_error())
                        .map(|x| x.to_string())
                        .unwrap_or_else(|| "valid".into())
                };
                disagreements.push(format!(
                    "{}#{} [{cat}] ours: {} | upstream: {}",
                    d.path,
                    d.index,
                    why(&a),
                    why(&b)
                ));
            }
        }
    }
    let (agree, total) = per_engine
        .values()
        .fold((0, 0), |acc, v| (acc.0 + v.0, acc.1 + v.1));
    eprintln!(
        "mutants of {docs_mutated} valid documents: {total}, agreement {:.2}%",
        100.0 * agree as f64 / total as f64
    );
    for (e, (a, t)) in &per_engine {
        eprintln!(
            "  {:<11} {a:>5} / {t:<5} {:.2}%",
            e.name(),
            100.0 * *a as f64 / *t as f64
        );
    }
    for (c, (a, t, rejected)) in &per_category {
        eprintln!("  {c:<14} agree {a:>5} / {t:<5} (rejected by us: {rejected})");
    }
    for d in disagreements.iter().take(60) {
        eprintln!("DISAGREE {d}");
    }
    assert!(total >= docs_mutated * 5);
    assert!(
        agree as f64 >= 0.99 * total as f64,
        "agreement below 99%: {agree}/{total}"
    );
}
