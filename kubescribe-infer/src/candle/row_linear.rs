//! Linear layers of [`super::packed_llama`]: `x · Wᵀ` with a CPU kernel for
//! the few rows of a decoding step, candle's matmul for prompts and on
//! GPUs.
//!
//! A batched decoding step multiplies each weight matrix by one row per
//! sequence. candle's CPU matmul (the `gemm` crate) takes a matrix-vector
//! path for one row and a blocked kernel for several, which on a 2-core
//! VM made 8 rows cost ~5× one row (SmolLM2-135M: 118 ms against 23 ms per
//! pass of the layers' weights) — too little of the weights' memory
//! traffic was shared. The row kernel here reads each weight row once for
//! up to eight input rows (eight 8-lane fused multiply-add accumulators),
//! split over candle's thread pool by output features.
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
        // out_t[j * m + i] = x_i · w_j, weight rows split over the pool
        let mut out_t = vec![0f32; n * m];
        let per_task = (n / (rayon::current_num_threads() * 4)).clamp(16, 1024);
        out_t
            .par_chunks_mut(per_task * m)
            .zip(w.par_chunks(per_task * k))
            .for_each(|(out, w)| rows_times(&xv, m, k, w, out));
        drop(storage);
        Tensor::from_vec(out_t, (n, m), x.device())?
            .t()?
            .contiguous()
    }
}

/// Whether this CPU has fused multiply-add (the kernel's arithmetic).
fn fma_available() -> bool {
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

/// `out[j * m + i] = x_i · w_j` for the weight rows `w` (`k` wide).
fn rows_times(x: &[f32], m: usize, k: usize, w: &[f32], out: &mut [f32]) {
    for (wj, oj) in w.chunks_exact(k).zip(out.chunks_exact_mut(m)) {
        let mut i = 0;
        while i < m {
            let r = (m - i).min(8);
            let xs = &x[i * k..(i + r) * k];
            let o = &mut oj[i..i + r];
            match r {
                8 => dots::<8>(xs, k, wj, o),
                7 => dots::<7>(xs, k, wj, o),
                6 => dots::<6>(xs, k, wj, o),
                5 => dots::<5>(xs, k, wj, o),
                4 => dots::<4>(xs, k, wj, o),
                3 => dots::<3>(xs, k, wj, o),
                2 => dots::<2>(xs, k, wj, o),
                _ => dots::<1>(xs, k, wj, o),
            }
            i += r;
        }
    }
}

/// `o[r] = x_r · w` for `R` rows of `x` (each `k` wide): the same
/// operations per row whatever `R` is.
#[inline(always)]
fn dots<const R: usize>(x: &[f32], k: usize, w: &[f32], o: &mut [f32]) {
    let body = k - k % LANES;
    let mut acc = [[0f32; LANES]; R];
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RowLinear runs the kernel only where fma_available()
        // found AVX2 and FMA; the slices hold R rows of k and k values.
        unsafe { lanes_avx2::<R>(x, k, w, body, &mut acc) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for c in (0..body).step_by(LANES) {
        for (r, a) in acc.iter_mut().enumerate() {
            for l in 0..LANES {
                a[l] = x[r * k + c + l].mul_add(w[c + l], a[l]);
            }
        }
    }
    for (r, a) in acc.iter().enumerate() {
        // a fixed reduction of the lanes, then the tail in order
        let mut s = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
        for c in body..k {
            s = x[r * k + c].mul_add(w[c], s);
        }
        o[r] = s;
    }
}

/// The 8-lane multiply-adds of [`dots`] over `0..body` with AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn lanes_avx2<const R: usize>(
    x: &[f32],
    k: usize,
    w: &[f32],
    body: usize,
    acc: &mut [[f32; LANES]; R],
) {
    use std::arch::x86_64::*;
    debug_assert!(x.len() >= R * k && w.len() >= body);
    let mut v = [_mm256_setzero_ps(); R];
    let (xp, wp) = (x.as_ptr(), w.as_ptr());
    let mut c = 0;
    while c < body {
        // SAFETY: c + 8 <= body <= k: inside row r of x (r < R) and w.
        unsafe {
            let wv = _mm256_loadu_ps(wp.add(c));
            for (r, a) in v.iter_mut().enumerate() {
                *a = _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(r * k + c)), wv, *a);
            }
        }
        c += LANES;
    }
    for (a, out) in v.iter().zip(acc.iter_mut()) {
        // SAFETY: out holds 8 floats.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), *a) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u32) -> Vec<f32> {
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
    }
}
