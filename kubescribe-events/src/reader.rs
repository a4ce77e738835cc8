//! Streaming record framing: one JSON value per line (JSON lines), or a
//! pretty-printed value spanning several lines (a line that is just `{` or
//! `[` opens it). Memory is bounded by the largest accepted record, never by
//! the file.

use std::io::BufRead;

/// One framed record.
#[derive(Debug)]
pub struct Record {
    /// 1-based line where the record starts.
    pub line: usize,
    /// The record's text, or why it could not be framed.
    pub text: Result<String, FrameError>,
}

/// Why a record could not be framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The line (or pretty-printed record) is longer than the limit; its
    /// bytes were discarded without being buffered.
    TooLong {
        /// Bytes in the record.
        bytes: u64,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not UTF-8.
    NotUtf8,
    /// A pretty-printed record was still open at the end of input.
    Truncated,
}

/// Frames records from a reader, line by line.
pub struct RecordReader<R> {
    inner: R,
    line: usize,
    max: usize,
    bytes_read: u64,
    buf: Vec<u8>,
    /// The last pretty-printed record (what [`RecordReader::next_text`] lends).
    pretty: String,
}

impl<R: BufRead> RecordReader<R> {
    /// Frames `inner`; records longer than `max_record_bytes` are reported as
    /// [`FrameError::TooLong`].
    pub fn new(inner: R, max_record_bytes: usize) -> Self {
        RecordReader {
            inner,
            line: 0,
            max: max_record_bytes,
            bytes_read: 0,
            buf: Vec::new(),
            pretty: String::new(),
        }
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Bytes consumed from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Reads one line into `self.buf` (without the newline), up to the limit.
    /// Returns `Ok(None)` at EOF, `Ok(Some(total_len))` otherwise; when the
    /// total exceeds the limit the buffer holds a prefix only.
    fn read_line(&mut self, limit: usize) -> std::io::Result<Option<u64>> {
        self.buf.clear();
        let mut total: u64 = 0;
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (part, done) = match memchr(chunk) {
                Some(i) => (&chunk[..i], i + 1),
                None => (chunk, chunk.len()),
            };
            let room = limit.saturating_sub(self.buf.len());
            if room > 0 {
                self.buf.extend_from_slice(&part[..part.len().min(room)]);
            }
            total += part.len() as u64;
            let found_newline = done > part.len();
            self.inner.consume(done);
            self.bytes_read += done as u64;
            if found_newline {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.last() == Some(&b'\r') && total <= limit as u64 {
            self.buf.pop();
            total -= 1;
        }
        Ok(Some(total))
    }

    /// The next record, `Ok(None)` at end of input.
    pub fn next_record(&mut self) -> std::io::Result<Option<Record>> {
        Ok(self.next_text()?.map(|(line, text)| Record {
            line,
            text: text.map(str::to_string),
        }))
    }

    /// The next record as `(line, text)`, like [`RecordReader::next_record`]
    /// but lending the text from the reader's buffer instead of copying it.
    pub fn next_text(&mut self) -> std::io::Result<Option<(usize, Result<&str, FrameError>)>> {
        loop {
            let Some(len) = self.read_line(self.max.saturating_add(1))? else {
                return Ok(None);
            };
            let line = self.line;
            if len > self.max as u64 {
                return Ok(Some((
                    line,
                    Err(FrameError::TooLong {
                        bytes: len,
                        limit: self.max,
                    }),
                )));
            }
            let trimmed = trim(&self.buf);
            if trimmed.is_empty() {
                continue;
            }
            if trimmed == b"{" || trimmed == b"[" {
                let rec = self.pretty_record(line)?;
                return Ok(Some(match rec.text {
                    Ok(text) => {
                        self.pretty = text;
                        (line, Ok(self.pretty.as_str()))
                    }
                    Err(e) => (line, Err(e)),
                }));
            }
            let text = std::str::from_utf8(&self.buf).map_err(|_| FrameError::NotUtf8);
            return Ok(Some((line, text)));
        }
    }

    /// Accumulates a pretty-printed value until its brackets balance.
    fn pretty_record(&mut self, start: usize) -> std::io::Result<Record> {
        let mut acc: Vec<u8> = Vec::new();
        let mut scan = Scan::default();
        let mut total: u64 = 0;
        let mut too_long = false;
        let mut first = true;
        loop {
            if !first {
                match self.read_line(self.max.saturating_add(1))? {
                    None => {
                        let text = if too_long {
                            Err(FrameError::TooLong {
                                bytes: total,
                                limit: self.max,
                            })
                        } else {
                            Err(FrameError::Truncated)
                        };
                        return Ok(Record { line: start, text });
                    }
                    Some(len) => total += len + 1,
                }
            } else {
                total = self.buf.len() as u64 + 1;
                first = false;
            }
            scan.feed(&self.buf);
            if !too_long && total <= self.max as u64 {
                acc.extend_from_slice(&self.buf);
                acc.push(b'\n');
            } else {
                too_long = true;
                acc = Vec::new();
            }
            if scan.depth <= 0 {
                let text = if too_long {
                    Err(FrameError::TooLong {
                        bytes: total,
                        limit: self.max,
                    })
                } else {
                    String::from_utf8(acc).map_err(|_| FrameError::NotUtf8)
                };
                return Ok(Record { line: start, text });
            }
        }
    }
}

fn memchr(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', b)
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
    &b[start..end]
}

/// Bracket depth of JSON text, string-aware.
#[derive(Default)]
struct Scan {
    depth: i64,
    in_string: bool,
    escape: bool,
}

impl Scan {
    fn feed(&mut self, b: &[u8]) {
        for &c in b {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if c == b'\\' {
                    self.escape = true;
                } else if c == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match c {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth -= 1,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(s: &str, max: usize) -> Vec<(usize, Result<String, FrameError>)> {
        let mut r = RecordReader::new(s.as_bytes(), max);
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push((rec.line, rec.text));
        }
        out
    }

    #[test]
    fn lines_and_pretty_records() {
        let out = frame(
            "{\"a\":1}\n\n{\n  \"b\": \"}{\",\n  \"c\": [1]\n}\r\n{\"d\":2}",
            100,
        );
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].0, 1);
        assert_eq!(out[1].0, 3);
        assert_eq!(
            out[1].1.as_deref().unwrap(),
            "{\n  \"b\": \"}{\",\n  \"c\": [1]\n}\n"
        );
        assert_eq!(out[2], (7, Ok("{\"d\":2}".to_string())));
    }

    #[test]
    fn long_lines_truncated_records_and_bad_utf8() {
        let long = format!("{}\n{{\"ok\":1}}\n{{\n\"x\": 1\n", "x".repeat(50));
        let out = frame(&long, 20);
        assert_eq!(
            out[0].1,
            Err(FrameError::TooLong {
                bytes: 50,
                limit: 20
            })
        );
        assert_eq!(out[1], (2, Ok("{\"ok\":1}".into())));
        assert_eq!(out[2], (3, Err(FrameError::Truncated)));
        let mut r = RecordReader::new(&b"\xff\xfe\n"[..], 10);
        assert_eq!(
            r.next_record().unwrap().unwrap().text,
            Err(FrameError::NotUtf8)
        );
    }
}
