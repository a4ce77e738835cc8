//! Progress of the generate loop on standard error: a line when an attempt
//! starts, a live line with the tokens decoded and tokens/s while the model
//! writes (drawn only on a terminal), and a line when it ends. The library
//! reports through [`kubescribe_infer::WithProgress`]'s callback; this
//! module only prints. `quiet` silences all of it.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::ProgressBar;
use kubescribe_infer::GenerationProgress;

/// Prints a generator's progress (see the module docs).
pub struct AttemptProgress {
    quiet: bool,
    max_attempts: usize,
    label: String,
    bar: Mutex<Option<ProgressBar>>,
    /// When the current generation's first token came.
    first: Mutex<Option<Duration>>,
}

fn rate(tokens: usize, elapsed: Duration) -> f64 {
    let s = elapsed.as_secs_f64();
    if s > 0.0 { tokens as f64 / s } else { 0.0 }
}

impl AttemptProgress {
    /// Progress of up to `max_attempts` generations by `generator`
    /// (`label` adds what decoding is constrained to, when it is).
    pub fn new(quiet: bool, max_attempts: usize, label: String) -> Self {
        AttemptProgress {
            quiet,
            max_attempts,
            label,
            bar: Mutex::new(None),
            first: Mutex::new(None),
        }
    }

    /// The callback for [`kubescribe_infer::WithProgress`].
    pub fn report(&self, event: &GenerationProgress) {
        if self.quiet {
            return;
        }
        let Ok(mut bar) = self.bar.lock() else {
            return;
        };
        match event {
            GenerationProgress::Started {
                call,
                prompt_tokens,
                constrained,
            } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                eprintln!(
                    "kubescribe: attempt {call}/{} ({}{}): generating{}",
                    self.max_attempts,
                    self.label,
                    if *constrained { ", constrained" } else { "" },
                    prompt_tokens
                        .map(|n| format!(" from a {n}-token prompt"))
                        .unwrap_or_default()
                );
                let b = crate::output::progress_bar(
                    0,
                    false,
                    "  {spinner} attempt {prefix}: {msg} [{elapsed}]",
                );
                b.set_prefix(call.to_string());
                b.enable_steady_tick(Duration::from_millis(120));
                *bar = Some(b);
            }
            GenerationProgress::Tokens {
                tokens, elapsed, ..
            } => {
                // The rate of decoding, after the prompt's forward pass.
                let Ok(mut first) = self.first.lock() else {
                    return;
                };
                let since = *first.get_or_insert(*elapsed);
                if let Some(b) = bar.as_ref() {
                    b.set_message(format!(
                        "{tokens} tokens, {:.1} tokens/s",
                        rate(tokens.saturating_sub(1), elapsed.saturating_sub(since))
                    ));
                }
            }
            GenerationProgress::Finished {
                call,
                tokens,
                elapsed,
                first_piece,
                pieces,
                failed,
            } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                if let Ok(mut f) = self.first.lock() {
                    *f = None;
                }
                let decoding = match first_piece {
                    Some(f) if *tokens > 1 && *pieces > 1 => format!(
                        "; prompt {:.1} s, then {:.1} tokens/s",
                        f.as_secs_f64(),
                        rate(tokens - 1, elapsed.saturating_sub(*f))
                    ),
                    _ if *tokens > 0 && !*failed => {
                        format!(" ({:.1} tokens/s)", rate(*tokens, *elapsed))
                    }
                    _ => String::new(),
                };
                eprintln!(
                    "kubescribe: attempt {call}/{}: {} {tokens} tokens in {:.1} s{decoding}",
                    self.max_attempts,
                    if *failed { "failed after" } else { "generated" },
                    elapsed.as_secs_f64(),
                );
            }
        }
    }
}
