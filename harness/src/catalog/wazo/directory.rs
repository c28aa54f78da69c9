//! wazo-dird events: favorite contacts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// The ID of a contact within its directory source: a number for most sources,
/// a string (often a UUID) for others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SourceEntryId {
    Number(u64),
    Text(String),
}

/// A contact a user marked as favorite (or stopped marking).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Favorite {
    /// The UUID of the user's Wazo server (listed as `xivo_id`; sent as `xivo_uuid`).
    pub xivo_uuid: Uuid,
    /// The user's UUID.
    pub user_uuid: Uuid,
    /// The directory source in which the contact can be found.
    pub source: String,
    /// The ID of the contact within this source.
    pub source_entry_id: SourceEntryId,
}

documented_event! {
    /// `favorite_added`
    FavoriteAdded(Favorite) = EventSpec {
        name: "favorite_added",
        family: Family::Directory,
        description: "Published when a user marks a contact as a favorite.",
        routing_key: Template::new("directory.{user_uuid}.favorite.created"),
        required_acl: Some(Template::new("events.directory.{user_uuid}.favorite.created")),
        headers: &[],
        example: Some(include_str!("examples/favorite_added.json")),
    };
}

documented_event! {
    /// `favorite_deleted`
    FavoriteDeleted(Favorite) = EventSpec {
        name: "favorite_deleted",
        family: Family::Directory,
        description: "Published when a user marks a favorited contact as not favorite.",
        routing_key: Template::new("directory.{user_uuid}.favorite.deleted"),
        required_acl: Some(Template::new("events.directory.{user_uuid}.favorite.deleted")),
        headers: &[],
        example: Some(include_str!("examples/favorite_deleted.json")),
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<FavoriteAdded>(),
        EventEntry::of::<FavoriteDeleted>(),
    ]
}
