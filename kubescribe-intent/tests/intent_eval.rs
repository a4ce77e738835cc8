//! The intent evaluation set of issue 16 (`tests/fixtures/intent_eval/`):
//! the dataset's integrity (and that its test split is frozen), and the
//! acceptance thresholds of the four figures on the test split. The report
//! with per-case misses is `cargo run -p kubescribe-intent --example
//! intent_eval -- --split dev`.

mod intent_eval_lib;

use intent_eval_lib::*;
use kubescribe_validate::Validator;

/// SHA-256 of `test.jsonl` when the split was frozen (before the parser was
/// tuned against the set). Editing the test split fails this test: add new
/// cases to `cases.jsonl` and the dev split instead (see the README).
const TEST_SPLIT_SHA256: &str = "2f12da3e7647c22dd6e1642096952c5661441630ab3af73936d5538ea5e96c6d";

#[test]
fn intent_eval_dataset_is_complete_valid_and_its_test_split_frozen() {
    // Every case of every file is checked on load: sources present, expected
    // intents deserialize and have no gaps, events deserialize, verdicts and
    // missing phrases are known words.
    let all = load("cases.jsonl").unwrap_or_else(|e| panic!("cases.jsonl:\n{e}"));
    let dev = load("dev.jsonl").unwrap_or_else(|e| panic!("dev.jsonl:\n{e}"));
    let test = load("test.jsonl").unwrap_or_else(|e| panic!("test.jsonl:\n{e}"));

    let (n, specified, with_events, under) = counts(&all);
    eprintln!(
        "{n} cases: {specified} specified ({with_events} with events), {under} underspecified; dev {}, test {}",
        dev.len(),
        test.len()
    );
    assert!(n >= 300, "{n} cases; at least 300");
    assert!(
        with_events >= 100,
        "{with_events} cases with events; at least 100"
    );
    assert!(under >= 30, "{under} underspecified cases; at least 30");
    assert!(
        duplicate_ids(&all).is_empty(),
        "duplicate ids: {:?}",
        duplicate_ids(&all)
    );

    // dev and test partition cases.jsonl, line for line.
    let read = |f: &str| std::fs::read_to_string(dir().join(f)).unwrap();
    let mut lines: Vec<String> = read("cases.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let mut split: Vec<String> = read("dev.jsonl")
        .lines()
        .chain(read("test.jsonl").lines())
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    lines.sort();
    split.sort();
    assert!(
        lines == split,
        "dev.jsonl + test.jsonl are not cases.jsonl: run split.py"
    );

    // Both splits hold both kinds.
    for (name, s) in [("dev", &dev), ("test", &test)] {
        let (_, sp, ev, un) = counts(s);
        assert!(
            sp > 0 && ev > 0 && un > 0,
            "{name}: {sp} specified, {ev} with events, {un} underspecified"
        );
    }

    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let digest = sha256_hex(read("test.jsonl").as_bytes());
    assert_eq!(
        digest, TEST_SPLIT_SHA256,
        "test.jsonl changed after it was frozen"
    );
}

/// What the parser reached on the frozen test split when it was last
/// measured (docs/intent-eval.md): parsed-correct, generated-valid,
/// simulation agrees, underspecified refused, in percent. Issue 16's
/// acceptance thresholds (95 / 100 / 95 / 95) are NOT met yet; this floor
/// keeps what was reached from slipping while the issue stays open.
const TEST_SPLIT_FLOOR: (f64, f64, f64, f64) = (88.7, 99.3, 92.8, 95.6);

#[test]
fn intent_eval_test_split_holds_its_floor_and_reports_the_acceptance_gap() {
    let cases = load_split("test").unwrap_or_else(|e| panic!("{e}"));
    let validator = Validator::new();
    let outcomes: Vec<Outcome> = cases.iter().map(|c| run_case(&validator, c)).collect();
    let f = figures(&outcomes);
    // The test split's misses are not printed (that would be tuning on it):
    // the figures only.
    eprintln!("test split: {}", f.summary());
    let short = f.shortfalls();
    if !short.is_empty() {
        eprintln!(
            "issue 16 acceptance NOT met on the test split: {}",
            short.join("; ")
        );
    }
    let (p, g, s, u) = TEST_SPLIT_FLOOR;
    for (name, r, floor) in [
        ("parsed-correct", f.parsed_correct, p),
        ("generated-valid", f.generated_valid, g),
        ("simulation agrees", f.sim_agrees, s),
        ("underspecified refused", f.refused, u),
    ] {
        assert!(
            r.percent() >= floor,
            "{name} fell to {r}, below the {floor}% reached before"
        );
    }
}

/// The set's own expected intents, without the parser: each synthesizes a
/// layer-1-valid policy for its engine, and the simulator gives each event
/// its labelled verdict. A failure here is the synthesizer's (or a wrong
/// label in the set), not the parser's.
#[test]
fn intent_eval_expected_intents_synthesize_and_simulate_as_labelled() {
    let cases = load("cases.jsonl").unwrap_or_else(|e| panic!("{e}"));
    let validator = Validator::new();
    let mut failures = Vec::new();
    for c in &cases {
        if let Some((valid, agrees, misses)) = reference_case(&validator, c)
            && (!valid || (c.has_events() && !agrees))
        {
            failures.push(format!("{}: {}", c.id, misses.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} expected intents do not synthesize or simulate as labelled:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
