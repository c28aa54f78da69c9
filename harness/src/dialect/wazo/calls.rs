//! Channels as wazo-calld reports them: one `Call` per channel of a user.
//!
//! wazo-calld follows Asterisk channels. A channel that belongs to a user
//! gets `call_created` when it appears, `call_updated` when its state or
//! bridge changes, `call_ended` when it hangs up, each with the ACL of that
//! user (`events.calls.<user_uuid>`). A trunk channel (an outside number)
//! belongs to no user, so no `call_*` event is addressed to it; it still
//! shows in `talking_to` of the user's call. Holds are relayed for any
//! channel as `call_held`/`call_resumed` with the channel's id.
//!
//! The `Call` carries the fields of the documented example (the contract a
//! consumer can rely on), filled as a running system fills them.

use std::collections::BTreeMap;

use super::{RenderError, Renderer, ami, timestamp};
use crate::catalog::wazo::calls::{
    Call, CallCreated, CallEnded, CallHeld, CallHold, CallResumed, CallUpdated,
};
use crate::sim::{CallInfo, Channel, ChannelChange, ChannelState, Party, Role, User};

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
    match change {
        ChannelChange::Held => {
            return r.publish(&CallHeld(CallHold {
                call_id: channel.id.clone(),
            }));
        }
        ChannelChange::Resumed => {
            return r.publish(&CallResumed(CallHold {
                call_id: channel.id.clone(),
            }));
        }
        _ => {}
    }
    let Some(user) = r.directory().users.get(&channel.party) else {
        return Ok(());
    };
    let model = call_model(r, call, channel, user)?;
    match change {
        ChannelChange::Created => r.publish(&CallCreated(model)),
        ChannelChange::Ringing
        | ChannelChange::Answered
        | ChannelChange::Bridged
        | ChannelChange::Unbridged => r.publish(&CallUpdated(model)),
        ChannelChange::HungUp(_) => r.publish(&CallEnded(model)),
        ChannelChange::Held | ChannelChange::Resumed => Ok(()),
    }
}

/// wazo-calld's `Call` for a user's channel.
fn call_model(
    r: &Renderer<'_>,
    call: &CallInfo,
    channel: &Channel,
    user: &User,
) -> Result<Call, RenderError> {
    let caller_id = caller_id(r, call, channel)?;
    let peer_uuid = match channel.peer.as_deref() {
        Some(peer) => r
            .directory()
            .users
            .get(peer)
            .map(|user| user.uuid.to_string()),
        None => None,
    };
    let talking_to: BTreeMap<String, Option<String>> = channel
        .talking_to
        .iter()
        .map(|id| (id.clone(), peer_uuid.clone()))
        .collect();
    Ok(Call {
        bridges: channel.bridge.iter().cloned().collect(),
        call_id: channel.id.clone(),
        caller_id_name: caller_id.caller_id_name().to_owned(),
        caller_id_number: caller_id.caller_id_number().to_owned(),
        creation_time: timestamp(channel.created_at, r.offset()),
        status: status(channel.state).to_owned(),
        talking_to,
        user_uuid: user.uuid,
        ..Call::default()
    })
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
