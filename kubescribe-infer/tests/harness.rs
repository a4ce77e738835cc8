//! The evaluation harness end to end: two generators over a small dataset,
//! summary values, produced files, and resumption after an interruption.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kubescribe_infer::eval::{self, EvalOptions, Sample};
use kubescribe_infer::{
    Generation, GenerationConfig, Generator, InferError, Prompt, ReplayGenerator,
};

fn dataset() -> Vec<Sample> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies");
    let mut out = Vec::new();
    for (i, f) in [
        "kubearmor-nginx-www.yaml",
        "tetragon-block-passwd-write.yaml",
    ]
    .iter()
    .enumerate()
    {
        out.push(Sample {
            id: format!("s{i}"),
            prompt: Prompt::Text(format!("write the policy in {f}")),
            reference: std::fs::read_to_string(dir.join(f)).unwrap(),
            intent: None,
        });
    }
    out
}

/// Counts calls; fails on the prompt it is told to, to simulate an interruption.
struct Counting {
    inner: ReplayGenerator,
    calls: AtomicUsize,
    fail_on: Option<String>,
}

impl Generator for Counting {
    fn name(&self) -> &str {
        "counting"
    }
    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail_on.as_deref() == Some(prompt.as_text().as_str()) {
            return Err(InferError::Generation {
                generator: "counting".into(),
                message: "simulated failure".into(),
            });
        }
        let mut g = self.inner.generate(prompt, config)?;
        g.elapsed = Duration::from_millis(1);
        Ok(g)
    }
}

#[test]
fn oracle_scores_perfectly_and_broken_output_does_not_compile() {
    let data = dataset();
    let oracle = ReplayGenerator::from_pairs(
        "oracle",
        data.iter()
            .map(|s| (s.prompt.as_text(), s.reference.clone())),
    );
    let broken = ReplayGenerator::from_pairs(
        "broken",
        data.iter().map(|s| {
            (
                s.prompt.as_text(),
                s.reference
                    .replace("action: Allow", "action: allow")
                    .replace("Sigkill", "Kill"),
            )
        }),
    );
    let out = tempfile::tempdir().unwrap();
    let mut ticks = 0;
    let summaries = eval::run(
        &data,
        &[&oracle, &broken],
        out.path(),
        &EvalOptions::default(),
        &mut |_| ticks += 1,
    )
    .unwrap();
    assert!(ticks >= 6);
    let o = &summaries[0];
    assert_eq!(o.model, "oracle");
    assert_eq!(o.compile_rate, 1.0);
    assert_eq!(o.coverage_rate, 1.0);
    assert!((o.bleu - 100.0).abs() < 1e-9 && (o.rouge_l - 1.0).abs() < 1e-12);
    let b = &summaries[1];
    assert_eq!(b.compile_rate, 0.0, "{b:?}");
    assert_eq!(b.coverage_rate, 0.0);
    assert!(b.bleu < 100.0 && b.bleu > 50.0);
    for f in [
        "summary.json",
        "summary.csv",
        "summary.md",
        "metrics.svg",
        "generations-oracle.jsonl",
        "scores-broken.jsonl",
    ] {
        let meta = std::fs::metadata(out.path().join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(meta.len() > 0, "{f} is empty");
    }
    let svg = std::fs::read_to_string(out.path().join("metrics.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("oracle") && svg.contains("coverage"));
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(
        md.contains("| oracle | 2 | 0 | 100.0 | 100.0 | - | 100.00 |"),
        "{md}"
    );
    let scores = std::fs::read_to_string(out.path().join("scores-broken.jsonl")).unwrap();
    assert!(scores.lines().all(|l| l.contains("\"compiles\":false")));
}

#[test]
fn an_interrupted_run_resumes_without_regenerating() {
    let data = dataset();
    let pairs: Vec<(String, String)> = data
        .iter()
        .map(|s| (s.prompt.as_text(), s.reference.clone()))
        .collect();
    let out = tempfile::tempdir().unwrap();
    // First run: the second sample fails (as if the run were cut there).
    let first = Counting {
        inner: ReplayGenerator::from_pairs("x", pairs.clone()),
        calls: AtomicUsize::new(0),
        fail_on: None,
    };
    eval::run(
        &data[..1],
        &[&first],
        out.path(),
        &EvalOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(first.calls.load(Ordering::SeqCst), 1);
    // Second run over the whole dataset only generates the missing sample.
    let second = Counting {
        inner: ReplayGenerator::from_pairs("x", pairs),
        calls: AtomicUsize::new(0),
        fail_on: None,
    };
    let s = eval::run(
        &data,
        &[&second],
        out.path(),
        &EvalOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(second.calls.load(Ordering::SeqCst), 1);
    assert_eq!(s[0].samples, 2);
    assert_eq!(s[0].compile_rate, 1.0);
    let lines = std::fs::read_to_string(out.path().join("generations-counting.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 2);
}

#[test]
fn failed_generations_are_recorded_not_dropped() {
    let data = dataset();
    let pairs: Vec<(String, String)> = data
        .iter()
        .map(|s| (s.prompt.as_text(), s.reference.clone()))
        .collect();
    let g = Counting {
        inner: ReplayGenerator::from_pairs("x", pairs),
        calls: AtomicUsize::new(0),
        fail_on: Some(data[1].prompt.as_text()),
    };
    let out = tempfile::tempdir().unwrap();
    let s = eval::run(
        &data,
        &[&g],
        out.path(),
        &EvalOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(s[0].errors, 1);
    assert_eq!(s[0].compile_rate, 0.5);
    let scores = std::fs::read_to_string(out.path().join("scores-counting.jsonl")).unwrap();
    assert!(scores.contains("simulated failure"));
}

#[test]
fn datasets_are_checked_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.jsonl");
    std::fs::write(&p, "{\"id\":\"a\",\"prompt\":\"p\",\"reference\":\"r\"}\n{\"id\":\"a\",\"prompt\":\"q\",\"reference\":\"r\"}\n").unwrap();
    let e = eval::load_dataset(&p).unwrap_err().to_string();
    assert!(e.contains(":2:") && e.contains("duplicate id"), "{e}");
    std::fs::write(&p, "{\"id\":1,\"intent\":\"allow nginx\",\"reference\":\"r\"}\n{\"prompt\":[{\"role\":\"user\",\"content\":\"hi\"}],\"reference\":\"r\"}\n").unwrap();
    let d = eval::load_dataset(&p).unwrap();
    assert_eq!(d[0].id, "1");
    assert_eq!(d[1].id, "2");
    assert!(matches!(d[1].prompt, Prompt::Chat(_)));
    std::fs::write(&p, "{\"id\":\"a\",\"reference\":\"r\"}\n").unwrap();
    assert!(
        eval::load_dataset(&p)
            .unwrap_err()
            .to_string()
            .contains("missing `prompt`")
    );
}

/// A generator whose calls are counted and whose recorded outputs are `pairs`.
fn counting(pairs: Vec<(String, String)>) -> Counting {
    Counting {
        inner: ReplayGenerator::from_pairs("x", pairs),
        calls: AtomicUsize::new(0),
        fail_on: None,
    }
}

#[test]
fn stored_generations_of_other_settings_prompts_or_outputs_are_never_reused() {
    let data = dataset();
    let pairs: Vec<(String, String)> = data
        .iter()
        .map(|s| (s.prompt.as_text(), s.reference.clone()))
        .collect();
    let out = tempfile::tempdir().unwrap();
    let gens = out.path().join("generations-counting.jsonl");
    let run = |g: &Counting, data: &[Sample], opts: &EvalOptions| {
        eval::run(data, &[g], out.path(), opts, &mut |_| {})
    };
    let first = counting(pairs.clone());
    run(&first, &data, &EvalOptions::default()).unwrap();
    assert_eq!(first.calls.load(Ordering::SeqCst), 2);
    let before = std::fs::read_to_string(&gens).unwrap();

    // The same inputs and settings: everything reused.
    let same = counting(pairs.clone());
    run(&same, &data, &EvalOptions::default()).unwrap();
    assert_eq!(same.calls.load(Ordering::SeqCst), 0);

    // Another decoding setting: the stored generations are stale; the run
    // stops naming the file, and nothing is replaced.
    let mut hotter = EvalOptions::default();
    hotter.generation.temperature = 0.7;
    let g = counting(pairs.clone());
    let e = run(&g, &data, &hotter).unwrap_err();
    assert!(matches!(e, InferError::Stale { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("generations-counting.jsonl"), "{msg}");
    assert!(msg.contains("2 of its 2 generation(s)"), "{msg}");
    assert_eq!(g.calls.load(Ordering::SeqCst), 0);
    assert_eq!(std::fs::read_to_string(&gens).unwrap(), before);

    // Asked to replace them: both regenerated, the file holds only the new ones.
    hotter.replace_stale = true;
    let g = counting(pairs.clone());
    run(&g, &data, &hotter).unwrap();
    assert_eq!(g.calls.load(Ordering::SeqCst), 2);
    let after = std::fs::read_to_string(&gens).unwrap();
    assert_eq!(after.lines().count(), 2);
    assert_ne!(after, before);
    // …and are reused under those settings.
    let g = counting(pairs.clone());
    run(
        &g,
        &data,
        &EvalOptions {
            replace_stale: false,
            ..hotter.clone()
        },
    )
    .unwrap();
    assert_eq!(g.calls.load(Ordering::SeqCst), 0);

    // A changed prompt for one id: that sample alone is regenerated.
    let mut changed = data.clone();
    changed[1].prompt = Prompt::Text("write it differently".into());
    let mut more = pairs.clone();
    more.push(("write it differently".into(), data[1].reference.clone()));
    let g = counting(more);
    let opts = EvalOptions {
        replace_stale: true,
        ..hotter.clone()
    };
    run(&g, &changed, &opts).unwrap();
    assert_eq!(g.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn other_recorded_outputs_under_the_same_name_are_other_generations() {
    let data = dataset();
    let out = tempfile::tempdir().unwrap();
    let good = ReplayGenerator::from_pairs(
        "model",
        data.iter()
            .map(|s| (s.prompt.as_text(), s.reference.clone())),
    );
    let s = eval::run(
        &data,
        &[&good],
        out.path(),
        &EvalOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(s[0].compile_rate, 1.0);
    // The same name, other outputs (a newer recording): not the cached ones.
    let bad = ReplayGenerator::from_pairs(
        "model",
        data.iter()
            .map(|s| (s.prompt.as_text(), "not a policy".to_string())),
    );
    let e = eval::run(
        &data,
        &[&bad],
        out.path(),
        &EvalOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e, InferError::Stale { .. }), "{e}");
    let opts = EvalOptions {
        replace_stale: true,
        ..EvalOptions::default()
    };
    let s = eval::run(&data, &[&bad], out.path(), &opts, &mut |_| {}).unwrap();
    assert_eq!(s[0].compile_rate, 0.0);
}

/// Prompts as `generate` builds them, fidelity beside the text metrics:
/// the synthesizer is faithful on every intent, an empty shell on none.
#[test]
fn samples_with_intents_are_prompted_like_generate_and_scored_for_fidelity() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let data = eval::load_dataset(&dir.join("eval/dataset.jsonl")).unwrap();
    assert!(data.iter().all(|s| s.intent.is_some()));
    let opts = EvalOptions::default();
    assert!(opts.constrain);
    // What the builder asks: generate's prompt for each intent.
    let prompts: Vec<String> = data
        .iter()
        .map(|s| {
            opts.prompts
                .build(s.intent.as_ref().unwrap(), None, &[])
                .unwrap()
                .as_text()
        })
        .collect();
    assert!(
        prompts
            .iter()
            .all(|p| p.contains("Answer with the policy only"))
    );
    let synth = kubescribe_infer::SynthGenerator::new();
    let shell = ReplayGenerator::from_pairs(
        "shell",
        prompts.iter().map(|p| {
            (
                p.clone(),
                "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: x\n  namespace: shop\nspec:\n  action: Allow\n".to_string(),
            )
        }),
    );
    let out = tempfile::tempdir().unwrap();
    let summaries = eval::run(&data, &[&synth, &shell], out.path(), &opts, &mut |_| {}).unwrap();
    assert_eq!(summaries[0].fidelity_rate, Some(1.0), "{:?}", summaries[0]);
    assert_eq!(summaries[1].fidelity_rate, Some(0.0), "{:?}", summaries[1]);
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(md.contains("fidelity %"), "{md}");
}
