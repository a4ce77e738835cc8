//! `kubescribe dataset build`: (prompt, policy) JSONL pairs for fine-tuning
//! and `kubescribe eval`.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use kubescribe_events::store::EventStore;
use kubescribe_infer::dataset::{self, DatasetConfig, Pools, Skipped};
use kubescribe_synth::prompt::Template;

use crate::args::DatasetBuildArgs;
use crate::output::{self, Exit};
use crate::store_location;

/// The reason's kind, for the summary: the text before its details.
fn reason_kind(s: &Skipped) -> String {
    let r = &s.reason;
    let cut = |r: &str, at: &[char]| r.find(at).map_or(r.len(), |i| i);
    match r.split_once(": ") {
        Some((head, rest)) if head == "no intent states this policy" => {
            format!("{head}: {}", rest[..cut(rest, &['(', ':'])].trim_end())
        }
        Some((head, _)) => head.to_string(),
        None => r.clone(),
    }
}

/// Reads, builds, writes, summarizes. Exit 0 pairs written, 1 none could be
/// made, 2 unreadable input.
pub fn run(a: DatasetBuildArgs) -> Result<Exit> {
    if !(0.0..=1.0).contains(&a.test_share) {
        bail!("--test-share {} is not between 0 and 1", a.test_share);
    }
    for p in &a.policies {
        if !p.exists() {
            bail!("--policies {}: no such file or directory", p.display());
        }
    }
    let outputs = [
        "train.jsonl",
        "test.jsonl",
        "skipped.jsonl",
        "manifest.json",
    ]
    .map(|f| a.out.join(f));
    output::refuse_overwrite(outputs.iter().map(|p| p.as_path()), a.force)?;
    let mut store = store_location::store_arg(&a.store)
        .as_deref()
        .map(store_location::open_store)
        .transpose()?;
    let (seeds, read_skips, documents) = dataset::read_seeds(&a.policies)?;
    let mut pools = Pools::builtin();
    if let Some(s) = store.as_mut() {
        pools.add_store(s)?;
    }
    let config = DatasetConfig {
        seed: a.seed,
        test_share: a.test_share,
        augment: a.augment,
        templates: if a.templates.is_empty() {
            Template::ALL.to_vec()
        } else {
            a.templates.clone()
        },
        context_budget: a.budget,
    };
    let bar = output::progress_bar(
        seeds.len() as u64,
        a.quiet,
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} seeds",
    );
    let mut built = dataset::build_with_progress(
        &seeds,
        pools,
        store.as_mut().map(|s| s as &mut dyn EventStore),
        &config,
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();
    // Unreadable and invalid documents are skips too: all of them go to skipped.jsonl.
    let mut skipped = read_skips;
    skipped.append(&mut built.skipped);
    built.skipped = skipped;
    dataset::write(&built, &a.out, &config)?;

    let by_reason = built.skipped.iter().fold(BTreeMap::new(), |mut m, s| {
        *m.entry(reason_kind(s)).or_insert(0usize) += 1;
        m
    });
    let mut reasons: Vec<(String, usize)> = by_reason.into_iter().collect();
    reasons.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    let pairs: Vec<&dataset::Pair> = built.train.iter().chain(&built.test).collect();
    let count = |f: &dyn Fn(&dataset::Pair) -> String| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for p in &pairs {
            *m.entry(f(p)).or_default() += 1;
        }
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let corpus = pairs.iter().filter(|p| p.origin == "corpus").count();
    println!(
        "read: {} policy document(s) in {} path(s); {} valid seed(s)",
        documents,
        a.policies.len(),
        seeds.len()
    );
    println!(
        "written: {} pair(s) to {} ({} train, {} test; {} from the policies themselves, {} synthesized variants)",
        pairs.len(),
        a.out.display(),
        built.train.len(),
        built.test.len(),
        corpus,
        pairs.len() - corpus
    );
    if !pairs.is_empty() {
        println!("  by engine: {}", count(&|p| p.engine.name().to_string()));
        println!(
            "  by template: {}",
            count(&|p| p.template.name().to_string())
        );
    }
    println!(
        "skipped: {} (all listed with their reasons in {})",
        built.skipped.len(),
        a.out.join("skipped.jsonl").display()
    );
    for (reason, n) in reasons.iter().take(12) {
        println!("  {n:>6}  {reason}");
    }
    if reasons.len() > 12 {
        println!("  ... {} more kinds of reason", reasons.len() - 12);
    }
    Ok(if pairs.is_empty() {
        output::fail(
            Exit::Invalid,
            "no pair could be made from the policies given",
        )
    } else {
        Exit::Ok
    })
}
