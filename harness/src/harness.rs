//! [`Harness`]: a broker, a publisher and a recorder, ready for a test.
//!
//! It is the library's front door for a downstream Rust test: start one on
//! any [`BrokerSpec`], play a scenario (or publish messages of your own),
//! look at what a consumer bound to the exchange received, shut it down.
//!
//! ```no_run
//! use std::time::Duration;
//! use switchboard::harness::Harness;
//! use switchboard::provision::BrokerSpec;
//! use switchboard::scenario::Scenario;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let scenario = Scenario::load("scenarios/call_lifecycle.toml")?;
//! let harness = Harness::start(BrokerSpec::Embedded).await?;
//! // Point the consumer under test at `harness.url()`, then:
//! let report = harness.play(&scenario).await?;
//! let received = harness
//!     .recorder()
//!     .wait_for(report.published, Duration::from_secs(5))
//!     .await?;
//! assert_eq!(received[0].name(), Some("call_created"));
//! harness.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! The order of start-up matters and is fixed here: the broker is ready,
//! the exchange declared and the recorder bound *before* `start` returns, so
//! nothing published afterwards can be missed.

use std::time::Duration;

use crate::catalog::wazo::Profile;
use crate::dialect::wazo::{self, RenderError, Rendered};
use crate::provision::{
    self, AmqpUrl, BrokerSpec, DEFAULT_CONNECT_TIMEOUT, ProvisionError, Provisioned,
};
use crate::record::{RecordError, Recorder, RecorderOptions};
use crate::scenario::{Location, Scenario};
use crate::sim::{self, Directory, SimError, SimOptions, VirtualClock};
use crate::sink::{
    AmqpPublisher, Outgoing, PublishError, PublishReport, PublisherOptions, WAZO_EXCHANGE,
    WAZO_HEADERS_EXCHANGE,
};

/// How to set the harness up; the defaults are Wazo's.
#[derive(Debug, Clone)]
pub struct HarnessOptions {
    /// Which platform version the messages and the topology follow
    /// (`documented`, the default, or current `wazo`).
    pub profile: Profile,
    /// The topic exchange (`xivo`): the documented profile publishes on it and records from it.
    pub exchange: String,
    /// The headers exchange of the `wazo` profile (`wazo-headers`), where
    /// it publishes and records.
    pub headers_exchange: String,
    /// The recorder's binding keys (`#`: everything).
    pub bindings: Vec<String>,
    /// Wait for publisher confirms (on).
    pub confirms: bool,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long the broker may take to confirm one message.
    pub confirm_timeout: Duration,
}

impl Default for HarnessOptions {
    fn default() -> Self {
        let publisher = PublisherOptions::default();
        Self {
            profile: Profile::default(),
            exchange: WAZO_EXCHANGE.to_owned(),
            headers_exchange: WAZO_HEADERS_EXCHANGE.to_owned(),
            bindings: vec!["#".to_owned()],
            confirms: publisher.confirms,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            confirm_timeout: publisher.confirm_timeout,
        }
    }
}

/// Why the harness could not start or stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The broker could not be provisioned.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// The publisher could not connect or declare the exchange.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The recorder could not start.
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// How to play a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayOptions {
    /// A seed replacing the scenario's (`--seed`).
    pub seed: Option<u64>,
    /// The virtual clock timestamps come from (fixed anchor by default,
    /// [`VirtualClock::now`] for `--now`).
    pub clock: VirtualClock,
    /// Pacing: `0` publishes as fast as possible (the default, for tests);
    /// `1` plays the steps in real time, `2` twice as fast, `0.5` at half speed.
    pub speed: f64,
    /// Which platform version words the messages (`documented` by default).
    pub profile: Profile,
}

impl Default for PlayOptions {
    fn default() -> Self {
        Self {
            seed: None,
            clock: VirtualClock::default(),
            speed: 0.0,
            profile: Profile::default(),
        }
    }
}

impl PlayOptions {
    /// The simulation these options ask for (pacing is not the simulation's business).
    pub fn sim_options(&self) -> SimOptions {
        SimOptions {
            clock: self.clock,
            seed: self.seed,
        }
    }
}

/// What playing a scenario did.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayReport {
    /// The scenario's name.
    pub scenario: String,
    /// The seed used.
    pub seed: u64,
    /// Messages handed to the broker.
    pub published: usize,
    /// Messages the broker confirmed (0 when confirms are off).
    pub confirmed: usize,
    /// The messages, in publishing order; each passed the contract checker.
    pub messages: Vec<Rendered>,
}

/// Why a scenario could not be played. Scenario problems name the file,
/// line and column of the step at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlayError {
    /// A step makes no sense in the state the previous ones left.
    #[error(transparent)]
    Simulate(#[from] SimError),
    /// A step cannot be said in the Wazo dialect.
    #[error("{location}: {cause}")]
    Render {
        /// The step at fault.
        location: Location,
        /// Why.
        cause: Box<RenderError>,
    },
    /// `speed` is negative or not a number.
    #[error("invalid speed {0}: expected 0 (as fast as possible) or a positive factor")]
    Speed(f64),
    /// The broker refused or did not confirm a message.
    #[error(transparent)]
    Publish(Box<PublishError>),
}

impl From<PublishError> for PlayError {
    fn from(error: PublishError) -> Self {
        PlayError::Publish(Box::new(error))
    }
}

/// A scenario simulated and rendered, every message checked, not yet
/// published: what [`Harness::play`] does before it touches a broker.
/// Callers that must report a bad step before starting anything (or that
/// want the parties' names) render first and publish with
/// [`Harness::play_rendered`], so the work is done once.
#[derive(Debug, Clone)]
pub struct RenderedScenario {
    /// The scenario's name.
    pub scenario: String,
    /// The seed used.
    pub seed: u64,
    /// Every party, as the simulation completed them.
    pub directory: Directory,
    /// The messages, in publishing order.
    pub messages: Vec<Rendered>,
}

/// Simulates `scenario` and renders it in the Wazo dialect, checking every
/// message against the contract; a failure names the step's location.
pub fn render_scenario(
    scenario: &Scenario,
    options: &PlayOptions,
) -> Result<RenderedScenario, PlayError> {
    let timeline = sim::simulate(scenario, &options.sim_options())?;
    let messages =
        wazo::render_checked(&timeline, options.profile).map_err(|cause| PlayError::Render {
            location: scenario
                .steps
                .get(cause.step())
                .map(|step| step.location.clone())
                .unwrap_or_else(|| Location {
                    file: scenario.name.clone(),
                    line: 0,
                    column: 0,
                }),
            cause: Box::new(cause),
        })?;
    Ok(RenderedScenario {
        scenario: timeline.scenario,
        seed: timeline.seed,
        directory: timeline.directory,
        messages,
    })
}

/// A provisioned broker with a connected publisher and a bound recorder.
///
/// A downstream test starts one, points its consumer at [`Harness::url`],
/// calls [`Harness::play`] and looks at what arrived; the [module
/// documentation](self) shows such a test in full.
#[derive(Debug)]
pub struct Harness {
    // Field order is drop order: clients go before the broker they use.
    publisher: AmqpPublisher,
    recorder: Recorder,
    broker: Provisioned,
}

impl Harness {
    /// Starts a harness with the default (Wazo) options.
    pub async fn start(broker: BrokerSpec) -> Result<Self, HarnessError> {
        Self::start_with(broker, HarnessOptions::default()).await
    }

    /// Provisions `broker`, connects the publisher (declaring the exchange)
    /// and starts the recorder. Returns once all three are ready.
    pub async fn start_with(
        broker: BrokerSpec,
        options: HarnessOptions,
    ) -> Result<Self, HarnessError> {
        let broker = provision::provision(&broker).await?;
        let publisher = AmqpPublisher::connect(
            broker.url(),
            PublisherOptions {
                exchange: options.exchange.clone(),
                profile: options.profile,
                headers_exchange: options.headers_exchange.clone(),
                confirms: options.confirms,
                connect_timeout: options.connect_timeout,
                confirm_timeout: options.confirm_timeout,
            },
        )
        .await?;
        let recorder = Recorder::start(
            broker.url(),
            &RecorderOptions {
                exchange: options.exchange,
                profile: options.profile,
                headers_exchange: options.headers_exchange,
                bindings: options.bindings,
                connect_timeout: options.connect_timeout,
            },
        )
        .await?;
        Ok(Self {
            publisher,
            recorder,
            broker,
        })
    }

    /// The broker's URL, to hand to a consumer under test.
    pub fn url(&self) -> &AmqpUrl {
        self.broker.url()
    }

    /// Publishes `messages` in order; with confirms on, returns once the
    /// broker has confirmed them all.
    pub async fn publish(&self, messages: &[Outgoing]) -> Result<PublishReport, PublishError> {
        self.publisher.publish_all(messages).await
    }

    /// Plays `scenario` as fast as possible with its own seed and the fixed
    /// clock: simulates it, renders it as Wazo would publish it (every message
    /// checked against the contract) and publishes it with confirms.
    pub async fn play(&self, scenario: &Scenario) -> Result<PlayReport, PlayError> {
        self.play_with(scenario, &PlayOptions::default()).await
    }

    /// [`Harness::play`] with a seed, a clock and a speed of your choosing.
    /// With a speed above 0, messages of one instant are published together
    /// once that instant comes, scenario time divided by `speed`.
    pub async fn play_with(
        &self,
        scenario: &Scenario,
        options: &PlayOptions,
    ) -> Result<PlayReport, PlayError> {
        let rendered = render_scenario(scenario, options)?;
        self.play_rendered(rendered, options.speed).await
    }

    /// Publishes an already rendered scenario, paced by `speed` as in
    /// [`Harness::play_with`].
    pub async fn play_rendered(
        &self,
        rendered: RenderedScenario,
        speed: f64,
    ) -> Result<PlayReport, PlayError> {
        if !(speed >= 0.0 && speed.is_finite()) {
            return Err(PlayError::Speed(speed));
        }
        let messages = rendered.messages;
        let mut report = PlayReport {
            scenario: rendered.scenario,
            seed: rendered.seed,
            published: 0,
            confirmed: 0,
            messages: Vec::new(),
        };
        let start = tokio::time::Instant::now();
        let origin = messages.first().map(|rendered| rendered.at);
        let mut batch: Vec<Outgoing> = Vec::new();
        let mut index = 0;
        while index < messages.len() {
            // One batch per instant when pacing, one batch in all otherwise.
            let at = messages[index].at;
            let end = if speed > 0.0 {
                messages[index..]
                    .iter()
                    .position(|rendered| rendered.at != at)
                    .map_or(messages.len(), |offset| index + offset)
            } else {
                messages.len()
            };
            if let (true, Some(origin)) = (speed > 0.0, origin) {
                let elapsed = (at - origin).unsigned_abs().div_f64(speed);
                tokio::time::sleep_until(start + elapsed).await;
            }
            batch.clear();
            batch.extend(
                messages[index..end]
                    .iter()
                    .map(|rendered| rendered.message.clone()),
            );
            let published = self.publisher.publish_all(&batch).await?;
            report.published += published.published;
            report.confirmed += published.confirmed;
            index = end;
        }
        report.messages = messages;
        Ok(report)
    }

    /// The recorder: what a consumer bound with the harness's keys received.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Closes the publisher and the recorder, then stops the broker if the
    /// harness started it.
    pub async fn shutdown(self) -> Result<(), HarnessError> {
        self.publisher.close().await;
        self.recorder.shutdown().await;
        self.broker.shutdown().await?;
        Ok(())
    }
}
