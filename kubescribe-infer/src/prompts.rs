//! Prompts for the regeneration loop in KubeScribe's structure
//! ([`TemplatePrompts`], a [`PromptSource`]): the system message (role, the
//! engine's grammar essentials, the answer's form), few-shot examples
//! retrieved nearest the intent ([`ExampleBank`]), the engine and scope, the
//! summarized context, the intent, on a retry the previous answer (quoted)
//! and the findings on it (validation and fidelity), and
//! an answer instruction that says what the decoder enforces (JSON when
//! decoding is constrained, YAML otherwise). The templates are
//! [`kubescribe_synth::prompt`]'s.
//!
//! **Fitting the model's context.** With a generator that knows its context
//! window ([`Generator::context_window`]), the prompt is measured in the
//! model's own tokens ([`Generator::count_tokens`]; without a tokenizer, an
//! OpenAI-compatible server, bounded at two characters a token) and shrunk
//! until it leaves room for the answer: the context first (fewer entries
//! per list, each cut noted in the prompt, then none), then the examples
//! (fewer, then none), then the minimal template, and last a retry's
//! quoted previous answer (its findings stay). A prompt that still does
//! not fit is an error saying by how much.
//!
//! **Examples** come from policies (a corpus directory): each valid one
//! whose meaning an [`Intent`] states ([`crate::dataset::intent_of`]) is an
//! (intent, policy) pair. Retrieval keeps the target engine's, ranks the
//! intent's domain first, then the same action, direction and kind of scope,
//! then the overlap of the resources named (fields and values), shorter
//! policies first on ties; it never returns the policy being evaluated
//! ([`TemplatePrompts::exclude_source`]) nor an example of the very same
//! intent. Without a bank (or no fitting entry) the built-in examples the
//! synthesizer writes are used.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kubescribe_core::intent::{Intent, Resources};
use kubescribe_core::{Engine, Policy};
use kubescribe_events::context::WorkloadContext;
use kubescribe_synth::prompt::{
    self, BuiltPrompt, Example, Feedback, OutputFormat, PromptOptions, Template,
};
use kubescribe_validate::diagnostic::Diagnostic;

use crate::budget;
use crate::error::InferError;
use crate::generator::{ChatMessage, Generator, Prompt};
use crate::pipeline::PromptSource;

/// One policy the bank can show, with the intent it implements.
#[derive(Debug, Clone)]
pub struct BankEntry {
    /// The intent the policy states.
    pub intent: Intent,
    /// The policy.
    pub policy: Policy,
    /// `file#document`.
    pub source: String,
    /// Canonical YAML length, a proxy for its length in a prompt.
    size: usize,
    features: BTreeSet<String>,
}

/// Policies with the intents they implement, for few-shot prompts.
#[derive(Debug, Clone, Default)]
pub struct ExampleBank {
    entries: Vec<BankEntry>,
}

/// The resource fields and values an intent names, as comparable words.
fn features(r: &Resources) -> BTreeSet<String> {
    let mut f = BTreeSet::new();
    let mut add = |field: &str, values: Vec<String>| {
        if !values.is_empty() {
            f.insert(field.to_string());
            for v in values {
                f.insert(format!("{field}={v}"));
            }
        }
    };
    let top = |p: &String| p.split('/').take(2).collect::<Vec<_>>().join("/");
    add("paths", r.paths.iter().map(top).collect());
    add("dirs", r.dirs.iter().map(top).collect());
    add("binaries", r.binaries.clone());
    add(
        "ports",
        r.ports
            .iter()
            .map(|p| format!("{}/{:?}", p.port, p.protocol))
            .collect(),
    );
    add("cidrs", r.cidrs.iter().map(|_| String::new()).collect());
    add("fqdns", r.fqdns.iter().map(|_| String::new()).collect());
    add("peers", r.peers.iter().map(|_| String::new()).collect());
    add("syscalls", r.syscalls.clone());
    add("capabilities", r.capabilities.clone());
    if r.recursive {
        f.insert("recursive".into());
    }
    if r.read_only {
        f.insert("readOnly".into());
    }
    f
}

/// The intent without what does not change its meaning (engine, rationale).
fn meaning(i: &Intent) -> serde_json::Value {
    let mut v = serde_json::to_value(i).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("engine");
        o.remove("rationale");
        o.remove("version");
    }
    v
}

impl ExampleBank {
    /// The entries, in the order read.
    pub fn entries(&self) -> &[BankEntry] {
        &self.entries
    }

    /// Whether the bank is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A bank of (intent, policy) pairs; policies no intent states are left out.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Intent, Policy, String)>) -> Self {
        let entries = pairs
            .into_iter()
            .map(|(intent, policy, source)| BankEntry {
                size: policy.to_canonical_yaml().map(|y| y.len()).unwrap_or(0),
                features: features(&intent.resources),
                intent,
                policy,
                source,
            })
            .collect();
        ExampleBank { entries }
    }

    /// Every policy document under `dirs` (recursively) valid at layer 1
    /// whose meaning an intent states; returns the bank and how many
    /// documents were left out.
    pub fn from_dirs(dirs: &[PathBuf]) -> Result<(ExampleBank, usize), InferError> {
        let (seeds, skipped, _) = crate::dataset::read_seeds(dirs)?;
        let mut left_out = skipped.len();
        let mut pairs = Vec::new();
        for s in seeds {
            match crate::dataset::intent_of(&s.policy) {
                Ok(mut intent) => {
                    intent.engine = Some(s.policy.engine());
                    pairs.push((intent, s.policy, s.source));
                }
                Err(_) => left_out += 1,
            }
        }
        Ok((ExampleBank::from_pairs(pairs), left_out))
    }

    /// The `n` entries nearest `intent` on `engine` (see the module docs),
    /// never one from `exclude_source` nor one of the same intent.
    pub fn nearest(
        &self,
        intent: &Intent,
        engine: Engine,
        n: usize,
        exclude_source: Option<&str>,
    ) -> Vec<&BankEntry> {
        let want = features(&intent.resources);
        let same_meaning = meaning(intent);
        let mut scored: Vec<(i64, &BankEntry)> = self
            .entries
            .iter()
            .filter(|e| e.policy.engine() == engine)
            .filter(|e| {
                exclude_source
                    .is_none_or(|x| e.source != x && !e.source.starts_with(&format!("{x}#")))
            })
            .filter(|e| meaning(&e.intent) != same_meaning)
            .map(|e| {
                let i = &e.intent;
                let mut score = 0i64;
                if i.domain == intent.domain {
                    score += 1000;
                }
                if i.action == intent.action {
                    score += 300;
                }
                if i.direction == intent.direction {
                    score += 200;
                }
                if i.scope.namespace.is_some() == intent.scope.namespace.is_some() {
                    score += 100;
                }
                let common = e.features.intersection(&want).count() as i64;
                let union = e.features.union(&want).count().max(1) as i64;
                score += 400 * common / union;
                (score, e)
            })
            .collect();
        scored.sort_by(|(sa, a), (sb, b)| {
            sb.cmp(sa)
                .then_with(|| a.size.cmp(&b.size))
                .then_with(|| a.source.cmp(&b.source))
        });
        scored.into_iter().take(n).map(|(_, e)| e).collect()
    }
}

/// The regeneration loop's prompts from KubeScribe's templates, fitted to
/// the model's context (see the module docs).
pub struct TemplatePrompts<'a> {
    /// The template.
    pub template: Template,
    /// Examples to show (fewer when the context is short).
    pub few_shot: usize,
    /// The answer's form: [`OutputFormat::Json`] when decoding is
    /// constrained to the schema (the decoder writes JSON).
    pub format: OutputFormat,
    /// Where examples come from (else the built-in ones).
    pub bank: Option<&'a ExampleBank>,
    /// The source (`file` or `file#document`) of the policy being
    /// evaluated: never shown as an example.
    pub exclude_source: Option<String>,
    /// The model, to measure prompts in its tokens and learn its window.
    pub generator: Option<&'a dyn Generator>,
    /// Tokens kept free for the answer (at most half the window), or what
    /// the intent's policy needs when that is more ([`crate::budget`]).
    pub answer_tokens: usize,
}

impl<'a> TemplatePrompts<'a> {
    /// Prompts with `template` and `few_shot` examples, the answer in `format`.
    pub fn new(template: Template, few_shot: usize, format: OutputFormat) -> Self {
        TemplatePrompts {
            template,
            few_shot,
            format,
            bank: None,
            exclude_source: None,
            generator: None,
            answer_tokens: 1024,
        }
    }

    /// The examples for `intent`: the bank's nearest, else built-in ones.
    pub fn examples(&self, intent: &Intent) -> Vec<Example> {
        if self.few_shot == 0 {
            return Vec::new();
        }
        let engine = crate::pipeline::target_engine(intent);
        let mut out: Vec<Example> = self
            .bank
            .map(|b| {
                b.nearest(
                    intent,
                    engine,
                    self.few_shot,
                    self.exclude_source.as_deref(),
                )
            })
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| {
                Example::new(
                    e.intent.clone(),
                    &e.policy,
                    self.format,
                    Some(e.source.clone()),
                )
                .ok()
            })
            .collect();
        if out.len() < self.few_shot {
            let same = meaning(intent);
            out.extend(
                prompt::builtin_examples(engine, intent.domain, self.format)
                    .into_iter()
                    .filter(|e| meaning(&e.intent) != same)
                    .take(self.few_shot - out.len()),
            );
        }
        out
    }

    /// The prompt's length in the model's tokens (bounded at two
    /// characters a token without a generator that counts).
    fn measure(&self, p: &Prompt) -> usize {
        // Without the model's tokenizer (an OpenAI-compatible server), a
        // bound rather than the context summary's guess of four characters
        // a token: SmolLM2 reads kubescribe's prompts at ~2.5 characters a
        // token, and a prompt measured short is a request the server
        // refuses for its length.
        self.generator
            .and_then(|g| g.count_tokens(p))
            .unwrap_or_else(|| p.as_text().chars().count().div_ceil(2))
    }
}

fn chat(p: &BuiltPrompt) -> Prompt {
    Prompt::Chat(
        p.messages()
            .into_iter()
            .map(|m| ChatMessage {
                role: m.role,
                content: m.content,
            })
            .collect(),
    )
}

/// The validator's findings in the form prompts quote them.
pub fn feedback_of(diagnostics: &[Diagnostic]) -> Vec<Feedback> {
    diagnostics
        .iter()
        .map(|d| Feedback {
            layer: d.layer.number(),
            rule: Some(d.rule.to_string()),
            pointer: if d.pointer.is_empty() {
                "(document)".into()
            } else {
                d.pointer.clone()
            },
            message: match &d.expected {
                Some(e) => format!("{}; expected {e}", d.message),
                None => d.message.clone(),
            },
            fix: d.fix.as_ref().map(|f| f.message.clone()),
        })
        .collect()
}

impl PromptSource for TemplatePrompts<'_> {
    fn build(
        &self,
        intent: &Intent,
        context: Option<&WorkloadContext>,
        diagnostics: &[Diagnostic],
    ) -> Result<Prompt, InferError> {
        self.fitted(intent, context, diagnostics, None)
    }

    /// The retry's prompt carries the previous answer (quoted) inside the
    /// template, before the findings, and is fitted like the first one.
    fn build_retry(
        &self,
        intent: &Intent,
        context: Option<&WorkloadContext>,
        previous: &str,
        diagnostics: &[Diagnostic],
    ) -> Result<Prompt, InferError> {
        let previous = previous.trim();
        let cut: String = previous.chars().take(PREVIOUS_ANSWER_CHARS).collect();
        self.fitted(
            intent,
            context,
            diagnostics,
            Some(&cut).filter(|c| !c.is_empty()),
        )
    }
}

/// Longest previous answer quoted in a retry prompt (characters).
const PREVIOUS_ANSWER_CHARS: usize = 4000;

impl TemplatePrompts<'_> {
    /// The prompt, fitted to the model's context (see the module docs).
    fn fitted(
        &self,
        intent: &Intent,
        context: Option<&WorkloadContext>,
        diagnostics: &[Diagnostic],
        previous: Option<&String>,
    ) -> Result<Prompt, InferError> {
        let err = |e: prompt::PromptError| InferError::Generation {
            generator: "prompt".into(),
            message: e.to_string(),
        };
        let examples = self.examples(intent);
        let feedback = feedback_of(diagnostics);
        let render_with = |template: Template,
                           ctx: Option<&WorkloadContext>,
                           n: usize,
                           previous: Option<&String>| {
            let options = PromptOptions {
                template,
                format: self.format,
                examples: examples.iter().take(n).cloned().collect(),
                feedback: feedback.clone(),
                previous_answer: previous.cloned(),
            };
            prompt::build_prompt_with(intent, ctx, &options)
                .map(|b| chat(&b))
                .map_err(err)
        };
        let render = |template: Template, ctx: Option<&WorkloadContext>, n: usize| {
            render_with(template, ctx, n, previous)
        };
        let first = render(self.template, context, examples.len())?;
        let Some(window) = self.generator.and_then(|g| g.context_window()) else {
            return Ok(first);
        };
        // The answer's room: the usual reserve (at most half the window),
        // or what the intent's policy needs when that is more.
        let engine = crate::pipeline::target_engine(intent);
        let answer = self.answer_tokens.min(window / 2).max(
            budget::answer_tokens_needed(intent, engine, self.generator, self.format).unwrap_or(0),
        );
        if answer >= window {
            return Err(InferError::Generation {
                generator: "prompt".into(),
                message: format!(
                    "the policy this intent needs is about {answer} tokens (the synthesizer's, \
                     plus room for wording), but the model's context holds {window}: \
                     use a model with a longer context, or split the intent"
                ),
            });
        }
        let limit = window - answer;
        let mut need = self.measure(&first);
        if need <= limit {
            return Ok(first);
        }
        // 1. the context: fewer entries per list, then none
        let mut contexts: Vec<Option<WorkloadContext>> = Vec::new();
        if let Some(c) = context {
            let mut k = c.longest_list();
            while k > 1 {
                k /= 2;
                contexts.push(Some(c.truncated(k)));
            }
            let mut none = c.truncated(0);
            none.cut = vec![format!(
                "the whole observed context ({} events) left out to fit the model's context",
                c.observations
            )];
            contexts.push(Some(none));
        }
        let smallest_context = contexts.last().cloned().unwrap_or(context.cloned());
        for c in &contexts {
            let p = render(self.template, c.as_ref(), examples.len())?;
            need = self.measure(&p);
            if need <= limit {
                return Ok(p);
            }
        }
        // 2. the examples: fewer, then none (few-shot becomes zero-shot)
        for n in (0..examples.len()).rev() {
            let template = if n == 0 && self.template == Template::FewShot {
                Template::ZeroShot
            } else {
                self.template
            };
            let p = render(template, smallest_context.as_ref(), n)?;
            need = self.measure(&p);
            if need <= limit {
                return Ok(p);
            }
        }
        // 3. the minimal template
        let p = render(Template::Minimal, smallest_context.as_ref(), 0)?;
        need = self.measure(&p);
        if need <= limit {
            return Ok(p);
        }
        // 4. a retry without the previous answer (its findings stay)
        if previous.is_some() {
            let p = render_with(Template::Minimal, smallest_context.as_ref(), 0, None)?;
            need = self.measure(&p);
            if need <= limit {
                return Ok(p);
            }
        }
        Err(InferError::Generation {
            generator: "prompt".into(),
            message: format!(
                "even the shortest prompt is {need} tokens, but the model's context holds {window} \
                 and {answer} are kept for the answer: shorten the intent or use a model with a longer context"
            ),
        })
    }
}
