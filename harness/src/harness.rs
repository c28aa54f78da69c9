//! [`Harness`]: a broker, a publisher and a recorder, ready for a test.
//!
//! It is the library's front door for a downstream Rust test: start one on
//! any [`BrokerSpec`], publish messages, look at what a consumer bound to the
//! exchange received, shut it down.
//!
//! ```no_run
//! use std::time::Duration;
//! use serde_json::{json, Map};
//! use switchboard::harness::Harness;
//! use switchboard::provision::BrokerSpec;
//! use switchboard::sink::Outgoing;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let harness = Harness::start(BrokerSpec::Embedded).await?;
//! let mut headers = Map::new();
//! headers.insert("name".into(), json!("call_created"));
//! let message = Outgoing::json(
//!     "call_created",
//!     "calls.call.created",
//!     headers,
//!     &json!({"name": "call_created", "origin_uuid": "…", "data": {}}),
//! );
//! let report = harness.publish(&[message]).await?;
//! assert_eq!(report.confirmed, 1);
//! let received = harness.recorder().wait_for(1, Duration::from_secs(5)).await?;
//! assert_eq!(received[0].routing_key, "calls.call.created");
//! harness.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! The order of start-up matters and is fixed here: the broker is ready,
//! the exchange declared and the recorder bound *before* `start` returns, so
//! nothing published afterwards can be missed.

use std::time::Duration;

use crate::provision::{
    self, AmqpUrl, BrokerSpec, DEFAULT_CONNECT_TIMEOUT, ProvisionError, Provisioned,
};
use crate::record::{RecordError, Recorder, RecorderOptions};
use crate::sink::{
    AmqpPublisher, Outgoing, PublishError, PublishReport, PublisherOptions, WAZO_EXCHANGE,
};

/// How to set the harness up; the defaults are Wazo's.
#[derive(Debug, Clone)]
pub struct HarnessOptions {
    /// The exchange to publish on and record from (`xivo`).
    pub exchange: String,
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
            exchange: WAZO_EXCHANGE.to_owned(),
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

/// A provisioned broker with a connected publisher and a bound recorder.
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
