//! `kubescribe collect` end to end: Falco posts to its listener, Ctrl-C
//! (SIGINT) stops it, and everything received is in the store, as `ingest`
//! stores the same alerts from a file — into an SQLite file, and into
//! PostgreSQL when `KUBESCRIBE_TEST_POSTGRES` names a server (NOT RUN
//! otherwise). (The gRPC sources are tested against in-process tonic servers
//! in kubescribe-collect's tests.)

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};

use kubescribe_events::store::EventStore;
use kubescribe_store_pg::StoreLocation;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubescribe"))
}

fn post(addr: &str, token: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to the listener");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

#[test]
fn collect_from_falco_stops_on_ctrl_c_with_everything_committed() {
    let dir = tempfile::tempdir().unwrap();
    for store in common::stores(dir.path(), "live.db", "collect_cli") {
        collect_into(&store, dir.path());
    }
}

fn collect_into(store: &str, dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let sample = root.join("examples/events/falco.jsonl");
    let alerts: Vec<String> = std::fs::read_to_string(&sample)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert!(alerts.len() >= 3);
    let mut child = bin()
        .args([
            "collect",
            "--falco-listen",
            "127.0.0.1:0",
            "--falco-token",
            "t0k",
        ])
        .args(["--store", store])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut addr = None;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.trim().split(" listening on ").nth(1) {
            addr = Some(rest.to_string());
            break;
        }
        line.clear();
    }
    let addr = addr.expect("the listener's address on standard error");
    // Every alert once, the first again (a retry), and one with a wrong token.
    for a in &alerts {
        assert!(post(&addr, "t0k", a).starts_with("HTTP/1.1 200"));
    }
    assert!(post(&addr, "t0k", &alerts[0]).starts_with("HTTP/1.1 200"));
    assert!(post(&addr, "nope", &alerts[1]).starts_with("HTTP/1.1 401"));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{rest}");
    assert!(rest.contains("stopping: committing"), "{rest}");
    let n = alerts.len();
    assert!(
        stdout.contains(&format!(": {} received, {n} stored", n + 1))
            && stdout.contains("1 repeats")
            && stdout.contains("1 refused"),
        "{stdout}"
    );
    // The store holds what `ingest` stores from the same alerts as a file.
    let mut live = kubescribe_store_pg::open(&StoreLocation::parse(store)).unwrap();
    let file_store = dir.join("file.db");
    let _ = std::fs::remove_file(&file_store);
    let ingest = bin()
        .arg("ingest")
        .arg(&sample)
        .arg("--store")
        .arg(&file_store)
        .output()
        .unwrap();
    assert!(ingest.status.success());
    let mut from_file =
        kubescribe_store_pg::open(&StoreLocation::parse(&file_store.display().to_string()))
            .unwrap();
    let (a, b) = (live.counts().unwrap(), from_file.counts().unwrap());
    assert_eq!(
        (
            a.processes,
            a.files,
            a.flows,
            a.syscalls,
            a.observations,
            a.pods
        ),
        (
            b.processes,
            b.files,
            b.flows,
            b.syscalls,
            b.observations,
            b.pods
        )
    );
    assert!(a.observations > 0);
}
