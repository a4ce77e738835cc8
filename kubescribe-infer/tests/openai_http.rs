//! The OpenAI-compatible backend against a small HTTP server this test runs
//! on 127.0.0.1 (std `TcpListener`): plain and streamed (SSE) answers, both
//! endpoints, retries on 429/503, an error status, a timeout, an unreachable
//! server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use kubescribe_infer::openai::{Endpoint, OpenAiConfig, OpenAiGenerator};
use kubescribe_infer::{ChatMessage, GenerationConfig, Generator, InferError, Prompt};
use serde_json::{Value, json};

/// A request as the server saw it.
#[derive(Debug)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with one connection.
enum Reply {
    /// Status, extra headers, body.
    Full(u16, Vec<(&'static str, String)>, String),
    /// SSE events written one by one (`data: ...` blocks), chunked.
    Sse(Vec<String>),
    /// Reads the request, then says nothing for this long.
    Silence(Duration),
}

fn read_request(stream: &mut TcpStream) -> Seen {
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap();
        if k.eq_ignore_ascii_case("content-length") {
            len = v.trim().parse().unwrap();
        }
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).unwrap();
    Seen {
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

/// Serves `replies` to successive connections; returns the base URL and a
/// receiver of the requests seen.
fn serve(replies: Vec<Reply>) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for reply in replies {
            let (mut s, _) = listener.accept().unwrap();
            let seen = read_request(&mut s);
            tx.send(seen).unwrap();
            match reply {
                Reply::Full(status, headers, body) => {
                    let mut head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = s.write_all(head.as_bytes());
                    let _ = s.write_all(body.as_bytes());
                }
                Reply::Sse(events) => {
                    let _ = s.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                    );
                    for e in events {
                        let chunk = format!("{e}\n\n");
                        let _ = s.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
                        let _ = s.flush();
                        thread::sleep(Duration::from_millis(5));
                    }
                    let _ = s.write_all(b"0\r\n\r\n");
                }
                Reply::Silence(d) => thread::sleep(d),
            }
        }
    });
    (format!("http://{addr}/v1"), rx)
}

fn config(base: &str) -> OpenAiConfig {
    let mut c = OpenAiConfig::new(base, "smollm2");
    c.api_key = None;
    c.initial_backoff = Duration::from_millis(10);
    c.timeout = Duration::from_secs(10);
    c
}

fn chat_answer(text: &str) -> String {
    json!({"id": "x", "object": "chat.completion", "model": "smollm2",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}})
    .to_string()
}

fn chat_prompt() -> Prompt {
    Prompt::Chat(vec![
        ChatMessage {
            role: "system".into(),
            content: "You write KubeArmor policies.".into(),
        },
        ChatMessage {
            role: "user".into(),
            content: "Block bash in shop.".into(),
        },
    ])
}

#[test]
fn chat_completion_sends_messages_settings_and_key() {
    let (base, rx) = serve(vec![Reply::Full(
        200,
        vec![],
        chat_answer("kind: KubeArmorPolicy"),
    )]);
    let mut c = config(&base);
    c.api_key = Some("sk-test".into());
    let g = OpenAiGenerator::new(c).unwrap();
    let cfg = GenerationConfig {
        max_new_tokens: 64,
        top_k: 5,
        stop: vec!["---".into()],
        ..GenerationConfig::default()
    };
    let out = g.generate(&chat_prompt(), &cfg).unwrap();
    assert_eq!(out.text, "kind: KubeArmorPolicy");
    assert_eq!(out.prompt_tokens, Some(12));
    assert_eq!(out.completion_tokens, Some(5));
    let seen = rx.recv().unwrap();
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(seen.body["model"], "smollm2");
    assert_eq!(seen.body["messages"][1]["content"], "Block bash in shop.");
    assert_eq!(seen.body["max_tokens"], 64);
    assert_eq!(seen.body["top_k"], 5);
    assert_eq!(seen.body["stop"], json!(["---"]));
    // OpenAI proper rejects unknown parameters: unset extensions are not sent
    assert!(seen.body.get("repetition_penalty").is_none());
    assert!(seen.body.get("stream").is_none());
}

#[test]
fn completions_endpoint_sends_text_and_reads_text() {
    let answer = json!({"choices": [{"index": 0, "text": "apiVersion: v1"}]}).to_string();
    let (base, rx) = serve(vec![Reply::Full(200, vec![], answer)]);
    let mut c = config(&base);
    c.endpoint = Endpoint::Completions;
    let g = OpenAiGenerator::new(c).unwrap();
    let out = g
        .generate(
            &Prompt::Text("policy:".into()),
            &GenerationConfig::default(),
        )
        .unwrap();
    assert_eq!(out.text, "apiVersion: v1");
    assert_eq!(out.completion_tokens, None, "no usage, no invented count");
    let seen = rx.recv().unwrap();
    assert_eq!(seen.path, "/v1/completions");
    assert_eq!(seen.body["prompt"], "policy:");
}

fn delta(piece: &str) -> String {
    format!(
        "data: {}",
        json!({"choices": [{"index": 0, "delta": {"content": piece}}]})
    )
}

#[test]
fn streams_server_sent_events() {
    let events = vec![
        ": keep-alive comment".to_string(),
        delta("kind: "),
        delta("Kube"),
        delta("ArmorPolicy"),
        format!(
            "data: {}",
            json!({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3}})
        ),
        "data: [DONE]".to_string(),
    ];
    let (base, rx) = serve(vec![Reply::Sse(events)]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    let mut pieces = Vec::new();
    let out = g
        .generate_stream(&chat_prompt(), &GenerationConfig::default(), &mut |p| {
            pieces.push(p.to_string());
            true
        })
        .unwrap();
    assert_eq!(pieces, ["kind: ", "Kube", "ArmorPolicy"]);
    assert_eq!(out.text, "kind: KubeArmorPolicy");
    assert_eq!(out.completion_tokens, Some(3));
    assert_eq!(rx.recv().unwrap().body["stream"], true);
}

#[test]
fn stream_stops_when_the_callback_says_so() {
    let events = vec![delta("a"), delta("b"), delta("c"), "data: [DONE]".into()];
    let (base, _rx) = serve(vec![Reply::Sse(events)]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    let out = g
        .generate_stream(&chat_prompt(), &GenerationConfig::default(), &mut |p| {
            p != "b"
        })
        .unwrap();
    assert_eq!(out.text, "ab");
}

#[test]
fn stream_cut_off_before_done_is_an_error() {
    let (base, _rx) = serve(vec![Reply::Sse(vec![delta("kind: ")])]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    let e = g
        .generate_stream(&chat_prompt(), &GenerationConfig::default(), &mut |_| true)
        .unwrap_err();
    assert!(e.to_string().contains("without `data: [DONE]`"), "{e}");
}

#[test]
fn retries_429_and_503_with_backoff() {
    let (base, rx) = serve(vec![
        Reply::Full(
            429,
            vec![("Retry-After", "0".into())],
            r#"{"error": {"message": "slow down"}}"#.into(),
        ),
        Reply::Full(503, vec![], "overloaded".into()),
        Reply::Full(200, vec![], chat_answer("ok")),
    ]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    let out = g
        .generate(&chat_prompt(), &GenerationConfig::default())
        .unwrap();
    assert_eq!(out.text, "ok");
    assert_eq!(rx.try_iter().count(), 3);
}

#[test]
fn gives_up_after_max_retries_and_names_the_status() {
    let replies = (0..3)
        .map(|_| {
            Reply::Full(
                500,
                vec![],
                r#"{"error": {"message": "CUDA out of memory"}}"#.into(),
            )
        })
        .collect();
    let (base, _rx) = serve(replies);
    let mut c = config(&base);
    c.max_retries = 2;
    let g = OpenAiGenerator::new(c).unwrap();
    match g.generate(&chat_prompt(), &GenerationConfig::default()) {
        Err(InferError::Http {
            status, message, ..
        }) => {
            assert_eq!(status, Some(500));
            assert!(message.contains("after 2 retries"), "{message}");
            assert!(message.contains("CUDA out of memory"), "{message}");
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[test]
fn client_errors_are_not_retried() {
    let (base, rx) = serve(vec![Reply::Full(
        404,
        vec![],
        r#"{"error": {"message": "The model `smollm2` does not exist."}}"#.into(),
    )]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    let e = g
        .generate(&chat_prompt(), &GenerationConfig::default())
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("HTTP 404") && text.contains("does not exist"),
        "{text}"
    );
    assert!(text.contains("/v1/chat/completions"), "{text}");
    assert_eq!(rx.try_iter().count(), 1);
}

#[test]
fn a_silent_server_times_out() {
    let (base, _rx) = serve(vec![Reply::Silence(Duration::from_secs(3))]);
    let mut c = config(&base);
    c.timeout = Duration::from_millis(300);
    let g = OpenAiGenerator::new(c).unwrap();
    // The server stays silent for 3 s: "no answer in time" (not a reply or a
    // closed connection) shows the 300 ms bound fired; no clock is read.
    let e = g
        .generate(&chat_prompt(), &GenerationConfig::default())
        .unwrap_err();
    assert!(e.to_string().contains("no answer in time"), "{e}");
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    // a port that was just free: nothing listens there
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let g = OpenAiGenerator::new(config(&format!("http://127.0.0.1:{port}/v1"))).unwrap();
    let e = g
        .generate(&chat_prompt(), &GenerationConfig::default())
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("cannot reach the server"), "{text}");
    assert!(text.contains(&port.to_string()), "{text}");
}

#[test]
fn a_base_url_without_scheme_is_rejected() {
    let e = OpenAiGenerator::new(OpenAiConfig::new("localhost:8000/v1", "m")).unwrap_err();
    assert!(e.to_string().contains("http://"), "{e}");
}

fn network_target() -> kubescribe_infer::constrained::ConstraintTarget {
    kubescribe_infer::constrained::ConstraintTarget::new(kubescribe_core::PolicyKind::NetworkPolicy)
}

#[test]
fn a_constrained_request_carries_the_json_schema() {
    let (base, rx) = serve(vec![Reply::Full(
        200,
        vec![],
        chat_answer(r#"{"apiVersion":"networking.k8s.io/v1"}"#),
    )]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    let out = g
        .generate_constrained(
            &chat_prompt(),
            &GenerationConfig::default(),
            &network_target(),
        )
        .unwrap()
        .expect("the HTTP backend sends the schema");
    assert!(out.text.starts_with('{'));
    let seen = rx.recv().unwrap();
    let rf = &seen.body["response_format"];
    assert_eq!(rf["type"], "json_schema");
    assert_eq!(rf["json_schema"]["name"], "NetworkPolicy");
    assert_eq!(rf["json_schema"]["strict"], false);
    let schema = &rf["json_schema"]["schema"];
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["spec"].is_object(), "{schema}");
    // llguidance's own settings stay home
    assert!(!schema.to_string().contains("x-guidance"), "{schema}");
    // the default adds no server-specific field
    assert!(seen.body.get("json_schema").is_none());
    assert!(seen.body.get("guided_json").is_none());
}

#[test]
fn llama_cpp_and_vllm_get_their_own_schema_fields() {
    use kubescribe_infer::openai::SchemaField;
    for (field, key) in [
        (SchemaField::LlamaCpp, "json_schema"),
        (SchemaField::Vllm, "guided_json"),
    ] {
        let (base, rx) = serve(vec![Reply::Full(200, vec![], chat_answer("{}"))]);
        let mut c = config(&base);
        c.schema_field = field;
        let g = OpenAiGenerator::new(c).unwrap();
        g.generate_constrained(
            &chat_prompt(),
            &GenerationConfig::default(),
            &network_target(),
        )
        .unwrap();
        let seen = rx.recv().unwrap();
        assert_eq!(
            seen.body[key], seen.body["response_format"]["json_schema"]["schema"],
            "{key}"
        );
    }
    // llama-cpp-python's server reads only the json_object form
    let (base, rx) = serve(vec![Reply::Full(200, vec![], chat_answer("{}"))]);
    let mut c = config(&base);
    c.schema_field = SchemaField::JsonObject;
    let g = OpenAiGenerator::new(c).unwrap();
    g.generate_constrained(
        &chat_prompt(),
        &GenerationConfig::default(),
        &network_target(),
    )
    .unwrap();
    let seen = rx.recv().unwrap();
    let rf = &seen.body["response_format"];
    assert_eq!(rf["type"], "json_object", "{rf}");
    assert_eq!(rf["schema"]["type"], "object", "{rf}");
    assert!(rf["schema"]["properties"]["spec"].is_object(), "{rf}");
    assert!(rf.get("json_schema").is_none(), "{rf}");
    // its grammar converter cannot take an escaped dot (metadata.name's
    // DNS-1123 pattern): the same expression is sent without the escape
    let name = &rf["schema"]["properties"]["metadata"]["properties"]["name"]["pattern"];
    let name = name.as_str().expect("metadata.name has a pattern");
    assert!(!name.contains("\\."), "{name}");
    assert!(name.contains("[.]"), "{name}");
    // off: nothing sent, the caller generates freely
    let mut c = config("http://127.0.0.1:9/v1");
    c.schema_field = SchemaField::Off;
    let g = OpenAiGenerator::new(c).unwrap();
    assert!(
        g.generate_constrained(
            &chat_prompt(),
            &GenerationConfig::default(),
            &network_target()
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn the_probe_names_the_url_of_an_unreachable_server() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let g = OpenAiGenerator::new(config(&format!("http://127.0.0.1:{port}/v1"))).unwrap();
    let e = g.probe().unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/v1/models")),
        "{text}"
    );
    assert!(text.contains("cannot reach the server"), "{text}");
    // a server that answers, even 404, passes
    let (base, rx) = serve(vec![Reply::Full(404, vec![], "{}".into())]);
    OpenAiGenerator::new(config(&base))
        .unwrap()
        .probe()
        .unwrap();
    assert_eq!(rx.recv().unwrap().path, "/v1/models");
}

#[test]
fn the_context_window_is_the_configured_one_else_what_vllm_reports() {
    // Nothing known: prompts go whole.
    let g = OpenAiGenerator::new(config("http://127.0.0.1:9/v1")).unwrap();
    assert_eq!(g.context_window(), None);
    // vLLM's /models lists the served model with its max_model_len.
    let models = json!({"object": "list", "data": [
        {"id": "other", "max_model_len": 2048},
        {"id": "smollm2", "object": "model", "max_model_len": 16384}
    ]});
    let (base, _rx) = serve(vec![Reply::Full(200, vec![], models.to_string())]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    g.probe().unwrap();
    assert_eq!(g.context_window(), Some(16384));
    // The configured one wins (llama.cpp's servers do not report theirs).
    let (base, _rx) = serve(vec![Reply::Full(200, vec![], models.to_string())]);
    let mut c = config(&base);
    c.context_window = Some(8192);
    let g = OpenAiGenerator::new(c).unwrap();
    g.probe().unwrap();
    assert_eq!(g.context_window(), Some(8192));
    // A listing without the field leaves it unknown.
    let (base, _rx) = serve(vec![Reply::Full(
        200,
        vec![],
        r#"{"data": [{"id": "smollm2"}]}"#.into(),
    )]);
    let g = OpenAiGenerator::new(config(&base)).unwrap();
    g.probe().unwrap();
    assert_eq!(g.context_window(), None);
}
