//! Scores a JSONL file of `{"id", "hypothesis", "reference"}` pairs and prints
//! one JSON line per pair plus a `"__corpus__"` line.
//!
//! Usage: `score_pairs PAIRS.jsonl [--wordnet DIR]` (`-` reads stdin).

use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

use kubescribe_metrics::{Options, score_pairs_jsonl};

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut input = None;
    let mut wordnet = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--wordnet" => wordnet = Some(args.next().ok_or("--wordnet needs a directory")?),
            "-h" | "--help" => {
                println!("usage: score_pairs PAIRS.jsonl [--wordnet DIR]");
                return Ok(());
            }
            _ if input.is_none() => input = Some(a),
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let input = input.ok_or("usage: score_pairs PAIRS.jsonl [--wordnet DIR]")?;
    let opts = match wordnet {
        Some(dir) => Options::with_wordnet_dir(dir).map_err(|e| e.to_string())?,
        None => Options::default(),
    };
    let stdout = std::io::stdout();
    let out = BufWriter::new(stdout.lock());
    let result = if input == "-" {
        score_pairs_jsonl(std::io::stdin().lock(), out, &opts)
    } else {
        let f = std::fs::File::open(&input).map_err(|e| format!("{input}: {e}"))?;
        score_pairs_jsonl(BufReader::new(f), out, &opts)
    };
    result.map(|_| ()).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("score_pairs: {e}");
            ExitCode::FAILURE
        }
    }
}
