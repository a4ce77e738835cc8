//! Schema-constrained decoding for Python decoders
//! (`kubescribe_infer::constrained`): the target a policy generation must
//! hit (`ConstraintTarget`, shaped by the intent exactly as the Rust
//! decoder's), a tokenizer's vocabulary as the grammar sees it
//! (`ConstraintVocab`), and the per-sequence matcher (`TokenConstraint`)
//! that gives the allowed-token mask after a prefix and consumes tokens.
//! `kubescribe.IntentLogitsProcessor` (Python, `_transformers.py`) wraps
//! the matcher as a Hugging Face `LogitsProcessor`.

use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use kubescribe_core::PolicyKind;
use kubescribe_infer::constrained::{
    ConstraintTarget, ConstraintTokenizer, SchemaConstraint, TargetDocument, bounded_schema,
    generation_schema,
};
use kubescribe_infer::pipeline::target_engine;

use crate::convert::to_py;
use crate::errors::{model_err, parse_err};
use crate::intent::intent_arg;

/// What a constrained policy generation must produce: one policy of a kind
/// under its generation schema, shaped by an intent as `kubescribe
/// generate` shapes it (scope selector, action, rule sections forced;
/// peers, ports, paths and binaries the intent's). `Pipeline` hands one to
/// a `Generator.from_callable(fn, constrained=True)` callable.
#[pyclass(name = "ConstraintTarget", module = "kubescribe", frozen)]
pub struct PyConstraintTarget {
    pub(crate) inner: ConstraintTarget,
}

#[pymethods]
impl PyConstraintTarget {
    /// The target for an intent (an `Intent`, dict or JSON text) on
    /// `engine` (default: the intent's engine, else its domain's default).
    #[staticmethod]
    #[pyo3(signature = (intent, engine = None))]
    fn for_intent(intent: &Bound<'_, PyAny>, engine: Option<&str>) -> PyResult<Self> {
        let intent = intent_arg(intent)?;
        let engine = match engine {
            Some(e) => crate::convert::engine(e)?,
            None => target_engine(&intent),
        };
        Ok(PyConstraintTarget {
            inner: ConstraintTarget::for_intent(&intent, engine, None),
        })
    }

    /// Any policy of `kind` (`"KubeArmorPolicy"`, …) under its generation
    /// schema, not shaped by an intent.
    #[staticmethod]
    fn for_kind(kind: &str) -> PyResult<Self> {
        Ok(PyConstraintTarget {
            inner: ConstraintTarget::new(crate::policy::find_kind(kind)?),
        })
    }

    /// The policy kind (`"KubeArmorPolicy"`), or None for a plain schema.
    #[getter]
    fn kind(&self) -> Option<&'static str> {
        self.policy_kind().map(|k| k.kind())
    }

    /// `apiVersion/kind` (or `schema TITLE`), as traces name it.
    #[getter]
    fn label(&self) -> String {
        self.inner.document.label()
    }

    /// The JSON Schema decoding is constrained to (the kind's generation
    /// schema with the intent's tightening), as a dict.
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let t = &self.inner;
        let schema = match &t.document {
            TargetDocument::Policy(kind) => generation_schema(*kind, &t.tightening, &t.limits),
            TargetDocument::Schema(s) => bounded_schema(s, &t.limits),
        }
        .map_err(model_err)?;
        to_py(py, &schema)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyConstraintTarget>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        format!("ConstraintTarget({:?})", self.label())
    }
}

impl PyConstraintTarget {
    fn policy_kind(&self) -> Option<PolicyKind> {
        match &self.inner.document {
            TargetDocument::Policy(k) => Some(*k),
            TargetDocument::Schema(_) => None,
        }
    }
}

/// A tokenizer's vocabulary prepared for constrained decoding (the bytes of
/// every token, as llguidance walks them): from a `tokenizer.json` document
/// (a Hugging Face fast tokenizer's `backend_tokenizer.to_str()`), the ids
/// that end generation, and the model's logits width when it is larger
/// than the tokenizer's vocabulary (the extra ids are never allowed).
/// Byte-level BPE and SentencePiece byte-fallback vocabularies are read.
/// Build it once per tokenizer; it is shared by every `TokenConstraint`.
#[pyclass(name = "ConstraintVocab", module = "kubescribe", frozen)]
pub struct PyConstraintVocab {
    pub(crate) inner: Arc<ConstraintTokenizer>,
}

#[pymethods]
impl PyConstraintVocab {
    #[new]
    #[pyo3(signature = (tokenizer_json, eos_token_ids, *, vocab_size = None))]
    fn new(
        py: Python<'_>,
        tokenizer_json: &str,
        eos_token_ids: Vec<u32>,
        vocab_size: Option<usize>,
    ) -> PyResult<Self> {
        let tok = py
            .detach(|| ConstraintTokenizer::from_json(tokenizer_json, &eos_token_ids, vocab_size))
            .map_err(parse_err)?;
        Ok(PyConstraintVocab {
            inner: Arc::new(tok),
        })
    }

    /// The logits width (tokenizer vocabulary, padded to the model's).
    #[getter]
    fn vocab_size(&self) -> usize {
        self.inner.vocab_size()
    }

    /// The ids that end generation.
    #[getter]
    fn eos_token_ids(&self) -> Vec<u32> {
        self.inner.eos().to_vec()
    }

    /// Decodes token ids to text (special tokens left out).
    fn decode(&self, tokens: Vec<u32>) -> String {
        self.inner.decode(&tokens)
    }

    fn __repr__(&self) -> String {
        format!(
            "ConstraintVocab(vocab_size={}, eos_token_ids={:?})",
            self.inner.vocab_size(),
            self.inner.eos()
        )
    }
}

/// One sequence's matcher: the grammar of a `ConstraintTarget` compiled for
/// a `ConstraintVocab`. After each token, `allowed_mask()` says which next
/// tokens keep the output a prefix of a document valid under the target's
/// schema; `commit(token)` consumes the token chosen. `forced_tokens()`
/// commits the tokens the grammar forces (feed them to the model as they
/// are), `closing_token()` / `tokens_to_close()` finish a document within a
/// token budget without the model (the close-out `kubescribe generate`
/// uses). `copy()` is a fresh matcher sharing the compiled grammar.
#[pyclass(name = "TokenConstraint", module = "kubescribe", frozen)]
pub struct PyTokenConstraint {
    state: Mutex<SchemaConstraint>,
    vocab: Arc<ConstraintTokenizer>,
    label: String,
}

impl PyTokenConstraint {
    fn lock(&self) -> PyResult<MutexGuard<'_, SchemaConstraint>> {
        self.state
            .lock()
            .map_err(|_| model_err("the constraint's lock was poisoned"))
    }
}

#[pymethods]
impl PyTokenConstraint {
    #[new]
    fn new(
        py: Python<'_>,
        target: PyRef<'_, PyConstraintTarget>,
        vocab: PyRef<'_, PyConstraintVocab>,
    ) -> PyResult<Self> {
        let t = target.inner.clone();
        let tok = vocab.inner.clone();
        let c = py
            .detach(|| match &t.document {
                TargetDocument::Policy(kind) => {
                    SchemaConstraint::for_kind(*kind, &t.tightening, &t.limits, &tok)
                }
                TargetDocument::Schema(s) => {
                    SchemaConstraint::from_schema(bounded_schema(s, &t.limits)?, &tok)
                }
            })
            .map_err(model_err)?;
        Ok(PyTokenConstraint {
            state: Mutex::new(c),
            vocab: vocab.inner.clone(),
            label: t.document.label(),
        })
    }

    /// A fresh matcher (nothing consumed) sharing the compiled grammar.
    fn copy(&self) -> PyResult<Self> {
        let mut c = self.lock()?.clone();
        c.reset();
        Ok(PyTokenConstraint {
            state: Mutex::new(c),
            vocab: self.vocab.clone(),
            label: self.label.clone(),
        })
    }

    /// Back to the start of a document.
    fn reset(&self) -> PyResult<()> {
        self.lock()?.reset();
        Ok(())
    }

    /// The tokens the grammar forces next (empty when several continuations
    /// are possible); they are committed already.
    fn forced_tokens(&self, py: Python<'_>) -> PyResult<Vec<u32>> {
        let mut guard = self.lock()?;
        let c: &mut SchemaConstraint = &mut guard;
        py.detach(|| c.forced_tokens()).map_err(model_err)
    }

    /// The allowed next tokens as `vocab_size` bytes, 1 for allowed and 0
    /// for not (`torch.frombuffer(mask, dtype=torch.bool)`).
    fn allowed_mask<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let n = self.vocab.vocab_size();
        let mut guard = self.lock()?;
        let c: &mut SchemaConstraint = &mut guard;
        let bytes = py
            .detach(|| -> Result<Vec<u8>, kubescribe_infer::InferError> {
                let m = c.allowed()?;
                let mut out = vec![0u8; n];
                m.iter_set_entries(|i| {
                    if let Some(b) = out.get_mut(i) {
                        *b = 1;
                    }
                });
                Ok(out)
            })
            .map_err(model_err)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The allowed next token ids, ascending.
    fn allowed_tokens(&self, py: Python<'_>) -> PyResult<Vec<u32>> {
        let mut guard = self.lock()?;
        let c: &mut SchemaConstraint = &mut guard;
        py.detach(|| c.allowed().map(|m| m.to_list()))
            .map_err(model_err)
    }

    /// Consumes one token (it must be allowed); raises `ModelError` for a
    /// token the grammar refuses.
    fn commit(&self, py: Python<'_>, token: u32) -> PyResult<()> {
        let mut guard = self.lock()?;
        let c: &mut SchemaConstraint = &mut guard;
        py.detach(|| c.commit(token)).map_err(model_err)
    }

    /// Consumes tokens in order ([`commit`] each).
    fn consume(&self, py: Python<'_>, tokens: Vec<u32>) -> PyResult<()> {
        let mut guard = self.lock()?;
        let c: &mut SchemaConstraint = &mut guard;
        py.detach(|| tokens.iter().try_for_each(|&t| c.commit(t)))
            .map_err(model_err)
    }

    /// The grammar-only token that closes the document fastest (EOS when
    /// it may end here).
    fn closing_token(&self, py: Python<'_>) -> PyResult<u32> {
        let mut guard = self.lock()?;
        let c: &mut SchemaConstraint = &mut guard;
        py.detach(|| c.closing_token()).map_err(model_err)
    }

    /// How many tokens (forced ones included) the grammar-only close-out
    /// needs to finish the document from here; None when over `limit`.
    fn tokens_to_close(&self, py: Python<'_>, limit: usize) -> PyResult<Option<usize>> {
        let guard = self.lock()?;
        let c: &SchemaConstraint = &guard;
        py.detach(|| c.tokens_to_close(limit)).map_err(model_err)
    }

    /// `tokens_to_close(limit)` after committing `token`, on a copy (this
    /// matcher is unchanged); None when the token is refused or the
    /// close-out would need more than `limit`.
    fn tokens_to_close_after(
        &self,
        py: Python<'_>,
        token: u32,
        limit: usize,
    ) -> PyResult<Option<usize>> {
        let guard = self.lock()?;
        let c: &SchemaConstraint = &guard;
        py.detach(|| c.tokens_to_close_after(token, limit))
            .map_err(model_err)
    }

    /// Whether the document is complete (EOS committed, or nothing can follow).
    #[getter]
    fn is_finished(&self) -> PyResult<bool> {
        Ok(self.lock()?.is_finished())
    }

    /// Whether the document could end here.
    fn is_accepting(&self) -> PyResult<bool> {
        Ok(self.lock()?.is_accepting())
    }

    /// Whether `token` ends the sequence.
    fn is_eos(&self, token: u32) -> bool {
        self.vocab.eos().contains(&token)
    }

    /// Every token consumed so far (forced ones included).
    #[getter]
    fn tokens(&self) -> PyResult<Vec<u32>> {
        Ok(self.lock()?.tokens().to_vec())
    }

    /// The text of the tokens consumed so far.
    #[getter]
    fn text(&self) -> PyResult<String> {
        let c = self.lock()?;
        Ok(self.vocab.decode(c.tokens()))
    }

    /// The logits width.
    #[getter]
    fn vocab_size(&self) -> usize {
        self.vocab.vocab_size()
    }

    fn __repr__(&self) -> PyResult<String> {
        let c = self.lock()?;
        Ok(format!(
            "TokenConstraint({:?}, tokens={}, finished={})",
            self.label,
            c.tokens().len(),
            if c.is_finished() { "True" } else { "False" }
        ))
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyConstraintTarget>()?;
    m.add_class::<PyConstraintVocab>()?;
    m.add_class::<PyTokenConstraint>()?;
    Ok(())
}
