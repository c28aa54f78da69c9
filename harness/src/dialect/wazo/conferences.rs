//! Conference rooms: participants joining, muting, talking, leaving, and recordings.

use super::{RenderError, Renderer};
use crate::catalog::wazo::conferences::{
    ConferenceParticipantJoined, ConferenceParticipantLeft, ConferenceParticipantMuted,
    ConferenceParticipantTalkStarted, ConferenceParticipantTalkStopped,
    ConferenceParticipantUnmuted, ConferenceRecord, ConferenceRecordStarted,
    ConferenceRecordStopped, Participant,
};
use crate::scenario::Toggle;
use crate::sim::{self, ParticipantChange};

/// A participant change, as wazo-calld publishes it.
pub(super) fn participant(
    r: &mut Renderer<'_>,
    participant: &sim::Participant,
    change: ParticipantChange,
) -> Result<(), RenderError> {
    let conference_id = conference_id(r, &participant.conference)?;
    let party = r.party(&participant.party)?;
    // wazo-calld counts `answered_time` from the participant's arrival; the
    // mute and talk events do not carry it (see the catalog's errata).
    let answered_time = match change {
        ParticipantChange::Joined | ParticipantChange::Left => {
            let elapsed = (r.at - participant.joined_at).whole_seconds();
            Some(u64::try_from(elapsed).unwrap_or(0))
        }
        _ => None,
    };
    let data = Participant {
        id: participant.call_id.clone(),
        caller_id_name: party.caller_id_name().to_owned(),
        caller_id_number: None,
        muted: participant.muted,
        answered_time,
        admin: participant.admin,
        language: participant.language.clone(),
        call_id: participant.call_id.clone(),
        conference_id,
        user_uuid: None,
    };
    match change {
        ParticipantChange::Joined => r.publish(&ConferenceParticipantJoined(data)),
        ParticipantChange::Left => r.publish(&ConferenceParticipantLeft(data)),
        ParticipantChange::Muted => r.publish(&ConferenceParticipantMuted(data)),
        ParticipantChange::Unmuted => r.publish(&ConferenceParticipantUnmuted(data)),
        ParticipantChange::TalkStarted => r.publish(&ConferenceParticipantTalkStarted(data)),
        ParticipantChange::TalkStopped => r.publish(&ConferenceParticipantTalkStopped(data)),
    }
}

/// A conference recording starting or stopping.
pub(super) fn record(
    r: &mut Renderer<'_>,
    conference: &str,
    state: Toggle,
) -> Result<(), RenderError> {
    let data = ConferenceRecord {
        id: conference_id(r, conference)?,
    };
    match state {
        Toggle::Started => r.publish(&ConferenceRecordStarted(data)),
        Toggle::Stopped => r.publish(&ConferenceRecordStopped(data)),
    }
}

fn conference_id(r: &Renderer<'_>, handle: &str) -> Result<u64, RenderError> {
    r.directory()
        .conferences
        .get(handle)
        .map(|conference| u64::from(conference.id))
        .ok_or_else(|| r.unknown("conference", handle))
}
