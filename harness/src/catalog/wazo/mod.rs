//! The Wazo message bus catalog: every documented event as typed Rust.
//!
//! Each family module (`auth`, `calls`, `conferences`, …) holds the `data` types of
//! its events and one newtype per event (`calls::CallCreated(Call)`) carrying the
//! event's [`EventSpec`]: name, routing-key and ACL templates, extra headers,
//! description and documented example. The registry ([`entries`], [`lookup`]) is
//! built from those types, so a spec is written once, beside its type.
//!
//! To publish an event, build its typed value and turn it into a
//! [`WazoMessage`]: routing key, AMQP headers and JSON body all come from the spec.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use schemars::{JsonSchema, Schema};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::template::Template;

pub mod ami;
pub mod auth;
pub mod calls;
pub mod conferences;
pub mod cti;
pub mod current;
pub mod differences;
pub mod directory;
mod envelope;
pub mod faxes;
pub mod forwards;
mod message;
mod pick;
pub mod plugins;
mod profile;
pub mod python_json;
pub mod relocates;
pub mod service_registry;
pub mod user_services;
pub mod users;
pub mod voicemails;
pub mod wording;

pub use envelope::Envelope;
pub use message::{Addressing, EncodedMessage, MessageError, WazoMessage, python_isoformat};
pub use profile::{Profile, UnknownProfile, WAZO_BUS_COMMIT, WAZO_CALLD_COMMIT, WAZO_RELEASE};
pub use wording::Wording;

/// The AMQP exchange every Wazo event is published to.
pub const EXCHANGE: &str = "xivo";
/// The type of [`EXCHANGE`].
pub const EXCHANGE_TYPE: &str = "topic";
/// The content type of every message body.
pub const CONTENT_TYPE: &str = "application/json";

/// The section of the documentation an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Ami,
    Auth,
    Cti,
    Calls,
    Conferences,
    Directory,
    Faxes,
    Plugins,
    Relocates,
    Users,
    Forwards,
    UserServices,
    ServiceRegistry,
    Voicemails,
}

impl Family {
    /// The family's name as printed by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ami => "ami",
            Family::Auth => "auth",
            Family::Cti => "cti",
            Family::Calls => "calls",
            Family::Conferences => "conferences",
            Family::Directory => "directory",
            Family::Faxes => "faxes",
            Family::Plugins => "plugins",
            Family::Relocates => "relocates",
            Family::Users => "users",
            Family::Forwards => "forwards",
            Family::UserServices => "user_services",
            Family::ServiceRegistry => "service_registry",
            Family::Voicemails => "voicemails",
        }
    }
}

/// What the documentation says about one event, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpec {
    /// The event's `name`, unique on the bus.
    pub name: &'static str,
    pub family: Family,
    /// When the event is sent (corrected where the documentation copy-pasted it).
    pub description: &'static str,
    /// The routing key the event is published with.
    pub routing_key: Template,
    /// The `required_acl` the event carries, when the documentation gives one.
    pub required_acl: Option<Template>,
    /// Extra AMQP headers, each a name template whose value is `true`
    /// (relocates: `user_uuid:{initiator}`).
    pub headers: &'static [Template],
    /// The documentation's example envelope, verbatim unless an erratum says otherwise.
    /// `None` when the section shows one example for several events.
    pub example: Option<&'static str>,
}

/// A typed event that can be published on the bus.
///
/// Implemented by every event newtype of the catalog (through [`DocumentedEvent`])
/// and by [`ami::AmiEvent`], whose name is chosen at run time.
pub trait WazoEvent {
    /// The catalog spec the message is built from.
    fn spec(&self) -> &'static EventSpec;
    /// The event name, as it appears in the envelope and the `name` header.
    fn name(&self) -> &str {
        self.spec().name
    }
    /// The envelope's `data`, as a JSON tree.
    fn data_json(&self) -> Result<Value, serde_json::Error>;
    /// The envelope's `data`, written as JSON text at the end of `out`.
    ///
    /// The same bytes as serialising [`WazoEvent::data_json`], which it
    /// does by default; typed events write their data straight from their
    /// Rust value instead, without building the tree first (this is on the
    /// load generator's hot path).
    fn write_data_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(out, &self.data_json()?)
    }
    /// The top-level fields `names` of the envelope's `data`, as JSON: what
    /// the spec's templates read. Taken from [`WazoEvent::data_json`] by
    /// default; typed events serialise only those fields.
    fn data_fields(&self, names: &[&str]) -> Map<String, Value> {
        match self.data_json() {
            Ok(Value::Object(mut data)) => {
                data.retain(|key, _| names.contains(&key.as_str()));
                data
            }
            _ => Map::new(),
        }
    }
}

/// An event of the catalog with a fixed name and a typed `data`.
pub trait DocumentedEvent {
    /// The type of the envelope's `data`.
    type Data: Serialize + DeserializeOwned + JsonSchema;
    /// Everything the documentation says about this event.
    const SPEC: &'static EventSpec;
    /// The event's data.
    fn data(&self) -> &Self::Data;
}

impl<E: DocumentedEvent> WazoEvent for E {
    fn spec(&self) -> &'static EventSpec {
        E::SPEC
    }

    fn data_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self.data())
    }

    fn write_data_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(out, self.data())
    }

    fn data_fields(&self, names: &[&str]) -> Map<String, Value> {
        pick::pick_fields(self.data(), names)
    }
}

/// Declares an event newtype over its data type and ties it to its spec.
macro_rules! documented_event {
    ($(#[$meta:meta])* $event:ident($data:ty) = $spec:expr;) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $event(pub $data);

        impl $crate::catalog::wazo::DocumentedEvent for $event {
            type Data = $data;
            const SPEC: &'static $crate::catalog::wazo::EventSpec = &$spec;
            fn data(&self) -> &$data {
                &self.0
            }
        }
    };
}
pub(crate) use documented_event;

/// One row of the registry: an event's spec and the typed functions that go with it.
#[derive(Debug, Clone, Copy)]
pub struct EventEntry {
    pub spec: &'static EventSpec,
    /// The Rust type of `data`, for `catalog show`.
    pub data_type: &'static str,
    envelope_schema: fn() -> Schema,
    data_schema: fn() -> Schema,
    decode_data: fn(&Value) -> Result<Value, serde_json::Error>,
}

impl EventEntry {
    /// The entry of a documented event type.
    pub fn of<E: DocumentedEvent>() -> Self {
        Self::with_data::<E::Data>(E::SPEC)
    }

    pub(crate) fn with_data<D: Serialize + DeserializeOwned + JsonSchema>(
        spec: &'static EventSpec,
    ) -> Self {
        EventEntry {
            spec,
            data_type: std::any::type_name::<D>(),
            envelope_schema: || schemars::schema_for!(Envelope<D>),
            data_schema: || schemars::schema_for!(D),
            decode_data: |value| serde_json::to_value(serde_json::from_value::<D>(value.clone())?),
        }
    }

    /// The event's name.
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The JSON Schema of the whole envelope, derived from the Rust types.
    pub fn envelope_schema(&self) -> Schema {
        (self.envelope_schema)()
    }

    /// The JSON Schema of `data`, derived from the Rust types.
    pub fn data_schema(&self) -> Schema {
        (self.data_schema)()
    }

    /// Deserialises `data` into the event's Rust type and serialises it back: the
    /// round trip a consumer written against the catalog would make.
    pub fn decode_data(&self, data: &Value) -> Result<Value, serde_json::Error> {
        (self.decode_data)(data)
    }

    /// The documented example, parsed.
    pub fn example(&self) -> Option<Result<Value, serde_json::Error>> {
        self.spec.example.map(serde_json::from_str)
    }
}

/// An event the changelog says was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RemovedEvent {
    pub name: &'static str,
    /// The Wazo version whose changelog announces the removal.
    pub removed_in: &'static str,
}

/// The messages the 19.05 changelog deletes. A message carrying one of these names
/// is reported as removed, not as unknown.
pub const REMOVED: &[RemovedEvent] = &[
    RemovedEvent {
        name: "chat_message_event",
        removed_in: "19.05",
    },
    RemovedEvent {
        name: "chat_message_received",
        removed_in: "19.05",
    },
    RemovedEvent {
        name: "chat_message_sent",
        removed_in: "19.05",
    },
    RemovedEvent {
        name: "endpoint_status_update",
        removed_in: "19.05",
    },
    RemovedEvent {
        name: "user_status_update",
        removed_in: "19.05",
    },
];

/// Every documented event with a fixed name, in the documentation's order.
/// AMI events, whose names are open-ended, are described by [`ami::entry`].
pub fn entries() -> &'static [EventEntry] {
    static ENTRIES: OnceLock<Vec<EventEntry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        [
            auth::entries(),
            cti::entries(),
            calls::entries(),
            conferences::entries(),
            directory::entries(),
            faxes::entries(),
            plugins::entries(),
            relocates::entries(),
            users::entries(),
            forwards::entries(),
            user_services::entries(),
            service_registry::entries(),
            voicemails::entries(),
        ]
        .concat()
    })
}

/// The events current Wazo publishes that the document lacks (`call_answered`).
pub fn wazo_only_entries() -> &'static [EventEntry] {
    static ENTRIES: OnceLock<Vec<EventEntry>> = OnceLock::new();
    ENTRIES.get_or_init(calls::wazo_only_entries)
}

/// Every entry of the catalog: the document's events, then current Wazo's own.
pub fn all_entries() -> impl Iterator<Item = &'static EventEntry> {
    entries().iter().chain(wazo_only_entries())
}

/// What `profile` calls `name`: the entry and how the profile words it.
///
/// In the `wazo` profile names are wazo-bus's (`auth_tenant_added`,
/// `call_answered`); the document's names of renamed events are unknown
/// there, as they would be to a current consumer.
pub fn lookup_in(profile: Profile, name: &str) -> Lookup {
    match profile {
        Profile::Documented => match lookup(name) {
            Lookup::Documented(entry) if Wording::of(entry.spec, Profile::Documented).is_none() => {
                Lookup::Unknown
            }
            found => found,
        },
        Profile::Wazo => {
            if let Some(row) = current::by_name(name) {
                let documented = row.documented.unwrap_or(row.name);
                if let Some(entry) = all_entries().find(|entry| entry.name() == documented) {
                    return Lookup::Documented(entry);
                }
            }
            match lookup(name) {
                Lookup::Documented(entry) if Wording::of(entry.spec, Profile::Wazo).is_none() => {
                    Lookup::RemovedFromWazo(entry)
                }
                // A document name whose event current Wazo renamed.
                Lookup::Documented(_) => Lookup::Unknown,
                found => found,
            }
        }
    }
}

/// What the catalog knows about an event name.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// A documented event.
    Documented(&'static EventEntry),
    /// An AMI event (any CamelCase name, published on `ami.{name}`).
    Ami(&'static EventEntry),
    /// An event the changelog deleted.
    Removed(&'static RemovedEvent),
    /// A documented event that current Wazo no longer publishes (`call_form_result`).
    RemovedFromWazo(&'static EventEntry),
    /// A name the documentation does not know.
    Unknown,
}

/// Finds what the catalog knows about `name`.
pub fn lookup(name: &str) -> Lookup {
    static BY_NAME: OnceLock<BTreeMap<&'static str, &'static EventEntry>> = OnceLock::new();
    let by_name =
        BY_NAME.get_or_init(|| all_entries().map(|entry| (entry.name(), entry)).collect());
    if let Some(entry) = by_name.get(name) {
        return Lookup::Documented(entry);
    }
    if let Some(removed) = REMOVED.iter().find(|removed| removed.name == name) {
        return Lookup::Removed(removed);
    }
    if ami::is_ami_event_name(name) {
        return Lookup::Ami(ami::entry());
    }
    Lookup::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = entries().iter().map(EventEntry::name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn lookup_tells_documented_removed_ami_and_unknown_apart() {
        assert!(
            matches!(lookup("call_created"), Lookup::Documented(entry) if entry.name() == "call_created")
        );
        assert!(
            matches!(lookup("user_status_update"), Lookup::Removed(removed) if removed.removed_in == "19.05")
        );
        assert!(matches!(lookup("QueueMemberStatus"), Lookup::Ami(_)));
        assert!(matches!(lookup("call_exploded"), Lookup::Unknown));
    }
}
