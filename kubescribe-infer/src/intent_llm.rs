//! LLM-based intent parser: a natural-language request → an [`Intent`] as
//! JSON under the intent's JSON Schema ([`intent_schema`]), written by any
//! [`Generator`].
//!
//! It returns the same [`ParsedIntent`] as the offline lexicon + patterns
//! parser ([`kubescribe_intent::parse_intent_with`]), so callers can
//! use either:
//!
//! * the prompt is a chat: a system message with the schema and the rules,
//!   two worked examples, then the request;
//! * the reply's first JSON object is taken (code fences and text around it
//!   are ignored), checked against the schema (types, enums, patterns,
//!   unknown fields) and for a usable intent (a scope and something to
//!   govern); on failure the problems are passed back to the model as a
//!   new user turn and it tries again, up to `max_attempts`;
//! * pod names are resolved to labels through a [`PodResolver`] when one is
//!   given, as the offline parser does;
//! * **grounding**: every literal value of the intent (namespace, labels,
//!   pod names, paths, binaries, ports, CIDRs, FQDNs, syscalls,
//!   capabilities, peers) is looked up in the request; found values become
//!   [`Entity`]s with their byte spans, values the model added are listed in
//!   [`ParsedIntent::assumptions`] (`not in the text: …`), so an invented
//!   resource is never silent.
//!
//! Decoding is constrained to the intent schema where the backend can
//! ([`Generator::generate_constrained`] with a [`TargetDocument::Schema`]
//! target: candle, ort), so replies are schema-valid JSON by construction;
//! other backends generate freely and the check above catches what is
//! wrong. Every attempt is recorded ([`IntentAttempt`], with whether it was
//! constrained) for a trace.
//!
//! [`TargetDocument::Schema`]: crate::constrained::TargetDocument::Schema

use std::time::{Duration, Instant};

use kubescribe_core::intent::{Intent, intent_schema};
use kubescribe_intent::{
    Entity, EntityKind, IntentParseError, MAX_INTENT_BYTES, ParsedIntent, PodResolver, resolve_pod,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::constrained::ConstraintTarget;
use crate::generator::{ChatMessage, GenerationConfig, Generator, Prompt};

/// Why the LLM parser produced no intent.
#[derive(Debug, thiserror::Error)]
pub enum LlmIntentError {
    /// The request itself is unusable (empty, too long) or a pod name could
    /// not be resolved (the offline parser's errors).
    #[error(transparent)]
    Input(#[from] IntentParseError),
    /// The generator failed.
    #[error("intent parser: {0}")]
    Generation(#[from] crate::InferError),
    /// No attempt gave a valid intent.
    #[error(
        "no valid intent after {attempts} attempt(s); the last reply had: {}",
        .problems.join("; ")
    )]
    Invalid {
        /// Attempts made.
        attempts: usize,
        /// The last attempt's problems.
        problems: Vec<String>,
    },
    /// The intent schema could not be compiled (a bug, not bad input).
    #[error("intent schema: {0}")]
    Schema(String),
}

/// One attempt: what the model wrote and what was wrong with it.
#[derive(Debug, Clone, Serialize)]
pub struct IntentAttempt {
    /// The model's reply.
    pub raw: String,
    /// What made the reply unusable (empty when it was accepted).
    pub problems: Vec<String>,
    /// Generation time.
    pub elapsed: Duration,
    /// Tokens generated, when the backend counts them.
    pub completion_tokens: Option<usize>,
    /// Whether decoding was constrained to the intent schema (local
    /// backends); HTTP servers and scripted generators are not.
    pub constrained: bool,
}

/// The parse plus the attempts that led to it.
#[derive(Debug, Clone, Serialize)]
pub struct LlmParse {
    /// The intent, its grounded entities and the assumptions.
    pub parsed: ParsedIntent,
    /// Every attempt, the accepted one last.
    pub attempts: Vec<IntentAttempt>,
}

/// Parses natural-language intents with a language model.
pub struct LlmIntentParser<'g> {
    generator: &'g dyn Generator,
    config: GenerationConfig,
    max_attempts: usize,
    schema: Value,
    target: ConstraintTarget,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for LlmIntentParser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmIntentParser")
            .field("generator", &self.generator.name())
            .field("config", &self.config)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl<'g> LlmIntentParser<'g> {
    /// A parser on `generator` with decoding settings `config`, trying up to
    /// `max_attempts` times (at least once).
    pub fn new(
        generator: &'g dyn Generator,
        config: GenerationConfig,
        max_attempts: usize,
    ) -> Result<Self, LlmIntentError> {
        let schema = intent_schema();
        let validator = jsonschema::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .map_err(|e| LlmIntentError::Schema(e.to_string()))?;
        Ok(LlmIntentParser {
            generator,
            config,
            max_attempts: max_attempts.max(1),
            target: ConstraintTarget::for_schema(schema.clone()),
            schema,
            validator,
        })
    }

    /// The first prompt for `text` (a chat: rules and schema, two examples,
    /// the request).
    pub fn prompt(&self, text: &str) -> Vec<ChatMessage> {
        self.prompt_with(text, true, 2)
    }

    /// The prompt with or without the schema and with `examples` (0–2)
    /// worked examples.
    fn prompt_with(
        &self,
        text: &str,
        with_schema: bool,
        examples_shown: usize,
    ) -> Vec<ChatMessage> {
        // The schema's structure without its prose: the field names say what
        // they hold, and the descriptions would take most of a small model's
        // context (the decoder enforces the full schema either way).
        let schema = if with_schema {
            format!(
                "valid under this JSON Schema:\n{}\n",
                serde_json::to_string(&without_prose(&self.schema)).unwrap_or_default()
            )
        } else {
            // What a constrained decoder enforces anyway, in a line.
            "with the keys scope (namespace, labels, podNames), domain (file, process, network, \
             syscall, capability), action (allow, audit, block), direction (ingress, egress) and \
             resources (paths, dirs, binaries, ports, peers, cidrs, fqdns, syscalls, capabilities).\n"
                .to_string()
        };
        let msg = |role: &str, content: String| ChatMessage {
            role: role.into(),
            content,
        };
        let mut m = vec![msg(
            "system",
            format!(
                "You turn a security request about Kubernetes workloads into one JSON object, an Intent, \
                 {schema}\
                 Rules: take namespaces, labels, pod names, paths, binaries, ports, addresses, DNS names, \
                 syscalls and capabilities only from the request; directories end with `/`; \
                 `allow` means an allow-list (everything else denied); leave out what the request does not say. \
                 Reply with the JSON object only."
            ),
        )];
        for (q, a) in examples().into_iter().take(examples_shown) {
            m.push(msg("user", q.to_string()));
            m.push(msg("assistant", a.to_string()));
        }
        m.push(msg("user", text.to_string()));
        m
    }

    /// The most complete prompt for `text` that leaves room for the reply in
    /// the model's context ([`Generator::context_window`], counted in its
    /// tokens): with the schema and two examples, then fewer examples, then
    /// the schema's keys in a line instead of the schema (a constrained
    /// decoder enforces it anyway). A model that does not say its window
    /// gets the full prompt.
    pub fn fitted_prompt(&self, text: &str) -> Vec<ChatMessage> {
        let full = self.prompt(text);
        let Some(limit) = self.prompt_limit() else {
            return full;
        };
        for (with_schema, n) in [(true, 2), (true, 1), (true, 0), (false, 2), (false, 1)] {
            let p = self.prompt_with(text, with_schema, n);
            if self.fits(&p, limit) {
                return p;
            }
        }
        self.prompt_with(text, false, 0)
    }

    /// Prompt tokens the model's context leaves after the reply's room.
    fn prompt_limit(&self) -> Option<usize> {
        let window = self.generator.context_window()?;
        Some(window.saturating_sub(self.config.max_new_tokens.min(384).min(window / 2)))
    }

    fn fits(&self, chat: &[ChatMessage], limit: usize) -> bool {
        self.generator
            .count_tokens(&Prompt::Chat(chat.to_vec()))
            .is_none_or(|n| n <= limit)
    }

    /// Parses `text` into an intent.
    pub fn parse(&self, text: &str) -> Result<LlmParse, LlmIntentError> {
        self.parse_with(text, None)
    }

    /// Parses `text`, resolving pod names through `resolver` when given.
    pub fn parse_with(
        &self,
        text: &str,
        mut resolver: Option<&mut dyn PodResolver>,
    ) -> Result<LlmParse, LlmIntentError> {
        if text.len() > MAX_INTENT_BYTES {
            return Err(IntentParseError::TooLong(text.len()).into());
        }
        if text.trim().is_empty() {
            return Err(IntentParseError::Empty.into());
        }
        let base = self.fitted_prompt(text);
        let mut chat = base.clone();
        let mut attempts = Vec::new();
        loop {
            let t = Instant::now();
            // Constrained to the intent schema where the backend can (the
            // local models); otherwise free generation, checked below.
            let prompt = Prompt::Chat(chat.clone());
            let (g, constrained) =
                match self
                    .generator
                    .generate_constrained(&prompt, &self.config, &self.target)?
                {
                    Some(g) => (g, true),
                    None => (self.generator.generate(&prompt, &self.config)?, false),
                };
            let elapsed = t.elapsed();
            let checked = self.check(&g.text);
            let problems = match &checked {
                Ok(_) => Vec::new(),
                Err(p) => p.clone(),
            };
            attempts.push(IntentAttempt {
                raw: g.text.clone(),
                problems: problems.clone(),
                elapsed,
                completion_tokens: g.completion_tokens,
                constrained,
            });
            match checked {
                Ok(mut intent) => {
                    let mut assumptions = Vec::new();
                    if let Some(r) = resolver.as_deref_mut() {
                        resolve_pods(&mut intent, r, &mut assumptions)?;
                    }
                    let entities = ground(text, &intent, &mut assumptions);
                    return Ok(LlmParse {
                        parsed: ParsedIntent {
                            intent,
                            entities,
                            assumptions,
                        },
                        attempts,
                    });
                }
                Err(problems) if attempts.len() >= self.max_attempts => {
                    return Err(LlmIntentError::Invalid {
                        attempts: attempts.len(),
                        problems,
                    });
                }
                Err(problems) => {
                    let retry = [
                        ChatMessage {
                            role: "assistant".into(),
                            content: g.text,
                        },
                        ChatMessage {
                            role: "user".into(),
                            content: format!(
                                "That reply is not a valid Intent:\n- {}\nReply with the corrected JSON object only.",
                                problems.join("\n- ")
                            ),
                        },
                    ];
                    chat.extend(retry.iter().cloned());
                    // Over the model's context: only the last exchange
                    // after the first prompt.
                    if let Some(limit) = self.prompt_limit()
                        && !self.fits(&chat, limit)
                    {
                        chat = base.clone();
                        chat.extend(retry);
                    }
                }
            }
        }
    }

    /// The intent in `reply`, or what is wrong with it.
    pub fn check(&self, reply: &str) -> Result<Intent, Vec<String>> {
        let value = first_json_object(reply)?;
        let problems: Vec<String> = self
            .validator
            .iter_errors(&value)
            .map(|e| {
                let at = e.instance_path().as_str().to_string();
                format!("at {}: {e}", if at.is_empty() { "/" } else { &at })
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        let intent: Intent = serde_json::from_value(value).map_err(|e| vec![e.to_string()])?;
        let mut problems = Vec::new();
        let s = &intent.scope;
        if s.namespace.is_none()
            && s.labels.is_empty()
            && s.pod_names.is_empty()
            && s.selector.is_none()
        {
            problems.push(
                "scope is empty: name the namespace, labels or pods the request is about"
                    .to_string(),
            );
        }
        let r = &intent.resources;
        if r.paths.is_empty()
            && r.dirs.is_empty()
            && r.binaries.is_empty()
            && r.ports.is_empty()
            && r.cidrs.is_empty()
            && r.peers.is_empty()
            && r.fqdns.is_empty()
            && r.syscalls.is_empty()
            && r.capabilities.is_empty()
        {
            problems.push(
                "resources are empty: list the paths, binaries, ports, peers, CIDRs, FQDNs, syscalls or capabilities the request names".to_string(),
            );
        }
        if problems.is_empty() {
            Ok(intent)
        } else {
            Err(problems)
        }
    }
}

/// `schema` without `description`, `title` and `$schema` keys, at any depth.
fn without_prose(schema: &Value) -> Value {
    match schema {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "description" | "title" | "$schema"))
                .map(|(k, v)| (k.clone(), without_prose(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_prose).collect()),
        other => other.clone(),
    }
}

/// Two worked examples (request, reply), in the schema's key order.
fn examples() -> [(&'static str, Value); 2] {
    [
        (
            "block writes to /etc/passwd and /etc/ssl/ for app=nginx in namespace shop",
            json!({
                "scope": {"namespace": "shop", "labels": {"app": "nginx"}},
                "domain": "file",
                "action": "block",
                "resources": {"paths": ["/etc/passwd"], "dirs": ["/etc/ssl/"], "recursive": true, "readOnly": true}
            }),
        ),
        (
            "with cilium, only let pods labelled tier=web in namespace prod reach api.example.com on 443/tcp",
            json!({
                "engine": "cilium",
                "scope": {"namespace": "prod", "labels": {"tier": "web"}},
                "domain": "network",
                "action": "allow",
                "direction": "egress",
                "resources": {"ports": [{"port": 443, "protocol": "TCP"}], "fqdns": ["api.example.com"]}
            }),
        ),
    ]
}

/// The first JSON object in `reply` (after any text or code fence).
fn first_json_object(reply: &str) -> Result<Value, Vec<String>> {
    let Some(start) = reply.find('{') else {
        return Err(vec!["the reply has no JSON object".to_string()]);
    };
    let mut it = serde_json::Deserializer::from_str(&reply[start..]).into_iter::<Value>();
    match it.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(vec![format!("the reply's JSON does not parse: {e}")]),
        None => Err(vec!["the reply has no JSON object".to_string()]),
    }
}

/// Resolves `scope.podNames` to labels (and the namespace when absent).
fn resolve_pods(
    intent: &mut Intent,
    r: &mut dyn PodResolver,
    assumptions: &mut Vec<String>,
) -> Result<(), IntentParseError> {
    for p in std::mem::take(&mut intent.scope.pod_names) {
        let w = resolve_pod(r, intent.scope.namespace.as_deref(), &p)?;
        if intent.scope.namespace.is_none() {
            assumptions.push(format!(
                "namespace {} taken from pod {p}'s {} {}",
                w.namespace, w.kind, w.name
            ));
            intent.scope.namespace = Some(w.namespace.clone());
        }
        assumptions.push(format!(
            "pod {p} resolved to the labels of {} {}/{}",
            w.kind, w.namespace, w.name
        ));
        intent.scope.labels.extend(w.labels);
    }
    Ok(())
}

/// The intent's literal values found in `text` as entities (text order);
/// the others are reported in `assumptions`.
fn ground(text: &str, intent: &Intent, assumptions: &mut Vec<String>) -> Vec<Entity> {
    // ASCII lowercase keeps byte offsets
    let lower = text.to_ascii_lowercase();
    let mut entities = Vec::new();
    let mut missing = Vec::new();
    let mut find = |kind: EntityKind, what: &str, candidates: &[String]| {
        for c in candidates.iter().filter(|c| !c.is_empty()) {
            if let Some(start) = lower.find(&c.to_ascii_lowercase()) {
                let end = start + c.len();
                entities.push(Entity {
                    kind,
                    text: text[start..end].to_string(),
                    start,
                    end,
                });
                return;
            }
        }
        missing.push(format!("{what} `{}`", candidates.first().map_or("", |c| c)));
    };
    let s = &intent.scope;
    if let Some(ns) = &s.namespace {
        find(EntityKind::Namespace, "namespace", std::slice::from_ref(ns));
    }
    for (k, v) in &s.labels {
        find(EntityKind::Label, "label", &label_forms(k, v));
    }
    for p in &s.pod_names {
        find(EntityKind::PodName, "pod", std::slice::from_ref(p));
    }
    let r = &intent.resources;
    for p in &r.paths {
        find(EntityKind::Path, "path", std::slice::from_ref(p));
    }
    for d in &r.dirs {
        let bare = d.trim_end_matches('/');
        find(
            EntityKind::Dir,
            "directory",
            &[
                d.clone(),
                if bare.is_empty() {
                    d.clone()
                } else {
                    bare.to_string()
                },
            ],
        );
    }
    for b in &r.binaries {
        let base = b.rsplit('/').next().unwrap_or(b).to_string();
        find(EntityKind::Binary, "binary", &[b.clone(), base]);
    }
    for p in &r.ports {
        let n = match p.end_port {
            Some(e) => vec![format!("{}-{e}", p.port), p.port.to_string()],
            None => vec![p.port.to_string()],
        };
        find(EntityKind::Port, "port", &n);
    }
    for c in &r.cidrs {
        let host = c.strip_suffix("/32").unwrap_or(c).to_string();
        find(EntityKind::Cidr, "CIDR", &[c.clone(), host]);
    }
    for f in &r.fqdns {
        find(EntityKind::Fqdn, "FQDN", std::slice::from_ref(f));
    }
    for c in &r.syscalls {
        find(EntityKind::Syscall, "syscall", std::slice::from_ref(c));
    }
    for c in &r.capabilities {
        let short = c
            .strip_prefix("CAP_")
            .or_else(|| c.strip_prefix("cap_"))
            .unwrap_or(c)
            .to_string();
        find(EntityKind::Capability, "capability", &[c.clone(), short]);
    }
    for peer in &r.peers {
        if let Some(ns) = &peer.namespace {
            find(
                EntityKind::PeerNamespace,
                "peer namespace",
                std::slice::from_ref(ns),
            );
        }
        for (k, v) in &peer.labels {
            find(EntityKind::PeerLabel, "peer label", &label_forms(k, v));
        }
    }
    entities.sort_by_key(|e| (e.start, e.end));
    for m in missing {
        assumptions.push(format!("not in the text: {m} (added by the model)"));
    }
    entities
}

/// How a label may be written: `k=v`, `k: v`, `k==v`, or just the value.
fn label_forms(k: &str, v: &str) -> Vec<String> {
    vec![
        format!("{k}={v}"),
        format!("{k}: {v}"),
        format!("{k}:{v}"),
        format!("{k}=={v}"),
        v.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_are_valid_intents() {
        let schema = intent_schema();
        let v = jsonschema::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .unwrap();
        for (q, a) in examples() {
            assert!(v.is_valid(&a), "{q}");
            let i: Intent = serde_json::from_value(a.clone()).unwrap();
            // the example is written in the order the serializer (and the schema) uses
            assert_eq!(serde_json::to_value(&i).unwrap(), a, "{q}");
        }
    }
}
