//! Routing-key, ACL and header templates such as `auth.tenants.{tenant_uuid}.created`.
//!
//! The documentation writes every routing key and ACL as a dotted template whose
//! `{placeholders}` stand for values of the message. A [`Template`] keeps that text
//! verbatim and says where each placeholder's value lives in the envelope (a JSON
//! pointer, `/data/<placeholder>` unless bound elsewhere), so the same object can
//! *render* the key a message must carry and *match* a key a message did carry,
//! pointing at the segment that differs.

use std::fmt;

use serde_json::Value;

/// A dotted template with `{placeholder}` parts, each bound to a value of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    text: &'static str,
    bindings: &'static [(&'static str, &'static str)],
}

/// Why a template could not be rendered from a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The value a placeholder stands for is absent (or null) in the message.
    #[error("template `{template}` needs `{placeholder}` from {pointer}, which is missing or null")]
    Missing {
        template: &'static str,
        placeholder: String,
        pointer: String,
    },
    /// The value is an object or an array, which cannot be written in a routing key.
    #[error(
        "template `{template}` needs `{placeholder}` from {pointer}, which is not a string, number or boolean"
    )]
    NotScalar {
        template: &'static str,
        placeholder: String,
        pointer: String,
    },
}

/// How a concrete key departs from a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The key has a different number of dot-separated segments.
    SegmentCount { expected: usize, found: usize },
    /// One segment (counted from 1) differs from the literal the template wants, or
    /// is empty where the template has a placeholder.
    Segment {
        position: usize,
        expected: String,
        found: String,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::SegmentCount { expected, found } => {
                write!(f, "it has {found} segments, the template has {expected}")
            }
            Mismatch::Segment {
                position,
                expected,
                found,
            } => write!(
                f,
                "segment {position} is `{found}` where the template has `{expected}`"
            ),
        }
    }
}

/// One part of a template segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

impl Template {
    /// A template whose placeholders all name fields of `data`.
    pub const fn new(text: &'static str) -> Self {
        Template {
            text,
            bindings: &[],
        }
    }

    /// The same template with some placeholders bound to other places of the envelope
    /// (JSON pointers from the envelope root, e.g. `("tenant_uuid", "/data/uuid")`).
    pub const fn bind(self, bindings: &'static [(&'static str, &'static str)]) -> Self {
        Template {
            text: self.text,
            bindings,
        }
    }

    /// The template as documented, placeholders included.
    pub fn as_str(&self) -> &'static str {
        self.text
    }

    /// The placeholder names, in order of appearance.
    pub fn placeholders(&self) -> Vec<&'static str> {
        parts(self.text)
            .into_iter()
            .filter_map(|part| match part {
                Part::Placeholder(name) => Some(name),
                Part::Literal(_) => None,
            })
            .collect()
    }

    /// Where the value of `placeholder` lives in the envelope, as a JSON pointer.
    pub fn pointer(&self, placeholder: &str) -> String {
        self.bindings
            .iter()
            .find(|(name, _)| *name == placeholder)
            .map(|(_, pointer)| (*pointer).to_owned())
            .unwrap_or_else(|| format!("/data/{placeholder}"))
    }

    /// The top-level fields of `data` the template reads, in order of
    /// appearance (`user_uuid` for `events.calls.{user_uuid}`, `uuid` for a
    /// placeholder bound to `/data/uuid`). Placeholders bound outside `data`
    /// (`/name`) name no field.
    pub fn data_fields(&self) -> impl Iterator<Item = &'static str> + 'static {
        let bindings = self.bindings;
        parts(self.text).into_iter().filter_map(move |part| {
            let Part::Placeholder(name) = part else {
                return None;
            };
            match bindings.iter().find(|(bound, _)| *bound == name) {
                Some((_, pointer)) => pointer.strip_prefix("/data/")?.split('/').next(),
                None => Some(name),
            }
        })
    }

    /// Renders the template with the values found in `envelope` (`{name, data, …}`).
    pub fn render(&self, envelope: &Value) -> Result<String, RenderError> {
        let mut rendered = String::with_capacity(self.text.len() + 32);
        for part in parts(self.text) {
            match part {
                Part::Literal(text) => rendered.push_str(text),
                Part::Placeholder(name) => rendered.push_str(&self.value_of(name, envelope)?),
            }
        }
        Ok(rendered)
    }

    /// Renders the template as wazo-bus formats its routing keys and ACLs
    /// (`resources/common/abstract.py`): string values escaped with
    /// [`escape`], a missing or null value written `None` (Python's
    /// `str(None)`), booleans `True`/`False`, numbers as digits.
    pub fn render_as_wazo_bus(&self, envelope: &Value) -> Result<String, RenderError> {
        let mut rendered = String::with_capacity(self.text.len() + 32);
        for part in parts(self.text) {
            match part {
                Part::Literal(text) => rendered.push_str(text),
                Part::Placeholder(name) => {
                    rendered.push_str(&self.value_as_wazo_bus(name, envelope)?);
                }
            }
        }
        Ok(rendered)
    }

    /// The value one placeholder takes in `envelope`, as wazo-bus writes it.
    pub fn value_as_wazo_bus(
        &self,
        placeholder: &str,
        envelope: &Value,
    ) -> Result<String, RenderError> {
        match self.find(placeholder, envelope) {
            None | Some(Value::Null) => Ok("None".to_owned()),
            Some(Value::String(text)) => Ok(escape(text)),
            Some(Value::Bool(true)) => Ok("True".to_owned()),
            Some(Value::Bool(false)) => Ok("False".to_owned()),
            Some(Value::Number(number)) => Ok(number.to_string()),
            Some(Value::Array(_) | Value::Object(_)) => Err(RenderError::NotScalar {
                template: self.text,
                placeholder: placeholder.to_owned(),
                pointer: self.pointer(placeholder),
            }),
        }
    }

    /// The value one placeholder takes in `envelope`, written as in a routing key.
    pub fn value_of(&self, placeholder: &str, envelope: &Value) -> Result<String, RenderError> {
        match self.find(placeholder, envelope) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(Value::Number(number)) => Ok(number.to_string()),
            Some(Value::Bool(flag)) => Ok(flag.to_string()),
            None | Some(Value::Null) => Err(RenderError::Missing {
                template: self.text,
                placeholder: placeholder.to_owned(),
                pointer: self.pointer(placeholder),
            }),
            Some(Value::Array(_) | Value::Object(_)) => Err(RenderError::NotScalar {
                template: self.text,
                placeholder: placeholder.to_owned(),
                pointer: self.pointer(placeholder),
            }),
        }
    }

    /// The value at [`Template::pointer`] in `envelope`. An unbound
    /// placeholder, the common case, is looked up as a field of `data`
    /// directly: this runs for every message the load generator renders, and
    /// building and resolving a pointer string costs more than the lookup.
    fn find<'v>(&self, placeholder: &str, envelope: &'v Value) -> Option<&'v Value> {
        match self.bindings.iter().find(|(name, _)| *name == placeholder) {
            Some((_, pointer)) => envelope.pointer(pointer),
            None => envelope.get("data")?.get(placeholder),
        }
    }

    /// Matches a concrete key against the template's shape: literal segments must be
    /// equal, placeholder segments non-empty. Returns each placeholder with the value
    /// the key gives it.
    pub fn matches(&self, concrete: &str) -> Result<Vec<(&'static str, String)>, Mismatch> {
        let expected: Vec<&'static str> = self.text.split('.').collect();
        let found: Vec<&str> = concrete.split('.').collect();
        if expected.len() != found.len() {
            return Err(Mismatch::SegmentCount {
                expected: expected.len(),
                found: found.len(),
            });
        }
        let mut captures = Vec::new();
        for (index, (template_segment, segment)) in expected.iter().zip(&found).enumerate() {
            match match_segment(template_segment, segment) {
                Some(mut captured) => captures.append(&mut captured),
                None => {
                    return Err(Mismatch::Segment {
                        position: index + 1,
                        expected: (*template_segment).to_owned(),
                        found: (*segment).to_owned(),
                    });
                }
            }
        }
        Ok(captures)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

/// A routing-key or ACL part as wazo-bus escapes it (`routing_key.py`,
/// `acl.py`): `.` → `__DOT__`, `#` → `__HASH__`, `*` → `__STAR__`, so a
/// value never adds words or wildcards (fax id `1455117604.42` →
/// `1455117604__DOT__42`).
pub fn escape(part: &str) -> String {
    part.replace('.', "__DOT__")
        .replace('#', "__HASH__")
        .replace('*', "__STAR__")
}

/// Splits a template into literal and `{placeholder}` parts. An unclosed `{` is literal.
fn parts(text: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|offset| open + offset) else {
            break;
        };
        if open > 0 {
            parts.push(Part::Literal(&rest[..open]));
        }
        parts.push(Part::Placeholder(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    parts
}

/// Matches one segment. A segment holds at most one placeholder, with an optional
/// literal prefix and suffix (`user_uuid:{initiator}`); the placeholder takes a
/// non-empty value.
fn match_segment(
    template_segment: &'static str,
    segment: &str,
) -> Option<Vec<(&'static str, String)>> {
    match parts(template_segment).as_slice() {
        [] => segment.is_empty().then(Vec::new),
        [Part::Literal(literal)] => (*literal == segment).then(Vec::new),
        template_parts => {
            let (prefix, name, suffix) = match template_parts {
                [Part::Placeholder(name)] => ("", *name, ""),
                [Part::Literal(prefix), Part::Placeholder(name)] => (*prefix, *name, ""),
                [Part::Placeholder(name), Part::Literal(suffix)] => ("", *name, *suffix),
                [
                    Part::Literal(prefix),
                    Part::Placeholder(name),
                    Part::Literal(suffix),
                ] => (*prefix, *name, *suffix),
                _ => return None,
            };
            let value = segment.strip_prefix(prefix)?.strip_suffix(suffix)?;
            (!value.is_empty()).then(|| vec![(name, value.to_owned())])
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TENANT: Template =
        Template::new("auth.tenants.{tenant_uuid}.created").bind(&[("tenant_uuid", "/data/uuid")]);

    #[test]
    fn renders_from_bound_pointer() {
        let envelope = json!({"name": "auth_tenant_created", "data": {"uuid": "abc"}});
        assert_eq!(
            TENANT.render(&envelope).unwrap(),
            "auth.tenants.abc.created"
        );
    }

    #[test]
    fn renders_numbers_and_reports_missing_values() {
        let template = Template::new("conferences.{conference_id}.record");
        assert_eq!(
            template
                .render(&json!({"data": {"conference_id": 7}}))
                .unwrap(),
            "conferences.7.record"
        );
        assert_eq!(
            template.render(&json!({"data": {}})).unwrap_err(),
            RenderError::Missing {
                template: "conferences.{conference_id}.record",
                placeholder: "conference_id".into(),
                pointer: "/data/conference_id".into(),
            }
        );
    }

    #[test]
    fn names_the_data_fields_it_reads() {
        let fields: Vec<&str> = TENANT.data_fields().collect();
        assert_eq!(fields, ["uuid"]);
        let header = Template::new("user_uuid:{initiator}.{id}");
        assert_eq!(
            header.data_fields().collect::<Vec<_>>(),
            ["initiator", "id"]
        );
        let ami = Template::new("ami.{event_name}").bind(&[("event_name", "/name")]);
        assert_eq!(ami.data_fields().count(), 0);
    }

    #[test]
    fn matches_and_captures_placeholders() {
        assert_eq!(
            TENANT.matches("auth.tenants.abc.created").unwrap(),
            vec![("tenant_uuid", "abc".to_owned())]
        );
    }

    #[test]
    fn reports_the_segment_that_differs() {
        assert_eq!(
            TENANT.matches("auth.tenants.abc.deleted").unwrap_err(),
            Mismatch::Segment {
                position: 4,
                expected: "created".into(),
                found: "deleted".into()
            }
        );
        assert_eq!(
            TENANT.matches("auth.tenants..created").unwrap_err(),
            Mismatch::Segment {
                position: 3,
                expected: "{tenant_uuid}".into(),
                found: String::new()
            }
        );
        assert_eq!(
            TENANT.matches("auth.tenants.created").unwrap_err(),
            Mismatch::SegmentCount {
                expected: 4,
                found: 3
            }
        );
    }

    #[test]
    fn placeholders_inside_a_segment() {
        let header = Template::new("user_uuid:{initiator}");
        assert_eq!(
            header
                .render(&json!({"data": {"initiator": "u1"}}))
                .unwrap(),
            "user_uuid:u1"
        );
        assert_eq!(
            header.matches("user_uuid:u1").unwrap(),
            vec![("initiator", "u1".to_owned())]
        );
        assert!(header.matches("user:u1").is_err());
        assert_eq!(header.placeholders(), vec!["initiator"]);
    }
}
