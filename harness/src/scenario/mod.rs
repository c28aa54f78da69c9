//! Scenario files: the TOML format, parsed and validated with locations.
//!
//! A scenario names its parties (users, external numbers, agents,
//! conferences, tenants: anything not given is generated from the seed) and
//! lists timed steps, each one domain action (`call.start`, `conference.join`,
//! `fax.send`, …). The format is documented in `scenarios/README.md`.
//!
//! Parsing checks everything that can be checked without playing the
//! scenario: TOML types, known actions and their arguments, party handles,
//! durations and time order. Whether the steps make sense together (a call
//! answered before it rings) is checked by [`crate::sim`], which reports
//! with the same [`Diagnostic`]s. [`check`] runs both.

mod action;
mod build;
mod location;
mod parties;
mod phonecom;
mod raw;
mod timing;
mod tokens;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use uuid::Uuid;

pub use action::{
    Action, EntryId, ExternalAuthChange, FaxOutcome, ForwardKind, HangupCause, MediaSpec,
    MessageDirection, MessageKind, ServiceKind, Toggle, VoicemailFolder, action_names,
};
pub use build::DEFAULT_SEED;
pub use location::{Diagnostic, Location, SourceFile};
pub use parties::{AgentSpec, ConferenceSpec, ExternalSpec, PartySpecs, TenantSpec, UserSpec};
pub use phonecom::PhonecomTiming;
pub use timing::At;
pub use tokens::{PURPOSES, TokenSpec};

/// The UTC offset timestamps are shown with when a scenario gives none:
/// Wazo's documented example (`2016-02-10T11:57:02.592-0500`) uses -05:00.
pub const DEFAULT_UTC_OFFSET: time::UtcOffset = time::macros::offset!(-05:00);

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name (shown in output and snapshot headers).
    pub name: String,
    /// What it shows, in a sentence or two.
    pub description: String,
    /// The seed for generated data; [`DEFAULT_SEED`] when absent.
    pub seed: u64,
    /// Whether AMI events are published alongside (`ami = true`).
    pub ami: bool,
    /// The offset timestamps are shown with (`utc_offset = "-05:00"`).
    pub utc_offset: time::UtcOffset,
    /// The platform uuid (`origin_uuid` of every message); generated when absent.
    pub origin_uuid: Option<Uuid>,
    /// How the Phone.com dialect spaces leg steps (`[phonecom]`).
    pub phonecom: PhonecomTiming,
    /// The declared parties.
    pub parties: PartySpecs,
    /// Tokens for the Wazo WebSocket (`[tokens.<name>]`), by name.
    pub tokens: std::collections::BTreeMap<String, TokenSpec>,
    /// The steps, in time order.
    pub steps: Vec<Step>,
}

/// One step: when, where it is written, and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Time since the scenario started.
    pub at: Duration,
    /// Where the step's table begins in the file.
    pub location: Location,
    /// What happens.
    pub action: Action,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    // The cause is in the sentence and not chained as a `source`, so that
    // `{:#}` at the CLI edge does not print it twice.
    #[error("cannot read scenario file {path}: {cause}")]
    Read {
        /// The path as given.
        path: String,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The file has errors; each diagnostic names its place.
    #[error("{}", Diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
}

/// Displays diagnostics one per line.
struct Diagnostics<'a>(&'a [Diagnostic]);

impl fmt::Display for Diagnostics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl Scenario {
    /// Reads and validates the scenario file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|cause| ScenarioError::Read {
            path: path.display().to_string(),
            cause,
        })?;
        Self::parse(&SourceFile::new(path.display().to_string(), text))
    }

    /// Validates a scenario held in memory.
    pub fn parse(source: &SourceFile) -> Result<Self, ScenarioError> {
        let raw: raw::RawScenario = toml::from_str(source.text()).map_err(|error| {
            let span = error.span().unwrap_or(0..0);
            let message = error.message().trim_end().replace('\n', " ");
            ScenarioError::Invalid(vec![source.diagnostic(span, message)])
        })?;
        build::build(source, raw).map_err(ScenarioError::Invalid)
    }
}

/// Loads `path` and simulates it, so that every problem a run would hit is
/// reported without publishing anything (`switchboard check-scenario`).
pub fn check(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
    let scenario = Scenario::load(path)?;
    crate::sim::simulate(&scenario, &crate::sim::SimOptions::default())
        .map_err(|error| ScenarioError::Invalid(vec![error.into_diagnostic()]))?;
    Ok(scenario)
}

#[cfg(test)]
mod tests;
