//! The Phone.com events v2 dialect: a timeline told as Phone.com's event hub
//! tells it, one v2 event per leg change, message, call log and recording.
//!
//! | file | what it holds |
//! |---|---|
//! | [`parties`] | Phone.com's view of the scenario's parties: account, devices, extensions, DIDs |
//! | [`calls`] | calls as sets of legs: leg states, completion statuses, `event_leg`/`first_leg` |
//! | [`messages`] | SMS and MMS |
//! | [`call_records`] | call logs and call recordings |
//! | [`api_errors`] | `api-error`: a request to Phone.com's API that failed |
//! | [`email`] | an event as an EMAIL callback carries it (`json` and `text` modes) |
//! | [`tags`] | the documented tags each event carries |
//! | [`spacing`] | leg steps spaced in time as Phone.com spaces them (the scenario's `[phonecom]`) |
//! | [`reorder`] | `--reorder-window`: closely-timed events shuffled, deterministically |
//!
//! Rendering stops short of the envelope's per-listener fields: a
//! [`PhonecomEvent`] becomes the JSON a webhook receives with
//! [`PhonecomEvent::envelope`], once the listener is known
//! ([`crate::sink::webhook`] does that for each matching listener).
//!
//! ```
//! use switchboard::dialect::phonecom::{self, RenderOptions};
//! use switchboard::scenario::{Scenario, SourceFile};
//! use switchboard::sim::{self, SimOptions};
//!
//! let scenario = Scenario::parse(&SourceFile::new("s.toml", r#"
//! name = "s"
//! [users.alice]
//! [externals.bob]
//! [[steps]]
//! action = "sms.receive"
//! message = "m1"
//! from = "bob"
//! to = "alice"
//! text = "Running late"
//! "#.to_string())).unwrap();
//! let timeline = sim::simulate(&scenario, &SimOptions::default()).unwrap();
//! let rendered = phonecom::render(&timeline, &RenderOptions::default()).unwrap();
//! assert_eq!(rendered.events[0].tags, ["message", "*ms-message", "sms-message", "received-message", "inbound"]);
//! ```

pub mod api_errors;
pub mod call_records;
pub mod calls;
pub mod email;
pub mod messages;
pub mod parties;
pub mod reorder;
pub mod spacing;
pub mod tags;

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::catalog::phonecom::{Context, DataObject, DataType};
use crate::sim::{DomainEvent, Fakes, Timed, Timeline};

pub use parties::PhonecomParties;

/// How to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Shuffle events whose timestamps are at most this far apart
    /// (`--reorder-window 50ms`); `None` keeps the simulation's order.
    pub reorder_window: Option<Duration>,
}

/// A timeline rendered as Phone.com v2 events.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The account the events belong to (the default listener context).
    pub account_id: u64,
    /// The events, in delivery order.
    pub events: Vec<PhonecomEvent>,
}

/// One v2 event, everything but the listener it is delivered to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhonecomEvent {
    /// Its position in the simulation's order, from 0 (kept when reordered).
    pub index: usize,
    /// The event's own uuid, from the seed.
    pub uuid: Uuid,
    /// UNIX time in nanoseconds, from the virtual clock.
    pub timestamp_ns: u64,
    /// The documented tags subscriptions match against.
    pub tags: Vec<String>,
    /// The kind of object in `data`.
    pub data_type: DataType,
    /// The object's uuid (a call's for every event of its legs).
    pub data_object_uuid: Uuid,
    /// The object.
    pub data: Value,
    /// The extension ids the event concerns: a listener in an extension's
    /// context receives only the events that name its extension.
    #[serde(skip)]
    pub extensions: BTreeSet<u64>,
    /// Whether only account-level listeners receive it (`api-error`: "account
    /// level only" in Phone.com's tags.md).
    #[serde(skip)]
    pub account_only: bool,
}

impl PhonecomEvent {
    /// The event as delivered to `listener_id` in `context`: the full v2 envelope.
    pub fn envelope(&self, listener_id: u64, context: &Context) -> Value {
        serde_json::json!({
            "uuid": self.uuid,
            "version": crate::catalog::phonecom::VERSION,
            "listener_id": listener_id,
            "context": context,
            "timestamp": self.timestamp_ns / NANOS_PER_SECOND,
            "timestamp_ns": self.timestamp_ns,
            "tags": self.tags,
            "data_type": self.data_type,
            "data_object_uuid": self.data_object_uuid,
            "data": self.data,
        })
    }
}

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Why a timeline cannot be told in Phone.com's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// Phone.com extensions are numbers.
    #[error(
        "user \"{user}\" has extension \"{extension}\", which is not a number; Phone.com extensions are numbers (set `extension = \"1001\"`)"
    )]
    ExtensionNotANumber {
        /// The user's handle.
        user: String,
        /// Its extension.
        extension: String,
    },
    /// A party named by an event is not in the directory (a simulation bug).
    #[error("the timeline names party \"{0}\", which its directory does not hold")]
    UnknownParty(String),
    /// A text message's inbox owner is neither a user nor a tenant.
    #[error("\"{0}\" holds a message inbox but is not a user or a tenant; only they have inboxes")]
    NotAUser(String),
    /// Timestamps are UNIX times.
    #[error("the virtual clock is before 1970 ({0}); Phone.com timestamps are UNIX times")]
    BeforeEpoch(time::OffsetDateTime),
}

/// Renders every event of `timeline` Phone.com has a word for; the others
/// (conferences, faxes, Wazo administration) are skipped.
pub fn render(timeline: &Timeline, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let parties = PhonecomParties::new(&timeline.directory, timeline.seed);
    let mut legs = calls::Legs::new(timeline.seed);
    let mut timed_objects = Vec::new();
    for timed in &timeline.events {
        let objects = match &timed.event {
            DomainEvent::Channel {
                call,
                channel,
                change,
            } => legs.render(&parties, call, channel, *change)?,
            DomainEvent::TextMessage { message } => vec![messages::render(&parties, message)?],
            DomainEvent::CallLogAvailable { call } => {
                vec![call_records::call_log(&parties, call)?]
            }
            DomainEvent::RecordingAvailable { call, recording } => {
                vec![call_records::recording(&parties, call, recording)?]
            }
            DomainEvent::ApiError { error } => vec![api_errors::render(error, timed.at)],
            _ => Vec::new(),
        };
        let at_ns = unix_nanos(timed)?;
        timed_objects.extend(objects.into_iter().map(|object| (object, at_ns)));
    }
    spacing::space(&mut timed_objects, &timeline.phonecom);
    let mut events: Vec<PhonecomEvent> = timed_objects
        .into_iter()
        .enumerate()
        .map(|(index, (object, at_ns))| object.into_event(index, at_ns, timeline.seed))
        .collect();
    if let Some(window) = options.reorder_window {
        reorder::shuffle_close_events(&mut events, window, timeline.seed);
    }
    Ok(Rendered {
        account_id: parties.account_id,
        events,
    })
}

fn unix_nanos(timed: &Timed) -> Result<u64, RenderError> {
    u64::try_from(timed.at.unix_timestamp_nanos()).map_err(|_| RenderError::BeforeEpoch(timed.at))
}

/// What a renderer produces before it is stamped with an index, a uuid and a time.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub tags: Vec<String>,
    pub data_type: DataType,
    pub data_object_uuid: Uuid,
    pub data: Value,
    pub extensions: BTreeSet<u64>,
    /// Only listeners in the account's context receive it (API errors).
    pub account_only: bool,
    /// The call it belongs to (its legs, its call log, its recording), whose
    /// events keep their order when [`spacing`] moves one of them.
    pub call: Option<Uuid>,
    /// The leg step it reports, for [`spacing`].
    pub leg: Option<spacing::LegStep>,
}

impl Object {
    /// An object of a catalog type; serialising the typed value guarantees its shape.
    pub fn of<D: DataObject>(
        data: &D,
        data_object_uuid: Uuid,
        tags: Vec<String>,
        extensions: BTreeSet<u64>,
    ) -> Self {
        Object {
            tags,
            data_type: D::DATA_TYPE,
            data_object_uuid,
            // Catalog types serialise to JSON without fail: no maps with non-string keys.
            data: serde_json::to_value(data).unwrap_or(Value::Null),
            extensions,
            account_only: false,
            call: None,
            leg: None,
        }
    }

    /// The same object, part of `call`.
    pub fn of_call(mut self, call: Uuid) -> Self {
        self.call = Some(call);
        self
    }

    fn into_event(self, index: usize, timestamp_ns: u64, seed: u64) -> PhonecomEvent {
        PhonecomEvent {
            index,
            uuid: Fakes::new(seed, &format!("phonecom/event/{index}")).uuid(),
            timestamp_ns,
            tags: self.tags,
            data_type: self.data_type,
            data_object_uuid: self.data_object_uuid,
            data: self.data,
            extensions: self.extensions,
            account_only: self.account_only,
        }
    }
}

#[cfg(test)]
mod tests;
