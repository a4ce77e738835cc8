//! What a request's output is constrained to ([`ConstraintTarget`]), and the
//! per-model cache of compiled constraints ([`ConstraintCache`]) that the
//! local backends share.

use std::sync::{Mutex, OnceLock};

use kubescribe_core::intent::Intent;
use kubescribe_core::{Engine, PolicyKind};
use kubescribe_synth as synth;
use tokenizers::Tokenizer;

use super::{ConstraintTokenizer, SchemaConstraint, SchemaLimits, Tightening, bounded_schema};
use crate::error::InferError;

/// What a constrained generation must produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetDocument {
    /// One policy of this kind under its generation schema, narrowed by the
    /// target's tightening and limits.
    Policy(PolicyKind),
    /// A document under this JSON Schema (e.g. the [`Intent`]'s, for the
    /// LLM intent parser), bounded by the target's limits
    /// ([`bounded_schema`]); tightening does not apply to it.
    Schema(serde_json::Value),
}

impl TargetDocument {
    /// A short name for traces: `apiVersion/kind`, or `schema`.
    pub fn label(&self) -> String {
        match self {
            TargetDocument::Policy(k) => format!("{}/{}", k.api_version(), k.kind()),
            TargetDocument::Schema(s) => s
                .get("title")
                .and_then(|t| t.as_str())
                .map_or_else(|| "schema".to_string(), |t| format!("schema {t}")),
        }
    }
}

/// The document a constrained generation must produce: one policy of a
/// kind under its generation schema, narrowed by `tightening`, or a
/// document under a given schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintTarget {
    /// The document.
    pub document: TargetDocument,
    /// Values the model may use (from the intent and the event store).
    pub tightening: Tightening,
    /// Size bounds of the generated document.
    pub limits: SchemaLimits,
}

impl ConstraintTarget {
    /// A target without tightening and with the default limits.
    pub fn new(kind: PolicyKind) -> Self {
        ConstraintTarget {
            document: TargetDocument::Policy(kind),
            tightening: Tightening::default(),
            limits: SchemaLimits::default(),
        }
    }

    /// The target for an intent on `engine`: the kind the deterministic
    /// synthesizer would write for it (else the engine's first kind), and
    /// the intent's namespace and scope labels as tightening, plus
    /// `observed` (what the event store saw) when given.
    pub fn for_intent(intent: &Intent, engine: Engine, observed: Option<&Tightening>) -> Self {
        let kind = target_kind(intent, engine);
        let mut tightening = observed.cloned().unwrap_or_default();
        if kind.namespaced()
            && let Some(ns) = &intent.scope.namespace
        {
            // The intent names the namespace: that one, not another observed one.
            tightening.namespaces.clear();
            tightening.namespaces.insert(ns.clone());
        }
        for (k, v) in &intent.scope.labels {
            tightening
                .labels
                .entry(k.clone())
                .or_default()
                .insert(v.clone());
        }
        ConstraintTarget {
            document: TargetDocument::Policy(kind),
            tightening,
            limits: SchemaLimits::default(),
        }
    }

    /// A target for any JSON Schema llguidance compiles.
    pub fn for_schema(schema: serde_json::Value) -> Self {
        ConstraintTarget {
            document: TargetDocument::Schema(schema),
            tightening: Tightening::default(),
            limits: SchemaLimits::default(),
        }
    }
}

/// The policy kind to generate for `intent` on `engine`: the synthesizer's
/// choice, else the engine's first modelled kind.
pub fn target_kind(intent: &Intent, engine: Engine) -> PolicyKind {
    synth::synthesize(intent, Some(engine))
        .ok()
        .map(|p| p.kind())
        .filter(|k| k.engine() == engine)
        .or_else(|| {
            PolicyKind::ALL
                .iter()
                .copied()
                .find(|k| k.engine() == engine)
        })
        .unwrap_or(PolicyKind::NetworkPolicy)
}

/// Compiled constraints of one model: the tokenizer's token trie (built
/// once) and the last few compiled schemas, so the attempts of a
/// regeneration loop compile their target once.
pub struct ConstraintCache {
    tokenizer: OnceLock<Result<ConstraintTokenizer, String>>,
    compiled: Mutex<Vec<(ConstraintTarget, SchemaConstraint)>>,
}

/// Compiled schemas kept per model.
const CACHED: usize = 8;

impl Default for ConstraintCache {
    fn default() -> Self {
        ConstraintCache {
            tokenizer: OnceLock::new(),
            compiled: Mutex::new(Vec::new()),
        }
    }
}

impl std::fmt::Debug for ConstraintCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConstraintCache").finish_non_exhaustive()
    }
}

impl ConstraintCache {
    /// The tokenizer prepared for constrained decoding (built on first use).
    pub fn tokenizer(
        &self,
        tokenizer: &Tokenizer,
        eos: &[u32],
        model_vocab: Option<usize>,
    ) -> Result<&ConstraintTokenizer, InferError> {
        self.tokenizer
            .get_or_init(|| {
                ConstraintTokenizer::new(tokenizer, eos, model_vocab).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| InferError::Constraint(e.clone()))
    }

    /// A fresh constraint for `target` (compiled once, then cloned).
    pub fn constraint(
        &self,
        target: &ConstraintTarget,
        tok: &ConstraintTokenizer,
    ) -> Result<SchemaConstraint, InferError> {
        let poisoned = || InferError::Constraint("the constraint cache was poisoned".into());
        {
            let cache = self.compiled.lock().map_err(|_| poisoned())?;
            if let Some((_, c)) = cache.iter().find(|(t, _)| t == target) {
                let mut c = c.clone();
                c.reset();
                return Ok(c);
            }
        }
        let c = match &target.document {
            TargetDocument::Policy(kind) => {
                SchemaConstraint::for_kind(*kind, &target.tightening, &target.limits, tok)?
            }
            TargetDocument::Schema(schema) => {
                SchemaConstraint::from_schema(bounded_schema(schema, &target.limits)?, tok)?
            }
        };
        let mut cache = self.compiled.lock().map_err(|_| poisoned())?;
        if cache.len() >= CACHED {
            cache.remove(0);
        }
        cache.push((target.clone(), c.clone()));
        Ok(c)
    }
}
