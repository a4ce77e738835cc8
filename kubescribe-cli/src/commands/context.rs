//! `kubescribe context`: the summarized behaviour of a scope, as a prompt would carry it.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use kubescribe_events::context::Observed;
use kubescribe_events::store::Windowed;

use crate::args::ContextArgs;
use crate::output::{self, Exit};
use crate::store_location;

/// Parses `k=v[,k=v...]`.
fn parse_selector(s: &str) -> Result<BTreeMap<String, String>> {
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
pub fn run(args: ContextArgs) -> Result<Exit> {
    let mut opened = store_location::open_store(&store_location::store_or_default(&args.store))?;
    let mut s = Windowed {
        store: &mut opened,
        since: args.since,
        until: args.until,
    };
    let namespace = args.namespace.as_deref();
    let selector = args
        .selector
        .as_deref()
        .map(parse_selector)
        .transpose()?
        .unwrap_or_default();
    let observed = Observed::from_store(&mut s, namespace, &selector)?;
    let ctx = observed.summarize_within(namespace, &selector, args.budget);
    if args.json {
        output::print_json(&serde_json::to_value(&ctx)?)?;
    } else {
        output::print_text(&ctx.render())?;
    }
    if ctx.observations == 0 {
        eprintln!("kubescribe: no events recorded for this scope");
    }
    Ok(Exit::Ok)
}
