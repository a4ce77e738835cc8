//! Backend-independent decoding helpers for local models: choosing the next
//! token from logits ([`Sampler`]: greedy, or seeded temperature / top-k /
//! top-p sampling with a repetition penalty) and cutting streamed text at
//! stop strings ([`StopScanner`]).

use crate::generator::GenerationConfig;

/// Picks tokens from logits as a [`GenerationConfig`] says. Deterministic:
/// greedy at temperature 0, otherwise a SplitMix64 stream seeded by
/// `config.seed`, so a seed reproduces a run.
#[derive(Debug, Clone)]
pub struct Sampler {
    temperature: f64,
    top_k: usize,
    top_p: f64,
    repetition_penalty: f64,
    state: u64,
}

impl Sampler {
    /// A sampler for these settings.
    pub fn new(config: &GenerationConfig) -> Self {
        Sampler {
            temperature: config.temperature,
            top_k: config.top_k,
            top_p: config.top_p,
            repetition_penalty: config.repetition_penalty,
            state: config.seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn next_f64(&mut self) -> f64 {
        // SplitMix64
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Chooses the next token; `history` (prompt and output so far) feeds the
    /// repetition penalty. `logits` may be modified. NaN logits never win.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        if self.repetition_penalty != 1.0 && self.repetition_penalty > 0.0 {
            let p = self.repetition_penalty as f32;
            let mut seen = history.to_vec();
            seen.sort_unstable();
            seen.dedup();
            for &t in &seen {
                if let Some(l) = logits.get_mut(t as usize) {
                    *l = if *l > 0.0 { *l / p } else { *l * p };
                }
            }
        }
        if self.temperature <= 0.0 {
            return argmax(logits);
        }
        let t = self.temperature as f32;
        let mut cand: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .map(|(i, &l)| (i as u32, l / t))
            .collect();
        if cand.is_empty() {
            return 0;
        }
        cand.sort_by(|a, b| b.1.total_cmp(&a.1));
        if self.top_k > 0 && cand.len() > self.top_k {
            cand.truncate(self.top_k);
        }
        let max = cand[0].1;
        let mut probs: Vec<f64> = cand.iter().map(|c| ((c.1 - max) as f64).exp()).collect();
        let sum: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= sum);
        if self.top_p < 1.0 && self.top_p > 0.0 {
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (i, p) in probs.iter().enumerate() {
                acc += p;
                if acc >= self.top_p {
                    keep = i + 1;
                    break;
                }
            }
            probs.truncate(keep);
            let s: f64 = probs.iter().sum();
            probs.iter_mut().for_each(|p| *p /= s);
        }
        let r = self.next_f64();
        let mut acc = 0.0;
        for (i, p) in probs.iter().enumerate() {
            acc += p;
            if r < acc {
                return cand[i].0;
            }
        }
        cand[probs.len() - 1].0
    }
}

/// Index of the largest logit (the first on ties; NaN never wins).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0usize;
    let mut best_v = f32::NEG_INFINITY;
    for (i, &v) in logits.iter().enumerate() {
        if v > best_v {
            best = i;
            best_v = v;
        }
    }
    best as u32
}

/// Streams decoded text while watching for stop strings: it is fed the
/// whole decoded output after every token, hands new text to a callback,
/// holds back a tail that could still become a stop string (or is an
/// incomplete UTF-8 sequence, decoded as U+FFFD), and cuts the text before
/// the first stop string.
#[derive(Debug, Clone, Default)]
pub struct StopScanner {
    stops: Vec<String>,
    hold: usize,
    emitted: usize,
    text: String,
    stopped: bool,
}

impl StopScanner {
    /// A scanner for these stop strings (empty ones are ignored).
    pub fn new(stops: &[String]) -> Self {
        let stops: Vec<String> = stops.iter().filter(|s| !s.is_empty()).cloned().collect();
        let hold = stops
            .iter()
            .map(|s| s.len())
            .max()
            .unwrap_or(1)
            .saturating_sub(1);
        StopScanner {
            stops,
            hold,
            ..StopScanner::default()
        }
    }

    /// Takes the output decoded so far; returns `false` when generation
    /// should stop (a stop string appeared, or `on_text` said so).
    pub fn feed(&mut self, full: &str, on_text: &mut dyn FnMut(&str) -> bool) -> bool {
        if self.stopped {
            return false;
        }
        self.text = full.to_string();
        if let Some(p) = self
            .stops
            .iter()
            .filter_map(|s| full.find(s.as_str()))
            .min()
        {
            self.text.truncate(p);
            self.stopped = true;
            let from = self.emitted.min(p);
            if p > from {
                on_text(&full[from..p]);
            }
            self.emitted = p;
            return false;
        }
        let mut safe = full.len().saturating_sub(self.hold);
        while !full.is_char_boundary(safe) {
            safe -= 1;
        }
        if full[..safe].ends_with('\u{FFFD}') {
            safe -= '\u{FFFD}'.len_utf8();
        }
        let from = self.emitted.min(safe);
        if safe > from && full.is_char_boundary(from) {
            self.emitted = safe;
            return on_text(&full[from..safe]);
        }
        true
    }

    /// Whether a stop string ended the text.
    pub fn hit_stop(&self) -> bool {
        self.stopped
    }

    /// Emits what was held back and returns the final text (before any stop string).
    pub fn finish(&mut self, on_text: &mut dyn FnMut(&str) -> bool) -> String {
        if self.emitted < self.text.len() && self.text.is_char_boundary(self.emitted) {
            on_text(&self.text[self.emitted..]);
            self.emitted = self.text.len();
        }
        self.text.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_and_seeded_sampling() {
        let cfg = GenerationConfig::default();
        let mut s = Sampler::new(&cfg);
        assert_eq!(s.sample(&mut [0.1, 3.0, f32::NAN, 2.9], &[]), 1);
        // repetition penalty pushes a seen token below the next one
        let cfg = GenerationConfig {
            repetition_penalty: 1.5,
            ..GenerationConfig::default()
        };
        assert_eq!(Sampler::new(&cfg).sample(&mut [0.1, 3.0, 2.9], &[1]), 2);
        let cfg = GenerationConfig {
            temperature: 1.0,
            seed: 7,
            ..GenerationConfig::default()
        };
        let draw = |cfg: &GenerationConfig| {
            let mut s = Sampler::new(cfg);
            (0..50)
                .map(|_| s.sample(&mut [1.0, 1.0, 1.0, 1.0], &[]))
                .collect::<Vec<_>>()
        };
        let a = draw(&cfg);
        assert_eq!(a, draw(&cfg), "same seed, same tokens");
        assert!(
            a.iter().any(|&t| t != a[0]),
            "temperature 1 over equal logits varies"
        );
        // top-k 1 is greedy whatever the temperature
        let cfg = GenerationConfig {
            temperature: 5.0,
            top_k: 1,
            ..cfg
        };
        assert!(draw(&GenerationConfig { ..cfg }).iter().all(|&t| t == 0));
    }

    #[test]
    fn stop_scanner_streams_and_cuts() {
        let mut s = StopScanner::new(&["\n---".into()]);
        let mut got = Vec::new();
        let mut cb = |t: &str| {
            got.push(t.to_string());
            true
        };
        assert!(s.feed("kind: A", &mut cb));
        assert!(s.feed("kind: A\n-", &mut cb));
        assert!(!s.feed("kind: A\n---\nkind: B", &mut cb));
        assert!(s.hit_stop());
        let text = s.finish(&mut cb);
        assert_eq!(text, "kind: A");
        assert_eq!(got.concat(), "kind: A");
        // incomplete UTF-8 is held back until it completes
        let mut s = StopScanner::new(&[]);
        let mut got = String::new();
        s.feed("caf\u{FFFD}", &mut |t| {
            got.push_str(t);
            true
        });
        assert_eq!(got, "caf");
        s.feed("café", &mut |t| {
            got.push_str(t);
            true
        });
        s.finish(&mut |t| {
            got.push_str(t);
            true
        });
        assert_eq!(got, "café");
    }
}
