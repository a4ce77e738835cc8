//! The generate → validate → regenerate loop with scripted generators: an
//! invalid first answer is corrected through the validator's feedback, and
//! the trace shows the diagnostics that were passed back.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use kubescribe_core::intent::Intent;
use kubescribe_events::store::{EventStore, SqliteStore};
use kubescribe_events::{IngestOptions, ingest_file};
use kubescribe_infer::pipeline::{
    Pipeline, PipelineConfig, PlainPrompts, Status, extract_policy_text,
};
use kubescribe_infer::{
    Generation, GenerationConfig, Generator, InferError, Prompt, SynthGenerator,
};
use kubescribe_validate::{Layer, Validator};

/// One scripted answer, given the prompt.
type Step = Box<dyn FnMut(&str) -> Result<String, String> + Send>;

/// Answers from a script; each answer sees the prompt, so it can react to feedback.
struct Scripted {
    steps: Mutex<Vec<Step>>,
    prompts: Mutex<Vec<String>>,
}

impl Scripted {
    fn new(steps: Vec<Step>) -> Self {
        let mut steps = steps;
        steps.reverse();
        Scripted {
            steps: Mutex::new(steps),
            prompts: Mutex::new(Vec::new()),
        }
    }
}

impl Generator for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn generate(
        &self,
        prompt: &Prompt,
        _config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        let text = prompt.as_text();
        self.prompts.lock().unwrap().push(text.clone());
        let mut step = self
            .steps
            .lock()
            .unwrap()
            .pop()
            .expect("more generations than scripted");
        step(&text)
            .map(|t| Generation {
                text: t,
                prompt_tokens: Some(text.len() / 4),
                completion_tokens: Some(7),
                elapsed: Duration::from_millis(1),
            })
            .map_err(|message| InferError::Generation {
                generator: "scripted".into(),
                message,
            })
    }
}

fn intent() -> Intent {
    serde_json::from_str(
        r#"{"engine": "kubearmor", "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
            "domain": "process", "action": "block", "resources": {"binaries": ["/bin/bash"]}}"#,
    )
    .unwrap()
}

const BAD: &str = "Here is the policy:\n```yaml\napiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: Block_Bash\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: nginx\n  process:\n    matchPaths:\n    - path: /bin/bash\n  action: Block\n```\n";

fn good() -> String {
    BAD.replace("Block_Bash", "block-bash")
}

fn config(n: usize) -> PipelineConfig {
    PipelineConfig {
        max_attempts: n,
        ..PipelineConfig::default()
    }
}

#[test]
fn an_invalid_first_answer_is_corrected_through_feedback() {
    let g = Scripted::new(vec![
        Box::new(|_| Ok(BAD.to_string())),
        // the second answer is right only if the feedback reached the prompt
        Box::new(|prompt| {
            if prompt.contains("/metadata/name") && prompt.contains("Block_Bash") {
                Ok(good())
            } else {
                Ok(BAD.to_string())
            }
        }),
    ]);
    let v = Validator::new();
    let result = Pipeline::new(&g, &PlainPrompts, &v, config(3))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(result.status(), Status::Valid);
    let policy = result.policy.as_ref().expect("a policy");
    assert_eq!(policy.name(), Some("block-bash"));
    let t = &result.trace;
    assert_eq!(t.attempts.len(), 2);
    let (first, second) = (&t.attempts[0], &t.attempts[1]);
    assert!(!first.valid && first.feedback.is_empty());
    let name_diag = first
        .diagnostics
        .iter()
        .find(|d| d.pointer == "/metadata/name")
        .expect("the name diagnostic");
    assert_eq!(name_diag.layer, Layer::Schema);
    assert_eq!(
        name_diag.line,
        Some(6),
        "line in the answer as written, fence and prose included"
    );
    // the trace shows exactly the first attempt's errors passed back into the second prompt
    assert_eq!(
        second.feedback.len(),
        first.diagnostics.iter().filter(|d| d.is_error()).count()
    );
    assert!(
        second
            .feedback
            .iter()
            .any(|d| d.pointer == "/metadata/name")
    );
    assert!(second.valid && second.diagnostics.iter().all(|d| !d.is_error()));
    assert!(
        second
            .prompt
            .as_text()
            .contains("previous policy was rejected")
    );
    assert!(
        !first
            .prompt
            .as_text()
            .contains("previous policy was rejected")
    );
    assert_eq!(t.completion_tokens(), 14);
    assert!(first.output.contains("Block_Bash"));
    // the trace serializes for --trace FILE
    let json = serde_json::to_value(t).unwrap();
    assert_eq!(json["status"], "valid");
    assert_eq!(
        json["attempts"][1]["feedback"][0]["pointer"],
        "/metadata/name"
    );
}

#[test]
fn every_attempt_failing_is_reported_and_the_fallback_is_marked() {
    let mk = || {
        Scripted::new(
            (0..2)
                .map(|_| Box::new(|_: &str| Ok("not: a policy".to_string())) as _)
                .collect(),
        )
    };
    let v = Validator::new();
    let g = mk();
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(2))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.status(), Status::Failed);
    assert!(r.policy.is_none());
    assert_eq!(r.trace.attempts.len(), 2);
    assert!(!r.last_diagnostics().is_empty());

    let g = mk();
    let cfg = PipelineConfig {
        fallback_to_synth: true,
        ..config(2)
    };
    let r = Pipeline::new(&g, &PlainPrompts, &v, cfg)
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.status(), Status::Fallback);
    assert_eq!(r.trace.attempts.len(), 3);
    let last = r.trace.attempts.last().unwrap();
    assert_eq!(last.generator, "synth (fallback)");
    assert!(last.valid);
    assert_eq!(r.policy.unwrap().kind().kind(), "KubeArmorPolicy");
}

#[test]
fn generator_errors_and_wrong_engines_are_in_the_trace() {
    let np = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec:\n  podSelector: {}\n";
    let g = Scripted::new(vec![
        Box::new(|_| Err("server overloaded".into())),
        Box::new(move |_| Ok(np.to_string())),
        Box::new(|_| Ok(good())),
    ]);
    let v = Validator::new();
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(3))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.status(), Status::Valid);
    let a = &r.trace.attempts;
    assert!(a[0].error.as_deref().unwrap().contains("server overloaded"));
    assert!(
        a[1].feedback.is_empty(),
        "a failed call has no findings to pass back"
    );
    let engine = a[1]
        .diagnostics
        .iter()
        .find(|d| d.rule == "engine")
        .expect("engine diagnostic");
    assert!(
        engine.message.contains("asks for kubearmor"),
        "{}",
        engine.message
    );
    assert!(a[2].feedback.iter().any(|d| d.rule == "engine"));
}

#[test]
fn the_synthesizer_is_one_more_backend() {
    let v = Validator::new();
    let g = SynthGenerator::new();
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(1))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.status(), Status::Valid);
    assert_eq!(r.trace.attempts[0].generator, "synth");
}

#[test]
fn a_deterministic_failure_is_not_retried() {
    // A NetworkPolicy cannot block: the synthesizer fails, and would fail
    // the same way on every retry (and as the fallback).
    let i: Intent = serde_json::from_str(
        r#"{"engine": "kubernetes", "scope": {"namespace": "shop", "labels": {"app": "db"}},
            "domain": "network", "action": "block", "resources": {"ports": [{"port": 22}]}}"#,
    )
    .unwrap();
    let v = Validator::new();
    let g = SynthGenerator::new();
    let mut cfg = config(3);
    cfg.fallback_to_synth = true;
    let r = Pipeline::new(&g, &PlainPrompts, &v, cfg)
        .run(&i, None)
        .unwrap();
    assert_eq!(r.status(), Status::Failed);
    assert_eq!(r.trace.attempts.len(), 1, "{:#?}", r.trace.attempts);
    assert!(
        r.trace.attempts[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("cannot express")),
        "{:?}",
        r.trace.attempts[0].error
    );
    // A model's failures are retried.
    let g = Scripted::new(vec![
        Box::new(|_| Err("timeout".into())),
        Box::new(|_| Err("timeout".into())),
    ]);
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(2))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.trace.attempts.len(), 2);
}

fn store() -> SqliteStore {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kubescribe-events/tests/fixtures/events");
    for f in ["workloads.yaml", "kubearmor.jsonl", "tetragon.jsonl"] {
        ingest_file(&mut s, &dir.join(f), &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    s
}

#[test]
fn with_a_store_layer_two_findings_are_fed_back_and_the_context_is_in_the_prompt() {
    let mut s = store();
    // a label that matches a workload in the fixtures
    let ksp = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: db, namespace: shop}\nspec:\n  selector: {matchLabels: {app: APP}}\n  file:\n    matchPaths:\n    - path: /etc/mysql/my.cnf\n  action: Block\n";
    let intent: Intent = serde_json::from_str(
        r#"{"engine": "kubearmor", "scope": {"namespace": "shop", "labels": {"app": "db"}},
            "domain": "file", "action": "block", "resources": {"paths": ["/etc/mysql/my.cnf"]}}"#,
    )
    .unwrap();
    let wrong = ksp.replace("APP", "dbb");
    let right = ksp.replace("APP", "db");
    let g = Scripted::new(vec![
        Box::new(move |_| Ok(wrong.clone())),
        Box::new(move |p| {
            assert!(
                p.contains("selector"),
                "layer-2 feedback in the prompt: {p}"
            );
            Ok(right.clone())
        }),
    ]);
    let v = Validator::new();
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(3))
        .run(&intent, Some(&mut s as &mut dyn EventStore))
        .unwrap();
    assert_eq!(r.status(), Status::Valid, "{:#?}", r.trace.attempts);
    let a = &r.trace.attempts;
    let sel = a[1]
        .feedback
        .iter()
        .find(|d| d.rule == "selector")
        .expect("selector feedback");
    assert_eq!(sel.layer, Layer::Resource);
    assert!(r.trace.context.is_some());
    assert!(a[0].prompt.as_text().contains("Observed behaviour"));
}

#[test]
fn policy_text_is_found_in_prose_and_fences() {
    assert_eq!(
        extract_policy_text("```yaml\nkind: A\n```\nbye"),
        "kind: A\n"
    );
    assert_eq!(
        extract_policy_text("Sure!\napiVersion: v1\nkind: A\n"),
        "apiVersion: v1\nkind: A\n"
    );
    assert_eq!(extract_policy_text("{\"kind\": 1}"), "{\"kind\": 1}");
    assert_eq!(extract_policy_text("nothing"), "nothing");
}

/// Valid, but an empty shell: it names no executable.
const SHELL: &str = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: block-bash\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: nginx\n  action: Block\n";

#[test]
fn a_valid_but_unfaithful_answer_fails_and_the_retry_shows_it_with_the_gaps() {
    let g = Scripted::new(vec![
        Box::new(|_| Ok(SHELL.to_string())),
        // right only if the retry quotes the previous answer and the gap
        Box::new(|prompt| {
            if prompt.contains("Your previous answer")
                && prompt.contains("action: Block\n```")
                && prompt.contains("fidelity.missing")
                && prompt.contains("process path /bin/bash")
            {
                Ok(good())
            } else {
                Ok(SHELL.to_string())
            }
        }),
    ]);
    let v = Validator::new();
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(3))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.status(), Status::Valid, "{:#?}", r.trace.attempts);
    let first = &r.trace.attempts[0];
    assert!(first.valid && !first.faithful);
    assert!(
        first
            .diagnostics
            .iter()
            .any(|d| d.layer == Layer::Fidelity && d.rule == "fidelity.missing")
    );
    assert!(r.trace.attempts[1].faithful);
    assert!(r.best_effort.is_none());
}

#[test]
fn only_unfaithful_answers_fail_and_keep_a_best_effort_policy() {
    let g = Scripted::new(vec![
        Box::new(|_| Ok(SHELL.to_string())),
        Box::new(|_| Ok(SHELL.to_string())),
    ]);
    let v = Validator::new();
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(2))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.status(), Status::Failed);
    assert!(r.policy.is_none());
    assert_eq!(
        r.best_effort.as_ref().map(|p| p.name()),
        Some(Some("block-bash"))
    );
    // Without the fidelity check the shell passes, as it did before issue 17.
    let g = Scripted::new(vec![Box::new(|_| Ok(SHELL.to_string()))]);
    let mut cfg = config(1);
    cfg.fidelity = false;
    let r = Pipeline::new(&g, &PlainPrompts, &v, cfg)
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.status(), Status::Valid);
}

/// Answers with the synthesizer's policy and records each answer's budget.
struct Budgeted {
    budgets: Mutex<Vec<usize>>,
}

impl Generator for Budgeted {
    fn name(&self) -> &str {
        "budgeted"
    }

    fn generate(
        &self,
        _prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        self.budgets.lock().unwrap().push(config.max_new_tokens);
        let i: Intent = serde_json::from_str(ICMP_DENY).unwrap();
        let text = kubescribe_synth::synthesize(&i, None)
            .map_err(|e| e.to_string())
            .and_then(|p| p.to_canonical_yaml().map_err(|e| e.to_string()))
            .map_err(|message| InferError::Generation {
                generator: "budgeted".into(),
                message,
            })?;
        Ok(Generation {
            text,
            prompt_tokens: None,
            completion_tokens: None,
            elapsed: Duration::from_millis(1),
        })
    }
}

/// Cilium cannot deny ICMP as a whole: the policy lists every ICMP type.
const ICMP_DENY: &str = r#"{"engine":"cilium","scope":{"namespace":"cilium-test","labels":{"kind":"client"}},
    "domain":"network","action":"block","direction":"ingress",
    "resources":{"protocols":["ICMP"],"peers":[{"labels":{"other":"client"}}]}}"#;

#[test]
fn an_answer_budget_too_short_for_the_intents_policy_is_raised_and_said() {
    let v = Validator::new();
    let g = Budgeted {
        budgets: Mutex::new(Vec::new()),
    };
    let icmp: Intent = serde_json::from_str(ICMP_DENY).unwrap();
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(1))
        .run(&icmp, None)
        .unwrap();
    assert_eq!(r.status(), Status::Valid);
    let budget = g.budgets.lock().unwrap()[0];
    assert!(
        budget > GenerationConfig::default().max_new_tokens,
        "{budget}"
    );
    assert_eq!(r.trace.answer_budget_raised_to, Some(budget));
    // an intent whose policy fits keeps the configured budget
    let r = Pipeline::new(&g, &PlainPrompts, &v, config(1))
        .run(&intent(), None)
        .unwrap();
    assert_eq!(r.trace.answer_budget_raised_to, None);
    assert_eq!(
        g.budgets.lock().unwrap()[1],
        GenerationConfig::default().max_new_tokens
    );
}
