//! Reading policy documents from YAML or JSON, and writing canonical YAML.
//!
//! Input is read with budgets (size, nesting, alias expansion) so a hostile
//! file produces an error, never a hang or unbounded memory. Multi-document
//! YAML (`---`), JSON (one value, or several concatenated / JSON lines) and
//! Kubernetes `List` objects are all accepted; empty documents are skipped as
//! kubectl skips them. Each [`Document`] keeps its position, and
//! [`DocumentSet::line_of`] maps a JSON pointer back to a source line for
//! diagnostics.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::error::CoreError;
use crate::limits::{self, LimitExceeded};

mod plain;

/// Limits applied while reading untrusted input (defaults from
/// [`crate::limits`]). An input over one is a [`CoreError::Limit`] naming it.
#[derive(Debug, Clone)]
pub struct ReadLimits {
    /// Largest accepted input in bytes (default 16 MiB; the API server itself
    /// refuses objects above ~1.5 MiB).
    pub max_bytes: usize,
    /// Deepest accepted nesting of mappings/sequences (default 128).
    pub max_depth: usize,
    /// Most alias (`*ref`) uses accepted (default 1,000).
    pub max_aliases: usize,
    /// Fewest YAML nodes and parser events allowed whatever the size
    /// (default 4,000,000); above that the allowance is one per byte of
    /// `max_bytes`, so any well-formed input within the byte limit is read,
    /// while the work an alias bomb can cause stays bounded.
    pub max_events: usize,
    /// Most documents accepted in one input (default 10,000).
    pub max_documents: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_bytes: limits::DOCUMENT_MAX_BYTES,
            max_depth: limits::DOCUMENT_MAX_DEPTH,
            max_aliases: limits::DOCUMENT_MAX_ALIASES,
            max_events: limits::DOCUMENT_MIN_EVENTS,
            max_documents: limits::DOCUMENT_MAX_DOCUMENTS,
        }
    }
}

impl ReadLimits {
    /// The YAML nodes and parser events allowed in one input.
    pub fn max_nodes(&self) -> usize {
        self.max_events.max(self.max_bytes)
    }
}

/// What raises the byte limit (and the node allowance that grows with it).
const RAISE_BYTES: &str = "raise it with --max-file-mib";

/// One document of an input.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 0-based position among the input's non-empty documents (`List` items
    /// count individually).
    pub index: usize,
    /// 0-based position of the YAML document in the stream it came from.
    pub stream_index: usize,
    /// JSON pointer prefix when the document is an item of a `List`
    /// (e.g. `/items/3`), empty otherwise.
    pub list_pointer: String,
    /// The document's content.
    pub value: Value,
}

/// The documents of one input, with the text kept for locating diagnostics.
#[derive(Debug)]
pub struct DocumentSet {
    /// File name, or a label such as `<stdin>`.
    pub source: String,
    /// The documents, in input order.
    pub documents: Vec<Document>,
    text: String,
    /// Pointer -> line, per YAML document: built on the first diagnostic
    /// that needs a line below a document's root.
    lines: OnceLock<Vec<HashMap<String, usize>>>,
    /// The line each YAML document starts on (what a report of a whole
    /// document needs): a walk of the parser's events with no pointer built.
    starts: OnceLock<Vec<usize>>,
}

impl DocumentSet {
    /// 1-based line where the value at `pointer` in `doc` starts, if known.
    /// Falls back to the nearest located ancestor of the pointer.
    pub fn line_of(&self, doc: &Document, pointer: &str) -> Option<usize> {
        if pointer.is_empty() && doc.list_pointer.is_empty() && self.lines.get().is_none() {
            // The document's own line: no pointer map needed.
            let starts = self.starts.get_or_init(|| document_starts(&self.text));
            return starts.get(doc.stream_index).copied();
        }
        let maps = self.lines.get_or_init(|| plain::pointer_lines(&self.text));
        let map = maps.get(doc.stream_index)?;
        let mut p = format!("{}{}", doc.list_pointer, pointer);
        loop {
            if let Some(&l) = map.get(&p) {
                return Some(l);
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return None,
            }
        }
    }
}

/// Reads a file of policy documents.
pub fn read_file(path: &Path, limits: &ReadLimits) -> Result<DocumentSet, CoreError> {
    let name = path.display().to_string();
    let unreadable = |reason: String| CoreError::Unreadable {
        source_name: name.clone(),
        reason,
    };
    // One open: the size from the open file (a second path lookup cost a
    // small file's validation a few percent), and never more read than the
    // limit allows, should the file grow in between.
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let meta = file.metadata().map_err(|e| unreadable(e.to_string()))?;
    if meta.len() > limits.max_bytes as u64 {
        return Err(too_large(&name, meta.len() as usize, limits.max_bytes));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&file, limits.max_bytes as u64 + 1),
        &mut bytes,
    )
    .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() > limits.max_bytes {
        return Err(too_large(&name, bytes.len(), limits.max_bytes));
    }
    read_bytes(&name, &bytes, limits)
}

fn too_large(name: &str, len: usize, max: usize) -> CoreError {
    limit_error(
        name,
        LimitExceeded::new(
            format!("an input of {len} bytes"),
            "DOCUMENT_MAX_BYTES",
            max as u64,
            "bytes",
            "raise it with --max-file-mib; the API server rejects objects over ~1.5 MiB",
        ),
    )
}

fn limit_error(name: &str, limit: LimitExceeded) -> CoreError {
    CoreError::Limit {
        source_name: name.to_string(),
        limit: Box::new(limit),
    }
}

/// Reads policy documents from bytes (YAML or JSON, UTF-8).
pub fn read_bytes(name: &str, bytes: &[u8], limits: &ReadLimits) -> Result<DocumentSet, CoreError> {
    let unreadable = |reason: String| CoreError::Unreadable {
        source_name: name.to_string(),
        reason,
    };
    if bytes.len() > limits.max_bytes {
        return Err(too_large(name, bytes.len(), limits.max_bytes));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let upto = &bytes[..e.valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        unreadable(format!(
            "not UTF-8: invalid byte at offset {} (line {line})",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw = if looks_like_json(text) {
        parse_json_stream(name, text)?
    } else {
        parse_yaml_stream(name, text, limits)?
    };
    let mut documents = Vec::new();
    for (stream_index, value) in raw.into_iter().enumerate() {
        if value.is_null() {
            continue;
        }
        if is_list(&value) {
            if let Some(items) = value.get("items").and_then(Value::as_array) {
                for (i, item) in items.iter().enumerate() {
                    documents.push(Document {
                        index: documents.len(),
                        stream_index,
                        list_pointer: format!("/items/{i}"),
                        value: item.clone(),
                    });
                }
            }
            continue;
        }
        documents.push(Document {
            index: documents.len(),
            stream_index,
            list_pointer: String::new(),
            value,
        });
        if documents.len() > limits.max_documents {
            return Err(limit_error(name, documents_limit(limits.max_documents)));
        }
    }
    Ok(DocumentSet {
        source: name.to_string(),
        documents,
        text: text.to_string(),
        lines: OnceLock::new(),
        starts: OnceLock::new(),
    })
}

fn documents_limit(max: usize) -> LimitExceeded {
    LimitExceeded::new(
        format!("an input of more than {max} documents"),
        "DOCUMENT_MAX_DOCUMENTS",
        max as u64,
        "documents",
        "fixed: split the input",
    )
}

fn looks_like_json(text: &str) -> bool {
    matches!(
        text.trim_start().as_bytes().first(),
        Some(b'{') | Some(b'[')
    )
}

fn is_list(v: &Value) -> bool {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    (kind == "List" || kind.ends_with("List")) && v.get("items").is_some_and(Value::is_array)
}

/// A JSON value whose objects have no repeated key. serde_json keeps the
/// last of two equal keys, so `{"action": "Allow", "action": "Block"}`
/// would read as whatever came last; the API server rejects such input
/// (strict field validation) and so do we, with the line of the repeat.
/// YAML input gets the same rule from serde-saphyr.
struct StrictJson(Value);

impl<'de> serde::Deserialize<'de> for StrictJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StrictJson;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<StrictJson, E> {
                Ok(StrictJson(Value::Bool(b)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<StrictJson, E> {
                Ok(StrictJson(Value::from(n)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<StrictJson, E> {
                Ok(StrictJson(Value::from(n)))
            }
            fn visit_f64<E>(self, n: f64) -> Result<StrictJson, E> {
                Ok(StrictJson(
                    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
                ))
            }
            fn visit_str<E>(self, s: &str) -> Result<StrictJson, E> {
                Ok(StrictJson(Value::String(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<StrictJson, E> {
                Ok(StrictJson(Value::String(s)))
            }
            fn visit_unit<E>(self) -> Result<StrictJson, E> {
                Ok(StrictJson(Value::Null))
            }
            fn visit_none<E>(self) -> Result<StrictJson, E> {
                Ok(StrictJson(Value::Null))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<StrictJson, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StrictJson, A::Error> {
                let mut out = Vec::new();
                while let Some(StrictJson(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(StrictJson(Value::Array(out)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StrictJson, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    let StrictJson(v) = map.next_value()?;
                    if out.contains_key(&key) {
                        return Err(serde::de::Error::custom(format_args!(
                            "duplicate key `{}`",
                            key.escape_debug()
                        )));
                    }
                    out.insert(key, v);
                }
                Ok(StrictJson(Value::Object(out)))
            }
        }
        d.deserialize_any(V)
    }
}

fn parse_json_stream(name: &str, text: &str) -> Result<Vec<Value>, CoreError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<StrictJson>();
    loop {
        match stream.next() {
            None => break,
            Some(Ok(v)) => out.push(v.0),
            Some(Err(e)) if e.to_string().starts_with("recursion limit exceeded") => {
                // serde_json's fixed nesting limit (128), the same as YAML's default.
                return Err(limit_error(
                    name,
                    LimitExceeded::new(
                        format!("JSON nested more than 128 levels deep (line {})", e.line()),
                        "DOCUMENT_MAX_DEPTH",
                        128,
                        "levels",
                        "fixed",
                    ),
                ));
            }
            Some(Err(e)) => {
                return Err(CoreError::Syntax {
                    source_name: name.to_string(),
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                });
            }
        }
    }
    // A top-level JSON array of objects is a list of documents.
    if out.len() == 1 && out[0].is_array() {
        let Some(Value::Array(items)) = out.pop() else {
            unreachable!()
        };
        return Ok(items);
    }
    Ok(out)
}

fn yaml_options(limits: &ReadLimits) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = limits.max_depth;
    budget.max_aliases = limits.max_aliases;
    // serde-saphyr's default node budget (250,000 for the whole stream)
    // refused valid multi-document files of a few MiB; the allowance grows
    // with the byte limit instead.
    budget.max_events = limits.max_nodes();
    budget.max_nodes = limits.max_nodes();
    budget.max_documents = limits.max_documents.saturating_add(1);
    budget.max_reader_input_bytes = Some(limits.max_bytes);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(limits.max_bytes);
    let mut opts = serde_saphyr::Options::default();
    opts.budget = Some(budget);
    // kubectl (sigs.k8s.io/yaml, YAML 1.1) reads 0644 as octal.
    opts.legacy_octal_numbers = true;
    opts.with_snippet = false;
    opts
}

fn parse_yaml_stream(name: &str, text: &str, limits: &ReadLimits) -> Result<Vec<Value>, CoreError> {
    // Plain block YAML, nearly every policy file, is read in one pass over its
    // lines; anything else by serde-saphyr (`plain` says what falls back).
    if let Some(read) = plain::read(text, plain::bounds(limits), false, &|t| {
        plain::saphyr_scalar(t, limits)
    }) {
        return Ok(read.values);
    }
    parse_yaml_full(name, text, limits)
}

/// [`parse_yaml_stream`] by serde-saphyr alone.
fn parse_yaml_full(name: &str, text: &str, limits: &ReadLimits) -> Result<Vec<Value>, CoreError> {
    // The reader recurses per nesting level: on a stack sized for the depth
    // limit, whatever thread calls.
    let parsed = limits::with_stack(limits::PARSE_STACK_BYTES, || {
        serde_saphyr::from_multiple_with_options::<Value>(text, yaml_options(limits))
    });
    parsed.map_err(|e| {
        if let Some(limit) = budget_limit(&e, limits) {
            return limit_error(name, limit);
        }
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        CoreError::Syntax {
            source_name: name.to_string(),
            line,
            column,
            message: first_line(&e.to_string()),
        }
    })
}

/// The limit a YAML budget breach stands for, with what raises it.
fn budget_limit(e: &serde_saphyr::Error, limits: &ReadLimits) -> Option<LimitExceeded> {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let mut e = e;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = e {
        e = error;
    }
    let E::Budget { breach, .. } = e else {
        return None;
    };
    let nodes = |what: String| {
        LimitExceeded::new(
            what,
            "YAML nodes (one per byte of --max-file-mib, at least DOCUMENT_MIN_EVENTS)",
            limits.max_nodes() as u64,
            "nodes and parser events",
            RAISE_BYTES,
        )
    };
    Some(match breach {
        B::Nodes { nodes: n } => nodes(format!("an input of more than {} YAML nodes", n - 1)),
        B::Events { events } => nodes(format!(
            "an input of more than {} YAML parser events (aliases expanded)",
            events - 1
        )),
        B::Depth { depth } => LimitExceeded::new(
            format!("nesting {depth} levels deep"),
            "DOCUMENT_MAX_DEPTH",
            limits.max_depth as u64,
            "levels",
            "fixed",
        ),
        B::Aliases { aliases } => LimitExceeded::new(
            format!("{aliases} alias uses"),
            "DOCUMENT_MAX_ALIASES",
            limits.max_aliases as u64,
            "aliases",
            "fixed",
        ),
        B::AliasAnchorRatio { aliases, anchors } => LimitExceeded::new(
            format!("{aliases} alias uses of {anchors} anchors"),
            "DOCUMENT_MAX_ALIASES",
            limits.max_aliases as u64,
            "aliases (and at most 10 uses per anchor)",
            "fixed",
        ),
        B::Documents { .. } => documents_limit(limits.max_documents),
        B::InputBytes { .. } | B::ScalarBytes { .. } => LimitExceeded::new(
            "the input".to_string(),
            "DOCUMENT_MAX_BYTES",
            limits.max_bytes as u64,
            "bytes",
            RAISE_BYTES,
        ),
        B::RecordedAnchorEvents {
            recorded_anchor_events,
        } => LimitExceeded::new(
            format!("anchors holding {recorded_anchor_events} YAML parser events"),
            "YAML anchor contents (serde-saphyr's alias budget)",
            serde_saphyr::Budget::default().max_recorded_anchor_events as u64,
            "parser events",
            "fixed",
        ),
        other => LimitExceeded::new(
            format!("the input's YAML structure ({other:?})"),
            "YAML parser budget",
            limits.max_nodes() as u64,
            "units",
            "fixed",
        ),
    })
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// Removes `null`-valued object fields, recursively, as the API server
/// prunes nulls of non-nullable fields before validation.
pub fn prune_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(prune_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

/// Writes a value as YAML (block style, two-space indent).
pub fn to_yaml(value: &Value) -> Result<String, CoreError> {
    serde_saphyr::to_string(value).map_err(|e| CoreError::Serialize(e.to_string()))
}

/// JSON-pointer escaping of one reference token.
pub fn escape_pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The 1-based line of each YAML document of `text` that [`locate_lines`]
/// keeps (those with a non-null root): the line its map gives the root
/// pointer. From the lines themselves when the text is plain block YAML
/// ([`document_starts_from_lines`]), else from the same walk of events as
/// the map, without building pointers.
fn document_starts(text: &str) -> Vec<usize> {
    if let Some(starts) = document_starts_from_lines(text) {
        return starts;
    }
    document_starts_by_events(text)
}

/// Document start lines read off the lines of plain block YAML, the common
/// case: a document starts at a `---` marker line, or (implicitly) at its
/// first line of content; `...` ends one; a document counts when its content
/// begins with anything but a null scalar. `None` (let the parser decide)
/// for JSON, directives, carriage returns, and a document whose content
/// begins with a tag, anchor, alias, block scalar, complex key or null.
fn document_starts_from_lines(text: &str) -> Option<Vec<usize>> {
    if looks_like_json(text) || text.contains('\r') {
        return None;
    }
    let marker = |line: &str, m: &str| {
        line.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    };
    // Whether the first content of a document makes a root; `None`: unsure.
    let root = |content: &str| -> Option<bool> {
        let first = content.chars().next()?;
        if matches!(first, '!' | '&' | '*' | '|' | '>' | '%' | '@' | '`' | '?') {
            return None;
        }
        let word = content.split(" #").next().unwrap_or(content).trim_end();
        if matches!(word, "" | "~" | "null" | "Null" | "NULL") {
            return None;
        }
        Some(true)
    };
    let mut out = Vec::new();
    // The open document: its start line and whether it has a root yet.
    let mut open: Option<(usize, bool)> = None;
    for (i, line) in text.split('\n').enumerate() {
        let ln = i + 1;
        if line.starts_with('%') {
            return None;
        }
        if marker(line, "---") {
            if let Some((start, true)) = open {
                out.push(start);
            }
            let rest = line[3..].trim_start();
            let has_root = if rest.is_empty() || rest.starts_with('#') {
                false
            } else {
                root(rest)?
            };
            open = Some((ln, has_root));
            continue;
        }
        if marker(line, "...") {
            if let Some((start, true)) = open {
                out.push(start);
            }
            open = None;
            continue;
        }
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        match &mut open {
            None => open = Some((ln, root(content)?)),
            Some((_, has_root @ false)) => *has_root = root(content)?,
            Some(_) => {}
        }
    }
    if let Some((start, true)) = open {
        out.push(start);
    }
    Some(out)
}

/// Document start lines from a walk of the parser's events.
fn document_starts_by_events(text: &str) -> Vec<usize> {
    use serde_saphyr::granit_parser::{Event, Parser};

    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut has_root = false;
    for ev in Parser::new_from_str(text) {
        let Ok((event, span)) = ev else { break };
        match event {
            Event::DocumentStart(..) => {
                start = span.start.line();
                depth = 0;
                has_root = false;
            }
            Event::DocumentEnd if has_root => out.push(start),
            Event::Scalar(ref s, _, _, None)
                if depth == 0 && matches!(s.as_ref(), "" | "~" | "null" | "Null" | "NULL") => {}
            Event::Scalar(..) if depth == 0 => has_root = true,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 0 {
                    has_root = true;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

/// Maps, per YAML document of `text`, each JSON pointer to its 1-based line.
fn locate_lines(text: &str) -> Vec<HashMap<String, usize>> {
    use serde_saphyr::granit_parser::{Event, Parser};

    enum Frame {
        Map { key: Option<String> },
        Seq { next: usize },
    }
    let mut docs = Vec::new();
    let mut current: HashMap<String, usize> = HashMap::new();
    let mut stack: Vec<(Frame, String)> = Vec::new();
    // Child pointer of the node that is about to start, and whether it is a key.
    fn child(stack: &mut [(Frame, String)]) -> Option<(String, bool)> {
        let (frame, base) = stack.last_mut()?;
        match frame {
            Frame::Map { key } => match key.take() {
                None => Some((String::new(), true)),
                Some(k) => Some((format!("{base}/{}", escape_pointer_token(&k)), false)),
            },
            Frame::Seq { next } => {
                let p = format!("{base}/{next}");
                *next += 1;
                Some((p, false))
            }
        }
    }
    let mut key_line: HashMap<String, usize> = HashMap::new();
    // serde-saphyr skips empty and null documents; skip the same ones so the
    // indices agree.
    let mut has_root = false;
    for ev in Parser::new_from_str(text) {
        let Ok((event, span)) = ev else { break };
        let line = span.start.line();
        match event {
            Event::DocumentStart(..) => {
                current = HashMap::new();
                current.insert(String::new(), line);
                stack.clear();
                key_line.clear();
                has_root = false;
            }
            Event::DocumentEnd => {
                let doc = std::mem::take(&mut current);
                if has_root {
                    docs.push(doc);
                }
            }
            Event::Scalar(ref s, _, _, None)
                if stack.is_empty()
                    && matches!(s.as_ref(), "" | "~" | "null" | "Null" | "NULL") => {}
            Event::Scalar(s, ..) if stack.is_empty() => {
                let _ = s;
                has_root = true;
            }
            Event::Scalar(s, ..) => match child(&mut stack) {
                Some((_, true)) => {
                    if let Some((Frame::Map { key }, base)) = stack.last_mut() {
                        key_line.insert(format!("{base}/{}", escape_pointer_token(&s)), line);
                        *key = Some(s.into_owned());
                    }
                }
                Some((p, false)) => {
                    let l = key_line.get(&p).copied().unwrap_or(line);
                    current.insert(p, l);
                }
                None => {}
            },
            Event::Alias(_) => {
                if let Some((p, false)) = child(&mut stack) {
                    current.insert(p, line);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if stack.is_empty() {
                    has_root = true;
                }
                let p = match child(&mut stack) {
                    Some((p, false)) => {
                        let l = key_line.get(&p).copied().unwrap_or(line);
                        current.insert(p.clone(), l);
                        p
                    }
                    Some((_, true)) => String::from("/<complex-key>"),
                    None => String::new(),
                };
                let frame = if matches!(event, Event::MappingStart(..)) {
                    Frame::Map { key: None }
                } else {
                    Frame::Seq { next: 0 }
                };
                stack.push((frame, p));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<DocumentSet, CoreError> {
        read_bytes("t.yaml", s.as_bytes(), &ReadLimits::default())
    }

    #[test]
    fn multi_document_yaml_skips_empty_documents() {
        let set = read("---\na: 1\n---\n# only a comment\n---\nb: [x, z]\n").unwrap();
        assert_eq!(set.documents.len(), 2);
        assert_eq!(set.documents[1].value["b"][1], "z");
        assert_eq!(set.line_of(&set.documents[1], "/b/1"), Some(6));
    }

    /// The document lines of the light walk are the root lines of the full
    /// pointer map, document for document.
    #[test]
    fn document_starts_agree_with_the_pointer_map() {
        let inputs = [
            "a: 1\n",
            "# lead\n\n---\n# c\napiVersion: v1\nkind: X\n---\n---\nnull\n--- ~\n---\n- 1\n- 2\n",
            "--- {a: 1}\n--- [x]\n...\n# after the end\nb: |\n  text\n  ---x\nc: 2\n--- !!str tagged\n--- plain\n",
            "%YAML 1.2\n---\nk: &a {x: 1}\nl: *a\n...\n---\n\"quoted\"\n---\n",
            "{\"kind\": \"List\", \"items\": [{\"a\": 1}, {\"b\": 2}]}",
            "a: [1, 2\nb: 3\n",
            "",
            "# only a comment\n",
        ];
        for text in inputs {
            let roots: Vec<usize> = locate_lines(text).iter().map(|m| m[""]).collect();
            assert_eq!(document_starts_by_events(text), roots, "{text:?}");
            // Lines are only asked of input that parsed.
            if read(text).is_ok() {
                assert_eq!(document_starts(text), roots, "{text:?}");
            }
        }
        // Plain block YAML is read off its lines, agreeing with the parser.
        let plain = [
            "a: 1\n",
            "\n# lead\n\napiVersion: v1\nkind: X\nspec:\n  x: |\n    # not a comment\n---\n",
            "---\n# c\n\nkind: X\n---\n---\nkind: Y\n...\n# gap\nkind: Z\n--- {a: 1}\n--- [x]\n",
            "--- # comment\nkind: X\n...\n...\n---\n  - indented\n- item\n",
            "- a\n- b\n---\n\"quoted\": 1\n---\n'single': 2\n",
            "",
            "# only a comment\n",
        ];
        for text in plain {
            let roots: Vec<usize> = locate_lines(text).iter().map(|m| m[""]).collect();
            assert_eq!(document_starts_from_lines(text), Some(roots), "{text:?}");
        }
        // The parser decides the rest.
        for text in [
            "%YAML 1.2\n---\na: 1\n",
            "--- !tag\na: 1\n",
            "--- |\n  text\n",
            "&a\nb: 1\n",
            "---\nnull\n",
            "a: 1\r\n",
            "{\"a\": 1}",
        ] {
            assert_eq!(document_starts_from_lines(text), None, "{text:?}");
        }
        let set = read("# lead\n---\napiVersion: v1\n---\n---\nkind: Y\n").unwrap();
        assert_eq!(set.line_of(&set.documents[0], ""), Some(2));
        assert_eq!(set.line_of(&set.documents[1], ""), Some(5));
        assert!(
            set.lines.get().is_none(),
            "no pointer map for document lines"
        );
        assert_eq!(set.line_of(&set.documents[1], "/kind"), Some(6));
    }

    #[test]
    fn lines_are_located_by_pointer() {
        let text = "apiVersion: v1\nkind: X\nspec:\n  file:\n    matchPaths:\n    - path: /etc/\n      readOnly: true\n---\nkind: Y\nspec:\n  a: 1\n";
        let set = read(text).unwrap();
        let d0 = &set.documents[0];
        assert_eq!(set.line_of(d0, "/spec/file/matchPaths/0/path"), Some(6));
        assert_eq!(set.line_of(d0, "/spec/file/matchPaths/0/readOnly"), Some(7));
        assert_eq!(set.line_of(d0, "/spec/file"), Some(4));
        // Unknown child falls back to the nearest ancestor.
        assert_eq!(set.line_of(d0, "/spec/file/nope"), Some(4));
        let d1 = &set.documents[1];
        assert_eq!(set.line_of(d1, "/spec/a"), Some(11));
    }

    #[test]
    fn json_and_lists_are_documents_too() {
        let set = read(r#"{"kind":"List","apiVersion":"v1","items":[{"a":1},{"b":2}]}"#).unwrap();
        assert_eq!(set.documents.len(), 2);
        assert_eq!(set.documents[1].list_pointer, "/items/1");
        let set = read("{\"a\":1}\n{\"b\":2}\n").unwrap();
        assert_eq!(set.documents.len(), 2);
    }

    #[test]
    fn octal_and_yaml11_booleans_follow_kubectl() {
        let set = read("mode: 0644\nflag: yes\n").unwrap();
        assert_eq!(set.documents[0].value["mode"], 420);
        assert_eq!(set.documents[0].value["flag"], true);
    }

    #[test]
    fn repeated_json_keys_are_rejected_with_their_line() {
        let text = "{\"apiVersion\": \"v1\",\n \"kind\": \"ConfigMap\",\n \"kind\": \"Secret\"}";
        match read(text) {
            Err(CoreError::Syntax { line, message, .. }) => {
                assert_eq!(line, 3, "{message}");
                assert!(message.contains("duplicate key `kind`"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Nested objects too; equal keys in different objects are fine.
        assert!(read(r#"{"a": {"x": 1, "x": 2}}"#).is_err());
        assert!(read(r#"{"a": {"x": 1}, "b": {"x": 1}}"#).is_ok());
        // YAML input already refuses them (serde-saphyr).
        assert!(read("a: 1\na: 2\n").is_err());
    }

    #[test]
    fn malformed_yaml_reports_line() {
        match read("a: 1\nb: [1, 2\nc: 3\n") {
            Err(CoreError::Syntax { line, .. }) => assert!(line >= 2, "line {line}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        // 10^12 events if expanded: the parser's event budget stops it after
        // `max_events` steps, whatever the machine's speed (no clock here).
        let err = read(&s).unwrap_err();
        assert!(matches!(err, CoreError::Limit { .. }), "{err}");
        let err = err.to_string();
        assert!(err.contains("budget") && err.contains("limit"), "{err}");
        // The same shape, three levels deep (1,000 values), is read.
        let small: String = s.lines().take(3).map(|l| format!("{l}\n")).collect();
        assert!(read(&small).is_ok());
    }

    #[test]
    fn non_utf8_and_oversized_inputs_are_unreadable() {
        let err = read_bytes("x", b"a: \xff\xfe\n", &ReadLimits::default()).unwrap_err();
        assert!(matches!(err, CoreError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("not UTF-8"));
        let limits = ReadLimits {
            max_bytes: 10,
            ..ReadLimits::default()
        };
        let err = read_bytes("x", b"a: 123456789012\n", &limits).unwrap_err();
        assert!(matches!(err, CoreError::Limit { .. }), "{err}");
        assert!(err.to_string().contains("--max-file-mib"), "{err}");
    }

    /// `n` valid NetworkPolicy documents of `rules` ingress rules each.
    fn many_policies(n: usize, rules: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&format!(
                "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p{i}\n  namespace: shop\n  labels: {{app: web, tier: fe}}\nspec:\n  podSelector:\n    matchLabels: {{app: web}}\n  policyTypes: [Ingress]\n  ingress:\n"
            ));
            for r in 0..rules {
                s.push_str(&format!(
                    "  - from:\n    - podSelector: {{matchLabels: {{app: c{r}}}}}\n    ports:\n    - {{port: {}, protocol: TCP}}\n",
                    1000 + r
                ));
            }
        }
        s
    }

    #[test]
    fn large_valid_multi_document_files_are_read() {
        // Over 300,000 YAML nodes in 1,000 documents (~2 MiB): serde-saphyr's
        // default budget (250,000 nodes per stream) called this malformed.
        let text = many_policies(1_000, 20);
        assert!(text.len() < ReadLimits::default().max_bytes);
        let set = read(&text).unwrap();
        assert_eq!(set.documents.len(), 1_000);
        assert_eq!(set.documents[999].value["metadata"]["name"], "p999");
    }

    #[test]
    fn limits_name_themselves_and_what_raises_them() {
        let text = many_policies(50, 20);
        // A tighter byte limit: refused by size, naming the flag.
        let tight = ReadLimits {
            max_bytes: text.len() - 1,
            ..ReadLimits::default()
        };
        let e = read_bytes("big.yaml", text.as_bytes(), &tight).unwrap_err();
        let CoreError::Limit { limit, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(limit.limit, "DOCUMENT_MAX_BYTES");
        assert!(e.to_string().starts_with("big.yaml: "), "{e}");
        assert!(e.to_string().contains("--max-file-mib"), "{e}");
        // The node allowance: a limit, not a syntax error.
        let few_nodes = ReadLimits {
            max_events: 1_000,
            max_bytes: 1_000,
            ..ReadLimits::default()
        };
        let small = many_policies(2, 20);
        let e = parse_yaml_stream("n.yaml", &small, &few_nodes).unwrap_err();
        assert!(matches!(e, CoreError::Limit { .. }), "{e}");
        assert!(e.to_string().contains("YAML nodes"), "{e}");
        assert!(e.to_string().contains("--max-file-mib"), "{e}");
        // Too many documents.
        let few_docs = ReadLimits {
            max_documents: 10,
            ..ReadLimits::default()
        };
        let e = read_bytes("d.yaml", text.as_bytes(), &few_docs).unwrap_err();
        assert!(e.to_string().contains("DOCUMENT_MAX_DOCUMENTS"), "{e}");
    }

    #[test]
    fn deep_json_and_yaml_are_limits_not_syntax_errors() {
        let json = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let e = read(&json).unwrap_err();
        assert!(matches!(e, CoreError::Limit { .. }), "{e}");
        assert!(e.to_string().contains("DOCUMENT_MAX_DEPTH"), "{e}");
        let yaml = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
        let e = read(&yaml).unwrap_err();
        assert!(matches!(e, CoreError::Limit { .. }), "{e}");
        assert!(e.to_string().contains("DOCUMENT_MAX_DEPTH"), "{e}");
    }

    #[test]
    fn prune_nulls_drops_null_fields_only() {
        let mut v = serde_json::json!({"a": null, "b": {"c": null, "d": 1}, "e": [null, 1]});
        prune_nulls(&mut v);
        assert_eq!(v, serde_json::json!({"b": {"d": 1}, "e": [null, 1]}));
    }
}
