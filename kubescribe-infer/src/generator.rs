//! The `Generator` trait: every backend (local models, an HTTP server,
//! recorded outputs, the deterministic synthesizer) turns a prompt into text.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::constrained::ConstraintTarget;
use crate::error::InferError;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The message text.
    pub content: String,
}

/// A prompt: plain text, or chat messages for backends that apply a chat template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    /// Plain text.
    Text(String),
    /// Chat messages.
    Chat(Vec<ChatMessage>),
}

impl Prompt {
    /// The prompt as one string (chat messages as `role: content` lines).
    pub fn as_text(&self) -> String {
        match self {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(msgs) => msgs
                .iter()
                .map(|m| format!("{}: {}", m.role, m.content))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Decoding settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationConfig {
    /// Most tokens to generate.
    pub max_new_tokens: usize,
    /// Sampling temperature; 0 = greedy.
    pub temperature: f64,
    /// Nucleus sampling mass (1 = off).
    pub top_p: f64,
    /// Top-k sampling (0 = off).
    pub top_k: usize,
    /// Repetition penalty (1 = off).
    pub repetition_penalty: f64,
    /// Seed for sampling, so runs are reproducible.
    pub seed: u64,
    /// Generation stops before any of these strings.
    pub stop: Vec<String>,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        GenerationConfig {
            max_new_tokens: 1024,
            temperature: 0.0,
            top_p: 1.0,
            top_k: 0,
            repetition_penalty: 1.0,
            seed: 0,
            stop: Vec::new(),
        }
    }
}

/// A generator's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    /// The generated text.
    pub text: String,
    /// Prompt tokens, when the backend counts them.
    pub prompt_tokens: Option<usize>,
    /// Generated tokens, when the backend counts them.
    pub completion_tokens: Option<usize>,
    /// Wall time spent.
    pub elapsed: Duration,
}

/// A text generator. `Send + Sync` so one loaded model can be shared.
pub trait Generator: Send + Sync {
    /// A short name for reports (`synth`, `smollm2-135m-q8`, …).
    fn name(&self) -> &str;

    /// What the outputs depend on besides the prompt and the decoding
    /// settings: the model file or URL, the recorded outputs. The
    /// evaluation harness reuses a stored generation only under the same
    /// fingerprint (and prompt and settings); the default is the name.
    fn fingerprint(&self) -> String {
        self.name().to_string()
    }

    /// Where a local model runs (candle, ONNX Runtime); `None` for the
    /// others (a server, the synthesizer, recorded outputs).
    fn device(&self) -> Option<crate::device::Device> {
        None
    }

    /// Whether the output depends only on the intent the prompt carries
    /// (the synthesizer): a failed attempt would fail the same way again,
    /// so the loop does not retry it.
    fn deterministic(&self) -> bool {
        false
    }

    /// Generates text for one prompt.
    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError>;

    /// Generates with a callback per piece of text; returning `false` from
    /// the callback stops generation. Backends that cannot stream emit the
    /// whole text once.
    fn generate_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferError> {
        let g = self.generate(prompt, config)?;
        on_text(&g.text);
        Ok(g)
    }

    /// Generates one policy document with decoding constrained to
    /// `target`'s schema ([`crate::constrained`]): every finished output
    /// parses and passes layer 1. The text is JSON (keys in schema order).
    /// `Ok(None)` when the backend cannot constrain its decoding (HTTP
    /// servers, the synthesizer, recorded outputs): callers then generate
    /// unconstrained and say so.
    fn generate_constrained(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
    ) -> Result<Option<Generation>, InferError> {
        let _ = (prompt, config, target);
        Ok(None)
    }

    /// [`Generator::generate_constrained`] with a callback per piece of
    /// text as it is decoded (for progress); returning `false` stops
    /// generation. Backends that cannot stream call it once with the whole
    /// text.
    fn generate_constrained_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Option<Generation>, InferError> {
        let g = self.generate_constrained(prompt, config, target)?;
        if let Some(g) = &g {
            on_text(&g.text);
        }
        Ok(g)
    }

    /// The positions the model holds, prompt and output together
    /// (`max_position_embeddings`, `llama.context_length`), when known.
    fn context_window(&self) -> Option<usize> {
        None
    }

    /// The prompt's length in the model's own tokens (chat template
    /// applied), when the backend can count them.
    fn count_tokens(&self, prompt: &Prompt) -> Option<usize> {
        let _ = prompt;
        None
    }

    /// Generates for several prompts; backends that batch override this.
    fn generate_batch(
        &self,
        prompts: &[Prompt],
        config: &GenerationConfig,
    ) -> Vec<Result<Generation, InferError>> {
        prompts.iter().map(|p| self.generate(p, config)).collect()
    }

    /// Generates for several requests, each constrained to its target if it
    /// has one; a constrained request on a backend that cannot constrain is
    /// generated freely (as [`Generator::generate_constrained`] documents).
    /// The answers are in the order of `requests`, each as it would be
    /// alone. Backends that decode several sequences at once override this
    /// (the candle backend, for Llama-family safetensors models); the
    /// default runs them one at a time.
    fn generate_requests(
        &self,
        requests: &[BatchRequest<'_>],
        config: &GenerationConfig,
    ) -> Vec<Result<Generation, InferError>> {
        requests
            .iter()
            .map(|r| match r.target {
                Some(t) => match self.generate_constrained(r.prompt, config, t) {
                    Ok(Some(g)) => Ok(g),
                    Ok(None) => self.generate(r.prompt, config),
                    Err(e) => Err(e),
                },
                None => self.generate(r.prompt, config),
            })
            .collect()
    }
}

/// One request of [`Generator::generate_requests`]: a prompt, and the
/// schema its decoding is constrained to, if any.
#[derive(Debug, Clone, Copy)]
pub struct BatchRequest<'a> {
    /// The prompt.
    pub prompt: &'a Prompt,
    /// The constraint target (`None`: free decoding).
    pub target: Option<&'a ConstraintTarget>,
}

/// What [`WithProgress`] reports about each generation it passes on.
#[derive(Debug, Clone, PartialEq)]
pub enum GenerationProgress {
    /// Generation `call` (1-based) starts.
    Started {
        /// 1-based count of generations through the wrapper.
        call: usize,
        /// The prompt's length in the model's tokens, when it counts them.
        prompt_tokens: Option<usize>,
        /// Whether decoding is constrained to a schema.
        constrained: bool,
    },
    /// More output arrived.
    Tokens {
        /// The generation.
        call: usize,
        /// Pieces of output so far (one per decoding step on the local
        /// backends, one per streamed delta on HTTP ones).
        tokens: usize,
        /// Since the generation started.
        elapsed: Duration,
    },
    /// Generation `call` ended.
    Finished {
        /// The generation.
        call: usize,
        /// Generated tokens, when the backend counts them (else pieces).
        tokens: usize,
        /// Its wall time.
        elapsed: Duration,
        /// When the first piece of output arrived (after the prompt's
        /// forward pass), since the start; `None` when none did.
        first_piece: Option<Duration>,
        /// Pieces of output seen (1 for an answer that came whole).
        pieces: usize,
        /// Whether it failed.
        failed: bool,
    },
}

/// A per-piece text callback, as the streaming methods take it.
type OnText<'c> = &'c mut dyn FnMut(&str) -> bool;

/// A generator that reports the progress of every generation through a
/// callback (streaming from the wrapped one), for a caller that shows it:
/// libraries never print, the CLI draws a progress line.
pub struct WithProgress<'a> {
    inner: &'a dyn Generator,
    on_progress: &'a (dyn Fn(&GenerationProgress) + Send + Sync),
    calls: std::sync::atomic::AtomicUsize,
}

impl<'a> WithProgress<'a> {
    /// Wraps `inner`; `on_progress` sees every event.
    pub fn new(
        inner: &'a dyn Generator,
        on_progress: &'a (dyn Fn(&GenerationProgress) + Send + Sync),
    ) -> Self {
        WithProgress {
            inner,
            on_progress,
            calls: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn observe<T>(
        &self,
        prompt: &Prompt,
        constrained: bool,
        run: &mut dyn FnMut(OnText<'_>) -> Result<T, InferError>,
        tokens_of: fn(&T) -> Option<usize>,
    ) -> Result<T, InferError> {
        let call = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        (self.on_progress)(&GenerationProgress::Started {
            call,
            prompt_tokens: self.inner.count_tokens(prompt),
            constrained,
        });
        let started = std::time::Instant::now();
        let mut pieces = 0usize;
        let mut first_piece = None;
        let result = run(&mut |_piece: &str| {
            pieces += 1;
            first_piece.get_or_insert_with(|| started.elapsed());
            (self.on_progress)(&GenerationProgress::Tokens {
                call,
                tokens: pieces,
                elapsed: started.elapsed(),
            });
            true
        });
        let tokens = match &result {
            Ok(r) => tokens_of(r),
            Err(_) => Some(pieces),
        };
        // `None` from a declined constrained call: nothing was generated.
        if pieces > 0 || result.is_err() || tokens.is_some() {
            (self.on_progress)(&GenerationProgress::Finished {
                call,
                tokens: tokens.unwrap_or(pieces),
                elapsed: started.elapsed(),
                first_piece,
                pieces,
                failed: result.is_err(),
            });
        }
        result
    }
}

impl Generator for WithProgress<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn fingerprint(&self) -> String {
        self.inner.fingerprint()
    }
    fn deterministic(&self) -> bool {
        self.inner.deterministic()
    }
    fn device(&self) -> Option<crate::device::Device> {
        self.inner.device()
    }
    fn context_window(&self) -> Option<usize> {
        self.inner.context_window()
    }
    fn count_tokens(&self, prompt: &Prompt) -> Option<usize> {
        self.inner.count_tokens(prompt)
    }
    /// Generates as the wrapped generator's `generate` does (an HTTP backend
    /// would stream otherwise), reporting the answer once it is there.
    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        self.observe(
            prompt,
            false,
            &mut |on| {
                let g = self.inner.generate(prompt, config)?;
                on(&g.text);
                Ok(g)
            },
            |g| g.completion_tokens,
        )
    }
    fn generate_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferError> {
        self.observe(
            prompt,
            false,
            &mut |on| {
                self.inner.generate_stream(prompt, config, &mut |t| {
                    on(t);
                    on_text(t)
                })
            },
            |g| g.completion_tokens,
        )
    }
    /// Passes the whole batch on (so a batching backend still batches),
    /// reporting each request as started before and finished after it.
    fn generate_requests(
        &self,
        requests: &[BatchRequest<'_>],
        config: &GenerationConfig,
    ) -> Vec<Result<Generation, InferError>> {
        use std::sync::atomic::Ordering;
        let first = self.calls.fetch_add(requests.len(), Ordering::Relaxed) + 1;
        for (k, r) in requests.iter().enumerate() {
            (self.on_progress)(&GenerationProgress::Started {
                call: first + k,
                prompt_tokens: self.inner.count_tokens(r.prompt),
                constrained: r.target.is_some(),
            });
        }
        let out = self.inner.generate_requests(requests, config);
        for (k, r) in out.iter().enumerate() {
            let (tokens, elapsed) = match r {
                Ok(g) => (g.completion_tokens.unwrap_or(1), g.elapsed),
                Err(_) => (0, std::time::Duration::ZERO),
            };
            (self.on_progress)(&GenerationProgress::Finished {
                call: first + k,
                tokens,
                elapsed,
                first_piece: None,
                pieces: usize::from(r.is_ok()),
                failed: r.is_err(),
            });
        }
        out
    }
    /// A backend that cannot constrain (`Ok(None)`) takes back its
    /// `Started` (the next one repeats the call number): the caller
    /// generates freely next, and that is the attempt.
    fn generate_constrained(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
    ) -> Result<Option<Generation>, InferError> {
        let mut declined = false;
        let out = self.observe(
            prompt,
            true,
            &mut |on| {
                let r = self
                    .inner
                    .generate_constrained_stream(prompt, config, target, on);
                declined = matches!(r, Ok(None));
                r
            },
            |g| g.as_ref().and_then(|g| g.completion_tokens),
        );
        if declined {
            self.calls
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        out
    }
}
