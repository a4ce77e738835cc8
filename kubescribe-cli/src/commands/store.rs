//! `kubescribe store prune`: retention on either backend.

use anyhow::{Context, Result};
use kubescribe_events::store::{EventStore, EventTable};

use crate::args::{StorePruneArgs, TextFormat};
use crate::output::{self, Exit};
use crate::store_location;

/// Deletes the rows last observed before `--before` and prints what went.
pub fn prune(a: StorePruneArgs) -> Result<Exit> {
    let path = store_location::store_or_default(&a.store);
    let mut store = store_location::open_store(&path)?;
    let sum = store
        .prune(a.before)
        .with_context(|| format!("pruning {}", store_location::location(&path).display()))?;
    let before = kubescribe_events::time::format_rfc3339(a.before);
    match a.output {
        TextFormat::Json => {
            let mut tables = serde_json::Map::new();
            for t in EventTable::ALL {
                tables.insert(t.as_str().into(), sum.rows[t as usize].into());
            }
            output::print_json(&serde_json::json!({
                "before": before,
                "rows": tables,
                "observations": sum.observations,
            }))?;
        }
        TextFormat::Text => {
            let per: Vec<String> = EventTable::ALL
                .iter()
                .map(|t| format!("{} {t}", sum.rows[*t as usize]))
                .collect();
            output::print_text(&format!(
                "pruned {} row(s) last observed before {before} ({}), {} observation(s)\n",
                sum.total_rows(),
                per.join(", "),
                sum.observations
            ))?;
        }
    }
    Ok(Exit::Ok)
}
