//! What the checker reports: one [`Violation`] per departure from the contract.

use std::fmt;

use serde::Serialize;

/// How one message departs from the documentation. Paths are JSON pointers into
/// the message as given (`/body/data/user_uuid` for a Wazo record, `/data/…` for
/// a bare envelope); `/` is the message itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// The message (or a part that must be an object) is not a JSON object.
    NotAnObject { path: String, found: String },
    /// Neither a Wazo envelope or record nor a Phone.com event.
    UnrecognisedMessage,
    /// The event name is not in the documentation.
    UnknownEvent {
        path: String,
        name: String,
        /// The profile that does not know it.
        profile: crate::catalog::wazo::Profile,
    },
    /// The changelog says the event was deleted.
    RemovedEvent {
        path: String,
        name: String,
        removed_in: String,
    },
    /// The Phone.com `data_type` is not documented.
    UnknownDataType { path: String, data_type: String },
    /// The routing key does not match the event's template, or disagrees with the data.
    RoutingKeyMismatch {
        path: String,
        template: String,
        found: String,
        reason: String,
    },
    /// The `required_acl` does not match the event's template, or disagrees with the data.
    AclMismatch {
        path: String,
        template: String,
        found: String,
        reason: String,
    },
    /// An AMQP header is missing or disagrees with the body.
    HeaderMismatch {
        path: String,
        expected: String,
        found: Option<String>,
    },
    /// A required field is absent.
    MissingField { path: String },
    /// A field the documentation does not have.
    UnexpectedField { path: String },
    /// A field of the wrong JSON type.
    WrongType {
        path: String,
        expected: String,
        found: String,
    },
    /// A field of the right type with a value the documentation does not allow.
    InvalidValue { path: String, reason: String },
}

impl Violation {
    /// The JSON pointer the violation is about (`/` for the whole message).
    pub fn path(&self) -> &str {
        match self {
            Violation::UnrecognisedMessage => "/",
            Violation::NotAnObject { path, .. }
            | Violation::UnknownEvent { path, .. }
            | Violation::RemovedEvent { path, .. }
            | Violation::UnknownDataType { path, .. }
            | Violation::RoutingKeyMismatch { path, .. }
            | Violation::AclMismatch { path, .. }
            | Violation::HeaderMismatch { path, .. }
            | Violation::MissingField { path }
            | Violation::UnexpectedField { path }
            | Violation::WrongType { path, .. }
            | Violation::InvalidValue { path, .. } => path,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::NotAnObject { path, found } => {
                write!(f, "{path}: expected a JSON object, found {found}")
            }
            Violation::UnrecognisedMessage => f.write_str(
                "/: neither a Wazo envelope ({name, origin_uuid, data}) or record ({routing_key, headers, body}) nor a Phone.com v2 event",
            ),
            Violation::UnknownEvent {
                path,
                name,
                profile,
            } => write!(
                f,
                "{path}: unknown event `{name}`: {} has no such event",
                profile.authority()
            ),
            Violation::RemovedEvent {
                path,
                name,
                removed_in,
            } => write!(f, "{path}: event `{name}` was removed in {removed_in}"),
            Violation::UnknownDataType { path, data_type } => write!(
                f,
                "{path}: unknown data_type `{data_type}`: expected call, message, call-log, recording or api-error"
            ),
            Violation::RoutingKeyMismatch {
                path,
                template,
                found,
                reason,
            } => write!(
                f,
                "{path}: routing key `{found}` does not match the template `{template}`: {reason}"
            ),
            Violation::AclMismatch {
                path,
                template,
                found,
                reason,
            } => write!(
                f,
                "{path}: required_acl `{found}` does not match the template `{template}`: {reason}"
            ),
            Violation::HeaderMismatch { path, expected, found } => match found {
                Some(found) => write!(f, "{path}: header is {found}, expected {expected}"),
                None => write!(f, "{path}: header is missing, expected {expected}"),
            },
            Violation::MissingField { path } => write!(f, "{path}: required field is missing"),
            Violation::UnexpectedField { path } => {
                write!(f, "{path}: unexpected field, the documentation does not have it")
            }
            Violation::WrongType { path, expected, found } => {
                write!(f, "{path}: expected {expected}, found {found}")
            }
            Violation::InvalidValue { path, reason } => write!(f, "{path}: {reason}"),
        }
    }
}

/// Which document a message was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Wazo,
    Phonecom,
}

/// The outcome of checking one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Report {
    /// The document the message was checked against, when it could be told.
    pub dialect: Option<Dialect>,
    /// The event name (Wazo) or data type (Phone.com), when the message has one.
    pub event: Option<String>,
    /// Every departure from the contract, in the order found.
    pub violations: Vec<Violation>,
    /// The Wazo profile the message was checked against (the one it
    /// matched best, with `--profile auto`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::catalog::wazo::Profile>,
    /// With `--profile auto`: where the message departs from the other profile.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub departures: Vec<String>,
}

impl Report {
    /// Whether the message conforms.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let event = self.event.as_deref().unwrap_or("message");
        if self.violations.is_empty() {
            write!(f, "{event}: conforms")?;
        } else {
            write!(f, "{event}: {} violation(s)", self.violations.len())?;
            for violation in &self.violations {
                write!(f, "\n  {violation}")?;
            }
        }
        if let (Some(profile), false) = (self.profile, self.departures.is_empty()) {
            write!(
                f,
                "\n  matches {}; departs from {}: {}",
                profile.authority(),
                profile.other().authority(),
                self.departures.join("; ")
            )?;
        }
        Ok(())
    }
}

/// The JSON type of a value, as the messages say it.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(number) if number.is_f64() => "a number",
        serde_json::Value::Number(_) => "an integer",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
