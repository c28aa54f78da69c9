//! Service discovery events: Wazo daemons registering with Consul.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// A service that started and registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRegistered {
    /// The name of the service, e.g. `wazo-dird`.
    pub service_name: String,
    /// The Consul ID of the service.
    pub service_id: String,
    /// The advertised address.
    pub address: String,
    /// The advertised port.
    pub port: u16,
    /// The advertised Consul tags.
    pub tags: Vec<String>,
}

/// A service that stopped and deregistered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDeregistered {
    /// The name of the service.
    pub service_name: String,
    /// The Consul ID of the service.
    pub service_id: String,
    /// The advertised Consul tags.
    pub tags: Vec<String>,
}

documented_event! {
    /// `service_registered_event`
    ServiceRegisteredEvent(ServiceRegistered) = EventSpec {
        name: "service_registered_event",
        family: Family::ServiceRegistry,
        description: "Sent when a service is started.",
        routing_key: Template::new("service.registered.{service_name}"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/service_registered_event.json")),
    };
}

documented_event! {
    /// `service_deregistered_event`
    ServiceDeregisteredEvent(ServiceDeregistered) = EventSpec {
        name: "service_deregistered_event",
        family: Family::ServiceRegistry,
        description: "Sent when a service is stopped.",
        routing_key: Template::new("service.deregistered.{service_name}"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/service_deregistered_event.json")),
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<ServiceRegisteredEvent>(),
        EventEntry::of::<ServiceDeregisteredEvent>(),
    ]
}
