//! Canonical JSON: the one byte encoding of a manifest (or a rotation statement) that gets
//! signed.
//!
//! The encoding is JSON as serde_json writes it, with these rules fixed:
//! - UTF-8, no byte-order mark, no whitespace between tokens, no trailing newline;
//! - object keys sorted by their UTF-8 bytes, each key once;
//! - strings escaped as serde_json escapes them (`"` and `\` and control characters only);
//! - integers in plain decimal, floating-point numbers in the shortest form that reads back to
//!   the same `f64` as serde_json writes them (`4.0`, `0.1`, `1e+300`), never NaN or
//!   infinity.
//!
//! Readers do not merely accept canonical input: they re-encode what they parsed and refuse
//! bytes that differ, so one meaning has exactly one signed byte string and nothing that a
//! parser ignores (duplicate keys, whitespace, unknown fields) can ride along with a signature.
//!
//! This is our own walk over `serde_json::Value` rather than serde_json's map order, so that a
//! crate elsewhere in the build turning on serde_json's `preserve_order` cannot change what we
//! sign.

use serde::Serialize;
use serde_json::Value;

/// Why a value has no canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("cannot encode {0} as canonical JSON: {1}")]
    Unencodable(&'static str, String),
}

/// The canonical bytes of any serialisable value.
pub fn to_canonical_bytes<T: Serialize>(
    what: &'static str,
    value: &T,
) -> Result<Vec<u8>, CanonicalError> {
    let value = serde_json::to_value(value)
        .map_err(|e| CanonicalError::Unencodable(what, e.to_string()))?;
    let mut out = Vec::new();
    write_value(&value, &mut out);
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_value(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Serialising a `str` cannot fail: serde_json only fails on non-string map keys and on
    // I/O errors, and writing into a Vec has neither.
    let encoded = serde_json::to_vec(s).expect("a string always serialises");
    out.extend_from_slice(&encoded);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_is_gone() {
        let value = json!({"b": 1, "a": [true, null, "x y"], "aa": {"z": 1.5, "c": -2}});
        let bytes = to_canonical_bytes("test", &value).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"a":[true,null,"x y"],"aa":{"c":-2,"z":1.5},"b":1}"#
        );
    }

    #[test]
    fn the_same_value_built_in_another_order_encodes_to_the_same_bytes() {
        let mut one = serde_json::Map::new();
        one.insert("name".into(), json!("x"));
        one.insert("kind".into(), json!("geo-check"));
        let mut two = serde_json::Map::new();
        two.insert("kind".into(), json!("geo-check"));
        two.insert("name".into(), json!("x"));
        assert_eq!(
            to_canonical_bytes("a", &Value::Object(one)).unwrap(),
            to_canonical_bytes("b", &Value::Object(two)).unwrap()
        );
    }

    #[test]
    fn strings_are_escaped_once_and_unicode_is_kept() {
        let bytes = to_canonical_bytes("t", &json!({"t": "Липецк \"ИСУ\"\n"})).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "{\"t\":\"Липецк \\\"ИСУ\\\"\\n\"}"
        );
    }

    #[test]
    fn floats_use_the_shortest_round_trip_form() {
        let bytes = to_canonical_bytes("t", &json!([4.0, 0.1, 1e300, 60])).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), "[4.0,0.1,1e+300,60]");
    }
}
