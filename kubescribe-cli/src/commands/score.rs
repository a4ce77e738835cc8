//! `kubescribe score`: text-similarity metrics of generated vs reference policies.

use std::io::BufReader;

use anyhow::{Context, Result, bail};
use kubescribe_metrics::{MeteorMode, Options};

use crate::args::ScoreArgs;
use crate::output::{self, Exit};

/// Scores either one hypothesis/reference file pair or a JSONL file of pairs.
pub fn run(args: ScoreArgs) -> Result<Exit> {
    let opts = match &args.wordnet {
        Some(dir) => Options::with_wordnet_dir(dir)
            .with_context(|| format!("loading WordNet from {}", dir.display()))?,
        None => Options::default(),
    };
    if opts.meteor_mode() != MeteorMode::ExactStemWordNet {
        eprintln!(
            "kubescribe: note: no --wordnet DIR given: METEOR uses exact and stem matching only (no synonyms)"
        );
    }
    match (&args.pairs, args.files.as_slice()) {
        (Some(p), []) => {
            let f =
                std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
            let mut out = std::io::stdout().lock();
            kubescribe_metrics::score_pairs_jsonl(BufReader::new(f), &mut out, &opts)?;
        }
        (None, [hyp, reference]) => {
            let h = std::fs::read_to_string(hyp)
                .with_context(|| format!("cannot read {}", hyp.display()))?;
            let r = std::fs::read_to_string(reference)
                .with_context(|| format!("cannot read {}", reference.display()))?;
            let scores = kubescribe_metrics::score_pair(&h, &r, &opts);
            output::print_json(&serde_json::to_value(&scores)?)?;
        }
        _ => bail!("give either HYP_FILE REF_FILE, or --pairs PAIRS.jsonl"),
    }
    Ok(Exit::Ok)
}
