//! The backend factory of the store test suites: every test runs once per
//! backend, on a fresh empty store of each. SQLite: a new file in a
//! temporary folder. PostgreSQL: a new schema in the database
//! `KUBESCRIBE_TEST_POSTGRES` names (`scripts/postgres/start.sh` starts a
//! server and prints its URL); without it the PostgreSQL runs print
//! `NOT RUN` and only SQLite runs.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use kubescribe_events::store::SqliteStore;
use kubescribe_store_pg::{AnyStore, PgOptions, PgStore};

/// The variable naming the test server.
pub const PG_ENV: &str = "KUBESCRIBE_TEST_POSTGRES";

/// One fresh store location.
#[derive(Debug, Clone)]
pub enum Backend {
    /// An SQLite file (its folder lives as long as the test process).
    Sqlite(PathBuf),
    /// A schema of a PostgreSQL database.
    Postgres { url: String, schema: String },
}

impl Backend {
    /// Opens the store (any number of times: the same store each time).
    pub fn open(&self) -> AnyStore {
        match self {
            Backend::Sqlite(p) => AnyStore::Sqlite(SqliteStore::open(p).unwrap()),
            Backend::Postgres { url, schema } => AnyStore::Postgres(
                PgStore::open_with(
                    url,
                    &PgOptions {
                        schema: Some(schema.clone()),
                        ..PgOptions::default()
                    },
                )
                .unwrap_or_else(|e| panic!("{url} schema {schema}: {e}")),
            ),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    /// The location as one string (for a child process: [`Backend::decode`]).
    pub fn encode(&self) -> String {
        match self {
            Backend::Sqlite(p) => format!("sqlite\t{}", p.display()),
            Backend::Postgres { url, schema } => format!("postgres\t{url}\t{schema}"),
        }
    }

    /// The location [`Backend::encode`] wrote.
    pub fn decode(s: &str) -> Backend {
        let parts: Vec<&str> = s.split('\t').collect();
        match parts.as_slice() {
            ["sqlite", p] => Backend::Sqlite(PathBuf::from(p)),
            ["postgres", url, schema] => Backend::Postgres {
                url: url.to_string(),
                schema: schema.to_string(),
            },
            _ => panic!("not a backend: {s:?}"),
        }
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A temporary folder that lives as long as the process (test stores).
fn scratch() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// The PostgreSQL URL of the test server, if one is named.
pub fn pg_url() -> Option<String> {
    std::env::var(PG_ENV).ok().filter(|u| !u.is_empty())
}

/// Fresh empty stores, one per backend available, for test `test`.
pub fn backends(test: &str) -> Vec<Backend> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut out = vec![Backend::Sqlite(scratch().join(format!("{test}-{n}.db")))];
    match pg_url() {
        Some(url) => {
            let schema = format!("t_{}_{}_{n}", std::process::id(), test)
                .chars()
                .take(60)
                .collect::<String>();
            let mut client = postgres_client(&url);
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .unwrap();
            out.push(Backend::Postgres { url, schema });
        }
        None => {
            println!(
                "NOT RUN ({test} on PostgreSQL): set {PG_ENV} to a server's URL (scripts/postgres/start.sh prints one)"
            );
            eprintln!(
                "NOT RUN ({test} on PostgreSQL): set {PG_ENV} to a server's URL (scripts/postgres/start.sh prints one)"
            );
        }
    }
    out
}

/// A plain client of the test server.
pub fn postgres_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// Runs `test` on a fresh store of every backend, naming the backend in a
/// failure.
pub fn each_backend(name: &str, test: fn(&Backend)) {
    for b in backends(name) {
        let r = std::panic::catch_unwind(|| test(&b));
        if let Err(e) = r {
            eprintln!("{name} failed on {}", b.name());
            std::panic::resume_unwind(e);
        }
    }
}
