//! TLS and mutual TLS to a gRPC source, as `--tls-ca-cert`, `--tls-client-cert`,
//! `--tls-client-key` and `--tls-server-name` give them: an in-process relay
//! that requires a client certificate (test certificates in tests/tls/)
//! streams to a client that has one, and refuses one that has not.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use common::server::{self, ResumeMode, Script};
use kubescribe_collect::proto::hubble;
use kubescribe_collect::{CollectOptions, Source, SourceKind, Stop, TlsOptions, collect};
use kubescribe_events::InputFormat;
use kubescribe_events::store::{EventStore, SqliteStore};
use prost::Message;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

fn file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tls")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(file(name)).unwrap()
}

fn flows() -> Vec<(i64, Bytes)> {
    let msgs: Vec<(i64, hubble::GetFlowsResponse)> =
        common::samples("hubble", InputFormat::Hubble, false)
            .into_iter()
            .map(|v| (0, serde_json::from_value(v).unwrap()))
            .collect();
    server::distinct(
        msgs.iter()
            .map(|(t, m)| (*t, Bytes::from(m.encode_to_vec())))
            .collect(),
    )
}

fn mtls_server(msgs: Vec<(i64, Bytes)>) -> server::Server {
    let tls = ServerTlsConfig::new()
        .identity(Identity::from_pem(read("server.crt"), read("server.key")))
        .client_ca_root(Certificate::from_pem(read("ca.crt")));
    server::start_tls(Script::new(msgs, vec![], ResumeMode::Since), tls)
}

fn options() -> CollectOptions {
    CollectOptions {
        commit_interval: Duration::from_millis(20),
        progress_interval: Duration::from_millis(20),
        backoff_initial: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        ..CollectOptions::default()
    }
}

/// Collects until `done`, or a generous bound.
fn run(
    source: Source,
    mut done: impl FnMut(&kubescribe_collect::SourceStats) -> bool,
) -> (kubescribe_collect::SourceStats, SqliteStore) {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let stop = Stop::new();
    let stopper = stop.clone();
    let mut reports = 0u32;
    let report = collect(&mut store, &[source], &options(), &stop, &mut |r| {
        reports += 1;
        // 20 ms apart: about a minute at most.
        if done(&r.sources[0]) || reports > 3_000 {
            stopper.stop();
        }
    })
    .unwrap();
    (report.sources[0].clone(), store)
}

#[test]
fn mutual_tls_streams_with_a_client_certificate() {
    let msgs = flows();
    let srv = mtls_server(msgs.clone());
    let n = msgs.len() as u64;
    let (s, mut store) = run(
        Source::Grpc {
            kind: SourceKind::Hubble,
            endpoint: srv.addr.to_string(),
            tls: Some(TlsOptions {
                ca_cert: Some(file("ca.crt")),
                client_cert: Some(file("client.crt")),
                client_key: Some(file("client.key")),
                server_name: Some("relay.test".into()),
            }),
        },
        |s| s.stored + s.skipped >= n,
    );
    assert_eq!(s.stored + s.skipped, n, "{s:?}");
    assert!(store.counts().unwrap().observations > 0);
}

#[test]
fn a_client_without_a_certificate_is_refused_and_says_why() {
    let srv = mtls_server(flows());
    let (s, _) = run(
        Source::Grpc {
            kind: SourceKind::Hubble,
            endpoint: srv.addr.to_string(),
            tls: Some(TlsOptions {
                ca_cert: Some(file("ca.crt")),
                server_name: Some("relay.test".into()),
                ..TlsOptions::default()
            }),
        },
        |s| s.disconnects >= 2,
    );
    assert!(s.disconnects >= 2, "{s:?}");
    assert_eq!(s.stored, 0);
    assert!(s.last_error.is_some(), "{s:?}");
}

#[test]
fn a_server_name_the_certificate_does_not_carry_is_refused() {
    let srv = mtls_server(flows());
    let (s, _) = run(
        Source::Grpc {
            kind: SourceKind::Hubble,
            endpoint: srv.addr.to_string(),
            tls: Some(TlsOptions {
                ca_cert: Some(file("ca.crt")),
                client_cert: Some(file("client.crt")),
                client_key: Some(file("client.key")),
                server_name: Some("other.test".into()),
            }),
        },
        |s| s.disconnects >= 2,
    );
    assert_eq!(s.stored, 0, "{s:?}");
    assert!(
        s.last_error
            .as_deref()
            .is_some_and(|e| e.contains("other.test")),
        "{s:?}"
    );
}
