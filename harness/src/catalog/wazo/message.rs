//! A Wazo event ready to publish: routing key, AMQP headers and JSON body.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::WazoEvent;
use crate::catalog::template::{RenderError, Template};

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

/// An event encoded for the wire: [`WazoMessage`] with its body already
/// serialised, built by [`WazoMessage::encode`] without a JSON tree.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedMessage {
    /// The event name.
    pub name: String,
    /// The routing key to publish with.
    pub routing_key: String,
    /// AMQP headers, as in [`WazoMessage::headers`].
    pub headers: Map<String, Value>,
    /// The envelope `{name, origin_uuid, required_acl?, data}` as JSON text:
    /// the bytes `serde_json::to_vec` gives for [`WazoMessage::body`].
    pub body: Vec<u8>,
}

impl EncodedMessage {
    /// The same message with its body as a JSON tree (to check it, or show it).
    pub fn decode(&self) -> Result<WazoMessage, serde_json::Error> {
        Ok(WazoMessage {
            name: self.name.clone(),
            routing_key: self.routing_key.clone(),
            headers: self.headers.clone(),
            body: serde_json::from_slice(&self.body)?,
        })
    }
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
    ///
    /// This is [`WazoMessage::encode`] with the body read back as a JSON
    /// tree, so that both always agree.
    pub fn new<E: WazoEvent + ?Sized>(event: &E, origin_uuid: Uuid) -> Result<Self, MessageError> {
        let encoded = Self::encode(event, origin_uuid)?;
        encoded.decode().map_err(|source| MessageError::Serialize {
            name: encoded.name,
            source,
        })
    }

    /// Encodes `event`, produced by the Wazo server `origin_uuid`, for the wire.
    ///
    /// The load generator renders hundreds of thousands of messages a
    /// second, so nothing here builds a JSON tree of the data: it is
    /// written straight from its Rust value, and the templates (routing key,
    /// ACL, headers) are rendered from a small envelope holding only `name`
    /// and the few `data` fields they name ([`WazoEvent::data_fields`]).
    pub fn encode<E: WazoEvent + ?Sized>(
        event: &E,
        origin_uuid: Uuid,
    ) -> Result<EncodedMessage, MessageError> {
        let spec = event.spec();
        let name = event.name();
        let serialize_error = |source| MessageError::Serialize {
            name: name.to_owned(),
            source,
        };
        let mut data = Vec::with_capacity(512);
        event.write_data_json(&mut data).map_err(serialize_error)?;

        let templates = || {
            std::iter::once(&spec.routing_key)
                .chain(&spec.required_acl)
                .chain(spec.headers)
        };
        let wanted: Vec<&str> = templates().flat_map(Template::data_fields).collect();
        let picked = if wanted.is_empty() {
            Map::new()
        } else {
            event.data_fields(&wanted)
        };
        let mut view = Map::new();
        view.insert("name".into(), Value::String(name.to_owned()));
        view.insert("data".into(), Value::Object(picked));
        let view = Value::Object(view);
        let render_error = |source| MessageError::Render {
            name: name.to_owned(),
            source,
        };
        let routing_key = spec.routing_key.render(&view).map_err(render_error)?;
        let required_acl = spec
            .required_acl
            .map(|template| template.render(&view))
            .transpose()
            .map_err(render_error)?;
        let extra_headers = spec
            .headers
            .iter()
            .map(|template| template.render(&view))
            .collect::<Result<Vec<_>, _>>()
            .map_err(render_error)?;

        let origin = origin_uuid.to_string();
        let mut body = Vec::with_capacity(data.len() + 160);
        write_envelope(&mut body, name, &origin, required_acl.as_deref(), &data)
            .map_err(serialize_error)?;
        let mut headers = Map::new();
        headers.insert("name".into(), Value::String(name.to_owned()));
        headers.insert("origin_uuid".into(), Value::String(origin));
        if let Some(acl) = required_acl {
            headers.insert("required_acl".into(), Value::String(acl));
        }
        for header in extra_headers {
            headers.insert(header, Value::Bool(true));
        }
        Ok(EncodedMessage {
            name: name.to_owned(),
            routing_key,
            headers,
            body,
        })
    }
}

/// Writes the envelope `{"name":…,"origin_uuid":…,"required_acl":…,"data":…}`
/// around `data` (JSON text): the keys in this order and no whitespace, the
/// bytes `serde_json::to_vec` writes for the same envelope as a tree. The
/// strings go through serde_json, so they are escaped as it escapes them.
fn write_envelope(
    out: &mut Vec<u8>,
    name: &str,
    origin_uuid: &str,
    required_acl: Option<&str>,
    data: &[u8],
) -> Result<(), serde_json::Error> {
    out.extend_from_slice(br#"{"name":"#);
    serde_json::to_writer(&mut *out, name)?;
    out.extend_from_slice(br#","origin_uuid":"#);
    serde_json::to_writer(&mut *out, origin_uuid)?;
    if let Some(acl) = required_acl {
        out.extend_from_slice(br#","required_acl":"#);
        serde_json::to_writer(&mut *out, acl)?;
    }
    out.extend_from_slice(br#","data":"#);
    out.extend_from_slice(data);
    out.push(b'}');
    Ok(())
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
