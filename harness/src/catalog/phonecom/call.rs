//! The `call` data type: a call, the leg the event is about, and the first leg.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Direction;

/// A call event's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The call's identifier. A string, not a UUID: the documentation's own example
    /// (1111-1111-1111-1111-111111111111) is not a valid UUID.
    pub uuid: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The leg this event is about.
    pub event_leg: Leg,
    /// The first (main) leg of the call; null when `event_leg` is the first leg.
    pub first_leg: Option<Leg>,
}

/// The state of a call leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegState {
    New,
    Connecting,
    Connected,
    Completed,
}

/// How a leg ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompletionStatus {
    /// The leg was answered.
    Success,
    /// The leg was not answered.
    Cancelled,
    /// The device was busy.
    Busy,
    /// An error occurred.
    Failed,
}

/// One leg of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Leg {
    /// The leg's identifier (the call's for the first leg); a string, like the call's.
    pub uuid: String,
    /// The leg's caller.
    pub from: Participant,
    /// The leg's callee.
    pub to: Participant,
    /// Whether this is the first (main) leg of the call.
    pub is_first: bool,
    /// The leg's state; null in `first_leg`, which Phone.com sends as a copy
    /// of the first leg without its state (erratum `phonecom-null-leg-state`).
    pub state: Option<LegState>,
    /// How the leg ended; null until it has, and in `first_leg`.
    pub completion_status: Option<CompletionStatus>,
}

/// What kind of party a participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantType {
    Device,
    Extension,
    /// A phone number.
    Did,
}

/// A participant's ID: a number for devices and extensions, the phone number for DIDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ParticipantId {
    Number(u64),
    PhoneNumber(String),
}

/// One end of a leg (or of a message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// The kind of party.
    #[serde(rename = "type")]
    pub kind: ParticipantType,
    /// The object's ID; the phone number for `did`.
    pub id: ParticipantId,
    /// The device line (devices only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The SIP domain (devices only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The extension's ID (devices and extensions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_id: Option<u64>,
    /// The extension number (devices and extensions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<u64>,
}
