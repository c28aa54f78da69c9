//! wazo-confd user events.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// A user created, edited or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The user's ID.
    pub id: u64,
    /// The user's UUID.
    pub uuid: Uuid,
    /// Current Wazo: the subscription level (an integer in the database, 0 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_type: Option<i64>,
    /// Current Wazo: when the user was created, Python's `str()` of a naive
    /// UTC datetime (`2026-01-15 09:00:00.000000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Current Wazo: the user's tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_uuid: Option<Uuid>,
}

documented_event! {
    /// `user_created`
    UserCreated(User) = EventSpec {
        name: "user_created",
        family: Family::Users,
        description: "Published when a user is created.",
        routing_key: Template::new("config.user.created"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/user_created.json")),
    };
}

documented_event! {
    /// `user_deleted`
    UserDeleted(User) = EventSpec {
        name: "user_deleted",
        family: Family::Users,
        description: "Published when a user is deleted.",
        routing_key: Template::new("config.user.deleted"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/user_deleted.json")),
    };
}

documented_event! {
    /// `user_edited`
    UserEdited(User) = EventSpec {
        name: "user_edited",
        family: Family::Users,
        description: "Published when a user is modified.",
        routing_key: Template::new("config.user.edited"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/user_edited.json")),
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<UserCreated>(),
        EventEntry::of::<UserDeleted>(),
        EventEntry::of::<UserEdited>(),
    ]
}
