//! Linear layers of [`super::packed_llama`]: `x · Wᵀ` with a CPU kernel for
//! the few rows of a decoding step, candle's matmul for prompts and on
//! GPUs.
//!
//! A batched decoding step multiplies each weight matrix by one row per
//! sequence. candle's CPU matmul (the `gemm` crate) takes a matrix-vector
//! path for one row and a blocked kernel for several, which on a 2-core
//! VM made 8 rows cost ~5× one row (SmolLM2-135M: 118 ms against 23 ms per
//! pass of the layers' weights) — too little of the weights' memory
//! traffic was shared. The row kernel here reads each weight row from
//! memory once for all the input rows (blocks of a few weight rows kept in
//! L1 while blocks of input rows pass over them, 8-lane fused multiply-add
//! accumulators), split over candle's thread pool by output features.
//!
//! It also makes a row's result independent of the other rows: every
//! output element is the same sequence of operations (8-lane chunks in
//! order, a fixed reduction, the tail) whatever the number of rows, so a
//! sequence decoded in a batch gets bit for bit the logits it gets alone.
//! Inputs longer than [`ROW_KERNEL_MAX`] rows (prompts) go through candle's
//! matmul one sequence at a time, which likewise does not depend on the
//! batch.

use candle_core::{DType, Device, Result, Tensor};
use rayon::prelude::*;

/// Sequences feeding more rows than this in one pass (prompts) use
/// candle's matmul; fewer (decoding steps, forced tokens) the row kernel.
pub(crate) const ROW_KERNEL_MAX: usize = 16;

/// Lanes per accumulator.
const LANES: usize = 8;

/// How far ahead of the multiply-adds the weight rows are prefetched
/// (floats: 1.5 KiB): 8–10% off SmolLM2's 8-row decoding step here, where
/// the hardware prefetcher alone let the weights' stream stall the
/// multiply-adds.
const PREFETCH_AHEAD: usize = 384;

/// A linear layer without bias: weight `[out, in]`.
pub(crate) struct RowLinear {
    weight: Tensor,
    /// Whether the row kernel runs (CPU, f32 weights, fused multiply-add).
    rows: bool,
}

impl RowLinear {
    pub(crate) fn new(weight: Tensor) -> Self {
        let rows = matches!(weight.device(), Device::Cpu)
            && weight.dtype() == DType::F32
            && weight.is_contiguous()
            && weight.rank() == 2
            && fma_available();
        RowLinear { weight, rows }
    }

    /// `x · Wᵀ` for `x` of `[rows, in]`, whose rows are the consecutive
    /// inputs of sequences of `segments` rows each.
    pub(crate) fn forward(&self, x: &Tensor, segments: &[usize]) -> Result<Tensor> {
        if !self.rows {
            return x.matmul(&self.weight.t()?);
        }
        let mut pieces = Vec::new();
        let (mut start, mut run) = (0usize, 0usize);
        for &t in segments {
            if t <= ROW_KERNEL_MAX {
                run += t;
                continue;
            }
            if run > 0 {
                pieces.push(self.rows_kernel(&x.narrow(0, start, run)?)?);
                start += run;
                run = 0;
            }
            pieces.push(x.narrow(0, start, t)?.matmul(&self.weight.t()?)?);
            start += t;
        }
        if run > 0 {
            pieces.push(self.rows_kernel(&x.narrow(0, start, run)?)?);
        }
        Tensor::cat(&pieces, 0)
    }

    fn rows_kernel(&self, x: &Tensor) -> Result<Tensor> {
        let (m, k) = x.dims2()?;
        let (n, wk) = self.weight.dims2()?;
        if wk != k {
            candle_core::bail!("linear: input width {k}, weight width {wk}");
        }
        let xv: Vec<f32> = x.contiguous()?.flatten_all()?.to_vec1()?;
        let (storage, layout) = self.weight.storage_and_layout();
        let w = match &*storage {
            candle_core::Storage::Cpu(s) => {
                let all = s.as_slice::<f32>()?;
                let o = layout.start_offset();
                all.get(o..o + n * k).ok_or_else(|| {
                    candle_core::Error::Msg("linear: weight storage too short".into())
                })?
            }
            _ => candle_core::bail!("linear: the row kernel runs on the CPU"),
        };
        // out_t[j * m + i] = x_i · w_j, weight rows split over the pool;
        // with a pool of one thread the caller runs it (handing each layer
        // to the pool's one worker and waiting cost two thread switches)
        let mut out_t = vec![0f32; n * m];
        if rayon::current_num_threads() <= 1 {
            rows_times(&xv, m, k, w, &mut out_t);
        } else {
            let per_task = (n / (rayon::current_num_threads() * 4)).clamp(16, 1024);
            out_t
                .par_chunks_mut(per_task * m)
                .zip(w.par_chunks(per_task * k))
                .for_each(|(out, w)| rows_times(&xv, m, k, w, out));
        }
        drop(storage);
        Tensor::from_vec(out_t, (n, m), x.device())?
            .t()?
            .contiguous()
    }
}

/// Whether this CPU has fused multiply-add (the kernel's arithmetic).
pub(crate) fn fma_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(target_arch = "aarch64")]
    {
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// `out[j * m + i] = x_i · w_j` for the weight rows `w` (`k` wide): blocks
/// of up to 8 input rows against 1–4 weight rows (more weight rows for
/// fewer input rows, so one row still keeps several multiply-add chains
/// in flight); each block of weight rows is read from memory once, and
/// stays in L1 while every block of input rows passes over it. (Blocks of
/// 4 input rows against 2 or 3 weight rows, fewer loads per multiply-add
/// on paper, made SmolLM2's 8-row decoding step 30–45% slower here.)
pub(crate) fn rows_times(x: &[f32], m: usize, k: usize, w: &[f32], out: &mut [f32]) {
    let n = w.len() / k;
    let (rows_per, weights_per) = match m {
        1 | 2 => (m, 4),
        3 | 4 => (m, 2),
        _ => (8, 1),
    };
    let mut j = 0;
    while j < n {
        let c = (n - j).min(weights_per);
        let ws = &w[j * k..(j + c) * k];
        let mut i = 0;
        while i < m {
            let r = (m - i).min(rows_per);
            let xs = &x[i * k..(i + r) * k];
            let at = Block { m, i, j };
            // c is at most weights_per: each wildcard is the block's widest
            match (r, c) {
                (1, 1) => dots::<1, 1>(xs, k, ws, out, at),
                (1, 2) => dots::<1, 2>(xs, k, ws, out, at),
                (1, 3) => dots::<1, 3>(xs, k, ws, out, at),
                (1, _) => dots::<1, 4>(xs, k, ws, out, at),
                (2, 1) => dots::<2, 1>(xs, k, ws, out, at),
                (2, 2) => dots::<2, 2>(xs, k, ws, out, at),
                (2, 3) => dots::<2, 3>(xs, k, ws, out, at),
                (2, _) => dots::<2, 4>(xs, k, ws, out, at),
                (3, 1) => dots::<3, 1>(xs, k, ws, out, at),
                (3, _) => dots::<3, 2>(xs, k, ws, out, at),
                (4, 1) => dots::<4, 1>(xs, k, ws, out, at),
                (4, _) => dots::<4, 2>(xs, k, ws, out, at),
                (5, _) => dots::<5, 1>(xs, k, ws, out, at),
                (6, _) => dots::<6, 1>(xs, k, ws, out, at),
                (7, _) => dots::<7, 1>(xs, k, ws, out, at),
                _ => dots::<8, 1>(xs, k, ws, out, at),
            }
            i += r;
        }
        j += c;
    }
}

/// Where a block's results go in `out[j * m + i]`.
#[derive(Clone, Copy)]
struct Block {
    m: usize,
    i: usize,
    j: usize,
}

/// `out[(j + c) * m + i + r] = x_r · w_c` for `R` rows of `x` and `C`
/// rows of `w` (each `k` wide): every result is the same operations
/// whatever `R` and `C` are (its own 8-lane accumulator over the chunks in
/// order, a fixed reduction of the lanes, then the tail in order).
#[inline(always)]
fn dots<const R: usize, const C: usize>(
    x: &[f32],
    k: usize,
    w: &[f32],
    out: &mut [f32],
    at: Block,
) {
    let body = k - k % LANES;
    let mut acc = [[[0f32; LANES]; C]; R];
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RowLinear runs the kernel only where fma_available()
        // found AVX2 and FMA; x holds R rows of k, w C rows of k.
        unsafe { lanes_avx2::<R, C>(x, k, w, body, &mut acc) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for c in (0..body).step_by(LANES) {
        for (r, row) in acc.iter_mut().enumerate() {
            for (cj, a) in row.iter_mut().enumerate() {
                for l in 0..LANES {
                    a[l] = x[r * k + c + l].mul_add(w[cj * k + c + l], a[l]);
                }
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (cj, a) in row.iter().enumerate() {
            let mut s = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
            for c in body..k {
                s = x[r * k + c].mul_add(w[cj * k + c], s);
            }
            out[(at.j + cj) * at.m + at.i + r] = s;
        }
    }
}

/// The 8-lane multiply-adds of [`dots`] over `0..body` with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn lanes_avx2<const R: usize, const C: usize>(
    x: &[f32],
    k: usize,
    w: &[f32],
    body: usize,
    acc: &mut [[[f32; LANES]; C]; R],
) {
    use std::arch::x86_64::*;
    debug_assert!(x.len() >= R * k && w.len() >= C * k && body <= k);
    let mut v = [[_mm256_setzero_ps(); C]; R];
    let (xp, wp) = (x.as_ptr(), w.as_ptr());
    let mut c = 0;
    while c < body {
        // SAFETY: c + 8 <= body <= k: inside row r < R of x and row
        // cj < C of w.
        unsafe {
            // one prefetch per 64-byte line of each weight row (a hint,
            // which never faults: past a row's end it fetches the next row)
            if c % 16 == 0 {
                for cj in 0..C {
                    _mm_prefetch::<_MM_HINT_T0>(
                        wp.wrapping_add(cj * k + c + PREFETCH_AHEAD) as *const i8
                    );
                }
            }
            let mut wv = [_mm256_setzero_ps(); C];
            for (cj, wv) in wv.iter_mut().enumerate() {
                *wv = _mm256_loadu_ps(wp.add(cj * k + c));
            }
            for (r, row) in v.iter_mut().enumerate() {
                let xv = _mm256_loadu_ps(xp.add(r * k + c));
                for (a, wv) in row.iter_mut().zip(&wv) {
                    *a = _mm256_fmadd_ps(xv, *wv, *a);
                }
            }
        }
        c += LANES;
    }
    for (row, out) in v.iter().zip(acc.iter_mut()) {
        for (a, o) in row.iter().zip(out.iter_mut()) {
            // SAFETY: o holds 8 floats.
            unsafe { _mm256_storeu_ps(o.as_mut_ptr(), *a) };
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `n` deterministic values in [-1, 1) (a hash of the index and `seed`).
    pub(crate) fn data(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f32 / 500.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn rows_match_matmul_and_do_not_depend_on_the_batch() {
        let (m, k, n) = (20, 77, 40);
        let x = Tensor::from_vec(data(m * k, 1), (m, k), &Device::Cpu).unwrap();
        let w = Tensor::from_vec(data(n * k, 2), (n, k), &Device::Cpu).unwrap();
        let lin = RowLinear::new(w.clone());
        let want = x.matmul(&w.t().unwrap()).unwrap();
        let got = lin.forward(&x, &[1; 20]).unwrap();
        let diff = (&got - &want).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
        // every row alone gives the same bits
        let all = got.to_vec2::<f32>().unwrap();
        for (i, row) in all.iter().enumerate() {
            let one = lin.forward(&x.narrow(0, i, 1).unwrap(), &[1]).unwrap();
            assert_eq!(&one.to_vec2::<f32>().unwrap()[0], row, "row {i}");
        }
        // a long segment goes through matmul, alone
        let mixed = lin.forward(&x, &[2, 18]).unwrap().to_vec2::<f32>().unwrap();
        let long = x.narrow(0, 2, 18).unwrap().matmul(&w.t().unwrap()).unwrap();
        assert_eq!(mixed[..2], all[..2]);
        assert_eq!(mixed[2..], long.to_vec2::<f32>().unwrap()[..]);
        // a pool of one thread runs the kernel on the caller: same bits
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let inline = pool.install(|| lin.forward(&x, &[1; 20]).unwrap());
        assert_eq!(inline.to_vec2::<f32>().unwrap(), all);
    }
}
