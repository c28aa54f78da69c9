//! A few top-level fields of a serialisable value, as JSON, without
//! serialising the rest.
//!
//! The routing key, `required_acl` and header templates of an event read one
//! or two fields of its `data` (`events.calls.{user_uuid}`). Building the
//! whole `data` as a JSON tree to read them cost the load generator more
//! than writing the body itself; [`pick_fields`] instead lets the data's
//! `Serialize` implementation walk its fields and converts only the wanted
//! ones, each exactly as `serde_json::to_value` of the whole would hold it.

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeMap, SerializeStruct};
use serde_json::{Map, Value};

/// The top-level fields `names` of `data` present when it serialises as a
/// JSON object (a struct or a map); nothing when it serialises as anything
/// else (a template reading it then says the value is missing).
pub(super) fn pick_fields<T: Serialize + ?Sized>(data: &T, names: &[&str]) -> Map<String, Value> {
    let mut picked = Map::new();
    let picker = Picker {
        names,
        picked: &mut picked,
    };
    // Besides "not an object", serialising fails only for values serde_json
    // cannot write at all, which writing the body has refused already:
    // either way there are no fields to read.
    match data.serialize(picker) {
        Ok(()) => picked,
        Err(_) => Map::new(),
    }
}

fn not_an_object() -> serde_json::Error {
    ser::Error::custom("not a JSON object")
}

/// The serializer of [`pick_fields`]: accepts a struct or a map, keeps the
/// wanted fields' values; a newtype or `Some` is looked through, as
/// serde_json does.
struct Picker<'p> {
    names: &'p [&'p str],
    picked: &'p mut Map<String, Value>,
}

impl Picker<'_> {
    fn keep<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        if self.names.contains(&key) {
            self.picked
                .insert(key.to_owned(), serde_json::to_value(value)?);
        }
        Ok(())
    }
}

/// The methods for values that are not JSON objects: all refuse.
macro_rules! refuse {
    ($($method:ident($($argument:ty),*);)*) => {
        $(fn $method(self, $(_: $argument),*) -> Result<(), serde_json::Error> {
            Err(not_an_object())
        })*
    };
}

impl<'p> ser::Serializer for Picker<'p> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<(), serde_json::Error>;
    type SerializeTuple = Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = Impossible<(), serde_json::Error>;
    type SerializeMap = MapPicker<'p>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), serde_json::Error>;

    refuse! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), serde_json::Error> {
        Err(not_an_object())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, serde_json::Error> {
        Err(not_an_object())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, serde_json::Error> {
        Err(not_an_object())
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, serde_json::Error> {
        Err(not_an_object())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, serde_json::Error> {
        Err(not_an_object())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, serde_json::Error> {
        Ok(MapPicker {
            picker: self,
            key: None,
        })
    }

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, serde_json::Error> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, serde_json::Error> {
        Err(not_an_object())
    }
}

impl SerializeStruct for Picker<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.keep(key, value)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

/// A map being picked from: its keys are written as JSON strings, as
/// serde_json writes them (a non-string key is written as its text).
struct MapPicker<'p> {
    picker: Picker<'p>,
    /// The key of the entry whose value comes next.
    key: Option<String>,
}

impl SerializeMap for MapPicker<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), serde_json::Error> {
        self.key = match serde_json::to_value(key)? {
            Value::String(key) => Some(key),
            other => Some(other.to_string()),
        };
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        match self.key.take() {
            Some(key) => self.picker.keep(&key, value),
            None => Ok(()),
        }
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    #[derive(Serialize)]
    struct Data {
        user_uuid: String,
        id: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        absent: Option<String>,
        nested: BTreeMap<String, u32>,
    }

    #[test]
    fn picks_the_named_fields_as_to_value_holds_them() {
        let data = Data {
            user_uuid: "u1".into(),
            id: 7,
            absent: None,
            nested: [("a".to_owned(), 1)].into(),
        };
        let picked = pick_fields(&data, &["id", "nested", "absent"]);
        let whole = serde_json::to_value(&data).unwrap();
        assert_eq!(picked.len(), 2);
        assert_eq!(picked["id"], whole["id"]);
        assert_eq!(picked["nested"], whole["nested"]);
    }

    #[test]
    fn picks_from_maps_and_json_values_too() {
        let value = json!({"initiator": "u2", "other": [1, 2]});
        let picked = pick_fields(&value, &["initiator"]);
        assert_eq!(Value::Object(picked), json!({"initiator": "u2"}));
    }

    #[test]
    fn anything_but_an_object_has_no_fields() {
        assert!(pick_fields(&json!([1, 2]), &["a"]).is_empty());
        assert!(pick_fields("text", &["a"]).is_empty());
    }
}
