//! Opening generator backends for `generate` and `eval`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use kubescribe_infer::onnx::{OrtDevice, OrtGenerator, OrtOptions};
use kubescribe_infer::openai::{OpenAiConfig, OpenAiGenerator};
use kubescribe_infer::{GenerationConfig, Generator, SynthGenerator};

/// A generator backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// The deterministic synthesizer (offline, no model).
    Synth,
    /// A local model on candle (Hugging Face directory or GGUF file).
    Candle,
    /// An ONNX decoder with a KV cache on ONNX Runtime (needs ORT_DYLIB_PATH).
    Ort,
    /// An OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama).
    Openai,
}

/// Model settings shared by the model backends.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The model: for `ort` a directory with model.onnx (with past_key_values
    /// inputs) and tokenizer.json; for `candle` a Hugging Face directory or a
    /// GGUF file; for `openai` the server's OpenAI base URL
    /// (e.g. http://127.0.0.1:8000/v1; API key from KUBESCRIBE_OPENAI_API_KEY or OPENAI_API_KEY).
    #[arg(long, value_name = "DIR|URL")]
    pub model: Option<String>,
    /// The model name an OpenAI-compatible server serves.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub model_name: String,
    /// Most new tokens per generation.
    #[arg(long, default_value_t = 1024)]
    pub max_new_tokens: usize,
    /// Sampling temperature (0 = greedy).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads for a local model (0 = the runtime's default, one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Run a local model on the GPU (ort: the CUDA execution provider, needs
    /// a CUDA-enabled ONNX Runtime; candle: CUDA device 0; both need a build
    /// with the `cuda` feature).
    #[arg(long)]
    pub gpu: bool,
    /// HTTP timeout in seconds (openai).
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Let a local model (candle, ort) decode freely instead of constrained
    /// to the target kind's schema (the default), e.g. to compare the two.
    #[arg(long)]
    pub no_constrain: bool,
}

impl ModelArgs {
    /// The decoding settings.
    pub fn generation(&self) -> GenerationConfig {
        GenerationConfig {
            max_new_tokens: self.max_new_tokens,
            temperature: self.temperature,
            seed: self.seed,
            ..GenerationConfig::default()
        }
    }
}

/// Opens a backend; `model` is required for all but `synth`.
pub fn open(backend: Backend, args: &ModelArgs) -> Result<Box<dyn Generator>> {
    let need_model = || {
        let name = backend
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        args.model
            .clone()
            .with_context(|| format!("--backend {name} needs --model"))
    };
    Ok(match backend {
        Backend::Synth => Box::new(SynthGenerator::new()),
        Backend::Ort => Box::new(open_ort(&need_model()?, args)?),
        Backend::Openai => Box::new(open_openai(&need_model()?, &args.model_name, args)?),
        Backend::Candle => Box::new(open_candle(&need_model()?, args)?),
    })
}

fn open_ort(dir: &str, args: &ModelArgs) -> Result<OrtGenerator> {
    let options = OrtOptions {
        intra_threads: args.threads,
        device: if args.gpu {
            OrtDevice::Cuda(0)
        } else {
            OrtDevice::Cpu
        },
        ..OrtOptions::default()
    };
    let g = OrtGenerator::load(PathBuf::from(dir), &options)?;
    if args.gpu && g.provider() != "CUDAExecutionProvider" {
        eprintln!("kubescribe: note: running on {}", g.provider());
    }
    Ok(g)
}

fn open_candle(path: &str, args: &ModelArgs) -> Result<kubescribe_infer::CandleGenerator> {
    let options = kubescribe_infer::LoadOptions {
        cuda: args.gpu,
        ..Default::default()
    };
    Ok(kubescribe_infer::CandleGenerator::load(path, &options)?)
}

fn open_openai(url: &str, model: &str, args: &ModelArgs) -> Result<OpenAiGenerator> {
    let mut cfg = OpenAiConfig::new(url, model);
    cfg.timeout = Duration::from_secs(args.timeout.max(1));
    Ok(OpenAiGenerator::new(cfg)?)
}

/// Parses an `eval --backend` value: `synth`, `synth:ENGINE`, `ort:DIR`,
/// `openai:MODEL=URL`, `candle:PATH` (replay is handled by the caller).
pub fn from_spec(kind: &str, arg: &str, args: &ModelArgs) -> Result<Option<Box<dyn Generator>>> {
    Ok(Some(match kind {
        "synth" if arg.is_empty() => Box::new(SynthGenerator::new()),
        "synth" => Box::new(SynthGenerator::for_engine(
            arg.parse().map_err(anyhow::Error::msg)?,
        )),
        "ort" if arg.is_empty() => bail!("backend ort needs a model directory: ort:DIR"),
        "ort" => Box::new(open_ort(arg, args)?),
        "openai" => {
            let Some((model, url)) = arg.split_once('=') else {
                bail!(
                    "backend openai needs a model name and the server's base URL: openai:MODEL=http://HOST:PORT/v1"
                );
            };
            Box::new(open_openai(url, model, args)?)
        }
        "candle" if arg.is_empty() => {
            bail!("backend candle needs a model directory or GGUF file: candle:PATH")
        }
        "candle" => Box::new(open_candle(arg, args)?),
        _ => return Ok(None),
    }))
}
