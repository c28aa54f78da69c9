//! Publishing [`Outgoing`] messages on an AMQP exchange, with publisher confirms.
//!
//! The exchanges and message properties come from the profile
//! ([`super::topology`]): the document's `xivo` topic exchange with transient
//! JSON messages, or current Wazo's `wazo-headers` with persistent, utf-8
//! encoded ones. [`AmqpPublisher`] declares the exchanges that way and
//! publishes with confirms on by default: a publish returns once the
//! broker has acknowledged it, and a nack, a closed channel or a missing
//! confirm is an error that names the event.
//!
//! Confirms arrive on amqprs's channel callback; a `ConfirmTracker` pairs each
//! broker delivery tag with the publish that is waiting for it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amqprs::callbacks::ChannelCallback;
use amqprs::channel::{BasicPublishArguments, Channel, ConfirmSelectArguments};
use amqprs::connection::Connection;
use amqprs::{Ack, BasicProperties, Cancel, CloseChannel, Nack, Return};
use tokio::sync::oneshot;

use super::headers::{HeaderError, to_field_table};
use super::message::Outgoing;
use super::topology::{Topology, content_encoding, delivery_mode};
pub use super::topology::{WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};
use crate::catalog::wazo::Profile;
use crate::provision::close_reason::CloseReason;
use crate::provision::{AmqpUrl, ConnectError, DEFAULT_CONNECT_TIMEOUT, connect};

/// The content type of every Wazo message.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// How the publisher connects and publishes.
#[derive(Debug, Clone)]
pub struct PublisherOptions {
    /// The topic exchange to declare (`xivo`); the documented profile publishes on it.
    pub exchange: String,
    /// Which wire format: the exchanges declared, where messages go, their
    /// delivery mode and content encoding ([`Topology`]).
    pub profile: Profile,
    /// The headers exchange of the `wazo` profile (`wazo-headers`), declared
    /// beside `exchange` and published on.
    pub headers_exchange: String,
    /// Wait for the broker to confirm each message (on by default).
    pub confirms: bool,
    /// How long a connection attempt may take.
    pub connect_timeout: Duration,
    /// How long the broker may take to confirm one message.
    pub confirm_timeout: Duration,
}

impl Default for PublisherOptions {
    fn default() -> Self {
        Self {
            exchange: WAZO_EXCHANGE.to_owned(),
            profile: Profile::default(),
            headers_exchange: WAZO_HEADERS_EXCHANGE.to_owned(),
            confirms: true,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            confirm_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a message could not be published (or confirmed). Each message is one
/// sentence naming the broker or the event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The connection could not be opened.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The channel could not be opened or put in confirm mode.
    #[error("cannot open a publishing channel on the broker at {url} ({cause})")]
    Channel {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
    /// The exchange could not be declared (e.g. it exists with another type).
    #[error("the broker at {url} refused to declare {what} ({reason})")]
    Declare {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// The exchange name.
        exchange: String,
        /// What was declared, in words: `the topic exchange 'xivo'`.
        what: String,
        /// The broker's reply (`406 PRECONDITION_FAILED - …`), or the client's error.
        reason: String,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
    /// A header has no AMQP representation.
    #[error("cannot publish event '{event}': {cause}")]
    Header {
        /// The event name.
        event: String,
        /// Which header and why.
        cause: HeaderError,
    },
    /// Sending the message failed (the connection is gone).
    #[error("cannot publish event '{event}' ({cause})")]
    Send {
        /// The event name.
        event: String,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
    /// The broker answered with a negative acknowledgement.
    #[error("the broker refused event '{event}' (basic.nack)")]
    Nacked {
        /// The event name.
        event: String,
    },
    /// No confirm arrived in time.
    #[error("the broker did not confirm event '{event}' within {}", humantime::format_duration(*.timeout))]
    Unconfirmed {
        /// The event name.
        event: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// The broker closed the channel before confirming.
    #[error("the broker closed the channel before confirming event '{event}' ({reason})")]
    ChannelClosed {
        /// The event name.
        event: String,
        /// The broker's reply code and text.
        reason: String,
    },
}

/// The outcome of publishing a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PublishReport {
    /// Messages handed to the broker.
    pub published: usize,
    /// Messages the broker confirmed (0 when confirms are off).
    pub confirmed: usize,
}

/// An AMQP publisher on its own connection and channel.
pub struct AmqpPublisher {
    url: AmqpUrl,
    options: PublisherOptions,
    /// Where messages go: [`Topology::publish_exchange`] of the options.
    exchange: String,
    connection: Connection,
    channel: Channel,
    confirms: ConfirmTracker,
    /// Serialises publishes: delivery tags follow publish order on the wire,
    /// so registering a tag and sending its message must not interleave.
    publishing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AmqpPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpPublisher")
            .field("url", &self.url)
            .field("options", &self.options)
            .field("connection", &self.connection.connection_name())
            .finish_non_exhaustive()
    }
}

impl AmqpPublisher {
    /// Connects, opens a channel (in confirm mode unless disabled) and
    /// declares the exchange the way Wazo does.
    pub async fn connect(url: &AmqpUrl, options: PublisherOptions) -> Result<Self, PublishError> {
        let connection = connect(url, "switchboard-publisher", options.connect_timeout).await?;
        let channel_error = |source| PublishError::Channel {
            url: url.clone(),
            cause: source,
        };
        let channel = connection.open_channel(None).await.map_err(channel_error)?;
        let confirms = ConfirmTracker::default();
        channel
            .register_callback(confirms.clone())
            .await
            .map_err(channel_error)?;
        if options.confirms {
            channel
                .confirm_select(ConfirmSelectArguments::default())
                .await
                .map_err(channel_error)?;
        }
        options
            .topology()
            .declare(&channel)
            .await
            .map_err(|failure| PublishError::Declare {
                url: url.clone(),
                reason: confirms.close_reason.explain(&failure.cause),
                what: failure.what,
                exchange: failure.exchange,
                cause: failure.cause,
            })?;
        Ok(Self {
            url: url.clone(),
            exchange: options.topology().publish_exchange().to_owned(),
            options,
            connection,
            channel,
            confirms,
            publishing: tokio::sync::Mutex::new(()),
        })
    }

    /// The broker this publisher talks to.
    pub fn url(&self) -> &AmqpUrl {
        &self.url
    }

    /// Publishes one message and, with confirms on, waits for its confirm.
    pub async fn publish(&self, message: &Outgoing) -> Result<(), PublishError> {
        let pending = self.send(message).await?;
        self.await_confirm(&message.name, pending).await
    }

    /// Publishes `messages` in order, then waits for their confirms (the
    /// broker confirms a batch far faster than one message at a time). Stops
    /// at the first failure, which names the event.
    pub async fn publish_all(&self, messages: &[Outgoing]) -> Result<PublishReport, PublishError> {
        let mut report = PublishReport::default();
        let mut waiting = Vec::with_capacity(messages.len());
        for message in messages {
            waiting.push((&message.name, self.send(message).await?));
            report.published += 1;
        }
        for (event, pending) in waiting {
            let confirmed = pending.is_some();
            self.await_confirm(event, pending).await?;
            if confirmed {
                report.confirmed += 1;
            }
        }
        Ok(report)
    }

    /// Sends `message`; returns the confirm to wait for (none without confirms).
    async fn send(
        &self,
        message: &Outgoing,
    ) -> Result<Option<oneshot::Receiver<Confirm>>, PublishError> {
        let headers = to_field_table(&message.headers).map_err(|source| PublishError::Header {
            event: message.name.clone(),
            cause: source,
        })?;
        let profile = self.options.profile;
        let mut properties = BasicProperties::default();
        properties
            .with_content_type(JSON_CONTENT_TYPE)
            .with_delivery_mode(delivery_mode(profile))
            .with_headers(headers);
        if let Some(encoding) = content_encoding(profile) {
            properties.with_content_encoding(encoding);
        }
        let exchange = if message.on_topic {
            &self.options.exchange
        } else {
            &self.exchange
        };
        let arguments = BasicPublishArguments::new(exchange, &message.routing_key);
        let _order = self.publishing.lock().await;
        let pending = self.options.confirms.then(|| self.confirms.expect_next());
        self.channel
            .basic_publish(properties, message.body.clone(), arguments)
            .await
            .map_err(|source| PublishError::Send {
                event: message.name.clone(),
                cause: source,
            })?;
        Ok(pending)
    }

    async fn await_confirm(
        &self,
        event: &str,
        pending: Option<oneshot::Receiver<Confirm>>,
    ) -> Result<(), PublishError> {
        let Some(pending) = pending else {
            return Ok(());
        };
        let timeout = self.options.confirm_timeout;
        match tokio::time::timeout(timeout, pending).await {
            Ok(Ok(Confirm::Ack)) => Ok(()),
            Ok(Ok(Confirm::Nack)) => Err(PublishError::Nacked {
                event: event.to_owned(),
            }),
            Ok(Ok(Confirm::Closed(reason))) => Err(PublishError::ChannelClosed {
                event: event.to_owned(),
                reason,
            }),
            // The tracker dropped the sender: the channel and its callback are gone.
            Ok(Err(_dropped)) => Err(PublishError::ChannelClosed {
                event: event.to_owned(),
                reason: "the connection was lost".to_owned(),
            }),
            Err(_elapsed) => Err(PublishError::Unconfirmed {
                event: event.to_owned(),
                timeout,
            }),
        }
    }

    /// Closes the channel and the connection.
    pub async fn close(self) {
        // Errors here mean the broker already dropped us: nothing left to close.
        let _ = self.channel.close().await;
        let _ = self.connection.close().await;
    }
}

impl PublisherOptions {
    /// The exchanges these options declare and publish on.
    pub fn topology(&self) -> Topology {
        Topology::named(self.profile, &self.exchange, &self.headers_exchange)
    }
}

/// Declares `name` as Wazo declares `xivo`: topic, durable, not auto-deleted.
pub async fn declare_wazo_exchange(
    channel: &Channel,
    name: &str,
) -> Result<(), amqprs::error::Error> {
    Topology::named(Profile::Documented, name, WAZO_HEADERS_EXCHANGE)
        .declare(channel)
        .await
        .map_err(|failure| failure.cause)
}

/// The broker's verdict on one published message.
#[derive(Debug)]
enum Confirm {
    Ack,
    Nack,
    Closed(String),
}

/// Pairs broker delivery tags (1, 2, 3… per channel, in publish order) with
/// the publishes waiting for them, and resolves them from the channel callback.
#[derive(Debug, Clone, Default)]
struct ConfirmTracker {
    state: Arc<Mutex<TrackerState>>,
    close_reason: CloseReason,
}

#[derive(Debug, Default)]
struct TrackerState {
    last_tag: u64,
    waiting: BTreeMap<u64, oneshot::Sender<Confirm>>,
    closed: Option<String>,
}

impl ConfirmTracker {
    /// Registers the next publish; call it just before sending that message.
    fn expect_next(&self) -> oneshot::Receiver<Confirm> {
        let (sender, receiver) = oneshot::channel();
        let mut state = self.lock();
        state.last_tag += 1;
        match &state.closed {
            Some(reason) => {
                let _ = sender.send(Confirm::Closed(reason.clone()));
            }
            None => {
                let tag = state.last_tag;
                state.waiting.insert(tag, sender);
            }
        }
        receiver
    }

    /// Resolves `tag` (and every earlier tag when `multiple`).
    fn resolve(&self, tag: u64, multiple: bool, verdict: fn() -> Confirm) {
        let mut state = self.lock();
        let settled: Vec<u64> = if multiple {
            state.waiting.range(..=tag).map(|(tag, _)| *tag).collect()
        } else {
            vec![tag]
        };
        for tag in settled {
            if let Some(sender) = state.waiting.remove(&tag) {
                // The publisher may have stopped waiting (timeout): fine.
                let _ = sender.send(verdict());
            }
        }
    }

    /// Fails every waiting publish, and all later ones.
    fn fail_all(&self, reason: String) {
        let mut state = self.lock();
        for (_, sender) in std::mem::take(&mut state.waiting) {
            let _ = sender.send(Confirm::Closed(reason.clone()));
        }
        state.closed = Some(reason);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TrackerState> {
        // The state stays consistent even if a holder panicked: every update is one step.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl ChannelCallback for ConfirmTracker {
    async fn close(
        &mut self,
        _channel: &Channel,
        close: CloseChannel,
    ) -> Result<(), amqprs::error::Error> {
        self.close_reason.set(&close);
        self.fail_all(self.close_reason.get().unwrap_or_default());
        Ok(())
    }

    async fn cancel(
        &mut self,
        _channel: &Channel,
        _cancel: Cancel,
    ) -> Result<(), amqprs::error::Error> {
        Ok(())
    }

    async fn flow(
        &mut self,
        _channel: &Channel,
        active: bool,
    ) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }

    async fn publish_ack(&mut self, _channel: &Channel, ack: Ack) {
        self.resolve(ack.delivery_tag(), ack.mutiple(), || Confirm::Ack);
    }

    async fn publish_nack(&mut self, _channel: &Channel, nack: Nack) {
        self.resolve(nack.delivery_tag(), nack.multiple(), || Confirm::Nack);
    }

    async fn publish_return(
        &mut self,
        _channel: &Channel,
        _ret: Return,
        _properties: BasicProperties,
        _content: Vec<u8>,
    ) {
        // Not published as mandatory, so nothing is ever returned.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn acks_resolve_single_and_multiple_tags() {
        let tracker = ConfirmTracker::default();
        let first = tracker.expect_next();
        let second = tracker.expect_next();
        let third = tracker.expect_next();
        tracker.resolve(2, true, || Confirm::Ack);
        assert!(matches!(first.await, Ok(Confirm::Ack)));
        assert!(matches!(second.await, Ok(Confirm::Ack)));
        tracker.resolve(3, false, || Confirm::Nack);
        assert!(matches!(third.await, Ok(Confirm::Nack)));
    }

    #[tokio::test]
    async fn a_closed_channel_fails_waiting_and_later_publishes() {
        let tracker = ConfirmTracker::default();
        let waiting = tracker.expect_next();
        tracker.fail_all("404 NOT_FOUND".into());
        assert!(matches!(waiting.await, Ok(Confirm::Closed(reason)) if reason == "404 NOT_FOUND"));
        let later = tracker.expect_next();
        assert!(matches!(later.await, Ok(Confirm::Closed(_))));
    }
}
