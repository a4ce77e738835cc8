//! The token vocabulary as bytes, for llguidance: built from a Hugging Face
//! `tokenizers` tokenizer (byte-level BPE like GPT-2/Llama-3/SmolLM2, or
//! SentencePiece-style byte-fallback like Llama-2/Mistral).
//!
//! `toktrie_hf_tokenizers` does the same, but pins `tokenizers` 0.21 while
//! candle and this crate use 0.23: two builds of the tokenizer crate and two
//! incompatible `Tokenizer` types. This is the same conversion on 0.23, with
//! errors instead of panics on malformed vocabularies.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokenizers::{DecoderWrapper, Tokenizer};
use toktrie::{TokEnv, TokRxInfo, TokTrie, TokenId, TokenizerEnv};

use crate::error::InferError;

fn err(message: impl Into<String>) -> InferError {
    InferError::Constraint(message.into())
}

/// GPT-2's byte-to-unicode table, inverted: the printable character each
/// byte is shown as in a byte-level vocabulary, back to the byte.
fn byte_level_char_map() -> HashMap<char, u8> {
    let self_mapped =
        |c: char| matches!(c, '!'..='~' | '\u{00A1}'..='\u{00AC}' | '\u{00AE}'..='\u{00FF}');
    let mut map = HashMap::new();
    let mut next = 0x100u32;
    for byte in 0..=255u8 {
        let c = byte as char;
        if self_mapped(c) {
            map.insert(c, byte);
        } else if let Some(shown) = char::from_u32(next) {
            map.insert(shown, byte);
            next += 1;
        }
    }
    map
}

#[derive(Clone, Copy, PartialEq)]
enum Scheme {
    ByteLevel,
    /// SentencePiece with `<0xNN>` byte tokens; the char that stands for a space.
    ByteFallback(char),
}

fn scheme_of(d: &DecoderWrapper, found: &mut Option<Scheme>) {
    match d {
        DecoderWrapper::ByteLevel(_) => *found = Some(Scheme::ByteLevel),
        DecoderWrapper::ByteFallback(_) if found.is_none() => {
            *found = Some(Scheme::ByteFallback('\u{2581}'));
        }
        DecoderWrapper::Metaspace(m) => {
            *found = Some(Scheme::ByteFallback(m.get_replacement()));
        }
        DecoderWrapper::Sequence(seq) => {
            for d in seq.get_decoders() {
                scheme_of(d, found);
            }
        }
        _ => {}
    }
}

/// The bytes of every token id (special tokens marked as toktrie expects).
fn token_bytes(tok: &Tokenizer) -> Result<(Vec<Vec<u8>>, HashSet<u32>), InferError> {
    let mut scheme = None;
    if let Some(d) = tok.get_decoder() {
        scheme_of(d, &mut scheme);
    }
    let scheme = scheme.ok_or_else(|| {
        err(
            "the tokenizer's decoder is neither ByteLevel nor ByteFallback/Metaspace: \
             constrained decoding needs the bytes of every token",
        )
    })?;
    let vocab_size = tok.get_vocab_size(true);
    let mut bytes = vec![Vec::new(); vocab_size];
    let mut specials = HashSet::new();
    for (id, added) in tok.get_added_tokens_decoder() {
        let Some(slot) = bytes.get_mut(id as usize) else {
            continue;
        };
        if added.special {
            let mut b = vec![TokTrie::SPECIAL_TOKEN_MARKER];
            b.extend_from_slice(added.content.as_bytes());
            *slot = b;
            specials.insert(id);
        } else {
            *slot = added.content.as_bytes().to_vec();
        }
    }
    let char_map = byte_level_char_map();
    for (name, id) in tok.get_vocab(false) {
        let Some(slot) = bytes.get_mut(id as usize) else {
            continue;
        };
        if !slot.is_empty() {
            continue;
        }
        *slot = match scheme {
            Scheme::ByteLevel => name
                .chars()
                .map(|c| {
                    char_map.get(&c).copied().ok_or_else(|| {
                        err(format!(
                            "token {id} ({name:?}) has a character outside the byte-level alphabet"
                        ))
                    })
                })
                .collect::<Result<Vec<u8>, _>>()?,
            Scheme::ByteFallback(space) => {
                if name.len() == 6 && name.starts_with("<0x") && name.ends_with('>') {
                    let b = u8::from_str_radix(&name[3..5], 16).map_err(|_| {
                        err(format!("token {id} ({name:?}) is not a valid byte token"))
                    })?;
                    vec![b]
                } else {
                    name.replace(space, " ").into_bytes()
                }
            }
        };
    }
    Ok((bytes, specials))
}

/// A tokenizer prepared for constrained decoding: the token trie llguidance
/// walks, and the tokenizer for strings the grammar forces.
pub struct ConstraintTokenizer {
    env: TokEnv,
    eos: Vec<TokenId>,
}

impl std::fmt::Debug for ConstraintTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConstraintTokenizer")
            .field("vocab_size", &self.vocab_size())
            .field("eos", &self.eos)
            .finish()
    }
}

struct Env {
    trie: TokTrie,
    tokenizer: Tokenizer,
}

impl TokenizerEnv for Env {
    fn tok_trie(&self) -> &TokTrie {
        &self.trie
    }

    fn tokenize_bytes(&self, s: &[u8]) -> Vec<TokenId> {
        // Grammar-forced text is UTF-8 except in the middle of a character;
        // fall back to the trie's greedy tokenization there.
        match std::str::from_utf8(s) {
            Ok(text) => match self.tokenizer.encode_fast(text, false) {
                Ok(enc) => enc.get_ids().to_vec(),
                Err(_) => self.trie.greedy_tokenize(s),
            },
            Err(_) => self.trie.greedy_tokenize(s),
        }
    }
}

impl ConstraintTokenizer {
    /// Prepares `tokenizer`. `eos` are the ids that end generation (the
    /// model's end-of-sequence and end-of-turn tokens; at least one);
    /// `model_vocab` is the model's logits width when it is larger than the
    /// tokenizer's vocabulary (padded embeddings): the extra ids are never
    /// allowed.
    pub fn new(
        tokenizer: &Tokenizer,
        eos: &[u32],
        model_vocab: Option<usize>,
    ) -> Result<Self, InferError> {
        let (mut bytes, _specials) = token_bytes(tokenizer)?;
        let first_eos = *eos
            .first()
            .ok_or_else(|| err("no end-of-sequence token given"))?;
        if let Some(n) = model_vocab {
            if n < bytes.len() {
                return Err(err(format!(
                    "the model's vocabulary ({n}) is smaller than the tokenizer's ({})",
                    bytes.len()
                )));
            }
            while bytes.len() < n {
                let mut b = vec![TokTrie::SPECIAL_TOKEN_MARKER];
                b.extend_from_slice(format!("<[{}]>", bytes.len()).as_bytes());
                bytes.push(b);
            }
        }
        for &e in eos {
            if e as usize >= bytes.len() {
                return Err(err(format!(
                    "end-of-sequence token {e} is outside the vocabulary ({})",
                    bytes.len()
                )));
            }
        }
        let info = TokRxInfo::new(bytes.len() as u32, first_eos);
        let trie = TokTrie::from(&info, &bytes).with_eos_tokens(eos);
        // The forcing tokenizer must not add BOS/EOS or pad.
        let mut plain = tokenizer.clone();
        plain.with_padding(None);
        let _ = plain.with_truncation(None);
        Ok(ConstraintTokenizer {
            env: Arc::new(Env {
                trie,
                tokenizer: plain,
            }),
            eos: eos.to_vec(),
        })
    }

    /// [`ConstraintTokenizer::new`] from a `tokenizer.json` document (what
    /// a Hugging Face fast tokenizer's `backend_tokenizer.to_str()` gives).
    pub fn from_json(
        tokenizer_json: &str,
        eos: &[u32],
        model_vocab: Option<usize>,
    ) -> Result<Self, InferError> {
        let tokenizer: Tokenizer = tokenizer_json
            .parse()
            .map_err(|e| err(format!("not a tokenizer.json document: {e}")))?;
        Self::new(&tokenizer, eos, model_vocab)
    }

    /// The token environment llguidance uses.
    pub fn env(&self) -> &TokEnv {
        &self.env
    }

    /// The vocabulary size (the width of a logits vector).
    pub fn vocab_size(&self) -> usize {
        self.env.tok_trie().vocab_size()
    }

    /// The end-of-sequence ids.
    pub fn eos(&self) -> &[u32] {
        &self.eos
    }

    /// The bytes of a token (special tokens with toktrie's marker byte first).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.env.tok_trie().token(id)
    }

    /// Decodes tokens to text (special tokens left out).
    pub fn decode(&self, tokens: &[u32]) -> String {
        String::from_utf8_lossy(&self.env.tok_trie().decode(tokens)).into_owned()
    }
}
