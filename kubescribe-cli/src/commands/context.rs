//! `kubescribe context`: the summarized behaviour of a scope, as a prompt would carry it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kubescribe_events::context::Observed;
use kubescribe_events::store::SqliteStore;

/// Parses `k=v[,k=v...]`.
pub fn parse_selector(s: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            bail!("selector {part:?}: expected key=value")
        };
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

/// Prints the summary (text, or JSON).
pub fn run(
    store: &Path,
    namespace: Option<&str>,
    selector: Option<&str>,
    budget: usize,
    json: bool,
) -> Result<ExitCode> {
    if !store.exists() {
        bail!(
            "no store at {} (create one with `kubescribe ingest FILE... --store {}`)",
            store.display(),
            store.display()
        );
    }
    let mut s = SqliteStore::open(store).with_context(|| format!("opening {}", store.display()))?;
    let selector = selector
        .map(parse_selector)
        .transpose()?
        .unwrap_or_default();
    let observed = Observed::from_store(&mut s, namespace, &selector)?;
    let ctx = observed.summarize_within(namespace, &selector, budget);
    if json {
        println!("{}", serde_json::to_string_pretty(&ctx)?);
    } else {
        print!("{}", ctx.render());
    }
    if ctx.observations == 0 {
        eprintln!("kubescribe: no events recorded for this scope");
    }
    Ok(ExitCode::SUCCESS)
}
