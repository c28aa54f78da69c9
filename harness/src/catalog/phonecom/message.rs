//! The `message` data type: SMS and MMS.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Direction, Participant};

/// SMS or MMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    Sms,
    Mms,
}

/// The inbox storing a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inbox {
    /// The ID of the message in the inbox.
    pub id: u64,
    /// The ID of the extension owning the inbox; null when no extension owns
    /// the number (the published example `message.json` has null).
    pub extension_id: Option<u64>,
    /// The customer's number associated with the message.
    pub did: String,
}

/// An attachment of an MMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// Where the attachment can be fetched.
    pub url: String,
    /// The MIME type.
    #[serde(rename = "type")]
    pub mime_type: String,
    /// Size in bytes.
    pub size: u64,
    /// The file name.
    pub filename: String,
    /// The URL of a thumbnail, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

/// A message event's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// The message's identifier.
    pub uuid: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The delivery status: `received`, `sent`, … (the list is open).
    pub state: String,
    /// The inbox storing the message.
    pub inbox: Inbox,
    /// The sender (a `did` participant).
    pub from: Participant,
    /// The recipients (`did` participants).
    pub to: Vec<Participant>,
    /// SMS or MMS.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The text.
    pub message: String,
    /// The attachments: documented "for mms". Absent or `[]` for an SMS are
    /// both accepted; switchboard writes `[]` (erratum `phonecom-sms-media`).
    #[serde(default)]
    pub media: Vec<Media>,
}
