//! The ONNX Runtime backend (through `ort`): a causal decoder exported in
//! the Hugging Face / optimum layout with a KV cache.
//!
//! A model directory holds `model.onnx` (or `decoder_model_merged.onnx`)
//! with inputs `input_ids`, optionally `attention_mask`, `position_ids` and
//! `use_cache_branch`, and `past_key_values.{i}.key|value`
//! (`[batch, kv_heads, past, head_dim]`, f32), outputs `logits` and
//! `present.{i}.key|value`; plus `tokenizer.json`, and optionally
//! `config.json` / `generation_config.json` / `tokenizer_config.json` for the
//! end-of-sequence tokens. `scripts/models/llama_to_onnx.py` writes such a
//! directory from Hugging Face Llama weights without torch.
//!
//! Size: one backend — loading, the export's KV-cache layout, single and
//! batched decoding, and its `Generator` implementation — kept together
//! because every part reads the same session layout.
//!
//! ONNX Runtime is never downloaded at build time: the shared library is
//! loaded at run time from [`OrtOptions::dylib`] or the `ORT_DYLIB_PATH`
//! environment variable — the `onnxruntime` Python wheel (≥ 1.22; 1.32.0
//! checked) ships it as `onnxruntime/capi/libonnxruntime.so.<version>`.
//! Sessions run on the CPU by default; asked for [`Device::Cuda`], in any
//! build, they get the CUDA execution provider, which the loaded library
//! must have (`onnxruntime-gpu`'s does, the `onnxruntime` wheel's does not:
//! loading then fails, see [`provider`]); [`OrtGenerator::provider`] names
//! the provider in use.
//!
//! One session serves all callers (`Send + Sync`): generations queue on a
//! mutex around it. Chat prompts are rendered in ChatML
//! (`<|im_start|>role\n…<|im_end|>`), the template of the models used here.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::value::{DynValue, Tensor, ValueType};
use serde_json::Value;
use tokenizers::Tokenizer;

use crate::constrained::{
    ConstraintCache, ConstraintTarget, ConstraintTokenizer, SchemaConstraint,
};
use crate::decode::{DecodeOutput, TokenModel, decode};
use crate::device::Device;
use crate::error::InferError;
use crate::generator::{Generation, GenerationConfig, Generator, Prompt};
use crate::sampling::{Sampler, StopScanner};

/// Environment variable naming the ONNX Runtime shared library.
pub const DYLIB_ENV: &str = "ORT_DYLIB_PATH";

pub mod provider;

pub use provider::Provider;

/// Loading options.
#[derive(Debug, Clone, Default)]
pub struct OrtOptions {
    /// The ONNX Runtime library; `None` reads [`DYLIB_ENV`].
    pub dylib: Option<PathBuf>,
    /// Intra-op threads (0 = ONNX Runtime's default, one per core).
    pub intra_threads: usize,
    /// Where to run: the CPU, or a GPU through the CUDA execution provider
    /// (the library must have it).
    pub device: Device,
    /// Name for reports; defaults to `ort:<directory name>`.
    pub name: Option<String>,
}

static RUNTIME: OnceLock<Result<(PathBuf, ort::environment::Environment), String>> =
    OnceLock::new();

/// Loads the ONNX Runtime library once per process (later calls return the
/// first outcome). `path` wins over [`DYLIB_ENV`].
pub fn init_runtime(path: Option<&Path>) -> Result<PathBuf, InferError> {
    runtime(path).map(|(p, _)| p)
}

fn runtime(path: Option<&Path>) -> Result<(PathBuf, ort::environment::Environment), InferError> {
    let outcome = RUNTIME.get_or_init(|| {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => match std::env::var_os(DYLIB_ENV) {
                Some(p) if !p.is_empty() => PathBuf::from(p),
                _ => {
                    return Err(format!(
                        "ONNX Runtime is not loaded: set {DYLIB_ENV} to libonnxruntime.so \
                         (e.g. from `pip install onnxruntime==1.32.0`: \
                         $(python -c 'import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))')/capi/libonnxruntime.so.1.32.0)"
                    ));
                }
            },
        };
        if !path.is_file() {
            return Err(format!(
                "ONNX Runtime library {} does not exist (from {})",
                path.display(),
                if path.as_os_str().is_empty() { "nowhere" } else { DYLIB_ENV }
            ));
        }
        let builder = ort::init_from(&path)
            .map_err(|e| format!("cannot load ONNX Runtime from {}: {e}", path.display()))?;
        let env = builder
            .with_name("kubescribe")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", path.display()))?;
        Ok((path, env))
    });
    outcome.clone().map_err(|message| InferError::Model {
        path: path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| DYLIB_ENV.to_string()),
        message,
    })
}

/// The names and shapes the decoder graph uses.
#[derive(Debug, Clone)]
struct Layout {
    /// (input name, output name) per cache tensor.
    cache: Vec<(String, String)>,
    kv_heads: usize,
    head_dim: usize,
    attention_mask: bool,
    position_ids: bool,
    use_cache_branch: bool,
}

/// A decoder-only model on ONNX Runtime.
pub struct OrtGenerator {
    name: String,
    dir: PathBuf,
    session: Mutex<Session>,
    tokenizer: Tokenizer,
    eos: Vec<u32>,
    layout: Layout,
    provider: Provider,
    vocab: usize,
    /// `max_position_embeddings` of config.json, when given.
    context: Option<usize>,
    constraints: ConstraintCache,
}

impl std::fmt::Debug for OrtGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrtGenerator")
            .field("name", &self.name)
            .field("dir", &self.dir)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Token ids and timings of one generation, for parity checks and benchmarks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenRun {
    /// Generated token ids (the end-of-sequence token is not included).
    pub tokens: Vec<u32>,
    /// Time of the prompt's forward pass (prefill).
    pub prefill: Duration,
    /// Time of the decode steps after it.
    pub decode: Duration,
    /// Why generation ended.
    pub stopped_by: StopReason,
}

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopReason {
    /// The model emitted an end-of-sequence token.
    #[default]
    Eos,
    /// `max_new_tokens` was reached.
    Length,
    /// A stop string appeared.
    StopString,
    /// The streaming callback asked to stop.
    Callback,
}

fn model_err(path: &Path, message: impl Into<String>) -> InferError {
    InferError::Model {
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn read_json(path: &Path) -> Result<Option<Value>, InferError> {
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str(&t)
            .map(Some)
            .map_err(|e| model_err(path, format!("not valid JSON: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InferError::io(path, e)),
    }
}

/// End-of-sequence ids: `eos_token_id` of generation_config.json and
/// config.json (number or list), the `eos_token` of tokenizer_config.json,
/// and `<|im_end|>` / `<|endoftext|>` / `</s>` when the vocabulary has them.
fn eos_ids(dir: &Path, tok: &Tokenizer) -> Result<Vec<u32>, InferError> {
    let mut ids = Vec::new();
    for f in ["generation_config.json", "config.json"] {
        if let Some(v) = read_json(&dir.join(f))? {
            match v.get("eos_token_id") {
                Some(Value::Number(n)) => ids.extend(n.as_u64().map(|n| n as u32)),
                Some(Value::Array(a)) => {
                    ids.extend(a.iter().filter_map(|n| n.as_u64().map(|n| n as u32)))
                }
                _ => {}
            }
        }
    }
    if let Some(v) = read_json(&dir.join("tokenizer_config.json"))? {
        let t = v
            .get("eos_token")
            .and_then(|t| t.as_str().or_else(|| t.get("content")?.as_str()));
        ids.extend(t.and_then(|t| tok.token_to_id(t)));
    }
    for t in ["<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>"] {
        ids.extend(tok.token_to_id(t));
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

impl OrtGenerator {
    /// Loads the decoder in `dir` (or the `.onnx` file `dir` names, with
    /// `tokenizer.json` beside it).
    pub fn load(dir: impl AsRef<Path>, options: &OrtOptions) -> Result<Self, InferError> {
        let given = dir.as_ref();
        let (dir, model) = if given.is_file() {
            let parent = given.parent().unwrap_or(Path::new(".")).to_path_buf();
            (parent, given.to_path_buf())
        } else {
            let dir = given.to_path_buf();
            let model = ["model.onnx", "decoder_model_merged.onnx", "decoder_with_past_model.onnx"]
                .iter()
                .map(|f| dir.join(f))
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    model_err(
                        &dir,
                        "no model.onnx (or decoder_model_merged.onnx) here: expected a decoder exported \
                         with past_key_values inputs (scripts/models/llama_to_onnx.py writes one)",
                    )
                })?;
            (dir, model)
        };
        let tok_path = dir.join("tokenizer.json");
        if !tok_path.is_file() {
            return Err(model_err(&dir, "no tokenizer.json next to the model"));
        }
        let tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| model_err(&tok_path, format!("cannot read the tokenizer: {e}")))?;
        let eos = eos_ids(&dir, &tokenizer)?;
        let (library, env) = runtime(options.dylib.as_deref())?;

        let ort_err = |e: ort::Error| model_err(&model, e.to_string());
        let mut builder = Session::builder(&env).map_err(ort_err)?;
        if options.intra_threads > 0 {
            builder = builder
                .with_intra_threads(options.intra_threads)
                .map_err(|e| ort_err(e.into()))?;
        }
        let has_cuda = options.device.is_cuda()
            && provider::library_has_cuda().map_err(|e| model_err(&library, e.to_string()))?;
        let provider = provider::select(options.device, has_cuda, &library)?;
        provider::register(&mut builder, provider, &library)?;
        // The logits width: config.json's vocab_size (padded embeddings
        // may exceed the tokenizer), else the tokenizer's.
        let config = read_json(&dir.join("config.json"))?;
        let vocab = config
            .as_ref()
            .and_then(|c| c.get("vocab_size").and_then(Value::as_u64))
            .map(|n| n as usize)
            .unwrap_or_else(|| tokenizer.get_vocab_size(true));
        // The constraint tokenizer and its grammar compiler are built while
        // the session loads, so a constrained generation finds them ready.
        let (session, constraints) = std::thread::scope(|scope| {
            let prepare = scope.spawn(|| ConstraintCache::prepared(&tokenizer, &eos, Some(vocab)));
            let session = builder.commit_from_file(&model).map_err(ort_err);
            // A preparation that panicked leaves the cache to build lazily.
            (session, prepare.join().unwrap_or_default())
        });
        let session = session?;
        let layout = layout(&session, &model, &dir)?;
        let name = options.name.clone().unwrap_or_else(|| {
            format!(
                "ort:{}",
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )
        });
        // The positions the model was trained for, when config.json says.
        let context = config
            .as_ref()
            .and_then(|c| c.get("max_position_embeddings").and_then(Value::as_u64))
            .map(|n| n as usize);
        Ok(OrtGenerator {
            name,
            dir,
            session: Mutex::new(session),
            tokenizer,
            eos,
            layout,
            provider,
            vocab,
            context,
            constraints,
        })
    }

    /// The execution provider in use (`CPUExecutionProvider`, `CUDAExecutionProvider`).
    pub fn provider(&self) -> &str {
        self.provider.name()
    }

    /// Where the session runs.
    pub fn device(&self) -> Device {
        match self.provider {
            Provider::Cpu => Device::Cpu,
            Provider::Cuda { device_id } => Device::Cuda(device_id.unsigned_abs()),
        }
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The end-of-sequence token ids.
    pub fn eos_tokens(&self) -> &[u32] {
        &self.eos
    }

    /// The prompt as token ids (chat messages rendered in ChatML first).
    pub fn encode(&self, prompt: &Prompt) -> Result<Vec<u32>, InferError> {
        let text = match prompt {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(msgs) => chatml(msgs),
        };
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| self.gen_err(format!("cannot tokenize the prompt: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    fn gen_err(&self, message: String) -> InferError {
        InferError::Generation {
            generator: self.name.clone(),
            message,
        }
    }

    /// Generates from token ids: one prefill pass over the prompt, then one
    /// step per token on the KV cache. `on_token` sees every new id and may
    /// return `false` to stop. Stop strings are not applied here (see
    /// [`Generator::generate`]).
    pub fn generate_ids(
        &self,
        prompt: &[u32],
        config: &GenerationConfig,
        on_token: &mut dyn FnMut(u32) -> bool,
    ) -> Result<TokenRun, InferError> {
        if prompt.is_empty() {
            return Err(self.gen_err("the prompt has no tokens".into()));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| self.gen_err("the session was poisoned by an earlier panic".into()))?;
        let mut sampler = Sampler::new(config);
        let mut run = TokenRun {
            stopped_by: StopReason::Length,
            ..TokenRun::default()
        };
        let mut history: Vec<u32> = prompt.to_vec();
        let mut cache: Vec<DynValue> = Vec::new();
        let mut step_ids: Vec<u32> = prompt.to_vec();
        let t0 = Instant::now();
        for i in 0..config.max_new_tokens {
            let (logits, next_cache) = self.step(&mut session, &step_ids, history.len(), cache)?;
            cache = next_cache;
            if i == 0 {
                run.prefill = t0.elapsed();
            }
            let mut logits = logits;
            let tok = sampler.sample(&mut logits, &history);
            if self.eos.contains(&tok) {
                run.stopped_by = StopReason::Eos;
                break;
            }
            run.tokens.push(tok);
            history.push(tok);
            if !on_token(tok) {
                run.stopped_by = StopReason::Callback;
                break;
            }
            step_ids = vec![tok];
        }
        run.decode = t0.elapsed().saturating_sub(run.prefill);
        Ok(run)
    }

    /// Times a prefill of `prompt` and then exactly `steps` greedy decode
    /// steps on the KV cache, ignoring end-of-sequence tokens (for
    /// benchmarks: every run does the same work). Returns (prefill, decode).
    pub fn time_prefill_decode(
        &self,
        prompt: &[u32],
        steps: usize,
    ) -> Result<(Duration, Duration), InferError> {
        if prompt.is_empty() {
            return Err(self.gen_err("the prompt has no tokens".into()));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| self.gen_err("the session was poisoned by an earlier panic".into()))?;
        let t0 = Instant::now();
        let (mut logits, mut cache) = self.step(&mut session, prompt, prompt.len(), Vec::new())?;
        let prefill = t0.elapsed();
        let mut total = prompt.len();
        let t1 = Instant::now();
        for _ in 0..steps {
            let tok = crate::sampling::argmax(&logits);
            total += 1;
            (logits, cache) = self.step(&mut session, &[tok], total, cache)?;
        }
        Ok((prefill, t1.elapsed()))
    }

    /// The tokenizer prepared for constrained decoding (built once).
    pub fn constraint_tokenizer(&self) -> Result<&ConstraintTokenizer, InferError> {
        self.constraints
            .tokenizer(&self.tokenizer, &self.eos, Some(self.vocab))
    }

    /// A constraint for `target` bound to this model's tokenizer (compiled
    /// once per target, then cloned).
    pub fn constraint(&self, target: &ConstraintTarget) -> Result<SchemaConstraint, InferError> {
        self.constraints
            .constraint(target, self.constraint_tokenizer()?)
    }

    /// Runs the decoding loop shared with the candle backend
    /// ([`crate::decode::decode`]), optionally constrained: forced tokens
    /// are fed in one batch with the next step, and the grammar closes the
    /// document when the token budget runs short.
    pub fn run_tokens(
        &self,
        ids: &[u32],
        config: &GenerationConfig,
        constraint: Option<&mut SchemaConstraint>,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<DecodeOutput, InferError> {
        let mut session = self
            .session
            .lock()
            .map_err(|_| self.gen_err("the session was poisoned by an earlier panic".into()))?;
        let mut model = OrtStepper {
            generator: self,
            session: &mut session,
            cache: Vec::new(),
            vocab: self.vocab,
        };
        let text = |t: &[u32]| self.tokenizer.decode(t, true).unwrap_or_default();
        decode(
            &mut model, ids, config, &self.eos, constraint, &text, on_text,
        )
    }

    /// One forward pass of `ids` after `total - ids.len()` cached positions;
    /// returns the last position's logits and the new cache.
    fn step(
        &self,
        session: &mut Session,
        ids: &[u32],
        total: usize,
        cache: Vec<DynValue>,
    ) -> Result<(Vec<f32>, Vec<DynValue>), InferError> {
        let s = ids.len();
        let past = total - s;
        let batch = Batch {
            rows: 1,
            ids: ids.iter().map(|&t| t as i64).collect(),
            mask: vec![1; total],
            positions: (past as i64..total as i64).collect(),
        };
        let (mut logits, cache) = self.forward(session, &batch, cache)?;
        Ok((logits.pop().unwrap_or_default(), cache))
    }

    /// One forward pass of a batch; returns each row's last-position logits
    /// and the new cache.
    fn forward(
        &self,
        session: &mut Session,
        batch: &Batch,
        cache: Vec<DynValue>,
    ) -> Result<(Vec<Vec<f32>>, Vec<DynValue>), InferError> {
        let e = |e: ort::Error| self.gen_err(format!("ONNX Runtime: {e}"));
        let b = batch.rows;
        let s = batch.ids.len() / b.max(1);
        let total = batch.mask.len() / b.max(1);
        let past = total - s;
        let l = &self.layout;
        let mut inputs: Vec<(String, ort::session::SessionInputValue<'_>)> = Vec::new();
        inputs.push((
            "input_ids".into(),
            Tensor::from_array(([b, s], batch.ids.clone()))
                .map_err(e)?
                .into(),
        ));
        if l.attention_mask {
            inputs.push((
                "attention_mask".into(),
                Tensor::from_array(([b, total], batch.mask.clone()))
                    .map_err(e)?
                    .into(),
            ));
        }
        if l.position_ids {
            inputs.push((
                "position_ids".into(),
                Tensor::from_array(([b, s], batch.positions.clone()))
                    .map_err(e)?
                    .into(),
            ));
        }
        if l.use_cache_branch {
            inputs.push((
                "use_cache_branch".into(),
                Tensor::from_array(([1usize], vec![past > 0]))
                    .map_err(e)?
                    .into(),
            ));
        }
        if cache.is_empty() {
            for (name, _) in &l.cache {
                let empty =
                    Tensor::<f32>::from_array(([b, l.kv_heads, 0, l.head_dim], Vec::<f32>::new()))
                        .map_err(e)?;
                inputs.push((name.clone(), empty.into()));
            }
        } else {
            for ((name, _), v) in l.cache.iter().zip(cache) {
                inputs.push((name.clone(), v.into()));
            }
        }
        let mut out = session.run(inputs).map_err(e)?;
        let logits = {
            let v = out
                .get("logits")
                .ok_or_else(|| self.gen_err("the model returned no `logits`".into()))?;
            let (shape, data) = v.try_extract_tensor::<f32>().map_err(e)?;
            let vocab = *shape.last().unwrap_or(&0) as usize;
            if vocab == 0 || data.len() != b * s * vocab {
                return Err(self.gen_err(format!(
                    "unexpected logits shape {shape:?} for a batch of {b} x {s} tokens"
                )));
            }
            (0..b)
                .map(|r| {
                    let end = (r * s + s) * vocab;
                    data[end - vocab..end].to_vec()
                })
                .collect()
        };
        let mut next = Vec::with_capacity(l.cache.len());
        for (_, out_name) in &l.cache {
            next.push(
                out.remove(out_name)
                    .ok_or_else(|| self.gen_err(format!("the model returned no `{out_name}`")))?,
            );
        }
        Ok((logits, next))
    }

    /// Generates for several prompts in one batch: prompts left-padded to
    /// the longest (masked out through `attention_mask`, positions counted
    /// from each row's first real token), one forward pass per step for all
    /// rows; a row that finished (end of sequence, stop string, length) is
    /// fed its end token until all have. Needs a graph with
    /// `attention_mask` and `position_ids` inputs.
    pub fn generate_ids_batch(
        &self,
        prompts: &[Vec<u32>],
        config: &GenerationConfig,
        on_token: &mut dyn FnMut(usize, u32) -> bool,
    ) -> Result<Vec<TokenRun>, InferError> {
        let b = prompts.len();
        if b == 0 {
            return Ok(Vec::new());
        }
        if prompts.iter().any(Vec::is_empty) {
            return Err(self.gen_err("a prompt has no tokens".into()));
        }
        if b > 1 && !(self.layout.attention_mask && self.layout.position_ids) {
            return Err(self.gen_err(
                "batched generation needs attention_mask and position_ids inputs".into(),
            ));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| self.gen_err("the session was poisoned by an earlier panic".into()))?;
        let width = prompts.iter().map(Vec::len).max().unwrap_or(0);
        let pad = self.eos.first().copied().unwrap_or(0) as i64;
        let mut batch = Batch {
            rows: b,
            ids: Vec::with_capacity(b * width),
            mask: Vec::with_capacity(b * width),
            positions: Vec::with_capacity(b * width),
        };
        for p in prompts {
            let gap = width - p.len();
            batch.ids.extend(std::iter::repeat_n(pad, gap));
            batch.ids.extend(p.iter().map(|&t| t as i64));
            batch.mask.extend(std::iter::repeat_n(0, gap));
            batch.mask.extend(std::iter::repeat_n(1, p.len()));
            batch.positions.extend(std::iter::repeat_n(0, gap));
            batch.positions.extend(0..p.len() as i64);
        }
        let mut samplers: Vec<Sampler> = (0..b).map(|_| Sampler::new(config)).collect();
        let mut histories: Vec<Vec<u32>> = prompts.to_vec();
        let mut lengths: Vec<i64> = prompts.iter().map(|p| p.len() as i64).collect();
        let mut runs: Vec<TokenRun> = (0..b)
            .map(|_| TokenRun {
                stopped_by: StopReason::Length,
                ..TokenRun::default()
            })
            .collect();
        let mut done = vec![false; b];
        let mut cache = Vec::new();
        let t0 = Instant::now();
        for i in 0..config.max_new_tokens {
            let (logits, next) = self.forward(&mut session, &batch, cache)?;
            cache = next;
            if i == 0 {
                let p = t0.elapsed();
                runs.iter_mut().for_each(|r| r.prefill = p);
            }
            let mut step_ids = Vec::with_capacity(b);
            for (r, mut row) in logits.into_iter().enumerate() {
                if done[r] {
                    step_ids.push(pad);
                    continue;
                }
                let tok = samplers[r].sample(&mut row, &histories[r]);
                if self.eos.contains(&tok) {
                    runs[r].stopped_by = StopReason::Eos;
                    done[r] = true;
                } else {
                    runs[r].tokens.push(tok);
                    histories[r].push(tok);
                    if !on_token(r, tok) {
                        runs[r].stopped_by = StopReason::Callback;
                        done[r] = true;
                    }
                }
                step_ids.push(tok as i64);
            }
            if done.iter().all(|&d| d) {
                break;
            }
            // the next step: one token per row, the mask grows by one column
            let total = batch.mask.len() / b + 1;
            let mut mask = Vec::with_capacity(b * total);
            for r in 0..b {
                mask.extend_from_slice(&batch.mask[r * (total - 1)..(r + 1) * (total - 1)]);
                mask.push(1);
            }
            batch = Batch {
                rows: b,
                ids: step_ids,
                mask,
                positions: lengths.clone(),
            };
            lengths.iter_mut().for_each(|l| *l += 1);
        }
        let decode = t0.elapsed().saturating_sub(runs[0].prefill);
        runs.iter_mut().for_each(|r| r.decode = decode);
        Ok(runs)
    }
}

/// The inputs of one forward pass: `rows` rows of equal length, row-major.
struct Batch {
    rows: usize,
    ids: Vec<i64>,
    mask: Vec<i64>,
    positions: Vec<i64>,
}

/// One generation's view of the session for the shared decoding loop: the
/// session and the KV cache so far.
struct OrtStepper<'a> {
    generator: &'a OrtGenerator,
    session: &'a mut Session,
    cache: Vec<DynValue>,
    vocab: usize,
}

impl TokenModel for OrtStepper<'_> {
    fn vocab_size(&self) -> usize {
        self.vocab
    }

    fn reset(&mut self) {
        self.cache.clear();
    }

    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, InferError> {
        let cache = std::mem::take(&mut self.cache);
        let (logits, next) =
            self.generator
                .step(self.session, tokens, pos + tokens.len(), cache)?;
        self.cache = next;
        Ok(logits)
    }
}

/// Reads the decoder's input/output names and cache shapes.
fn layout(session: &Session, model: &Path, dir: &Path) -> Result<Layout, InferError> {
    let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
    if !names.contains(&"input_ids") {
        return Err(model_err(
            model,
            format!("no `input_ids` input (inputs: {})", names.join(", ")),
        ));
    }
    let outs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    if !outs.contains(&"logits") {
        return Err(model_err(
            model,
            format!("no `logits` output (outputs: {})", outs.join(", ")),
        ));
    }
    let mut cache = Vec::new();
    let mut dims: Option<(i64, i64)> = None;
    for input in session.inputs() {
        let Some(rest) = input.name().strip_prefix("past_key_values.") else {
            continue;
        };
        let out = format!("present.{rest}");
        if !outs.contains(&out.as_str()) {
            return Err(model_err(
                model,
                format!("input `{}` has no matching output `{out}`", input.name()),
            ));
        }
        match input.dtype() {
            ValueType::Tensor { ty, shape, .. } => {
                if *ty != ort::value::TensorElementType::Float32 {
                    return Err(model_err(
                        model,
                        format!(
                            "cache input `{}` is {ty:?}; only float32 caches are supported",
                            input.name()
                        ),
                    ));
                }
                if shape.len() != 4 {
                    return Err(model_err(
                        model,
                        format!(
                            "cache input `{}` has rank {}, expected [batch, kv_heads, past, head_dim]",
                            input.name(),
                            shape.len()
                        ),
                    ));
                }
                dims.get_or_insert((shape[1], shape[3]));
            }
            other => {
                return Err(model_err(
                    model,
                    format!("cache input `{}` is not a tensor: {other:?}", input.name()),
                ));
            }
        }
        cache.push((input.name().to_string(), out));
    }
    if cache.is_empty() {
        return Err(model_err(
            model,
            "no past_key_values.* inputs: this export has no KV cache (re-export with scripts/models/llama_to_onnx.py)",
        ));
    }
    // sort by layer, key before value, so inputs line up with outputs
    cache.sort_by_key(|(n, _)| {
        let mut parts = n.split('.');
        let layer = parts
            .nth(1)
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        (layer, n.clone())
    });
    let (mut kv_heads, mut head_dim) = dims.unwrap_or((-1, -1));
    if kv_heads < 1 || head_dim < 1 {
        // dynamic dims: from config.json
        let cfg = read_json(&dir.join("config.json"))?.ok_or_else(|| {
            model_err(
                dir,
                "the cache shape is dynamic and there is no config.json",
            )
        })?;
        let get = |k: &str| cfg.get(k).and_then(Value::as_i64);
        let heads = get("num_attention_heads").unwrap_or(0);
        kv_heads = get("num_key_value_heads").unwrap_or(heads);
        head_dim = get("head_dim").unwrap_or_else(|| {
            if heads > 0 {
                get("hidden_size").unwrap_or(0) / heads
            } else {
                0
            }
        });
        if kv_heads < 1 || head_dim < 1 {
            return Err(model_err(
                dir,
                "cannot tell the cache's kv_heads/head_dim from the graph or config.json",
            ));
        }
    }
    Ok(Layout {
        cache,
        kv_heads: kv_heads as usize,
        head_dim: head_dim as usize,
        attention_mask: names.contains(&"attention_mask"),
        position_ids: names.contains(&"position_ids"),
        use_cache_branch: names.contains(&"use_cache_branch"),
    })
}

/// Chat messages in ChatML, ending with the assistant's turn.
pub fn chatml(msgs: &[crate::generator::ChatMessage]) -> String {
    let mut s = String::new();
    for m in msgs {
        s.push_str(&format!(
            "<|im_start|>{}\n{}<|im_end|>\n",
            m.role, m.content
        ));
    }
    s.push_str("<|im_start|>assistant\n");
    s
}

impl Generator for OrtGenerator {
    fn name(&self) -> &str {
        &self.name
    }

    fn device(&self) -> Option<Device> {
        Some(OrtGenerator::device(self))
    }

    fn fingerprint(&self) -> String {
        format!("ort {} {}", self.name, self.dir.display())
    }

    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        self.generate_stream(prompt, config, &mut |_| true)
    }

    /// One batched run over all prompts (see [`OrtGenerator::generate_ids_batch`]);
    /// a prompt that cannot be tokenized fails alone.
    fn generate_batch(
        &self,
        prompts: &[Prompt],
        config: &GenerationConfig,
    ) -> Vec<Result<Generation, InferError>> {
        let t = Instant::now();
        let encoded: Vec<Result<Vec<u32>, InferError>> = prompts
            .iter()
            .map(|p| match self.encode(p) {
                Ok(ids) if ids.is_empty() => Err(self.gen_err("the prompt has no tokens".into())),
                other => other,
            })
            .collect();
        let ok: Vec<usize> = (0..prompts.len()).filter(|&i| encoded[i].is_ok()).collect();
        let ids: Vec<Vec<u32>> = ok
            .iter()
            .filter_map(|&i| encoded[i].as_ref().ok().cloned())
            .collect();
        let mut scanners: Vec<StopScanner> =
            ids.iter().map(|_| StopScanner::new(&config.stop)).collect();
        let mut tokens: Vec<Vec<u32>> = vec![Vec::new(); ids.len()];
        let mut decode_errs: Vec<Option<String>> = vec![None; ids.len()];
        let runs = self.generate_ids_batch(&ids, config, &mut |r, tok| {
            tokens[r].push(tok);
            match self.tokenizer.decode(&tokens[r], true) {
                Ok(text) => scanners[r].feed(&text, &mut |_| true),
                Err(e) => {
                    decode_errs[r] = Some(e.to_string());
                    false
                }
            }
        });
        let elapsed = t.elapsed();
        let mut out: Vec<Result<Generation, InferError>> = encoded
            .into_iter()
            .map(|r| {
                r.map(|_| Generation {
                    text: String::new(),
                    prompt_tokens: None,
                    completion_tokens: None,
                    elapsed,
                })
            })
            .collect();
        match runs {
            Ok(runs) => {
                for (k, run) in runs.into_iter().enumerate() {
                    let i = ok[k];
                    out[i] = match decode_errs[k].take() {
                        Some(e) => Err(self.gen_err(format!("cannot decode the output: {e}"))),
                        None => Ok(Generation {
                            text: scanners[k].finish(&mut |_| true),
                            prompt_tokens: Some(ids[k].len()),
                            completion_tokens: Some(run.tokens.len()),
                            elapsed,
                        }),
                    };
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for &i in &ok {
                    out[i] = Err(self.gen_err(format!("batched run failed: {msg}")));
                }
            }
        }
        out
    }

    fn generate_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferError> {
        let t = Instant::now();
        let ids = self.encode(prompt)?;
        let mut scanner = StopScanner::new(&config.stop);
        let mut tokens: Vec<u32> = Vec::new();
        let mut decode_err = None;
        let run = self.generate_ids(&ids, config, &mut |tok| {
            tokens.push(tok);
            match self.tokenizer.decode(&tokens, true) {
                Ok(text) => scanner.feed(&text, on_text),
                Err(e) => {
                    decode_err = Some(e.to_string());
                    false
                }
            }
        })?;
        if let Some(e) = decode_err {
            return Err(self.gen_err(format!("cannot decode the output: {e}")));
        }
        let text = scanner.finish(on_text);
        Ok(Generation {
            text,
            prompt_tokens: Some(ids.len()),
            completion_tokens: Some(run.tokens.len()),
            elapsed: t.elapsed(),
        })
    }

    fn generate_constrained(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
    ) -> Result<Option<Generation>, InferError> {
        self.generate_constrained_stream(prompt, config, target, &mut |_| true)
    }

    fn context_window(&self) -> Option<usize> {
        self.context
    }

    fn count_tokens(&self, prompt: &Prompt) -> Option<usize> {
        self.encode(prompt).ok().map(|ids| ids.len())
    }

    fn generate_constrained_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Option<Generation>, InferError> {
        let t = Instant::now();
        let ids = self.encode(prompt)?;
        let mut c = self.constraint(target)?;
        let out = self.run_tokens(&ids, config, Some(&mut c), on_text)?;
        let text = self
            .tokenizer
            .decode(&out.tokens, true)
            .map_err(|e| self.gen_err(format!("cannot decode the output: {e}")))?;
        Ok(Some(Generation {
            text,
            prompt_tokens: Some(ids.len()),
            completion_tokens: Some(out.tokens.len()),
            elapsed: t.elapsed(),
        }))
    }
}
