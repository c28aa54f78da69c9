//! The contract checker: how a message departs from the documentation.
//!
//! Every check is derived from the catalog: event names and templates from the
//! specs, fields from the JSON Schemas schemars derives from the Rust types. Use
//! [`check`] when a message may be of either platform, [`check_wazo`] or
//! [`check_phonecom`] when you know which.
//!
//! ```
//! use serde_json::json;
//! use switchboard::contract::{self, Violation};
//!
//! let report = contract::check(&json!({
//!     "routing_key": "calls.hold.created",
//!     "body": {"name": "call_held", "origin_uuid": "ca7f87e9-c2c8-5fad-ba1b-c3140ebb9be3",
//!              "data": {"call_id": 1465572129}}
//! }));
//! assert_eq!(report.violations, vec![Violation::WrongType {
//!     path: "/body/data/call_id".into(),
//!     expected: "a string".into(),
//!     found: "an integer".into(),
//! }]);
//! ```

use serde::Serialize;
use serde_json::Value;

mod input;
mod phonecom;
mod profile_schema;
mod schema_check;
mod violation;
mod wazo;

pub use input::{Input, InputError, InputMessage, Skipped, parse_input, parse_messages};
pub use phonecom::check_phonecom;
pub use profile_schema::body_schema;
pub use violation::{Dialect, Report, Violation};
pub use wazo::{ProfileChoice, check_wazo, check_wazo_as, check_wazo_auto, check_wazo_with};

/// Which document to check messages against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DialectChoice {
    /// Tell from the message's keys: `data_type`/`listener_id`… for Phone.com,
    /// `body`/`name`/`origin_uuid` for Wazo.
    #[default]
    Auto,
    Wazo,
    Phonecom,
}

/// Checks a message of either platform, telling which from its keys.
pub fn check(message: &Value) -> Report {
    check_as(message, DialectChoice::Auto)
}

/// Checks a message against the chosen document (Wazo messages against the document).
pub fn check_as(message: &Value, dialect: DialectChoice) -> Report {
    check_with(message, dialect, ProfileChoice::Documented)
}

/// Checks a message against the chosen document, Wazo messages against the
/// chosen profile.
pub fn check_with(message: &Value, dialect: DialectChoice, profile: ProfileChoice) -> Report {
    match dialect {
        DialectChoice::Wazo => check_wazo_with(message, profile),
        DialectChoice::Phonecom => check_phonecom(message),
        DialectChoice::Auto => match message {
            Value::Object(object) if phonecom::looks_like_phonecom(object) => {
                check_phonecom(message)
            }
            Value::Object(object) if wazo::looks_like_wazo(object) => {
                check_wazo_with(message, profile)
            }
            Value::Object(_) => Report {
                violations: vec![Violation::UnrecognisedMessage],
                ..Report::default()
            },
            other => Report {
                violations: vec![Violation::NotAnObject {
                    path: "/".into(),
                    found: violation::json_type(other).into(),
                }],
                ..Report::default()
            },
        },
    }
}
