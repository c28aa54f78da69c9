//! Calls and their channels: the state a scenario's call steps move through.

use time::OffsetDateTime;

use super::event::{CallInfo, Channel};

/// Where a call is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The caller's channel exists; the callee's is not ringing yet.
    Dialing,
    /// The callee's channel is ringing.
    Ringing,
    /// Answered and bridged.
    Up,
}

/// A call in progress.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub info: CallInfo,
    pub caller: Channel,
    pub callee: Option<Channel>,
    /// The channels of a ring group's other members, ringing with the callee's.
    pub also_ringing: Vec<Channel>,
    pub phase: Phase,
    /// When it was answered, for the length of its recording.
    pub answered_at: Option<OffsetDateTime>,
}

/// A call that has ended: what call logs and recordings are about.
#[derive(Debug, Clone)]
pub(crate) struct EndedCall {
    pub info: CallInfo,
    pub answered_at: Option<OffsetDateTime>,
    pub ended_at: OffsetDateTime,
}

impl Call {
    /// The channel belonging to `party`, caller side first.
    pub fn channel_of_mut(&mut self, party: &str) -> Option<&mut Channel> {
        if self.caller.party == party {
            return Some(&mut self.caller);
        }
        self.callee.as_mut().filter(|callee| callee.party == party)
    }

    /// The parties on the call, for error messages.
    pub fn parties(&self) -> Vec<&str> {
        let mut parties = vec![self.caller.party.as_str()];
        parties.extend(self.callee.as_ref().map(|callee| callee.party.as_str()));
        parties.extend(
            self.also_ringing
                .iter()
                .map(|channel| channel.party.as_str()),
        );
        parties
    }
}

/// Allocates Asterisk-style channel ids: `<epoch seconds>.<sequence>`, the
/// sequence counting up from a seeded start like a running Asterisk's does.
#[derive(Debug, Clone)]
pub(crate) struct ChannelIds {
    next: u64,
}

impl ChannelIds {
    pub fn starting_at(first: u64) -> Self {
        Self { next: first }
    }

    /// A new channel's unique id and its sequence number (which Asterisk
    /// also shows, in hexadecimal, at the end of the channel name).
    pub fn allocate(&mut self, at: OffsetDateTime) -> (String, u64) {
        let sequence = self.next;
        self.next += 1;
        (format!("{}.{sequence}", at.unix_timestamp()), sequence)
    }
}
