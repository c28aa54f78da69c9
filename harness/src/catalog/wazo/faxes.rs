//! wazo-calld outbound fax events.
//!
//! Each step is published twice: once for everyone (`faxes.outbound.*`) and, when a
//! user sent the fax, once for that user (`faxes.outbound.users.{user_uuid}.*`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// An outbound fax being sent or sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaxOutbound {
    /// The fax ID.
    pub id: String,
    /// The ID of the call that sent the fax.
    pub call_id: String,
    /// The extension the fax was sent to.
    pub extension: String,
    /// The context the fax was sent from.
    pub context: String,
    /// The caller ID presented to the fax recipient.
    pub caller_id: String,
    /// The user who sent the fax; null when it was not sent by a user.
    pub user_uuid: Option<Uuid>,
    /// The tenant the fax was sent from.
    pub tenant_uuid: Uuid,
    /// Current Wazo: the IVR extension dialed once the remote fax answers (null when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ivr_extension: Option<String>,
    /// Current Wazo: seconds waited before sending (null when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_time: Option<u64>,
}

/// An outbound fax that could not be sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaxOutboundFailure {
    /// The fax ID.
    pub id: String,
    /// The ID of the call that sent the fax.
    pub call_id: String,
    /// The extension the fax was sent to.
    pub extension: String,
    /// The context the fax was sent from.
    pub context: String,
    /// The caller ID presented to the fax recipient.
    pub caller_id: String,
    /// The user who sent the fax; null when it was not sent by a user.
    pub user_uuid: Option<Uuid>,
    /// The tenant the fax was sent from.
    pub tenant_uuid: Uuid,
    /// An explanation of the failure.
    pub error: String,
}

documented_event! {
    /// `fax_outbound_created`
    FaxOutboundCreated(FaxOutbound) = EventSpec {
        name: "fax_outbound_created",
        family: Family::Faxes,
        description: "Published when a fax is being sent.",
        routing_key: Template::new("faxes.outbound.created"),
        required_acl: Some(Template::new("events.faxes.outbound.created")),
        headers: &[],
        example: Some(include_str!("examples/fax_outbound_created.json")),
    };
}

documented_event! {
    /// `fax_outbound_user_created`
    FaxOutboundUserCreated(FaxOutbound) = EventSpec {
        name: "fax_outbound_user_created",
        family: Family::Faxes,
        description: "Published when a fax is being sent by a user.",
        routing_key: Template::new("faxes.outbound.users.{user_uuid}.created"),
        required_acl: Some(Template::new("events.faxes.outbound.users.{user_uuid}.created")),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `fax_outbound_succeeded`
    FaxOutboundSucceeded(FaxOutbound) = EventSpec {
        name: "fax_outbound_succeeded",
        family: Family::Faxes,
        description: "Published when a fax was successfully sent.",
        routing_key: Template::new("faxes.outbound.succeeded"),
        required_acl: Some(Template::new("events.faxes.outbound.succeeded")),
        headers: &[],
        example: Some(include_str!("examples/fax_outbound_succeeded.json")),
    };
}

documented_event! {
    /// `fax_outbound_user_succeeded`
    FaxOutboundUserSucceeded(FaxOutbound) = EventSpec {
        name: "fax_outbound_user_succeeded",
        family: Family::Faxes,
        description: "Published when a fax sent by a user was successfully sent.",
        routing_key: Template::new("faxes.outbound.users.{user_uuid}.succeeded"),
        required_acl: Some(Template::new("events.faxes.outbound.users.{user_uuid}.succeeded")),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `fax_outbound_failed`
    FaxOutboundFailed(FaxOutboundFailure) = EventSpec {
        name: "fax_outbound_failed",
        family: Family::Faxes,
        description: "Published when a fax could not be sent.",
        routing_key: Template::new("faxes.outbound.failed"),
        required_acl: Some(Template::new("events.faxes.outbound.failed")),
        headers: &[],
        example: Some(include_str!("examples/fax_outbound_failed.json")),
    };
}

documented_event! {
    /// `fax_outbound_user_failed`
    FaxOutboundUserFailed(FaxOutboundFailure) = EventSpec {
        name: "fax_outbound_user_failed",
        family: Family::Faxes,
        description: "Published when a fax sent by a user could not be sent.",
        routing_key: Template::new("faxes.outbound.users.{user_uuid}.failed"),
        required_acl: Some(Template::new("events.faxes.outbound.users.{user_uuid}.failed")),
        headers: &[],
        example: None,
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<FaxOutboundCreated>(),
        EventEntry::of::<FaxOutboundUserCreated>(),
        EventEntry::of::<FaxOutboundSucceeded>(),
        EventEntry::of::<FaxOutboundUserSucceeded>(),
        EventEntry::of::<FaxOutboundFailed>(),
        EventEntry::of::<FaxOutboundUserFailed>(),
    ]
}
