//! Parity on a real model: greedy decoding of the same prompts gives the
//! same tokens from kubescribe's `ort` backend (the ONNX export with a KV
//! cache of SmolLM2-135M-Instruct) and from Python onnxruntime on the same
//! file, and a batch of the prompts gives each prompt's own output.
//!
//! Needs `KUBESCRIBE_SMOLLM2_ONNX` (the directory scripts/models/install.sh
//! writes), `ORT_DYLIB_PATH` and `KUBESCRIBE_MODELS_PYTHON`; without them it
//! prints NOT RUN.

use std::path::{Path, PathBuf};
use std::process::Command;

#[cfg(feature = "candle")]
use kubescribe_infer::candle::{CandleGenerator, LoadOptions};
use kubescribe_infer::onnx::{OrtGenerator, OrtOptions};
use kubescribe_infer::{ChatMessage, GenerationConfig, Generator, Prompt};
use serde_json::Value;

const MAX_NEW: usize = 24;

fn prompts() -> Vec<Prompt> {
    let chat = |u: &str| {
        Prompt::Chat(vec![
            ChatMessage {
                role: "system".into(),
                content: "You write Kubernetes security policies as YAML.".into(),
            },
            ChatMessage {
                role: "user".into(),
                content: u.into(),
            },
        ])
    };
    vec![
        chat("What is Kubernetes?"),
        chat("Write a NetworkPolicy that denies all ingress in namespace shop."),
        Prompt::Text(
            "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name:"
                .into(),
        ),
    ]
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

#[test]
fn ort_matches_python_onnxruntime_on_smollm2() {
    let (Some(dir), Some(py), Some(_)) = (
        env("KUBESCRIBE_SMOLLM2_ONNX"),
        env("KUBESCRIBE_MODELS_PYTHON"),
        env("ORT_DYLIB_PATH"),
    ) else {
        eprintln!(
            "NOT RUN: set KUBESCRIBE_SMOLLM2_ONNX, KUBESCRIBE_MODELS_PYTHON and ORT_DYLIB_PATH (scripts/models/install.sh)"
        );
        return;
    };
    let dir = PathBuf::from(dir);
    let g = OrtGenerator::load(
        &dir,
        &OrtOptions {
            intra_threads: 1,
            ..OrtOptions::default()
        },
    )
    .unwrap();
    let cfg = GenerationConfig {
        max_new_tokens: MAX_NEW,
        ..GenerationConfig::default()
    };
    let mut texts = Vec::new();
    let mut ours = Vec::new();
    for p in prompts() {
        let ids = g.encode(&p).unwrap();
        let run = g.generate_ids(&ids, &cfg, &mut |_| true).unwrap();
        assert!(!run.tokens.is_empty());
        texts.push(match &p {
            Prompt::Text(t) => t.clone(),
            Prompt::Chat(m) => kubescribe_infer::onnx::chatml(m),
        });
        ours.push((ids, run.tokens));
    }
    let reference = python_greedy(&py, &dir, &texts);
    for (i, ((ids, toks), (ref_ids, ref_toks))) in ours.iter().zip(&reference).enumerate() {
        assert_eq!(ids, ref_ids, "prompt {i}: tokenization");
        assert_eq!(toks, ref_toks, "prompt {i}: greedy tokens");
        eprintln!(
            "prompt {i}: {} tokens identical: {:?}",
            toks.len(),
            g.tokenizer().decode(toks, true).unwrap()
        );
    }
    // a coherent answer, not just equal garbage
    let answer = g.generate(&prompts()[0], &cfg).unwrap().text;
    assert!(answer.contains("Kubernetes"), "{answer}");
    // one left-padded batch of all prompts (lengths differ) gives each prompt's
    // one-by-one greedy output
    let batch = g.generate_batch(&prompts(), &cfg);
    for (i, (b, (_, toks))) in batch.iter().zip(&ours).enumerate() {
        let b = b.as_ref().unwrap();
        assert_eq!(
            b.text,
            g.tokenizer().decode(toks, true).unwrap(),
            "prompt {i}: batch vs one by one"
        );
        assert_eq!(b.completion_tokens, Some(toks.len()), "prompt {i}");
    }
    // candle on the f32 safetensors the ONNX file was exported from
    #[cfg(feature = "candle")]
    candle_matches(&ours, &cfg);
}

#[cfg(feature = "candle")]
fn candle_matches(ours: &[(Vec<u32>, Vec<u32>)], cfg: &GenerationConfig) {
    let Some(hf) = env("KUBESCRIBE_SMOLLM2_HF") else {
        eprintln!("candle parity NOT RUN: set KUBESCRIBE_SMOLLM2_HF (scripts/models/install.sh)");
        return;
    };
    let c = CandleGenerator::load(&hf, &LoadOptions::default()).unwrap();
    for (i, ((ids, toks), p)) in ours.iter().zip(prompts()).enumerate() {
        assert_eq!(
            &c.encode(&p).unwrap(),
            ids,
            "prompt {i}: candle tokenization"
        );
        let out = c.run_tokens(ids, cfg, None, &mut |_| true).unwrap();
        assert_eq!(&out.tokens, toks, "prompt {i}: candle greedy tokens");
        eprintln!(
            "prompt {i}: candle (f32 safetensors) gives the same {} tokens",
            toks.len()
        );
    }
}

fn python_greedy(py: &str, dir: &Path, prompts: &[String]) -> Vec<(Vec<u32>, Vec<u32>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cmd = Command::new(py);
    cmd.arg(root.join("scripts/models/ort_greedy.py"))
        .arg(dir)
        .args(["--max-new", &MAX_NEW.to_string()]);
    for p in prompts {
        cmd.args(["--prompt", p]);
    }
    let out = cmd.output().expect("run ort_greedy.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let ids = |k: &str| -> Vec<u32> {
                v[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_u64().unwrap() as u32)
                    .collect()
            };
            (ids("prompt_ids"), ids("tokens"))
        })
        .collect()
}
