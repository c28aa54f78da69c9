//! wazo-calld relocate events: moving a call from one device of a user to another.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// What completes a relocate: the recipient answering, or an API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Completion {
    Answer,
    Api,
}

/// A relocate, as wazo-calld's REST API models it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relocate {
    /// The relocate's UUID.
    pub uuid: Uuid,
    /// The call being moved (the other party).
    pub relocated_call: String,
    /// The initiator's current call.
    pub initiator_call: String,
    /// The initiator's new call, on the destination device.
    pub recipient_call: String,
    /// What completes the relocate.
    pub completions: Vec<Completion>,
    /// The UUID of the user who initiated the relocate.
    pub initiator: Uuid,
    /// Seconds the destination may ring before the relocate is cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Whether the destination device answers automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_answer: Option<bool>,
}

const RELOCATE_ACL: Template = Template::new("events.relocates.{initiator}");
const RELOCATE_HEADERS: &[Template] = &[Template::new("user_uuid:{initiator}")];

documented_event! {
    /// `relocate_initiated`
    RelocateInitiated(Relocate) = EventSpec {
        name: "relocate_initiated",
        family: Family::Relocates,
        description: "Published when a relocate starts: the destination is called.",
        routing_key: Template::new("calls.relocate.initiated"),
        required_acl: Some(RELOCATE_ACL),
        headers: RELOCATE_HEADERS,
        example: None,
    };
}

documented_event! {
    /// `relocate_answered`
    RelocateAnswered(Relocate) = EventSpec {
        name: "relocate_answered",
        family: Family::Relocates,
        description: "Published when the destination of a relocate answers.",
        routing_key: Template::new("calls.relocate.answered"),
        required_acl: Some(RELOCATE_ACL),
        headers: RELOCATE_HEADERS,
        example: None,
    };
}

documented_event! {
    /// `relocate_completed`
    RelocateCompleted(Relocate) = EventSpec {
        name: "relocate_completed",
        family: Family::Relocates,
        description: "Published when a relocate completes: the call is on the destination.",
        routing_key: Template::new("calls.relocate.completed"),
        required_acl: Some(RELOCATE_ACL),
        headers: RELOCATE_HEADERS,
        example: Some(include_str!("examples/relocate_completed.json")),
    };
}

documented_event! {
    /// `relocate_ended`
    RelocateEnded(Relocate) = EventSpec {
        name: "relocate_ended",
        family: Family::Relocates,
        description: "Published when a relocate ends, completed or not.",
        routing_key: Template::new("calls.relocate.ended"),
        required_acl: Some(RELOCATE_ACL),
        headers: RELOCATE_HEADERS,
        example: None,
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<RelocateInitiated>(),
        EventEntry::of::<RelocateAnswered>(),
        EventEntry::of::<RelocateCompleted>(),
        EventEntry::of::<RelocateEnded>(),
    ]
}
