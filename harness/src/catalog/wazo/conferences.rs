//! wazo-calld conference events: participants, mute, recording, talking.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// A participant of a conference room.
///
/// Shared by the joined/left, muted/unmuted and talk events (the talk example carries
/// a participant, not the conference ID its field list announces).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    /// The ID of the participant inside the conference.
    pub id: String,
    /// The caller ID name of the participant.
    pub caller_id_name: String,
    /// The caller ID number of the participant (wazo-calld's name; the documentation
    /// lists `caller_id_num`, its examples carry neither).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id_number: Option<String>,
    /// Whether the participant is muted.
    pub muted: bool,
    /// Seconds elapsed since the participant joined (absent from mute events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_time: Option<u64>,
    /// Whether the participant is an admin of the conference.
    pub admin: bool,
    /// The language of the participant.
    pub language: String,
    /// The ID of the call, usable in the `/calls` endpoints of wazo-calld.
    pub call_id: String,
    /// The ID of the conference.
    pub conference_id: u64,
    /// The user behind the participant, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_uuid: Option<Uuid>,
}

/// The conference whose recording started or stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConferenceRecord {
    /// The ID of the conference.
    pub id: u64,
}

const RECORD_CONFERENCE: &[(&str, &str)] = &[("conference_id", "/data/id")];

documented_event! {
    /// `conference_participant_joined`
    ConferenceParticipantJoined(Participant) = EventSpec {
        name: "conference_participant_joined",
        family: Family::Conferences,
        description: "Sent when a participant joins a conference room.",
        routing_key: Template::new("conferences.{conference_id}.participants.joined"),
        required_acl: Some(Template::new("events.conferences.{conference_id}.participants.joined")),
        headers: &[],
        example: Some(include_str!("examples/conference_participant_joined.json")),
    };
}

documented_event! {
    /// `conference_participant_left`
    ConferenceParticipantLeft(Participant) = EventSpec {
        name: "conference_participant_left",
        family: Family::Conferences,
        description: "Sent when a participant leaves a conference room.",
        routing_key: Template::new("conferences.{conference_id}.participants.left"),
        required_acl: Some(Template::new("events.conferences.{conference_id}.participants.left")),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `conference_participant_muted`
    ConferenceParticipantMuted(Participant) = EventSpec {
        name: "conference_participant_muted",
        family: Family::Conferences,
        description: "Sent when a participant of a conference room is muted.",
        routing_key: Template::new("conferences.{conference_id}.participants.mute"),
        required_acl: Some(Template::new("events.conferences.{conference_id}.participants.mute")),
        headers: &[],
        example: Some(include_str!("examples/conference_participant_muted.json")),
    };
}

documented_event! {
    /// `conference_participant_unmuted`
    ConferenceParticipantUnmuted(Participant) = EventSpec {
        name: "conference_participant_unmuted",
        family: Family::Conferences,
        description: "Sent when a participant of a conference room is unmuted.",
        routing_key: Template::new("conferences.{conference_id}.participants.mute"),
        required_acl: Some(Template::new("events.conferences.{conference_id}.participants.mute")),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `conference_record_started`
    ConferenceRecordStarted(ConferenceRecord) = EventSpec {
        name: "conference_record_started",
        family: Family::Conferences,
        description: "Sent when the recording of a conference room starts.",
        routing_key: Template::new("conferences.{conference_id}.record").bind(RECORD_CONFERENCE),
        required_acl: Some(Template::new("events.conferences.{conference_id}.record").bind(RECORD_CONFERENCE)),
        headers: &[],
        example: Some(include_str!("examples/conference_record_started.json")),
    };
}

documented_event! {
    /// `conference_record_stopped`
    ConferenceRecordStopped(ConferenceRecord) = EventSpec {
        name: "conference_record_stopped",
        family: Family::Conferences,
        description: "Sent when the recording of a conference room stops.",
        routing_key: Template::new("conferences.{conference_id}.record").bind(RECORD_CONFERENCE),
        required_acl: Some(Template::new("events.conferences.{conference_id}.record").bind(RECORD_CONFERENCE)),
        headers: &[],
        example: None,
    };
}

documented_event! {
    /// `conference_participant_talk_started`
    ConferenceParticipantTalkStarted(Participant) = EventSpec {
        name: "conference_participant_talk_started",
        family: Family::Conferences,
        description: "Sent when a participant of a conference room starts talking.",
        routing_key: Template::new("conferences.{conference_id}.participants.talk"),
        required_acl: Some(Template::new("events.conferences.{conference_id}.participants.talk")),
        headers: &[],
        example: Some(include_str!("examples/conference_participant_talk_started.json")),
    };
}

documented_event! {
    /// `conference_participant_talk_stopped`
    ConferenceParticipantTalkStopped(Participant) = EventSpec {
        name: "conference_participant_talk_stopped",
        family: Family::Conferences,
        description: "Sent when a participant of a conference room stops talking.",
        routing_key: Template::new("conferences.{conference_id}.participants.talk"),
        required_acl: Some(Template::new("events.conferences.{conference_id}.participants.talk")),
        headers: &[],
        example: None,
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<ConferenceParticipantJoined>(),
        EventEntry::of::<ConferenceParticipantLeft>(),
        EventEntry::of::<ConferenceParticipantMuted>(),
        EventEntry::of::<ConferenceParticipantUnmuted>(),
        EventEntry::of::<ConferenceRecordStarted>(),
        EventEntry::of::<ConferenceRecordStopped>(),
        EventEntry::of::<ConferenceParticipantTalkStarted>(),
        EventEntry::of::<ConferenceParticipantTalkStopped>(),
    ]
}
