//! The Falco source: an HTTP/1.1 listener for Falco's `http_output` (one
//! alert, a JSON object, per POST) and falcosidekick-style posts (an object,
//! an array of objects, or JSON lines). With a token, a post must carry
//! `Authorization: Bearer TOKEN`; others get 401 and are counted as
//! rejected. A post is answered once its records are queued for the store
//! (200), or 503 when the queue was full under [`OnFull::Drop`].

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::dedup::{self, Window};
use crate::{CollectOptions, Counters, OnFull, Record, SourceState, Stop};
use kubescribe_events::{Converted, SkipReason};

/// What every connection of the listener shares.
struct Shared {
    index: usize,
    token: Option<String>,
    max_body: usize,
    on_full: OnFull,
    tx: mpsc::Sender<Record>,
    counters: Arc<Counters>,
    window: Mutex<Window>,
}

/// Accepts connections until stopped; then lets the posts in flight finish
/// (up to the grace period) before returning, so the queue's senders are
/// all gone when it returns.
pub(crate) async fn run(
    index: usize,
    listener: TcpListener,
    token: Option<String>,
    options: CollectOptions,
    tx: mpsc::Sender<Record>,
    counters: Arc<Counters>,
    stop: Stop,
) {
    let shared = Arc::new(Shared {
        index,
        token,
        max_body: options.max_body_bytes,
        on_full: options.on_full,
        tx,
        counters: counters.clone(),
        window: Mutex::new(Window::new(options.dedup_window)),
    });
    counters.set_state(SourceState::Connected);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    Counters::add(&counters.connects, 1);
                    let shared = shared.clone();
                    let stop = stop.clone();
                    connections.spawn(serve(stream, shared, stop));
                }
                Err(e) => {
                    counters.error(format!("accept: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.wait() => break,
        }
    }
    drop(listener);
    let grace = tokio::time::sleep(options.shutdown_grace);
    tokio::pin!(grace);
    loop {
        tokio::select! {
            next = connections.join_next() => if next.is_none() { break },
            _ = &mut grace => {
                connections.abort_all();
                while connections.join_next().await.is_some() {}
                break;
            }
        }
    }
    counters.set_state(SourceState::Stopped);
}

/// One connection: requests until the client closes it, or until stopped
/// (then the request in flight finishes and the connection closes).
async fn serve(stream: tokio::net::TcpStream, shared: Arc<Shared>, stop: Stop) {
    let service = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(req, &shared).await) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.wait() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let c = &shared.counters;
    let refuse = |status: StatusCode, why: &str| {
        Counters::add(&c.rejected, 1);
        reply(status, format!("{{\"error\":{}}}", Value::from(why)))
    };
    if req.method() != http::Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "only POST is accepted");
    }
    if let Some(token) = &shared.token {
        let given = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
            return refuse(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        }
    }
    let body = match Limited::new(req.into_body(), shared.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            // Too large, or the connection broke mid-body: nothing of it is
            // stored (a retry of the whole post is).
            return refuse(StatusCode::BAD_REQUEST, &format!("body not read: {e}"));
        }
    };
    let mut accepted = 0u64;
    let mut duplicates = 0u64;
    let mut dropped = 0u64;
    for (raw, parsed) in split(&body) {
        Counters::add(&c.received, 1);
        Counters::add(&c.bytes, raw.len() as u64);
        let hash = dedup::hash(&raw);
        let seen = shared
            .window
            .lock()
            .map(|w| w.contains(hash))
            .unwrap_or(false);
        if seen {
            Counters::add(&c.duplicates, 1);
            duplicates += 1;
            continue;
        }
        let outcomes = match parsed {
            Ok(value) => kubescribe_events::convert(&value).1,
            Err(e) => vec![Converted::Skipped {
                reason: if e.is_eof() {
                    SkipReason::Truncated
                } else {
                    SkipReason::MalformedJson
                },
                message: e.to_string(),
            }],
        };
        let record = Record {
            source: shared.index,
            hash,
            time_ns: None,
            outcomes,
        };
        let queued = match shared.on_full {
            OnFull::Block => shared.tx.send(record).await.is_ok(),
            OnFull::Drop => match shared.tx.try_send(record) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    Counters::add(&c.dropped, 1);
                    dropped += 1;
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            },
        };
        if queued {
            accepted += 1;
            if let Ok(mut w) = shared.window.lock() {
                w.insert(hash);
            }
        }
    }
    let status = if dropped > 0 {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    reply(
        status,
        format!("{{\"accepted\":{accepted},\"duplicates\":{duplicates},\"dropped\":{dropped}}}"),
    )
}

/// One JSON value of a post: the bytes it is recognised by, and the value.
type Piece<'a> = (Cow<'a, [u8]>, Result<Value, serde_json::Error>);

/// The JSON values of a post, each with the bytes it is recognised by: an
/// array's elements (re-serialized), or the values one after another (one
/// object, JSON lines) as sent. Whatever does not parse is one malformed
/// record (the rest of the body).
fn split(body: &[u8]) -> Vec<Piece<'_>> {
    let trimmed = trim(body);
    if trimmed.first() == Some(&b'[') {
        return match serde_json::from_slice::<Vec<Value>>(trimmed) {
            Ok(items) => items
                .into_iter()
                .map(|v| {
                    (
                        Cow::Owned(serde_json::to_vec(&v).unwrap_or_default()),
                        Ok(v),
                    )
                })
                .collect(),
            Err(e) => vec![(Cow::Borrowed(trimmed), Err(e))],
        };
    }
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(trimmed).into_iter::<Value>();
    let mut start = 0;
    loop {
        match stream.next() {
            None => break,
            Some(Ok(v)) => {
                let end = stream.byte_offset();
                out.push((Cow::Borrowed(trim(&trimmed[start..end])), Ok(v)));
                start = end;
            }
            Some(Err(e)) => {
                out.push((Cow::Borrowed(trim(&trimmed[start..])), Err(e)));
                break;
            }
        }
    }
    out
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end.max(start)]
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_objects_arrays_and_lines() {
        let one = split(br#" {"rule":"a"} "#);
        assert_eq!(one.len(), 1);
        assert_eq!(&*one[0].0, br#"{"rule":"a"}"#);
        let lines = split(b"{\"a\":1}\n{\"a\":2}\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(&*lines[1].0, br#"{"a":2}"#);
        let array = split(br#"[{"a":1}, {"a":2}]"#);
        assert_eq!(array.len(), 2);
        assert_eq!(&*array[1].0, br#"{"a":2}"#);
        let bad = split(b"{\"a\":1}\n{\"a\":");
        assert_eq!(bad.len(), 2);
        assert!(bad[1].1.is_err());
    }
}
