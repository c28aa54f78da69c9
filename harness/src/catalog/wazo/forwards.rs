//! wazo-confd events: a user's call forwards (busy, no answer, unconditional).
//!
//! The documentation describes the three as `users_forwards_FORWARD_NAME_updated`
//! with `{forward_name}` in the keys; each event has its forward name fixed, so the
//! name is written out in its templates.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// The new state of one of a user's forwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    /// The user's UUID.
    /// Current Wazo: the user's numeric id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u64>,
    /// Current Wazo: the user's tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_uuid: Option<Uuid>,
    pub user_uuid: Uuid,
    /// Whether the forward is enabled.
    pub enabled: bool,
    /// Where calls are forwarded; null when no destination is set.
    pub destination: Option<String>,
}

documented_event! {
    /// `users_forwards_busy_updated`
    UsersForwardsBusyUpdated(Forward) = EventSpec {
        name: "users_forwards_busy_updated",
        family: Family::Forwards,
        description: "Sent when a user changes their busy forward through the REST API.",
        routing_key: Template::new("config.users.{user_uuid}.forwards.busy.updated"),
        required_acl: Some(Template::new("events.config.users.{user_uuid}.forwards.busy.updated")),
        headers: &[],
        example: Some(include_str!("examples/users_forwards_busy_updated.json")),
    };
}

documented_event! {
    /// `users_forwards_noanswer_updated`
    UsersForwardsNoanswerUpdated(Forward) = EventSpec {
        name: "users_forwards_noanswer_updated",
        family: Family::Forwards,
        description: "Sent when a user changes their no-answer forward through the REST API.",
        routing_key: Template::new("config.users.{user_uuid}.forwards.noanswer.updated"),
        required_acl: Some(Template::new("events.config.users.{user_uuid}.forwards.noanswer.updated")),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `users_forwards_unconditional_updated`
    UsersForwardsUnconditionalUpdated(Forward) = EventSpec {
        name: "users_forwards_unconditional_updated",
        family: Family::Forwards,
        description: "Sent when a user changes their unconditional forward through the REST API.",
        routing_key: Template::new("config.users.{user_uuid}.forwards.unconditional.updated"),
        required_acl: Some(Template::new(
            "events.config.users.{user_uuid}.forwards.unconditional.updated"
        )),
        headers: &[],
        example: None,
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<UsersForwardsBusyUpdated>(),
        EventEntry::of::<UsersForwardsNoanswerUpdated>(),
        EventEntry::of::<UsersForwardsUnconditionalUpdated>(),
    ]
}
