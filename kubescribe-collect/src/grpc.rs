//! The gRPC sources: connect, stream, convert, reconnect with backoff.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use tokio::sync::mpsc;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use crate::codec::RawCodec;
use crate::dedup::{self, Window};
use crate::proto::{self, Timestamp, hubble, kubearmor, tetragon};
use crate::{
    CollectError, CollectOptions, Counters, OnFull, Record, SourceKind, SourceState, Stop,
    TlsOptions,
};
use kubescribe_events::{Converted, SkipReason};

/// Where a source resumes: the time of the last record committed and the
/// hashes of the records of that instant (a relay asked for flows since that
/// time sends them again).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    pub(crate) time_ns: i64,
    pub(crate) hashes: Vec<u128>,
}

/// A configured gRPC source, ready to run.
pub(crate) struct GrpcSource {
    pub(crate) index: usize,
    pub(crate) kind: SourceKind,
    pub(crate) endpoint: Endpoint,
}

/// Builds the endpoint (URL, TLS files read now so a bad one is an error
/// before anything starts).
pub(crate) fn endpoint(
    name: &str,
    endpoint: &str,
    tls: Option<&TlsOptions>,
    options: &CollectOptions,
) -> Result<Endpoint, CollectError> {
    let https = endpoint.starts_with("https://");
    let url = if endpoint.contains("://") {
        endpoint.to_string()
    } else if tls.is_some() {
        format!("https://{endpoint}")
    } else {
        format!("http://{endpoint}")
    };
    let bad = |message: String| CollectError::Endpoint {
        source_name: name.to_string(),
        endpoint: endpoint.to_string(),
        message,
    };
    let mut ep = Endpoint::from_shared(url)
        .map_err(|e| bad(e.to_string()))?
        .connect_timeout(options.connect_timeout)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true);
    if tls.is_some() || https {
        let tls = tls.cloned().unwrap_or_default();
        let tls_err = |message: String| CollectError::Tls {
            source_name: name.to_string(),
            message,
        };
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| tls_err(format!("cannot read {}: {e}", p.display())))
        };
        let mut config = ClientTlsConfig::new();
        config = match &tls.ca_cert {
            Some(ca) => config.ca_certificate(Certificate::from_pem(read(ca)?)),
            None => config.with_native_roots(),
        };
        match (&tls.client_cert, &tls.client_key) {
            (Some(cert), Some(key)) => {
                config = config.identity(Identity::from_pem(read(cert)?, read(key)?));
            }
            (None, None) => {}
            _ => {
                return Err(tls_err(
                    "a client certificate needs its key and a key its certificate".into(),
                ));
            }
        }
        if let Some(n) = &tls.server_name {
            config = config.domain_name(n.clone());
        }
        ep = ep.tls_config(config).map_err(|e| tls_err(e.to_string()))?;
    }
    Ok(ep)
}

/// How one streaming session ended.
enum End {
    /// Collection was stopped.
    Stopped,
    /// The server ended the stream (or the connection broke); the message
    /// says how.
    Closed(String),
}

/// Runs one source until stopped: stream, and on any end reconnect after a
/// backoff that doubles up to the maximum (reset by a session that
/// delivered messages).
pub(crate) async fn run(
    source: GrpcSource,
    resume: Option<Resume>,
    options: CollectOptions,
    tx: mpsc::Sender<Record>,
    counters: Arc<Counters>,
    stop: Stop,
) {
    let mut window = Window::new(options.dedup_window);
    let mut since = None;
    if let Some(r) = resume {
        for h in &r.hashes {
            window.insert(*h);
        }
        since = Some(r.time_ns);
    }
    let mut backoff = options.backoff_initial;
    let mut session = Session {
        source: &source,
        window,
        since,
        tx: &tx,
        counters: &counters,
        on_full: options.on_full,
        seq: 0,
    };
    loop {
        if stop.is_stopped() {
            break;
        }
        counters.set_state(SourceState::Connecting);
        let before = session.seq;
        let end = tokio::select! {
            end = session.stream() => end,
            _ = stop.wait() => End::Stopped,
        };
        match end {
            End::Stopped => break,
            End::Closed(why) => {
                Counters::add(&counters.disconnects, 1);
                counters.error(why);
            }
        }
        if session.seq > before {
            backoff = options.backoff_initial;
        }
        counters.set_state(SourceState::Backoff);
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait() => break,
        }
        backoff = (backoff * 2).min(options.backoff_max);
    }
    counters.set_state(SourceState::Stopped);
}

struct Session<'a> {
    source: &'a GrpcSource,
    window: Window,
    /// Hubble: resume from this time (ns).
    since: Option<i64>,
    tx: &'a mpsc::Sender<Record>,
    counters: &'a Counters,
    on_full: OnFull,
    /// Messages received so far (all sessions): a record's number.
    seq: u64,
}

impl Session<'_> {
    async fn stream(&mut self) -> End {
        let channel = match self.source.endpoint.connect().await {
            Ok(c) => c,
            Err(e) => return End::Closed(format!("connect: {}", error_chain(&e))),
        };
        let mut grpc = tonic::client::Grpc::new(channel);
        if let Err(e) = grpc.ready().await {
            return End::Closed(format!("connect: {}", error_chain(&e)));
        }
        let response = match self.source.kind {
            SourceKind::Hubble => {
                let request = hubble::GetFlowsRequest {
                    follow: true,
                    since: self.since.map(Timestamp::from_nanos),
                    ..Default::default()
                };
                grpc.server_streaming(
                    tonic::Request::new(request),
                    http::uri::PathAndQuery::from_static(hubble::GET_FLOWS),
                    RawCodec::<hubble::GetFlowsRequest>::default(),
                )
                .await
            }
            SourceKind::Tetragon => {
                grpc.server_streaming(
                    tonic::Request::new(tetragon::GetEventsRequest {}),
                    http::uri::PathAndQuery::from_static(tetragon::GET_EVENTS),
                    RawCodec::<tetragon::GetEventsRequest>::default(),
                )
                .await
            }
            SourceKind::KubeArmorLogs | SourceKind::KubeArmorAlerts => {
                let (path, filter) = if self.source.kind == SourceKind::KubeArmorLogs {
                    (kubearmor::WATCH_LOGS, "system")
                } else {
                    (kubearmor::WATCH_ALERTS, "policy")
                };
                grpc.server_streaming(
                    tonic::Request::new(kubearmor::RequestMessage {
                        filter: filter.to_string(),
                    }),
                    http::uri::PathAndQuery::from_static(path),
                    RawCodec::<kubearmor::RequestMessage>::default(),
                )
                .await
            }
            SourceKind::Falco => return End::Closed("not a gRPC source".into()),
        };
        let mut stream = match response {
            Ok(r) => r.into_inner(),
            Err(status) => return End::Closed(format!("{}: {}", status.code(), status.message())),
        };
        Counters::add(&self.counters.connects, 1);
        self.counters.set_state(SourceState::Connected);
        loop {
            match stream.message().await {
                Ok(Some(bytes)) => self.receive(bytes).await,
                Ok(None) => return End::Closed("the server ended the stream".into()),
                Err(status) => {
                    return End::Closed(format!("{}: {}", status.code(), status.message()));
                }
            }
        }
    }

    /// One message: counted, recognised as a repeat or converted and queued.
    async fn receive(&mut self, bytes: Bytes) {
        let c = self.counters;
        Counters::add(&c.received, 1);
        Counters::add(&c.bytes, bytes.len() as u64);
        self.seq += 1;
        let hash = dedup::hash(&bytes);
        if self.window.contains(hash) {
            Counters::add(&c.duplicates, 1);
            return;
        }
        let (time_ns, outcomes) = convert(self.source.kind, &bytes, c);
        if let Some(t) = time_ns
            && self.source.kind == SourceKind::Hubble
        {
            self.since = Some(self.since.map_or(t, |s| s.max(t)));
        }
        let record = Record {
            source: self.source.index,
            hash,
            time_ns,
            outcomes,
        };
        let queued = match self.on_full {
            OnFull::Block => self.tx.send(record).await.is_ok(),
            OnFull::Drop => match self.tx.try_send(record) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    Counters::add(&c.dropped, 1);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
        };
        if queued {
            self.window.insert(hash);
        }
    }
}

/// Decodes a message, counts what the engine says it lost, and converts it
/// through the file adapters (as the JSON record the engine's export writes).
pub(crate) fn convert(
    kind: SourceKind,
    bytes: &[u8],
    counters: &Counters,
) -> (Option<i64>, Vec<Converted>) {
    let undecodable = |e: prost::DecodeError| {
        (
            None,
            vec![Converted::Skipped {
                reason: SkipReason::InvalidField,
                message: format!("undecodable {} message: {e}", kind.as_str()),
            }],
        )
    };
    let (time, value) = match kind {
        SourceKind::Hubble => match hubble::GetFlowsResponse::decode(bytes) {
            Ok(m) => {
                let time = match &m.response {
                    Some(hubble::Response::Flow(f)) => f.time.or(m.time),
                    Some(hubble::Response::LostEvents(l)) => {
                        Counters::add(&counters.lost_upstream, l.num_events_lost);
                        m.time
                    }
                    None => {
                        return (
                            m.time.map(|t| t.as_nanos()),
                            vec![Converted::Skipped {
                                reason: SkipReason::NotRuntimeActivity,
                                message: "Hubble response without a flow (node_status)".into(),
                            }],
                        );
                    }
                };
                (time, proto::to_json(&m))
            }
            Err(e) => return undecodable(e),
        },
        SourceKind::Tetragon => match tetragon::GetEventsResponse::decode(bytes) {
            Ok(m) if m.event.is_none() => {
                return (
                    None,
                    vec![Converted::Skipped {
                        reason: SkipReason::UnknownEventType,
                        message: "a Tetragon event kubescribe does not read (process_loader, \
                                  process_usdt, test, rate_limit_info or newer)"
                            .into(),
                    }],
                );
            }
            Ok(m) => (m.time, proto::to_json(&m)),
            Err(e) => return undecodable(e),
        },
        SourceKind::KubeArmorLogs => match kubearmor::Log::decode(bytes) {
            Ok(m) => (None, proto::to_json(&m)),
            Err(e) => return undecodable(e),
        },
        SourceKind::KubeArmorAlerts => match kubearmor::Alert::decode(bytes) {
            Ok(m) => (None, proto::to_json(&m)),
            Err(e) => return undecodable(e),
        },
        SourceKind::Falco => (None, serde_json::Value::Null),
    };
    let (_, outcomes) = kubescribe_events::convert(&value);
    (time.map(|t| t.as_nanos()), outcomes)
}

/// An error with its causes (tonic's transport errors say little on top).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}
