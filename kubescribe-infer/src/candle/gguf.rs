//! GGUF helpers: the tokenizer rebuilt from GGUF metadata, conversion
//! between Hugging Face Llama safetensors and GGUF (both ways), and
//! requantization (e.g. Q4_1 → Q8_0, which candle runs much faster on x86).

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value as GValue};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use serde_json::{Value, json};
use tokenizers::Tokenizer;

use crate::error::InferError;

fn model_err(path: &Path, message: impl std::fmt::Display) -> InferError {
    InferError::Model {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// A byte-level BPE `tokenizer.json` (GPT-2 style) from a vocabulary,
/// merges (`"a b"`), and the ids of special tokens. `digits` splits digits
/// one by one first (SmolLM2's `pre=smollm`).
pub fn byte_level_tokenizer_json(
    tokens: &[String],
    merges: &[String],
    special: &[u32],
    digits: bool,
) -> Value {
    let vocab: serde_json::Map<String, Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    let added: Vec<Value> = special
        .iter()
        .filter_map(|&id| tokens.get(id as usize).map(|t| (id, t)))
        .map(|(id, t)| {
            json!({"id": id, "content": t, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
    let pre = if digits {
        json!({"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true}, byte_level]})
    } else {
        byte_level
    };
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": pre,
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null,
                  "continuing_subword_prefix": null, "end_of_word_suffix": null,
                  "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                  "vocab": vocab, "merges": merges},
    })
}

fn strings(v: Option<&GValue>) -> Vec<String> {
    v.and_then(|v| v.to_vec().ok())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.to_string().ok().cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// The tokenizer of a GGUF file's metadata (`tokenizer.ggml.*`): byte-level
/// BPE (`model = gpt2`) with control tokens (type 3) special.
pub fn tokenizer_from_metadata(md: &HashMap<String, GValue>) -> Result<Tokenizer, String> {
    let model = md
        .get("tokenizer.ggml.model")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    if model != "gpt2" {
        return Err(format!(
            "tokenizer.ggml.model {model:?}: only byte-level BPE (gpt2) can be rebuilt; put a tokenizer.json next to the file"
        ));
    }
    let tokens = strings(md.get("tokenizer.ggml.tokens"));
    if tokens.is_empty() {
        return Err("no tokenizer.ggml.tokens".into());
    }
    let merges = strings(md.get("tokenizer.ggml.merges"));
    let types: Vec<i64> = md
        .get("tokenizer.ggml.token_type")
        .and_then(|v| v.to_vec().ok())
        .map(|a| {
            a.iter()
                .map(|x| x.to_i32().map(i64::from).unwrap_or(1))
                .collect()
        })
        .unwrap_or_default();
    let special: Vec<u32> = types
        .iter()
        .enumerate()
        .filter(|(_, t)| **t == 3)
        .map(|(i, _)| i as u32)
        .collect();
    let pre = md
        .get("tokenizer.ggml.pre")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    let json = byte_level_tokenizer_json(&tokens, &merges, &special, pre == "smollm");
    json.to_string()
        .parse::<Tokenizer>()
        .map_err(|e| e.to_string())
}

/// Hugging Face Llama tensor name → GGUF name.
pub fn hf_to_gguf_name(name: &str) -> Option<String> {
    let fixed = match name {
        "model.embed_tokens.weight" => Some("token_embd.weight"),
        "model.norm.weight" => Some("output_norm.weight"),
        "lm_head.weight" => Some("output.weight"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.into());
    }
    let rest = name.strip_prefix("model.layers.")?;
    let (layer, part) = rest.split_once('.')?;
    let g = match part {
        "self_attn.q_proj.weight" => "attn_q.weight",
        "self_attn.k_proj.weight" => "attn_k.weight",
        "self_attn.v_proj.weight" => "attn_v.weight",
        "self_attn.o_proj.weight" => "attn_output.weight",
        "mlp.gate_proj.weight" => "ffn_gate.weight",
        "mlp.up_proj.weight" => "ffn_up.weight",
        "mlp.down_proj.weight" => "ffn_down.weight",
        "input_layernorm.weight" => "attn_norm.weight",
        "post_attention_layernorm.weight" => "ffn_norm.weight",
        _ => return None,
    };
    Some(format!("blk.{layer}.{g}"))
}

/// GGUF Llama tensor name → Hugging Face name.
pub fn gguf_to_hf_name(name: &str) -> Option<String> {
    let fixed = match name {
        "token_embd.weight" => Some("model.embed_tokens.weight"),
        "output_norm.weight" => Some("model.norm.weight"),
        "output.weight" => Some("lm_head.weight"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.into());
    }
    let rest = name.strip_prefix("blk.")?;
    let (layer, part) = rest.split_once('.')?;
    let h = match part {
        "attn_q.weight" => "self_attn.q_proj.weight",
        "attn_k.weight" => "self_attn.k_proj.weight",
        "attn_v.weight" => "self_attn.v_proj.weight",
        "attn_output.weight" => "self_attn.o_proj.weight",
        "ffn_gate.weight" => "mlp.gate_proj.weight",
        "ffn_up.weight" => "mlp.up_proj.weight",
        "ffn_down.weight" => "mlp.down_proj.weight",
        "attn_norm.weight" => "input_layernorm.weight",
        "ffn_norm.weight" => "post_attention_layernorm.weight",
        _ => return None,
    };
    Some(format!("model.layers.{layer}.{h}"))
}

/// HF's half-split rotary layout → GGUF's interleaved one (q and k rows).
pub fn permute_qk(w: &Tensor, n_head: usize) -> candle_core::Result<Tensor> {
    let (out, inp) = w.dims2()?;
    w.reshape((n_head, 2, out / n_head / 2, inp))?
        .transpose(1, 2)?
        .reshape((out, inp))
}

/// GGUF's interleaved rotary layout → HF's half-split one.
pub fn unpermute_qk(w: &Tensor, n_head: usize) -> candle_core::Result<Tensor> {
    let (out, inp) = w.dims2()?;
    w.reshape((n_head, out / n_head / 2, 2, inp))?
        .transpose(1, 2)?
        .reshape((out, inp))
}

fn md_u32(md: &HashMap<String, GValue>, k: &str) -> Option<u32> {
    md.get(k).and_then(|v| v.to_u32().ok())
}

fn md_f32(md: &HashMap<String, GValue>, k: &str) -> Option<f32> {
    md.get(k).and_then(|v| v.to_f32().ok())
}

/// Rewrites a GGUF file with every 2-D weight requantized to `dtype`
/// (1-D norms stay F32); metadata is copied.
pub fn requantize(src: &Path, dst: &Path, dtype: GgmlDType) -> Result<(), InferError> {
    let mut f = std::fs::File::open(src).map_err(|e| InferError::io(src, e))?;
    let content = gguf_file::Content::read(&mut f).map_err(|e| model_err(src, e))?;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors = Vec::new();
    for name in names {
        let q = content
            .tensor(&mut f, name, &Device::Cpu)
            .map_err(|e| model_err(src, e))?;
        let t = q.dequantize(&Device::Cpu).map_err(|e| model_err(src, e))?;
        let block = dtype.block_size();
        let target = if t.rank() == 2 && t.dims()[1] % block == 0 {
            dtype
        } else {
            GgmlDType::F32
        };
        let q = QTensor::quantize(&t, target).map_err(|e| model_err(src, e))?;
        tensors.push((name.clone(), q));
    }
    write_gguf(dst, &content.metadata, &tensors)
}

/// Writes a GGUF file.
pub fn write_gguf(
    dst: &Path,
    metadata: &HashMap<String, GValue>,
    tensors: &[(String, QTensor)],
) -> Result<(), InferError> {
    let mut md: Vec<(&str, &GValue)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    md.sort_by_key(|x| x.0);
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut out = std::fs::File::create(dst).map_err(|e| InferError::io(dst, e))?;
    gguf_file::write(&mut out, &md, &ts).map_err(|e| model_err(dst, e))
}

/// Derives a Hugging Face Llama directory (`config.json`,
/// `model.safetensors` in f32, `tokenizer.json`, `tokenizer_config.json`)
/// from a GGUF Llama: dequantized, renamed, q/k rows back in HF's rotary
/// layout.
pub fn gguf_to_hf_dir(src: &Path, dir: &Path) -> Result<(), InferError> {
    let mut f = std::fs::File::open(src).map_err(|e| InferError::io(src, e))?;
    let content = gguf_file::Content::read(&mut f).map_err(|e| model_err(src, e))?;
    let md = &content.metadata;
    let need = |k: &str| md_u32(md, k).ok_or_else(|| model_err(src, format!("no {k}")));
    let n_head = need("llama.attention.head_count")? as usize;
    let n_kv = md_u32(md, "llama.attention.head_count_kv").unwrap_or(n_head as u32) as usize;
    let hidden = need("llama.embedding_length")?;
    let layers = need("llama.block_count")?;
    let ff = need("llama.feed_forward_length")?;
    let ctx = md_u32(md, "llama.context_length").unwrap_or(2048);
    let eps = md_f32(md, "llama.attention.layer_norm_rms_epsilon").unwrap_or(1e-5);
    let theta = md_f32(md, "llama.rope.freq_base").unwrap_or(10_000.0);
    std::fs::create_dir_all(dir).map_err(|e| InferError::io(dir, e))?;
    let mut out: HashMap<String, Tensor> = HashMap::new();
    for name in content.tensor_infos.keys() {
        let Some(hf) = gguf_to_hf_name(name) else {
            continue;
        };
        let t = content
            .tensor(&mut f, name, &Device::Cpu)
            .and_then(|q| q.dequantize(&Device::Cpu))
            .map_err(|e| model_err(src, e))?;
        let t = if name.ends_with("attn_q.weight") {
            unpermute_qk(&t, n_head)
        } else if name.ends_with("attn_k.weight") {
            unpermute_qk(&t, n_kv)
        } else {
            Ok(t)
        }
        .map_err(|e| model_err(src, e))?;
        out.insert(hf, t);
    }
    let tied = !out.contains_key("lm_head.weight");
    let vocab = out
        .get("model.embed_tokens.weight")
        .map(|t| t.dims()[0])
        .ok_or_else(|| model_err(src, "no token_embd.weight"))?;
    let st = dir.join("model.safetensors");
    candle_core::safetensors::save(&out, &st).map_err(|e| model_err(&st, e))?;
    let bos = md_u32(md, "tokenizer.ggml.bos_token_id");
    let eos = md_u32(md, "tokenizer.ggml.eos_token_id");
    let config = json!({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": hidden, "intermediate_size": ff, "num_hidden_layers": layers,
        "num_attention_heads": n_head, "num_key_value_heads": n_kv,
        "max_position_embeddings": ctx, "rms_norm_eps": eps, "rope_theta": theta,
        "vocab_size": vocab, "tie_word_embeddings": tied,
        "bos_token_id": bos, "eos_token_id": eos,
    });
    write_json(&dir.join("config.json"), &config)?;
    let tok = tokenizer_from_metadata(md).map_err(|e| model_err(src, e))?;
    let tok_path = dir.join("tokenizer.json");
    tok.save(&tok_path, false)
        .map_err(|e| model_err(&tok_path, e))?;
    let template = md
        .get("tokenizer.chat_template")
        .and_then(|v| v.to_string().ok())
        .cloned();
    let eos_name = eos.and_then(|e| tok.id_to_token(e));
    write_json(
        &dir.join("tokenizer_config.json"),
        &json!({"chat_template": template, "eos_token": eos_name}),
    )
}

pub(crate) fn write_json(path: &Path, v: &Value) -> Result<(), InferError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| model_err(path, e))?;
    std::fs::write(path, text).map_err(|e| InferError::io(path, e))
}
