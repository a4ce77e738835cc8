//! A tiny random Llama written to disk, for tests and benchmarks that need
//! a real model file without downloading one: a Hugging Face directory
//! (`config.json`, `model.safetensors`, a byte-level BPE `tokenizer.json`,
//! `tokenizer_config.json` with a ChatML template) and the same weights as
//! an F32 GGUF file. Weights come from a seeded RNG, so the model is
//! deterministic — and emits garbage.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::Value as GValue;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use serde_json::json;

use super::gguf::{byte_level_tokenizer_json, hf_to_gguf_name, permute_qk, write_gguf, write_json};
use crate::decode::Rng;
use crate::error::InferError;

/// Shape of the tiny model.
#[derive(Debug, Clone)]
pub struct TinyConfig {
    /// Hidden size.
    pub hidden: usize,
    /// MLP size.
    pub intermediate: usize,
    /// Decoder layers.
    pub layers: usize,
    /// Attention heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// RNG seed of the weights.
    pub seed: u64,
    /// Context length (`max_position_embeddings`); the tokenizer is one
    /// token per byte, so long chat prompts need more than the default.
    pub context: usize,
}

impl Default for TinyConfig {
    fn default() -> Self {
        TinyConfig {
            hidden: 64,
            intermediate: 128,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            seed: 7,
            context: 4096,
        }
    }
}

/// Where the tiny model was written.
#[derive(Debug, Clone)]
pub struct TinyModel {
    /// The Hugging Face-layout directory.
    pub dir: PathBuf,
    /// The GGUF file (same weights, F32), alone in a `gguf/` subdirectory.
    pub gguf: PathBuf,
}

/// Special tokens of the tiny vocabulary (after the 256 bytes and merges).
pub const TINY_SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// The byte-level alphabet: the character GPT-2 shows for each byte.
fn byte_chars() -> Vec<String> {
    let self_mapped =
        |c: char| matches!(c, '!'..='~' | '\u{00A1}'..='\u{00AC}' | '\u{00AE}'..='\u{00FF}');
    let mut next = 0x100u32;
    (0..=255u8)
        .map(|b| {
            let c = b as char;
            if self_mapped(c) {
                c.to_string()
            } else {
                let s = char::from_u32(next).map(String::from).unwrap_or_default();
                next += 1;
                s
            }
        })
        .collect()
}

/// Vocabulary: 256 bytes, a few merges, then the special tokens.
fn tiny_vocab() -> (Vec<String>, Vec<String>, Vec<u32>) {
    let mut tokens = byte_chars();
    let pairs = [
        ("e", "r"),
        ("i", "n"),
        ("t", "h"),
        ("a", "t"),
        ("o", "n"),
        ("\"", ":"),
        ("\"", ","),
    ];
    let mut merges = Vec::new();
    for (a, b) in pairs {
        merges.push(format!("{a} {b}"));
        tokens.push(format!("{a}{b}"));
    }
    let mut special = Vec::new();
    for s in TINY_SPECIALS {
        special.push(tokens.len() as u32);
        tokens.push(s.to_string());
    }
    (tokens, merges, special)
}

fn random(rng: &mut Rng, shape: (usize, usize), scale: f64) -> candle_core::Result<Tensor> {
    let n = shape.0 * shape.1;
    let data: Vec<f32> = (0..n)
        .map(|_| ((rng.next_f64() * 2.0 - 1.0) * scale) as f32)
        .collect();
    Tensor::from_vec(data, shape, &Device::Cpu)
}

fn ones(n: usize) -> candle_core::Result<Tensor> {
    Tensor::ones(n, candle_core::DType::F32, &Device::Cpu)
}

/// Writes the tiny model under `dir` (created if needed).
pub fn write_tiny_llama(dir: &Path, cfg: &TinyConfig) -> Result<TinyModel, InferError> {
    let err = |e: candle_core::Error| InferError::Model {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| InferError::io(dir, e))?;
    let (tokens, merges, special) = tiny_vocab();
    let vocab = tokens.len();
    let eos = special[2]; // <|im_end|>
    let head_dim = cfg.hidden / cfg.heads;
    let mut rng = Rng::new(cfg.seed);
    let mut w: HashMap<String, Tensor> = HashMap::new();
    let h = cfg.hidden;
    let s = 1.0 / (h as f64).sqrt() * 1.7;
    w.insert(
        "model.embed_tokens.weight".into(),
        random(&mut rng, (vocab, h), 1.0).map_err(err)?,
    );
    for l in 0..cfg.layers {
        let p = format!("model.layers.{l}");
        let mut put = |name: &str, shape: (usize, usize), scale: f64| -> Result<(), InferError> {
            w.insert(
                format!("{p}.{name}"),
                random(&mut rng, shape, scale).map_err(err)?,
            );
            Ok(())
        };
        put("self_attn.q_proj.weight", (cfg.heads * head_dim, h), s)?;
        put("self_attn.k_proj.weight", (cfg.kv_heads * head_dim, h), s)?;
        put("self_attn.v_proj.weight", (cfg.kv_heads * head_dim, h), s)?;
        put("self_attn.o_proj.weight", (h, cfg.heads * head_dim), s)?;
        put("mlp.gate_proj.weight", (cfg.intermediate, h), s)?;
        put("mlp.up_proj.weight", (cfg.intermediate, h), s)?;
        put("mlp.down_proj.weight", (h, cfg.intermediate), s)?;
        w.insert(format!("{p}.input_layernorm.weight"), ones(h).map_err(err)?);
        w.insert(
            format!("{p}.post_attention_layernorm.weight"),
            ones(h).map_err(err)?,
        );
    }
    w.insert("model.norm.weight".into(), ones(h).map_err(err)?);
    w.insert(
        "lm_head.weight".into(),
        random(&mut rng, (vocab, h), 3.0 * s).map_err(err)?,
    );
    let st = dir.join("model.safetensors");
    candle_core::safetensors::save(&w, &st).map_err(err)?;
    let ctx = cfg.context;
    write_json(
        &dir.join("config.json"),
        &json!({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": h, "intermediate_size": cfg.intermediate,
            "num_hidden_layers": cfg.layers, "num_attention_heads": cfg.heads,
            "num_key_value_heads": cfg.kv_heads, "max_position_embeddings": ctx,
            "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "vocab_size": vocab,
            "tie_word_embeddings": false, "bos_token_id": special[0], "eos_token_id": eos,
        }),
    )?;
    let tok = byte_level_tokenizer_json(&tokens, &merges, &special, false);
    write_json(&dir.join("tokenizer.json"), &tok)?;
    write_json(
        &dir.join("tokenizer_config.json"),
        &json!({"chat_template": CHATML, "eos_token": TINY_SPECIALS[2]}),
    )?;

    // The same weights as GGUF (q/k rows in GGUF's rotary layout).
    let mut qt = Vec::new();
    let mut names: Vec<&String> = w.keys().collect();
    names.sort();
    for name in names {
        let Some(g) = hf_to_gguf_name(name) else {
            continue;
        };
        let t = &w[name];
        let t = if name.ends_with("q_proj.weight") {
            permute_qk(t, cfg.heads).map_err(err)?
        } else if name.ends_with("k_proj.weight") {
            permute_qk(t, cfg.kv_heads).map_err(err)?
        } else {
            t.clone()
        };
        qt.push((g, QTensor::quantize(&t, GgmlDType::F32).map_err(err)?));
    }
    let u = |v: usize| GValue::U32(v as u32);
    let mut md: HashMap<String, GValue> = HashMap::new();
    md.insert(
        "general.architecture".into(),
        GValue::String("llama".into()),
    );
    md.insert("llama.attention.head_count".into(), u(cfg.heads));
    md.insert("llama.attention.head_count_kv".into(), u(cfg.kv_heads));
    md.insert("llama.block_count".into(), u(cfg.layers));
    md.insert("llama.embedding_length".into(), u(h));
    md.insert("llama.feed_forward_length".into(), u(cfg.intermediate));
    md.insert("llama.context_length".into(), u(ctx));
    md.insert("llama.rope.dimension_count".into(), u(head_dim));
    md.insert("llama.rope.freq_base".into(), GValue::F32(10000.0));
    md.insert(
        "llama.attention.layer_norm_rms_epsilon".into(),
        GValue::F32(1e-5),
    );
    md.insert("tokenizer.ggml.model".into(), GValue::String("gpt2".into()));
    md.insert(
        "tokenizer.ggml.tokens".into(),
        GValue::Array(tokens.iter().map(|t| GValue::String(t.clone())).collect()),
    );
    md.insert(
        "tokenizer.ggml.merges".into(),
        GValue::Array(merges.iter().map(|m| GValue::String(m.clone())).collect()),
    );
    md.insert(
        "tokenizer.ggml.token_type".into(),
        GValue::Array(
            (0..vocab as u32)
                .map(|i| GValue::I32(if special.contains(&i) { 3 } else { 1 }))
                .collect(),
        ),
    );
    md.insert("tokenizer.ggml.eos_token_id".into(), GValue::U32(eos));
    md.insert(
        "tokenizer.ggml.bos_token_id".into(),
        GValue::U32(special[0]),
    );
    md.insert(
        "tokenizer.chat_template".into(),
        GValue::String(CHATML.into()),
    );
    // In a directory of its own, so loading it rebuilds the tokenizer from
    // the GGUF metadata rather than using the tokenizer.json above.
    let gdir = dir.join("gguf");
    std::fs::create_dir_all(&gdir).map_err(|e| InferError::io(&gdir, e))?;
    let gguf = gdir.join("tiny.gguf");
    write_gguf(&gguf, &md, &qt)?;
    Ok(TinyModel {
        dir: dir.to_path_buf(),
        gguf,
    })
}
