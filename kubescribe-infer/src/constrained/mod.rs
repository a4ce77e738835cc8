//! Schema-constrained decoding with llguidance: at every step the logits are
//! masked to the tokens that keep the output a prefix of a JSON document
//! valid under the policy kind's generation schema ([`schema`]), so every
//! finished output parses and passes layer-1 validation.
//!
//! Usable by any local backend that produces a logits vector per step:
//!
//! ```text
//! let tok = ConstraintTokenizer::new(&tokenizer, &[eos], Some(model_vocab))?;
//! let mut c = SchemaConstraint::for_kind(kind, &Tightening::default(), &SchemaLimits::default(), &tok)?;
//! loop {
//!     let forced = c.forced_tokens()?;      // append these without a forward pass each
//!     if c.is_finished() { break }
//!     let mut logits = model.forward(...);
//!     c.mask(&mut logits)?;                 // disallowed tokens -> -inf
//!     let t = sample(&logits);
//!     c.commit(t)?;
//! }
//! let yaml = render_yaml(&c.text())?;
//! ```
//!
//! [`crate::decode::decode`] runs this loop (with the token budget handled
//! by a grammar-only close-out, see [`SchemaConstraint::tokens_to_close`]).

pub mod schema;
pub mod target;
pub mod tokenizer;

use std::sync::Arc;

use llguidance::api::TopLevelGrammar;
use llguidance::{Matcher, ParserFactory};
use serde_json::Value;
use toktrie::SimpleVob;

use kubescribe_core::PolicyKind;

use crate::error::InferError;

pub use schema::{SchemaLimits, Tightening, bounded_schema, generation_schema};
pub use target::{ConstraintCache, ConstraintTarget, TargetDocument, target_kind};
pub use tokenizer::ConstraintTokenizer;

fn err(message: impl Into<String>) -> InferError {
    InferError::Constraint(message.into())
}

/// The preference orders of tokens when closing a document out, outside
/// and inside a JSON string: structural closers first (the closing quote
/// inside a string), then short filler, openers last. Single-byte tokens
/// only (every byte-level and byte-fallback vocabulary has them) plus EOS.
fn closing_orders(env: &toktrie::TokEnv) -> (Vec<u32>, Vec<u32>) {
    let trie = env.tok_trie();
    let outside = |b: u8| -> u32 {
        match b {
            b'}' => 0,
            b']' => 1,
            b'"' => 2,
            b'1' => 3,
            b'0'..=b'9' => 4,
            b'a'..=b'z' => 5,
            b',' => 6,
            b':' => 7,
            b'A'..=b'Z' => 8,
            b'[' => 11,
            b'{' => 12,
            0x80..=0xff => 13,
            _ => 9,
        }
    };
    let inside = |b: u8| -> u32 {
        match b {
            b'"' => 0,
            b'a'..=b'z' => 1,
            b'0'..=b'9' => 2,
            b'A'..=b'Z' => 3,
            b'\\' | 0x80..=0xff => 13,
            _ => 5,
        }
    };
    let order = |rank: &dyn Fn(u8) -> u32| {
        let mut order: Vec<(u32, u32)> = trie.eos_tokens().iter().map(|&e| (0, e)).collect();
        for id in 0..trie.vocab_size() as u32 {
            if let [b] = trie.token(id) {
                order.push((1 + rank(*b), id));
            }
        }
        order.sort();
        let mut seen = std::collections::HashSet::new();
        order.retain(|x| seen.insert(x.1));
        order.into_iter().map(|(_, id)| id).collect::<Vec<u32>>()
    };
    (order(&outside), order(&inside))
}

/// Where the output is in JSON's string syntax (for the close-out).
#[derive(Debug, Clone, Copy, Default)]
struct StringState {
    in_string: bool,
    escaped: bool,
}

impl StringState {
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else if b == b'"' {
                self.in_string = true;
            }
        }
    }
}

/// What compiling a schema for one tokenizer needs that does not depend on
/// the schema: llguidance's parser factory, whose token-slice tables take
/// longer to build than most schemas take to compile (~70 ms for a 49k
/// vocabulary, against 3–70 ms per policy kind), and the close-out token
/// orders. Build it once per tokenizer and compile every schema with it
/// ([`crate::constrained::ConstraintCache`] does). Cheap to clone.
#[derive(Clone)]
pub struct GrammarCompiler {
    factory: Arc<ParserFactory>,
    closing: Arc<(Vec<u32>, Vec<u32>)>,
}

impl std::fmt::Debug for GrammarCompiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrammarCompiler")
            .field("vocab", &self.factory.tok_env().tok_trie().vocab_size())
            .finish_non_exhaustive()
    }
}

impl GrammarCompiler {
    /// The compiler for `tok`'s vocabulary.
    pub fn new(tok: &ConstraintTokenizer) -> Result<Self, InferError> {
        let mut factory =
            ParserFactory::new_simple(tok.env()).map_err(|e| err(format!("token trie: {e}")))?;
        factory.quiet();
        Ok(GrammarCompiler {
            closing: Arc::new(closing_orders(tok.env())),
            factory: Arc::new(factory),
        })
    }

    /// A constraint for a policy kind: its generation schema
    /// ([`generation_schema`]) with the request's tightening.
    pub fn compile_kind(
        &self,
        kind: PolicyKind,
        tightening: &Tightening,
        limits: &SchemaLimits,
    ) -> Result<SchemaConstraint, InferError> {
        let schema = generation_schema(kind, tightening, limits)?;
        self.compile(schema).map_err(|e| match e {
            InferError::Constraint(m) => err(format!("{}: {m}", kind.kind())),
            other => other,
        })
    }

    /// A constraint from any JSON Schema llguidance compiles.
    pub fn compile(&self, schema: Value) -> Result<SchemaConstraint, InferError> {
        let parser = self
            .factory
            .create_parser(TopLevelGrammar::from_json_schema(schema.clone()))
            .map_err(|e| err(format!("schema does not compile: {e}")))?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(e) = matcher.get_error() {
            return Err(err(format!("schema does not compile: {e}")));
        }
        let env = self.factory.tok_env();
        Ok(SchemaConstraint {
            fresh: matcher.deep_clone(),
            matcher,
            closing: self.closing.clone(),
            string: StringState::default(),
            env: env.clone(),
            vocab: env.tok_trie().vocab_size(),
            tokens: Vec::new(),
            eos: env.tok_trie().eos_tokens().to_vec(),
            schema: Arc::new(schema),
        })
    }
}

/// A compiled generation schema bound to a tokenizer; cheap to clone into
/// per-request constraints.
#[derive(Clone)]
pub struct SchemaConstraint {
    matcher: Matcher,
    fresh: Matcher,
    closing: Arc<(Vec<u32>, Vec<u32>)>,
    string: StringState,
    env: toktrie::TokEnv,
    vocab: usize,
    tokens: Vec<u32>,
    eos: Vec<u32>,
    schema: Arc<Value>,
}

impl std::fmt::Debug for SchemaConstraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaConstraint")
            .field("vocab", &self.vocab)
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

impl SchemaConstraint {
    /// The constraint for a policy kind: its generation schema
    /// ([`generation_schema`]) with the request's tightening.
    pub fn for_kind(
        kind: PolicyKind,
        tightening: &Tightening,
        limits: &SchemaLimits,
        tok: &ConstraintTokenizer,
    ) -> Result<Self, InferError> {
        GrammarCompiler::new(tok)?.compile_kind(kind, tightening, limits)
    }

    /// A constraint from any JSON Schema llguidance compiles (e.g. the
    /// intent schema for the intent parser). Builds the tokenizer's
    /// [`GrammarCompiler`] first; to compile several schemas for one
    /// tokenizer, build that once and use [`GrammarCompiler::compile`].
    pub fn from_schema(schema: Value, tok: &ConstraintTokenizer) -> Result<Self, InferError> {
        GrammarCompiler::new(tok)?.compile(schema)
    }

    /// The schema this constraint enforces.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// Back to the start of a document (reuses the compiled grammar).
    pub fn reset(&mut self) {
        self.matcher = self.fresh.deep_clone();
        self.tokens.clear();
        self.string = StringState::default();
    }

    fn check(&self) -> Result<(), InferError> {
        match self.matcher.get_error() {
            Some(e) => Err(err(e)),
            None => Ok(()),
        }
    }

    /// Tokens the grammar forces next (none when several continuations are
    /// possible). They are committed already: append them to the output and
    /// feed them to the model in one batch with the next step.
    pub fn forced_tokens(&mut self) -> Result<Vec<u32>, InferError> {
        if self.matcher.is_stopped() {
            return Ok(Vec::new());
        }
        let ff = self.matcher.consume_ff_tokens();
        self.check()?;
        self.tokens.extend_from_slice(&ff);
        for &t in &ff {
            self.string.scan(self.env.tok_trie().token(t));
        }
        Ok(ff)
    }

    /// The allowed next tokens.
    pub fn allowed(&mut self) -> Result<SimpleVob, InferError> {
        let m = self
            .matcher
            .compute_mask_or_eos()
            .map_err(|e| err(e.to_string()))?;
        if m.is_zero() {
            return Err(err("no token is allowed (the grammar is stuck)"));
        }
        Ok(m)
    }

    /// Sets every disallowed logit to −∞ (entries past the vocabulary too).
    pub fn mask(&mut self, logits: &mut [f32]) -> Result<(), InferError> {
        let m = self.allowed()?;
        let n = logits.len().min(self.vocab);
        m.iter_unset_entries(|i| {
            if i < n {
                logits[i] = f32::NEG_INFINITY;
            }
        });
        for l in logits.iter_mut().skip(self.vocab) {
            *l = f32::NEG_INFINITY;
        }
        Ok(())
    }

    /// Commits a sampled token (it must have been allowed).
    pub fn commit(&mut self, token: u32) -> Result<(), InferError> {
        self.matcher
            .consume_token(token)
            .map_err(|e| err(format!("token {token} rejected: {e}")))?;
        self.tokens.push(token);
        self.string.scan(self.env.tok_trie().token(token));
        Ok(())
    }

    /// Whether the document is complete (EOS committed or nothing can follow).
    pub fn is_finished(&self) -> bool {
        self.matcher.is_stopped()
    }

    /// Whether the document could end here.
    pub fn is_accepting(&mut self) -> bool {
        self.matcher.is_accepting().unwrap_or(false)
    }

    /// Whether `token` ends the sequence.
    pub fn is_eos(&self, token: u32) -> bool {
        self.eos.contains(&token)
    }

    /// The grammar-only choice that closes the document fastest: EOS when
    /// the document may end, else the first allowed token of a fixed order
    /// (outside strings `}` `]` `"` digits letters `,` … `[` `{`; inside a
    /// string the closing quote, then letters), else the first allowed.
    pub fn closing_token(&mut self) -> Result<u32, InferError> {
        let m = self.allowed()?;
        let order = if self.string.in_string {
            &self.closing.1
        } else {
            &self.closing.0
        };
        if let Some(&t) = order.iter().find(|&&t| m.is_allowed(t)) {
            return Ok(t);
        }
        m.first_bit_set()
            .map(|t| t as u32)
            .ok_or_else(|| err("no token is allowed"))
    }

    /// How many tokens (forced ones included) the grammar-only close-out
    /// ([`SchemaConstraint::closing_token`] plus forced tokens) needs to
    /// finish the document from here, simulated on a copy of the parser;
    /// `None` when it needs more than `limit`. The close-out is
    /// deterministic, so a decoder that switches to it with at least this
    /// many tokens left always finishes a valid document.
    pub fn tokens_to_close(&self, limit: usize) -> Result<Option<usize>, InferError> {
        let mut sim = self.clone();
        sim.matcher = self.matcher.deep_clone();
        let start = sim.tokens.len();
        while !sim.is_finished() {
            if sim.tokens.len() - start > limit {
                return Ok(None);
            }
            sim.forced_tokens()?;
            if sim.is_finished() {
                break;
            }
            let t = sim.closing_token()?;
            sim.commit(t)?;
        }
        Ok(Some(sim.tokens.len() - start))
    }

    /// [`SchemaConstraint::tokens_to_close`] after committing `token`,
    /// simulated on a copy (this constraint is unchanged): `None` when the
    /// grammar refuses the token or the close-out needs more than `limit`.
    /// A decoder that picks only tokens with `Some(n)`, `n` within its
    /// budget, can always finish the document.
    pub fn tokens_to_close_after(
        &self,
        token: u32,
        limit: usize,
    ) -> Result<Option<usize>, InferError> {
        let mut sim = self.clone();
        sim.matcher = self.matcher.deep_clone();
        if sim.commit(token).is_err() {
            return Ok(None);
        }
        sim.tokens_to_close(limit)
    }

    /// Every token committed so far (forced ones included).
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }
}

/// Renders a generated JSON document as YAML (JSON is valid Kubernetes
/// input too; YAML is what people read and commit).
pub fn render_yaml(json_text: &str) -> Result<String, InferError> {
    let v: Value = serde_json::from_str(json_text)
        .map_err(|e| err(format!("generated text is not JSON: {e}")))?;
    kubescribe_core::document::to_yaml(&v).map_err(|e| err(e.to_string()))
}
