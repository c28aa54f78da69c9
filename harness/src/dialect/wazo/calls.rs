//! Channels as wazo-calld reports them: one `Call` per channel of a user.
//!
//! wazo-calld follows Asterisk channels. A channel that belongs to a user
//! gets `call_created` when it appears, `call_updated` when its state or
//! bridge changes, `call_ended` when it hangs up, each with the ACL of that
//! user (`events.calls.<user_uuid>`). In the document a trunk channel (an
//! outside number) belongs to no user, so no `call_*` event is addressed to
//! it; current Wazo publishes them with `user_uuid` null (ACL
//! `events.calls.None`), and `call_answered` when a channel goes Up. Holds
//! are relayed for any channel as `call_held`/`call_resumed` with the
//! channel's id.
//!
//! The `Call` carries the whole model wazo-calld dumps, filled as a running
//! system fills it; the catalog decides which fields each profile writes.

use std::collections::BTreeMap;

use super::{RenderError, Renderer, ami, timestamp};
use crate::catalog::wazo::calls::{
    Call, CallAnswered, CallCreated, CallEnded, CallHeld, CallHold, CallResumed, CallUpdated,
};
use crate::catalog::wazo::{Addressing, Profile, python_isoformat};
use crate::sim::{CallInfo, Channel, ChannelChange, ChannelState, Direction, Party, Role, User};

/// Renders one channel change: the AMI events first (when asked for), then
/// what wazo-calld publishes in reaction.
pub(super) fn channel(
    r: &mut Renderer<'_>,
    call: &CallInfo,
    channel: &Channel,
    change: ChannelChange,
) -> Result<(), RenderError> {
    if r.timeline.ami {
        ami::channel(r, call, channel, change)?;
    }
    let user = r.directory().users.get(&channel.party);
    match change {
        ChannelChange::Held | ChannelChange::Resumed => {
            // wazo-calld writes `str(user_uuid)`: `None` for a trunk's channel.
            let hold = CallHold {
                call_id: channel.id.clone(),
                user_uuid: Some(user.map_or_else(|| "None".to_owned(), |u| u.uuid.to_string())),
            };
            let to = addressing(r, call, user);
            return if change == ChannelChange::Held {
                r.publish(&CallHeld(hold), to)
            } else {
                r.publish(&CallResumed(hold), to)
            };
        }
        ChannelChange::Answered => {
            r.answered_at.insert(channel.id.clone(), r.at);
        }
        _ => {}
    }
    // The document addresses call events to a user's channel only; current
    // Wazo publishes them for trunk channels too, with `user_uuid` null.
    if user.is_none() && r.profile == Profile::Documented {
        return Ok(());
    }
    let model = call_model(r, call, channel, user, change)?;
    let to = addressing(r, call, user);
    match change {
        ChannelChange::Created => r.publish(&CallCreated(model), to),
        ChannelChange::Answered => {
            // wazo-calld: `call_answered` when the channel goes Up, then the
            // update (the document has only the update).
            r.publish(&CallAnswered(model.clone()), to.clone())?;
            r.publish(&CallUpdated(model), to)
        }
        ChannelChange::Ringing | ChannelChange::Bridged | ChannelChange::Unbridged => {
            r.publish(&CallUpdated(model), to)
        }
        ChannelChange::HungUp(_) => r.publish(&CallEnded(model), to),
        ChannelChange::Held | ChannelChange::Resumed => Ok(()),
    }
}

/// A call event's audience: the channel's user, in its tenant (a trunk's
/// channel: the tenant of a user on the call, addressed to no user).
fn addressing(r: &Renderer<'_>, call: &CallInfo, user: Option<&User>) -> Addressing {
    if let Some(user) = user {
        return r.to_user(user);
    }
    [call.from.as_str(), call.to.as_str()]
        .into_iter()
        .find_map(|handle| r.directory().users.get(handle))
        .map_or_else(
            || r.to_platform(),
            |other| r.to_users(&other.tenant, Vec::new()),
        )
}

/// wazo-calld's `Call` for a channel: the document's fields, and the rest
/// of the model as a running system fills it.
fn call_model(
    r: &Renderer<'_>,
    call: &CallInfo,
    channel: &Channel,
    user: Option<&User>,
    change: ChannelChange,
) -> Result<Call, RenderError> {
    let caller_id = caller_id(r, call, channel)?;
    let peer = match channel.peer.as_deref() {
        Some(peer) => Some(r.party(peer)?),
        None => None,
    };
    let peer_uuid = peer.and_then(|peer| peer.user().map(|user| user.uuid.to_string()));
    // wazo-calld's `call_ended` is built from the destroyed channel: in no
    // bridge, talking to nobody.
    let hung_up = matches!(change, ChannelChange::HungUp(_));
    let talking_to: BTreeMap<String, Option<String>> = channel
        .talking_to
        .iter()
        .filter(|_| !hung_up)
        .map(|id| (id.clone(), peer_uuid.clone()))
        .collect();
    // The connected line: the other party; before it is known, calld
    // writes the dialed extension.
    let (peer_name, peer_number) = match peer {
        Some(peer) => (
            peer.caller_id_name().to_owned(),
            peer.caller_id_number().to_owned(),
        ),
        None => (String::new(), channel.dialed.clone()),
    };
    let local = |at: time::OffsetDateTime| python_isoformat_with_offset(at.to_offset(r.offset()));
    Ok(Call {
        bridges: channel
            .bridge
            .iter()
            .filter(|_| !hung_up)
            .cloned()
            .collect(),
        call_id: channel.id.clone(),
        caller_id_name: caller_id.caller_id_name().to_owned(),
        caller_id_number: caller_id.caller_id_number().to_owned(),
        creation_time: timestamp(channel.created_at, r.offset()),
        status: status(channel.state).to_owned(),
        talking_to,
        user_uuid: user.map(|user| user.uuid),
        conversation_id: Some(channel.linked_id.clone()),
        peer_caller_id_name: Some(peer_name),
        peer_caller_id_number: Some(peer_number),
        on_hold: Some(channel.on_hold),
        muted: Some(false),
        record_state: Some("inactive".to_owned()),
        is_caller: Some(channel.role == Role::Caller),
        is_video: Some(false),
        dialed_extension: (channel.role == Role::Callee).then(|| channel.dialed.clone()),
        sip_call_id: channel
            .name
            .starts_with("PJSIP/")
            .then(|| format!("{}@switchboard", channel.id.replace('.', "-"))),
        line_id: user.map(|user| u64::from(user.id)),
        answer_time: r.answered_at.get(&channel.id).map(|at| local(*at)),
        hangup_time: hung_up.then(|| local(r.at)),
        direction: Some(direction(call.direction).to_owned()),
        parked: Some(false),
        reason_code: match change {
            ChannelChange::HungUp(cause) => Some(i64::from(ami::hangup_cause(cause, channel).0)),
            _ => None,
        },
    })
}

/// wazo-calld's `direction` of a conversation.
fn direction(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
        Direction::Internal => "internal",
    }
}

/// Python's `datetime.isoformat()` of an aware time, as wazo-calld writes
/// `answer_time` and `hangup_time`: `2026-01-15T04:00:02.500000-05:00`.
fn python_isoformat_with_offset(at: time::OffsetDateTime) -> String {
    let naive = python_isoformat(Some(at));
    let (hours, minutes, _) = at.offset().as_hms();
    let sign = if at.offset().is_negative() { '-' } else { '+' };
    format!(
        "{naive}{sign}{:02}:{:02}",
        hours.unsigned_abs(),
        minutes.unsigned_abs()
    )
}

/// Whose caller id a channel shows. Asterisk gives the channel that places
/// the call its owner's caller id, and a dialed channel the caller id of
/// whoever dialed it: a phone that rings shows who is calling.
pub(super) fn caller_id<'t>(
    r: &Renderer<'t>,
    call: &CallInfo,
    channel: &Channel,
) -> Result<Party<'t>, RenderError> {
    let handle = match channel.role {
        Role::Caller => channel.party.as_str(),
        // A relocated caller's new channel is dialed on behalf of the other side.
        Role::Callee if call.from == channel.party => {
            channel.peer.as_deref().unwrap_or(&channel.party)
        }
        Role::Callee => call.from.as_str(),
    };
    r.party(handle)
}

/// The Asterisk state name wazo-calld reports.
pub(super) fn status(state: ChannelState) -> &'static str {
    match state {
        ChannelState::Down => "Down",
        ChannelState::Ring => "Ring",
        ChannelState::Ringing => "Ringing",
        ChannelState::Up => "Up",
        ChannelState::Busy => "Busy",
    }
}
