//! What several CLI test files share.

use std::path::Path;

/// The stores a test runs on: a new SQLite file `file` in `dir`, and a new
/// PostgreSQL schema `name` on the test server (its URL with
/// `options=-csearch_path=…`) when `KUBESCRIBE_TEST_POSTGRES` names one;
/// NOT RUN is printed otherwise.
pub fn stores(dir: &Path, file: &str, name: &str) -> Vec<String> {
    let mut out = vec![dir.join(file).display().to_string()];
    match std::env::var("KUBESCRIBE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("{name}_{}", std::process::id());
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            out.push(format!("{url}{sep}options=-csearch_path%3D{schema}"));
        }
        _ => println!("NOT RUN ({name} on PostgreSQL): set KUBESCRIBE_TEST_POSTGRES"),
    }
    out
}
