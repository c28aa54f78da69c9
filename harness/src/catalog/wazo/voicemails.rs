//! wazo-calld voicemail events: messages left, updated or deleted.
//!
//! One message is published per user associated with the voicemail; a voicemail
//! with no user produces none.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// The kind of a voicemail folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FolderType {
    New,
    Old,
    Urgent,
    Other,
}

/// A voicemail folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Folder {
    /// The folder's ID.
    pub id: u64,
    /// The folder's name, e.g. `inbox`.
    pub name: String,
    /// The folder's kind.
    #[serde(rename = "type")]
    pub kind: FolderType,
}

/// A voicemail message, as wazo-calld's REST API models it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailMessage {
    /// The message's ID.
    pub id: String,
    /// The caller ID name of who left the message.
    pub caller_id_name: String,
    /// The caller ID number of who left the message.
    pub caller_id_num: String,
    /// The length of the message in seconds.
    pub duration: u64,
    /// When the message was left (UNIX time, seconds).
    pub timestamp: u64,
    /// The folder holding the message.
    pub folder: Folder,
    /// Current Wazo: whether the message has no sound (its duration is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty: Option<bool>,
    /// Current Wazo: the transcription, null until one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcription: Option<Transcription>,
    /// Current Wazo: the voicemail box the message is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail: Option<VoicemailBox>,
}

/// A message's transcription (current Wazo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transcription {
    /// The text.
    pub text: String,
}

/// The voicemail box a message is in (current Wazo, from wazo-confd).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailBox {
    /// The voicemail's ID.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `personal` (one user's) or `global` (the tenant's).
    pub accesstype: String,
}

/// A voicemail message event, for one user of the voicemail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserVoicemailMessage {
    /// The user the message is published for.
    pub user_uuid: Uuid,
    /// The voicemail's ID.
    pub voicemail_id: u64,
    /// The message's ID.
    pub message_id: String,
    /// The message.
    pub message: VoicemailMessage,
}

const VOICEMAIL_ACL: Template = Template::new("events.users.{user_uuid}.voicemails");

documented_event! {
    /// `user_voicemail_message_created`
    UserVoicemailMessageCreated(UserVoicemailMessage) = EventSpec {
        name: "user_voicemail_message_created",
        family: Family::Voicemails,
        description: "Sent when a message is left in a voicemail.",
        routing_key: Template::new("voicemails.messages.created"),
        required_acl: Some(VOICEMAIL_ACL),
        headers: &[],
        example: Some(include_str!("examples/user_voicemail_message_created.json")),
    };
}

documented_event! {
    /// `user_voicemail_message_updated`
    UserVoicemailMessageUpdated(UserVoicemailMessage) = EventSpec {
        name: "user_voicemail_message_updated",
        family: Family::Voicemails,
        description: "Sent when a voicemail message is updated (e.g. moved to another folder).",
        routing_key: Template::new("voicemails.messages.updated"),
        required_acl: Some(VOICEMAIL_ACL),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `user_voicemail_message_deleted`
    UserVoicemailMessageDeleted(UserVoicemailMessage) = EventSpec {
        name: "user_voicemail_message_deleted",
        family: Family::Voicemails,
        description: "Sent when a voicemail message is deleted.",
        routing_key: Template::new("voicemails.messages.deleted"),
        required_acl: Some(VOICEMAIL_ACL),
        headers: &[],
        example: None,
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<UserVoicemailMessageCreated>(),
        EventEntry::of::<UserVoicemailMessageUpdated>(),
        EventEntry::of::<UserVoicemailMessageDeleted>(),
    ]
}
