//! Opening generator backends (the synthesizer, or a model on candle, ONNX
//! Runtime or an OpenAI-compatible server) for `generate`, `intent parse`
//! and `eval`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use kubescribe_infer::onnx::{OrtGenerator, OrtOptions};
use kubescribe_infer::openai::{OpenAiConfig, OpenAiGenerator};
use kubescribe_infer::{Generator, SynthGenerator};

use crate::args::{Backend, ModelArgs, SchemaFieldArg};

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
        device: args.device,
        ..OrtOptions::default()
    };
    let g = OrtGenerator::load(PathBuf::from(dir), &options)?;
    eprintln!(
        "kubescribe: {}: running on {} ({})",
        g.name(),
        g.device(),
        g.provider()
    );
    Ok(g)
}

fn open_candle(path: &str, args: &ModelArgs) -> Result<kubescribe_infer::CandleGenerator> {
    use kubescribe_infer::candle::THREAD_ENV;
    let quantize = args
        .quantize
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--quantize: {e}"))?;
    if args.threads > 0 {
        for var in THREAD_ENV {
            // SAFETY: candle sizes its thread pools from these variables
            // when it first computes, which is after this; the CLI runs no
            // other thread here (ingestion has finished, nothing else
            // started), so no thread reads the environment concurrently.
            unsafe { std::env::set_var(var, args.threads.to_string()) };
        }
    }
    let options = kubescribe_infer::LoadOptions {
        device: args.device,
        quantize,
        ..Default::default()
    };
    let g = kubescribe_infer::CandleGenerator::load(path, &options)?;
    eprintln!(
        "kubescribe: {}: running on {} (candle)",
        g.name(),
        args.device
    );
    Ok(g)
}

fn open_openai(url: &str, model: &str, args: &ModelArgs) -> Result<OpenAiGenerator> {
    use kubescribe_infer::openai::SchemaField;
    let mut cfg = OpenAiConfig::new(url, model);
    cfg.timeout = Duration::from_secs(args.timeout.max(1));
    cfg.context_window = args.context_window.filter(|n| *n > 0);
    cfg.schema_field = match args.schema_field {
        SchemaFieldArg::ResponseFormat => SchemaField::ResponseFormat,
        SchemaFieldArg::LlamaCpp => SchemaField::LlamaCpp,
        SchemaFieldArg::Vllm => SchemaField::Vllm,
        SchemaFieldArg::JsonObject => SchemaField::JsonObject,
        SchemaFieldArg::Off => SchemaField::Off,
    };
    let g = OpenAiGenerator::new(cfg)?;
    // An unreachable server is a configuration error (exit 2, the URL
    // named), found before any attempt rather than as three failed ones.
    g.probe()?;
    Ok(g)
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
