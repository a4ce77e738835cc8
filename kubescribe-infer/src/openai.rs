//! A backend for OpenAI-compatible HTTP servers: vLLM, TGI (Messages API),
//! llama.cpp's `llama-server`, Ollama (`/v1`), or OpenAI itself — the
//! scale-out path when one machine is not enough.
//!
//! It posts to `{base_url}/chat/completions` (chat messages; a text prompt
//! becomes one user message) or `{base_url}/completions` (plain text), where
//! `base_url` is the server's OpenAI root, e.g. `http://127.0.0.1:8000/v1`.
//! The API key, when needed, comes from the environment
//! ([`API_KEY_ENV`], else `OPENAI_API_KEY`) and is sent as a bearer token.
//! 429 and 5xx answers are retried with exponential backoff (honouring a
//! `Retry-After` header in seconds, capped); every other failure is an error
//! naming the URL. Streaming uses server-sent events (`"stream": true`).
//!
//! `top_k` and `repetition_penalty` are not OpenAI parameters; they are sent
//! only when set (vLLM, llama.cpp and TGI accept them), so plain OpenAI
//! endpoints keep working with the defaults.
//!
//! **Constrained generation** ([`Generator::generate_constrained`]) sends the
//! target's JSON Schema so the server's own grammar engine enforces it:
//! `response_format: {"type": "json_schema", "json_schema": {"name", "schema",
//! "strict"}}` (OpenAI, vLLM, llama.cpp's `llama-server`, TGI), plus the
//! server-specific field [`OpenAiConfig::schema_field`] names (llama.cpp's
//! top-level `json_schema`, vLLM's `guided_json`), or in the form
//! llama-cpp-python's server reads (`{"type": "json_object", "schema"}`,
//! [`SchemaField::JsonObject`]). `strict` is `false`:
//! OpenAI's strict mode accepts only a subset of JSON Schema (every property
//! required) that policy schemas are not; servers with a grammar engine
//! enforce the schema whatever `strict` says, others treat it as a hint, and
//! the validator checks the answer either way.
//!
//! [`OpenAiGenerator::probe`] checks that the server answers at all before a
//! loop starts, so an unreachable server is a configuration error naming the
//! URL rather than a failed attempt.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::constrained::{ConstraintTarget, TargetDocument, bounded_schema, generation_schema};
use crate::error::InferError;
use crate::generator::{ChatMessage, Generation, GenerationConfig, Generator, Prompt};

mod server_schema;
pub use server_schema::server_schema;

/// Environment variable read for the API key (falls back to `OPENAI_API_KEY`).
pub const API_KEY_ENV: &str = "KUBESCRIBE_OPENAI_API_KEY";

/// Which OpenAI endpoint to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endpoint {
    /// `POST /chat/completions` (the server applies the model's chat template).
    #[default]
    Chat,
    /// `POST /completions` (raw text in, raw text out).
    Completions,
}

/// Where a constrained request carries its JSON Schema besides the standard
/// `response_format` (which every request with a schema carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaField {
    /// `response_format` only (OpenAI, and servers that follow it).
    #[default]
    ResponseFormat,
    /// Also llama.cpp's top-level `json_schema` (its `/completions`
    /// endpoint reads only that).
    LlamaCpp,
    /// Also vLLM's `guided_json`.
    Vllm,
    /// `response_format: {"type": "json_object", "schema": …}` instead of
    /// the `json_schema` form: llama-cpp-python's server
    /// (`python -m llama_cpp.server`) accepts only `text` and `json_object`
    /// there and compiles the schema to its grammar from this form.
    JsonObject,
    /// No schema at all: the server generates freely (as before).
    Off,
}

/// Settings of the HTTP backend.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// The OpenAI root of the server, e.g. `http://127.0.0.1:8000/v1`.
    pub base_url: String,
    /// The model name the server serves (`--served-model-name` in vLLM).
    pub model: String,
    /// Bearer token, if the server wants one.
    pub api_key: Option<String>,
    /// Which endpoint to call.
    pub endpoint: Endpoint,
    /// Deadline of one whole request; while streaming, the longest wait for
    /// the next piece of the stream.
    pub timeout: Duration,
    /// Deadline for opening the connection.
    pub connect_timeout: Duration,
    /// Retries after a 429 or 5xx answer (0 = try once).
    pub max_retries: u32,
    /// First backoff; doubled after every retry.
    pub initial_backoff: Duration,
    /// Longest backoff (also caps a server's `Retry-After`).
    pub max_backoff: Duration,
    /// Where constrained requests carry the JSON Schema.
    pub schema_field: SchemaField,
    /// The server's context in tokens, prompt and answer together (llama.cpp's
    /// `--ctx-size`), when known: prompts are fitted to leave the answer its
    /// room. `None`: what [`OpenAiGenerator::probe`] reads from `/models`
    /// (vLLM's `max_model_len`), else unknown and prompts are sent whole.
    pub context_window: Option<usize>,
}

impl OpenAiConfig {
    /// Defaults for a server at `base_url` serving `model`: chat endpoint,
    /// API key from the environment, 120 s timeout, 10 s to connect, 3
    /// retries starting at 500 ms.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            model: model.into(),
            api_key: api_key_from_env(),
            endpoint: Endpoint::Chat,
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            schema_field: SchemaField::default(),
            context_window: None,
        }
    }
}

/// The API key from [`API_KEY_ENV`], else `OPENAI_API_KEY` (empty values ignored).
pub fn api_key_from_env() -> Option<String> {
    [API_KEY_ENV, "OPENAI_API_KEY"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
}

/// A generator backed by an OpenAI-compatible server.
#[derive(Debug)]
pub struct OpenAiGenerator {
    config: OpenAiConfig,
    name: String,
    agent: ureq::Agent,
    stream_agent: ureq::Agent,
    /// The context the server reported to [`Self::probe`].
    reported_window: std::sync::OnceLock<usize>,
}

impl OpenAiGenerator {
    /// A client for the server in `config`; nothing is sent until the first
    /// generation. Fails only on a base URL that is not `http://` or `https://`.
    pub fn new(config: OpenAiConfig) -> Result<Self, InferError> {
        let lower = config.base_url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(InferError::Http {
                url: config.base_url.clone(),
                status: None,
                message: "the base URL must start with http:// or https:// (e.g. http://127.0.0.1:8000/v1)".into(),
            });
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .build()
            .new_agent();
        // streams may run longer than one timeout as long as pieces keep coming
        let stream_agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_recv_response(Some(config.timeout))
            .timeout_per_read(Some(config.timeout))
            .build()
            .new_agent();
        let name = format!("openai:{}", config.model);
        Ok(OpenAiGenerator {
            config,
            name,
            agent,
            stream_agent,
            reported_window: std::sync::OnceLock::new(),
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    fn url(&self) -> String {
        match self.config.endpoint {
            Endpoint::Chat => format!("{}/chat/completions", self.config.base_url),
            Endpoint::Completions => format!("{}/completions", self.config.base_url),
        }
    }

    /// Checks that the server answers (`GET {base_url}/models`, within the
    /// connect timeout and at most 10 s): `Err` naming the URL when it cannot
    /// be reached or refuses the API key (401/403); any other answer, even
    /// 404 from a server without that endpoint, is fine. A model entry with
    /// a `max_model_len` (vLLM) gives the context window when the
    /// configuration does not.
    pub fn probe(&self) -> Result<(), InferError> {
        let url = format!("{}/models", self.config.base_url);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(self.config.connect_timeout))
            .timeout_global(Some(self.config.timeout.min(Duration::from_secs(10))))
            .build()
            .new_agent();
        let mut req = agent.get(&url);
        if let Some(key) = &self.config.api_key {
            req = req.header("Authorization", format!("Bearer {key}"));
        }
        let resp = req
            .call()
            .map_err(|e| self.http_err(&url, None, describe_transport(&e, &self.config)))?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(self.http_err(
                &url,
                Some(status),
                format!(
                    "the server refused the request (HTTP {status}): set the API key in {API_KEY_ENV} or OPENAI_API_KEY"
                ),
            ));
        }
        if (200..300).contains(&status)
            && let Ok(text) = resp.into_body().read_to_string()
            && let Ok(models) = serde_json::from_str::<Value>(&text)
            && let Some(n) = served_context(&models, &self.config.model)
        {
            let _ = self.reported_window.set(n);
        }
        Ok(())
    }

    /// The JSON request body of a constrained request: [`Self::request_body`]
    /// with the target's JSON Schema where [`OpenAiConfig::schema_field`] says.
    pub fn constrained_body(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
        stream: bool,
    ) -> Result<Value, InferError> {
        let mut body = self.request_body(prompt, config, stream);
        if self.config.schema_field == SchemaField::Off {
            return Ok(body);
        }
        let (name, schema) = target_schema(target)?;
        if let Some(obj) = body.as_object_mut() {
            let json_object = self.config.schema_field == SchemaField::JsonObject;
            let schema = server_schema(&schema, json_object);
            let format = if json_object {
                json!({"type": "json_object", "schema": schema})
            } else {
                json!({
                    "type": "json_schema",
                    "json_schema": {"name": name, "schema": schema, "strict": false},
                })
            };
            obj.insert("response_format".into(), format);
            match self.config.schema_field {
                SchemaField::LlamaCpp => {
                    obj.insert("json_schema".into(), schema);
                }
                SchemaField::Vllm => {
                    obj.insert("guided_json".into(), schema);
                }
                SchemaField::ResponseFormat | SchemaField::JsonObject | SchemaField::Off => {}
            }
        }
        Ok(body)
    }

    /// The JSON request body.
    pub fn request_body(&self, prompt: &Prompt, config: &GenerationConfig, stream: bool) -> Value {
        let mut body = serde_json::Map::new();
        body.insert("model".into(), json!(self.config.model));
        match (self.config.endpoint, prompt) {
            (Endpoint::Chat, Prompt::Chat(msgs)) => {
                body.insert("messages".into(), json!(msgs));
            }
            (Endpoint::Chat, Prompt::Text(t)) => {
                let msgs = [ChatMessage {
                    role: "user".into(),
                    content: t.clone(),
                }];
                body.insert("messages".into(), json!(msgs));
            }
            (Endpoint::Completions, p) => {
                body.insert("prompt".into(), json!(p.as_text()));
            }
        }
        body.insert("max_tokens".into(), json!(config.max_new_tokens));
        body.insert("temperature".into(), json!(config.temperature));
        if config.top_p < 1.0 {
            body.insert("top_p".into(), json!(config.top_p));
        }
        if config.top_k > 0 {
            body.insert("top_k".into(), json!(config.top_k));
        }
        if config.repetition_penalty != 1.0 {
            body.insert(
                "repetition_penalty".into(),
                json!(config.repetition_penalty),
            );
        }
        body.insert("seed".into(), json!(config.seed));
        if !config.stop.is_empty() {
            body.insert("stop".into(), json!(config.stop));
        }
        if stream {
            body.insert("stream".into(), json!(true));
        }
        Value::Object(body)
    }

    fn http_err(&self, url: &str, status: Option<u16>, message: impl Into<String>) -> InferError {
        InferError::Http {
            url: url.to_string(),
            status,
            message: message.into(),
        }
    }

    /// Sends the request, retrying 429/5xx; returns the successful response.
    fn send(
        &self,
        agent: &ureq::Agent,
        url: &str,
        body: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, InferError> {
        let mut backoff = self.config.initial_backoff;
        let mut attempt = 0u32;
        loop {
            let mut req = agent.post(url).header("Content-Type", "application/json");
            if let Some(key) = &self.config.api_key {
                req = req.header("Authorization", format!("Bearer {key}"));
            }
            let mut resp = req
                .send(body)
                .map_err(|e| self.http_err(url, None, describe_transport(&e, &self.config)))?;
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                return Ok(resp);
            }
            let retryable = status == 429 || (500..600).contains(&status);
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = resp
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_string()
                .unwrap_or_default();
            if retryable && attempt < self.config.max_retries {
                attempt += 1;
                let wait = retry_after.unwrap_or(backoff).min(self.config.max_backoff);
                std::thread::sleep(wait);
                backoff = (backoff * 2).min(self.config.max_backoff);
                continue;
            }
            let detail = server_message(&text);
            let tries = if retryable {
                format!(" (after {} retries)", attempt)
            } else {
                String::new()
            };
            return Err(self.http_err(
                url,
                Some(status),
                format!("the server answered HTTP {status}{tries}: {detail}"),
            ));
        }
    }

    /// Posts a streaming request body; reads the server-sent events.
    ///
    /// Constrained generation does not stream (the default
    /// `generate_constrained_stream` reports the whole answer once): a
    /// stream carries no token counts unless the server is asked for them,
    /// and not every server streams under a schema.
    fn stream(
        &self,
        body: &Value,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferError> {
        let t = Instant::now();
        let url = self.url();
        let body = body.to_string();
        let resp = self.send(&self.stream_agent, &url, &body)?;
        let reader = BufReader::new(resp.into_body().into_reader());
        let mut text = String::new();
        let (mut prompt_tokens, mut completion_tokens) = (None, None);
        let mut data = String::new();
        let mut done = false;
        for line in reader.lines() {
            let line = line.map_err(|e| {
                let msg = match e.kind() {
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => format!(
                        "the stream stalled: nothing for {} s",
                        self.config.timeout.as_secs_f64()
                    ),
                    _ => format!("the stream broke off: {e}"),
                };
                self.http_err(&url, None, msg)
            })?;
            let line = line.trim_end_matches('\r');
            if let Some(rest) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
                continue;
            }
            if !line.is_empty() || data.is_empty() {
                continue; // comments (`: keep-alive`), `event:`/`id:` fields
            }
            // a blank line ends an event
            let event = std::mem::take(&mut data);
            if event.trim() == "[DONE]" {
                done = true;
                break;
            }
            let v: Value = serde_json::from_str(&event).map_err(|e| {
                self.http_err(
                    &url,
                    None,
                    format!("a stream event is not JSON ({e}): {}", clip(&event)),
                )
            })?;
            if let Some(err) = v.get("error") {
                return Err(self.http_err(
                    &url,
                    None,
                    format!("the server reported: {}", server_message(&err.to_string())),
                ));
            }
            if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
                prompt_tokens = u
                    .get("prompt_tokens")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize);
                completion_tokens = u
                    .get("completion_tokens")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize);
            }
            let piece = v
                .pointer("/choices/0/delta/content")
                .or_else(|| v.pointer("/choices/0/text"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if piece.is_empty() {
                continue;
            }
            text.push_str(piece);
            if !on_text(piece) {
                done = true;
                break;
            }
        }
        if !done {
            return Err(self.http_err(
                &url,
                None,
                format!(
                    "the stream ended without `data: [DONE]` after {} bytes of text",
                    text.len()
                ),
            ));
        }
        Ok(Generation {
            text,
            prompt_tokens,
            completion_tokens,
            elapsed: t.elapsed(),
        })
    }

    /// Posts a non-streaming request body; the answer's text and usage.
    fn post(&self, body: &Value) -> Result<Generation, InferError> {
        let t = Instant::now();
        let url = self.url();
        let body = body.to_string();
        let mut resp = self.send(&self.agent, &url, &body)?;
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| self.http_err(&url, None, describe_transport(&e, &self.config)))?;
        let (text, prompt_tokens, completion_tokens) = self.parse_answer(&url, &text)?;
        Ok(Generation {
            text,
            prompt_tokens,
            completion_tokens,
            elapsed: t.elapsed(),
        })
    }

    fn parse_answer(
        &self,
        url: &str,
        text: &str,
    ) -> Result<(String, Option<usize>, Option<usize>), InferError> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            self.http_err(
                url,
                None,
                format!("the answer is not JSON ({e}): {}", clip(text)),
            )
        })?;
        let choice = v.get("choices").and_then(|c| c.get(0)).ok_or_else(|| {
            self.http_err(
                url,
                None,
                format!("the answer has no `choices`: {}", clip(text)),
            )
        })?;
        let content = choice
            .pointer("/message/content")
            .or_else(|| choice.get("text"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                self.http_err(
                    url,
                    None,
                    format!(
                        "the answer's first choice has no `message.content` or `text`: {}",
                        clip(text)
                    ),
                )
            })?;
        let usage = |k: &str| {
            v.pointer(&format!("/usage/{k}"))
                .and_then(Value::as_u64)
                .map(|n| n as usize)
        };
        Ok((
            content.to_string(),
            usage("prompt_tokens"),
            usage("completion_tokens"),
        ))
    }
}

/// The context a `/models` answer gives for `model` (vLLM's
/// `max_model_len`; the only entry's when no entry has that id).
fn served_context(models: &Value, model: &str) -> Option<usize> {
    let entries = models.get("data")?.as_array()?;
    let entry = entries
        .iter()
        .find(|e| e.get("id").and_then(Value::as_str) == Some(model))
        .or(if entries.len() == 1 {
            entries.first()
        } else {
            None
        })?;
    let n = entry.get("max_model_len")?.as_u64()?;
    usize::try_from(n).ok().filter(|n| *n > 0)
}

/// The name (`[a-zA-Z0-9_-]`, as OpenAI wants it) and the plain JSON Schema
/// of a constraint target: the generation schema of a policy kind, or the
/// given schema, bounded; llguidance's own keys (`x-guidance`) left out.
pub fn target_schema(target: &ConstraintTarget) -> Result<(String, Value), InferError> {
    let (name, mut schema) = match &target.document {
        TargetDocument::Policy(kind) => (
            kind.kind().to_string(),
            generation_schema(*kind, &target.tightening, &target.limits)?,
        ),
        TargetDocument::Schema(s) => (
            s.get("title")
                .and_then(Value::as_str)
                .unwrap_or("document")
                .to_string(),
            bounded_schema(s, &target.limits)?,
        ),
    };
    strip_guidance(&mut schema);
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    Ok((name, schema))
}

fn strip_guidance(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("x-guidance");
            m.values_mut().for_each(strip_guidance);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_guidance),
        _ => {}
    }
}

/// What a transport-level failure means for the user.
fn describe_transport(e: &ureq::Error, cfg: &OpenAiConfig) -> String {
    match e {
        ureq::Error::Timeout(t) => format!(
            "no answer in time ({t}; timeout {} s, connect timeout {} s)",
            cfg.timeout.as_secs_f64(),
            cfg.connect_timeout.as_secs_f64()
        ),
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
            format!("cannot reach the server ({e}): is it running, and is the base URL right?")
        }
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "cannot reach the server: connection refused (is it running, and is the base URL right?)".into()
            }
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => format!(
                "no answer in time (timeout {} s)",
                cfg.timeout.as_secs_f64()
            ),
            _ => format!("connection failed: {io}"),
        },
        other => format!("request failed: {other}"),
    }
}

/// The `error.message` of an OpenAI-style error body, else the body itself.
fn server_message(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("error"))
                .or_else(|| v.get("message"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| clip(text))
}

fn clip(text: &str) -> String {
    let t: String = text.chars().take(300).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

impl Generator for OpenAiGenerator {
    fn name(&self) -> &str {
        &self.name
    }

    fn fingerprint(&self) -> String {
        format!(
            "openai {} {} {:?}",
            self.config.base_url, self.config.model, self.config.endpoint
        )
    }

    fn generate(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
    ) -> Result<Generation, InferError> {
        self.post(&self.request_body(prompt, config, false))
    }

    /// [`OpenAiConfig::context_window`], else what the server reported.
    fn context_window(&self) -> Option<usize> {
        self.config
            .context_window
            .or_else(|| self.reported_window.get().copied())
    }

    /// Sends the target's JSON Schema with the request (see the module
    /// docs), so a server with a grammar engine produces a document of the
    /// target's shape; with [`SchemaField::Off`], `Ok(None)` (unconstrained).
    fn generate_constrained(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        target: &ConstraintTarget,
    ) -> Result<Option<Generation>, InferError> {
        if self.config.schema_field == SchemaField::Off {
            return Ok(None);
        }
        let body = self.constrained_body(prompt, config, target, false)?;
        self.post(&body).map(Some)
    }

    /// Streams over server-sent events; each `delta.content` (chat) or
    /// `text` (completions) piece goes to `on_text`. Returning `false` from
    /// the callback closes the connection, which makes the server stop.
    fn generate_stream(
        &self,
        prompt: &Prompt,
        config: &GenerationConfig,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferError> {
        self.stream(&self.request_body(prompt, config, true), on_text)
    }
}
