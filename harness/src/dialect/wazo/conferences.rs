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
    let user = party.user().cloned();
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
        caller_id_number: Some(party.caller_id_number().to_owned()),
        muted: participant.muted,
        answered_time,
        admin: participant.admin,
        language: participant.language.clone(),
        call_id: participant.call_id.clone(),
        conference_id,
        user_uuid: user.as_ref().map(|user| user.uuid),
    };
    // wazo-calld addresses joined, left and talk events to every user in
    // the room (the newcomer included, the leaver too); mute events to
    // the whole tenant.
    let present = r
        .conference_users
        .entry(participant.conference.clone())
        .or_default();
    if let (ParticipantChange::Joined, Some(user)) = (change, &user)
        && !present.contains(&user.uuid)
    {
        present.push(user.uuid);
    }
    let users = present.clone();
    if let (ParticipantChange::Left, Some(user)) = (change, &user) {
        present.retain(|uuid| *uuid != user.uuid);
    }
    let tenant = conference_tenant(r, user.as_ref());
    let to = r.to_users(&tenant, users);
    match change {
        ParticipantChange::Joined => r.publish(&ConferenceParticipantJoined(data), to),
        ParticipantChange::Left => r.publish(&ConferenceParticipantLeft(data), to),
        ParticipantChange::Muted => r.publish(&ConferenceParticipantMuted(data), to),
        ParticipantChange::Unmuted => r.publish(&ConferenceParticipantUnmuted(data), to),
        ParticipantChange::TalkStarted => r.publish(&ConferenceParticipantTalkStarted(data), to),
        ParticipantChange::TalkStopped => r.publish(&ConferenceParticipantTalkStopped(data), to),
    }
}

/// The tenant of a conference: its participant's, else the platform's first.
fn conference_tenant(r: &Renderer<'_>, user: Option<&crate::sim::User>) -> String {
    user.map_or_else(
        || {
            r.directory()
                .tenants
                .keys()
                .next()
                .cloned()
                .unwrap_or_default()
        },
        |user| user.tenant.clone(),
    )
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
    let to = r.to_users(&conference_tenant(r, None), Vec::new());
    match state {
        Toggle::Started => r.publish(&ConferenceRecordStarted(data), to),
        Toggle::Stopped => r.publish(&ConferenceRecordStopped(data), to),
    }
}

fn conference_id(r: &Renderer<'_>, handle: &str) -> Result<u64, RenderError> {
    r.directory()
        .conferences
        .get(handle)
        .map(|conference| u64::from(conference.id))
        .ok_or_else(|| r.unknown("conference", handle))
}
