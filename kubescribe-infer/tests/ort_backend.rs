//! The ONNX Runtime backend on a tiny random Llama that this test exports
//! itself (scripts/models/llama_to_onnx.py --random-tiny, numpy + onnx, no
//! torch), checked token for token against Python onnxruntime running the
//! same file (scripts/models/ort_greedy.py).
//!
//! Needs `ORT_DYLIB_PATH` (libonnxruntime.so from the `onnxruntime` wheel)
//! and `KUBESCRIBE_MODELS_PYTHON` (a Python with numpy, onnx, safetensors,
//! tokenizers and onnxruntime); `.ci/run` installs both through
//! `scripts/models/install.sh`. Without them every test prints NOT RUN.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kubescribe_infer::onnx::{OrtGenerator, OrtOptions};
use kubescribe_infer::{GenerationConfig, Generator, InferError, Prompt};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> Option<String> {
    match (
        std::env::var("ORT_DYLIB_PATH"),
        std::env::var("KUBESCRIBE_MODELS_PYTHON"),
    ) {
        (Ok(d), Ok(p)) if !d.is_empty() && !p.is_empty() => Some(p),
        _ => {
            eprintln!(
                "NOT RUN: set ORT_DYLIB_PATH and KUBESCRIBE_MODELS_PYTHON (scripts/models/install.sh prints them)"
            );
            None
        }
    }
}

/// The tiny model, exported once per test binary.
fn tiny() -> Option<&'static Path> {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let py = python()?;
    let dir = DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let st = Command::new(&py)
            .arg(root().join("scripts/models/llama_to_onnx.py"))
            .arg("--random-tiny")
            .arg(d.path())
            .status()
            .expect("run the exporter");
        assert!(st.success(), "llama_to_onnx.py --random-tiny failed");
        d
    });
    Some(dir.path())
}

fn load(dir: &Path) -> OrtGenerator {
    OrtGenerator::load(
        dir,
        &OrtOptions {
            intra_threads: 1,
            ..OrtOptions::default()
        },
    )
    .unwrap()
}

/// Greedy tokens from Python onnxruntime for each prompt.
fn python_greedy(dir: &Path, prompts: &[&str], max_new: usize) -> Vec<(Vec<u32>, Vec<u32>)> {
    let py = python().unwrap();
    let mut cmd = Command::new(py);
    cmd.arg(root().join("scripts/models/ort_greedy.py"))
        .arg(dir)
        .args(["--max-new", &max_new.to_string()]);
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

#[test]
fn greedy_tokens_match_python_onnxruntime() {
    let Some(dir) = tiny() else { return };
    let g = load(dir);
    let prompts = [
        "kind: NetworkPolicy",
        "apiVersion: cilium.io/v2\nkind: ",
        "x",
    ];
    let reference = python_greedy(dir, &prompts, 24);
    let cfg = GenerationConfig {
        max_new_tokens: 24,
        ..GenerationConfig::default()
    };
    for (p, (ref_prompt, ref_tokens)) in prompts.iter().zip(&reference) {
        let ids = g.encode(&Prompt::Text(p.to_string())).unwrap();
        assert_eq!(&ids, ref_prompt, "tokenization of {p:?}");
        let run = g.generate_ids(&ids, &cfg, &mut |_| true).unwrap();
        assert_eq!(&run.tokens, ref_tokens, "greedy tokens for {p:?}");
        assert!(!run.tokens.is_empty());
    }
}

#[test]
fn streaming_stop_strings_and_seeded_sampling() {
    let Some(dir) = tiny() else { return };
    let g = load(dir);
    let prompt = Prompt::Text("kind: NetworkPolicy".into());
    let cfg = GenerationConfig {
        max_new_tokens: 30,
        ..GenerationConfig::default()
    };
    let whole = g.generate(&prompt, &cfg).unwrap();
    assert_eq!(whole.prompt_tokens, Some(19));
    assert!(whole.completion_tokens.unwrap() > 0);
    let mut pieces = String::new();
    let streamed = g
        .generate_stream(&prompt, &cfg, &mut |t| {
            pieces.push_str(t);
            true
        })
        .unwrap();
    assert_eq!(streamed.text, whole.text);
    assert_eq!(pieces, whole.text);

    // a stop string taken from the greedy output cuts the text right before it
    let chars: Vec<char> = whole.text.chars().collect();
    if chars.len() >= 6 {
        let stop: String = chars[3..5].iter().collect();
        let cut = whole.text.find(&stop).unwrap();
        let stopped = g
            .generate(
                &prompt,
                &GenerationConfig {
                    stop: vec![stop.clone()],
                    ..cfg.clone()
                },
            )
            .unwrap();
        assert_eq!(stopped.text, whole.text[..cut], "stop {stop:?}");
    }

    let sampled = |seed| {
        g.generate(
            &prompt,
            &GenerationConfig {
                temperature: 1.0,
                top_p: 0.95,
                seed,
                ..cfg.clone()
            },
        )
        .unwrap()
        .text
    };
    assert_eq!(sampled(3), sampled(3), "a seed reproduces a sampled run");
    assert_ne!(
        sampled(3),
        whole.text,
        "sampling at temperature 1 is not greedy"
    );
}

#[test]
fn shared_across_threads() {
    let Some(dir) = tiny() else { return };
    let g = load(dir);
    let cfg = GenerationConfig {
        max_new_tokens: 8,
        ..GenerationConfig::default()
    };
    let prompts: Vec<Prompt> = ["a", "b", "c", "d"]
        .iter()
        .map(|p| Prompt::Text(p.to_string()))
        .collect();
    let serial: Vec<String> = prompts
        .iter()
        .map(|p| g.generate(p, &cfg).unwrap().text)
        .collect();
    let parallel: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = prompts
            .iter()
            .map(|p| s.spawn(|| g.generate(p, &cfg).unwrap().text))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(serial, parallel);
    let batch: Vec<String> = g
        .generate_batch(&prompts, &cfg)
        .into_iter()
        .map(|r| r.unwrap().text)
        .collect();
    assert_eq!(serial, batch);
}

#[test]
fn bad_model_directories_are_clear_errors() {
    let Some(dir) = tiny() else { return };
    let empty = tempfile::tempdir().unwrap();
    let e = OrtGenerator::load(empty.path(), &OrtOptions::default()).unwrap_err();
    assert!(matches!(e, InferError::Model { .. }), "{e:?}");
    assert!(e.to_string().contains("no model.onnx"), "{e}");
    // the graph without its tokenizer
    let only = tempfile::tempdir().unwrap();
    for f in ["model.onnx", "model.onnx.data"] {
        std::fs::copy(dir.join(f), only.path().join(f)).unwrap();
    }
    let e = OrtGenerator::load(only.path(), &OrtOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no tokenizer.json"), "{e}");
    // a file that is not ONNX
    std::fs::copy(
        dir.join("tokenizer.json"),
        only.path().join("tokenizer.json"),
    )
    .unwrap();
    std::fs::write(only.path().join("model.onnx"), b"not a model").unwrap();
    let e = OrtGenerator::load(only.path(), &OrtOptions::default()).unwrap_err();
    assert!(e.to_string().contains("model.onnx"), "{e}");
}

#[test]
fn a_left_padded_batch_gives_the_sequential_tokens() {
    let Some(dir) = tiny() else { return };
    let g = load(dir);
    let cfg = GenerationConfig {
        max_new_tokens: 16,
        stop: vec!["zz".into()],
        ..GenerationConfig::default()
    };
    // different lengths, so rows are padded; one row that cannot be tokenized is not possible
    // with a byte-level vocabulary, so every row must succeed
    let prompts: Vec<Prompt> = ["kind: NetworkPolicy\nmetadata:", "x", "apiVersion: v1", ""]
        .iter()
        .map(|p| Prompt::Text(p.to_string()))
        .collect();
    let batch = g.generate_batch(&prompts, &cfg);
    for (p, b) in prompts.iter().zip(&batch) {
        match (g.generate(p, &cfg), b) {
            (Ok(one), Ok(b)) => {
                assert_eq!(b.text, one.text, "{p:?}");
                assert_eq!(b.completion_tokens, one.completion_tokens);
            }
            (Err(one), Err(b)) => assert!(b.to_string().contains("no tokens"), "{one} / {b}"),
            (one, b) => panic!("{p:?}: sequential {one:?} vs batch {b:?}"),
        }
    }
    // seeded sampling is per row, as if each prompt ran alone
    let sampled = GenerationConfig {
        temperature: 1.0,
        seed: 11,
        ..cfg.clone()
    };
    let batch = g.generate_batch(&prompts[..3], &sampled);
    for (p, b) in prompts[..3].iter().zip(batch) {
        assert_eq!(b.unwrap().text, g.generate(p, &sampled).unwrap().text);
    }
}

#[test]
fn constrained_decoding_makes_every_output_a_valid_policy() {
    use kubescribe_core::PolicyKind;
    use kubescribe_infer::ConstraintTarget;
    let Some(dir) = tiny() else { return };
    let g = load(dir);
    let validator = kubescribe_validate::Validator::new();
    let valid = |text: &str| {
        kubescribe_core::document::read_bytes("gen", text.as_bytes(), &Default::default())
            .is_ok_and(|set| {
                set.documents.len() == 1
                    && validator.validate_value(&set.documents[0].value).is_valid()
            })
    };
    let (mut total, mut ok, mut free_ok) = (0, 0, 0);
    for (i, &kind) in PolicyKind::ALL.iter().enumerate() {
        let prompt = Prompt::Text(format!("Write a {} as JSON:\n", kind.kind()));
        for seed in 0..2u64 {
            let cfg = GenerationConfig {
                max_new_tokens: 400,
                temperature: if seed == 0 { 0.0 } else { 1.0 },
                seed: seed + i as u64,
                ..GenerationConfig::default()
            };
            let out = g
                .generate_constrained(&prompt, &cfg, &ConstraintTarget::new(kind))
                .unwrap()
                .expect("the ort backend constrains");
            total += 1;
            if valid(&out.text) {
                ok += 1;
            } else {
                eprintln!("INVALID {}: {}", kind.kind(), out.text);
            }
        }
        let free = g
            .generate(
                &prompt,
                &GenerationConfig {
                    max_new_tokens: 64,
                    ..GenerationConfig::default()
                },
            )
            .unwrap();
        if valid(&free.text) {
            free_ok += 1;
        }
    }
    println!(
        "ort tiny random llama: constrained {ok}/{total} valid; unconstrained {free_ok}/{} valid",
        PolicyKind::ALL.len()
    );
    assert_eq!(ok, total, "every constrained output must be valid");
    assert_eq!(free_ok, 0, "the random model alone writes no valid policy");
}
