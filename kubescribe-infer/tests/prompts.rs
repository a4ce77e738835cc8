//! The loop's prompts in KubeScribe's structure: few-shot examples retrieved
//! nearest the intent (never the evaluated policy, never the same intent),
//! the answer instruction the decoder enforces, and the prompt fitted to a
//! small model's context by token count, the context shrunk first with a
//! note of what was cut.

use std::collections::BTreeMap;
use std::time::Duration;

use kubescribe_core::Engine;
use kubescribe_core::intent::Intent;
use kubescribe_events::context::{Observed, WorkloadContext};
use kubescribe_events::{Direction, NetworkEvent, Peer};
use kubescribe_infer::pipeline::PromptSource;
use kubescribe_infer::prompts::{ExampleBank, TemplatePrompts};
use kubescribe_infer::{Generation, GenerationConfig, Generator, InferError, Prompt};
use kubescribe_synth::prompt::{OutputFormat, Template};

fn intent(json: &str) -> Intent {
    serde_json::from_str(json).unwrap()
}

fn api_ingress() -> Intent {
    intent(
        r#"{"scope":{"namespace":"store","labels":{"app":"api"}},"domain":"network","action":"allow",
            "direction":"ingress","resources":{"ports":[{"port":8080,"protocol":"TCP"}],"peers":[{"labels":{"app":"frontend"}}]}}"#,
    )
}

/// A bank of synthesized policies: network ones (ingress with peers and
/// ports, egress to a CIDR) and file ones, on two engines.
fn bank() -> ExampleBank {
    let specs = [
        (
            "db-ingress",
            r#"{"scope":{"namespace":"db","labels":{"app":"pg"}},"domain":"network","action":"allow","direction":"ingress","resources":{"ports":[{"port":5432,"protocol":"TCP"}],"peers":[{"labels":{"app":"api"}}]}}"#,
        ),
        (
            "egress-cidr",
            r#"{"scope":{"namespace":"db","labels":{"app":"pg"}},"domain":"network","action":"allow","direction":"egress","resources":{"cidrs":["10.0.0.0/8"]}}"#,
        ),
        (
            "file-block",
            r#"{"scope":{"namespace":"ci","labels":{"app":"runner"}},"domain":"file","action":"block","resources":{"paths":["/etc/shadow"]}}"#,
        ),
        (
            "same-intent",
            r#"{"scope":{"namespace":"store","labels":{"app":"api"}},"domain":"network","action":"allow","direction":"ingress","resources":{"ports":[{"port":8080,"protocol":"TCP"}],"peers":[{"labels":{"app":"frontend"}}]}}"#,
        ),
        (
            "evaluated",
            r#"{"scope":{"namespace":"web","labels":{"app":"shop"}},"domain":"network","action":"allow","direction":"ingress","resources":{"ports":[{"port":8080,"protocol":"TCP"}],"peers":[{"labels":{"app":"lb"}}]}}"#,
        ),
    ];
    let mut pairs = Vec::new();
    for (name, json) in specs {
        let i = intent(json);
        for engine in [Engine::Kubernetes, Engine::Cilium, Engine::KubeArmor] {
            if let Ok(p) = kubescribe_synth::synthesize(&i, Some(engine)) {
                pairs.push((i.clone(), p, format!("{name}-{}.yaml#0", engine.name())));
            }
        }
    }
    ExampleBank::from_pairs(pairs)
}

#[test]
fn retrieval_keeps_the_engine_and_domain_and_never_the_evaluated_policy() {
    let bank = bank();
    let got: Vec<&str> = bank
        .nearest(
            &api_ingress(),
            Engine::Kubernetes,
            3,
            Some("evaluated-kubernetes.yaml"),
        )
        .iter()
        .map(|e| e.source.as_str())
        .collect();
    // nearest first: same direction, ports and peers; then egress; never
    // the evaluated file, the same intent, or another engine's policy
    assert_eq!(
        got,
        [
            "db-ingress-kubernetes.yaml#0",
            "egress-cidr-kubernetes.yaml#0"
        ]
    );
    // without the exclusion the evaluated one is the nearest
    let near = bank.nearest(&api_ingress(), Engine::Kubernetes, 1, None);
    assert_eq!(near[0].source, "evaluated-kubernetes.yaml#0");
}

#[test]
fn the_prompt_shows_the_retrieved_examples_and_asks_for_json_when_constrained() {
    let bank = bank();
    let mut prompts = TemplatePrompts::new(Template::FewShot, 2, OutputFormat::Json);
    prompts.bank = Some(&bank);
    prompts.exclude_source = Some("evaluated-kubernetes.yaml#0".into());
    let mut i = api_ingress();
    i.engine = Some(Engine::Kubernetes);
    let text = prompts.build(&i, None, &[]).unwrap().as_text();
    assert_eq!(text.matches("<example-policy>").count(), 2, "{text}");
    assert!(text.contains("5432"), "{text}");
    assert!(
        !text.contains("\"lb\""),
        "the evaluated policy leaked:\n{text}"
    );
    assert!(text.contains("one JSON object"), "{text}");
    assert!(!text.contains("YAML"), "{text}");
    // the examples are JSON, as the answer must be
    let ex = &text[text.find("<example-policy>\n").unwrap() + 17..];
    assert!(
        ex.starts_with("{\"apiVersion\":\"networking.k8s.io/v1\""),
        "{ex}"
    );
}

/// A model with a small context that counts characters / 4 as tokens.
struct Small {
    window: usize,
}

impl Generator for Small {
    fn name(&self) -> &str {
        "small"
    }
    fn generate(&self, _: &Prompt, _: &GenerationConfig) -> Result<Generation, InferError> {
        Ok(Generation {
            text: String::new(),
            prompt_tokens: None,
            completion_tokens: None,
            elapsed: Duration::ZERO,
        })
    }
    fn context_window(&self) -> Option<usize> {
        Some(self.window)
    }
    fn count_tokens(&self, prompt: &Prompt) -> Option<usize> {
        Some(prompt.as_text().len().div_ceil(4))
    }
}

fn big_context() -> WorkloadContext {
    let mut o = Observed::default();
    for i in 0..60u16 {
        o.add_flow(
            &NetworkEvent {
                protocol: "TCP".into(),
                direction: Direction::Egress,
                local_ip: None,
                local_port: Some(40000),
                remote_ip: Some(format!("192.0.2.{i}")),
                remote_port: Some(1000 + 37 * i),
                peer: Some(Peer {
                    namespace: Some("store".into()),
                    pod: None,
                    labels: BTreeMap::from([("app".to_string(), format!("svc-{i}"))]),
                }),
                dns_name: Some(format!("service-number-{i}.store.svc.cluster.local")),
                process: None,
                http: None,
            },
            u64::from(i) + 1,
        );
    }
    o.summarize(
        Some("store"),
        &BTreeMap::from([("app".to_string(), "api".to_string())]),
        64,
    )
}

#[test]
fn a_prompt_over_the_models_context_is_fitted_context_first() {
    let bank = bank();
    let ctx = big_context();
    let model = Small { window: 2048 };
    let mut prompts = TemplatePrompts::new(Template::FewShot, 2, OutputFormat::Json);
    prompts.bank = Some(&bank);
    prompts.answer_tokens = 512;
    // unfitted, it is over the window
    let unfitted = prompts.build(&api_ingress(), Some(&ctx), &[]).unwrap();
    assert!(model.count_tokens(&unfitted).unwrap() > 2048 - 512);
    prompts.generator = Some(&model);
    let fitted = prompts.build(&api_ingress(), Some(&ctx), &[]).unwrap();
    let text = fitted.as_text();
    assert!(model.count_tokens(&fitted).unwrap() <= 2048 - 512, "{text}");
    // the context shrank (with a note), the examples stayed
    assert!(
        text.contains("left out to fit the model's context"),
        "{text}"
    );
    assert!(text.contains("Outbound ports"), "{text}");
    assert_eq!(text.matches("<example-policy>").count(), 2, "{text}");
    // a window too small for even the shortest prompt is an error
    let tiny = Small { window: 120 };
    prompts.generator = Some(&tiny);
    let e = prompts
        .build(&api_ingress(), Some(&ctx), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("the model's context holds 120"), "{e}");
}

/// Cilium's "deny ICMP from other clients": Cilium cannot deny ICMP as a
/// whole, so the policy lists every ICMP type of both families (~3,400
/// tokens), far over the usual answer reserve.
fn deny_icmp() -> Intent {
    intent(
        r#"{"engine":"cilium","scope":{"namespace":"cilium-test","labels":{"kind":"client"}},"domain":"network",
            "action":"block","direction":"ingress","resources":{"protocols":["ICMP"],"peers":[{"labels":{"other":"client"}}]}}"#,
    )
}

#[test]
fn the_prompt_leaves_room_for_the_policy_the_intent_needs() {
    let icmp = deny_icmp();
    let bank = bank();
    let ctx = big_context();
    let model = Small { window: 4096 };
    let mut prompts = TemplatePrompts::new(Template::FewShot, 2, OutputFormat::Json);
    prompts.bank = Some(&bank);
    prompts.answer_tokens = 512;
    prompts.generator = Some(&model);
    let need = kubescribe_infer::budget::answer_tokens_needed(
        &icmp,
        Engine::Cilium,
        Some(&model),
        OutputFormat::Json,
    )
    .unwrap();
    assert!(need > 2048, "{need}");
    let fitted = prompts.build(&icmp, Some(&ctx), &[]).unwrap();
    assert!(model.count_tokens(&fitted).unwrap() <= 4096 - need);
    // a model whose whole context is shorter than the policy: said so
    let short = Small { window: 2048 };
    prompts.generator = Some(&short);
    let e = prompts
        .build(&icmp, Some(&ctx), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("the policy this intent needs is about"), "{e}");
    assert!(e.contains("the model's context holds 2048"), "{e}");
}

/// An OpenAI-compatible server: its context is known (`--context-window`),
/// its tokenizer is not.
struct Server {
    window: usize,
}

impl Generator for Server {
    fn name(&self) -> &str {
        "server"
    }
    fn generate(&self, _: &Prompt, _: &GenerationConfig) -> Result<Generation, InferError> {
        Small { window: 0 }.generate(&Prompt::Text(String::new()), &GenerationConfig::default())
    }
    fn context_window(&self) -> Option<usize> {
        Some(self.window)
    }
}

#[test]
fn a_servers_prompt_is_fitted_without_its_tokenizer_and_a_retry_drops_the_previous_answer_last() {
    // llama.cpp's server with 8,192 positions on Cilium's "deny ICMP": the
    // whole prompt (4,499 tokens) and the answer did not fit, and the retry
    // quoting the cut-off answer was refused for its length (HTTP 400).
    let icmp = deny_icmp();
    let bank = bank();
    let ctx = big_context();
    let server = Server { window: 8192 };
    let mut prompts = TemplatePrompts::new(Template::FewShot, 2, OutputFormat::Json);
    prompts.bank = Some(&bank);
    prompts.generator = Some(&server);
    let need = kubescribe_infer::budget::answer_tokens_needed(
        &icmp,
        Engine::Cilium,
        Some(&server),
        OutputFormat::Json,
    )
    .unwrap();
    // Measured without a tokenizer: at most two characters a token.
    let bound = |p: &Prompt| p.as_text().chars().count().div_ceil(2);
    let first = prompts.build(&icmp, Some(&ctx), &[]).unwrap();
    assert!(bound(&first) + need <= 8192, "{} + {need}", bound(&first));
    let previous =
        "{\"apiVersion\": \"cilium.io/v2\", \"kind\": \"CiliumNetworkPolicy\"".repeat(60);
    let retry = prompts
        .build_retry(&icmp, Some(&ctx), &previous, &[])
        .unwrap();
    assert!(bound(&retry) + need <= 8192, "{} + {need}", bound(&retry));
    assert!(
        !retry.as_text().contains("<previous-answer>"),
        "the previous answer left out"
    );
    // A short previous answer still goes along.
    let short = "{\"kind\": \"CiliumNetworkPolicy\", \"spec\": {}}";
    let retry = prompts.build_retry(&icmp, Some(&ctx), short, &[]).unwrap();
    assert!(
        retry.as_text().contains("<previous-answer>"),
        "{}",
        retry.as_text()
    );
}

#[test]
fn the_corpus_gives_examples_of_the_intents_engine_and_domain() {
    // The corpus path resolved as the other corpus tests do (cargo runs this
    // binary in the crate's folder, where `../shared/corpus` points nowhere).
    let Some(corpus) = kubescribe_testkit::corpus::corpus() else {
        return;
    };
    let dir = corpus.join("policies/k8s-networkpolicy");
    let (bank, _) = ExampleBank::from_dirs(&[dir]).unwrap();
    assert!(bank.entries().len() > 10, "{}", bank.entries().len());
    let near = bank.nearest(&api_ingress(), Engine::Kubernetes, 3, None);
    assert_eq!(near.len(), 3);
    for e in near {
        assert_eq!(e.policy.engine(), Engine::Kubernetes);
        assert_eq!(e.intent.domain, api_ingress().domain, "{}", e.source);
        assert_eq!(e.intent.direction, api_ingress().direction, "{}", e.source);
    }
}

#[test]
fn a_retry_carries_the_previous_answer_inside_the_fitted_prompt() {
    let model = Small { window: 2048 };
    let mut prompts = TemplatePrompts::new(Template::ZeroShot, 0, OutputFormat::Json);
    prompts.generator = Some(&model);
    prompts.answer_tokens = 512;
    let previous = r#"{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","spec":{}}"#;
    let diag = kubescribe_validate::diagnostic::Diagnostic::schema_error(
        "/spec/podSelector",
        "required",
        "podSelector is required".to_string(),
    );
    let p = prompts
        .build_retry(&api_ingress(), Some(&big_context()), previous, &[diag])
        .unwrap();
    let text = p.as_text();
    assert!(model.count_tokens(&p).unwrap() <= 2048 - 512, "{text}");
    let start = text
        .find("<previous-answer>")
        .expect("the previous answer is shown");
    assert!(text[start..].contains("networking.k8s.io/v1"), "{text}");
    assert!(
        start < text.find("podSelector is required").unwrap(),
        "{text}"
    );
    // once, inside the template (not appended again after it)
    assert_eq!(
        text.matches("NetworkPolicy\\\",\\\"spec").count(),
        1,
        "{text}"
    );
}
