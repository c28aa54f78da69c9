//! The frames of the Wazo WebSocket, as wazo-websocketd writes and reads them
//! (`wazo_websocketd/protocol.py` and the query string of `session.py`).
//!
//! Server frames are `json.dumps({'op': …, 'code': 0, 'data': …})`: keys in
//! that order, Python's separators (`", "` and `": "`) and Python's default
//! `ensure_ascii` escaping. A client written against the real server may
//! compare frames as text, so they are reproduced byte for byte.

use std::fmt::Write as _;

use serde_json::Value;

/// Close code: the upgrade carried no token.
pub const CLOSE_NO_TOKEN: u16 = 4001;
/// Close code: the token is unknown, expired or lacks the `websocketd` ACL.
pub const CLOSE_AUTH_FAILED: u16 = 4002;
/// Close code: a periodic check found the session's token no longer valid.
pub const CLOSE_AUTH_EXPIRED: u16 = 4003;
/// Close code: a malformed command, an unknown op, or an unsupported version.
pub const CLOSE_PROTOCOL_ERROR: u16 = 4004;
/// Close code: the bus connection was lost, or an unexpected error.
pub const CLOSE_INTERNAL_ERROR: u16 = 1011;
/// Close code: an incoming message larger than [`MAX_INCOMING_MESSAGE`].
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: the server is shutting down.
pub const CLOSE_GOING_AWAY: u16 = 1001;

/// The largest client message accepted (the `websockets` library's default
/// `max_size`, which wazo-websocketd keeps): 1 MiB.
pub const MAX_INCOMING_MESSAGE: usize = 1 << 20;

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerFrame {
    /// First frame of every accepted session, with the negotiated version.
    Init {
        /// 1 or 2.
        version: u8,
    },
    /// A `subscribe` command was applied (its binding exists).
    Subscribe,
    /// The session is started: events flow from now on.
    Start,
    /// A `token` command replaced the session's token.
    Token,
    /// Answer to a version-2 `ping`.
    Pong {
        /// The client's payload, echoed.
        payload: String,
    },
    /// A version-2 event: the bus message's body, parsed.
    Event(Value),
}

impl ServerFrame {
    /// The frame as the real server writes it.
    pub fn encode(&self) -> String {
        let (op, data) = match self {
            Self::Init { version } => ("init", serde_json::json!({ "version": version })),
            Self::Subscribe => ("subscribe", Value::Null),
            Self::Start => ("start", Value::Null),
            Self::Token => ("token", Value::Null),
            Self::Pong { payload } => ("pong", serde_json::json!({ "payload": payload })),
            Self::Event(body) => ("event", body.clone()),
        };
        let mut out = String::with_capacity(64);
        out.push_str(r#"{"op": "#);
        python_dumps(&Value::String(op.to_owned()), &mut out);
        out.push_str(r#", "code": 0, "data": "#);
        python_dumps(&data, &mut out);
        out.push('}');
        out
    }

    /// The v2 event frame for an already parsed body, without cloning it.
    pub fn encode_event(body: &Value) -> String {
        let mut out = String::with_capacity(128);
        out.push_str(r#"{"op": "event", "code": 0, "data": "#);
        python_dumps(body, &mut out);
        out.push('}');
        out
    }
}

/// Writes `value` as Python's `json.dumps(value)` would: `", "` and `": "`
/// separators, non-ASCII characters as `\uXXXX` (surrogate pairs above the
/// BMP), keys in their order.
pub fn python_dumps(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => {
            // Integers print alike; floats use the shortest round-trip form in
            // both languages, except for exponents (`1e-05` in Python).
            let _ = write!(out, "{number}");
        }
        Value::String(text) => python_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                python_dumps(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                python_string(key, out);
                out.push_str(": ");
                python_dumps(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string with Python's `ensure_ascii` escaping.
fn python_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='\u{7f}' => out.push(character),
            _ => {
                let mut units = [0_u16; 2];
                for unit in character.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// A command a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Bind the session to an event name (`*`: every name).
    Subscribe {
        /// The event name, compared exactly.
        event_name: String,
    },
    /// Start receiving events.
    Start,
    /// Replace the session's token.
    Token {
        /// The new token's id.
        token: String,
    },
    /// Application-level ping; answered with a `pong` in version 2.
    Ping {
        /// Echoed in the `pong`.
        payload: String,
    },
}

/// Why a client message is not a command; the session closes with 4004.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A binary frame (commands are text).
    #[error("expected a text frame, got a binary one")]
    Binary,
    /// Not JSON at all.
    #[error("not a valid JSON document")]
    NotJson,
    /// JSON whose root is not an object.
    #[error("the JSON document's root is not an object")]
    NotAnObject,
    /// No `op` key.
    #[error("the object has no \"op\" key")]
    MissingOp,
    /// `op` is not a string.
    #[error("the object's \"op\" value is not a string")]
    OpNotString,
    /// An op the server does not know (`init`, `event`, `unsubscribe`, …).
    #[error("unknown operation \"{0}\"")]
    UnknownOp(String),
    /// `data` is absent, not an object, or lacks the op's string field.
    #[error("operation \"{op}\" needs \"data\" to be an object holding the string \"{field}\"")]
    BadData {
        /// The op.
        op: String,
        /// The field it needs.
        field: &'static str,
    },
}

impl Command {
    /// Decodes a text frame.
    pub fn decode(text: &str) -> Result<Self, ProtocolError> {
        let root: Value = serde_json::from_str(text).map_err(|_| ProtocolError::NotJson)?;
        let Value::Object(object) = root else {
            return Err(ProtocolError::NotAnObject);
        };
        let op = match object.get("op") {
            None => return Err(ProtocolError::MissingOp),
            Some(Value::String(op)) => op.as_str(),
            Some(_) => return Err(ProtocolError::OpNotString),
        };
        let field = |name: &'static str| -> Result<String, ProtocolError> {
            object
                .get("data")
                .and_then(Value::as_object)
                .and_then(|data| data.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ProtocolError::BadData {
                    op: op.to_owned(),
                    field: name,
                })
        };
        match op {
            "subscribe" => Ok(Self::Subscribe {
                event_name: field("event_name")?,
            }),
            "start" => Ok(Self::Start),
            "token" => Ok(Self::Token {
                token: field("token")?,
            }),
            "ping" => Ok(Self::Ping {
                payload: field("payload")?,
            }),
            other => Err(ProtocolError::UnknownOp(other.to_owned())),
        }
    }
}

/// What the upgrade request asks for: the token and the protocol version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    /// The token id: query `token`, else header `X-Auth-Token`.
    pub token: Option<String>,
    /// The requested version, checked by [`Upgrade::version`].
    pub version: Result<u8, VersionError>,
}

/// Why the requested version is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// An integer other than 1 or 2: close 4004.
    #[error("protocol version {0} is not supported (1 or 2)")]
    Unsupported(i64),
    /// Not an integer (`version=undefined`): the real server fails with an
    /// unexpected error, close 1011.
    #[error("protocol version {0:?} is not an integer")]
    NotAnInteger(String),
}

impl VersionError {
    /// The close code the real server sends for this error.
    pub fn close_code(&self) -> u16 {
        match self {
            Self::Unsupported(_) => CLOSE_PROTOCOL_ERROR,
            Self::NotAnInteger(_) => CLOSE_INTERNAL_ERROR,
        }
    }
}

impl Upgrade {
    /// Reads the request's query string and headers (name, value) as the real
    /// server does: first non-blank occurrence of each parameter (Python's
    /// `parse_qsl` drops blank values); the path itself is ignored.
    pub fn parse<'a>(
        query: Option<&str>,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut token = None;
        let mut version = None;
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if value.is_empty() {
                continue;
            }
            match name.as_ref() {
                "token" if token.is_none() => token = Some(value.into_owned()),
                "version" if version.is_none() => version = Some(value.into_owned()),
                _ => {}
            }
        }
        if token.is_none() {
            token = headers
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("x-auth-token"))
                .map(|(_, value)| value.to_owned())
                .filter(|value| !value.is_empty());
        }
        let version = match version {
            None => Ok(1),
            Some(raw) => parse_python_int(&raw)
                .ok_or(VersionError::NotAnInteger(raw))
                .and_then(|number| match number {
                    1 => Ok(1),
                    2 => Ok(2),
                    other => Err(VersionError::Unsupported(other)),
                }),
        };
        Self { token, version }
    }
}

/// Python's `int(text)` for the forms a query string carries: surrounding
/// whitespace, an optional sign, decimal digits with single `_` between them.
fn parse_python_int(text: &str) -> Option<i64> {
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let number: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -number } else { number })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_frames_are_written_as_python_json_dumps_writes_them() {
        assert_eq!(
            ServerFrame::Init { version: 2 }.encode(),
            r#"{"op": "init", "code": 0, "data": {"version": 2}}"#
        );
        assert_eq!(
            ServerFrame::Subscribe.encode(),
            r#"{"op": "subscribe", "code": 0, "data": null}"#
        );
        assert_eq!(
            ServerFrame::Start.encode(),
            r#"{"op": "start", "code": 0, "data": null}"#
        );
        assert_eq!(
            ServerFrame::Token.encode(),
            r#"{"op": "token", "code": 0, "data": null}"#
        );
        assert_eq!(
            ServerFrame::Pong {
                payload: "pong".into()
            }
            .encode(),
            r#"{"op": "pong", "code": 0, "data": {"payload": "pong"}}"#
        );
        let body: Value = serde_json::from_str(
            r#"{"name":"call_created","data":{"n":[1,2.5,true,null],"é":"\u2603 😀\n"}}"#,
        )
        .unwrap();
        assert_eq!(
            ServerFrame::Event(body).encode(),
            r#"{"op": "event", "code": 0, "data": {"name": "call_created", "data": {"n": [1, 2.5, true, null], "\u00e9": "\u2603 \ud83d\ude00\n"}}}"#
        );
    }

    #[rstest::rstest]
    #[case(r#"{"op": "subscribe", "data": {"event_name": "call_created"}}"#, Ok(Command::Subscribe { event_name: "call_created".into() }))]
    #[case(r#"{"op": "subscribe", "data": {"event_name": "*"}}"#, Ok(Command::Subscribe { event_name: "*".into() }))]
    #[case(r#"{"op": "start"}"#, Ok(Command::Start))]
    #[case(r#"{"op": "start", "data": 12}"#, Ok(Command::Start))]
    #[case(r#"{"op": "token", "data": {"token": "abc"}}"#, Ok(Command::Token { token: "abc".into() }))]
    #[case(r#"{"op": "ping", "data": {"payload": "pong"}}"#, Ok(Command::Ping { payload: "pong".into() }))]
    #[case(r#"{"op": "ping", "data": {"payload": 1}}"#, Err(ProtocolError::BadData { op: "ping".into(), field: "payload" }))]
    #[case(r#"{"op": "subscribe"}"#, Err(ProtocolError::BadData { op: "subscribe".into(), field: "event_name" }))]
    #[case(r#"{"op": "subscribe", "data": "x"}"#, Err(ProtocolError::BadData { op: "subscribe".into(), field: "event_name" }))]
    #[case(r#"{"op": "init"}"#, Err(ProtocolError::UnknownOp("init".into())))]
    #[case(r#"{"op": "unsubscribe", "data": {"event_name": "x"}}"#, Err(ProtocolError::UnknownOp("unsubscribe".into())))]
    #[case(r#"{"op": 1}"#, Err(ProtocolError::OpNotString))]
    #[case(r#"{"data": {}}"#, Err(ProtocolError::MissingOp))]
    #[case(r#"["op"]"#, Err(ProtocolError::NotAnObject))]
    #[case(r#"{"op": "#, Err(ProtocolError::NotJson))]
    fn commands(#[case] text: &str, #[case] expected: Result<Command, ProtocolError>) {
        assert_eq!(Command::decode(text), expected);
    }

    #[rstest::rstest]
    #[case(Some("token=T&version=2"), &[], Some("T"), Ok(2))]
    #[case(Some("version=1"), &[("X-Auth-Token", "H")], Some("H"), Ok(1))]
    #[case(Some("token=Q"), &[("x-auth-token", "H")], Some("Q"), Ok(1))]
    #[case(Some("token=&token=second"), &[], Some("second"), Ok(1))]
    #[case(None, &[], None, Ok(1))]
    #[case(Some("version="), &[], None, Ok(1))]
    #[case(Some("version=3"), &[], None, Err(VersionError::Unsupported(3)))]
    #[case(Some("version=%202%20"), &[], None, Ok(2))]
    #[case(Some("version=undefined"), &[], None, Err(VersionError::NotAnInteger("undefined".into())))]
    #[case(Some("token=T&userUuid=x&version=2&version=1"), &[], Some("T"), Ok(2))]
    fn upgrades(
        #[case] query: Option<&str>,
        #[case] headers: &[(&str, &str)],
        #[case] token: Option<&str>,
        #[case] version: Result<u8, VersionError>,
    ) {
        let upgrade = Upgrade::parse(query, headers.iter().copied());
        assert_eq!(upgrade.token.as_deref(), token);
        assert_eq!(upgrade.version, version);
    }

    #[test]
    fn version_errors_close_as_the_real_server_does() {
        assert_eq!(VersionError::Unsupported(0).close_code(), 4004);
        assert_eq!(VersionError::NotAnInteger("x".into()).close_code(), 1011);
    }
}
