//! The delivery decision: does this bus event reach this session, and if not,
//! why. One function, [`decide`], applies every rule wazo-websocketd applies,
//! wherever the real service applies it:
//!
//! 1. the broker's bindings (`bus.py` `_generate_bindings` and the tenant
//!    exchange): the event name is subscribed (or `*`), the origin is this
//!    server, the tenant is the session's (unless master tenant), the event
//!    targets the session's user or every user (unless privileged);
//! 2. the consumer's decoding (`_decode_content`): a UTF-8 JSON object body,
//!    a name, a `required_acl` header that the token's ACL grants;
//! 3. the session (`_task_transmit_event`): only after `start`.
//!
//! The session queues carry the bindings too, so on a real broker the first
//! group never fails for a message that arrived; checking it again keeps the
//! rule in one place and makes every drop nameable, for `-v` and the counters.

use std::collections::HashSet;
use std::fmt;

use amqprs::FieldTable;
use amqprs::FieldValue;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::acl::AccessCheck;

/// Why an event was not delivered to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    /// The session subscribed neither to the event's `name` header nor to `*`.
    NotSubscribed,
    /// Header `origin_uuid` is not this server's uuid.
    OtherOrigin,
    /// Header `tenant_uuid` is not the session's tenant (not a master-tenant session).
    OtherTenant,
    /// Neither `user_uuid:<session user>` nor `user_uuid:*` is true (not a privileged session).
    OtherUser,
    /// The body is not UTF-8 JSON, or not an object.
    BadBody,
    /// No name in the `name` header nor in the body.
    NoName,
    /// No `required_acl` header at all.
    NoRequiredAcl,
    /// A `required_acl` header that is neither a string nor void.
    AclNotText,
    /// The token's ACL does not grant `required_acl`.
    AclDenied,
    /// The session has not sent `start` yet: the event is consumed and dropped.
    NotStarted,
}

impl DropReason {
    /// Every reason, in the order [`decide`] checks them.
    pub const ALL: [Self; 10] = [
        Self::NotSubscribed,
        Self::OtherOrigin,
        Self::OtherTenant,
        Self::OtherUser,
        Self::BadBody,
        Self::NoName,
        Self::NoRequiredAcl,
        Self::AclNotText,
        Self::AclDenied,
        Self::NotStarted,
    ];

    /// A short stable name for logs, counters and recordings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSubscribed => "not_subscribed",
            Self::OtherOrigin => "other_origin",
            Self::OtherTenant => "other_tenant",
            Self::OtherUser => "other_user",
            Self::BadBody => "bad_body",
            Self::NoName => "no_name",
            Self::NoRequiredAcl => "no_required_acl",
            Self::AclNotText => "acl_not_text",
            Self::AclDenied => "acl_denied",
            Self::NotStarted => "not_started",
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `required_acl` header as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequiredAcl {
    /// No such header.
    Absent,
    /// Present and void (null): every token may receive the event.
    Null,
    /// A string ACL to match.
    Text(String),
    /// Another AMQP type.
    Other,
}

/// One message from the bus, with the headers the rules read.
#[derive(Debug, Clone)]
pub struct BusEvent {
    /// Header `name`, when a non-empty string.
    pub header_name: Option<String>,
    /// Header `origin_uuid`, when a string.
    pub origin_uuid: Option<String>,
    /// Header `tenant_uuid`, when a string.
    pub tenant_uuid: Option<String>,
    /// Header `user_uuid:*` is boolean true.
    pub all_users: bool,
    /// The `X` of every header `user_uuid:X` that is boolean true (`*` excluded).
    pub users: Vec<String>,
    /// Header `required_acl`.
    pub required_acl: RequiredAcl,
    /// The body, verbatim (v1 frames are this text).
    pub body: Vec<u8>,
}

impl BusEvent {
    /// Reads the rule's headers out of an AMQP header table.
    pub fn from_amqp(headers: Option<&FieldTable>, body: Vec<u8>) -> Self {
        let mut event = Self {
            header_name: None,
            origin_uuid: None,
            tenant_uuid: None,
            all_users: false,
            users: Vec::new(),
            required_acl: RequiredAcl::Absent,
            body,
        };
        let Some(headers) = headers else {
            return event;
        };
        for (name, value) in headers.as_ref() {
            let name: &str = name.as_ref();
            let text = match value {
                FieldValue::S(text) => Some(text.as_ref().as_str()),
                _ => None,
            };
            match name {
                "name" => event.header_name = text.filter(|t| !t.is_empty()).map(str::to_owned),
                "origin_uuid" => event.origin_uuid = text.map(str::to_owned),
                "tenant_uuid" => event.tenant_uuid = text.map(str::to_owned),
                "required_acl" => {
                    event.required_acl = match value {
                        FieldValue::V => RequiredAcl::Null,
                        FieldValue::S(text) => RequiredAcl::Text(text.as_ref().clone()),
                        _ => RequiredAcl::Other,
                    }
                }
                _ => {
                    if let Some(user) = name.strip_prefix("user_uuid:")
                        && matches!(value, FieldValue::t(true))
                    {
                        if user == "*" {
                            event.all_users = true;
                        } else {
                            event.users.push(user.to_owned());
                        }
                    }
                }
            }
        }
        event
    }

    /// The event's name as the real consumer reads it: header `name`, else
    /// the body's `name` (needs the parsed body).
    pub fn name<'a>(&'a self, body: Option<&'a Map<String, Value>>) -> Option<&'a str> {
        self.header_name.as_deref().or_else(|| {
            body.and_then(|body| body.get("name"))
                .and_then(Value::as_str)
                .filter(|name| !name.is_empty())
        })
    }
}

/// What one session is, for the rules.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// The session has sent `start`.
    pub started: bool,
    /// Subscribed to `*`.
    pub all_names: bool,
    /// Subscribed event names.
    pub names: HashSet<String>,
    /// The server's origin uuid.
    pub origin_uuid: String,
    /// The token's tenant is the master tenant.
    pub master_tenant: bool,
    /// Master tenant, tenant admin, or purpose `external_api` / `internal`.
    pub privileged: bool,
    /// The token's tenant.
    pub tenant_uuid: String,
    /// The token's user.
    pub user_uuid: String,
    /// The token's compiled ACL.
    pub access: AccessCheck,
}

impl SessionView {
    /// A fresh session for a token: nothing subscribed, not started.
    pub fn new(origin_uuid: Uuid, master_tenant: Uuid, token: &super::auth::Token) -> Self {
        let mut view = Self {
            started: false,
            all_names: false,
            names: HashSet::new(),
            origin_uuid: origin_uuid.to_string(),
            master_tenant: false,
            privileged: false,
            tenant_uuid: String::new(),
            user_uuid: String::new(),
            access: token.access(),
        };
        view.set_token(master_tenant, token);
        view
    }

    /// Applies a renewed token (the `token` op): identity, privileges, ACL.
    pub fn set_token(&mut self, master_tenant: Uuid, token: &super::auth::Token) {
        self.master_tenant = token.tenant_uuid == master_tenant;
        self.privileged = is_privileged(self.master_tenant, token);
        self.tenant_uuid = token.tenant_uuid.to_string();
        self.user_uuid = token.user_uuid.to_string();
        self.access = token.access();
    }

    /// Records a subscription.
    pub fn subscribe(&mut self, event_name: &str) {
        if event_name == "*" {
            self.all_names = true;
        } else {
            self.names.insert(event_name.to_owned());
        }
    }
}

/// The token sees every user of its tenant (`_UserHelper.is_admin`).
pub fn is_privileged(master_tenant: bool, token: &super::auth::Token) -> bool {
    master_tenant
        || token.admin
        || matches!(token.purpose.as_deref(), Some("external_api" | "internal"))
}

/// The verdict for one event and one session.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Send it; the parsed body (for the v2 envelope).
    Deliver(Map<String, Value>),
    /// Do not send it, for this reason.
    Drop(DropReason),
}

/// The first group of rules alone: what the broker's bindings decide.
/// `Some(reason)` when they keep `event` away from `session`.
pub fn route(event: &BusEvent, session: &SessionView) -> Option<DropReason> {
    let subscribed = session.all_names
        || event
            .header_name
            .as_ref()
            .is_some_and(|name| session.names.contains(name));
    if !subscribed {
        return Some(DropReason::NotSubscribed);
    }
    if event.origin_uuid.as_deref() != Some(session.origin_uuid.as_str()) {
        return Some(DropReason::OtherOrigin);
    }
    if !session.master_tenant && event.tenant_uuid.as_deref() != Some(session.tenant_uuid.as_str())
    {
        return Some(DropReason::OtherTenant);
    }
    if !session.privileged && !event.all_users && !event.users.contains(&session.user_uuid) {
        return Some(DropReason::OtherUser);
    }
    None
}

/// Decides whether `event` reaches `session`. See the module doc for the order.
pub fn decide(event: &BusEvent, session: &SessionView) -> Decision {
    use Decision::Drop;
    if let Some(reason) = route(event, session) {
        return Drop(reason);
    }
    let body = match std::str::from_utf8(&event.body)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
    {
        Some(Value::Object(body)) => body,
        _ => return Drop(DropReason::BadBody),
    };
    if event.name(Some(&body)).is_none() {
        return Drop(DropReason::NoName);
    }
    let granted = match &event.required_acl {
        RequiredAcl::Absent => return Drop(DropReason::NoRequiredAcl),
        RequiredAcl::Other => return Drop(DropReason::AclNotText),
        RequiredAcl::Null => true,
        RequiredAcl::Text(acl) => session.access.matches(Some(acl)),
    };
    if !granted {
        return Drop(DropReason::AclDenied);
    }
    if !session.started {
        return Drop(DropReason::NotStarted);
    }
    Decision::Deliver(body)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::json;

    use super::*;
    use crate::websocketd::auth::Token;

    const ORIGIN: Uuid = Uuid::from_u128(0x0a);
    const MASTER: Uuid = Uuid::from_u128(0x0b);
    const TENANT: Uuid = Uuid::from_u128(0x0c);
    const USER: Uuid = Uuid::from_u128(0x0d);

    fn token() -> Token {
        Token {
            id: "t".into(),
            user_uuid: USER,
            tenant_uuid: TENANT,
            acl: vec!["events.calls.me".into(), "websocketd".into()],
            session_uuid: Uuid::from_u128(0x0e),
            expires_at: SystemTime::now() + Duration::from_secs(60),
            purpose: Some("user".into()),
            admin: false,
        }
    }

    fn session(token: &Token) -> SessionView {
        let mut view = SessionView::new(ORIGIN, MASTER, token);
        view.subscribe("call_created");
        view.started = true;
        view
    }

    fn event() -> BusEvent {
        BusEvent {
            header_name: Some("call_created".into()),
            origin_uuid: Some(ORIGIN.to_string()),
            tenant_uuid: Some(TENANT.to_string()),
            all_users: false,
            users: vec![USER.to_string()],
            required_acl: RequiredAcl::Text(format!("events.calls.{USER}")),
            body: br#"{"name": "call_created", "data": {}}"#.to_vec(),
        }
    }

    fn reason(event: &BusEvent, session: &SessionView) -> Option<DropReason> {
        match decide(event, session) {
            Decision::Deliver(body) => {
                assert_eq!(body["name"], json!("call_created"));
                None
            }
            Decision::Drop(reason) => Some(reason),
        }
    }

    #[test]
    fn each_rule_names_its_reason() {
        let plain = session(&token());
        assert_eq!(reason(&event(), &plain), None);

        type Change = Box<dyn Fn(&mut BusEvent, &mut SessionView)>;
        let cases: Vec<(DropReason, Change)> = vec![
            (
                DropReason::NotSubscribed,
                Box::new(|e, _| e.header_name = Some("call_ended".into())),
            ),
            (
                DropReason::NotSubscribed,
                Box::new(|e, _| e.header_name = None),
            ),
            (
                DropReason::OtherOrigin,
                Box::new(|e, _| e.origin_uuid = Some(Uuid::nil().to_string())),
            ),
            (
                DropReason::OtherOrigin,
                Box::new(|e, _| e.origin_uuid = None),
            ),
            (
                DropReason::OtherTenant,
                Box::new(|e, _| e.tenant_uuid = Some(MASTER.to_string())),
            ),
            (
                DropReason::OtherTenant,
                Box::new(|e, _| e.tenant_uuid = None),
            ),
            (
                DropReason::OtherUser,
                Box::new(|e, _| e.users = vec![Uuid::nil().to_string()]),
            ),
            (
                DropReason::BadBody,
                Box::new(|e, _| e.body = b"[1]".to_vec()),
            ),
            (DropReason::BadBody, Box::new(|e, _| e.body = b"{".to_vec())),
            (
                DropReason::BadBody,
                Box::new(|e, _| e.body = b"{\"a\": \"\xff\"}".to_vec()),
            ),
            (
                DropReason::NoRequiredAcl,
                Box::new(|e, _| e.required_acl = RequiredAcl::Absent),
            ),
            (
                DropReason::AclNotText,
                Box::new(|e, _| e.required_acl = RequiredAcl::Other),
            ),
            (
                DropReason::AclDenied,
                Box::new(|e, _| e.required_acl = RequiredAcl::Text("events.calls.other".into())),
            ),
            (DropReason::NotStarted, Box::new(|_, s| s.started = false)),
        ];
        for (expected, change) in cases {
            let mut event = event();
            let mut view = plain.clone();
            change(&mut event, &mut view);
            assert_eq!(reason(&event, &view), Some(expected));
        }
    }

    #[test]
    fn names_come_from_the_header_or_the_body() {
        let mut view = session(&token());
        view.all_names = true;
        let mut nameless = event();
        nameless.header_name = None;
        assert_eq!(
            reason(&nameless, &view),
            None,
            "the body's name counts under *"
        );
        nameless.body = br#"{"data": {}}"#.to_vec();
        assert_eq!(reason(&nameless, &view), Some(DropReason::NoName));
        nameless.body = br#"{"name": 3}"#.to_vec();
        assert_eq!(reason(&nameless, &view), Some(DropReason::NoName));
    }

    #[test]
    fn null_acl_and_wildcard_user_reach_everyone() {
        let view = session(&token());
        let mut broadcast = event();
        broadcast.users.clear();
        broadcast.all_users = true;
        broadcast.required_acl = RequiredAcl::Null;
        assert_eq!(reason(&broadcast, &view), None);
    }

    #[test]
    fn privileges_widen_the_audience() {
        let mut other_user = event();
        other_user.users = vec![Uuid::nil().to_string()];
        other_user.required_acl = RequiredAcl::Null;

        let mut admin = token();
        admin.admin = true;
        assert_eq!(reason(&other_user, &session(&admin)), None);
        for purpose in ["external_api", "internal"] {
            let mut service = token();
            service.purpose = Some(purpose.into());
            assert_eq!(reason(&other_user, &session(&service)), None, "{purpose}");
        }
        // A tenant admin stays within the tenant.
        let mut elsewhere = other_user.clone();
        elsewhere.tenant_uuid = Some(Uuid::nil().to_string());
        assert_eq!(
            reason(&elsewhere, &session(&admin)),
            Some(DropReason::OtherTenant)
        );
        // The master tenant sees every tenant, and events without one.
        let mut master = token();
        master.tenant_uuid = MASTER;
        assert_eq!(reason(&elsewhere, &session(&master)), None);
        elsewhere.tenant_uuid = None;
        assert_eq!(reason(&elsewhere, &session(&master)), None);
        // But never another origin.
        elsewhere.origin_uuid = Some(Uuid::nil().to_string());
        assert_eq!(
            reason(&elsewhere, &session(&master)),
            Some(DropReason::OtherOrigin)
        );
    }

    #[test]
    fn headers_are_read_with_their_amqp_types() {
        let mut table = FieldTable::new();
        let mut put = |name: &str, value: FieldValue| {
            table.insert(name.try_into().unwrap(), value);
        };
        put("name", FieldValue::S("call_created".try_into().unwrap()));
        put(
            "origin_uuid",
            FieldValue::S(ORIGIN.to_string().as_str().try_into().unwrap()),
        );
        put("required_acl", FieldValue::V);
        put(&format!("user_uuid:{USER}"), FieldValue::t(true));
        put("user_uuid:*", FieldValue::t(false));
        put("user_uuid:other", FieldValue::S("true".try_into().unwrap()));
        let event = BusEvent::from_amqp(Some(&table), Vec::new());
        assert_eq!(event.header_name.as_deref(), Some("call_created"));
        assert_eq!(event.required_acl, RequiredAcl::Null);
        assert_eq!(event.users, vec![USER.to_string()]);
        assert!(!event.all_users);
        assert_eq!(event.tenant_uuid, None);
    }
}
