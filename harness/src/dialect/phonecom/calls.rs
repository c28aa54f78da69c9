//! Calls as Phone.com tells them: a set of legs, each moving through `new`,
//! `connecting`, `connected` and `completed`, one event per step.
//!
//! The first leg is the caller's (its uuid is the call's); every channel the
//! call reaches afterwards (the callee, a failover destination, a transfer
//! target) is another leg. An event about another leg carries the first leg
//! in `first_leg`, with `state` and `completion_status` null as in every
//! event Phone.com publishes (erratum `phonecom-null-leg-state`); an event
//! about the first leg has `first_leg: null`. Tags `from-*`/`to-*` describe
//! the event's leg (erratum `phonecom-leg-tags`).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::parties::{PhonecomParties, did};
use super::spacing::LegStep;
use super::tags::{self, Side};
use super::{Object, RenderError};
use crate::catalog::phonecom::{
    Call, CompletionStatus, Direction, Leg, LegState, Participant, ParticipantType,
};
use crate::scenario::HangupCause;
use crate::sim::{self, CallInfo, Channel, ChannelChange, Fakes, Party};

/// The legs of every call seen so far, by call uuid.
#[derive(Debug, Clone)]
pub(crate) struct Legs {
    seed: u64,
    calls: BTreeMap<Uuid, CallLegs>,
}

/// One call's legs, by channel id.
#[derive(Debug, Clone)]
struct CallLegs {
    first_channel: String,
    legs: BTreeMap<String, Leg>,
}

impl Legs {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            calls: BTreeMap::new(),
        }
    }

    /// The events a channel change causes: none for changes Phone.com does
    /// not report (bridging, hold), two when a call's first leg appears (it
    /// is created and starts connecting at once).
    pub fn render(
        &mut self,
        parties: &PhonecomParties<'_>,
        call: &CallInfo,
        channel: &Channel,
        change: ChannelChange,
    ) -> Result<Vec<Object>, RenderError> {
        let first_appears = !self.calls.contains_key(&call.uuid);
        let states: &[LegState] = match change {
            ChannelChange::Created if first_appears => &[LegState::New, LegState::Connecting],
            ChannelChange::Created => &[LegState::New],
            ChannelChange::Ringing => &[LegState::Connecting],
            ChannelChange::Answered => &[LegState::Connected],
            ChannelChange::HungUp(_) => &[LegState::Completed],
            ChannelChange::Bridged
            | ChannelChange::Unbridged
            | ChannelChange::Held
            | ChannelChange::Resumed => return Ok(Vec::new()),
        };
        let mut leg = self.leg_of(parties, call, channel)?;
        let direction = direction(call.direction);
        let (from_side, to_side) = (side(&leg.from), side(&leg.to));
        let extensions =
            parties.extension_ids([call.from.as_str(), call.to.as_str(), channel.party.as_str()]);
        let call_legs = self.calls.entry(call.uuid).or_insert_with(|| CallLegs {
            first_channel: channel.id.clone(),
            legs: BTreeMap::new(),
        });
        let mut objects = Vec::new();
        for state in states {
            if let ChannelChange::HungUp(cause) = change {
                leg.completion_status = Some(completion(leg.state, cause));
            }
            leg.state = Some(*state);
            call_legs.legs.insert(channel.id.clone(), leg.clone());
            let first_leg = if leg.is_first {
                None
            } else {
                call_legs
                    .legs
                    .get(&call_legs.first_channel)
                    .map(|first| Leg {
                        state: None,
                        completion_status: None,
                        ..first.clone()
                    })
            };
            let data = Call {
                uuid: call.uuid.to_string(),
                direction,
                event_leg: leg.clone(),
                first_leg,
            };
            let mut object = Object::of(
                &data,
                call.uuid,
                tags::call(*state, leg.is_first, direction, from_side, to_side),
                extensions.clone(),
            )
            .of_call(call.uuid);
            object.leg = Some(LegStep {
                leg: leg.uuid.clone(),
                is_first: leg.is_first,
                state: *state,
            });
            objects.push(object);
        }
        Ok(objects)
    }

    /// The leg of `channel` as it stands, or a new one the first time the
    /// channel is seen (the first leg when its call is new).
    fn leg_of(
        &self,
        parties: &PhonecomParties<'_>,
        call: &CallInfo,
        channel: &Channel,
    ) -> Result<Leg, RenderError> {
        let known = self.calls.get(&call.uuid);
        if let Some(leg) = known.and_then(|legs| legs.legs.get(&channel.id)) {
            return Ok(leg.clone());
        }
        let is_first = known.is_none();
        let caller = parties.party(&call.from)?;
        let (uuid, from, to) = if is_first {
            (
                call.uuid,
                origin(parties, caller)?,
                first_destination(parties, call)?,
            )
        } else {
            let label = format!("phonecom/leg/{}/{}", call.uuid, channel.id);
            let from = match caller {
                Party::User(user) => parties.extension(user)?,
                Party::External(external) => did(&external.number),
            };
            let to = match parties.party(&channel.party)? {
                Party::User(user) => parties.device(user)?,
                Party::External(external) => did(&external.number),
            };
            (Fakes::new(self.seed, &label).uuid(), from, to)
        };
        Ok(Leg {
            uuid: uuid.to_string(),
            from,
            to,
            is_first,
            state: None,
            completion_status: None,
        })
    }
}

/// Where a call comes from: a user's device, or an outside number.
fn origin(parties: &PhonecomParties<'_>, caller: Party<'_>) -> Result<Participant, RenderError> {
    match caller {
        Party::User(user) => parties.device(user),
        Party::External(external) => Ok(did(&external.number)),
    }
}

/// What the first leg reaches: the account's number for an inbound call
/// (the DID that was dialed), the outside number for an outbound one, the
/// callee's extension for a call between extensions.
fn first_destination(
    parties: &PhonecomParties<'_>,
    call: &CallInfo,
) -> Result<Participant, RenderError> {
    match parties.party(&call.to)? {
        Party::User(user) if call.direction == sim::Direction::Inbound => {
            Ok(did(&parties.did_of_user(user)))
        }
        Party::User(user) => parties.extension(user),
        Party::External(external) => Ok(did(&external.number)),
    }
}

/// How a leg ended: answered legs succeeded whatever ended them; the others
/// say why they were never answered.
fn completion(state: Option<LegState>, cause: HangupCause) -> CompletionStatus {
    if state == Some(LegState::Connected) {
        return CompletionStatus::Success;
    }
    match cause {
        HangupCause::Busy => CompletionStatus::Busy,
        HangupCause::Failed => CompletionStatus::Failed,
        HangupCause::Answered | HangupCause::NoAnswer | HangupCause::Cancelled => {
            CompletionStatus::Cancelled
        }
    }
}

/// Phone.com documents two directions; a call between two extensions is
/// placed by an extension, so it is told as `outbound`.
fn direction(direction: sim::Direction) -> Direction {
    match direction {
        sim::Direction::Inbound => Direction::Inbound,
        sim::Direction::Outbound | sim::Direction::Internal => Direction::Outbound,
    }
}

/// The tag side of a leg's participant: tags have no `-device`, a device
/// is its extension's.
fn side(participant: &Participant) -> Side {
    match participant.kind {
        ParticipantType::Did => Side::Did,
        ParticipantType::Device | ParticipantType::Extension => Side::Extension,
    }
}
