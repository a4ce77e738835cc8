//! Batched generation on the candle backend, on the tiny random Llama the
//! test writes (deterministic, offline): a batch gives every prompt the
//! output it gets alone — greedy and seeded sampling, prompts of mixed
//! lengths with stop strings and budgets, constrained decoding with one
//! grammar per sequence — and models that do not batch (GGUF) run the
//! requests one after another with the same outputs.
//!
//! Set `RAYON_NUM_THREADS=1` on small machines.
#![cfg(feature = "candle")]

use kubescribe_core::PolicyKind;
use kubescribe_infer::candle::fixture::{TinyConfig, TinyModel, write_tiny_llama};
use kubescribe_infer::candle::{CandleGenerator, LoadOptions, TokenRequest};
use kubescribe_infer::constrained::{SchemaLimits, Tightening};
use kubescribe_infer::decode::FinishReason;
use kubescribe_infer::{BatchRequest, ChatMessage, GenerationConfig, Generator, Prompt};

fn tiny(dir: &std::path::Path) -> TinyModel {
    write_tiny_llama(dir, &TinyConfig::default()).unwrap()
}

fn greedy(max_new_tokens: usize) -> GenerationConfig {
    GenerationConfig {
        max_new_tokens,
        ..GenerationConfig::default()
    }
}

fn chat(user: &str) -> Prompt {
    Prompt::Chat(vec![
        ChatMessage {
            role: "system".into(),
            content: "You write Kubernetes runtime-security policies.".into(),
        },
        ChatMessage {
            role: "user".into(),
            content: user.into(),
        },
    ])
}

/// Each request's tokens and finish reason alone ([`CandleGenerator::run_tokens`]).
fn alone(
    g: &CandleGenerator,
    requests: &[TokenRequest],
    cfg: &GenerationConfig,
) -> Vec<(Vec<u32>, FinishReason)> {
    requests
        .iter()
        .map(|r| {
            let mut c = r.constraint.clone();
            let out = g
                .run_tokens(&r.ids, cfg, c.as_mut(), &mut |_| true)
                .unwrap();
            (out.tokens, out.finish)
        })
        .collect()
}

/// The batch's tokens and finish reasons ([`CandleGenerator::run_tokens_batch`]).
fn batched(
    g: &CandleGenerator,
    requests: &[TokenRequest],
    cfg: &GenerationConfig,
) -> Vec<(Vec<u32>, FinishReason)> {
    let mut requests = requests.to_vec();
    g.run_tokens_batch(&mut requests, cfg, &mut |_, _| true)
        .into_iter()
        .map(|b| {
            let out = b.output.unwrap();
            (out.tokens, out.finish)
        })
        .collect()
}

#[test]
fn a_batch_of_eight_prompts_gives_each_its_greedy_output_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tiny(tmp.path());
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    assert_eq!(g.unbatched_reason(), None);
    let prompts: Vec<Prompt> = (0..8)
        .map(|i| {
            chat(&format!(
                "Block writes to /etc for app=web-{i} in namespace shop."
            ))
        })
        .collect();
    let cfg = greedy(40);
    let requests: Vec<TokenRequest> = prompts
        .iter()
        .map(|p| TokenRequest {
            ids: g.encode(p).unwrap(),
            constraint: None,
        })
        .collect();
    let one = alone(&g, &requests, &cfg);
    let many = batched(&g, &requests, &cfg);
    assert_eq!(many, one);
    assert!(one.iter().all(|(t, _)| !t.is_empty()));
    // distinct prompts, distinct outputs: the rows are not mixed up
    let distinct: std::collections::HashSet<&Vec<u32>> = one.iter().map(|(t, _)| t).collect();
    assert!(distinct.len() > 1, "{one:?}");
    // through the Generator trait: same texts and token counts
    let texts = g.generate_batch(&prompts, &cfg);
    for (p, b) in prompts.iter().zip(texts) {
        let (b, a) = (b.unwrap(), g.generate(p, &cfg).unwrap());
        assert_eq!(b.text, a.text);
        assert_eq!(b.completion_tokens, a.completion_tokens);
        assert_eq!(b.prompt_tokens, a.prompt_tokens);
    }
}

#[test]
fn prompts_of_mixed_lengths_stop_and_end_independently() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tiny(tmp.path());
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    // 1 to ~600 tokens (the tokenizer is about one token per byte)
    let texts = [
        "a".to_string(),
        "kind: NetworkPolicy\nmetadata:".to_string(),
        "apiVersion: security.kubearmor.com/v1\n".repeat(8),
        "x".repeat(3),
        "deny egress to 10.0.0.0/8 except port 53; ".repeat(14),
    ];
    let requests: Vec<TokenRequest> = texts
        .iter()
        .map(|t| TokenRequest {
            ids: g.encode(&Prompt::Text(t.clone())).unwrap(),
            constraint: None,
        })
        .collect();
    let lens: Vec<usize> = requests.iter().map(|r| r.ids.len()).collect();
    assert!(
        lens.iter().min() == Some(&1) && lens.iter().max() > Some(&500),
        "{lens:?}"
    );
    // greedy, with stop strings: some sequences stop early, the others run on
    let mut cfg = greedy(48);
    cfg.stop = vec!["e".into(), "\n".into()];
    let one = alone(&g, &requests, &cfg);
    assert_eq!(batched(&g, &requests, &cfg), one);
    assert!(
        one.iter().any(|(_, f)| *f == FinishReason::Stop)
            && one.iter().any(|(_, f)| *f != FinishReason::Stop),
        "all sequences ended the same way: {one:?}"
    );
    // seeded sampling: each sequence samples as if alone
    let sampled = GenerationConfig {
        temperature: 1.0,
        top_k: 40,
        top_p: 0.9,
        repetition_penalty: 1.1,
        seed: 5,
        ..greedy(32)
    };
    assert_eq!(
        batched(&g, &requests, &sampled),
        alone(&g, &requests, &sampled)
    );
    // a prompt that does not fit the context fails alone
    let small = tempfile::tempdir().unwrap();
    let m = write_tiny_llama(
        small.path(),
        &TinyConfig {
            context: 64,
            ..TinyConfig::default()
        },
    )
    .unwrap();
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    let mut requests: Vec<TokenRequest> = ["short", &"y".repeat(80), "other"]
        .iter()
        .map(|t| TokenRequest {
            ids: g.encode(&Prompt::Text(t.to_string())).unwrap(),
            constraint: None,
        })
        .collect();
    let cfg = greedy(200);
    let out = g.run_tokens_batch(&mut requests, &cfg, &mut |_, _| true);
    let err = out[1].output.as_ref().unwrap_err().to_string();
    assert!(err.contains("context"), "{err}");
    for i in [0, 2] {
        let b = out[i].output.as_ref().unwrap();
        let a = g
            .run_tokens(&requests[i].ids, &cfg, None, &mut |_| true)
            .unwrap();
        assert_eq!(b.tokens, a.tokens);
        // the budget is cut to what the context leaves
        assert!(requests[i].ids.len() + b.tokens.len() <= 64);
    }
}

#[test]
fn constrained_sequences_keep_their_own_grammar_in_a_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tiny(tmp.path());
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    let kinds = [
        PolicyKind::KubeArmorPolicy,
        PolicyKind::NetworkPolicy,
        PolicyKind::CiliumNetworkPolicy,
        PolicyKind::TracingPolicy,
    ];
    let mut requests: Vec<TokenRequest> = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let ids = g
            .encode(&chat(&format!("Write a {} for workload {i}.", kind.kind())))
            .unwrap();
        let constraint = g
            .constraint(*kind, &Tightening::default(), &SchemaLimits::default())
            .unwrap();
        requests.push(TokenRequest {
            ids,
            constraint: Some(constraint),
        });
    }
    // one free sequence in the same batch
    requests.push(TokenRequest {
        ids: g.encode(&chat("What is a NetworkPolicy?")).unwrap(),
        constraint: None,
    });
    // a budget that makes the grammar-only close-out take over in some
    for cfg in [greedy(160), greedy(600)] {
        let one = alone(&g, &requests, &cfg);
        let many = batched(&g, &requests, &cfg);
        assert_eq!(many, one, "max_new_tokens {}", cfg.max_new_tokens);
        assert!(
            many.iter().any(|(_, f)| *f == FinishReason::Eos),
            "no sequence finished its document: {many:?}"
        );
        for (i, (tokens, finish)) in many.iter().enumerate().take(kinds.len()) {
            let text = g.decode_tokens(tokens);
            if *finish == FinishReason::Eos {
                let v: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("sequence {i}: {e}: {text}"));
                assert_eq!(v["kind"], kinds[i].kind(), "{text}");
            }
        }
    }
    // through the Generator trait, with targets
    let targets: Vec<kubescribe_infer::ConstraintTarget> = kinds
        .iter()
        .map(|k| kubescribe_infer::ConstraintTarget {
            document: kubescribe_infer::constrained::TargetDocument::Policy(*k),
            tightening: Tightening::default(),
            limits: SchemaLimits::default(),
        })
        .collect();
    let prompts: Vec<Prompt> = kinds
        .iter()
        .map(|k| chat(&format!("Write a {}.", k.kind())))
        .collect();
    let reqs: Vec<BatchRequest<'_>> = prompts
        .iter()
        .zip(&targets)
        .map(|(prompt, t)| BatchRequest {
            prompt,
            target: Some(t),
        })
        .collect();
    let cfg = greedy(400);
    for (r, b) in reqs.iter().zip(g.generate_requests(&reqs, &cfg)) {
        let a = g
            .generate_constrained(r.prompt, &cfg, r.target.unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(b.unwrap().text, a.text);
    }
}

#[test]
fn gguf_models_run_a_batch_one_request_after_another() {
    let tmp = tempfile::tempdir().unwrap();
    let m = tiny(tmp.path());
    let g = CandleGenerator::load(&m.gguf, &LoadOptions::default()).unwrap();
    let why = g.unbatched_reason().unwrap();
    assert!(why.contains("GGUF"), "{why}");
    let prompts: Vec<Prompt> = ["allow dns", "deny all ingress", "x"]
        .iter()
        .map(|t| Prompt::Text(t.to_string()))
        .collect();
    let cfg = greedy(24);
    for (p, b) in prompts.iter().zip(g.generate_batch(&prompts, &cfg)) {
        assert_eq!(b.unwrap().text, g.generate(p, &cfg).unwrap().text);
    }
}

#[test]
fn eval_in_batches_stores_the_generations_of_eval_one_at_a_time() {
    use kubescribe_infer::eval::{self, EvalOptions, Sample};
    let tmp = tempfile::tempdir().unwrap();
    let m = tiny(&tmp.path().join("model"));
    let g = CandleGenerator::load(&m.dir, &LoadOptions::default()).unwrap();
    let intent: kubescribe_core::intent::Intent = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../examples/intents/nginx-www.json"),
        )
        .unwrap(),
    )
    .unwrap();
    // free prompts of different lengths, and intents (constrained decoding)
    let mut samples: Vec<Sample> = ["allow dns", "deny all ingress in namespace shop", "x"]
        .iter()
        .enumerate()
        .map(|(i, p)| Sample {
            id: format!("free-{i}"),
            prompt: Prompt::Text(p.to_string()),
            reference: "kind: NetworkPolicy".into(),
            intent: None,
        })
        .collect();
    for i in 0..2 {
        samples.push(Sample {
            id: format!("intent-{i}"),
            prompt: Prompt::Text(String::new()),
            reference: "kind: KubeArmorPolicy".into(),
            intent: Some(intent.clone()),
        });
    }
    let outputs = |batch: usize| {
        let out = tmp.path().join(format!("eval-{batch}"));
        let opts = EvalOptions {
            generation: greedy(120),
            batch,
            ..EvalOptions::default()
        };
        eval::run(&samples, &[&g], &out, &opts, &mut |_| {}).unwrap();
        let text = std::fs::read_to_string(out.join(format!(
            "generations-{}.jsonl",
            eval::harness::file_stem(g.name())
        )))
        .unwrap();
        let mut lines: Vec<(String, String)> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_str().unwrap().to_string(),
                    v["output"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        lines.sort();
        lines
    };
    let one = outputs(1);
    assert_eq!(one.len(), samples.len());
    assert_eq!(outputs(3), one);
}
