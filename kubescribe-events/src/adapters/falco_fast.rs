//! The Falco hot path: an alert parsed straight into borrowed fields instead
//! of a generic [`serde_json::Value`] (no map, no `String` per key or value
//! unless the JSON escapes it).
//!
//! Only the fields the Falco adapter reads are kept (see [`FIELDS`]); the
//! rest are skipped while parsing. The conversion itself is the adapter's
//! own generic code ([`adapters::falco`]), so both paths give the same events
//! and the same per-field errors. Anything out of the ordinary is left to the
//! generic path, which reports it as before: a record that is not a single
//! JSON object with an `output_fields` object, a top-level field of an
//! unexpected type or given twice, JSON that does not parse, and any `\u`
//! escape (the generic path rejects lone surrogates that a skipped field
//! would let through). [`try_convert`] returns `None` for those.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use crate::adapters::{self, Converted, Fields, Scalar};

/// How many `output_fields` keys the fast path keeps (see [`slot`]).
const KNOWN: usize = 26;

/// The slot of an `output_fields` key the Falco adapter reads. Keys starting
/// with `k8s.pod.label` are kept too (any label key). Keep in step with
/// [`adapters::falco`]: a key read there but missing here would read as
/// absent (the differential tests catch it).
fn slot(key: &str) -> Option<usize> {
    Some(match key {
        "evt.time" => 0,
        "evt.type" => 1,
        "evt.res" => 2,
        "evt.args" => 3,
        "evt.arg.flags" => 4,
        "evt.hostname" => 5,
        "evt.is_open_read" => 6,
        "evt.is_open_write" => 7,
        "evt.is_open_exec" => 8,
        "k8s.ns.name" => 9,
        "k8s.pod.name" => 10,
        "k8s.pod.labels" => 11,
        "container.name" => 12,
        "container.id" => 13,
        "proc.cmdline" => 14,
        "proc.exepath" => 15,
        "proc.exe" => 16,
        "proc.name" => 17,
        "proc.args" => 18,
        "proc.pexepath" => 19,
        "proc.pname" => 20,
        "user.uid" => 21,
        "fd.name" => 22,
        "fd.type" => 23,
        "fd.l4proto" => 24,
        "fs.path.name" => 25,
        _ => return None,
    })
}

/// A JSON string, borrowed from the input unless it has escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// One `output_fields` value.
enum Val<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
    Array,
    Object,
}

impl Val<'_> {
    fn scalar(&self) -> Scalar<'_> {
        match self {
            Val::Null => Scalar::Null,
            Val::Bool(b) => Scalar::Bool(*b),
            Val::Number(n) => Scalar::Number(n),
            Val::Str(s) => Scalar::Str(s),
            Val::Array => Scalar::Array,
            Val::Object => Scalar::Object,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Val<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Val<'de>, E> {
                Ok(Val::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val<'de>, E> {
                Ok(Val::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val<'de>, E> {
                Ok(Val::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Val<'de>, E> {
                // As `serde_json::Value` does.
                Ok(Number::from_f64(v).map_or(Val::Null, Val::Number))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Val<'de>, E> {
                Ok(Val::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Val<'de>, E> {
                Ok(Val::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Val<'de>, E> {
                Ok(Val::Str(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Val<'de>, E> {
                Ok(Val::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Val<'de>, E> {
                Ok(Val::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Val<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Val::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Val<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Val::Object)
            }
        }
        d.deserialize_any(V)
    }
}

/// The `output_fields` the adapter reads.
pub(crate) struct OutputFields<'a> {
    known: [Option<Val<'a>>; KNOWN],
    /// `k8s.pod.label…` fields in first-seen order, last value kept (as
    /// `serde_json`'s insertion-ordered map does).
    labels: Vec<(Cow<'a, str>, Val<'a>)>,
}

impl<'de: 'a, 'a> Deserialize<'de> for OutputFields<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OutputFields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<OutputFields<'de>, A::Error> {
                let mut out = OutputFields {
                    known: Default::default(),
                    labels: Vec::new(),
                };
                while let Some(Text(key)) = a.next_key::<Text<'de>>()? {
                    if let Some(i) = slot(&key) {
                        out.known[i] = Some(a.next_value()?);
                    } else if key.starts_with("k8s.pod.label") {
                        let v: Val<'de> = a.next_value()?;
                        match out.labels.iter_mut().find(|(k, _)| *k == key) {
                            Some(entry) => entry.1 = v,
                            None => out.labels.push((key, v)),
                        }
                    } else {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> Fields for OutputFields<'a> {
    type Nested = OutputFields<'a>;

    fn field(&self, key: &str) -> Option<Scalar<'_>> {
        match slot(key) {
            Some(i) => self.known[i].as_ref().map(Val::scalar),
            None => self
                .labels
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.scalar()),
        }
    }

    fn nested(&self, _key: &str) -> Option<&OutputFields<'a>> {
        // Nested objects are skipped while parsing; the adapter reads none.
        None
    }

    fn each_prefixed(&self, prefix: &str, f: &mut dyn FnMut(&str, Scalar<'_>)) {
        for (k, v) in &self.labels {
            if k.starts_with(prefix) {
                f(k, v.scalar());
            }
        }
    }
}

/// A Falco alert: the top-level fields the adapter reads.
#[derive(Deserialize)]
pub(crate) struct FalcoRecord<'a> {
    #[serde(borrow, default)]
    source: Option<Text<'a>>,
    #[serde(borrow, default)]
    rule: Option<Text<'a>>,
    #[serde(borrow, default)]
    time: Option<Text<'a>>,
    #[serde(borrow, default)]
    hostname: Option<Text<'a>>,
    #[serde(borrow)]
    output_fields: OutputFields<'a>,
}

impl<'a> Fields for FalcoRecord<'a> {
    type Nested = OutputFields<'a>;

    fn field(&self, key: &str) -> Option<Scalar<'_>> {
        let s = match key {
            "source" => &self.source,
            "rule" => &self.rule,
            "time" => &self.time,
            "hostname" => &self.hostname,
            "output_fields" => return Some(Scalar::Object),
            _ => return None,
        };
        s.as_ref().map(|t| Scalar::Str(&t.0))
    }

    fn nested(&self, key: &str) -> Option<&OutputFields<'a>> {
        (key == "output_fields").then_some(&self.output_fields)
    }

    fn each_prefixed(&self, prefix: &str, f: &mut dyn FnMut(&str, Scalar<'_>)) {
        for key in ["source", "rule", "time", "hostname", "output_fields"] {
            if key.starts_with(prefix)
                && let Some(v) = self.field(key)
            {
                f(key, v);
            }
        }
    }
}

/// Converts a Falco alert on the fast path; `None` leaves the record to the
/// generic path (see the module docs).
pub(crate) fn try_convert(text: &str) -> Option<Converted> {
    if !text.trim_start().starts_with('{')
        || !text.contains("\"output_fields\"")
        || text.contains("\\u")
    {
        return None;
    }
    let rec: FalcoRecord<'_> = serde_json::from_str(text).ok()?;
    Some(match adapters::falco(&rec) {
        Ok(events) => Converted::Events(events),
        Err(s) => Converted::Skipped {
            reason: s.reason,
            message: s.message,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::convert;
    use serde_json::Value;

    /// The generic path's result for one line (what ingestion did before
    /// the fast path).
    fn generic(text: &str) -> Converted {
        let v: Value = serde_json::from_str(text).expect("valid JSON");
        let (format, mut out) = convert(&v);
        assert_eq!(format, Some(adapters::InputFormat::Falco), "{text}");
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    fn same(text: &str) {
        let fast = try_convert(text).unwrap_or_else(|| panic!("not on the fast path: {text}"));
        assert_eq!(fast, generic(text), "{text}");
    }

    #[test]
    fn fixture_alerts_convert_as_on_the_generic_path() {
        let text = include_str!("../../tests/fixtures/events/falco.jsonl");
        let mut n = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            same(line);
            n += 1;
        }
        assert!(n >= 5);
    }

    #[test]
    fn every_field_the_adapter_reads_converts_as_on_the_generic_path() {
        let all = r#"{"rule":"r","priority":"Notice","source":"syscall","hostname":"h",
            "time":"2025-03-01T12:00:00Z","tags":["a",{"b":[1]}],"output":"o \"q\"",
            "output_fields":{"evt.time":"1740830400000000001","evt.type":"openat","evt.res":"EPERM",
            "evt.args":"a=1","evt.arg.flags":"O_RDONLY","evt.hostname":"node\tx",
            "evt.is_open_read":"true","evt.is_open_write":false,"evt.is_open_exec":0,
            "k8s.ns.name":"ns","k8s.pod.name":"p","k8s.pod.labels":"[tier:web, x=y]",
            "k8s.pod.label[app]":"a","k8s.pod.label.team":"t","k8s.pod.label[n]":5,
            "container.name":"","container.id":"c1","proc.cmdline":"sh -c 'x'",
            "proc.exepath":"","proc.exe":"/bin/sh","proc.name":"sh","proc.args":"",
            "proc.pexepath":null,"proc.pname":"runc","user.uid":" 7 ","fd.name":"/etc/x",
            "fd.type":"file","fd.l4proto":"tcp","fs.path.name":"","other":{"deep":[[{}]]}}}"#;
        same(all);
        for (k, v) in [
            ("fs.path.name", r#""/from/fs""#),
            ("evt.is_open_write", "1"),
            ("evt.is_open_exec", "true"),
            ("evt.time", "1.5"),
            ("evt.time", "18446744073709551615"),
            ("evt.time", "-3"),
            ("user.uid", r#""x""#),
            ("k8s.ns.name", r#"["a"]"#),
            ("k8s.pod.name", "{}"),
            ("proc.cmdline", "true"),
            ("fd.name", r#""10.0.0.1:5->10.0.0.2:80""#),
            ("fd.type", r#""ipv4""#),
        ] {
            let rec = format!(
                r#"{{"rule":"r","priority":"p","time":"2025-03-01T12:00:00Z","output_fields":{{"evt.type":"connect","fd.name":"/a","{k}":{v}}}}}"#
            );
            same(&rec);
        }
        // Escapes in keys and values, repeated keys (last value, first
        // position), non-syscall sources, syscall-only and empty alerts.
        for rec in [
            r#"{"rule":"r","priority":"p","output_fields":{"k8s.pod.label[a]":"1","k8s.pod.label.a":"2","k8s.pod.label[a]":"3","proc.name":"x","proc.name":"y"}}"#,
            r#"{"rule":"r","priority":"p","output_fields":{"k8s.pod.label[a\"b]":"v\n","proc.na\u006de":"q"}}"#,
            r#"{"rule":"r","priority":"p","source":"k8s_audit","output_fields":{"ka.verb":"get"}}"#,
            r#"{"rule":"r","priority":"p","source":null,"output_fields":{"evt.type":"setns","evt.args":"fd=3"}}"#,
            r#"{"rule":"r","priority":"p","output_fields":{}}"#,
            r#"{"output_fields":{"proc.name":"x"},"extra":[1,2,{"a":null}]}"#,
        ] {
            match try_convert(rec) {
                Some(fast) => assert_eq!(fast, generic(rec), "{rec}"),
                // Only `\u` escapes are left to the generic path.
                None => assert!(rec.contains("\\u"), "{rec}"),
            }
        }
    }

    #[test]
    fn unusual_records_are_left_to_the_generic_path() {
        for rec in [
            r#"["output_fields", 1]"#,
            r#"{"rule":"r","priority":"p"}"#,
            r#"{"output_fields":null}"#,
            r#"{"output_fields":[1]}"#,
            r#"{"output_fields":{},"rule":5}"#,
            r#"{"output_fields":{},"output_fields":{}}"#,
            r#"{"output_fields":{"proc.name":"x"}"#,
            r#"{"output_fields":{"proc.name":"x"}} trailing"#,
            r#"{"output":"\ud800","output_fields":{"proc.name":"x"}}"#,
            r#"{"output_fields":{"proc.name":"x\u0041"}}"#,
        ] {
            assert!(try_convert(rec).is_none(), "{rec}");
        }
    }
}
