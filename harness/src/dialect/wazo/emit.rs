//! `emit`: any catalog event by name, its documented example with fields of
//! `data` overridden — the escape hatch for what no action models.
//!
//! The merged data goes through the event's Rust type (unknown or mistyped
//! fields are refused), so an `emit` cannot publish what the document does
//! not allow. Events the document shows no example for start from empty
//! data: every required field must then be given.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{RenderError, Renderer, ami};
use crate::catalog::wazo::{self, EventEntry, EventSpec, Lookup, WazoEvent};

/// An event whose data is held as JSON, already checked against its type.
struct DynamicEvent {
    spec: &'static EventSpec,
    data: Value,
}

impl WazoEvent for DynamicEvent {
    fn spec(&self) -> &'static EventSpec {
        self.spec
    }

    fn data_json(&self) -> Result<Value, serde_json::Error> {
        Ok(self.data.clone())
    }
}

/// Publishes `event` with `fields` over its example's data.
pub(super) fn emit(
    r: &mut Renderer<'_>,
    event: &str,
    fields: &Map<String, Value>,
) -> Result<(), RenderError> {
    let refuse = |reason: String| RenderError::Emit {
        step: r.step,
        event: event.to_owned(),
        reason,
    };
    // Current Wazo's names (`auth_tenant_added`) stand for the same events.
    let documented = wazo::current::by_name(event)
        .and_then(|row| row.documented)
        .unwrap_or(event);
    let entry = match wazo::lookup(documented) {
        // In the `wazo` profile an event Wazo dropped renders as nothing.
        Lookup::Documented(entry) | Lookup::RemovedFromWazo(entry) => entry,
        Lookup::Ami(_) => {
            let mut data = ami::ami_data(r, event, fields)?;
            data.entry("Event".to_owned())
                .or_insert_with(|| event.to_owned());
            let to = r.to_platform();
            return r.publish(
                &wazo::ami::AmiEvent {
                    name: event.to_owned(),
                    data,
                },
                to,
            );
        }
        Lookup::Removed(removed) => {
            return Err(refuse(format!(
                "the Wazo {} changelog removed it",
                removed.removed_in
            )));
        }
        Lookup::Unknown => {
            return Err(refuse(
                "the Wazo document has no such event (`switchboard catalog` lists them)".into(),
            ));
        }
    };
    let mut data = example_data(entry).cloned().unwrap_or_default();
    for (key, value) in fields {
        data.insert(key.clone(), value.clone());
    }
    let data = entry
        .decode_data(&Value::Object(data))
        .map_err(|cause| RenderError::EmitData {
            step: r.step,
            event: event.to_owned(),
            cause,
        })?;
    // The step says nothing of the audience: the platform's tenant, and
    // the event's own `user_uuid` when it has one.
    let mut to = r.to_platform();
    if let Some(user) = data
        .get("user_uuid")
        .and_then(Value::as_str)
        .and_then(|text| text.parse().ok())
    {
        to.users.push(user);
    }
    r.publish(
        &DynamicEvent {
            spec: entry.spec,
            data,
        },
        to,
    )
}

/// The `data` of an event's documented example, parsed once per process.
fn example_data(entry: &EventEntry) -> Option<&'static Map<String, Value>> {
    static EXAMPLES: OnceLock<HashMap<&'static str, Map<String, Value>>> = OnceLock::new();
    EXAMPLES
        .get_or_init(|| {
            wazo::entries()
                .iter()
                .filter_map(|entry| {
                    let example = entry.example()?.ok()?;
                    match example.get("data") {
                        Some(Value::Object(data)) => Some((entry.name(), data.clone())),
                        _ => None,
                    }
                })
                .collect()
        })
        .get(entry.name())
}
