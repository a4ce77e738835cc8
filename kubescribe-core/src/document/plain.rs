//! A reader for plain block YAML, the shape nearly every policy file has,
//! giving the documents' values (and, on request, each JSON pointer's line)
//! in one pass over the lines, several times faster than the full YAML
//! parser.
//!
//! It accepts only what it reads exactly as serde-saphyr (with
//! [`super::yaml_options`]) does, and answers `None` for anything else, so the
//! caller falls back to serde-saphyr, which then gives the values, the errors
//! and their texts. Accepted: `---` document markers, block mappings and
//! sequences (a sequence may sit at its key's indentation; `- key: value`
//! compact mappings), comments, plain scalars on one line, single- and
//! double-quoted scalars on one line, and flow collections on one line.
//! Refused (fallback): tabs, carriage returns (but in CR LF line ends), control and Unicode line-break
//! characters, directives, `...`, anchors, aliases, tags, block scalars
//! (`|`, `>`), multi-line scalars and flow collections, complex keys,
//! repeated keys, empty sequence items, a scalar as a document's root, keys that are not plainly strings (numbers, booleans,
//! nulls, `<<`), and inputs near a budget. Plain scalars are typed as
//! serde-saphyr types them for a `serde_json::Value` (YAML 1.1 booleans, the
//! null spellings, decimal integers); any other scalar beginning like a
//! number (`0644`, `1.5`, `-3`, `10.0.0.0/8`) is handed to serde-saphyr on
//! its own.
//!
//! `tests/plain_yaml.rs` checks values and lines against serde-saphyr and
//! the event walk on the corpus and on inputs built to probe each refusal.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::ReadLimits;

/// Deepest nesting read here (deeper input falls back, whatever the limit).
const MAX_DEPTH: usize = 100;

/// Why the fast reader gave up: the caller falls back to the full parser.
struct Bail;

type R<T> = Result<T, Bail>;

/// One line with content.
#[derive(Clone, Copy)]
struct Line<'a> {
    /// 1-based line number.
    no: usize,
    /// Leading spaces.
    indent: usize,
    /// The rest of the line (never empty, never a comment).
    content: &'a str,
    /// A `---` document marker line.
    marker: bool,
}

/// What the reader gives: the non-null documents, and (when asked) each
/// document's pointer -> line map.
pub(super) struct Read {
    pub values: Vec<Value>,
    pub lines: Vec<HashMap<String, usize>>,
}

/// Limits the reader keeps to: beyond any of them it falls back, and the full
/// parser reports the limit.
#[derive(Clone, Copy)]
pub(super) struct Bounds {
    pub max_depth: usize,
    pub max_documents: usize,
    pub max_nodes: usize,
}

/// The bounds the plain-YAML reader keeps to for `limits`.
pub(super) fn bounds(limits: &ReadLimits) -> Bounds {
    Bounds {
        max_depth: limits.max_depth,
        max_documents: limits.max_documents,
        max_nodes: limits.max_nodes(),
    }
}

/// A plain scalar shaped like a number, typed by serde-saphyr on its own
/// (what the plain-YAML reader does not type itself).
pub(super) fn saphyr_scalar(text: &str, limits: &ReadLimits) -> Option<Value> {
    serde_saphyr::from_str_with_options::<Value>(text, super::yaml_options(limits)).ok()
}

/// [`super::locate_lines`], by the plain-YAML reader when the text is plain block
/// YAML (the map is the same, in a fraction of the time).
pub(super) fn pointer_lines(text: &str) -> Vec<HashMap<String, usize>> {
    let limits = ReadLimits::default();
    let bounds = Bounds {
        max_depth: usize::MAX,
        max_documents: usize::MAX,
        max_nodes: usize::MAX,
    };
    match read(text, bounds, true, &|t| saphyr_scalar(t, &limits)) {
        Some(read) => read.lines,
        None => super::locate_lines(text),
    }
}

/// Reads `text` if it is plain block YAML; `None` otherwise. With `lines`,
/// also the pointer -> line map of every document that has a root.
pub(super) fn read(
    text: &str,
    bounds: Bounds,
    lines: bool,
    scalar: &dyn Fn(&str) -> Option<Value>,
) -> Option<Read> {
    if !plain_characters(text) {
        return None;
    }
    let lines_of = split_lines(text).ok()?;
    let mut p = Parser {
        lines: lines_of,
        pos: 0,
        depth: 0,
        nodes: 0,
        bounds,
        record: lines,
        pointer: String::new(),
        map: HashMap::new(),
        scalar,
    };
    p.documents().ok()
}

/// Only characters whose meaning here is certain: no tabs, carriage
/// returns but before a line feed, other control characters, byte-order
/// marks, non-characters or Unicode line breaks (NEL, LS, PS).
fn plain_characters(text: &str) -> bool {
    let bytes = text.as_bytes();
    let crlf_only = |i: usize| bytes.get(i + 1) == Some(&b'\n');
    if bytes
        .iter()
        .enumerate()
        .all(|(i, &b)| (b' '..0x7f).contains(&b) || b == b'\n' || (b == b'\r' && crlf_only(i)))
    {
        return true;
    }
    text.char_indices().all(|(i, c)| match c {
        '\n' => true,
        '\r' => crlf_only(i),
        c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => false,
        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    })
}

/// The lines with content; document markers kept as such.
fn split_lines(text: &str) -> R<Vec<Line<'_>>> {
    let mut out = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = raw.len() - content.len();
        if indent == 0 {
            if content.starts_with('%') || content.starts_with("...") {
                return Err(Bail);
            }
            if let Some(rest) = content.strip_prefix("---") {
                // A bare marker (a comment may follow); content after it falls back.
                let rest_trim = rest.trim_start_matches(' ');
                if !(rest.is_empty()
                    || rest.starts_with(' ')
                        && (rest_trim.is_empty() || rest_trim.starts_with('#')))
                {
                    return Err(Bail);
                }
                out.push(Line {
                    no: i + 1,
                    indent: 0,
                    content: "---",
                    marker: true,
                });
                continue;
            }
        }
        out.push(Line {
            no: i + 1,
            indent,
            content: content.trim_end_matches(' '),
            marker: false,
        });
    }
    Ok(out)
}

struct Parser<'a, 's> {
    lines: Vec<Line<'a>>,
    pos: usize,
    depth: usize,
    nodes: usize,
    bounds: Bounds,
    /// Whether to build the pointer -> line map.
    record: bool,
    /// The pointer of the node being read (when recording).
    pointer: String,
    /// The current document's map (when recording).
    map: HashMap<String, usize>,
    scalar: &'s dyn Fn(&str) -> Option<Value>,
}

/// `-` then a space or the end: a block sequence entry.
fn is_entry(s: &str) -> bool {
    s == "-" || s.starts_with("- ")
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    fn documents(&mut self) -> R<Read> {
        let mut values = Vec::new();
        let mut maps = Vec::new();
        let mut start_marker: Option<usize> = None;
        while let Some(line) = self.peek() {
            if line.marker {
                // A marker opens a document (an empty one if another marker or the end follows).
                start_marker = Some(line.no);
                self.pos += 1;
                continue;
            }
            let start = start_marker.take().unwrap_or(line.no);
            self.map = HashMap::new();
            if self.record {
                self.map.insert(String::new(), start);
            }
            self.pointer.clear();
            let value = self.node(line, None)?;
            // The root must be followed by a marker or the end.
            if self.peek().is_some_and(|l| !l.marker) {
                return Err(Bail);
            }
            if value.is_null() {
                return Err(Bail);
            }
            values.push(value);
            if self.record {
                maps.push(std::mem::take(&mut self.map));
            }
            if values.len() > self.bounds.max_documents {
                return Err(Bail);
            }
        }
        Ok(Read {
            values,
            lines: maps,
        })
    }

    fn count(&mut self) -> R<()> {
        self.nodes += 1;
        // Parser events are a few per node: stay well inside the budget.
        if self.nodes.saturating_mul(4) > self.bounds.max_nodes {
            return Err(Bail);
        }
        Ok(())
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH.min(self.bounds.max_depth.saturating_sub(1)) {
            return Err(Bail);
        }
        Ok(())
    }

    fn note(&mut self, line: usize) {
        if self.record {
            self.map.insert(self.pointer.clone(), line);
        }
    }

    /// A block node starting at `line` (the current line), at its
    /// indentation, below a collection at column `parent` (`None`: the root).
    fn node(&mut self, line: Line<'a>, parent: Option<usize>) -> R<Value> {
        if is_entry(line.content) {
            return self.sequence(line.indent);
        }
        match (split_key(line.content)?, parent) {
            (Some(_), _) => self.mapping(line.indent, line.content, line.no),
            // A scalar on a line of its own below a key or `-`, on that line
            // alone (a line after it indented past the parent would continue it).
            (None, Some(n)) => {
                self.pos += 1;
                let v = self.inline(line.content, line.no)?;
                if self.peek().is_some_and(|l| !l.marker && l.indent > n) {
                    return Err(Bail);
                }
                Ok(v)
            }
            // A scalar document.
            (None, None) => Err(Bail),
        }
    }

    /// A block mapping at column `n` whose first entry is `first` (on line
    /// `no`, the current line, maybe after a `- `).
    fn mapping(&mut self, n: usize, first: &'a str, no: usize) -> R<Value> {
        self.enter()?;
        self.count()?;
        let mut map = Map::new();
        self.entry(n, first, no, &mut map)?;
        while let Some(l) = self.peek() {
            if l.marker || l.indent < n {
                break;
            }
            if l.indent > n || is_entry(l.content) {
                return Err(Bail);
            }
            self.entry(n, l.content, l.no, &mut map)?;
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    /// One `key: value` of a mapping at column `n`, on the current line.
    fn entry(&mut self, n: usize, s: &'a str, no: usize, map: &mut Map<String, Value>) -> R<()> {
        let Some((key, rest)) = split_key(s)? else {
            return Err(Bail);
        };
        if map.contains_key(&key) {
            return Err(Bail);
        }
        let len = self.pointer.len();
        if self.record {
            self.pointer.push('/');
            push_escaped(&mut self.pointer, &key);
        }
        self.note(no);
        self.pos += 1;
        let value = if rest.is_empty() || rest.starts_with('#') {
            match self.peek() {
                Some(l) if !l.marker && l.indent > n => self.node(l, Some(n))?,
                Some(l) if !l.marker && l.indent == n && is_entry(l.content) => self.sequence(n)?,
                _ => {
                    self.count()?;
                    Value::Null
                }
            }
        } else {
            let v = self.inline(rest, no)?;
            if self.peek().is_some_and(|l| !l.marker && l.indent > n) {
                return Err(Bail);
            }
            v
        };
        self.pointer.truncate(len);
        map.insert(key, value);
        Ok(())
    }

    /// A block sequence at column `n`, its first entry on the current line.
    fn sequence(&mut self, n: usize) -> R<Value> {
        self.enter()?;
        self.count()?;
        let mut items = Vec::new();
        while let Some(l) = self.peek() {
            if l.marker || l.indent < n || (l.indent == n && !is_entry(l.content)) {
                break;
            }
            if l.indent > n {
                return Err(Bail);
            }
            let len = self.pointer.len();
            if self.record {
                use std::fmt::Write;
                let _ = write!(self.pointer, "/{}", items.len());
            }
            let after = &l.content[1..];
            let rest = after.trim_start_matches(' ');
            let value = if rest.is_empty() || rest.starts_with('#') {
                // `-` alone: the item is on the lines below (an empty item falls back).
                self.pos += 1;
                match self.peek() {
                    Some(next) if !next.marker && next.indent > n => {
                        self.note(next.no);
                        self.node(next, Some(n))?
                    }
                    _ => return Err(Bail),
                }
            } else if is_entry(rest) {
                return Err(Bail);
            } else if split_key(rest)?.is_some() {
                self.note(l.no);
                let col = n + 1 + (after.len() - rest.len());
                self.mapping(col, rest, l.no)?
            } else {
                self.note(l.no);
                self.pos += 1;
                let v = self.inline(rest, l.no)?;
                if self.peek().is_some_and(|x| !x.marker && x.indent > n) {
                    return Err(Bail);
                }
                v
            };
            self.pointer.truncate(len);
            items.push(value);
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    /// A value on the rest of a line: a scalar or a flow collection, then
    /// nothing but a comment.
    fn inline(&mut self, s: &'a str, no: usize) -> R<Value> {
        self.count()?;
        let first = s.as_bytes()[0];
        match first {
            b'"' | b'\'' => {
                let (v, after) = quoted(s)?;
                end_of_line(after)?;
                Ok(Value::String(v))
            }
            b'[' | b'{' => {
                let mut f = Flow { s, at: 0, no };
                let v = self.flow(&mut f)?;
                end_of_line(&s[f.at..])?;
                Ok(v)
            }
            _ => {
                if s.starts_with("---") || s.starts_with("...") {
                    return Err(Bail);
                }
                let text = match s.find(" #") {
                    Some(i) => s[..i].trim_end_matches(' '),
                    None => s,
                };
                if !plain_start(text) || text.contains(": ") || text.ends_with(':') {
                    return Err(Bail);
                }
                self.plain(text)
            }
        }
    }

    /// A plain scalar's value, as serde-saphyr types it for a `Value`.
    fn plain(&self, text: &str) -> R<Value> {
        if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
            return Ok(Value::Null);
        }
        if let Some(b) = yaml11_bool(text) {
            return Ok(Value::Bool(b));
        }
        let first = text.as_bytes()[0];
        if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
            if text.bytes().all(|b| b.is_ascii_digit())
                && (text.len() == 1 || first != b'0')
                && let Ok(n) = text.parse::<u64>()
            {
                return Ok(Value::from(n));
            }
            // Anything else shaped like a number: serde-saphyr on its own.
            return match (self.scalar)(text) {
                Some(v) if !v.is_array() && !v.is_object() => Ok(v),
                _ => Err(Bail),
            };
        }
        Ok(Value::String(text.to_string()))
    }

    /// A flow collection (on one line) at `f.at`.
    fn flow(&mut self, f: &mut Flow<'a>) -> R<Value> {
        self.enter()?;
        let open = f.s.as_bytes()[f.at];
        f.at += 1;
        let close = if open == b'[' { b']' } else { b'}' };
        let mut items = Vec::new();
        let mut map = Map::new();
        f.spaces();
        if f.byte() == Some(close) {
            f.at += 1;
            self.depth -= 1;
            return Ok(if open == b'[' {
                Value::Array(items)
            } else {
                Value::Object(map)
            });
        }
        loop {
            let len = self.pointer.len();
            if open == b'[' {
                if self.record {
                    use std::fmt::Write;
                    let _ = write!(self.pointer, "/{}", items.len());
                    self.note(f.no);
                }
                let v = self.flow_item(f)?;
                items.push(v);
            } else {
                let key = match f.byte() {
                    Some(b'"' | b'\'') => {
                        let (k, after) = quoted(&f.s[f.at..])?;
                        f.at = f.s.len() - after.len();
                        k
                    }
                    _ => {
                        let t = f.plain_text();
                        if !plain_key(t) {
                            return Err(Bail);
                        }
                        t.to_string()
                    }
                };
                f.spaces();
                if f.byte() != Some(b':') {
                    return Err(Bail);
                }
                f.at += 1;
                if f.byte() != Some(b' ') {
                    return Err(Bail);
                }
                f.spaces();
                if map.contains_key(&key) {
                    return Err(Bail);
                }
                if self.record {
                    self.pointer.push('/');
                    push_escaped(&mut self.pointer, &key);
                    self.note(f.no);
                }
                let v = self.flow_item(f)?;
                map.insert(key, v);
            }
            self.pointer.truncate(len);
            f.spaces();
            match f.byte() {
                Some(b',') => {
                    f.at += 1;
                    f.spaces();
                    // A trailing comma falls back.
                    if matches!(f.byte(), Some(b']' | b'}') | None) {
                        return Err(Bail);
                    }
                }
                Some(b) if b == close => {
                    f.at += 1;
                    break;
                }
                _ => return Err(Bail),
            }
        }
        self.depth -= 1;
        self.count()?;
        Ok(if open == b'[' {
            Value::Array(items)
        } else {
            Value::Object(map)
        })
    }

    /// One value inside a flow collection.
    fn flow_item(&mut self, f: &mut Flow<'a>) -> R<Value> {
        self.count()?;
        match f.byte() {
            Some(b'[' | b'{') => self.flow(f),
            Some(b'"' | b'\'') => {
                let (v, after) = quoted(&f.s[f.at..])?;
                f.at = f.s.len() - after.len();
                Ok(Value::String(v))
            }
            _ => {
                let t = f.plain_text();
                if !plain_start(t) {
                    return Err(Bail);
                }
                self.plain(t)
            }
        }
    }
}

/// A flow collection being read: the line's text and the position in it.
struct Flow<'a> {
    s: &'a str,
    at: usize,
    /// Its line.
    no: usize,
}

impl<'a> Flow<'a> {
    fn byte(&self) -> Option<u8> {
        self.s.as_bytes().get(self.at).copied()
    }
    fn spaces(&mut self) {
        while self.byte() == Some(b' ') {
            self.at += 1;
        }
    }
    /// A plain scalar inside a flow collection: up to `,` `]` `}`, trailing
    /// spaces dropped. A `:` `#` `[` `{` or quote inside it is left where it is,
    /// so what follows does not read as a separator and the caller falls back.
    fn plain_text(&mut self) -> &'a str {
        let rest = &self.s[self.at..];
        let end = rest
            .find([',', ']', '}', ':', '#', '[', '{', '"', '\''])
            .unwrap_or(rest.len());
        let t = rest[..end].trim_end_matches(' ');
        self.at += t.len();
        t
    }
}

/// What may begin a plain scalar here: not empty, no indicator.
fn plain_start(t: &str) -> bool {
    match t.as_bytes().first() {
        None => false,
        Some(b) => {
            !matches!(
                b,
                b'-' if t.len() == 1
            ) && !matches!(
                b,
                b'?' | b':'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            ) && !t.starts_with("- ")
        }
    }
}

/// A plain mapping key read as this text whatever the schema: starts with a
/// letter, `_` or `/`, is not a null or boolean spelling and has no comment
/// in it.
fn plain_key(k: &str) -> bool {
    let Some(&b) = k.as_bytes().first() else {
        return false;
    };
    (b.is_ascii_alphabetic() || b == b'_' || b == b'/')
        && !k.contains(" #")
        && yaml11_bool(k).is_none()
        && !matches!(k, "null" | "Null" | "NULL")
}

/// `key: rest` (or `key:` at the end): the key and what follows the colon
/// (spaces dropped). `Ok(None)`: the line is not a mapping entry.
fn split_key(s: &str) -> R<Option<(String, &str)>> {
    match s.as_bytes()[0] {
        b'"' | b'\'' => {
            let (k, after) = quoted(s)?;
            if let Some(rest) = after.strip_prefix(':') {
                if rest.is_empty() || rest.starts_with(' ') {
                    return Ok(Some((k, rest.trim_start_matches(' '))));
                }
                return Err(Bail);
            }
            end_of_line(after)?;
            Ok(None)
        }
        // A flow collection: a value (one used as a key fails after it).
        b'[' | b'{' => Ok(None),
        b'?' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => Err(Bail),
        _ => {
            let bytes = s.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b':' if i + 1 == bytes.len() || bytes[i + 1] == b' ' => {
                        let key = s[..i].trim_end_matches(' ');
                        if !plain_key(key) {
                            return Err(Bail);
                        }
                        return Ok(Some((key.to_string(), s[i + 1..].trim_start_matches(' '))));
                    }
                    b'#' if i > 0 && bytes[i - 1] == b' ' => return Ok(None),
                    _ => {}
                }
                i += 1;
            }
            Ok(None)
        }
    }
}

/// After a value: only spaces, then the end or a comment.
fn end_of_line(after: &str) -> R<()> {
    let t = after.trim_start_matches(' ');
    if t.is_empty() || (t.starts_with('#') && t.len() < after.len()) {
        Ok(())
    } else {
        Err(Bail)
    }
}

/// A quoted scalar on one line at the start of `s`: its text and what follows.
fn quoted(s: &str) -> R<(String, &str)> {
    let bytes = s.as_bytes();
    if bytes[0] == b'\'' {
        let mut out = String::new();
        let mut i = 1;
        let mut from = 1;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                out.push_str(&s[from..i]);
                if bytes.get(i + 1) == Some(&b'\'') {
                    out.push('\'');
                    i += 2;
                    from = i;
                    continue;
                }
                return Ok((out, &s[i + 1..]));
            }
            i += 1;
        }
        return Err(Bail);
    }
    let mut out = String::new();
    let mut i = 1;
    let mut from = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                out.push_str(&s[from..i]);
                return Ok((out, &s[i + 1..]));
            }
            b'\\' => {
                out.push_str(&s[from..i]);
                let e = *bytes.get(i + 1).ok_or(Bail)?;
                let mut next = i + 2;
                match e {
                    b'\\' => out.push('\\'),
                    b'"' => out.push('"'),
                    b'/' => out.push('/'),
                    b' ' => out.push(' '),
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'0' => out.push('\0'),
                    b'a' => out.push('\u{07}'),
                    b'b' => out.push('\u{08}'),
                    b'e' => out.push('\u{1b}'),
                    b'f' => out.push('\u{0c}'),
                    b'v' => out.push('\u{0b}'),
                    b'x' | b'u' | b'U' => {
                        let len = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = s.get(i + 2..i + 2 + len).ok_or(Bail)?;
                        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(Bail);
                        }
                        let code = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
                        out.push(char::from_u32(code).ok_or(Bail)?);
                        next = i + 2 + len;
                    }
                    _ => return Err(Bail),
                }
                i = next;
                from = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Err(Bail)
}

/// serde-saphyr's YAML 1.1 booleans (any case of y, yes, true, on / n, no,
/// false, off).
fn yaml11_bool(t: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["true", "yes", "y", "on"];
    const FALSE: [&str; 4] = ["false", "no", "n", "off"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// JSON-pointer escaping of `token`, appended.
fn push_escaped(out: &mut String, token: &str) {
    if !token.contains(['~', '/']) {
        out.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{locate_lines, parse_yaml_full};
    use super::*;

    fn fast(text: &str) -> Option<Read> {
        let limits = ReadLimits::default();
        read(text, bounds(&limits), true, &|t| saphyr_scalar(t, &limits))
    }

    /// Whatever the plain reader accepts, serde-saphyr reads to the same
    /// values and the event walk locates on the same lines. Returns whether
    /// it was accepted.
    fn agrees(text: &str) -> bool {
        let Some(got) = fast(text) else {
            return false;
        };
        let full = parse_yaml_full("t", text, &ReadLimits::default());
        let Ok(full) = full else {
            panic!("accepted, but serde-saphyr refuses {text:?}: {full:?}");
        };
        assert_eq!(got.values, full, "values of {text:?}");
        // Same order of keys too (the map keeps it).
        assert_eq!(
            serde_json::to_string(&got.values).unwrap(),
            serde_json::to_string(&full).unwrap(),
            "{text:?}"
        );
        assert_eq!(got.lines, locate_lines(text), "lines of {text:?}");
        true
    }

    #[test]
    fn plain_block_yaml_reads_as_serde_saphyr_does() {
        let accepted = [
            "a: 1\n",
            "apiVersion: v1\nkind: X\nmetadata:\n  name: n # c\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  ports:\n  - port: 80\n    protocol: TCP\n  -   port: 443\n      x: [a, \"b\", 'c''d', {k: v, \"q\": [1, 2]}]\n  - plain value\n  - 'q' # c\n",
            "# lead\n\n---\n# c\nkind: X\n---\n---\nkind: Y\nlist:\n- a\n-\n  b: 1\n-\n  - x\n",
            "a: {}\nb: []\nc: [ ]\nd:\ne: ~\nf: null\ng: yes\nh: Off\ni: n\nj: 0\nk: 0644\nl: 1.5\nm: -3\nnn: 10.0.0.0/8\no: 1e3\np: 18446744073709551616\nq: +1\nr: 0x1F\ns: \"a\\tb\\\\c\\\"d\\u00e9\\x41\\/\"\nt: 'it''s'\nu: inf\nv: .5\nw: 1_000\nx: \"\"\nyy: ''\n",
            "k8s:app: v\nkey with space: v\n\"quoted key\": v\n'single': v\n_u: 1\n/path: 2\na#b: c\nv: a#b\nw: a\"b\n",
            "  indented: 1\n  root: 2\n",
            "- a\n- b: 1\n  c: 2\n- [x]\n",
            "a:\n  b:\n    c:\n    - d\n    - e: f\n      g:\n      - h\n  i: j\n",
            "a: b\n--- # comment\nc: d\n---  \ne: f\n",
            "a: é ü 中\n",
            "a:\n  scalar below\nb:\n  - x\n  -\n    'y' # c\n  - {}\n  - [a, {b: c}]\n",
            "tags : [x]\nc:\r\n  d: 1\r\n",
            "---\n",
        ];
        for text in accepted {
            assert!(agrees(text), "not accepted: {text:?}");
        }
        // Left to serde-saphyr, whatever it makes of them.
        let refused = [
            "a:\t1\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...\n",
            "--- a: 1\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >-\n  text\n",
            "a: multi\n  line\n",
            "a: \"multi\n  line\"\n",
            "a: [1,\n  2]\n",
            "a: [1, 2,]\n",
            "? a\n: b\n",
            "a: 1\na: 2\n",
            "a: {x: 1, x: 2}\n",
            "- \n- a\n",
            "plain scalar\n",
            "a:\n  scalar\n  continued\n",
            "a: 1\rb: 2\n",
            "1: a\n",
            "yes: a\n",
            "y: a\n",
            "null: a\n",
            "<<: {a: 1}\n",
            "a: b: c\n",
            "a: - b\n",
            "a: b\n  c: d\n",
            "a: b\n c: d\n",
            "a: \"x\"y\n",
            "a: \"\\N\"\n",
            "a: .inf\n",
            "a: [x:y]\n",
            "a: [a #c]\n",
            "a:\n- - x\n",
            "a: 1\n- b\n",
            "a: \u{85}\n",
        ];
        for text in refused {
            assert!(!agrees(text), "accepted: {text:?}");
        }
    }

    #[test]
    fn deep_inputs_fall_back() {
        let mut deep = String::new();
        for i in 0..150 {
            deep.push_str(&" ".repeat(i));
            deep.push_str("a:\n");
        }
        deep.push_str(&" ".repeat(150));
        deep.push_str("b: 1\n");
        assert!(fast(&deep).is_none());
        let flow = format!("a: {}1{}\n", "[".repeat(150), "]".repeat(150));
        assert!(fast(&flow).is_none());
    }

    /// The corpus's policy files (with KUBESCRIBE_CORPUS), and each with
    /// lines changed in the ways that break plain YAML: every accepted
    /// variant reads as serde-saphyr reads it.
    #[test]
    fn corpus_files_and_their_variants_read_as_serde_saphyr_does() {
        let Some(root) = std::env::var_os("KUBESCRIBE_CORPUS") else {
            println!("NOT RUN: set KUBESCRIBE_CORPUS to ../shared/corpus to run the corpus sweep");
            return;
        };
        // A relative path is read from this crate's folder or one above it,
        // as kubescribe-testkit reads it (which depends on this crate).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|dir| dir.join(&root))
            .find(|p| p.join("INDEX.json").is_file())
            .expect("KUBESCRIBE_CORPUS names no corpus (no INDEX.json) from this crate's folder or above");
        let mut files = Vec::new();
        let mut stack = vec![root.join("policies")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let (mut yes, mut all, mut variants) = (0, 0, 0);
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            all += 1;
            if agrees(&text) {
                yes += 1;
            }
            // Variants: a line dropped, indented by one, a comment and a
            // second colon appended, a line repeated.
            let lines: Vec<&str> = text.lines().collect();
            for (i, _) in lines.iter().enumerate().step_by(7) {
                let with = |f: &dyn Fn(&str) -> String| {
                    let mut out = String::new();
                    for (j, l) in lines.iter().enumerate() {
                        if j == i {
                            out.push_str(&f(l));
                        } else {
                            out.push_str(l);
                            out.push('\n');
                        }
                    }
                    out
                };
                for v in [
                    with(&|_| String::new()),
                    with(&|l| format!(" {l}\n")),
                    with(&|l| format!("{l} # x: y\n")),
                    with(&|l| format!("{l}: z\n")),
                    with(&|l| format!("{l}\n{l}\n")),
                ] {
                    if agrees(&v) {
                        variants += 1;
                    }
                }
            }
        }
        eprintln!("{yes} of {all} corpus files and {variants} variants read by the plain reader");
        assert!(all > 1000, "{all} files");
        assert!(
            yes * 10 >= all * 8,
            "only {yes} of {all} files read by the plain reader"
        );
    }
}
