//! `--device cpu|cuda[:N]` of the commands that run a local model: a value
//! that is no device is refused by the parser, the device in use is said on
//! standard error and recorded in the trace, and a GPU that cannot be used
//! is an error (exit 2) that says why — never a silent run on the CPU. On
//! this machine (no GPU) that covers: a build without candle's CUDA backend,
//! a CUDA build without the NVIDIA driver, and an ONNX Runtime library
//! without the CUDA execution provider (when ORT_DYLIB_PATH names one).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kubescribe_infer::candle::fixture::{TinyConfig, TinyModel, write_tiny_llama};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("run kubescribe")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn intent() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/intents/nginx-www.json")
}

fn tiny(dir: &Path) -> TinyModel {
    write_tiny_llama(&dir.join("tiny"), &TinyConfig::default()).unwrap()
}

fn generate(model: &str, backend: &str, device: &str, extra: &[&str]) -> Output {
    let intent = intent();
    let mut args = vec![
        "generate",
        "--intent-file",
        intent.to_str().unwrap(),
        "--backend",
        backend,
        "--model",
        model,
        "--device",
        device,
        "--max-new-tokens",
        "400",
        "--max-attempts",
        "1",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn a_value_that_is_no_device_is_refused_with_the_accepted_forms() {
    for (bad, why) in [
        ("tpu", "expected cpu, cuda or cuda:N"),
        ("cuda:x", "GPU's index"),
        ("cuda:-1", "GPU's index"),
    ] {
        let o = generate("unused", "candle", bad, &[]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("--device"), "{bad}: {err}");
        assert!(err.contains(why), "{bad}: {err}");
    }
    // --gpu is gone: --device cuda says it
    let o = run(&["generate", "--gpu", "--backend", "candle"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn the_cpu_run_says_its_device_on_stderr_and_in_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny(dir.path());
    let trace = dir.path().join("trace.json");
    let o = generate(
        model.dir.to_str().unwrap(),
        "candle",
        "cpu",
        &["--trace", trace.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("kubescribe: tiny: running on cpu (candle)"),
        "{}",
        stderr(&o)
    );
    let t: Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(t["device"], "cpu", "{t}");
    // the default is the CPU
    let o = run(&[
        "generate",
        "--intent-file",
        intent().to_str().unwrap(),
        "--backend",
        "candle",
        "--model",
        model.dir.to_str().unwrap(),
        "--max-new-tokens",
        "400",
        "--max-attempts",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("running on cpu (candle)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn candle_on_a_gpu_it_cannot_use_fails_with_the_reason_not_on_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny(dir.path());
    let o = generate(model.dir.to_str().unwrap(), "candle", "cuda:1", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("device cuda:1: "), "{err}");
    assert!(
        !err.contains("running on"),
        "no run on another device: {err}"
    );
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    if cfg!(feature = "cuda") {
        // A machine with a GPU gets past this check; this one has none (the
        // test is meant for machines without one, such as CI).
        if err.contains("cannot open the GPU") {
            eprintln!("NOT RUN: this machine has the CUDA libraries");
            return;
        }
        assert!(
            err.contains("cannot load the NVIDIA driver (libcuda.so.1"),
            "{err}"
        );
        assert!(err.contains("LD_LIBRARY_PATH"), "{err}");
    } else {
        assert!(err.contains("built without candle's CUDA backend"), "{err}");
        assert!(err.contains("scripts/gpu/build.sh"), "{err}");
    }
}

/// An ONNX Runtime library without the CUDA provider (the CPU wheel's, which
/// ORT_DYLIB_PATH names in CI) refuses `--device cuda` before reading the
/// model; the CPU is not taken instead.
#[test]
fn ort_on_a_library_without_the_cuda_provider_fails_with_what_to_install() {
    let Some(lib) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) else {
        eprintln!("NOT RUN: set ORT_DYLIB_PATH (eval \"$(bash scripts/models/install.sh)\")");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let model = tiny(dir.path());
    // A directory in the export's layout: the provider is chosen before the
    // graph is read, so an empty model.onnx is enough here.
    let onnx = dir.path().join("onnx");
    std::fs::create_dir_all(&onnx).unwrap();
    std::fs::write(onnx.join("model.onnx"), b"").unwrap();
    for f in ["tokenizer.json", "config.json"] {
        std::fs::copy(model.dir.join(f), onnx.join(f)).unwrap();
    }
    let o = generate(onnx.to_str().unwrap(), "ort", "cuda", &[]);
    let err = stderr(&o);
    if err.contains("could not be started") {
        eprintln!("NOT RUN: {lib:?} has the CUDA execution provider");
        return;
    }
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("device cuda:0: "), "{err}");
    assert!(err.contains("no CUDA execution provider"), "{err}");
    assert!(err.contains("onnxruntime-gpu"), "{err}");
    assert!(!err.contains("running on"), "{err}");
}
