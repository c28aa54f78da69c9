//! Messages as Wazo publishes them on `wazo-headers`, and a publisher.

#![allow(dead_code)] // Each test file uses its own subset.

use amqprs::channel::{BasicPublishArguments, Channel};
use amqprs::connection::Connection;
use amqprs::{BasicProperties, FieldTable, FieldValue};
use serde_json::{Map, Value, json};
use switchboard::provision::{AmqpUrl, DEFAULT_CONNECT_TIMEOUT, connect};
use uuid::Uuid;

pub struct Publisher {
    pub channel: Channel,
    _connection: Connection,
}

impl Publisher {
    pub async fn open(url: &AmqpUrl) -> Self {
        let connection = connect(url, "websocketd-test-publisher", DEFAULT_CONNECT_TIMEOUT)
            .await
            .unwrap();
        let channel = connection.open_channel(None).await.unwrap();
        Self {
            channel,
            _connection: connection,
        }
    }

    pub async fn publish(&self, event: &Event) {
        let (headers, body) = event.wire();
        let mut properties = BasicProperties::default();
        properties
            .with_headers(headers)
            .with_content_type("application/json");
        self.channel
            .basic_publish(
                properties,
                body,
                BasicPublishArguments::new("wazo-headers", ""),
            )
            .await
            .unwrap();
    }
}

#[derive(Debug, Clone)]
pub enum Acl {
    Absent,
    Null,
    Text(String),
    Number,
}

/// A message as Wazo publishes it on `wazo-headers`: headers, and a body
/// holding every header plus `data`.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: Option<String>,
    pub origin: Uuid,
    pub tenant: Option<Uuid>,
    pub users: Vec<Uuid>,
    pub all_users: bool,
    pub acl: Acl,
    pub data: Value,
    /// Replaces the body (for malformed ones).
    pub body: Option<Vec<u8>>,
}

impl Event {
    pub fn body_json(&self) -> Map<String, Value> {
        let mut body = Map::new();
        if let Some(name) = &self.name {
            body.insert("name".into(), json!(name));
        }
        body.insert("origin_uuid".into(), json!(self.origin.to_string()));
        body.insert(
            "timestamp".into(),
            json!("2026-12-03T13:00:00.000000+00:00"),
        );
        match &self.acl {
            Acl::Absent => {}
            Acl::Null => {
                body.insert("required_acl".into(), Value::Null);
            }
            Acl::Text(acl) => {
                body.insert("required_acl".into(), json!(acl));
            }
            Acl::Number => {
                body.insert("required_acl".into(), json!(3));
            }
        }
        body.insert("required_access".into(), Value::Null);
        if let Some(tenant) = self.tenant {
            body.insert("tenant_uuid".into(), json!(tenant.to_string()));
        }
        for user in &self.users {
            body.insert(format!("user_uuid:{user}"), json!(true));
        }
        if self.all_users {
            body.insert("user_uuid:*".into(), json!(true));
        }
        body.insert("data".into(), self.data.clone());
        body
    }

    pub fn body_text(&self) -> String {
        serde_json::to_string(&Value::Object(self.body_json())).unwrap()
    }

    pub fn wire(&self) -> (FieldTable, Vec<u8>) {
        let mut headers = FieldTable::new();
        let mut put = |name: &str, value: FieldValue| {
            headers.insert(name.try_into().unwrap(), value);
        };
        let text = |value: &str| FieldValue::S(value.try_into().unwrap());
        if let Some(name) = &self.name {
            put("name", text(name));
        }
        put("origin_uuid", text(&self.origin.to_string()));
        put("timestamp", text("2026-12-03T13:00:00.000000+00:00"));
        match &self.acl {
            Acl::Absent => {}
            Acl::Null => put("required_acl", FieldValue::V),
            Acl::Text(acl) => put("required_acl", text(acl)),
            Acl::Number => put("required_acl", FieldValue::I(3)),
        }
        put("required_access", FieldValue::V);
        if let Some(tenant) = self.tenant {
            put("tenant_uuid", text(&tenant.to_string()));
        }
        for user in &self.users {
            put(&format!("user_uuid:{user}"), FieldValue::t(true));
        }
        if self.all_users {
            put("user_uuid:*", FieldValue::t(true));
        }
        let body = self
            .body
            .clone()
            .unwrap_or_else(|| self.body_text().into_bytes());
        (headers, body)
    }
}

/// A user event as Wazo publishes call events: `user_uuid:<user>` and the
/// ACL `events.calls.<user>`.
pub fn call_event(name: &str, origin: Uuid, tenant: Uuid, user: Uuid) -> Event {
    Event {
        name: Some(name.to_owned()),
        origin,
        tenant: Some(tenant),
        users: vec![user],
        all_users: false,
        acl: Acl::Text(format!("events.calls.{user}")),
        data: json!({"call_id": "1700000000.1", "user_uuid": user.to_string()}),
        body: None,
    }
}
