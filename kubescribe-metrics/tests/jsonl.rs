//! The JSONL driver: output shape, id round trip, error line numbers.

use kubescribe_metrics::{MetricsError, Options, score_pairs_jsonl};
use serde_json::Value;

const FIELDS: [&str; 12] = [
    "id",
    "bleu",
    "chrf_pp",
    "rouge1",
    "rouge2",
    "rougeL",
    "rougeLsum",
    "rouge1_stem",
    "rouge2_stem",
    "rougeL_stem",
    "rougeLsum_stem",
    "meteor",
];

fn run(input: &str, opts: &Options) -> Result<Vec<Value>, MetricsError> {
    let mut out = Vec::new();
    score_pairs_jsonl(input.as_bytes(), &mut out, opts)?;
    Ok(String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect())
}

#[test]
fn writes_one_line_per_pair_then_corpus() {
    let input = concat!(
        r#"{"id": "a", "hypothesis": "allow dns egress", "reference": "allow dns egress"}"#,
        "\n\n",
        r#"{"id": 7, "hypothesis": "", "reference": "deny all"}"#,
        "\n",
    );
    let rows = run(input, &Options::default()).unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows[..2] {
        let mut keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = FIELDS.to_vec();
        keys.sort_unstable();
        want.sort_unstable();
        assert_eq!(keys, want);
    }
    assert_eq!(rows[0]["id"], "a");
    assert_eq!(rows[1]["id"], 7);
    // sacrebleu gives 100.00000000000004 here (exp(log(100)))
    assert!((rows[0]["bleu"].as_f64().unwrap() - 100.0).abs() < 1e-9);
    assert_eq!(rows[0]["rougeLsum_stem"], 1.0);
    assert_eq!(rows[1]["meteor"], 0.0);
    assert_eq!(rows[1]["chrf_pp"], 0.0);
    let corpus = &rows[2];
    assert_eq!(corpus["id"], "__corpus__");
    assert_eq!(corpus["pairs"], 2);
    assert_eq!(corpus["meteor_mode"], "exact+stem");
    assert_eq!(corpus["rouge1"], 0.5);
}

#[test]
fn parallel_and_sequential_agree() {
    let input: String = (0..50)
        .map(|i| {
            format!(
                "{{\"id\": {i}, \"hypothesis\": \"spec: port {i} allow egress\", \"reference\": \"spec: port {} deny egress\"}}\n",
                i * 7
            )
        })
        .collect();
    let par = run(&input, &Options::default()).unwrap();
    let seq = run(
        &input,
        &Options {
            parallel: false,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(par, seq);
}

#[test]
fn bad_lines_are_reported_with_their_number() {
    let input = concat!(
        r#"{"id": "a", "hypothesis": "x", "reference": "y"}"#,
        "\n",
        r#"{"id": "b", "hypothesis": "x"}"#,
        "\n"
    );
    let err = run(input, &Options::default()).unwrap_err();
    assert!(
        matches!(err, MetricsError::InvalidLine { line: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("line 2"), "{err}");

    let err = run("not json\n", &Options::default()).unwrap_err();
    assert!(
        matches!(err, MetricsError::InvalidLine { line: 1, .. }),
        "{err}"
    );
}

#[test]
fn empty_input_gives_a_zero_corpus_line() {
    let rows = run("", &Options::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["pairs"], 0);
    assert_eq!(rows[0]["bleu"], 0.0);
}

#[test]
fn missing_wordnet_dir_is_an_error() {
    let err = Options::with_wordnet_dir("/nonexistent/wordnet").unwrap_err();
    assert!(matches!(err, MetricsError::WordNet { .. }), "{err}");
}
