//! Where instances come from: each one is a scenario of the mix with its
//! own seed, made from one of the scenario's renderings ([`template`]).
//!
//! Instance `n` uses the seed `derive_seed(base, n)`, which picks the
//! rendering and draws its uuids; its channel ids get a sequence range no
//! other instance of the run has (the ledger needs distinct messages, and
//! consumers that index by call id see distinct calls), yet a run is
//! reproducible from its base seed. Its times are anchored at its arrival on
//! the wall clock, so timestamps in the bodies read like live traffic.
//!
//! [`template`]: super::template

use std::time::Duration;

use time::OffsetDateTime;

use super::mix::MixPicker;
use super::template::{Identity, LoadMessage, RENDERINGS, Template};
use crate::catalog::wazo::Profile;
use crate::dialect::wazo::{self, RenderError, Rendered};
use crate::scenario::Scenario;
use crate::sim::{self, DEFAULT_ANCHOR, SimError, SimOptions, VirtualClock};
use crate::sink::headers::HeaderError;

/// Days between the anchors of a scenario's renderings: their times never
/// meet, so what differs between two renderings is told from what is fixed.
const RENDERING_SPACING_DAYS: i64 = 3;

/// Why an instance could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The simulation refused the scenario with this seed.
    #[error("scenario '{scenario}' (seed {seed}) cannot be simulated: {source}")]
    Simulate {
        /// The scenario's name.
        scenario: String,
        /// The seed of the instance.
        seed: u64,
        /// Which step and why.
        #[source]
        source: Box<SimError>,
    },
    /// The Wazo renderer refused the simulated events.
    #[error("scenario '{scenario}' (seed {seed}) cannot be rendered as Wazo messages: {source}")]
    Render {
        /// The scenario's name.
        scenario: String,
        /// The seed of the instance.
        seed: u64,
        /// What the renderer said.
        #[source]
        source: Box<RenderError>,
    },
    /// A header of the scenario's messages has no AMQP form.
    #[error("scenario '{scenario}' has a header AMQP cannot carry: {source}")]
    Header {
        /// The scenario's name.
        scenario: String,
        /// Which header and why.
        #[source]
        source: HeaderError,
    },
}

/// One message of an instance, with when it is due in virtual time.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Virtual time since the instance started.
    pub offset: Duration,
    /// The message.
    pub message: LoadMessage,
}

/// One scenario instance, ready to schedule.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Which scenario of the mix (index).
    pub scenario: usize,
    /// Its seed.
    pub seed: u64,
    /// Its messages, in publishing order.
    pub messages: Vec<Planned>,
}

/// Produces the instances of a run. See the module documentation.
#[derive(Debug, Clone)]
pub struct InstanceSource {
    names: Vec<String>,
    weights: Vec<u32>,
    /// Per scenario of the mix, its renderings.
    templates: Vec<Vec<Template>>,
    picker: MixPicker,
    base_seed: u64,
    mean_events: f64,
    /// Channel sequence numbers set aside per instance (the most any rendering uses).
    sequences_per_instance: u64,
}

/// The seed of instance `index` of a run with seed `base` (SplitMix64 of
/// both: consecutive indexes give unrelated seeds).
pub fn derive_seed(base: u64, index: u64) -> u64 {
    let mut z = base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl InstanceSource {
    /// A source over the weighted `mix`. Simulates and renders each scenario
    /// [`RENDERINGS`] times, with seeds drawn from `base_seed`, so that a
    /// scenario that cannot be played fails here rather than mid-run.
    pub fn new(mix: Vec<(Scenario, u32)>, base_seed: u64) -> Result<Self, SourceError> {
        Self::with_profile(mix, base_seed, Profile::Documented)
    }

    /// [`InstanceSource::new`] with the messages worded by `profile`.
    pub fn with_profile(
        mix: Vec<(Scenario, u32)>,
        base_seed: u64,
        profile: Profile,
    ) -> Result<Self, SourceError> {
        let (scenarios, weights): (Vec<Scenario>, Vec<u32>) = mix.into_iter().unzip();
        // Renderings draw their seeds from the far end of the index range,
        // which instances (counting from 0) never reach.
        let templates = scenarios
            .iter()
            .enumerate()
            .map(|(index, scenario)| {
                templates(scenario, derive_seed(base_seed, !(index as u64)), profile)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let weighted_events: f64 = templates
            .iter()
            .zip(&weights)
            .map(|(renderings, weight)| {
                let events: usize = renderings.iter().map(Template::len).sum();
                events as f64 / renderings.len().max(1) as f64 * f64::from(*weight)
            })
            .sum();
        let total: u32 = weights.iter().sum();
        let sequences_per_instance = templates
            .iter()
            .flatten()
            .map(Template::sequences)
            .max()
            .unwrap_or(0)
            .max(1);
        Ok(Self {
            names: scenarios
                .into_iter()
                .map(|scenario| scenario.name)
                .collect(),
            picker: MixPicker::new(&weights),
            mean_events: weighted_events / f64::from(total.max(1)),
            weights,
            templates,
            base_seed,
            sequences_per_instance,
        })
    }

    /// The mix's mean number of messages per instance.
    pub fn mean_events(&self) -> f64 {
        self.mean_events
    }

    /// The scenarios' names, in mix order.
    pub fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The weights, in mix order.
    pub fn weights(&self) -> &[u32] {
        &self.weights
    }

    /// Instance `index`, starting at `arrival` on the wall clock.
    pub fn instance(
        &mut self,
        index: u64,
        arrival: OffsetDateTime,
    ) -> Result<Instance, SourceError> {
        let scenario = self.picker.next_index();
        let seed = derive_seed(self.base_seed, index);
        let renderings = &self.templates[scenario];
        // The modulo is below RENDERINGS: the cast cannot truncate.
        let template = &renderings[(seed % renderings.len() as u64) as usize];
        let identity = Identity {
            seed,
            // Sequence numbers from 1, as a freshly started Asterisk's.
            first_sequence: 1 + index.saturating_mul(self.sequences_per_instance),
            arrival,
        };
        let messages = template
            .instance(&identity)
            .map_err(|source| SourceError::Header {
                scenario: self.names[scenario].clone(),
                source,
            })?
            .into_iter()
            .map(|(offset, message)| Planned { offset, message })
            .collect();
        Ok(Instance {
            scenario,
            seed,
            messages,
        })
    }
}

/// The [`RENDERINGS`] templates of `scenario`, rendering `i` with seed
/// `derive_seed(seed, i)` and anchored [`RENDERING_SPACING_DAYS`] × `i`
/// days after [`DEFAULT_ANCHOR`]; each is compared with the next to find its slots.
fn templates(
    scenario: &Scenario,
    seed: u64,
    profile: Profile,
) -> Result<Vec<Template>, SourceError> {
    let renderings = (0..RENDERINGS)
        .map(|index| {
            let anchor =
                DEFAULT_ANCHOR + time::Duration::days(RENDERING_SPACING_DAYS * index as i64);
            let seed = derive_seed(seed, index as u64);
            render(scenario, seed, anchor, profile).map(|messages| (messages, anchor))
        })
        .collect::<Result<Vec<_>, _>>()?;
    (0..renderings.len())
        .map(|index| {
            let (messages, anchor) = &renderings[index];
            let (probe, probe_anchor) = &renderings[(index + 1) % renderings.len()];
            Template::new(messages, *anchor, probe, *probe_anchor).map_err(|source| {
                SourceError::Header {
                    scenario: scenario.name.clone(),
                    source,
                }
            })
        })
        .collect()
}

/// Simulates and renders `scenario` with `seed`, its clock anchored at `anchor`.
fn render(
    scenario: &Scenario,
    seed: u64,
    anchor: OffsetDateTime,
    profile: Profile,
) -> Result<Vec<Rendered>, SourceError> {
    let options = SimOptions {
        clock: VirtualClock::anchored_at(anchor),
        seed: Some(seed),
    };
    let timeline = sim::simulate(scenario, &options).map_err(|source| SourceError::Simulate {
        scenario: scenario.name.clone(),
        seed,
        source: Box::new(source),
    })?;
    wazo::render(&timeline, profile).map_err(|source| SourceError::Render {
        scenario: scenario.name.clone(),
        seed,
        source: Box::new(source),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_differ_and_are_reproducible() {
        let seeds: std::collections::HashSet<u64> =
            (0..10_000).map(|index| derive_seed(42, index)).collect();
        assert_eq!(seeds.len(), 10_000);
        assert_eq!(derive_seed(42, 7), derive_seed(42, 7));
        assert_ne!(derive_seed(42, 7), derive_seed(43, 7));
    }
}
