//! Reports the four figures of the intent evaluation set
//! (`kubescribe-intent/tests/fixtures/intent_eval/`): parsed-correct,
//! generated-valid (layer 1), simulation agrees, underspecified refused.
//!
//! ```text
//! cargo run -p kubescribe-intent --example intent_eval -- [--split dev|test|all]
//!     [--show-test] [--write docs/intent-eval.md] [--reference]
//! ```
//!
//! * `--split` (default `dev`): which cases to run.
//! * Per-case misses are printed for the dev cases; for test cases only with
//!   `--show-test` (the test split is for measuring, not for tuning).
//! * `--write FILE`: writes the figures as Markdown, with the command.
//! * `--reference`: instead of the parser, puts each case's *expected*
//!   intent through synthesis, layer 1 and the simulator (checks the
//!   dataset's verdicts and the synthesizer, independent of the parser).

#[path = "../tests/intent_eval_lib/mod.rs"]
mod intent_eval_lib;

use std::collections::BTreeSet;
use std::process::ExitCode;

use intent_eval_lib::*;
use kubescribe_validate::Validator;

fn main() -> ExitCode {
    let mut split = "dev".to_string();
    let mut show_test = false;
    let mut write: Option<String> = None;
    let mut reference = false;
    let mut prefix: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--split" => match args.next() {
                Some(s) => split = s,
                None => return usage("--split needs dev, test or all"),
            },
            "--show-test" => show_test = true,
            "--reference" => reference = true,
            "--prefix" => match args.next() {
                Some(p) => prefix = Some(p),
                None => return usage("--prefix needs an id prefix (e.g. `o-`)"),
            },
            "--write" => match args.next() {
                Some(f) => write = Some(f),
                None => return usage("--write needs a file"),
            },
            "-h" | "--help" => {
                println!(
                    "usage: intent_eval [--split dev|test|all] [--prefix ID-PREFIX] [--show-test] [--write FILE] [--reference]\n  --prefix: only the cases whose id starts with it (one batch's figures)"
                );
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let cases = match load_split(&split) {
        Ok(c) => c
            .into_iter()
            .filter(|c| prefix.as_deref().is_none_or(|p| c.id.starts_with(p)))
            .collect::<Vec<_>>(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let test_ids: BTreeSet<String> = match load("test.jsonl") {
        Ok(t) => t.into_iter().map(|c| c.id).collect(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let validator = Validator::new();
    let (n, specified, with_events, under) = counts(&cases);
    println!(
        "split {split}: {n} cases ({specified} specified, {with_events} with events, {under} underspecified)"
    );

    if reference {
        let mut valid = Ratio(0, 0);
        let mut sim = Ratio(0, 0);
        for c in &cases {
            let Some((g, s, misses)) = reference_case(&validator, c) else {
                continue;
            };
            valid.1 += 1;
            valid.0 += usize::from(g);
            if c.has_events() {
                sim.1 += 1;
                sim.0 += usize::from(s);
            }
            if !misses.is_empty() && (show_test || !test_ids.contains(&c.id)) {
                println!("- {} ({}): {}", c.id, c.text, misses.join("\n    "));
            }
        }
        println!("reference (expected intents): generated-valid {valid} | simulation agrees {sim}");
        return ExitCode::SUCCESS;
    }

    let outcomes: Vec<Outcome> = cases.iter().map(|c| run_case(&validator, c)).collect();
    let mut hidden = 0usize;
    for (c, o) in cases.iter().zip(&outcomes) {
        if o.misses.is_empty() {
            continue;
        }
        if test_ids.contains(&c.id) && !show_test {
            hidden += 1;
            continue;
        }
        println!("- {}: {}\n    {}", c.id, c.text, o.misses.join("\n    "));
    }
    if hidden > 0 {
        println!("({hidden} test cases with misses not shown; --show-test shows them)");
    }
    let f = figures(&outcomes);
    println!("{}", f.summary());
    if let Some(path) = write {
        let cmd = format!(
            "cargo run -p kubescribe-intent --example intent_eval -- --split {split} --write {path}"
        );
        let md = format!(
            "# Intent evaluation\n\nThe offline intent parser on the evaluation set of issue 16 \
             (`kubescribe-intent/tests/fixtures/intent_eval/`, {n} cases of the `{split}` split: \
             {specified} specified, {with_events} with events, {under} underspecified). \
             Written by:\n\n```text\n{cmd}\n```\n\n{}\n\
             Parsed-correct compares `parse_intent(text)` with the expected intent (absent \
             version read as 2, a network intent's absent direction as its documented default, \
             capability names lower-case without `cap_`). Generated-valid synthesizes from the \
             parsed intent (for the case's engine, else the intent's or the domain's default) \
             and validates at layer 1. Simulation agrees replays each case's events against \
             that policy; a case agrees when every event gets its expected verdict. \
             Underspecified refused: the parser returns an error that names each missing part. \
             The acceptance thresholds apply to the `test` split (`cargo test -p \
             kubescribe-intent --test intent_eval`).\n",
            f.markdown_table()
        );
        if let Err(e) = std::fs::write(&path, md) {
            eprintln!("error: {path}: {e}");
            return ExitCode::from(2);
        }
        println!("wrote {path}");
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!(
        "error: {msg}\nusage: intent_eval [--split dev|test|all] [--show-test] [--write FILE] [--reference]"
    );
    ExitCode::from(2)
}
