//! Checking Wazo messages: a bare envelope, or a record `{routing_key?, headers?, body}`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::schema_check::{CompiledSchema, escape, join};
use super::violation::{Dialect, Report, Violation, json_type};
use crate::catalog::template::Template;
use crate::catalog::wazo::{self, EventEntry, Lookup};

/// The keys a record may have besides the envelope.
const RECORD_KEYS: &[&str] = &["routing_key", "headers", "body", "exchange"];

/// Whether `message` looks like a Wazo record (it has a `body`) rather than an envelope.
pub(crate) fn is_record(message: &Map<String, Value>) -> bool {
    message.contains_key("body")
}

/// Whether `message` looks like a Wazo envelope or record.
pub(crate) fn looks_like_wazo(message: &Map<String, Value>) -> bool {
    is_record(message) || message.contains_key("origin_uuid") || message.contains_key("name")
}

/// Checks a Wazo message: a record `{routing_key?, headers?, body}` or a bare envelope.
pub fn check_wazo(message: &Value) -> Report {
    let mut report = Report {
        dialect: Some(Dialect::Wazo),
        ..Report::default()
    };
    let Value::Object(object) = message else {
        report.violations.push(Violation::NotAnObject {
            path: "/".into(),
            found: json_type(message).into(),
        });
        return report;
    };
    if is_record(object) {
        check_record(object, &mut report);
    } else {
        check_envelope(message, "", None, None, &mut report);
    }
    report
}

fn check_record(record: &Map<String, Value>, report: &mut Report) {
    for key in record
        .keys()
        .filter(|key| !RECORD_KEYS.contains(&key.as_str()))
    {
        report.violations.push(Violation::UnexpectedField {
            path: format!("/{}", escape(key)),
        });
    }
    let routing_key = match record.get("routing_key") {
        None => None,
        Some(Value::String(key)) => Some(key.as_str()),
        Some(other) => {
            report.violations.push(Violation::WrongType {
                path: "/routing_key".into(),
                expected: "a string".into(),
                found: json_type(other).into(),
            });
            None
        }
    };
    let headers = match record.get("headers") {
        None => None,
        Some(Value::Object(headers)) => Some(headers),
        Some(other) => {
            report.violations.push(Violation::WrongType {
                path: "/headers".into(),
                expected: "an object".into(),
                found: json_type(other).into(),
            });
            None
        }
    };
    let body = record.get("body").unwrap_or(&Value::Null);
    check_envelope(body, "/body", routing_key, headers, report);
}

fn check_envelope(
    body: &Value,
    prefix: &str,
    routing_key: Option<&str>,
    headers: Option<&Map<String, Value>>,
    report: &mut Report,
) {
    let Value::Object(envelope) = body else {
        report.violations.push(Violation::NotAnObject {
            path: join(prefix, ""),
            found: json_type(body).into(),
        });
        return;
    };
    let name_path = format!("{prefix}/name");
    let name = match envelope.get("name") {
        Some(Value::String(name)) => name.as_str(),
        Some(other) => {
            report.violations.push(Violation::WrongType {
                path: name_path,
                expected: "a string".into(),
                found: json_type(other).into(),
            });
            return;
        }
        None => {
            report
                .violations
                .push(Violation::MissingField { path: name_path });
            return;
        }
    };
    report.event = Some(name.to_owned());
    let entry = match wazo::lookup(name) {
        Lookup::Documented(entry) | Lookup::Ami(entry) => entry,
        Lookup::Removed(removed) => {
            report.violations.push(Violation::RemovedEvent {
                path: name_path,
                name: name.to_owned(),
                removed_in: removed.removed_in.to_owned(),
            });
            return;
        }
        Lookup::Unknown => {
            report.violations.push(Violation::UnknownEvent {
                path: name_path,
                name: name.to_owned(),
            });
            return;
        }
    };
    report
        .violations
        .extend(schema_for(entry).violations(body, prefix));
    if let Some(routing_key) = routing_key
        && let Some(reason) = disagreement(&entry.spec.routing_key, routing_key, body)
    {
        report.violations.push(Violation::RoutingKeyMismatch {
            path: "/routing_key".into(),
            template: entry.spec.routing_key.as_str().into(),
            found: routing_key.into(),
            reason,
        });
    }
    check_acl(entry, envelope, body, prefix, report);
    if let Some(headers) = headers {
        check_headers(entry, headers, envelope, body, report);
    }
}

/// `required_acl` is optional (the envelope section says so, and several examples
/// omit it); when present it must match the documented template.
fn check_acl(
    entry: &EventEntry,
    envelope: &Map<String, Value>,
    body: &Value,
    prefix: &str,
    report: &mut Report,
) {
    let (Some(template), Some(acl)) = (entry.spec.required_acl, envelope.get("required_acl"))
    else {
        return;
    };
    let path = format!("{prefix}/required_acl");
    let reason = match acl {
        // A wrong type is reported by the schema check.
        Value::String(acl) => disagreement(&template, acl, body),
        Value::Null => Some("it is null, so no websocket client may receive the event".into()),
        _ => None,
    };
    if let Some(reason) = reason {
        report.violations.push(Violation::AclMismatch {
            path,
            template: template.as_str().into(),
            found: acl.as_str().map_or_else(|| acl.to_string(), str::to_owned),
            reason,
        });
    }
}

/// The headers of a record: `name`, `origin_uuid` and `required_acl` must agree with
/// the body when present; the event's documented headers must be there and `true`.
fn check_headers(
    entry: &EventEntry,
    headers: &Map<String, Value>,
    envelope: &Map<String, Value>,
    body: &Value,
    report: &mut Report,
) {
    for key in ["name", "origin_uuid", "required_acl"] {
        if let (Some(header), Some(value)) = (headers.get(key), envelope.get(key))
            && header != value
        {
            report.violations.push(Violation::HeaderMismatch {
                path: format!("/headers/{key}"),
                expected: format!("{value} (as in the body)"),
                found: Some(header.to_string()),
            });
        }
    }
    for template in entry.spec.headers {
        // A header whose value cannot be rendered is reported as a missing data field.
        let Ok(name) = template.render(body) else {
            continue;
        };
        let found = headers.get(&name);
        if found != Some(&Value::Bool(true)) {
            report.violations.push(Violation::HeaderMismatch {
                path: format!("/headers/{}", escape(&name)),
                expected: format!("true (template `{template}`)"),
                found: found.map(Value::to_string),
            });
        }
    }
}

/// Why `concrete` does not fit `template` for this message, if it does not: either
/// its shape differs, or a placeholder's value differs from the field it stands for.
fn disagreement(template: &Template, concrete: &str, body: &Value) -> Option<String> {
    let captures = match template.matches(concrete) {
        Ok(captures) => captures,
        Err(mismatch) => return Some(mismatch.to_string()),
    };
    captures.into_iter().find_map(|(placeholder, found)| {
        // When the field is missing the schema check reports it; nothing to compare.
        let expected = template.value_of(placeholder, body).ok()?;
        (expected != found).then(|| {
            format!(
                "{{{placeholder}}} is `{found}` but {} is `{expected}`",
                template.pointer(placeholder)
            )
        })
    })
}

/// The compiled envelope schema of an entry, compiled once per process.
fn schema_for(entry: &EventEntry) -> &'static CompiledSchema {
    static SCHEMAS: OnceLock<HashMap<&'static str, CompiledSchema>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        wazo::entries()
            .iter()
            .chain([wazo::ami::entry()])
            .map(|entry| (entry.name(), compile(entry)))
            .collect()
    });
    &schemas[entry.name()]
}

fn compile(entry: &EventEntry) -> CompiledSchema {
    CompiledSchema::compile(&entry.envelope_schema()).unwrap_or_else(|error| {
        panic!(
            "the derived schema of `{}` does not compile: {error}",
            entry.name()
        )
    })
}
