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
//! and attention alone looks at sequences: prompts (and bursts of forced
//! tokens) attend one sequence at a time over its own cache, the one-token
//! decoding steps of all sequences in one pass: on the CPU over f32 caches
//! each reads its own length of the cache in place
//! ([`super::step_attention`]), elsewhere one product over the batch's
//! caches padded at the end with masked positions, which add exact zeros.
//! A sequence's attention is the same computation whatever else is in the
//! batch.
//!
//! The weights are those of the Hugging Face layout (`model.embed_tokens`,
//! `model.layers.N.{self_attn,mlp}.*`, `model.norm`, `lm_head` or tied
//! embeddings), read from the same `VarBuilder` candle-transformers reads.
//! The caches are one preallocated `[sequences, kv_heads, capacity,
//! head_dim]` buffer per layer, written in place and grown by doubling, so
//! a decoding step copies only the new keys and values; grouped-query
//! attention groups the query heads over their key/value head instead of
//! repeating the cache.
//! Linear layers are [`super::row_linear::RowLinear`]s, so a sequence's
//! logits do not depend on what else is in the batch.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, RmsNorm, VarBuilder};
use candle_transformers::models::llama::{Config, Llama3RopeConfig, Llama3RopeType};

use super::row_linear::{ROW_KERNEL_MAX, RowLinear, fma_available};
use super::step_attention::{CacheShape, step_attention};

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
    q: RowLinear,
    k: RowLinear,
    v: RowLinear,
    o: RowLinear,
    post_norm: RmsNorm,
    gate: RowLinear,
    up: RowLinear,
    down: RowLinear,
}

/// The KV caches of a batch: per layer, keys and values of every sequence
/// in one `[sequences, kv_heads, capacity, head_dim]` buffer, of which
/// sequence `s` fills the first `lens[s]` positions.
#[derive(Default)]
struct Caches {
    layers: Vec<(Tensor, Tensor)>,
    lens: Vec<usize>,
}

impl Caches {
    fn capacity(&self) -> candle_core::Result<usize> {
        self.layers.first().map_or(Ok(0), |(k, _)| k.dim(2))
    }
}

/// What every layer's attention shares in one forward pass.
struct Plan {
    /// Inputs of one token: attended together over the whole batch's
    /// cache, right-padded to the longest (`None`: there are none).
    singles: Option<Singles>,
    /// Per input: its causal mask when it has several tokens.
    masks: Vec<Option<Tensor>>,
    /// Per input, its number of tokens (rows of the packed input).
    segments: Vec<usize>,
}

struct Singles {
    /// Per sequence of the batch, the packed row of its query, if it has
    /// a single-token input.
    queries: Vec<Option<usize>>,
    /// Per sequence, its cached positions after this pass.
    lens: Vec<usize>,
    /// `queries` as a tensor (row 0 for a sequence without a query).
    rows: Tensor,
    /// `[sequences, 1, 1, longest]`: 0 where a sequence's query sees a
    /// cached position, -inf elsewhere (position 0 alone for sequences
    /// without a query, so their discarded rows stay finite).
    mask: Tensor,
    longest: usize,
    /// Whether the inputs are exactly the batch's sequences in order (the
    /// batch's result is then the packed result as it is).
    all_in_order: bool,
}

/// The model and its per-sequence caches.
pub(crate) struct PackedLlama {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: RowLinear,
    /// Rotary tables, `[positions, head_dim / 2]`.
    cos: Tensor,
    sin: Tensor,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    dtype: DType,
    device: Device,
    caches: Caches,
}

fn linear(vb: &VarBuilder, name: &str, i: usize, o: usize) -> candle_core::Result<RowLinear> {
    Ok(RowLinear::new(vb.pp(name).get((o, i), "weight")?))
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
            RowLinear::new(embed.embeddings().clone())
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
            caches: Caches {
                layers: Vec::new(),
                lens: vec![0],
            },
        })
    }

    /// Forgets every cache; `sequences` empty ones.
    pub(crate) fn reset(&mut self, sequences: usize) {
        self.caches = Caches {
            layers: Vec::new(),
            lens: vec![0; sequences.max(1)],
        };
    }

    /// Feeds every input's tokens to its sequence; `[inputs, vocab]` f32
    /// logits after each input's last token.
    ///
    /// On the CPU, inputs longer than [`ROW_KERNEL_MAX`] tokens (prompts)
    /// each get a pass of their own: a prompt's prefill is compute-bound
    /// alone already, and packing several only adds copies of large
    /// activations.
    pub(crate) fn forward(&mut self, inputs: &[Input<'_>]) -> candle_core::Result<Tensor> {
        self.check(inputs)?;
        let long = |i: &Input<'_>| i.tokens.len() > ROW_KERNEL_MAX;
        if !self.device.is_cpu() || inputs.len() < 2 || !inputs.iter().any(long) {
            return self.forward_packed(inputs);
        }
        let short: Vec<Input<'_>> = inputs.iter().filter(|i| !long(i)).copied().collect();
        let short_rows = if short.is_empty() {
            None
        } else {
            Some(self.forward_packed(&short)?)
        };
        let mut rows = Vec::with_capacity(inputs.len());
        let mut k = 0;
        for inp in inputs {
            if long(inp) {
                rows.push(self.forward_packed(std::slice::from_ref(inp))?);
            } else if let Some(r) = short_rows.as_ref() {
                rows.push(r.narrow(0, k, 1)?);
                k += 1;
            }
        }
        Tensor::cat(&rows, 0)
    }

    /// Refuses inputs the caches cannot take.
    fn check(&self, inputs: &[Input<'_>]) -> candle_core::Result<()> {
        let positions = self.cos.dim(0)?;
        for (k, inp) in inputs.iter().enumerate() {
            let Some(&cached) = self.caches.lens.get(inp.seq) else {
                candle_core::bail!(
                    "no sequence {} in a batch of {}",
                    inp.seq,
                    self.caches.lens.len()
                );
            };
            if inp.tokens.is_empty() {
                candle_core::bail!("sequence {} has no tokens to feed", inp.seq);
            }
            if inp.pos > cached {
                candle_core::bail!(
                    "sequence {} fed at position {} but holds {cached}",
                    inp.seq,
                    inp.pos
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
        }
        Ok(())
    }

    /// One pass over all `inputs` packed together.
    fn forward_packed(&mut self, inputs: &[Input<'_>]) -> candle_core::Result<Tensor> {
        let mut ids = Vec::new();
        let mut pos = Vec::new();
        let mut last = Vec::with_capacity(inputs.len());
        for inp in inputs {
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
        let longest = inputs
            .iter()
            .map(|i| i.pos + i.tokens.len())
            .max()
            .unwrap_or(0);
        self.reserve(longest)?;
        let plan = self.plan(inputs)?;
        for l in 0..self.layers.len() {
            let h = self.layers[l].input_norm.forward(&x)?;
            let a = self.attention(l, &h, &cos, &sin, inputs, &plan)?;
            x = (a + &x)?;
            let layer = &self.layers[l];
            let h = layer.post_norm.forward(&x)?;
            let m = (candle_nn::ops::silu(&layer.gate.forward(&h, &plan.segments)?)?
                * layer.up.forward(&h, &plan.segments)?)?;
            x = (layer.down.forward(&m, &plan.segments)? + &x)?;
        }
        for inp in inputs {
            self.caches.lens[inp.seq] = inp.pos + inp.tokens.len();
        }
        let last = Tensor::new(last, &self.device)?;
        let x = self.norm.forward(&x.index_select(&last, 0)?)?;
        self.lm_head
            .forward(&x, &vec![1; inputs.len()])?
            .to_dtype(DType::F32)
    }

    /// Makes every layer's cache hold `positions` per sequence (doubling
    /// capacity, by multiples of 128).
    fn reserve(&mut self, positions: usize) -> candle_core::Result<()> {
        let cap = self.caches.capacity()?;
        if positions <= cap && !self.caches.layers.is_empty() {
            return Ok(());
        }
        let new_cap = positions.max(cap * 2).next_multiple_of(128);
        let shape = (
            self.caches.lens.len(),
            self.kv_heads,
            new_cap,
            self.head_dim,
        );
        let grow = |old: Option<&Tensor>| -> candle_core::Result<Tensor> {
            let fresh = Tensor::zeros(shape, self.dtype, &self.device)?;
            if let Some(old) = old {
                fresh.slice_set(old, 2, 0)?;
            }
            Ok(fresh)
        };
        let layers = (0..self.layers.len())
            .map(|l| {
                let old = self.caches.layers.get(l);
                Ok((grow(old.map(|o| &o.0))?, grow(old.map(|o| &o.1))?))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        self.caches.layers = layers;
        Ok(())
    }

    /// The masks and indices every layer's attention uses in this pass.
    fn plan(&self, inputs: &[Input<'_>]) -> candle_core::Result<Plan> {
        let rep = self.heads / self.kv_heads;
        let sequences = self.caches.lens.len();
        let mut masks = Vec::with_capacity(inputs.len());
        let mut row_of: Vec<Option<usize>> = vec![None; sequences];
        let mut lens = vec![0usize; sequences];
        let mut off = 0;
        for inp in inputs {
            let t = inp.tokens.len();
            let len = inp.pos + t;
            if t == 1 {
                row_of[inp.seq] = Some(off);
                lens[inp.seq] = len;
                masks.push(None);
            } else {
                // causal: token i (position pos + i) sees positions ≤ pos + i;
                // rows are token * rep + head in the group
                let mask: Vec<f32> = (0..t * rep)
                    .flat_map(|r| {
                        let limit = inp.pos + r / rep;
                        (0..len).map(move |j| if j > limit { f32::NEG_INFINITY } else { 0.0 })
                    })
                    .collect();
                masks.push(Some(Tensor::from_vec(
                    mask,
                    (1, t * rep, len),
                    &self.device,
                )?));
            }
            off += t;
        }
        let longest = lens.iter().copied().max().unwrap_or(0);
        let singles = if longest == 0 {
            None
        } else {
            let rows: Vec<u32> = row_of.iter().map(|r| r.unwrap_or(0) as u32).collect();
            let mask: Vec<f32> = lens
                .iter()
                .flat_map(|&len| {
                    (0..longest).map(move |j| {
                        if j < len.max(1) {
                            0.0
                        } else {
                            f32::NEG_INFINITY
                        }
                    })
                })
                .collect();
            let all_in_order = inputs.len() == sequences
                && inputs
                    .iter()
                    .enumerate()
                    .all(|(k, i)| i.seq == k && i.tokens.len() == 1);
            Some(Singles {
                queries: row_of,
                lens,
                rows: Tensor::new(rows, &self.device)?,
                mask: Tensor::from_vec(mask, (sequences, 1, 1, longest), &self.device)?,
                longest,
                all_in_order,
            })
        };
        Ok(Plan {
            singles,
            masks,
            segments: inputs.iter().map(|i| i.tokens.len()).collect(),
        })
    }

    /// Self-attention of layer `l` over packed `[tokens, hidden]` input:
    /// projections and rotary embeddings for all tokens at once; the
    /// new keys and values into their sequences' caches; then one
    /// attention for all single-token inputs (decoding steps) — on the CPU
    /// over f32 caches each sequence over its own length in place, else
    /// over the batch's cache right-padded to the longest sequence and
    /// masked (the same terms in the same order plus exact zeros) — and one
    /// per sequence for inputs of several tokens (prompts, forced tokens),
    /// so a sequence's attention does not depend on the batch.
    fn attention(
        &mut self,
        l: usize,
        h: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        inputs: &[Input<'_>],
        plan: &Plan,
    ) -> candle_core::Result<Tensor> {
        let segments = &plan.segments;
        let (n, hd, heads, kvh) = (h.dim(0)?, self.head_dim, self.heads, self.kv_heads);
        let rep = heads / kvh;
        let sequences = self.caches.lens.len();
        let layer = &self.layers[l];
        // [tokens, heads, 1, head_dim]: rotary embeddings with each
        // token's position (its row of `cos` / `sin`).
        let q = layer.q.forward(h, segments)?.reshape((n, heads, 1, hd))?;
        let k = layer.k.forward(h, segments)?.reshape((n, kvh, 1, hd))?;
        let v = layer.v.forward(h, segments)?.reshape((n, kvh, hd))?;
        let q = candle_nn::rotary_emb::rope(&q, cos, sin)?;
        let k = candle_nn::rotary_emb::rope(&k, cos, sin)?
            .reshape((n, kvh, hd))?
            .to_dtype(self.dtype)?;
        let v = v.to_dtype(self.dtype)?;
        let q = (q.to_dtype(DType::F32)? * (1.0 / (hd as f64).sqrt()))?;
        let Some((kc, vc)) = self.caches.layers.get(l) else {
            candle_core::bail!("no cache for layer {l}");
        };
        // this pass's keys and values, [kv_heads, t, head_dim] per input,
        // at their positions
        let mut off = 0;
        for inp in inputs {
            let t = inp.tokens.len();
            let (kt, vt) = if t == 1 {
                (
                    k.narrow(0, off, 1)?.reshape((kvh, 1, hd))?,
                    v.narrow(0, off, 1)?.reshape((kvh, 1, hd))?,
                )
            } else {
                (
                    k.narrow(0, off, t)?.transpose(0, 1)?.contiguous()?,
                    v.narrow(0, off, t)?.transpose(0, 1)?.contiguous()?,
                )
            };
            kc.get(inp.seq)?.slice_set(&kt, 1, inp.pos)?;
            vc.get(inp.seq)?.slice_set(&vt, 1, inp.pos)?;
            off += t;
        }
        let f32_view = |t: Tensor| -> candle_core::Result<Tensor> {
            let t = t.to_dtype(DType::F32)?;
            if self.device.is_cpu() {
                Ok(t)
            } else {
                t.contiguous()
            }
        };
        // all single-token inputs at once: [sequences, kv_heads, rep, hd]
        let batched = match &plan.singles {
            Some(s) if self.device.is_cpu() && self.dtype == DType::F32 && fma_available() => {
                Some(cpu_steps(&q, kc, vc, s, heads)?)
            }
            Some(s) => {
                let qb = q
                    .reshape((n, heads * hd))?
                    .index_select(&s.rows, 0)?
                    .reshape((sequences, kvh, rep, hd))?;
                let kb = f32_view(kc.narrow(2, 0, s.longest)?)?;
                let vb = f32_view(vc.narrow(2, 0, s.longest)?)?;
                let att = qb.matmul(&kb.t()?)?.broadcast_add(&s.mask)?;
                let att = candle_nn::ops::softmax_last_dim(&att)?;
                Some(att.matmul(&vb)?.reshape((sequences, heads * hd))?)
            }
            None => None,
        };
        if let (Some(b), Some(s)) = (&batched, &plan.singles)
            && s.all_in_order
        {
            return self.layers[l].o.forward(&b.to_dtype(self.dtype)?, segments);
        }
        let mut ys = Vec::with_capacity(inputs.len());
        let mut off = 0;
        for (inp, mask) in inputs.iter().zip(&plan.masks) {
            let t = inp.tokens.len();
            let y = match (mask, &batched) {
                (None, Some(b)) => b.narrow(0, inp.seq, 1)?,
                (None, None) => candle_core::bail!("single-token input without a plan"),
                (Some(mask), _) => {
                    let len = inp.pos + t;
                    let ks = f32_view(kc.get(inp.seq)?.narrow(1, 0, len)?)?;
                    let vs = f32_view(vc.get(inp.seq)?.narrow(1, 0, len)?)?;
                    // queries grouped over their key/value head: [kv_heads,
                    // t * rep, head_dim], row = token * rep + head in the group
                    let qi = q
                        .narrow(0, off, t)?
                        .reshape((t, kvh, rep, hd))?
                        .transpose(0, 1)?
                        .contiguous()?
                        .reshape((kvh, t * rep, hd))?;
                    let att = qi.matmul(&ks.t()?)?.broadcast_add(mask)?;
                    let att = candle_nn::ops::softmax_last_dim(&att)?;
                    att.matmul(&vs)?
                        .reshape((kvh, t, rep, hd))?
                        .transpose(0, 1)?
                        .contiguous()?
                        .reshape((t, heads * hd))?
                }
            };
            ys.push(y);
            off += t;
        }
        let y = Tensor::cat(&ys, 0)?;
        self.layers[l].o.forward(&y.to_dtype(self.dtype)?, segments)
    }
}

/// The `len` f32 values of a contiguous CPU cache buffer.
fn cache_slice<'a>(
    storage: &'a candle_core::Storage,
    layout: &candle_core::Layout,
    len: usize,
) -> candle_core::Result<&'a [f32]> {
    match storage {
        candle_core::Storage::Cpu(c) if layout.is_contiguous() => {
            let o = layout.start_offset();
            c.as_slice::<f32>()?
                .get(o..o + len)
                .ok_or_else(|| candle_core::Error::Msg("KV cache storage too short".into()))
        }
        _ => candle_core::bail!("decoding attention: the KV cache is not a CPU buffer"),
    }
}

/// The decoding steps' attention on the CPU, over the f32 caches in place
/// ([`step_attention`]): `[sequences, heads * head_dim]`.
fn cpu_steps(
    q: &Tensor,
    kc: &Tensor,
    vc: &Tensor,
    s: &Singles,
    heads: usize,
) -> candle_core::Result<Tensor> {
    let (sequences, kv_heads, capacity, head_dim) = kc.dims4()?;
    let q: Vec<f32> = q.flatten_all()?.to_vec1()?;
    let (ks, kl) = kc.storage_and_layout();
    let (vs, vl) = vc.storage_and_layout();
    let len = sequences * kv_heads * capacity * head_dim;
    let slice = |st, layout| cache_slice(st, layout, len);
    let shape = CacheShape {
        sequences,
        heads,
        kv_heads,
        capacity,
        head_dim,
    };
    let out = step_attention(
        &q,
        &s.queries,
        &s.lens,
        slice(&ks, kl)?,
        slice(&vs, vl)?,
        shape,
    );
    drop((ks, vs));
    Tensor::from_vec(out, (sequences, heads * head_dim), &Device::Cpu)
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
