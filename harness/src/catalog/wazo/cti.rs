//! CTI events: call forms and agent statuses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// A submitted call form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallFormResult {
    /// The ID of the user who saved the call form.
    pub user_id: u64,
    /// The content of the form, field by field.
    pub variables: Map<String, Value>,
}

/// The status of an agent, as published by the agent status event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    LoggedIn,
    LoggedOut,
}

/// An agent that logged in or out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentStatusUpdate {
    /// The ID of the agent whose status changed.
    pub agent_id: u64,
    /// The new status.
    pub status: AgentStatus,
    /// The UUID of the Wazo server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xivo_id: Option<Uuid>,
}

documented_event! {
    /// `call_form_result`
    CallFormResultEvent(CallFormResult) = EventSpec {
        name: "call_form_result",
        family: Family::Cti,
        description: "Published when a custom call form is submitted via the REST API.",
        routing_key: Template::new("call_form_result"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/call_form_result.json")),
    };
}

documented_event! {
    /// `agent_status_update`
    AgentStatusUpdateEvent(AgentStatusUpdate) = EventSpec {
        name: "agent_status_update",
        family: Family::Cti,
        description: "Published when an agent logs in or out.",
        routing_key: Template::new("status.agent"),
        required_acl: Some(Template::new("events.statuses.agents")),
        headers: &[],
        example: Some(include_str!("examples/agent_status_update.json")),
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<CallFormResultEvent>(),
        EventEntry::of::<AgentStatusUpdateEvent>(),
    ]
}
