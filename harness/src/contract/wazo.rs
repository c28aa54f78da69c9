//! Checking Wazo messages: a bare envelope, or a record `{routing_key?, headers?, body}`,
//! against one profile (the document, or current Wazo) or both.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::profile_schema;
use super::schema_check::{CompiledSchema, escape, join};
use super::violation::{Dialect, Report, Violation, json_type};
use crate::catalog::template::Template;
use crate::catalog::wazo::current::Audience;
use crate::catalog::wazo::{self, EventEntry, Lookup, Profile, Wording};

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

/// Against which profile to check a Wazo message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileChoice {
    /// Each message against the profile it matches best; the report says
    /// which, and where it departs from the other.
    #[default]
    Auto,
    /// Only the document.
    Documented,
    /// Only current Wazo.
    Wazo,
}

impl From<Profile> for ProfileChoice {
    fn from(profile: Profile) -> Self {
        match profile {
            Profile::Documented => ProfileChoice::Documented,
            Profile::Wazo => ProfileChoice::Wazo,
        }
    }
}

/// Checks a Wazo message against the document.
pub fn check_wazo(message: &Value) -> Report {
    check_wazo_as(message, Profile::Documented)
}

/// Checks a Wazo message as `choice` says.
pub fn check_wazo_with(message: &Value, choice: ProfileChoice) -> Report {
    match choice {
        ProfileChoice::Documented => check_wazo_as(message, Profile::Documented),
        ProfileChoice::Wazo => check_wazo_as(message, Profile::Wazo),
        ProfileChoice::Auto => check_wazo_auto(message),
    }
}

/// Checks a Wazo message against both profiles and keeps the report of the
/// one it matches best (fewer violations; on a tie, the one its body's
/// shape belongs to), with the other's departures in words.
pub fn check_wazo_auto(message: &Value) -> Report {
    let documented = check_wazo_as(message, Profile::Documented);
    let current = check_wazo_as(message, Profile::Wazo);
    let prefer_current = match current.violations.len().cmp(&documented.violations.len()) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => has_wazo_bus_body(message),
    };
    let (mut best, other) = if prefer_current {
        (current, documented)
    } else {
        (documented, current)
    };
    best.departures = departures(&best, &other);
    best
}

/// Whether the body carries the headers wazo-bus copies into it.
fn has_wazo_bus_body(message: &Value) -> bool {
    let body = message.get("body").unwrap_or(message);
    body.get("required_access").is_some() || body.get("timestamp").is_some()
}

/// Where a message departs from the profile it did not match, in words.
fn departures(best: &Report, other: &Report) -> Vec<String> {
    let (Some(profile), Some(other_profile)) = (best.profile, other.profile) else {
        return Vec::new();
    };
    let mut said = Vec::new();
    if let Some(event) = &best.event {
        let row = match profile {
            Profile::Wazo => wazo::current::by_name(event),
            Profile::Documented => wazo::current::by_documented_name(event),
        };
        let other_name = row.and_then(|row| match other_profile {
            Profile::Documented => row.documented,
            Profile::Wazo => Some(row.name),
        });
        match other_name {
            Some(name) if name != event => said.push(format!(
                "name {event}, {} says {name}",
                other_profile.authority()
            )),
            None if profile == Profile::Wazo => {
                said.push(format!("{event} is not in {}", other_profile.authority()))
            }
            _ => {}
        }
    }
    const SHOWN: usize = 5;
    said.extend(
        other
            .violations
            .iter()
            .filter(|violation| !matches!(violation, Violation::UnknownEvent { .. }))
            .take(SHOWN)
            .map(ToString::to_string),
    );
    if other.violations.len() > SHOWN {
        said.push(format!("… and {} more", other.violations.len() - SHOWN));
    }
    said
}

/// Checks a Wazo message — a record `{routing_key?, headers?, body}` or a
/// bare envelope — against one profile.
pub fn check_wazo_as(message: &Value, profile: Profile) -> Report {
    let mut report = Report {
        dialect: Some(Dialect::Wazo),
        profile: Some(profile),
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
        check_record(object, profile, &mut report);
    } else {
        check_envelope(message, "", None, None, profile, &mut report);
    }
    report
}

fn check_record(record: &Map<String, Value>, profile: Profile, report: &mut Report) {
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
    check_envelope(body, "/body", routing_key, headers, profile, report);
}

fn check_envelope(
    body: &Value,
    prefix: &str,
    routing_key: Option<&str>,
    headers: Option<&Map<String, Value>>,
    profile: Profile,
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
    let entry = match wazo::lookup_in(profile, name) {
        Lookup::Documented(entry) | Lookup::Ami(entry) => entry,
        Lookup::Removed(removed) => {
            report.violations.push(Violation::RemovedEvent {
                path: name_path,
                name: name.to_owned(),
                removed_in: removed.removed_in.to_owned(),
            });
            return;
        }
        Lookup::RemovedFromWazo(_) => {
            report.violations.push(Violation::RemovedEvent {
                path: name_path,
                name: name.to_owned(),
                removed_in: "wazo-bus (2019), no current daemon publishes it".to_owned(),
            });
            return;
        }
        Lookup::Unknown => {
            report.violations.push(Violation::UnknownEvent {
                path: name_path,
                name: name.to_owned(),
                profile,
            });
            return;
        }
    };
    // `lookup_in` found the entry for this profile, so the wording exists.
    let Some(wording) = Wording::of(entry.spec, profile) else {
        return;
    };
    report
        .violations
        .extend(schema_for(entry, &wording).violations(body, prefix));
    if let Some(routing_key) = routing_key
        && let Some(reason) = disagreement(&wording.routing_key, routing_key, body, profile)
    {
        report.violations.push(Violation::RoutingKeyMismatch {
            path: "/routing_key".into(),
            template: wording.routing_key.as_str().into(),
            found: routing_key.into(),
            reason,
        });
    }
    check_acl(&wording, envelope, body, prefix, report);
    if profile == Profile::Wazo {
        check_wazo_bus_body(&wording, envelope, body, prefix, report);
    }
    if let Some(headers) = headers {
        check_headers(&wording, headers, envelope, body, report);
    }
}

/// `required_acl`: optional in the document (the envelope section says so,
/// and several examples omit it), always there for wazo-bus (null allowed);
/// when a string, it must match the template.
fn check_acl(
    wording: &Wording,
    envelope: &Map<String, Value>,
    body: &Value,
    prefix: &str,
    report: &mut Report,
) {
    let (Some(template), Some(acl)) = (wording.required_acl, envelope.get("required_acl")) else {
        return;
    };
    let path = format!("{prefix}/required_acl");
    let reason = match acl {
        // A wrong type is reported by the schema check.
        Value::String(acl) => disagreement(&template, acl, body, wording.profile),
        Value::Null if wording.profile == Profile::Documented => {
            Some("it is null, so no websocket client may receive the event".into())
        }
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

/// What wazo-bus's body always says of itself: `required_access` names the
/// event, the audience flags fit its base class, attributes equal the data
/// they come from.
fn check_wazo_bus_body(
    wording: &Wording,
    envelope: &Map<String, Value>,
    body: &Value,
    prefix: &str,
    report: &mut Report,
) {
    if let (Some(Value::String(name)), Some(Value::String(access))) =
        (envelope.get("name"), envelope.get("required_access"))
        && access != &format!("event.{name}")
    {
        report.violations.push(Violation::InvalidValue {
            path: format!("{prefix}/required_access"),
            reason: format!("`{access}` should be `event.{name}`"),
        });
    }
    let everyone = envelope.contains_key("user_uuid:*");
    let users = envelope
        .keys()
        .filter(|key| key.starts_with("user_uuid:") && key.as_str() != "user_uuid:*")
        .count();
    let audience = wording.audience.unwrap_or(Audience::Service);
    let problem = match audience {
        Audience::Service if everyone || users > 0 || envelope.contains_key("tenant_uuid") => {
            Some("a service event carries no tenant_uuid nor user_uuid:… flags")
        }
        Audience::Tenant if !everyone => Some("a tenant event carries user_uuid:* = true"),
        Audience::Tenant if users > 0 => Some("a tenant event carries no user_uuid:<uuid> flag"),
        Audience::User if everyone => Some("a user event carries no user_uuid:* flag"),
        Audience::User if users > 1 => Some("a user event carries one user_uuid:<uuid> flag"),
        Audience::MultiUser if everyone => Some("a multi-user event carries no user_uuid:* flag"),
        _ => None,
    };
    if let Some(problem) = problem {
        report.violations.push(Violation::InvalidValue {
            path: join(prefix, ""),
            reason: format!("{problem} ({audience:?} audience in wazo-bus)"),
        });
    }
    for attribute in wording.attributes {
        let expected = match attribute.value.strip_prefix('=') {
            Some(constant) => Some(Value::String(constant.to_owned())),
            None => body.pointer(attribute.value).cloned(),
        };
        if let (Some(expected), Some(found)) = (expected, envelope.get(attribute.header))
            && &expected != found
        {
            report.violations.push(Violation::InvalidValue {
                path: format!("{prefix}/{}", escape(attribute.header)),
                reason: format!("{found} should be {expected} (from {})", attribute.value),
            });
        }
    }
}

/// The headers of a record. The document: `name`, `origin_uuid` and
/// `required_acl` agree with the body when present, the documented headers
/// are there and `true`. Current Wazo: every header is copied into the
/// body, so each header equals the body's key of the same name and each of
/// the body's keys but `data` is a header.
fn check_headers(
    wording: &Wording,
    headers: &Map<String, Value>,
    envelope: &Map<String, Value>,
    body: &Value,
    report: &mut Report,
) {
    match wording.profile {
        Profile::Documented => {
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
        }
        Profile::Wazo => {
            for (key, value) in envelope.iter().filter(|(key, _)| key.as_str() != "data") {
                let found = headers.get(key);
                if found != Some(value) {
                    report.violations.push(Violation::HeaderMismatch {
                        path: format!("/headers/{}", escape(key)),
                        expected: format!("{value} (as in the body)"),
                        found: found.map(Value::to_string),
                    });
                }
            }
            for key in headers.keys().filter(|key| !envelope.contains_key(*key)) {
                report.violations.push(Violation::HeaderMismatch {
                    path: format!("/headers/{}", escape(key)),
                    expected: "the same key in the body (wazo-bus copies every header)".into(),
                    found: headers.get(key).map(Value::to_string),
                });
            }
        }
    }
    for template in wording.true_headers {
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
fn disagreement(
    template: &Template,
    concrete: &str,
    body: &Value,
    profile: Profile,
) -> Option<String> {
    let captures = match template.matches(concrete) {
        Ok(captures) => captures,
        Err(mismatch) => return Some(mismatch.to_string()),
    };
    captures.into_iter().find_map(|(placeholder, found)| {
        // When the field is missing the schema check reports it; nothing to compare.
        let expected = match profile {
            Profile::Documented => template.value_of(placeholder, body).ok()?,
            Profile::Wazo => template.value_as_wazo_bus(placeholder, body).ok()?,
        };
        (expected != found).then(|| {
            format!(
                "{{{placeholder}}} is `{found}` but {} is `{expected}`",
                template.pointer(placeholder)
            )
        })
    })
}

/// The compiled body schema of an entry in a profile, compiled once per process.
fn schema_for(entry: &EventEntry, wording: &Wording) -> &'static CompiledSchema {
    type Schemas = HashMap<(&'static str, Profile), CompiledSchema>;
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        let mut schemas = Schemas::new();
        for entry in wazo::all_entries().chain([wazo::ami::entry()]) {
            for profile in Profile::ALL {
                if let Some(wording) = Wording::of(entry.spec, profile) {
                    schemas.insert((entry.name(), profile), compile(entry, &wording));
                }
            }
        }
        schemas
    });
    &schemas[&(entry.name(), wording.profile)]
}

fn compile(entry: &EventEntry, wording: &Wording) -> CompiledSchema {
    let schema = schemars::Schema::try_from(profile_schema::body_schema(entry, wording))
        .unwrap_or_else(|_| {
            panic!(
                "the {} schema of `{}` is not an object",
                wording.profile,
                entry.name()
            )
        });
    CompiledSchema::compile(&schema).unwrap_or_else(|error| {
        panic!(
            "the derived {} schema of `{}` does not compile: {error}",
            wording.profile,
            entry.name()
        )
    })
}
