//! The JSON Schema of an event's body in one profile, derived from the
//! catalog's Rust types and patched by the profile's field facts.
//!
//! - `documented`: the envelope `{name, origin_uuid, required_acl?, data}`
//!   schemars derives, with `data` patched.
//! - `wazo`: the body wazo-bus writes, every header beside `data`: `name`,
//!   `origin_uuid`, `timestamp`, `required_access`, `required_acl`, the
//!   audience's `tenant_uuid` and `user_uuid:…` flags, the event's
//!   attributes (`conference_id` …), and `data` patched.
//!
//! A fact names a field of `data` by JSON pointer (`/message/voicemail`);
//! the walk follows `$ref`s and the `anyOf` schemars writes for an
//! optional struct, so nested fields are patched where they are defined.

use serde_json::{Map, Value, json};

use crate::catalog::wazo::current::{Audience, HeaderKind, Presence};
use crate::catalog::wazo::{EventEntry, Profile, Wording};

/// The schema of a whole body of `entry` as `wording` says it.
pub fn body_schema(entry: &EventEntry, wording: &Wording) -> Value {
    match wording.profile {
        Profile::Documented => {
            let mut envelope = entry.envelope_schema().to_value();
            if let Some(data) = resolve(&envelope, &["properties".into(), "data".into()]) {
                patch(&mut envelope, &data, wording);
            }
            envelope
        }
        Profile::Wazo => {
            let mut data = entry.data_schema().to_value();
            patch(&mut data, &[], wording);
            wazo_body(data, wording)
        }
    }
}

/// wazo-bus's body around a (patched) data schema.
fn wazo_body(mut data: Value, wording: &Wording) -> Value {
    let definitions = data
        .as_object_mut()
        .and_then(|data| data.remove("$defs"))
        .unwrap_or_else(|| json!({}));
    if let Some(data) = data.as_object_mut() {
        data.remove("$schema");
        data.remove("title");
    }
    let mut properties = Map::new();
    properties.insert("name".into(), json!({"type": "string"}));
    properties.insert(
        "origin_uuid".into(),
        json!({"type": ["string", "null"], "format": "uuid"}),
    );
    properties.insert("timestamp".into(), json!({"type": "string"}));
    properties.insert("required_access".into(), json!({"type": "string"}));
    properties.insert("required_acl".into(), json!({"type": ["string", "null"]}));
    let mut required = vec![
        "name",
        "origin_uuid",
        "timestamp",
        "required_access",
        "required_acl",
        "data",
    ];
    let addressed = wording
        .audience
        .is_some_and(|audience| audience != Audience::Service);
    if addressed {
        properties.insert(
            "tenant_uuid".into(),
            json!({"type": "string", "format": "uuid"}),
        );
        required.push("tenant_uuid");
    }
    for attribute in wording.attributes {
        let kind = match attribute.kind {
            HeaderKind::Int => json!({"type": "integer"}),
            HeaderKind::Text => json!({"type": "string"}),
        };
        properties.insert(attribute.header.into(), kind);
        required.push(attribute.header);
    }
    properties.insert("data".into(), data);
    let mut body = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("{} (Wazo {})", wording.name, crate::catalog::wazo::WAZO_RELEASE),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
        "$defs": definitions,
    });
    if addressed {
        body["patternProperties"] = json!({"^user_uuid:": {"const": true}});
    }
    body
}

/// Applies the wording's field facts to the data schema found at `base`
/// (a path of keys from the root) in `root`.
fn patch(root: &mut Value, base: &[String], wording: &Wording) {
    for fact in wording.fields {
        let Some((parent, key)) = fact.field.rsplit_once('/') else {
            continue;
        };
        let mut path = base.to_vec();
        let mut found = true;
        for segment in parent.split('/').filter(|segment| !segment.is_empty()) {
            path.extend(["properties".to_owned(), segment.to_owned()]);
            match resolve(root, &path) {
                Some(resolved) => path = resolved,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if found && let Some(object) = at_mut(root, &path).and_then(Value::as_object_mut) {
            apply(object, key, fact.presence(wording.profile));
        }
    }
}

/// One fact on the object schema holding the field.
fn apply(object: &mut Map<String, Value>, key: &str, presence: Presence) {
    let mut required: Vec<Value> = object
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    required.retain(|name| name != key);
    match presence {
        Presence::Absent => {
            if let Some(Value::Object(properties)) = object.get_mut("properties") {
                properties.shift_remove(key);
            }
        }
        Presence::Tolerated | Presence::Optional => {}
        Presence::Required => required.push(Value::String(key.to_owned())),
        Presence::RequiredNonNull => {
            required.push(Value::String(key.to_owned()));
            if let Some(Value::Object(properties)) = object.get_mut("properties")
                && let Some(property) = properties.get_mut(key)
            {
                forbid_null(property);
            }
        }
    }
    object.insert("required".into(), Value::Array(required));
}

/// Removes `null` from a property's accepted types.
fn forbid_null(property: &mut Value) {
    if let Some(Value::Array(types)) = property.get_mut("type") {
        types.retain(|kind| kind != "null");
    }
    if let Some(Value::Array(branches)) = property.get_mut("anyOf") {
        branches.retain(|branch| branch.get("type") != Some(&json!("null")));
    }
}

/// The path of the object schema that `path` stands for once its `$ref`
/// (and the `anyOf` of an optional struct) are followed.
fn resolve(root: &Value, path: &[String]) -> Option<Vec<String>> {
    let mut path = path.to_vec();
    for _ in 0..8 {
        let node = at(root, &path)?;
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            let name = reference.strip_prefix("#/$defs/")?;
            path = vec!["$defs".to_owned(), name.to_owned()];
            continue;
        }
        if let Some(Value::Array(branches)) = node.get("anyOf") {
            let index = branches
                .iter()
                .position(|branch| branch.get("$ref").is_some())?;
            path.extend(["anyOf".to_owned(), index.to_string()]);
            continue;
        }
        return Some(path);
    }
    None
}

fn at<'v>(root: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(root, |node, key| match node {
        Value::Object(object) => object.get(key),
        Value::Array(items) => items.get(key.parse::<usize>().ok()?),
        _ => None,
    })
}

fn at_mut<'v>(root: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(root, |node, key| match node {
        Value::Object(object) => object.get_mut(key),
        Value::Array(items) => items.get_mut(key.parse::<usize>().ok()?),
        _ => None,
    })
}
