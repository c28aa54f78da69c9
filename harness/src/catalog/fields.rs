//! The fields of a type, read back from its derived JSON Schema, for people.
//!
//! `switchboard catalog show` lists an event's fields with their type, whether they
//! are required and their doc comment; reading them from the schema keeps that
//! listing in step with the types and the checker.

use serde::Serialize;
use serde_json::{Map, Value};

/// One field of a data type; nested fields have dotted paths (`message.folder.id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDoc {
    pub path: String,
    /// The JSON type, e.g. `string (uuid)`, `array of string`, `one of "new", "old"`.
    #[serde(rename = "type")]
    pub type_name: String,
    pub required: bool,
    pub description: String,
}

/// The fields of the object a schema describes, nested objects included.
pub fn fields(schema: &Value) -> Vec<FieldDoc> {
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    collect(schema, "", &defs, 0, &mut out);
    out
}

const MAX_DEPTH: usize = 4;

fn collect(
    schema: &Value,
    prefix: &str,
    defs: &Map<String, Value>,
    depth: usize,
    out: &mut Vec<FieldDoc>,
) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, property) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        out.push(FieldDoc {
            path: path.clone(),
            type_name: describe(property, defs),
            required: required.contains(&name.as_str()),
            description: property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .replace('\n', " "),
        });
        if depth < MAX_DEPTH
            && let Some(nested) = nested_object(property, defs)
        {
            collect(nested, &path, defs, depth + 1, out);
        }
    }
}

/// The object schema a property leads to, through `$ref`, nullable `anyOf` and arrays.
fn nested_object<'a>(property: &'a Value, defs: &'a Map<String, Value>) -> Option<&'a Value> {
    let resolved = resolve(property, defs);
    if resolved.get("properties").is_some() {
        return Some(resolved);
    }
    if let Some(items) = resolved.get("items") {
        return nested_object(items, defs);
    }
    resolved
        .get("anyOf")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|alternative| nested_object(alternative, defs))
}

fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix("#/$defs/"))
        .and_then(|name| defs.get(name))
        .unwrap_or(schema)
}

/// A short description of a schema's type.
fn describe(schema: &Value, defs: &Map<String, Value>) -> String {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix("#/$defs/"))
    {
        let resolved = resolve(schema, defs);
        return if resolved.get("properties").is_some() {
            format!("object ({name})")
        } else {
            describe(resolved, defs)
        };
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return format!("one of {}", join_values(values.iter()));
    }
    if let Some(value) = schema.get("const") {
        return value.to_string();
    }
    for keyword in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema.get(keyword).and_then(Value::as_array) {
            let constants: Vec<&Value> = alternatives
                .iter()
                .filter_map(|alt| alt.get("const"))
                .collect();
            if constants.len() == alternatives.len() {
                return format!("one of {}", join_values(constants.into_iter()));
            }
            return alternatives
                .iter()
                .map(|alternative| describe(alternative, defs))
                .collect::<Vec<_>>()
                .join(" or ");
        }
    }
    let base = match schema.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    };
    if let Some(items) = schema.get("items") {
        return format!("{base} of {}", describe(items, defs))
            .replace("array or null of", "array (or null) of");
    }
    if let Some(values) = schema
        .get("additionalProperties")
        .filter(|values| values.is_object())
    {
        return format!("map of {}", describe(values, defs));
    }
    match schema.get("format").and_then(Value::as_str) {
        Some("uuid") => format!("{base} (uuid)"),
        _ => base,
    }
}

fn join_values<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    values.map(Value::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::wazo::voicemails::UserVoicemailMessage;

    #[test]
    fn nested_fields_types_and_requirements_come_from_the_schema() {
        let schema = schemars::schema_for!(UserVoicemailMessage);
        let fields = fields(schema.as_value());
        let field = |path: &str| {
            fields
                .iter()
                .find(|field| field.path == path)
                .unwrap()
                .clone()
        };
        assert_eq!(field("user_uuid").type_name, "string (uuid)");
        assert!(field("user_uuid").required);
        assert_eq!(field("message").type_name, "object (VoicemailMessage)");
        assert_eq!(
            field("message.folder.type").type_name,
            r#"one of "new", "old", "urgent", "other""#
        );
        assert_eq!(
            field("message.duration").description,
            "The length of the message in seconds."
        );
    }
}
