//! Output files are never replaced silently (`--force` to replace), `eval`
//! never reuses generations made from other inputs or settings, and every
//! error is printed once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
        .args(args)
        .output()
        .expect("run kubescribe")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn generate_refuses_to_replace_a_trace_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    std::fs::write(&trace, "earlier trace").unwrap();
    let intent = "block writes to /etc/nginx/ for app=nginx in namespace shop";
    let o = run(&["generate", "--intent", intent, "--trace", s(&trace)]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains(&format!("{} exists", trace.display())), "{e}");
    assert!(e.contains("--force"), "{e}");
    assert!(o.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&trace).unwrap(), "earlier trace");

    let o = run(&[
        "generate",
        "--intent",
        intent,
        "--trace",
        s(&trace),
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert!(t["attempts"].is_array(), "{t}");
}

#[test]
fn dataset_build_refuses_to_replace_its_files_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("manifest.json"), "{}").unwrap();
    let policies = root().join("examples/policies");
    let args = [
        "dataset",
        "build",
        "--policies",
        s(&policies),
        "--out",
        s(&out),
        "-q",
    ];
    let o = run(&args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("manifest.json exists"), "{e}");
    assert!(e.contains("--force"), "{e}");
    assert!(!out.join("train.jsonl").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        "{}"
    );

    let o = run(&[&args[..], &["--force"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("train.jsonl").exists());
    assert_ne!(
        std::fs::read_to_string(out.join("manifest.json")).unwrap(),
        "{}"
    );
}

/// The `key` of every line of a generations file.
fn keys(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["key"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn eval_resumes_same_inputs_and_never_reuses_stale_generations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let dataset = dir.path().join("d.jsonl");
    std::fs::copy(root().join("examples/eval/dataset.jsonl"), &dataset).unwrap();
    let gens = out.join("generations-synth.jsonl");
    let eval = |extra: &[&str]| {
        let mut a = vec![
            "eval",
            "--dataset",
            s(&dataset),
            "--backend",
            "synth",
            "--out",
            s(&out),
            "-q",
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let o = eval(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = keys(&gens);
    assert_eq!(first.len(), 3);

    // Same inputs and settings: resumed, nothing regenerated or refused.
    let o = eval(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(keys(&gens), first);

    // Another decoding setting: the stored generations are stale. Refused,
    // naming the file and the flag; nothing replaced.
    let o = eval(&["--max-new-tokens", "256"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("generations-synth.jsonl"), "{e}");
    assert!(e.contains("3 of its 3 generation(s)"), "{e}");
    assert!(e.contains("--force"), "{e}");
    assert_eq!(keys(&gens), first);

    // With --force: regenerated under the new setting.
    let o = eval(&["--max-new-tokens", "256", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let second = keys(&gens);
    assert_eq!(second.len(), 3);
    assert!(
        second.iter().all(|k| !first.contains(k)),
        "{first:?} {second:?}"
    );

    // Another dataset (same prompts, other references): refused, the
    // summary would no longer be of the dataset it names.
    let text = std::fs::read_to_string(&dataset).unwrap();
    std::fs::write(
        &dataset,
        text.replacen("nginx-read-www", "nginx-www-read", 1),
    )
    .unwrap();
    let o = eval(&["--max-new-tokens", "256"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("another dataset") && e.contains("--force"),
        "{e}"
    );
    let o = eval(&["--max-new-tokens", "256", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn errors_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    // An I/O error whose message already carries its cause.
    let o = run(&[
        "eval",
        "--dataset",
        s(&missing),
        "--backend",
        "synth",
        "--out",
        s(dir.path()),
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
    assert_eq!(e.matches("kubescribe: error:").count(), 1, "{e}");
    // The same through a recorded-outputs backend.
    let dataset = root().join("examples/eval/dataset.jsonl");
    let replay = format!("replay:{}", missing.display());
    let o = run(&[
        "eval",
        "--dataset",
        s(&dataset),
        "--backend",
        &replay,
        "--out",
        s(dir.path()),
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");
    // An intent file that does not parse, in the synthesizer and the loop.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "not json").unwrap();
    for extra in [
        &[][..],
        &["--backend", "openai", "--model", "http://127.0.0.1:9/v1"][..],
    ] {
        let mut a = vec!["generate", "--intent-file", s(&bad)];
        a.extend_from_slice(extra);
        let o = run(&a);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert_eq!(e.matches("is not a valid intent").count(), 1, "{e}");
        assert_eq!(e.matches("expected ident").count(), 1, "{e}");
    }
}
