//! Just enough of the GGUF format to read one string from a model file's
//! metadata (`tokenizer.chat_template`) without loading the model.
//!
//! Layout (little-endian): magic `GGUF`, version (u32, 2 or 3), tensor count
//! (u64), metadata count (u64), then key/value pairs: key (u64 length +
//! UTF-8), value type (u32), value. Arrays (type 9) hold an item type, a u64
//! length and the items; the tokenizer's vocabulary is one, skipped item by
//! item.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Longest string accepted (a chat template is a few KiB; a vocabulary entry, bytes).
const MAX_STRING: u64 = 16 << 20;

struct Reader<R> {
    inner: R,
}

impl<R: Read + Seek> Reader<R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| format!("truncated GGUF metadata: {e}"))?;
        Ok(buf)
    }
    fn u32(&mut self) -> Result<u32, String> {
        self.bytes::<4>().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, String> {
        self.bytes::<8>().map(u64::from_le_bytes)
    }
    fn skip(&mut self, n: u64) -> Result<(), String> {
        let n = i64::try_from(n).map_err(|_| "GGUF length out of range".to_string())?;
        self.inner
            .seek(SeekFrom::Current(n))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    fn string(&mut self) -> Result<String, String> {
        let len = self.u64()?;
        if len > MAX_STRING {
            return Err(format!("GGUF string of {len} bytes (corrupt file?)"));
        }
        let mut buf = vec![0u8; len as usize];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| format!("truncated GGUF string: {e}"))?;
        String::from_utf8(buf).map_err(|_| "GGUF string is not UTF-8".to_string())
    }
    fn skip_string(&mut self) -> Result<(), String> {
        let len = self.u64()?;
        if len > MAX_STRING {
            return Err(format!("GGUF string of {len} bytes (corrupt file?)"));
        }
        self.skip(len)
    }
    fn skip_value(&mut self, ty: u32, depth: u32) -> Result<(), String> {
        match ty {
            0 | 1 | 7 => self.skip(1),
            2 | 3 => self.skip(2),
            4..=6 => self.skip(4),
            10..=12 => self.skip(8),
            8 => self.skip_string(),
            9 if depth < 4 => {
                let item = self.u32()?;
                let len = self.u64()?;
                let width = match item {
                    0 | 1 | 7 => Some(1),
                    2 | 3 => Some(2),
                    4..=6 => Some(4),
                    10..=12 => Some(8),
                    _ => None,
                };
                match width {
                    Some(w) => self.skip(
                        len.checked_mul(w)
                            .ok_or_else(|| "GGUF array length out of range".to_string())?,
                    ),
                    None => {
                        for _ in 0..len {
                            self.skip_value(item, depth + 1)?;
                        }
                        Ok(())
                    }
                }
            }
            other => Err(format!("unknown GGUF value type {other}")),
        }
    }
}

/// The string value of metadata `key`, `None` when absent.
pub(crate) fn read_string(path: &Path, key: &str) -> Result<Option<String>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    read_string_from(BufReader::new(file), key)
}

fn read_string_from<R: Read + Seek>(inner: R, key: &str) -> Result<Option<String>, String> {
    let mut r = Reader { inner };
    if &r.bytes::<4>()? != b"GGUF" {
        return Err("not a GGUF file (no GGUF magic)".into());
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(format!(
            "unsupported GGUF version {version} (expected 2 or 3)"
        ));
    }
    let _tensors = r.u64()?;
    let count = r.u64()?;
    for _ in 0..count {
        let k = r.string()?;
        let ty = r.u32()?;
        if k == key {
            if ty != 8 {
                return Err(format!("GGUF key {key} is not a string (type {ty})"));
            }
            return r.string().map(Some);
        }
        r.skip_value(ty, 0)?;
    }
    Ok(None)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    fn s(out: &mut Vec<u8>, v: &str) {
        out.extend((v.len() as u64).to_le_bytes());
        out.extend(v.as_bytes());
    }

    /// A small GGUF header: an int, a string array (vocabulary), then the template.
    pub(crate) fn sample(template: &str) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend(3u64.to_le_bytes());
        s(&mut out, "general.alignment");
        out.extend(4u32.to_le_bytes());
        out.extend(32u32.to_le_bytes());
        s(&mut out, "tokenizer.ggml.tokens");
        out.extend(9u32.to_le_bytes());
        out.extend(8u32.to_le_bytes());
        out.extend(3u64.to_le_bytes());
        for t in ["<s>", "a", "b"] {
            s(&mut out, t);
        }
        s(&mut out, "tokenizer.chat_template");
        out.extend(8u32.to_le_bytes());
        s(&mut out, template);
        out
    }

    #[test]
    fn finds_the_template_after_arrays() {
        let bytes = sample("{{ messages[0]['content'] }}");
        let got = read_string_from(Cursor::new(bytes.clone()), "tokenizer.chat_template");
        assert_eq!(
            got.unwrap().as_deref(),
            Some("{{ messages[0]['content'] }}")
        );
        assert_eq!(
            read_string_from(Cursor::new(bytes.clone()), "nope").unwrap(),
            None
        );
        assert!(read_string_from(Cursor::new(bytes[..40].to_vec()), "nope").is_err());
        assert!(read_string_from(Cursor::new(b"GGML....".to_vec()), "x").is_err());
    }
}
