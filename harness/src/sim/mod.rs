//! The domain simulation: a scenario's steps become timestamped domain
//! events ([`DomainEvent`]), independent of any platform's wording.
//!
//! The simulation owns the state a real platform would: calls and their
//! channels, conference participants, voicemail messages, registered
//! services. It refuses steps that make no sense in that state (a call
//! answered before it rang) with the step's location. Everything it invents
//! (uuids, names, numbers, channel ids, timestamps) comes from the seed and
//! the virtual clock, so the same scenario and seed give the same events.

mod calls;
mod clock;
mod directory;
mod engine;
mod event;
mod fakes;

use time::UtcOffset;

pub use clock::{DEFAULT_ANCHOR, VirtualClock};
pub use directory::{
    Agent, Conference, DEFAULT_TENANT, Directory, External, Party, Platform, Tenant, User,
};
pub use event::{
    ApiRequestError, CallInfo, CallRecording, Channel, ChannelChange, ChannelState, Direction,
    DomainEvent, Fax, FaxChange, MediaItem, Participant, ParticipantChange, Relocate,
    RelocatePhase, Role, Service, TextMessage, Timed, VoicemailChange, VoicemailMessage,
};
pub use fakes::Fakes;

use crate::scenario::{Diagnostic, Location, Scenario};

/// How to simulate a scenario.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// The clock (default: anchored at [`DEFAULT_ANCHOR`]).
    pub clock: VirtualClock,
    /// A seed replacing the scenario's (`--seed`).
    pub seed: Option<u64>,
}

/// The outcome of a simulation: the parties and what happened, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// The scenario's name.
    pub scenario: String,
    /// The seed used.
    pub seed: u64,
    /// Whether the scenario asked for AMI events.
    pub ami: bool,
    /// The offset timestamps are shown with.
    pub utc_offset: UtcOffset,
    /// How the Phone.com dialect spaces leg steps (the scenario's `[phonecom]`).
    pub phonecom: crate::scenario::PhonecomTiming,
    /// Every party, complete.
    pub directory: Directory,
    /// The events, ordered by time (steps' order within an instant).
    pub events: Vec<Timed>,
}

/// A step that cannot happen in the state the previous steps left.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct SimError {
    /// The step at fault.
    pub location: Location,
    /// What is wrong and what would make sense.
    pub message: String,
}

impl SimError {
    /// The same problem as a scenario diagnostic.
    pub fn into_diagnostic(self) -> Diagnostic {
        Diagnostic {
            location: self.location,
            message: self.message,
        }
    }
}

/// Plays `scenario` on the virtual clock and returns what happened.
pub fn simulate(scenario: &Scenario, options: &SimOptions) -> Result<Timeline, SimError> {
    let seed = options.seed.unwrap_or(scenario.seed);
    let directory = Directory::generate(&scenario.parties, seed, scenario.origin_uuid);
    let events = engine::Engine::new(&directory, options.clock, seed).run(&scenario.steps)?;
    Ok(Timeline {
        scenario: scenario.name.clone(),
        seed,
        ami: scenario.ami,
        utc_offset: scenario.utc_offset,
        phonecom: scenario.phonecom,
        directory,
        events,
    })
}

#[cfg(test)]
mod tests;
