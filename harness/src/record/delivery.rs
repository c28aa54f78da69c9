//! [`Delivery`]: one message as a consumer received it.
//!
//! It is what recordings (JSON Lines), snapshots and contract checks work
//! on, so its serialised form is stable: fields in declaration order, headers
//! sorted by name, the body's own key order preserved.

use amqprs::BasicProperties;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sink::headers;

/// One received message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Receive order, from 1.
    pub seq: u64,
    /// The exchange it was published on.
    pub exchange: String,
    /// Its routing key.
    pub routing_key: String,
    /// The AMQP properties a consumer can see and depend on.
    pub properties: Properties,
    /// The body.
    pub body: Body,
}

/// The AMQP properties of a delivery that the Wazo contract speaks about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Properties {
    /// `application/json` for Wazo events.
    pub content_type: Option<String>,
    /// 1 (transient) or 2 (persistent).
    pub delivery_mode: Option<u8>,
    /// `utf-8` for current Wazo's messages; absent from the document's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// Headers as JSON, sorted by name; empty when the message has none.
    pub headers: Map<String, Value>,
}

/// A delivery's body: JSON when it parses, else text, else raw bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// The body parsed as JSON.
    Json(Value),
    /// Valid UTF-8 that is not JSON.
    Text(String),
    /// Anything else.
    Bytes(Vec<u8>),
}

impl Body {
    /// Classifies raw body bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        if let Ok(json) = serde_json::from_slice(&bytes) {
            return Self::Json(json);
        }
        match String::from_utf8(bytes) {
            Ok(text) => Self::Text(text),
            Err(error) => Self::Bytes(error.into_bytes()),
        }
    }
}

impl Properties {
    /// The properties of an amqprs message.
    pub fn from_amqp(properties: &BasicProperties) -> Self {
        Self {
            content_type: properties.content_type().cloned(),
            delivery_mode: properties.delivery_mode(),
            content_encoding: properties.content_encoding().cloned(),
            headers: properties
                .headers()
                .map(headers::to_json)
                .unwrap_or_default(),
        }
    }
}

impl Delivery {
    /// How this delivery departs from the Wazo bus document: one sentence
    /// per violation, none when it conforms. The routing key and headers are
    /// checked with the body, as a consumer on the bus sees them.
    pub fn contract_violations(&self) -> Vec<String> {
        self.contract_violations_as(crate::contract::ProfileChoice::Documented)
    }

    /// [`Delivery::contract_violations`] against the profile `choice` says
    /// (with `auto`, the one the message matches best).
    pub fn contract_violations_as(&self, choice: crate::contract::ProfileChoice) -> Vec<String> {
        crate::contract::check_wazo_with(&self.record(), choice)
            .violations
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The delivery as a record `{routing_key, headers, body}`, the shape
    /// the contract checker reads.
    pub fn record(&self) -> Value {
        serde_json::json!({
            "routing_key": self.routing_key,
            "headers": self.properties.headers,
            "body": self.json().cloned().unwrap_or(Value::Null),
        })
    }

    /// The event name: the `name` header, else the body's `name` field.
    pub fn name(&self) -> Option<&str> {
        self.properties
            .headers
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| self.json()?.get("name")?.as_str())
    }

    /// The body, if it is JSON.
    pub fn json(&self) -> Option<&Value> {
        match &self.body {
            Body::Json(value) => Some(value),
            Body::Text(_) | Body::Bytes(_) => None,
        }
    }

    /// A one-line summary of the body for live output: the envelope's `data`
    /// (or the whole body) as compact JSON, cut to `width` characters.
    pub fn summary(&self, width: usize) -> String {
        let text = match &self.body {
            Body::Json(value) => {
                let shown = value.get("data").unwrap_or(value);
                shown.to_string()
            }
            Body::Text(text) => text.replace(['\n', '\r'], " "),
            Body::Bytes(bytes) => format!("<{} bytes, not UTF-8>", bytes.len()),
        };
        if text.chars().count() <= width {
            return text;
        }
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn delivery(body: Body, headers: Map<String, Value>) -> Delivery {
        Delivery {
            seq: 1,
            exchange: "xivo".into(),
            routing_key: "calls.call.created".into(),
            properties: Properties {
                content_type: Some("application/json".into()),
                delivery_mode: Some(1),
                content_encoding: None,
                headers,
            },
            body,
        }
    }

    #[test]
    fn classifies_bodies() {
        assert_eq!(
            Body::from_bytes(br#"{"a":1}"#.to_vec()),
            Body::Json(json!({"a": 1}))
        );
        assert_eq!(
            Body::from_bytes(b"hello".to_vec()),
            Body::Text("hello".into())
        );
        assert_eq!(
            Body::from_bytes(vec![0xff, 0x00]),
            Body::Bytes(vec![0xff, 0x00])
        );
    }

    #[test]
    fn the_name_comes_from_the_header_then_the_body() {
        let body = Body::Json(json!({"name": "from_body", "data": {}}));
        let mut headers = Map::new();
        assert_eq!(
            delivery(body.clone(), headers.clone()).name(),
            Some("from_body")
        );
        headers.insert("name".into(), json!("from_header"));
        assert_eq!(delivery(body, headers).name(), Some("from_header"));
        assert_eq!(delivery(Body::Text("x".into()), Map::new()).name(), None);
    }

    #[test]
    fn summaries_show_the_data_and_fit_the_width() {
        let body = Body::Json(
            json!({"name": "n", "data": {"call_id": "1700000000.1", "status": "Ringing"}}),
        );
        let line = delivery(body, Map::new()).summary(30);
        assert_eq!(line.chars().count(), 30);
        assert!(line.starts_with(r#"{"call_id":"1700000000.1""#), "{line}");
        assert!(line.ends_with('…'));
    }

    #[test]
    fn serialises_with_a_stable_field_order() {
        let text =
            serde_json::to_string(&delivery(Body::Json(json!({"b": 1, "a": 2})), Map::new()))
                .unwrap();
        assert_eq!(
            text,
            r#"{"seq":1,"exchange":"xivo","routing_key":"calls.call.created","properties":{"content_type":"application/json","delivery_mode":1,"headers":{}},"body":{"json":{"b":1,"a":2}}}"#
        );
        let back: Delivery = serde_json::from_str(&text).unwrap();
        assert_eq!(back.seq, 1);
    }
}
