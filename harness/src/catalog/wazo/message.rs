//! A Wazo event ready to publish, as a profile words it: routing key, AMQP
//! headers and JSON body.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::current::{Attribute, Audience, Presence};
use super::wording::Wording;
use super::{Profile, WazoEvent, python_json};
use crate::catalog::template::{RenderError, Template};

/// An event as it goes on the wire.
///
/// Built by [`WazoMessage::new`] from a typed event: the routing key, the
/// `required_acl` and the headers are rendered from the catalog's templates
/// for the profile, never written by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct WazoMessage {
    /// The event name.
    pub name: String,
    /// The routing key to publish with.
    pub routing_key: String,
    /// AMQP headers: `name`, `origin_uuid`, `required_acl`, the audience's
    /// `tenant_uuid` / `user_uuid:*`, and in the `wazo` profile
    /// `timestamp`, `required_access` and the event's attributes.
    pub headers: Map<String, Value>,
    /// The body: `{name, origin_uuid, required_acl?, data}` (documented) or
    /// every header beside `data` (wazo).
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
    /// The profile has no such event (`call_answered` is not in the document).
    #[error("the {profile} profile has no `{name}` event")]
    NotInProfile { name: String, profile: Profile },
    /// A template needs a value the data does not have (e.g. a call without `user_uuid`).
    #[error("cannot build the `{name}` message")]
    Render {
        name: String,
        #[source]
        source: RenderError,
    },
}

/// What a message is about beyond its `data`: what the dialect knows of
/// the platform's state that the templates cannot read from the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressing {
    /// The tenant the event belongs to (the `tenant_uuid` header).
    pub tenant: Option<Uuid>,
    /// The users it concerns: one `user_uuid:<uuid>` header each for user
    /// and multi-user events (the first for a user event).
    pub users: Vec<Uuid>,
    /// When it is published, in the platform's local time: the `timestamp`
    /// header of the `wazo` profile.
    pub at: Option<OffsetDateTime>,
}

/// An event encoded for the wire: [`WazoMessage`] with its body already
/// serialised, built by [`WazoMessage::encode`].
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedMessage {
    /// The event name.
    pub name: String,
    /// The routing key to publish with.
    pub routing_key: String,
    /// AMQP headers, as in [`WazoMessage::headers`].
    pub headers: Map<String, Value>,
    /// The body as JSON text: compact for the document, as Python's
    /// `json.dumps` writes it for current Wazo.
    pub body: Vec<u8>,
    /// Published on the topic exchange (`xivo`) even where the profile
    /// publishes on `wazo-headers` (wazo-auth's events).
    pub on_topic: bool,
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

    /// Builds the documented message for `event`, produced by the Wazo
    /// server `origin_uuid`, addressed to nobody in particular.
    ///
    /// This is [`WazoMessage::encode`] with the body read back as a JSON
    /// tree, so that both always agree.
    pub fn new<E: WazoEvent + ?Sized>(event: &E, origin_uuid: Uuid) -> Result<Self, MessageError> {
        let encoded = Self::encode(
            event,
            origin_uuid,
            Profile::Documented,
            &Addressing::default(),
        )?
        .ok_or_else(|| MessageError::NotInProfile {
            name: event.name().to_owned(),
            profile: Profile::Documented,
        })?;
        encoded.decode().map_err(|source| MessageError::Serialize {
            name: encoded.name,
            source,
        })
    }

    /// Encodes `event`, produced by the Wazo server `origin_uuid`, as
    /// `profile` words it; `None` when the profile has no such event
    /// (`call_answered` in the document, `call_form_result` in current Wazo).
    ///
    /// The data is written straight from its Rust value; only an event
    /// whose fields differ between the profiles ([`Wording::fields`]) goes
    /// through a JSON tree, to drop or complete those fields.
    pub fn encode<E: WazoEvent + ?Sized>(
        event: &E,
        origin_uuid: Uuid,
        profile: Profile,
        addressing: &Addressing,
    ) -> Result<Option<EncodedMessage>, MessageError> {
        let Some(wording) = Wording::of(event.spec(), profile) else {
            return Ok(None);
        };
        let name = if wording.is_ami() {
            event.name()
        } else {
            wording.name
        };
        let serialize_error = |source| MessageError::Serialize {
            name: name.to_owned(),
            source,
        };
        let render_error = |source| MessageError::Render {
            name: name.to_owned(),
            source,
        };
        let mut data = Vec::with_capacity(512);
        event.write_data_json(&mut data).map_err(serialize_error)?;
        let reshaped = if wording.fields.is_empty() && profile == Profile::Documented {
            None
        } else {
            let mut tree: Value = serde_json::from_slice(&data).map_err(serialize_error)?;
            reshape(&mut tree, &wording);
            Some(tree)
        };

        let mut view = Map::new();
        view.insert("name".into(), Value::String(name.to_owned()));
        view.insert(
            "data".into(),
            match &reshaped {
                Some(tree) => tree.clone(),
                None => Value::Object(event.data_fields(&template_fields(&wording))),
            },
        );
        let view = Value::Object(view);
        let render = |template: &Template| match profile {
            Profile::Documented => template.render(&view),
            Profile::Wazo => template.render_as_wazo_bus(&view),
        };
        let routing_key = render(&wording.routing_key).map_err(render_error)?;
        let required_acl = wording
            .required_acl
            .as_ref()
            .map(render)
            .transpose()
            .map_err(render_error)?;
        let origin = origin_uuid.to_string();

        let mut headers = Map::new();
        let (body, on_topic) = match profile {
            Profile::Documented => {
                headers.insert("name".into(), Value::String(name.to_owned()));
                headers.insert("origin_uuid".into(), Value::String(origin.clone()));
                if let Some(acl) = &required_acl {
                    headers.insert("required_acl".into(), Value::String(acl.clone()));
                }
                for template in wording.true_headers {
                    headers.insert(render(template).map_err(render_error)?, Value::Bool(true));
                }
                audience_headers(&mut headers, &wording, addressing);
                if let Some(tree) = &reshaped {
                    data = serde_json::to_vec(tree).map_err(serialize_error)?;
                }
                let mut body = Vec::with_capacity(data.len() + 160);
                write_envelope(&mut body, name, &origin, required_acl.as_deref(), &data)
                    .map_err(serialize_error)?;
                (body, true)
            }
            Profile::Wazo => {
                // wazo-bus `mixins.py`: the event's own headers (audience,
                // attributes, name), then required_access, required_acl,
                // then origin_uuid and timestamp; the body is all of them
                // beside `data`.
                audience_headers(&mut headers, &wording, addressing);
                for attribute in wording.attributes {
                    headers.insert(
                        attribute.header.to_owned(),
                        attribute_value(attribute, &view),
                    );
                }
                headers.insert("name".into(), Value::String(name.to_owned()));
                headers.insert(
                    "required_access".into(),
                    Value::String(format!("event.{name}")),
                );
                headers.insert(
                    "required_acl".into(),
                    required_acl.clone().map_or(Value::Null, Value::String),
                );
                headers.insert("origin_uuid".into(), Value::String(origin));
                headers.insert(
                    "timestamp".into(),
                    Value::String(python_isoformat(addressing.at)),
                );
                let mut body = headers.clone();
                body.insert("data".into(), reshaped.unwrap_or_default());
                let body = python_json::to_vec(&body).map_err(serialize_error)?;
                (body, wording.on_topic)
            }
        };
        Ok(Some(EncodedMessage {
            name: name.to_owned(),
            routing_key,
            headers,
            body,
            on_topic,
        }))
    }
}

/// The data fields the wording's templates read.
fn template_fields(wording: &Wording) -> Vec<&'static str> {
    std::iter::once(&wording.routing_key)
        .chain(&wording.required_acl)
        .chain(wording.true_headers)
        .flat_map(Template::data_fields)
        .collect()
}

/// Drops the fields this profile does not write and writes `null` for
/// those it always writes that the model left empty.
fn reshape(data: &mut Value, wording: &Wording) {
    for fact in wording.fields {
        let presence = fact.presence(wording.profile);
        let (parent, key) = match fact.field.rsplit_once('/') {
            Some((parent, key)) => (parent, key),
            None => continue,
        };
        let Some(Value::Object(object)) = data.pointer_mut(parent) else {
            continue;
        };
        if !presence.written() {
            object.shift_remove(key);
        } else if matches!(presence, Presence::Required) && !object.contains_key(key) {
            object.insert(key.to_owned(), Value::Null);
        }
    }
}

/// `tenant_uuid` and the `user_uuid:…` headers of the event's audience.
fn audience_headers(headers: &mut Map<String, Value>, wording: &Wording, addressing: &Addressing) {
    let Some(audience) = wording.audience else {
        return;
    };
    if audience != Audience::Service
        && let Some(tenant) = addressing.tenant
    {
        headers.insert("tenant_uuid".into(), Value::String(tenant.to_string()));
    }
    match audience {
        Audience::Service => {}
        Audience::Tenant => {
            headers.insert("user_uuid:*".into(), Value::Bool(true));
        }
        Audience::User => {
            if let Some(user) = addressing.users.first() {
                headers.insert(format!("user_uuid:{user}"), Value::Bool(true));
            }
        }
        Audience::MultiUser => {
            for user in &addressing.users {
                headers.insert(format!("user_uuid:{user}"), Value::Bool(true));
            }
        }
    }
}

/// An attribute header's value: a constant (`=busy`) or a field of the envelope.
fn attribute_value(attribute: &Attribute, view: &Value) -> Value {
    match attribute.value.strip_prefix('=') {
        Some(constant) => Value::String(constant.to_owned()),
        None => view
            .pointer(attribute.value)
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// Python's `datetime.isoformat()` of a naive local time, as wazo-bus
/// writes its `timestamp` header: microseconds only when not zero.
pub fn python_isoformat(at: Option<OffsetDateTime>) -> String {
    let at = at.unwrap_or(crate::sim::DEFAULT_ANCHOR);
    let format = if at.microsecond() == 0 {
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]")
    } else {
        time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]"
        )
    };
    // Formatting cannot fail: every component exists and years are 4-digit.
    at.format(format).unwrap_or_default()
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
            user_uuid: Some(user),
            on_hold: Some(false),
            ..Call::default()
        };
        let message = WazoMessage::new(&CallCreated(call.clone()), ORIGIN).unwrap();
        assert_eq!(message.routing_key, "calls.call.created");
        assert_eq!(
            message.body["required_acl"],
            json!(format!("events.calls.{user}"))
        );
        // The document's example has eight fields: the rest of the model is
        // tolerated by its checker, not written.
        assert!(message.body["data"].get("on_hold").is_none());

        // Current Wazo writes all 23 keys of calld's CallSchema, null when unknown.
        let wazo = wazo_message(&CallCreated(call), &Addressing::default());
        let data = wazo.body["data"].as_object().unwrap();
        assert_eq!(data.len(), 23, "{data:?}");
        assert_eq!(data["on_hold"], json!(false));
        assert_eq!(data["muted"], Value::Null);
        assert!(data.get("reason_code").is_none());
    }

    fn wazo_message<E: WazoEvent>(event: &E, addressing: &Addressing) -> WazoMessage {
        WazoMessage::encode(event, ORIGIN, Profile::Wazo, addressing)
            .unwrap()
            .unwrap()
            .decode()
            .unwrap()
    }

    const TENANT: Uuid = Uuid::from_u128(0x7e4a);

    #[test]
    fn wazo_bus_headers_are_copied_into_the_body_as_python_writes_it() {
        let user = Uuid::from_u128(42);
        let at = time::macros::datetime!(2026-01-15 04:00:01.5 -05:00);
        let addressing = Addressing {
            tenant: Some(TENANT),
            users: vec![user],
            at: Some(at),
        };
        let call = Call {
            call_id: "1455123422.8".into(),
            caller_id_name: "Zoë".into(),
            user_uuid: Some(user),
            ..Call::default()
        };
        let encoded = WazoMessage::encode(&CallCreated(call), ORIGIN, Profile::Wazo, &addressing)
            .unwrap()
            .unwrap();
        let message = encoded.decode().unwrap();
        let expected_headers = json!({
            "tenant_uuid": TENANT.to_string(),
            format!("user_uuid:{user}"): true,
            "name": "call_created",
            "required_access": "event.call_created",
            "required_acl": format!("events.calls.{user}"),
            "origin_uuid": ORIGIN.to_string(),
            "timestamp": "2026-01-15T04:00:01.500000",
        });
        assert_eq!(Value::Object(message.headers.clone()), expected_headers);
        for (key, value) in &message.headers {
            assert_eq!(&message.body[key], value, "{key}");
        }
        let text = String::from_utf8(encoded.body).unwrap();
        assert!(
            text.starts_with(&format!("{{\"tenant_uuid\": \"{TENANT}\", ")),
            "{text}"
        );
        assert!(text.contains(r#""caller_id_name": "Zo\u00eb""#), "{text}");
        assert!(!encoded.on_topic);
    }

    #[test]
    fn wazo_bus_escapes_key_values_and_writes_none_for_no_user() {
        use crate::catalog::wazo::calls::CallHeld;
        use crate::catalog::wazo::faxes::{FaxOutbound, FaxOutboundSucceeded};
        let fax = FaxOutbound {
            id: "1455117604.42".into(),
            call_id: "1455117604.42".into(),
            extension: "1234".into(),
            context: "ctx".into(),
            caller_id: "Wazo Fax".into(),
            user_uuid: None,
            tenant_uuid: TENANT,
            ivr_extension: Some("12".into()),
            wait_time: Some(42),
        };
        let tenant = Addressing {
            tenant: Some(TENANT),
            ..Addressing::default()
        };
        let message = wazo_message(&FaxOutboundSucceeded(fax), &tenant);
        assert_eq!(
            message.routing_key,
            "faxes.outbound.1455117604__DOT__42.succeeded"
        );
        assert_eq!(
            message.headers["required_acl"],
            json!("events.faxes.outbound.1455117604__DOT__42.succeeded")
        );
        assert_eq!(message.headers["user_uuid:*"], json!(true));
        // Only the created event carries the request's IVR extension and wait time.
        assert!(message.body["data"].get("ivr_extension").is_none());

        let held = CallHeld(super::super::calls::CallHold {
            call_id: "1.2".into(),
            user_uuid: Some("None".into()),
        });
        let message = wazo_message(&held, &tenant);
        assert_eq!(message.headers["required_acl"], json!("events.calls.None"));
        assert!(
            !message
                .headers
                .keys()
                .any(|key| key.starts_with("user_uuid:"))
        );
    }

    #[test]
    fn attributes_and_renamed_events() {
        use crate::catalog::wazo::auth::{AuthTenantCreated, Tenant};
        use crate::catalog::wazo::conferences::{ConferenceRecord, ConferenceRecordStarted};
        let tenant = Addressing {
            tenant: Some(TENANT),
            ..Addressing::default()
        };
        let message = wazo_message(
            &ConferenceRecordStarted(ConferenceRecord { id: 4001 }),
            &tenant,
        );
        assert_eq!(message.headers["conference_id"], json!(4001));
        let added = AuthTenantCreated(Tenant {
            uuid: TENANT,
            name: "acme".into(),
            slug: Some("acme".into()),
            domain_names: Some(vec![]),
        });
        let encoded = WazoMessage::encode(&added, ORIGIN, Profile::Wazo, &tenant)
            .unwrap()
            .unwrap();
        assert_eq!(encoded.name, "auth_tenant_added");
        // wazo-auth still publishes on the topic exchange.
        assert!(encoded.on_topic);
        let documented = WazoMessage::new(&added, ORIGIN).unwrap();
        assert_eq!(documented.name, "auth_tenant_created");
        assert!(documented.body["data"].get("slug").is_none());
    }

    #[test]
    fn each_profile_has_events_the_other_lacks() {
        use crate::catalog::wazo::calls::CallAnswered;
        use crate::catalog::wazo::cti::{CallFormResult, CallFormResultEvent};
        let form = CallFormResultEvent(CallFormResult {
            user_id: 1,
            variables: Map::new(),
        });
        let none = Addressing::default();
        assert!(
            WazoMessage::encode(&form, ORIGIN, Profile::Wazo, &none)
                .unwrap()
                .is_none()
        );
        let answered = CallAnswered(Call::default());
        assert!(
            WazoMessage::encode(&answered, ORIGIN, Profile::Documented, &none)
                .unwrap()
                .is_none()
        );
        assert!(
            WazoMessage::encode(&answered, ORIGIN, Profile::Wazo, &none)
                .unwrap()
                .is_some()
        );
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
