//! JSON text as Python's `json.dumps` writes it, for bodies of the `wazo` profile.
//!
//! kombu serialises wazo-bus payloads with the standard library's
//! `json.dumps` and its defaults: `", "` between items, `": "` after keys,
//! and `ensure_ascii=True`, so every character beyond ASCII is written as a
//! `\uXXXX` escape (a surrogate pair beyond the basic plane). A consumer
//! that compares bodies as text, or a WebSocket client reading v1 frames,
//! sees exactly these bytes from a real Wazo.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// `value` as `json.dumps(value)` would write it.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(512);
    let mut serializer = Serializer::with_formatter(&mut out, PythonFormatter);
    value.serialize(&mut serializer)?;
    Ok(out)
}

/// serde_json's compact output with Python's separators and ASCII escapes.
#[derive(Debug, Clone, Copy)]
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (index, character) in fragment.char_indices() {
            if character.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..index])?;
            let mut units = [0u16; 2];
            for unit in character.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = index + character.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Each expected text is what CPython 3.11's `json.dumps` prints for the same value.
    #[test]
    fn writes_what_python_writes() {
        let cases = [
            (
                json!({"a": 1, "b": [1, 2, {"c": null}]}),
                r#"{"a": 1, "b": [1, 2, {"c": null}]}"#,
            ),
            (
                json!({"name": "Zoë Côté"}),
                r#"{"name": "Zo\u00eb C\u00f4t\u00e9"}"#,
            ),
            (
                json!(["😀", "a\"b\\c\n"]),
                r#"["\ud83d\ude00", "a\"b\\c\n"]"#,
            ),
            (json!({}), "{}"),
            (json!([]), "[]"),
            (
                json!({"user_uuid:*": true, "x": 1.5}),
                r#"{"user_uuid:*": true, "x": 1.5}"#,
            ),
        ];
        for (value, python) in cases {
            assert_eq!(String::from_utf8(to_vec(&value).unwrap()).unwrap(), python);
        }
    }

    #[test]
    fn round_trips() {
        let value = json!({"é": ["ü", {"k": "日本"}], "n": -3});
        let text = to_vec(&value).unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&text).unwrap(),
            value
        );
    }
}
