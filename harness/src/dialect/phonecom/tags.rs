//! The documented tags: what subscriptions match, with AND logic.
//!
//! Every event carries the tags of its kind (`call`, `message`, `call-log`,
//! `recording`, `api-error`) followed by the tags that narrow it down. The order is fixed
//! (kind first, as in the documentation's example) so snapshots are stable;
//! matching does not depend on it.

use crate::catalog::phonecom::{Direction, LegState, MessageType};
use crate::scenario::MessageDirection;

/// Which side of a call or message is a phone number or an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A phone number (an outside party).
    Did,
    /// An extension of the account (a user).
    Extension,
}

/// The tags of a call leg event: `call`, `<state>-call`, `first-leg` or
/// `not-first-leg`, the direction, `from-…` and `to-…`.
pub fn call(
    state: LegState,
    first_leg: bool,
    direction: Direction,
    from: Side,
    to: Side,
) -> Vec<String> {
    let state = match state {
        LegState::New => "new-call",
        LegState::Connecting => "connecting-call",
        LegState::Connected => "connected-call",
        LegState::Completed => "completed-call",
    };
    let leg = if first_leg {
        "first-leg"
    } else {
        "not-first-leg"
    };
    let from = match from {
        Side::Did => "from-did",
        Side::Extension => "from-extension",
    };
    let to = match to {
        Side::Did => "to-did",
        Side::Extension => "to-extension",
    };
    ["call", state, leg, direction_tag(direction), from, to]
        .map(String::from)
        .to_vec()
}

/// The tags of a message event, in the order of Phone.com's published
/// `message.json`: `message`, `*ms-message` (either kind), `sms-message` or
/// `mms-message`, the state (`received-message`, `sent-message`), the direction.
pub fn message(kind: MessageType, direction: MessageDirection) -> Vec<String> {
    let kind = match kind {
        MessageType::Sms => "sms-message",
        MessageType::Mms => "mms-message",
    };
    let (direction, state) = match direction {
        MessageDirection::Received => (Direction::Inbound, "received-message"),
        MessageDirection::Sent => (Direction::Outbound, "sent-message"),
    };
    [
        "message",
        "*ms-message",
        kind,
        state,
        direction_tag(direction),
    ]
    .map(String::from)
    .to_vec()
}

/// The tags of a call log event.
pub fn call_log() -> Vec<String> {
    vec!["call-log".to_string()]
}

/// The tags of an API error: `api-error`, and `api-error-trusted` unless the
/// request was unauthorised (401), as tags.md says.
pub fn api_error(status: u16) -> Vec<String> {
    let mut tags = vec!["api-error".to_string()];
    if status != UNAUTHORIZED {
        tags.push("api-error-trusted".to_string());
    }
    tags
}

/// The status of an unauthorised request, which `api-error-trusted` excludes.
const UNAUTHORIZED: u16 = 401;

/// The tags of a call recording event.
pub fn call_recording() -> Vec<String> {
    vec!["recording".to_string(), "call-recording".to_string()]
}

fn direction_tag(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}
