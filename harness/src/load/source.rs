//! Where instances come from: each one is a scenario of the mix simulated
//! with its own seed and rendered as Wazo messages.
//!
//! Instance `n` uses the seed `derive_seed(base, n)`, so every instance has
//! its own parties, uuids, call ids and channel names (the ledger needs
//! distinct messages, and consumers that index by call id see distinct
//! calls), yet a run is reproducible from its base seed. Its virtual clock is
//! anchored at its arrival on the wall clock, so timestamps in the bodies
//! read like live traffic.

use std::time::Duration;

use time::OffsetDateTime;

use super::mix::MixPicker;
use crate::dialect::wazo::{self, RenderError};
use crate::scenario::Scenario;
use crate::sim::{self, SimError, SimOptions, VirtualClock};
use crate::sink::Outgoing;

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
}

/// One message of an instance, with when it is due in virtual time.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Virtual time since the instance started.
    pub offset: Duration,
    /// The message.
    pub message: Outgoing,
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
    scenarios: Vec<Scenario>,
    weights: Vec<u32>,
    picker: MixPicker,
    base_seed: u64,
    mean_events: f64,
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
    /// A source over the weighted `mix`. Renders each scenario once, so a
    /// scenario that cannot be played fails here rather than mid-run, and to
    /// learn the mix's mean number of events per instance.
    pub fn new(mix: Vec<(Scenario, u32)>, base_seed: u64) -> Result<Self, SourceError> {
        let (scenarios, weights): (Vec<Scenario>, Vec<u32>) = mix.into_iter().unzip();
        let mut weighted_events = 0.0;
        for (index, scenario) in scenarios.iter().enumerate() {
            let events = render(scenario, base_seed, OffsetDateTime::now_utc())?.len();
            weighted_events += events as f64 * f64::from(weights[index]);
        }
        let total: u32 = weights.iter().sum();
        Ok(Self {
            picker: MixPicker::new(&weights),
            mean_events: weighted_events / f64::from(total.max(1)),
            scenarios,
            weights,
            base_seed,
        })
    }

    /// The mix's mean number of messages per instance.
    pub fn mean_events(&self) -> f64 {
        self.mean_events
    }

    /// The scenarios' names, in mix order.
    pub fn names(&self) -> Vec<String> {
        self.scenarios
            .iter()
            .map(|scenario| scenario.name.clone())
            .collect()
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
        let messages = render(&self.scenarios[scenario], seed, arrival)?;
        Ok(Instance {
            scenario,
            seed,
            messages,
        })
    }
}

/// Simulates and renders one instance of `scenario`.
fn render(
    scenario: &Scenario,
    seed: u64,
    arrival: OffsetDateTime,
) -> Result<Vec<Planned>, SourceError> {
    let options = SimOptions {
        clock: VirtualClock::anchored_at(arrival),
        seed: Some(seed),
    };
    let timeline = sim::simulate(scenario, &options).map_err(|source| SourceError::Simulate {
        scenario: scenario.name.clone(),
        seed,
        source: Box::new(source),
    })?;
    let rendered = wazo::render(&timeline).map_err(|source| SourceError::Render {
        scenario: scenario.name.clone(),
        seed,
        source: Box::new(source),
    })?;
    Ok(rendered
        .into_iter()
        .map(|rendered| Planned {
            offset: Duration::try_from(rendered.at - arrival).unwrap_or(Duration::ZERO),
            message: rendered.message,
        })
        .collect())
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
