//! An in-process gRPC server that replays encoded messages on a
//! server-streaming method, as Hubble Relay, Tetragon or the KubeArmor relay
//! would, and misbehaves on cue: it ends a session with an error after some
//! message (a dropped connection), pauses mid-stream (a stall), and on the
//! next session resumes — Hubble-style from the request's `since` (repeating
//! the flows of that instant), or for the others from a few messages back
//! (a server that replays what it sent last) — so the client has repeats to
//! recognise.

#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Request, Response, Status};

use kubescribe_collect::proto::hubble::GetFlowsRequest;

/// What the server does at a given message of a given session.
#[derive(Debug, Clone, Copy)]
pub enum Cue {
    /// End the session with UNAVAILABLE before sending message `at`
    /// (counted from the session's first message).
    Drop { session: usize, at: usize },
    /// Pause before message `at` of the session.
    Stall { session: usize, at: usize, ms: u64 },
}

/// How a new session picks its first message.
#[derive(Debug, Clone, Copy)]
pub enum ResumeMode {
    /// From the request's `since` (Hubble): the first message whose time is
    /// at or after it; from the start without one.
    Since,
    /// From `n` messages before the last one sent (a replaying server).
    Back(usize),
}

pub struct Script {
    /// Messages with their times (ns), in order.
    pub messages: Vec<(i64, Bytes)>,
    pub cues: Vec<Cue>,
    pub resume: ResumeMode,
    sessions: AtomicUsize,
    /// Index one past the last message sent.
    next: Mutex<usize>,
    pub sent: AtomicUsize,
}

impl Script {
    pub fn new(messages: Vec<(i64, Bytes)>, cues: Vec<Cue>, resume: ResumeMode) -> Arc<Script> {
        Arc::new(Script {
            messages,
            cues,
            resume,
            sessions: AtomicUsize::new(0),
            next: Mutex::new(0),
            sent: AtomicUsize::new(0),
        })
    }

    pub fn sessions(&self) -> usize {
        self.sessions.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct Replay {
    script: Arc<Script>,
}

/// Requests are decoded as Hubble's (the only one whose fields matter here;
/// the others' requests decode as an empty one since their fields are
/// unknown to it or absent).
#[derive(Default)]
struct ServerCodec;

impl Codec for ServerCodec {
    type Encode = Bytes;
    type Decode = GetFlowsRequest;
    type Encoder = RawEncoder;
    type Decoder = ReqDecoder;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> ReqDecoder {
        ReqDecoder
    }
}

struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item);
        Ok(())
    }
}

struct ReqDecoder;

impl Decoder for ReqDecoder {
    type Item = GetFlowsRequest;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<GetFlowsRequest>, Status> {
        let bytes = buf.copy_to_bytes(buf.remaining());
        // KubeArmor's RequestMessage has a string at field 1, which this
        // message reads as `number` (a varint): such a request decodes as
        // an error, and is treated as an empty request.
        Ok(Some(GetFlowsRequest::decode(bytes).unwrap_or_default()))
    }
}

type Stream = tokio_stream::wrappers::ReceiverStream<Result<Bytes, Status>>;

impl tower_service::Service<Request<GetFlowsRequest>> for Replay {
    type Response = Response<Stream>;
    type Error = Status;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Stream>, Status>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<GetFlowsRequest>) -> Self::Future {
        let script = self.script.clone();
        Box::pin(async move {
            let session = script.sessions.fetch_add(1, Ordering::SeqCst);
            let since = req.get_ref().since.map(|t| t.as_nanos());
            let start = match script.resume {
                ResumeMode::Since => match since {
                    Some(t) => script
                        .messages
                        .iter()
                        .position(|(mt, _)| *mt >= t)
                        .unwrap_or(script.messages.len()),
                    None => 0,
                },
                ResumeMode::Back(n) => {
                    let next = *script.next.lock().unwrap();
                    next.saturating_sub(n)
                }
            };
            let (tx, rx) = tokio::sync::mpsc::channel(4);
            tokio::spawn(async move {
                for (k, i) in (start..script.messages.len()).enumerate() {
                    for cue in &script.cues {
                        match *cue {
                            Cue::Drop { session: s, at } if s == session && at == k => {
                                let _ = tx
                                    .send(Err(Status::unavailable("dropped by the test")))
                                    .await;
                                return;
                            }
                            Cue::Stall { session: s, at, ms } if s == session && at == k => {
                                tokio::time::sleep(Duration::from_millis(ms)).await;
                            }
                            _ => {}
                        }
                    }
                    if tx.send(Ok(script.messages[i].1.clone())).await.is_err() {
                        return;
                    }
                    script.sent.fetch_add(1, Ordering::SeqCst);
                    let mut next = script.next.lock().unwrap();
                    *next = (*next).max(i + 1);
                }
                // Follow: stay open until the client goes.
                tx.closed().await;
            });
            Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(
                rx,
            )))
        })
    }
}

/// The HTTP-level service: any path streams the script.
#[derive(Clone)]
struct Http {
    replay: Replay,
}

impl tower_service::Service<http::Request<tonic::body::Body>> for Http {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let replay = self.replay.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(ServerCodec);
            Ok(grpc.server_streaming(replay, req).await)
        })
    }
}

/// A running server; dropped, it shuts down.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a server for `script` on 127.0.0.1 (a free port), on its own
/// thread and runtime.
pub fn start(script: Arc<Script>) -> Server {
    start_on(script, ([127, 0, 0, 1], 0).into())
}

/// Starts a server for `script` on `addr`.
pub fn start_on(script: Arc<Script>, addr: SocketAddr) -> Server {
    start_with(script, addr, None)
}

/// Starts a server for `script` on 127.0.0.1 (a free port) with TLS.
pub fn start_tls(script: Arc<Script>, tls: tonic::transport::ServerTlsConfig) -> Server {
    start_with(script, ([127, 0, 0, 1], 0).into(), Some(tls))
}

fn start_with(
    script: Arc<Script>,
    addr: SocketAddr,
    tls: Option<tonic::transport::ServerTlsConfig>,
) -> Server {
    let listener = std::net::TcpListener::bind(addr).expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let svc = Http {
                replay: Replay { script },
            };
            let mut builder = tonic::transport::Server::builder();
            if let Some(tls) = tls {
                builder = builder.tls_config(tls).expect("server TLS");
            }
            let _ = builder
                .serve_with_incoming_shutdown(svc, incoming, async {
                    let _ = stop_rx.await;
                })
                .await;
        });
    });
    Server {
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
    }
}

/// Encodes messages with their times.
pub fn encode<M: Message>(messages: &[(i64, M)]) -> Vec<(i64, Bytes)> {
    messages
        .iter()
        .map(|(t, m)| (*t, Bytes::from(m.encode_to_vec())))
        .collect()
}

/// Drops repeated messages (equal bytes), keeping the first of each.
pub fn distinct(messages: Vec<(i64, Bytes)>) -> Vec<(i64, Bytes)> {
    let mut seen = std::collections::HashSet::new();
    messages
        .into_iter()
        .filter(|(_, b)| seen.insert(b.clone()))
        .collect()
}
