//! [`Outgoing`]: one message ready to be published, in any dialect.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A message ready for the bus: what a dialect renders and a sink sends.
///
/// `name` is the event's name (`call_created`): errors about this message
/// name it. The body is bytes because that is what goes on the wire; use
/// [`Outgoing::json`] to build one from a JSON value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The event name, for messages and reports.
    pub name: String,
    /// The AMQP routing key (`calls.call.created`).
    pub routing_key: String,
    /// AMQP headers (`name`, `origin_uuid`, `required_acl`, event-specific ones).
    pub headers: Map<String, Value>,
    /// The serialised body.
    pub body: Vec<u8>,
    /// Published on the topic exchange (`xivo`) even where the profile
    /// publishes on `wazo-headers`: wazo-auth's events in current Wazo.
    #[serde(default)]
    pub on_topic: bool,
}

impl Outgoing {
    /// A message whose body is `body` serialised as JSON.
    pub fn json(
        name: impl Into<String>,
        routing_key: impl Into<String>,
        headers: Map<String, Value>,
        body: &Value,
    ) -> Self {
        Self {
            name: name.into(),
            routing_key: routing_key.into(),
            headers,
            // Serialising a `Value` to a Vec cannot fail: no I/O, string keys only.
            body: serde_json::to_vec(body).unwrap_or_default(),
            on_topic: false,
        }
    }
}
