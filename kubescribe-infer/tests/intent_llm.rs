//! The LLM-based intent parser with scripted generators: replies are
//! checked against the intent schema, problems are fed back, values are
//! grounded in the request, pod names resolved; and it agrees with the
//! offline parser when the model answers what the offline parser finds.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use kubescribe_infer::{
    Generation, GenerationConfig, Generator, InferError, LlmIntentError, LlmIntentParser, Prompt,
};
use kubescribe_intent::{EntityKind, IntentParseError, PodResolver, ResolvedPod, parse_intent};

/// Returns the scripted replies in order and records the prompts.
struct Scripted {
    replies: Mutex<Vec<String>>,
    prompts: Mutex<Vec<Prompt>>,
}

impl Scripted {
    fn new(replies: &[&str]) -> Self {
        Scripted {
            replies: Mutex::new(replies.iter().rev().map(|s| s.to_string()).collect()),
            prompts: Mutex::new(Vec::new()),
        }
    }
    fn calls(&self) -> usize {
        self.prompts.lock().unwrap().len()
    }
}

impl Generator for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn generate(&self, prompt: &Prompt, _: &GenerationConfig) -> Result<Generation, InferError> {
        self.prompts.lock().unwrap().push(prompt.clone());
        let text = self
            .replies
            .lock()
            .unwrap()
            .pop()
            .ok_or(InferError::Generation {
                generator: "scripted".into(),
                message: "out of replies".into(),
            })?;
        Ok(Generation {
            text,
            prompt_tokens: None,
            completion_tokens: Some(7),
            elapsed: Duration::ZERO,
        })
    }
}

fn parser(g: &Scripted, attempts: usize) -> LlmIntentParser<'_> {
    LlmIntentParser::new(g, GenerationConfig::default(), attempts).unwrap()
}

const TEXT: &str = "Block writes to /etc/shadow for app=nginx in namespace shop";

#[test]
fn an_invalid_reply_is_fed_back_and_corrected() {
    let g = Scripted::new(&[
        // prose around JSON, a namespace that breaks the pattern, an unknown field
        "Sure! ```json\n{\"scope\": {\"namespace\": \"Shop!\", \"labels\": {\"app\": \"nginx\"}}, \"domain\": \"file\", \"action\": \"block\", \"resources\": {\"paths\": [\"/etc/shadow\"]}, \"colour\": 1}\n```",
        "{\"scope\": {\"namespace\": \"shop\", \"labels\": {\"app\": \"nginx\"}}, \"domain\": \"file\", \"action\": \"block\", \"resources\": {\"paths\": [\"/etc/shadow\"], \"readOnly\": true}} trailing words",
    ]);
    let out = parser(&g, 3).parse(TEXT).unwrap();
    assert_eq!(out.attempts.len(), 2);
    let first = &out.attempts[0].problems;
    assert!(
        first.iter().any(|p| p.contains("/scope/namespace")),
        "{first:?}"
    );
    assert!(first.iter().any(|p| p.contains("colour")), "{first:?}");
    assert!(out.attempts[1].problems.is_empty());
    // the second prompt carries the first reply and its problems
    let prompts = g.prompts.lock().unwrap();
    let Prompt::Chat(m) = &prompts[1] else {
        panic!("a chat prompt")
    };
    let n = m.len();
    assert_eq!(m[n - 2].role, "assistant");
    assert!(m[n - 2].content.contains("Shop!"));
    assert_eq!(m[n - 1].role, "user");
    assert!(
        m[n - 1].content.contains("/scope/namespace"),
        "{}",
        m[n - 1].content
    );
    // the first prompt ends with the request and carries the schema
    let Prompt::Chat(m0) = &prompts[0] else {
        panic!("a chat prompt")
    };
    assert_eq!(m0.last().unwrap().content, TEXT);
    assert!(m0[0].content.contains("\"podNames\""));

    let p = &out.parsed;
    assert_eq!(p.intent.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(p.intent.resources.paths, vec!["/etc/shadow".to_string()]);
    let spans: Vec<(EntityKind, &str)> = p
        .entities
        .iter()
        .map(|e| (e.kind, e.text.as_str()))
        .collect();
    assert_eq!(
        spans,
        vec![
            (EntityKind::Path, "/etc/shadow"),
            (EntityKind::Label, "app=nginx"),
            (EntityKind::Namespace, "shop"),
        ]
    );
    for e in &p.entities {
        assert_eq!(&TEXT[e.start..e.end], e.text);
    }
    assert!(p.assumptions.is_empty(), "{:?}", p.assumptions);
}

#[test]
fn values_the_model_invented_are_reported() {
    let g = Scripted::new(&[
        "{\"scope\": {\"namespace\": \"default\", \"labels\": {\"app\": \"nginx\"}}, \"domain\": \"process\", \"action\": \"block\", \"resources\": {\"binaries\": [\"/usr/bin/curl\", \"/bin/wget\"]}}",
    ]);
    let text = "stop app=nginx from running curl";
    let p = parser(&g, 1).parse(text).unwrap().parsed;
    // curl is grounded by its base name; wget and the namespace are not in the text
    assert!(
        p.entities
            .iter()
            .any(|e| e.kind == EntityKind::Binary && e.text == "curl")
    );
    assert_eq!(
        p.assumptions,
        vec![
            "not in the text: namespace `default` (added by the model)".to_string(),
            "not in the text: binary `/bin/wget` (added by the model)".to_string(),
        ]
    );
}

#[test]
fn every_attempt_failing_is_an_error_with_the_last_problems() {
    let g = Scripted::new(&[
        "I cannot help with that.",
        "{\"scope\": {}, \"domain\": \"file\", \"action\": \"block\", \"resources\": {}}",
    ]);
    let e = parser(&g, 2).parse(TEXT).unwrap_err();
    match &e {
        LlmIntentError::Invalid { attempts, problems } => {
            assert_eq!(*attempts, 2);
            assert!(
                problems.iter().any(|p| p.contains("scope is empty")),
                "{problems:?}"
            );
            assert!(
                problems.iter().any(|p| p.contains("resources are empty")),
                "{problems:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("after 2 attempt"), "{e}");
    // a bad first reply is a problem of its own kind
    let g = Scripted::new(&["no json here", "{\"scope\": "]);
    let e = parser(&g, 2).parse(TEXT).unwrap_err().to_string();
    assert!(e.contains("does not parse"), "{e}");
}

#[test]
fn bad_requests_fail_before_the_model_runs() {
    let g = Scripted::new(&[]);
    let p = parser(&g, 2);
    assert!(matches!(
        p.parse("  \n").unwrap_err(),
        LlmIntentError::Input(IntentParseError::Empty)
    ));
    assert!(matches!(
        p.parse(&"x".repeat(20_000)).unwrap_err(),
        LlmIntentError::Input(IntentParseError::TooLong(20_000))
    ));
    assert_eq!(g.calls(), 0);
    // a failing generator is a generation error, not an invalid reply
    assert!(matches!(
        p.parse(TEXT).unwrap_err(),
        LlmIntentError::Generation(_)
    ));
}

struct Pods;

impl PodResolver for Pods {
    fn resolve_pod(
        &mut self,
        _namespace: Option<&str>,
        name: &str,
    ) -> Result<Vec<ResolvedPod>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(match name {
            "web-0" => vec![ResolvedPod {
                kind: "StatefulSet".into(),
                namespace: "shop".into(),
                name: "web".into(),
                labels: BTreeMap::from([("app".to_string(), "web".to_string())]),
            }],
            _ => Vec::new(),
        })
    }
}

#[test]
fn pod_names_resolve_through_the_resolver() {
    let reply = "{\"scope\": {\"podNames\": [\"web-0\"]}, \"domain\": \"file\", \"action\": \"audit\", \"resources\": {\"dirs\": [\"/tmp/\"], \"recursive\": true}}";
    let text = "audit everything pod web-0 does in /tmp";
    let g = Scripted::new(&[reply]);
    let p = parser(&g, 1)
        .parse_with(text, Some(&mut Pods))
        .unwrap()
        .parsed;
    assert_eq!(p.intent.scope.namespace.as_deref(), Some("shop"));
    assert_eq!(p.intent.scope.labels["app"], "web");
    assert!(p.intent.scope.pod_names.is_empty());
    assert!(
        p.assumptions
            .iter()
            .any(|a| a.contains("pod web-0 resolved")),
        "{:?}",
        p.assumptions
    );
    assert!(
        p.entities
            .iter()
            .any(|e| e.kind == EntityKind::Dir && e.text == "/tmp")
    );
    // an unknown pod is the offline parser's error
    let g = Scripted::new(&[&reply.replace("web-0", "db-1")]);
    let e = parser(&g, 1)
        .parse_with("audit pod db-1 in /tmp", Some(&mut Pods))
        .unwrap_err();
    assert!(
        matches!(e, LlmIntentError::Input(IntentParseError::UnknownPod(ref p)) if p == "db-1"),
        "{e:?}"
    );
}

#[test]
fn a_model_answering_like_the_offline_parser_gives_its_intent() {
    for text in [
        TEXT,
        "only allow app=web in namespace shop to reach api.example.com on 443/tcp",
        "audit execution of /bin/bash by tier=db in namespace data",
        "deny ingress to app=api in namespace prod from 10.0.0.0/8 on port 8080",
    ] {
        let offline = parse_intent(text).unwrap();
        let reply = serde_json::to_string(&offline.intent).unwrap();
        let g = Scripted::new(&[&reply]);
        let p = parser(&g, 1).parse(text).unwrap().parsed;
        assert_eq!(p.intent, offline.intent, "{text}");
        assert!(p.assumptions.is_empty(), "{text}: {:?}", p.assumptions);
        for e in &p.entities {
            assert_eq!(&text[e.start..e.end], e.text, "{text}");
        }
    }
}

/// A model with SmolLM2's 2,048-position context that counts characters / 2
/// as tokens (SmolLM2's tokenizer gives ~2.3 characters per token on this
/// schema-heavy prompt: ~2,100 tokens).
struct SmallContext;

impl Generator for SmallContext {
    fn name(&self) -> &str {
        "small-context"
    }
    fn generate(&self, _: &Prompt, _: &GenerationConfig) -> Result<Generation, InferError> {
        Err(InferError::Generation {
            generator: "small-context".into(),
            message: "not called".into(),
        })
    }
    fn context_window(&self) -> Option<usize> {
        Some(2048)
    }
    fn count_tokens(&self, prompt: &Prompt) -> Option<usize> {
        Some(prompt.as_text().len().div_ceil(2))
    }
}

#[test]
fn the_prompt_fits_a_small_models_context() {
    let g = SmallContext;
    let p = LlmIntentParser::new(&g, GenerationConfig::default(), 1).unwrap();
    let text = "block writes to /etc for app=nginx in namespace shop";
    let full = Prompt::Chat(p.prompt(text));
    // the full prompt (schema and two examples) is over the window
    assert!(
        g.count_tokens(&full).unwrap() > 2048 - 384,
        "{}",
        g.count_tokens(&full).unwrap()
    );
    let fitted = Prompt::Chat(p.fitted_prompt(text));
    let n = g.count_tokens(&fitted).unwrap();
    assert!(n <= 2048 - 384, "{n}");
    // still the rules and the request
    let t = fitted.as_text();
    assert!(t.contains("Reply with the JSON object only"), "{t}");
    assert!(t.ends_with(text), "{t}");
    // a model that does not say its window gets the full prompt
    let s = Scripted::new(&[]);
    let q = LlmIntentParser::new(&s, GenerationConfig::default(), 1).unwrap();
    assert_eq!(q.fitted_prompt(text), q.prompt(text));
}
