//! Checking Phone.com v2 events.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::schema_check::CompiledSchema;
use super::violation::{Dialect, Report, Violation, json_type};
use crate::catalog::phonecom::{self, DataType, Envelope};

/// Whether `message` looks like a Phone.com event.
pub(crate) fn looks_like_phonecom(message: &Map<String, Value>) -> bool {
    [
        "data_type",
        "listener_id",
        "data_object_uuid",
        "timestamp_ns",
    ]
    .iter()
    .any(|key| message.contains_key(*key))
}

/// Checks a Phone.com v2 event.
pub fn check_phonecom(message: &Value) -> Report {
    let mut report = Report {
        dialect: Some(Dialect::Phonecom),
        ..Report::default()
    };
    let Value::Object(event) = message else {
        report.violations.push(Violation::NotAnObject {
            path: "/".into(),
            found: json_type(message).into(),
        });
        return report;
    };
    let schemas = schemas();
    let schema = match event.get("data_type") {
        Some(Value::String(name)) => {
            report.event = Some(name.clone());
            match phonecom::data_type(name) {
                Some(entry) => &schemas.by_type[&entry.data_type],
                None => {
                    report.violations.push(Violation::UnknownDataType {
                        path: "/data_type".into(),
                        data_type: name.clone(),
                    });
                    &schemas.any_data
                }
            }
        }
        // Missing or mistyped: the envelope schema reports it.
        _ => &schemas.any_data,
    };
    report.violations.extend(
        schema
            .violations(message, "")
            .into_iter()
            .filter(|violation| !(report.event.is_some() && violation.path() == "/data_type")),
    );
    report
}

struct Schemas {
    by_type: HashMap<DataType, CompiledSchema>,
    /// The envelope with any `data`, for events whose data type is unknown.
    any_data: CompiledSchema,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas {
        by_type: phonecom::data_types()
            .iter()
            .map(|entry| {
                (
                    entry.data_type,
                    compile(&entry.envelope_schema(), entry.data_type.as_str()),
                )
            })
            .collect(),
        any_data: compile(&schemars::schema_for!(Envelope<Value>), "any data"),
    })
}

fn compile(schema: &schemars::Schema, what: &str) -> CompiledSchema {
    CompiledSchema::compile(schema).unwrap_or_else(|error| {
        panic!("the derived Phone.com schema for {what} does not compile: {error}")
    })
}
