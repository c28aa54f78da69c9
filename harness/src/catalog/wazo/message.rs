//! A Wazo event ready to publish: routing key, AMQP headers and JSON body.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::WazoEvent;
use crate::catalog::template::RenderError;

/// An event as it goes on the wire to the `xivo` exchange.
///
/// Built by [`WazoMessage::new`] from a typed event: the routing key, the
/// `required_acl` and the extra headers are rendered from the catalog's templates,
/// never written by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct WazoMessage {
    /// The event name.
    pub name: String,
    /// The routing key to publish with.
    pub routing_key: String,
    /// AMQP headers: `name`, `origin_uuid`, `required_acl` (when documented) and the
    /// event's own headers (relocates: `"user_uuid:<initiator>": true`).
    pub headers: Map<String, Value>,
    /// The envelope `{name, origin_uuid, required_acl?, data}`.
    pub body: Value,
}

/// Why a typed event could not be turned into a message.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The event's data did not serialise to JSON.
    #[error("cannot serialise the data of `{name}`")]
    Serialize {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    /// A template needs a value the data does not have (e.g. a call without `user_uuid`).
    #[error("cannot build the `{name}` message")]
    Render {
        name: String,
        #[source]
        source: RenderError,
    },
}

impl WazoMessage {
    /// The message as a record `{routing_key, headers, body}`: the shape
    /// `switchboard validate` and [`crate::contract::check_wazo`] accept.
    pub fn to_record(&self) -> Value {
        json!({
            "routing_key": self.routing_key,
            "headers": self.headers,
            "body": self.body,
        })
    }

    /// Builds the message for `event`, produced by the Wazo server `origin_uuid`.
    pub fn new<E: WazoEvent + ?Sized>(event: &E, origin_uuid: Uuid) -> Result<Self, MessageError> {
        let spec = event.spec();
        let name = event.name().to_owned();
        let data = event
            .data_json()
            .map_err(|source| MessageError::Serialize {
                name: name.clone(),
                source,
            })?;
        let mut body = json!({ "name": name, "origin_uuid": origin_uuid.to_string() });
        let render_error = |source| MessageError::Render {
            name: name.clone(),
            source,
        };
        // Templates read the envelope, so render them once `name` and `data` are in it.
        body["data"] = data;
        let routing_key = spec.routing_key.render(&body).map_err(render_error)?;
        let required_acl = spec
            .required_acl
            .map(|template| template.render(&body))
            .transpose()
            .map_err(render_error)?;
        let extra_headers = spec
            .headers
            .iter()
            .map(|template| template.render(&body))
            .collect::<Result<Vec<_>, _>>()
            .map_err(render_error)?;

        let mut headers = Map::new();
        headers.insert("name".into(), Value::String(name.clone()));
        headers.insert("origin_uuid".into(), Value::String(origin_uuid.to_string()));
        let data = body["data"].take();
        let mut envelope = Map::new();
        envelope.insert("name".into(), Value::String(name.clone()));
        envelope.insert("origin_uuid".into(), Value::String(origin_uuid.to_string()));
        if let Some(acl) = required_acl {
            headers.insert("required_acl".into(), Value::String(acl.clone()));
            envelope.insert("required_acl".into(), Value::String(acl));
        }
        envelope.insert("data".into(), data);
        for header in extra_headers {
            headers.insert(header, Value::Bool(true));
        }
        Ok(WazoMessage {
            name,
            routing_key,
            headers,
            body: Value::Object(envelope),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog::wazo::ami::AmiEvent;
    use crate::catalog::wazo::calls::{Call, CallCreated};
    use crate::catalog::wazo::relocates::{Completion, Relocate, RelocateCompleted};

    const ORIGIN: Uuid = Uuid::from_u128(0x0c5d0d76_687e_40a7_81cf_75e0540d1787);

    #[test]
    fn relocate_carries_acl_and_initiator_header() {
        let initiator = Uuid::from_u128(7);
        let event = RelocateCompleted(Relocate {
            uuid: Uuid::from_u128(1),
            relocated_call: "1.1".into(),
            initiator_call: "1.2".into(),
            recipient_call: "1.3".into(),
            completions: vec![Completion::Answer],
            initiator,
            timeout: None,
            auto_answer: None,
        });
        let message = WazoMessage::new(&event, ORIGIN).unwrap();
        assert_eq!(message.routing_key, "calls.relocate.completed");
        let acl = format!("events.relocates.{initiator}");
        assert_eq!(message.body["required_acl"], json!(acl));
        assert_eq!(message.headers["required_acl"], json!(acl));
        assert_eq!(message.headers["name"], json!("relocate_completed"));
        assert_eq!(message.headers["origin_uuid"], json!(ORIGIN.to_string()));
        assert_eq!(
            message.headers[&format!("user_uuid:{initiator}")],
            json!(true)
        );
        assert_eq!(
            message.body["data"]["initiator"],
            json!(initiator.to_string())
        );
    }

    #[test]
    fn call_acl_is_rendered_from_user_uuid() {
        let user = Uuid::from_u128(42);
        let call = Call {
            call_id: "1455123422.8".into(),
            caller_id_name: "Some One".into(),
            caller_id_number: "1001".into(),
            creation_time: "2016-02-10T11:57:02.592-0500".into(),
            status: "Ring".into(),
            user_uuid: user,
            on_hold: Some(false),
            ..Call::default()
        };
        let message = WazoMessage::new(&CallCreated(call), ORIGIN).unwrap();
        assert_eq!(message.routing_key, "calls.call.created");
        assert_eq!(
            message.body["required_acl"],
            json!(format!("events.calls.{user}"))
        );
        assert_eq!(message.body["data"]["on_hold"], json!(false));
        assert!(message.body["data"].get("muted").is_none());
    }

    #[test]
    fn ami_events_use_their_own_name() {
        let event = AmiEvent {
            name: "Newchannel".into(),
            data: [("Channel".to_owned(), "PJSIP/abc".to_owned())].into(),
        };
        let message = WazoMessage::new(&event, ORIGIN).unwrap();
        assert_eq!(message.routing_key, "ami.Newchannel");
        assert_eq!(message.body["name"], json!("Newchannel"));
        assert!(message.body.get("required_acl").is_none());
        assert_eq!(message.body["data"]["Channel"], json!("PJSIP/abc"));
    }
}
