//! AMQP message headers ↔ JSON.
//!
//! Messages are described in JSON (that is how the Wazo document and the
//! catalog speak), but AMQP headers are a typed field table. Publishing maps
//! JSON onto the field types kombu writes (`t` bool, `I` signed 32-bit for
//! integers that fit, else `l` signed 64-bit,
//! `d` double, `S` long string, `V` void, `A` array, `F` table); recording
//! maps whatever arrives back to JSON, keys sorted so that snapshots are stable.

use amqprs::{FieldArray, FieldName, FieldTable, FieldValue, LongStr};
use serde_json::{Map, Number, Value};

/// A header value that has no AMQP field type.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// A header name longer than AMQP's 255-byte short string.
    #[error("header name '{name}…' is longer than AMQP's 255-byte limit")]
    NameTooLong {
        /// The first characters of the name.
        name: String,
    },
    /// An integer above `i64::MAX`: RabbitMQ's 64-bit integers are signed.
    #[error("header '{name}' holds {value}, above the largest AMQP integer (i64::MAX)")]
    IntegerTooLarge {
        /// The header.
        name: String,
        /// The value.
        value: u64,
    },
    /// A string or array beyond the 4 GiB length field.
    #[error("header '{name}' is longer than an AMQP field can hold")]
    TooLong {
        /// The header.
        name: String,
    },
}

/// Converts JSON headers to an AMQP field table.
pub fn to_field_table(headers: &Map<String, Value>) -> Result<FieldTable, HeaderError> {
    let mut table = FieldTable::new();
    for (name, value) in headers {
        table.insert(field_name(name)?, to_field_value(name, value)?);
    }
    Ok(table)
}

fn field_name(name: &str) -> Result<FieldName, HeaderError> {
    FieldName::try_from(name).map_err(|_| HeaderError::NameTooLong {
        name: name.chars().take(40).collect(),
    })
}

/// Converts one JSON header value (`name` is for errors).
pub fn to_field_value(name: &str, value: &Value) -> Result<FieldValue, HeaderError> {
    let too_long = || HeaderError::TooLong {
        name: name.to_owned(),
    };
    Ok(match value {
        Value::Null => FieldValue::V,
        Value::Bool(flag) => FieldValue::t(*flag),
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                // As py-amqp (kombu, so every Wazo daemon) writes a Python int:
                // a 32-bit `I` within ±2147483647 (py-amqp's bounds: i32::MIN
                // is written as 64-bit), a 64-bit `l` otherwise.
                match i32::try_from(integer) {
                    Ok(small) if small != i32::MIN => FieldValue::I(small),
                    _ => FieldValue::l(integer),
                }
            } else if let Some(unsigned) = number.as_u64() {
                return Err(HeaderError::IntegerTooLarge {
                    name: name.to_owned(),
                    value: unsigned,
                });
            } else {
                FieldValue::d(number.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(text) => {
            FieldValue::S(LongStr::try_from(text.as_str()).map_err(|_| too_long())?)
        }
        Value::Array(items) => {
            let values = items
                .iter()
                .map(|item| to_field_value(name, item))
                .collect::<Result<Vec<_>, _>>()?;
            FieldValue::A(FieldArray::try_from(values).map_err(|_| too_long())?)
        }
        Value::Object(fields) => FieldValue::F(to_field_table(fields)?),
    })
}

/// Converts an AMQP field table to JSON, keys sorted.
pub fn to_json(table: &FieldTable) -> Map<String, Value> {
    let mut entries: Vec<(&FieldName, &FieldValue)> = table.as_ref().iter().collect();
    entries.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    entries
        .into_iter()
        .map(|(name, value)| (name.as_ref().clone(), field_value_to_json(value)))
        .collect()
}

fn field_value_to_json(value: &FieldValue) -> Value {
    match value {
        FieldValue::V => Value::Null,
        FieldValue::t(flag) => Value::Bool(*flag),
        FieldValue::b(n) => Value::from(*n),
        FieldValue::B(n) => Value::from(*n),
        FieldValue::s(n) => Value::from(*n),
        FieldValue::u(n) => Value::from(*n),
        FieldValue::I(n) => Value::from(*n),
        FieldValue::i(n) => Value::from(*n),
        FieldValue::l(n) => Value::from(*n),
        FieldValue::T(n) => Value::from(*n),
        FieldValue::f(n) => Number::from_f64(f64::from(*n)).map_or(Value::Null, Value::Number),
        FieldValue::d(n) => Number::from_f64(*n).map_or(Value::Null, Value::Number),
        // Decimals and byte arrays have no JSON counterpart: show their text.
        FieldValue::D(decimal) => Value::String(decimal.to_string()),
        FieldValue::x(bytes) => Value::String(bytes.to_string()),
        FieldValue::S(text) => Value::String(text.as_ref().clone()),
        FieldValue::A(items) => Value::Array(
            Vec::<FieldValue>::from(items.clone())
                .iter()
                .map(field_value_to_json)
                .collect(),
        ),
        FieldValue::F(table) => Value::Object(to_json(table)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_every_json_type_with_sorted_keys() {
        let headers = json!({
            "name": "call_created",
            "origin_uuid": "ca7f87e9-c2c8-5fad-ba1b-c3140ebb9be3",
            "user_uuid:2e752722-0864-4665-887d-a78a024cf7c7": true,
            "required_acl": null,
            "count": -3,
            "ratio": 0.5,
            "tags": ["a", 1],
            "nested": {"z": 1, "a": false},
        });
        let table = to_field_table(headers.as_object().unwrap()).unwrap();
        let back = Value::Object(to_json(&table));
        let mut expected = headers.as_object().unwrap().clone();
        expected.sort_keys();
        if let Some(Value::Object(nested)) = expected.get_mut("nested") {
            nested.sort_keys();
        }
        assert_eq!(back, Value::Object(expected.clone()));
        let keys: Vec<&String> = back.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn refuses_integers_amqp_cannot_hold() {
        let headers = json!({"big": u64::MAX});
        assert_eq!(
            to_field_table(headers.as_object().unwrap()).unwrap_err(),
            HeaderError::IntegerTooLarge {
                name: "big".into(),
                value: u64::MAX
            }
        );
    }

    #[test]
    fn refuses_over_long_names() {
        let mut headers = Map::new();
        headers.insert("x".repeat(300), Value::Null);
        assert!(matches!(
            to_field_table(&headers),
            Err(HeaderError::NameTooLong { .. })
        ));
    }
}
