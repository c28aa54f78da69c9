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
