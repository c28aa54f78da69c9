//! wazo-confd events: a user's services (do not disturb, incoming call filter).
//!
//! Documented as `users_services_SERVICE_NAME_updated` with an upper-case
//! `SERVICE_NAME` in the keys; each event has its service name fixed, so the name
//! is written out in its templates.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// The new state of one of a user's services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserService {
    /// The user's UUID.
    /// Current Wazo: the user's numeric id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u64>,
    /// Current Wazo: the user's tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_uuid: Option<Uuid>,
    pub user_uuid: Uuid,
    /// Whether the service is enabled.
    pub enabled: bool,
}

documented_event! {
    /// `users_services_dnd_updated`
    UsersServicesDndUpdated(UserService) = EventSpec {
        name: "users_services_dnd_updated",
        family: Family::UserServices,
        description: "Sent when a user turns do-not-disturb on or off through the REST API.",
        routing_key: Template::new("config.users.{user_uuid}.services.dnd.updated"),
        required_acl: Some(Template::new("events.config.users.{user_uuid}.services.dnd.updated")),
        headers: &[],
        example: Some(include_str!("examples/users_services_dnd_updated.json")),
    };
}

documented_event! {
    /// `users_services_incallfilter_updated`
    UsersServicesIncallfilterUpdated(UserService) = EventSpec {
        name: "users_services_incallfilter_updated",
        family: Family::UserServices,
        description: "Sent when a user turns the incoming call filter on or off through the REST API.",
        routing_key: Template::new("config.users.{user_uuid}.services.incallfilter.updated"),
        required_acl: Some(Template::new(
            "events.config.users.{user_uuid}.services.incallfilter.updated"
        )),
        headers: &[],
        example: None,
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<UsersServicesDndUpdated>(),
        EventEntry::of::<UsersServicesIncallfilterUpdated>(),
    ]
}
