//! The engines' gRPC messages, written by hand as `prost` derives (no
//! `protoc`): only the fields the adapters read, with the upstream field
//! numbers; every other field is an unknown field to prost and skipped.
//!
//! Each message also (de)serializes with serde as the engine's own JSON export
//! writes it (protojson with the proto field names for Hubble and Tetragon,
//! Go's `encoding/json` for KubeArmor), so a received message becomes exactly
//! the JSON record `kubescribe ingest` reads from a file and goes through the
//! same adapters ([`kubescribe_events::convert`]). The test servers use the
//! other direction: corpus JSON records into messages.
//!
//! protojson rules followed: enums as their names, `google.protobuf.Timestamp`
//! as RFC 3339 text, wrapper types as their bare value, 64-bit integers as
//! strings, default values (0, "", false, empty lists) left out, a `oneof`
//! as its one set field.

pub mod hubble;
pub mod kubearmor;
pub mod tetragon;

use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

/// `google.protobuf.Timestamp` (google/protobuf/timestamp.proto).
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// Nanoseconds since the epoch.
    pub fn as_nanos(&self) -> i64 {
        self.seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(self.nanos))
    }

    /// From nanoseconds since the epoch.
    pub fn from_nanos(ns: i64) -> Timestamp {
        Timestamp {
            seconds: ns.div_euclid(1_000_000_000),
            nanos: ns.rem_euclid(1_000_000_000) as i32,
        }
    }
}

/// `google.protobuf.BoolValue` (google/protobuf/wrappers.proto).
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct BoolValue {
    /// The value.
    #[prost(bool, tag = "1")]
    pub value: bool,
}

/// `google.protobuf.UInt32Value`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct UInt32Value {
    /// The value.
    #[prost(uint32, tag = "1")]
    pub value: u32,
}

/// `google.protobuf.Int32Value`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Int32Value {
    /// The value.
    #[prost(int32, tag = "1")]
    pub value: i32,
}

/// Timestamps as RFC 3339 text (protojson).
pub(crate) mod ts {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&kubescribe_events::time::format_rfc3339(t.as_nanos())),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let v = Option::<String>::deserialize(d)?;
        Ok(v.and_then(|s| kubescribe_events::time::parse_rfc3339(&s))
            .map(Timestamp::from_nanos))
    }
}

/// Wrapper types as their bare value (protojson).
macro_rules! wrapper {
    ($m:ident, $w:ident, $t:ty) => {
        pub(crate) mod $m {
            use super::*;

            pub fn serialize<S: Serializer>(v: &Option<$w>, s: S) -> Result<S::Ok, S::Error> {
                match v {
                    Some(w) => serde::Serialize::serialize(&w.value, s),
                    None => s.serialize_none(),
                }
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$w>, D::Error> {
                Ok(Option::<$t>::deserialize(d)?.map(|value| $w { value }))
            }
        }
    };
}
wrapper!(wrap_bool, BoolValue, bool);
wrapper!(wrap_u32, UInt32Value, u32);
wrapper!(wrap_i32, Int32Value, i32);

/// `bytes` as standard base64 with padding (protojson).
pub(crate) mod b64 {
    use super::*;

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(crate) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk.len();
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= n {
                    out.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(text.len() / 4 * 3);
        let mut acc = 0u32;
        let mut bits = 0;
        for c in text.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' | b'-' => 62,
                b'/' | b'_' => 63,
                b'=' | b'\n' | b'\r' => continue,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        Some(out)
    }

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).ok_or_else(|| serde::de::Error::custom("not base64"))
    }
}

/// 64-bit integers as strings (protojson); numbers are read too.
pub(crate) mod u64_str {
    use super::*;

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .ok_or_else(|| serde::de::Error::custom("not a uint64")),
            Value::String(s) => s.parse().map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom("not a uint64")),
        }
    }
}

/// 64-bit signed integers as strings (protojson); numbers are read too.
pub(crate) mod i64_str {
    use super::*;

    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| serde::de::Error::custom("not an int64")),
            Value::String(s) => s.parse().map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom("not an int64")),
        }
    }
}

/// An enum field (an `int32` on the wire) as its name; an unknown name reads
/// as 0, an unknown number is written as the number (as protojson does).
pub(crate) fn enum_ser<S: Serializer>(
    names: &[(i32, &str)],
    v: i32,
    s: S,
) -> Result<S::Ok, S::Error> {
    match names.iter().find(|(n, _)| *n == v) {
        Some((_, name)) => s.serialize_str(name),
        None => s.serialize_i32(v),
    }
}

pub(crate) fn enum_de<'de, D: Deserializer<'de>>(
    names: &[(i32, &str)],
    d: D,
) -> Result<i32, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => names
            .iter()
            .find(|(_, name)| *name == s)
            .map_or(0, |(n, _)| *n),
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0),
        _ => 0,
    })
}

macro_rules! proto_enum {
    ($m:ident { $($n:literal => $s:literal),* $(,)? }) => {
        pub(crate) mod $m {
            pub(crate) const NAMES: &[(i32, &str)] = &[$(($n, $s)),*];

            #[allow(dead_code)]
            pub fn serialize<S: serde::Serializer>(v: &i32, s: S) -> Result<S::Ok, S::Error> {
                $crate::proto::enum_ser(NAMES, *v, s)
            }

            #[allow(dead_code)]
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
                $crate::proto::enum_de(NAMES, d)
            }

            /// A repeated field of this enum.
            #[allow(dead_code)]
            pub mod list {
                use serde::ser::SerializeSeq;

                struct One(i32);

                impl serde::Serialize for One {
                    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        $crate::proto::enum_ser(super::NAMES, self.0, s)
                    }
                }

                pub fn serialize<S: serde::Serializer>(v: &[i32], s: S) -> Result<S::Ok, S::Error> {
                    let mut seq = s.serialize_seq(Some(v.len()))?;
                    for x in v {
                        seq.serialize_element(&One(*x))?;
                    }
                    seq.end()
                }

                pub fn deserialize<'de, D: serde::Deserializer<'de>>(
                    d: D,
                ) -> Result<Vec<i32>, D::Error> {
                    let items = <Vec<serde_json::Value> as serde::Deserialize>::deserialize(d)?;
                    items
                        .into_iter()
                        .map(|v| {
                            $crate::proto::enum_de(super::NAMES, v)
                                .map_err(<D::Error as serde::de::Error>::custom)
                        })
                        .collect()
                }
            }
        }
    };
}
pub(crate) use proto_enum;

pub(crate) fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}
pub(crate) fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}
pub(crate) fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
pub(crate) fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}
pub(crate) fn is_false(v: &bool) -> bool {
    !*v
}

/// A message as the engine's JSON export writes it.
pub fn to_json<T: serde::Serialize>(message: &T) -> Value {
    serde_json::to_value(message).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for (raw, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"\xff\x00\xfe", "/wD+"),
        ] {
            assert_eq!(b64::encode(raw), text);
            assert_eq!(b64::decode(text).as_deref(), Some(raw));
        }
    }
}
