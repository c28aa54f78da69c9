//! wazo-calld call events: the Call model and holds.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// A call as wazo-calld's REST API models it (`GET /calls/{call_id}`).
///
/// The documented example shows the fields every version of wazo-calld sends; the
/// other fields of the real model are optional here so that messages from newer
/// servers conform too. `user_uuid` is required: the event's ACL is built from it.
///
/// `Default` gives empty strings, a nil `user_uuid` and no optional field: set
/// what a scenario needs and leave the rest, `Call { call_id, user_uuid, ..Call::default() }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The IDs of the Asterisk bridges the call is in.
    pub bridges: Vec<String>,
    /// The Asterisk channel unique ID.
    pub call_id: String,
    /// The caller ID name of this channel.
    pub caller_id_name: String,
    /// The caller ID number of this channel.
    pub caller_id_number: String,
    /// When the channel was created, e.g. `2016-02-10T11:57:02.592-0500`.
    pub creation_time: String,
    /// The Asterisk channel state (`Down`, `Ring`, `Ringing`, `Up`, …).
    pub status: String,
    /// The channels this call talks to: call ID to user UUID (null when the other
    /// channel belongs to no user).
    pub talking_to: BTreeMap<String, Option<String>>,
    /// The user who owns the channel; null for a channel of no user (a
    /// trunk), which current Wazo still publishes and the document never does.
    pub user_uuid: Option<Uuid>,
    /// The ID shared by every call of one conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// The caller ID name of the other party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_caller_id_name: Option<String>,
    /// The caller ID number of the other party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_caller_id_number: Option<String>,
    /// Whether the call is on hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_hold: Option<bool>,
    /// Whether the call is muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// `active` or `inactive`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_state: Option<String>,
    /// Whether this channel placed the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_caller: Option<bool>,
    /// Whether the call carries video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_video: Option<bool>,
    /// The extension the caller dialed (null when unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialed_extension: Option<String>,
    /// The SIP Call-ID header (null for non-SIP channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_call_id: Option<String>,
    /// The ID of the user's line (null when not a user's line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_id: Option<u64>,
    /// When the call was answered (null until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_time: Option<String>,
    /// When the call was hung up (null until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hangup_time: Option<String>,
    /// `inbound`, `outbound`, `internal` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Whether the call is parked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parked: Option<bool>,
    /// `call_ended` of current Wazo: the Asterisk hangup cause (16 normal clearing, 17 busy, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<i64>,
}

/// The call placed on hold or resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallHold {
    /// The Asterisk channel unique ID.
    pub call_id: String,
    /// Current Wazo: the channel's user, the string `None` when it has none
    /// (wazo-calld writes `str(user_uuid)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_uuid: Option<String>,
}

const CALL_ACL: Template = Template::new("events.calls.{user_uuid}");

documented_event! {
    /// `call_created`
    CallCreated(Call) = EventSpec {
        name: "call_created",
        family: Family::Calls,
        description: "Published when a call handled by wazo-calld is received.",
        routing_key: Template::new("calls.call.created"),
        required_acl: Some(CALL_ACL),
        headers: &[],
        example: Some(include_str!("examples/call_created.json")),
    };
}

documented_event! {
    /// `call_updated`
    CallUpdated(Call) = EventSpec {
        name: "call_updated",
        family: Family::Calls,
        description: "Published when a call handled by wazo-calld changes: ringing, connected, held, …",
        routing_key: Template::new("calls.call.updated"),
        required_acl: Some(CALL_ACL),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `call_ended`
    CallEnded(Call) = EventSpec {
        name: "call_ended",
        family: Family::Calls,
        description: "Published when a call handled by wazo-calld is hung up.",
        routing_key: Template::new("calls.call.ended"),
        required_acl: Some(CALL_ACL),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `call_held`
    CallHeld(CallHold) = EventSpec {
        name: "call_held",
        family: Family::Calls,
        description: "Sent when a call is placed on hold.",
        routing_key: Template::new("calls.hold.created"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/call_held.json")),
    };
}

documented_event! {
    /// `call_resumed`
    CallResumed(CallHold) = EventSpec {
        name: "call_resumed",
        family: Family::Calls,
        description: "Sent when a call is resumed from hold.",
        routing_key: Template::new("calls.hold.deleted"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/call_resumed.json")),
    };
}

documented_event! {
    /// `call_answered`: current Wazo only (the document has no such event).
    CallAnswered(Call) = EventSpec {
        name: "call_answered",
        family: Family::Calls,
        description: "Published by current wazo-calld when a channel is answered (goes Up); not in the document.",
        routing_key: Template::new("calls.call.answered"),
        required_acl: Some(CALL_ACL),
        headers: &[],
        example: None,
    };
}

/// The call events of current Wazo that the document lacks.
pub(super) fn wazo_only_entries() -> Vec<EventEntry> {
    vec![EventEntry::of::<CallAnswered>()]
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<CallCreated>(),
        EventEntry::of::<CallUpdated>(),
        EventEntry::of::<CallEnded>(),
        EventEntry::of::<CallHeld>(),
        EventEntry::of::<CallResumed>(),
    ]
}
