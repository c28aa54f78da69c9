//! The JSON envelope every Wazo event travels in.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `{name, origin_uuid, required_acl?, data}`: the body of every message on the bus.
///
/// Generic over `data` so that each event's envelope schema is derived from its
/// data type; the contract checker validates whole bodies against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope<D> {
    /// The event name; each event type has a unique name.
    pub name: String,
    /// The UUID of the Wazo server that produced the message.
    pub origin_uuid: Uuid,
    /// The ACL a websocket client needs to receive the event: a string, null, or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_acl: Option<String>,
    /// The event-specific part.
    pub data: D,
}
