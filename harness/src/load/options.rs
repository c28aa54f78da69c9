//! [`LoadOptions`]: everything a run needs to know, with the defaults the CLI shows.

use std::time::Duration;

use super::arrival::{Rate, Speed};
use super::consumer::AckMode;
use crate::catalog::wazo::Profile;
use crate::provision::{AmqpUrl, DEFAULT_CONNECT_TIMEOUT};
use crate::sink::{Topology, WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};

/// The consumers a run starts alongside its publishers.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerOptions {
    /// Consumers per binding (0: no consumers, nothing is delivered).
    pub count: usize,
    /// Binding keys, one queue each (at most 16). Empty with consumers: `#`.
    pub bindings: Vec<String>,
    /// Unacknowledged deliveries a consumer may hold (basic.qos).
    pub prefetch: u16,
    /// When deliveries are acknowledged.
    pub ack: AckMode,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        Self {
            count: 0,
            bindings: Vec::new(),
            prefetch: 100,
            ack: AckMode::Auto,
        }
    }
}

/// How a load run publishes and consumes.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Brokers; connections are spread over them in turn (a cluster's nodes).
    pub brokers: Vec<AmqpUrl>,
    /// The exchange to publish on (declared the way Wazo declares `xivo`).
    pub exchange: String,
    /// Which wire format: exchanges, message properties and wording
    /// (`documented` by default, or current `wazo`).
    pub profile: Profile,
    /// The headers exchange of the `wazo` profile (`wazo-headers`).
    pub headers_exchange: String,
    /// How fast instances arrive.
    pub rate: Rate,
    /// Stop starting instances after this long.
    pub duration: Option<Duration>,
    /// Stop after this many instances.
    pub count: Option<u64>,
    /// How virtual time maps to the run.
    pub speed: Speed,
    /// Publishing connections.
    pub connections: usize,
    /// Publishing channels per connection.
    pub channels: usize,
    /// Ask the broker to confirm every message.
    pub confirms: bool,
    /// The consumers.
    pub consumers: ConsumerOptions,
    /// The run's base seed; instance seeds derive from it.
    pub seed: u64,
    /// Messages a channel may have queued before further ones are counted as
    /// not sent (backlog): bounds memory when the broker stalls.
    pub backlog: usize,
    /// How long a connection attempt may take.
    pub connect_timeout: Duration,
    /// How long, after the last publish, to wait for outstanding confirms.
    pub confirm_timeout: Duration,
    /// How long consumers may stay silent, after publishing ends, before
    /// the messages still missing are declared lost.
    pub drain_timeout: Duration,
    /// How long a lost connection is retried before its messages are given up.
    pub reconnect_limit: Duration,
}

impl LoadOptions {
    /// Options with the defaults for everything but the brokers and the rate.
    pub fn new(brokers: Vec<AmqpUrl>, rate: Rate) -> Self {
        Self {
            brokers,
            exchange: WAZO_EXCHANGE.to_owned(),
            profile: Profile::default(),
            headers_exchange: WAZO_HEADERS_EXCHANGE.to_owned(),
            rate,
            duration: None,
            count: None,
            speed: Speed::REAL_TIME,
            connections: 1,
            channels: 1,
            confirms: true,
            consumers: ConsumerOptions::default(),
            seed: crate::scenario::DEFAULT_SEED,
            backlog: 100_000,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            confirm_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(5),
            reconnect_limit: Duration::from_secs(60),
        }
    }

    /// The consumers' binding keys: `#` when consumers are asked for without one.
    pub fn effective_bindings(&self) -> Vec<String> {
        if self.consumers.count == 0 {
            Vec::new()
        } else if self.consumers.bindings.is_empty() {
            vec!["#".to_owned()]
        } else {
            self.consumers.bindings.clone()
        }
    }
}

impl LoadOptions {
    /// The exchanges of the run's bus.
    pub fn topology(&self) -> Topology {
        Topology::named(self.profile, &self.exchange, &self.headers_exchange)
    }
}
