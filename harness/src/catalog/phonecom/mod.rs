//! The Phone.com events v2 format: the envelope and the data types it carries.
//!
//! Phone.com delivers each event to a webhook as one JSON document. The envelope
//! says which kind of object `data` holds (`data_type`); each kind is a Rust type
//! here, and [`data_types`] lists them for the contract checker and the CLI.
//! [`examples`] holds the events Phone.com publishes as examples.

use std::sync::OnceLock;

use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

mod api_error;
mod call;
mod call_log;
pub mod examples;
mod message;
mod recording;

pub use api_error::{ApiError, ApiRequest, ApiResponse};
pub use call::{
    Call, CompletionStatus, Leg, LegState, Participant, ParticipantId, ParticipantType,
};
pub use call_log::CallLog;
pub use message::{Inbox, Media, Message, MessageType};
pub use recording::{Recording, RecordingType};

/// The only format version this catalog describes.
pub const VERSION: &str = "2.0.0";

/// The documentation's example: a call event.
pub const CALL_EXAMPLE: &str = include_str!("examples/call.json");

/// The format version; only `2.0.0` is documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Version {
    #[serde(rename = "2.0.0")]
    V2,
}

/// Direction of a call or a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// What a listener is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContextType {
    Account,
    Extension,
}

/// The account or extension the listener belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// Whether the listener belongs to an account or an extension.
    #[serde(rename = "type")]
    pub kind: ContextType,
    /// The ID of the account or extension.
    pub id: u64,
    /// The VoIP account ID.
    pub voip_id: u64,
}

/// The kind of object an event carries in `data`, written as Phone.com's
/// published examples write it (`call-log`, `api-error`: kebab-case, like the tags).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DataType {
    Call,
    Message,
    CallLog,
    Recording,
    ApiError,
}

impl DataType {
    /// The value of `data_type` on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Call => "call",
            DataType::Message => "message",
            DataType::CallLog => "call-log",
            DataType::Recording => "recording",
            DataType::ApiError => "api-error",
        }
    }
}

/// A Phone.com v2 event, generic over its `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope<D> {
    /// A unique identifier for the event.
    pub uuid: Uuid,
    /// The event format version.
    pub version: Version,
    /// The listener (webhook subscription) the event is delivered to.
    pub listener_id: u64,
    /// The account or extension associated with the listener.
    pub context: Context,
    /// UNIX timestamp, seconds.
    pub timestamp: u64,
    /// UNIX timestamp, nanoseconds.
    pub timestamp_ns: u64,
    /// The event's tags; subscriptions match them with AND logic.
    pub tags: Vec<String>,
    /// The kind of object in `data`.
    pub data_type: DataType,
    /// The identifier of the object in `data`.
    pub data_object_uuid: Uuid,
    /// The object itself.
    pub data: D,
}

/// A type that can travel in an event's `data`, and the `data_type` that says so.
pub trait DataObject: Serialize {
    const DATA_TYPE: DataType;
}

impl DataObject for Call {
    const DATA_TYPE: DataType = DataType::Call;
}

impl DataObject for Message {
    const DATA_TYPE: DataType = DataType::Message;
}

impl DataObject for CallLog {
    const DATA_TYPE: DataType = DataType::CallLog;
}

impl DataObject for Recording {
    const DATA_TYPE: DataType = DataType::Recording;
}

impl DataObject for ApiError {
    const DATA_TYPE: DataType = DataType::ApiError;
}

/// The nanoseconds in a second, to derive `timestamp` from `timestamp_ns`.
const NANOS_PER_SECOND: u64 = 1_000_000_000;

impl<D: DataObject> Envelope<D> {
    /// An event carrying `data`: `version` and `data_type` follow from the type, and
    /// `timestamp` (seconds) from `timestamp_ns`, so they cannot disagree.
    pub fn new(
        uuid: Uuid,
        listener_id: u64,
        context: Context,
        timestamp_ns: u64,
        tags: Vec<String>,
        data_object_uuid: Uuid,
        data: D,
    ) -> Self {
        Envelope {
            uuid,
            version: Version::V2,
            listener_id,
            context,
            timestamp: timestamp_ns / NANOS_PER_SECOND,
            timestamp_ns,
            tags,
            data_type: D::DATA_TYPE,
            data_object_uuid,
            data,
        }
    }
}

/// One kind of `data` and the typed functions that go with it.
#[derive(Debug, Clone, Copy)]
pub struct DataTypeEntry {
    pub data_type: DataType,
    /// What the object describes.
    pub description: &'static str,
    /// The Rust type, for `catalog show`.
    pub rust_type: &'static str,
    /// The documentation's example, when it has one.
    pub example: Option<&'static str>,
    envelope_schema: fn() -> Schema,
    data_schema: fn() -> Schema,
    decode_data: fn(&Value) -> Result<Value, serde_json::Error>,
}

impl DataTypeEntry {
    fn of<D: Serialize + DeserializeOwned + JsonSchema>(
        data_type: DataType,
        description: &'static str,
        example: Option<&'static str>,
    ) -> Self {
        DataTypeEntry {
            data_type,
            description,
            rust_type: std::any::type_name::<D>(),
            example,
            envelope_schema: || schemars::schema_for!(Envelope<D>),
            data_schema: || schemars::schema_for!(D),
            decode_data: |value| serde_json::to_value(serde_json::from_value::<D>(value.clone())?),
        }
    }

    /// The JSON Schema of a whole event carrying this kind of data.
    pub fn envelope_schema(&self) -> Schema {
        (self.envelope_schema)()
    }

    /// The JSON Schema of `data`.
    pub fn data_schema(&self) -> Schema {
        (self.data_schema)()
    }

    /// Deserialises `data` into the Rust type and serialises it back.
    pub fn decode_data(&self, data: &Value) -> Result<Value, serde_json::Error> {
        (self.decode_data)(data)
    }
}

/// Every documented kind of `data`.
pub fn data_types() -> &'static [DataTypeEntry] {
    static ENTRIES: OnceLock<Vec<DataTypeEntry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        vec![
            DataTypeEntry::of::<Call>(
                DataType::Call,
                "A call: its current leg and its first leg.",
                Some(CALL_EXAMPLE),
            ),
            DataTypeEntry::of::<Message>(
                DataType::Message,
                "An SMS or MMS message.",
                Some(examples::MESSAGE),
            ),
            DataTypeEntry::of::<CallLog>(
                DataType::CallLog,
                "A call log entry is available or was updated.",
                Some(examples::CALL_LOG),
            ),
            DataTypeEntry::of::<Recording>(
                DataType::Recording,
                "A call recording is available.",
                Some(examples::RECORDING),
            ),
            DataTypeEntry::of::<ApiError>(
                DataType::ApiError,
                "A request to Phone.com's API returned an error (account-level listeners only).",
                Some(examples::API_ERROR),
            ),
        ]
    })
}

/// The entry for a `data_type` value, if documented.
pub fn data_type(name: &str) -> Option<&'static DataTypeEntry> {
    data_types()
        .iter()
        .find(|entry| entry.data_type.as_str() == name)
}
