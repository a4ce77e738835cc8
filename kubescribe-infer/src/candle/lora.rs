//! Merging a PEFT LoRA adapter (what QLoRA fine-tuning writes:
//! `adapter_config.json` + `adapter_model.safetensors`) into the base
//! weights at load time: `W += scale · B·A` with `scale = lora_alpha / r`
//! (`lora_alpha / √r` with `use_rslora`).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde_json::Value;

use crate::error::InferError;

fn err(path: &Path, message: impl std::fmt::Display) -> InferError {
    InferError::Model {
        path: path.display().to_string(),
        message: format!("LoRA adapter: {message}"),
    }
}

/// Merges the adapter in `dir` into `weights` (Hugging Face tensor names).
/// Every adapter tensor must be a `lora_A`/`lora_B` pair of a weight the
/// model has; anything else is an error rather than silently ignored.
pub fn merge(dir: &Path, weights: &mut HashMap<String, Tensor>) -> Result<usize, InferError> {
    let cfg_path = dir.join("adapter_config.json");
    let text = std::fs::read_to_string(&cfg_path).map_err(|e| InferError::io(&cfg_path, e))?;
    let cfg: Value = serde_json::from_str(&text)
        .map_err(|e| err(&cfg_path, format!("line {}: {e}", e.line())))?;
    let r = cfg
        .get("r")
        .and_then(Value::as_f64)
        .filter(|r| *r > 0.0)
        .ok_or_else(|| err(&cfg_path, "`r` must be a positive number"))?;
    let alpha = cfg.get("lora_alpha").and_then(Value::as_f64).unwrap_or(r);
    let rslora = cfg
        .get("use_rslora")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let fan_in_fan_out = cfg
        .get("fan_in_fan_out")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let scale = if rslora { alpha / r.sqrt() } else { alpha / r };
    let st = dir.join("adapter_model.safetensors");
    let adapter = candle_core::safetensors::load(&st, &Device::Cpu).map_err(|e| err(&st, e))?;
    let mut pairs: HashMap<String, (Option<Tensor>, Option<Tensor>)> = HashMap::new();
    for (name, t) in adapter {
        let base = name.strip_prefix("base_model.model.").unwrap_or(&name);
        if let Some(m) = base.strip_suffix(".lora_A.weight") {
            pairs.entry(m.to_string()).or_default().0 = Some(t);
        } else if let Some(m) = base.strip_suffix(".lora_B.weight") {
            pairs.entry(m.to_string()).or_default().1 = Some(t);
        } else {
            return Err(err(
                &st,
                format!(
                    "tensor {name:?} is not a lora_A/lora_B weight (modules_to_save and embedding adapters are not supported)"
                ),
            ));
        }
    }
    let mut merged = 0;
    for (module, (a, b)) in pairs {
        let (Some(a), Some(b)) = (a, b) else {
            return Err(err(
                &st,
                format!("{module}: lora_A and lora_B must both be present"),
            ));
        };
        let key = format!("{module}.weight");
        let w = weights
            .get(&key)
            .ok_or_else(|| err(&st, format!("the model has no weight {key:?}")))?;
        let run = || -> candle_core::Result<Tensor> {
            let dev = w.device();
            let a = a.to_dtype(DType::F32)?.to_device(dev)?;
            let b = b.to_dtype(DType::F32)?.to_device(dev)?;
            let mut delta = (b.matmul(&a)? * scale)?;
            if fan_in_fan_out {
                delta = delta.t()?;
            }
            let dt = w.dtype();
            (w.to_dtype(DType::F32)? + delta)?.to_dtype(dt)
        };
        let new = run().map_err(|e| err(&st, format!("{key}: {e}")))?;
        weights.insert(key, new);
        merged += 1;
    }
    Ok(merged)
}
