//! One line of words for a Wazo message, for people watching a run.
//!
//! `switchboard run` prints every delivery as it arrives; raw JSON cut at
//! some width says little, so each event family gets a sentence built from
//! the fields that matter (who, which call, what state). When the
//! scenario's directory is known, uuids become the handles the scenario
//! uses (`alice (1001)`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::sim::Directory;

/// Names for the uuids and ids a message may carry.
#[derive(Debug, Clone, Default)]
pub struct Names {
    users: HashMap<String, String>,
    user_ids: HashMap<u64, String>,
    tenants: HashMap<String, String>,
}

impl Names {
    /// The names of a scenario's parties: `handle (extension)` for users.
    pub fn from_directory(directory: &Directory) -> Self {
        let mut names = Self::default();
        for user in directory.users.values() {
            let label = format!("{} ({})", user.handle, user.extension);
            names.users.insert(user.uuid.to_string(), label.clone());
            names.user_ids.insert(u64::from(user.id), label);
        }
        for tenant in directory.tenants.values() {
            names
                .tenants
                .insert(tenant.uuid.to_string(), tenant.name.clone());
        }
        names
    }

    fn user(&self, uuid: Option<&Value>) -> String {
        match uuid.and_then(Value::as_str) {
            Some(uuid) => self
                .users
                .get(uuid)
                .cloned()
                .unwrap_or_else(|| format!("user {}", short(uuid))),
            // A trunk's channel: current Wazo publishes it with user_uuid null.
            None => "trunk".to_owned(),
        }
    }
}

/// A sentence for the envelope `body` (`{name, data, …}`), or `None` when
/// the body is not a Wazo envelope.
pub fn summarize(body: &Value, names: &Names) -> Option<String> {
    let name = body.get("name")?.as_str()?;
    let data = body.get("data")?.as_object()?;
    let text = |key: &str| data.get(key).map(scalar).unwrap_or_default();
    let line = match name {
        "call_created" | "call_updated" | "call_answered" | "call_ended" => call(name, data, names),
        "call_held" => format!("call {} put on hold", text("call_id")),
        "call_resumed" => format!("call {} taken off hold", text("call_id")),
        _ if name.starts_with("relocate_") => format!(
            "{}: call {} moves from {} to {} ({})",
            names.user(data.get("initiator")),
            text("relocated_call"),
            text("initiator_call"),
            text("recipient_call"),
            name.trim_start_matches("relocate_"),
        ),
        "conference_record_started" | "conference_record_stopped" => format!(
            "conference {}: recording {}",
            text("id"),
            name.trim_start_matches("conference_record_")
        ),
        _ if name.starts_with("conference_participant_") => format!(
            "conference {}: {} {}",
            text("conference_id"),
            text("caller_id_name"),
            name.trim_start_matches("conference_participant_")
                .replace('_', " ")
        ),
        _ if name.starts_with("fax_outbound_") => {
            let outcome = name.rsplit('_').next().unwrap_or_default();
            let error = data
                .get("error")
                .map(|error| format!(": {}", scalar(error)))
                .unwrap_or_default();
            format!(
                "fax {} from {} to {}: {outcome}{error}",
                text("id"),
                text("caller_id"),
                text("extension")
            )
        }
        "agent_status_update" => {
            format!(
                "agent {}: {}",
                text("agent_id"),
                text("status").replace('_', " ")
            )
        }
        "call_form_result" => {
            let user = data
                .get("user_id")
                .and_then(Value::as_u64)
                .and_then(|id| names.user_ids.get(&id).cloned())
                .unwrap_or_else(|| format!("user {}", text("user_id")));
            let variables = data
                .get("variables")
                .and_then(Value::as_object)
                .map(|variables| {
                    variables
                        .iter()
                        .map(|(key, value)| format!("{key}={}", scalar(value)))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!("{user} submitted a call form: {variables}")
        }
        "user_created" | "user_edited" | "user_deleted" => format!(
            "{} {}",
            names.user(data.get("uuid")),
            name.trim_start_matches("user_")
        ),
        _ if name.starts_with("users_forwards_") => {
            let forward = name
                .trim_start_matches("users_forwards_")
                .trim_end_matches("_updated");
            let destination = data
                .get("destination")
                .filter(|value| !value.is_null())
                .map(|value| format!(" → {}", scalar(value)))
                .unwrap_or_default();
            format!(
                "{}: {forward} forward {}{destination}",
                names.user(data.get("user_uuid")),
                on_off(data)
            )
        }
        _ if name.starts_with("users_services_") => format!(
            "{}: {} {}",
            names.user(data.get("user_uuid")),
            name.trim_start_matches("users_services_")
                .trim_end_matches("_updated"),
            on_off(data)
        ),
        _ if name.starts_with("user_voicemail_message_") => {
            let message = data.get("message").and_then(Value::as_object);
            let field = |key: &str| {
                message
                    .and_then(|message| message.get(key))
                    .map(scalar)
                    .unwrap_or_default()
            };
            let folder = message
                .and_then(|message| message.get("folder"))
                .and_then(|folder| folder.get("name"))
                .map(scalar)
                .unwrap_or_default();
            format!(
                "{}: voicemail {} from {} <{}>, {}s, in {folder}: {}",
                names.user(data.get("user_uuid")),
                text("message_id"),
                field("caller_id_name"),
                field("caller_id_num"),
                field("duration"),
                name.trim_start_matches("user_voicemail_message_")
            )
        }
        "plugin_install_progress" | "plugin_uninstall_progress" => format!(
            "plugin task {}: {} {}",
            short(&text("uuid")),
            name.trim_start_matches("plugin_")
                .trim_end_matches("_progress"),
            text("status")
        ),
        "auth_tenant_created" | "auth_tenant_updated" | "auth_tenant_deleted" => {
            let uuid = text("uuid");
            let tenant = data
                .get("name")
                .map(scalar)
                .or_else(|| names.tenants.get(&uuid).cloned())
                .unwrap_or_else(|| short(&uuid).to_owned());
            format!(
                "tenant {tenant} {}",
                name.trim_start_matches("auth_tenant_")
            )
        }
        _ if name.starts_with("auth_user_external_auth_") => format!(
            "{}: external auth {} {}",
            names.user(data.get("user_uuid")),
            text("external_auth_name"),
            name.trim_start_matches("auth_user_external_auth_")
        ),
        "favorite_added" | "favorite_deleted" => format!(
            "{}: favorite {}/{} {}",
            names.user(data.get("user_uuid")),
            text("source"),
            text("source_entry_id"),
            name.trim_start_matches("favorite_")
        ),
        "service_registered_event" => format!(
            "{} registered at {}:{}",
            text("service_name"),
            text("address"),
            text("port")
        ),
        "service_deregistered_event" => format!("{} deregistered", text("service_name")),
        _ if crate::catalog::wazo::ami::is_ami_event_name(name) => ami(data),
        _ => return None,
    };
    Some(line)
}

/// `alice (1001): call 1768467600.12 from Bob Tremblay <+15145550123>, Ringing`.
fn call(name: &str, data: &Map<String, Value>, names: &Names) -> String {
    let text = |key: &str| data.get(key).map(scalar).unwrap_or_default();
    let state = match name {
        "call_ended" => "ended".to_owned(),
        "call_answered" => "answered".to_owned(),
        _ => text("status"),
    };
    let talking = data
        .get("talking_to")
        .and_then(Value::as_object)
        .filter(|talking_to| !talking_to.is_empty())
        .map(|talking_to| {
            let peers: Vec<String> = talking_to
                .iter()
                .map(|(call_id, user)| match user {
                    Value::String(_) => names.user(Some(user)),
                    _ => format!("call {call_id}"),
                })
                .collect();
            format!(", talking to {}", peers.join(", "))
        })
        .unwrap_or_default();
    format!(
        "{}: call {} from {} <{}>, {state}{talking}",
        names.user(data.get("user_uuid")),
        text("call_id"),
        text("caller_id_name"),
        text("caller_id_number"),
    )
}

/// `PJSIP/alice-0000002a Up, Bob <1002>` and the hangup cause; other AMI
/// events show their first fields.
fn ami(data: &Map<String, Value>) -> String {
    let text = |key: &str| data.get(key).map(scalar);
    match (text("Channel"), text("ChannelStateDesc")) {
        (Some(channel), Some(state)) => {
            let cause = text("Cause-txt")
                .map(|cause| format!(", {cause}"))
                .unwrap_or_default();
            let bridge = text("BridgeUniqueid")
                .map(|bridge| format!(", bridge {}", short(&bridge)))
                .unwrap_or_default();
            format!(
                "{channel} {state}, {} <{}>{bridge}{cause}",
                text("CallerIDName").unwrap_or_default(),
                text("CallerIDNum").unwrap_or_default()
            )
        }
        _ => data
            .iter()
            .take(4)
            .map(|(key, value)| format!("{key}={}", scalar(value)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn on_off(data: &Map<String, Value>) -> &'static str {
    match data.get("enabled").and_then(Value::as_bool) {
        Some(true) => "on",
        Some(false) => "off",
        None => "?",
    }
}

/// A value as text: strings without quotes, the rest as JSON.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The first block of a uuid: enough to tell tasks apart on one screen.
fn short(uuid: &str) -> &str {
    uuid.split('-').next().unwrap_or(uuid)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn calls_read_as_a_sentence() {
        let body = json!({"name": "call_updated", "data": {
            "call_id": "1768467600.12", "caller_id_name": "Bob", "caller_id_number": "+15145550123",
            "status": "Up", "user_uuid": "2e752722-0864-4665-887d-a78a024cf7c7",
            "talking_to": {"1768467600.11": null}, "bridges": ["b"], "creation_time": "x"}});
        assert_eq!(
            summarize(&body, &Names::default()).unwrap(),
            "user 2e752722: call 1768467600.12 from Bob <+15145550123>, Up, talking to call 1768467600.11"
        );
    }

    #[test]
    fn ami_channel_events_show_channel_state_and_cause() {
        let body = json!({"name": "Hangup", "data": {"Channel": "PJSIP/a-00000001",
            "ChannelStateDesc": "Up", "CallerIDName": "Alice", "CallerIDNum": "1001",
            "Cause-txt": "Normal Clearing"}});
        assert_eq!(
            summarize(&body, &Names::default()).unwrap(),
            "PJSIP/a-00000001 Up, Alice <1001>, Normal Clearing"
        );
        assert_eq!(
            summarize(&json!({"no": "envelope"}), &Names::default()),
            None
        );
    }
}
