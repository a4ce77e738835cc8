//! Attention of one-token decoding steps over the KV caches, on the CPU:
//! the decoding steps of [`super::packed_llama`] for f32 caches.
//!
//! A step's query per head attends over its sequence's cached keys and
//! values, `softmax(q · Kᵀ) · V` over the sequence's own length. Through
//! candle this was a batched matmul per sequence and key/value head (the
//! `gemm` crate packing 3×64 by 64×L matrices), a mask, a softmax and a
//! second matmul: on SmolLM2-135M a sixth of a batched decoding step. Here
//! it is one pass per (sequence, head) over the cache buffer in place, and
//! a sequence's result is the same operations whatever else is in the
//! batch (nothing is padded: each reads its own length), so a sequence
//! decoded in a batch keeps the logits it gets alone.

use rayon::prelude::*;

use super::row_linear::rows_times;

/// Lanes of the softmax's partial sums.
const LANES: usize = 8;

/// The shape of the caches: `[sequences, kv_heads, capacity, head_dim]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CacheShape {
    pub sequences: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub capacity: usize,
    pub head_dim: usize,
}

/// `[sequences, heads * head_dim]`: for each sequence `s` with a query
/// (`queries[s]`, a row of `q`: `[rows, heads * head_dim]`, already scaled
/// by `1/√head_dim`), per head `h` the attention over its first `lens[s]`
/// cached keys `k` and values `v` of key/value head `h / (heads /
/// kv_heads)`; zeros for sequences without a query. Only where
/// [`super::row_linear::fma_available`] (its kernels' arithmetic).
pub(crate) fn step_attention(
    q: &[f32],
    queries: &[Option<usize>],
    lens: &[usize],
    k: &[f32],
    v: &[f32],
    shape: CacheShape,
) -> Vec<f32> {
    let width = shape.heads * shape.head_dim;
    let mut out = vec![0f32; shape.sequences * width];
    let one = |(s, out): (usize, &mut [f32])| {
        if let (Some(Some(row)), Some(&len)) = (queries.get(s), lens.get(s)) {
            let q = &q[row * width..(row + 1) * width];
            sequence(q, s, len, k, v, shape, out);
        }
    };
    if rayon::current_num_threads() <= 1 {
        out.chunks_mut(width).enumerate().for_each(one);
    } else {
        out.par_chunks_mut(width).enumerate().for_each(one);
    }
    out
}

/// Every head of sequence `s` (`len` cached positions).
fn sequence(
    q: &[f32],
    s: usize,
    len: usize,
    k: &[f32],
    v: &[f32],
    shape: CacheShape,
    out: &mut [f32],
) {
    let hd = shape.head_dim;
    let rep = shape.heads / shape.kv_heads;
    let mut scores = vec![0f32; len * rep];
    for g in 0..shape.kv_heads {
        let base = (s * shape.kv_heads + g) * shape.capacity * hd;
        let keys = &k[base..base + len * hd];
        let values = &v[base..base + len * hd];
        // the query heads of key/value head g are consecutive
        let q = &q[g * rep * hd..(g + 1) * rep * hd];
        let out = &mut out[g * rep * hd..(g + 1) * rep * hd];
        // scores[r * len + j] = key_j · q_r: the linear layers' kernel, 8
        // keys at a time against each query
        rows_times(keys, len, hd, q, &mut scores);
        // SAFETY: step_attention runs only where fma_available() holds.
        unsafe { weigh_values(&mut scores, len, values, out) };
    }
}

/// Per query `r` of a group: softmax over its scores `scores[r * len..]`
/// (in place), then `out_r = Σ_j p_j · value_j` in order of `j`.
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx2,fma"))]
unsafe fn weigh_values(scores: &mut [f32], len: usize, values: &[f32], out: &mut [f32]) {
    let rep = scores.len() / len;
    let hd = out.len() / rep;
    for row in scores.chunks_exact_mut(len) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut lanes = [0f32; LANES];
        let mut chunks = row.chunks_exact_mut(LANES);
        for chunk in &mut chunks {
            for (p, l) in chunk.iter_mut().zip(&mut lanes) {
                *p = exp_nonpositive(*p - max);
                *l += *p;
            }
        }
        let mut sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6]))
            + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
        for p in chunks.into_remainder() {
            *p = exp_nonpositive(*p - max);
            sum += *p;
        }
        let inv = 1.0 / sum;
        for p in row.iter_mut() {
            *p *= inv;
        }
    }
    out.fill(0.0);
    for (j, value) in values.chunks_exact(hd).enumerate() {
        for (r, o) in out.chunks_exact_mut(hd).enumerate() {
            let p = scores[r * len + j];
            for (o, &x) in o.iter_mut().zip(value) {
                *o = p.mul_add(x, *o);
            }
        }
    }
}

/// `eˣ` for `x ≤ 0` (a score minus the row's maximum), to about 2 units
/// in the last place: Cephes' `expf` (range reduction by ln 2 in two
/// parts, a degree-6 polynomial, the power of two put in the exponent
/// bits), branch-free so that a loop of it vectorizes; `x` below −87 gives
/// the smallest normal's neighbourhood instead of underflowing (weights
/// below 1e-38 next to the maximum's 1).
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 0.0);
    let n = (x * LOG2E + 0.5).floor();
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, x));
    let p = 1.987_569_1e-4f32
        .mul_add(r, 1.398_2e-3)
        .mul_add(r, 8.333_452e-3)
        .mul_add(r, 4.166_579_6e-2)
        .mul_add(r, 0.166_666_65)
        .mul_add(r, 0.5);
    let e = p.mul_add(r * r, r) + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    e * scale
}

#[cfg(test)]
mod tests {
    use super::super::row_linear::tests::data;
    use super::*;

    /// The textbook computation, in f64.
    fn reference(q: &[f32], keys: &[f32], values: &[f32], hd: usize) -> Vec<f64> {
        let scores: Vec<f64> = keys
            .chunks(hd)
            .map(|k| q.iter().zip(k).map(|(a, b)| *a as f64 * *b as f64).sum())
            .collect();
        let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
        let sum: f64 = e.iter().sum();
        (0..hd)
            .map(|d| {
                e.iter()
                    .zip(values.chunks(hd))
                    .map(|(p, v)| p * v[d] as f64)
                    .sum::<f64>()
                    / sum
            })
            .collect()
    }

    #[test]
    fn exp_is_within_a_few_units_in_the_last_place() {
        let mut x = 0f32;
        while x > -87.0 {
            let want = (x as f64).exp();
            let got = exp_nonpositive(x) as f64;
            assert!(
                (got - want).abs() <= want * 3e-7,
                "exp({x}) = {got}, want {want}"
            );
            x -= 0.00731;
        }
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(f32::NEG_INFINITY) < 1e-37);
    }

    #[test]
    fn heads_attend_over_their_own_length_whatever_the_batch() {
        // the kernels' arithmetic (every x86-64 CPU of the last decade)
        assert!(super::super::row_linear::fma_available());
        let shape = CacheShape {
            sequences: 3,
            heads: 6,
            kv_heads: 2,
            capacity: 40,
            head_dim: 20,
        };
        let cache = shape.sequences * shape.kv_heads * shape.capacity * shape.head_dim;
        let (k, v) = (data(cache, 1), data(cache, 2));
        let width = shape.heads * shape.head_dim;
        let q = data(4 * width, 3);
        let lens = [7, 1, 33];
        let queries = [Some(2), None, Some(0)];
        let got = step_attention(&q, &queries, &lens, &k, &v, shape);
        // the sequence without a query gets zeros
        assert!(got[width..2 * width].iter().all(|x| *x == 0.0));
        for (s, row) in [(0usize, 2usize), (2, 0)] {
            for h in 0..shape.heads {
                let base = (s * shape.kv_heads + h / 3) * shape.capacity * shape.head_dim;
                let n = lens[s] * shape.head_dim;
                let want = reference(
                    &q[row * width + h * 20..row * width + (h + 1) * 20],
                    &k[base..base + n],
                    &v[base..base + n],
                    20,
                );
                for (d, w) in want.iter().enumerate() {
                    let g = got[s * width + h * 20 + d] as f64;
                    assert!((g - w).abs() < 1e-5, "s{s} h{h} d{d}: {g} vs {w}");
                }
            }
        }
        // a sequence alone gets the same bits as in the batch
        let alone = step_attention(&q, &[None, None, Some(0)], &lens, &k, &v, shape);
        assert_eq!(alone[2 * width..], got[2 * width..]);
        // and the same bits on the caller's thread as on a pool
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let inline = pool.install(|| step_attention(&q, &queries, &lens, &k, &v, shape));
        assert_eq!(inline, got);
    }
}
