//! A Llama decoder (Llama-2/3, CodeLlama, DeepSeek-Coder, SmolLM2) that
//! runs several sequences in one forward pass, each with its own KV cache:
//! the batched generation of [`crate::decode_batch`] (and, with one
//! sequence, the plain decoding loop).
//!
//! candle-transformers' `llama::Llama` has one cache with one position for
//! the whole batch and only a causal mask, so prompts of different lengths
//! could only be batched with left padding, a padding mask and per-row
//! positions. Here the sequences are *packed* instead: the new tokens of
//! every sequence (a whole prompt, or one sampled token plus any tokens a
//! grammar forced) are concatenated into one `[tokens, hidden]` matrix for
//! everything that works token by token — embeddings, norms, the q/k/v/o
//! projections, the MLP, rotary embeddings with each token's own position —
//! and attention alone runs per sequence, over that sequence's cache. No
//! padding is computed or masked, and a sequence's attention is the same
//! computation whatever else is in the batch.
//!
//! The weights are those of the Hugging Face layout (`model.embed_tokens`,
//! `model.layers.N.{self_attn,mlp}.*`, `model.norm`, `lm_head` or tied
//! embeddings), read from the same `VarBuilder` candle-transformers reads.
//! Each cache is one preallocated `[kv_heads, capacity, head_dim]` buffer
//! per layer, written in place and grown by doubling, so a decoding step
//! copies only the new keys and values; grouped-query attention groups the
//! query heads over their key/value head instead of repeating the cache.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, Linear, RmsNorm, VarBuilder};
use candle_transformers::models::llama::{Config, Llama3RopeConfig, Llama3RopeType};

/// One sequence's new tokens for a forward pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    /// Its cache.
    pub seq: usize,
    /// The tokens.
    pub tokens: &'a [u32],
    /// The position of the first (tokens cached before it).
    pub pos: usize,
}

struct Layer {
    input_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    post_norm: RmsNorm,
    gate: Linear,
    up: Linear,
    down: Linear,
}

/// One sequence's keys and values per layer: `[kv_heads, capacity,
/// head_dim]` buffers of which the first `len` positions are filled.
#[derive(Default)]
struct SeqCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
}

/// The model and its per-sequence caches.
pub(crate) struct PackedLlama {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: Linear,
    /// Rotary tables, `[positions, head_dim / 2]`.
    cos: Tensor,
    sin: Tensor,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    dtype: DType,
    device: Device,
    caches: Vec<SeqCache>,
}

fn linear(vb: &VarBuilder, name: &str, i: usize, o: usize) -> candle_core::Result<Linear> {
    candle_nn::linear_no_bias(i, o, vb.pp(name))
}

/// The rotary frequencies, with Llama-3's scaling when the config has it
/// (as candle-transformers computes them).
fn inv_freq(cfg: &Config, head_dim: usize) -> Vec<f32> {
    let base: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1f32 / cfg.rope_theta.powf(i as f32 / head_dim as f32))
        .collect();
    match &cfg.rope_scaling {
        None
        | Some(Llama3RopeConfig {
            rope_type: Llama3RopeType::Default,
            ..
        }) => base,
        Some(s) => {
            let low = s.original_max_position_embeddings as f32 / s.low_freq_factor;
            let high = s.original_max_position_embeddings as f32 / s.high_freq_factor;
            base.into_iter()
                .map(|freq| {
                    let wavelen = 2. * std::f32::consts::PI / freq;
                    if wavelen < high {
                        freq
                    } else if wavelen > low {
                        freq / s.factor
                    } else {
                        let smooth = (s.original_max_position_embeddings as f32 / wavelen
                            - s.low_freq_factor)
                            / (s.high_freq_factor - s.low_freq_factor);
                        (1. - smooth) * freq / s.factor + smooth * freq
                    }
                })
                .collect()
        }
    }
}

impl PackedLlama {
    /// Reads the weights of `cfg`'s shape from `vb`.
    pub(crate) fn load(vb: VarBuilder, cfg: &Config) -> candle_core::Result<Self> {
        let (h, heads, kv_heads) = (
            cfg.hidden_size,
            cfg.num_attention_heads,
            cfg.num_key_value_heads,
        );
        if heads == 0 || kv_heads == 0 || h % heads != 0 || heads % kv_heads != 0 {
            candle_core::bail!(
                "hidden_size {h}, num_attention_heads {heads} and num_key_value_heads {kv_heads} do not divide"
            );
        }
        let head_dim = h / heads;
        let embed = candle_nn::embedding(cfg.vocab_size, h, vb.pp("model.embed_tokens"))?;
        let lm_head = if cfg.tie_word_embeddings {
            Linear::new(embed.embeddings().clone(), None)
        } else {
            linear(&vb, "lm_head", h, cfg.vocab_size)?
        };
        let norm = candle_nn::rms_norm(h, cfg.rms_norm_eps, vb.pp("model.norm"))?;
        let (qd, kvd, inter) = (heads * head_dim, kv_heads * head_dim, cfg.intermediate_size);
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| {
                let vb = vb.pp(format!("model.layers.{i}"));
                let (a, m) = (vb.pp("self_attn"), vb.pp("mlp"));
                Ok(Layer {
                    input_norm: candle_nn::rms_norm(h, cfg.rms_norm_eps, vb.pp("input_layernorm"))?,
                    q: linear(&a, "q_proj", h, qd)?,
                    k: linear(&a, "k_proj", h, kvd)?,
                    v: linear(&a, "v_proj", h, kvd)?,
                    o: linear(&a, "o_proj", qd, h)?,
                    post_norm: candle_nn::rms_norm(
                        h,
                        cfg.rms_norm_eps,
                        vb.pp("post_attention_layernorm"),
                    )?,
                    gate: linear(&m, "gate_proj", h, inter)?,
                    up: linear(&m, "up_proj", h, inter)?,
                    down: linear(&m, "down_proj", inter, h)?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let device = vb.device().clone();
        let theta = inv_freq(cfg, head_dim);
        let n_theta = theta.len();
        let theta = Tensor::new(theta, &device)?;
        let positions = cfg.max_position_embeddings.max(1);
        let idx_theta = Tensor::arange(0, positions as u32, &device)?
            .to_dtype(DType::F32)?
            .reshape((positions, 1))?
            .matmul(&theta.reshape((1, n_theta))?)?;
        let dtype = vb.dtype();
        Ok(PackedLlama {
            embed,
            layers,
            norm,
            lm_head,
            cos: idx_theta.cos()?.to_dtype(dtype)?,
            sin: idx_theta.sin()?.to_dtype(dtype)?,
            heads,
            kv_heads,
            head_dim,
            dtype,
            device,
            caches: vec![SeqCache::default()],
        })
    }

    /// Forgets every cache; `sequences` empty ones.
    pub(crate) fn reset(&mut self, sequences: usize) {
        self.caches.clear();
        self.caches.resize_with(sequences.max(1), SeqCache::default);
    }

    /// Feeds every input's tokens to its sequence; `[inputs, vocab]` f32
    /// logits after each input's last token.
    pub(crate) fn forward(&mut self, inputs: &[Input<'_>]) -> candle_core::Result<Tensor> {
        let positions = self.cos.dim(0)?;
        let mut ids = Vec::new();
        let mut pos = Vec::new();
        let mut last = Vec::with_capacity(inputs.len());
        for (k, inp) in inputs.iter().enumerate() {
            let Some(cache) = self.caches.get(inp.seq) else {
                candle_core::bail!(
                    "no sequence {} in a batch of {}",
                    inp.seq,
                    self.caches.len()
                );
            };
            if inp.tokens.is_empty() {
                candle_core::bail!("sequence {} has no tokens to feed", inp.seq);
            }
            if inp.pos > cache.len {
                candle_core::bail!(
                    "sequence {} fed at position {} but holds {}",
                    inp.seq,
                    inp.pos,
                    cache.len
                );
            }
            if inputs[..k].iter().any(|o| o.seq == inp.seq) {
                candle_core::bail!("sequence {} fed twice in one pass", inp.seq);
            }
            if inp.pos + inp.tokens.len() > positions {
                candle_core::bail!(
                    "sequence {} reaches position {}, beyond the model's {positions}",
                    inp.seq,
                    inp.pos + inp.tokens.len()
                );
            }
            ids.extend_from_slice(inp.tokens);
            pos.extend((inp.pos..inp.pos + inp.tokens.len()).map(|p| p as u32));
            last.push((ids.len() - 1) as u32);
        }
        let n = ids.len();
        let half = self.head_dim / 2;
        let pos = Tensor::new(pos, &self.device)?;
        let cos = self.cos.index_select(&pos, 0)?.reshape((n, 1, half))?;
        let sin = self.sin.index_select(&pos, 0)?.reshape((n, 1, half))?;
        let mut x = self.embed.forward(&Tensor::new(ids, &self.device)?)?;
        for l in 0..self.layers.len() {
            let h = self.layers[l].input_norm.forward(&x)?;
            let a = self.attention(l, &h, &cos, &sin, inputs)?;
            x = (a + &x)?;
            let layer = &self.layers[l];
            let h = layer.post_norm.forward(&x)?;
            let m = (candle_nn::ops::silu(&layer.gate.forward(&h)?)? * layer.up.forward(&h)?)?;
            x = (layer.down.forward(&m)? + &x)?;
        }
        let last = Tensor::new(last, &self.device)?;
        let x = self.norm.forward(&x.index_select(&last, 0)?)?;
        self.lm_head.forward(&x)?.to_dtype(DType::F32)
    }

    /// Self-attention of layer `l` over packed `[tokens, hidden]` input:
    /// projections and rotary embeddings for all tokens at once, attention
    /// per sequence over its cache.
    fn attention(
        &mut self,
        l: usize,
        h: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        inputs: &[Input<'_>],
    ) -> candle_core::Result<Tensor> {
        let (n, hd, heads, kvh) = (h.dim(0)?, self.head_dim, self.heads, self.kv_heads);
        let rep = heads / kvh;
        let layer = &self.layers[l];
        // [tokens, heads, 1, head_dim]: rotary embeddings with each
        // token's position (its row of `cos` / `sin`).
        let q = layer.q.forward(h)?.reshape((n, heads, 1, hd))?;
        let k = layer.k.forward(h)?.reshape((n, kvh, 1, hd))?;
        let v = layer.v.forward(h)?.reshape((n, kvh, hd))?;
        let q = candle_nn::rotary_emb::rope(&q, cos, sin)?;
        let k = candle_nn::rotary_emb::rope(&k, cos, sin)?.reshape((n, kvh, hd))?;
        let q = (q.to_dtype(DType::F32)? * (1.0 / (hd as f64).sqrt()))?;
        let cpu = self.device.is_cpu();
        let mut ys = Vec::with_capacity(inputs.len());
        let mut off = 0;
        for inp in inputs {
            let t = inp.tokens.len();
            let len = inp.pos + t;
            // This sequence's keys and values, [kv_heads, t, head_dim],
            // into its cache.
            let kt = k.narrow(0, off, t)?.transpose(0, 1)?.contiguous()?;
            let vt = v.narrow(0, off, t)?.transpose(0, 1)?.contiguous()?;
            let (kc, vc) = self.cache_append(inp.seq, l, &kt, &vt, inp.pos)?;
            let (kc, vc) = (kc.to_dtype(DType::F32)?, vc.to_dtype(DType::F32)?);
            let (kc, vc) = if cpu {
                (kc, vc)
            } else {
                (kc.contiguous()?, vc.contiguous()?)
            };
            // Queries grouped over their key/value head: [kv_heads,
            // t * rep, head_dim], row = token * rep + head in the group.
            let qi = q.narrow(0, off, t)?.reshape((t, kvh, rep, hd))?;
            let qi = if t == 1 {
                qi.reshape((kvh, rep, hd))?
            } else {
                qi.transpose(0, 1)?
                    .contiguous()?
                    .reshape((kvh, t * rep, hd))?
            };
            let att = qi.matmul(&kc.t()?)?;
            let att = if t > 1 {
                // causal: token i (position pos + i) sees positions ≤ pos + i
                let mask: Vec<f32> = (0..t * rep)
                    .flat_map(|r| {
                        let limit = inp.pos + r / rep;
                        (0..len).map(move |j| if j > limit { f32::NEG_INFINITY } else { 0.0 })
                    })
                    .collect();
                let mask = Tensor::from_vec(mask, (1, t * rep, len), &self.device)?;
                att.broadcast_add(&mask)?
            } else {
                att
            };
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&vc)?;
            let y = if t == 1 {
                y.reshape((1, heads * hd))?
            } else {
                y.reshape((kvh, t, rep, hd))?
                    .transpose(0, 1)?
                    .contiguous()?
                    .reshape((t, heads * hd))?
            };
            ys.push(y);
            off += t;
        }
        let y = Tensor::cat(&ys, 0)?;
        self.layers[l].o.forward(&y.to_dtype(self.dtype)?)
    }

    /// Writes `[kv_heads, t, head_dim]` keys and values at `pos` in layer
    /// `l` of sequence `seq`'s cache (growing it when full); views of the
    /// `pos + t` positions it then holds.
    fn cache_append(
        &mut self,
        seq: usize,
        l: usize,
        k: &Tensor,
        v: &Tensor,
        pos: usize,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (kvh, t, hd) = k.dims3()?;
        let layers = self.layers.len();
        let (dtype, device) = (self.dtype, self.device.clone());
        let Some(cache) = self.caches.get_mut(seq) else {
            candle_core::bail!("no sequence {seq}");
        };
        cache.layers.resize_with(layers, || None);
        let len = pos + t;
        let slot = &mut cache.layers[l];
        let cap = slot.as_ref().map_or(Ok(0), |(kc, _)| kc.dim(1))?;
        if len > cap {
            let new_cap = len.max(cap * 2).next_multiple_of(128);
            let grow = |old: Option<&Tensor>| -> candle_core::Result<Tensor> {
                let fresh = Tensor::zeros((kvh, new_cap, hd), dtype, &device)?;
                if let Some(old) = old
                    && pos > 0
                {
                    fresh.slice_set(&old.narrow(1, 0, pos)?.contiguous()?, 1, 0)?;
                }
                Ok(fresh)
            };
            let (kc, vc) = match slot.take() {
                Some((kc, vc)) => (grow(Some(&kc))?, grow(Some(&vc))?),
                None => (grow(None)?, grow(None)?),
            };
            *slot = Some((kc, vc));
        }
        let Some((kc, vc)) = slot.as_ref() else {
            candle_core::bail!("cache of layer {l} not allocated");
        };
        kc.slice_set(&k.to_dtype(dtype)?, 1, pos)?;
        vc.slice_set(&v.to_dtype(dtype)?, 1, pos)?;
        if l + 1 == layers {
            cache.len = len;
        }
        Ok((kc.narrow(1, 0, len)?, vc.narrow(1, 0, len)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_transformers::models::llama;

    #[test]
    fn rotary_frequencies_without_scaling_are_the_default() {
        let cfg = llama::Config::config_7b_v2(false);
        let f = inv_freq(&cfg, 128);
        assert_eq!(f.len(), 64);
        assert_eq!(f[0], 1.0);
        assert!(f.windows(2).all(|w| w[1] < w[0]));
    }

    /// The packed forward is a Llama: on the tiny fixture it gives
    /// candle-transformers' logits, for a prompt and then for decoding
    /// steps, alone and packed beside other sequences.
    #[test]
    fn logits_match_candle_transformers_llama() {
        let tmp = tempfile::tempdir().unwrap();
        let m = super::super::fixture::write_tiny_llama(tmp.path(), &Default::default()).unwrap();
        let text = std::fs::read_to_string(m.dir.join("config.json")).unwrap();
        let c: llama::LlamaConfig = serde_json::from_str(&text).unwrap();
        let cfg = c.into_config(false);
        let dev = Device::Cpu;
        let weights =
            candle_core::safetensors::load(m.dir.join("model.safetensors"), &dev).unwrap();
        let vb = VarBuilder::from_tensors(weights, DType::F32, &dev);
        let reference = llama::Llama::load(vb.clone(), &cfg).unwrap();
        let mut cache = llama::Cache::new(true, DType::F32, &cfg, &dev).unwrap();
        let mut ours = PackedLlama::load(vb, &cfg).unwrap();
        let prompt: Vec<u32> = (10..47).collect();
        let other: Vec<u32> = (100..105).collect();
        let close = |a: &Tensor, b: &Tensor| {
            let d = (a - b).unwrap().abs().unwrap().max_all().unwrap();
            d.to_scalar::<f32>().unwrap()
        };
        ours.reset(2);
        let want = reference
            .forward(
                &Tensor::new(prompt.as_slice(), &dev)
                    .unwrap()
                    .unsqueeze(0)
                    .unwrap(),
                0,
                &mut cache,
            )
            .unwrap();
        let got = ours
            .forward(&[
                Input {
                    seq: 1,
                    tokens: &other,
                    pos: 0,
                },
                Input {
                    seq: 0,
                    tokens: &prompt,
                    pos: 0,
                },
            ])
            .unwrap();
        assert_eq!(got.dims(), &[2, cfg.vocab_size]);
        assert!(close(&got.narrow(0, 1, 1).unwrap(), &want) < 1e-4);
        let mut pos = prompt.len();
        let mut pos_other = other.len();
        for tok in [3u32, 77, 200, 5] {
            let want = reference
                .forward(
                    &Tensor::new(&[tok], &dev).unwrap().unsqueeze(0).unwrap(),
                    pos,
                    &mut cache,
                )
                .unwrap();
            let got = ours
                .forward(&[
                    Input {
                        seq: 0,
                        tokens: &[tok],
                        pos,
                    },
                    Input {
                        seq: 1,
                        tokens: &[tok, tok],
                        pos: pos_other,
                    },
                ])
                .unwrap();
            assert!(close(&got.narrow(0, 0, 1).unwrap(), &want) < 1e-4);
            pos += 1;
            pos_other += 2;
        }
        // inputs that do not fit are errors, not panics
        assert!(
            ours.forward(&[Input {
                seq: 5,
                tokens: &[1],
                pos: 0
            }])
            .is_err()
        );
        assert!(
            ours.forward(&[Input {
                seq: 0,
                tokens: &[1],
                pos: pos + 3
            }])
            .is_err()
        );
        assert!(
            ours.forward(&[Input {
                seq: 0,
                tokens: &[],
                pos
            }])
            .is_err()
        );
    }
}
