//! The publishing side: one task per channel, each fed by the scheduler.
//!
//! A channel task takes the messages the scheduler hands it, in order, and
//! publishes them with two additions that never touch the documented body:
//! an AMQP `message_id` (`<run>:<sequence>`) the ledger follows, and the
//! header [`PUBLISHED_AT_HEADER`] (microseconds since the Unix epoch) from
//! which consumers measure publish→deliver latency.
//!
//! With confirms on, [`ConfirmTracker`] pairs the broker's delivery tags
//! with the messages' sequence numbers and times, so each `basic.ack`
//! records a publish→confirm latency and settles the ledger; nothing waits
//! per message, which is what lets one channel keep thousands in flight.
//!
//! When a publish fails the connection is gone: the message is counted as
//! not sent (it never left), the channel's pending confirms become
//! unconfirmed, and the task reconnects through its [`Link`] before taking
//! the next message.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use amqprs::callbacks::ChannelCallback;
use amqprs::channel::{BasicPublishArguments, Channel, ConfirmSelectArguments};
use amqprs::{Ack, BasicProperties, Cancel, CloseChannel, FieldName, FieldValue, Nack, Return};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::ledger::NotSent;
use super::link::Link;
use super::metrics::{Counters, LatencyHistogram};
use super::run::Shared;
use super::template::LoadMessage;
use crate::sink::amqp::JSON_CONTENT_TYPE;
use crate::sink::topology::{content_encoding, delivery_mode};

/// The header carrying the publish time, in microseconds since the Unix epoch.
pub const PUBLISHED_AT_HEADER: &str = "x-switchboard-published-us";

/// Published messages a channel task reports to the ledger at once.
const PUBLISHED_BATCH: usize = 64;

/// How long a stopped (Ctrl-C) run still waits for outstanding confirms.
const CANCELLED_CONFIRM_GRACE: Duration = Duration::from_secs(1);

/// A message the scheduler hands to a channel task.
#[derive(Debug)]
pub struct Outbound {
    /// Its sequence number in the ledger.
    pub seq: u64,
    /// When it was due.
    pub due: Instant,
    /// What to publish.
    pub message: LoadMessage,
}

/// Microseconds since the Unix epoch, as carried in [`PUBLISHED_AT_HEADER`].
pub fn unix_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
        })
}

/// The `message_id` of message `seq` of run `run_id`.
pub fn message_id(run_id: &str, seq: u64) -> String {
    format!("{run_id}:{seq}")
}

#[derive(Debug, Default)]
struct Pending {
    /// The delivery tag of the last publish on this channel.
    last_tag: u64,
    /// Delivery tag → (sequence number, publish time).
    waiting: BTreeMap<u64, (u64, Instant)>,
    /// Set once the channel is gone: later verdicts are meaningless.
    failed: bool,
}

/// Pairs a channel's delivery tags with the messages awaiting a confirm.
#[derive(Debug, Clone)]
pub struct ConfirmTracker {
    pending: Arc<Mutex<Pending>>,
    settled: Arc<Notify>,
    shared: Arc<Shared>,
}

impl ConfirmTracker {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            pending: Arc::default(),
            settled: Arc::default(),
            shared,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Every update is one step: a panicking holder leaves no half-state.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers the next publish (call it just before sending, in order).
    fn expect(&self, seq: u64, sent: Instant) {
        let mut pending = self.lock();
        pending.last_tag += 1;
        let tag = pending.last_tag;
        pending.waiting.insert(tag, (seq, sent));
    }

    /// Forgets the last registered publish (its send failed).
    fn withdraw_last(&self) {
        let mut pending = self.lock();
        let tag = pending.last_tag;
        pending.waiting.remove(&tag);
    }

    fn resolve(&self, tag: u64, multiple: bool, ack: bool) {
        let now = Instant::now();
        let settled: Vec<(u64, Instant)> = {
            let mut pending = self.lock();
            if pending.failed {
                return;
            }
            if multiple {
                let later = pending.waiting.split_off(&(tag + 1));
                std::mem::replace(&mut pending.waiting, later)
                    .into_values()
                    .collect()
            } else {
                pending.waiting.remove(&tag).into_iter().collect()
            }
        };
        let metrics = &self.shared.metrics;
        metrics.confirm_latency.record_all(
            settled
                .iter()
                .map(|(_, sent)| now.saturating_duration_since(*sent)),
        );
        let seqs: Vec<u64> = settled.iter().map(|(seq, _)| *seq).collect();
        self.shared.ledger.settle_all(&seqs, ack);
        let counter = if ack {
            &metrics.counters.confirmed
        } else {
            &metrics.counters.nacked
        };
        counter.fetch_add(seqs.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if self.lock().waiting.is_empty() {
            self.settled.notify_waiters();
        }
    }

    /// The channel is gone: every pending confirm will never come.
    pub fn fail_all(&self) {
        let waiting = {
            let mut pending = self.lock();
            pending.failed = true;
            std::mem::take(&mut pending.waiting)
        };
        for (seq, _) in waiting.into_values() {
            self.shared.ledger.unconfirmed(seq);
        }
        self.settled.notify_waiters();
    }

    fn is_settled(&self) -> bool {
        self.lock().waiting.is_empty()
    }

    /// Waits until every publish so far is confirmed, or `timeout` passes.
    async fn wait_settled(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.settled.notified();
            if self.is_settled() {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }
}

#[async_trait::async_trait]
impl ChannelCallback for ConfirmTracker {
    async fn close(
        &mut self,
        _channel: &Channel,
        close: CloseChannel,
    ) -> Result<(), amqprs::error::Error> {
        tracing::warn!(%close, "the broker closed a publishing channel");
        self.fail_all();
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
        self.resolve(ack.delivery_tag(), ack.mutiple(), true);
    }

    async fn publish_nack(&mut self, _channel: &Channel, nack: Nack) {
        self.resolve(nack.delivery_tag(), nack.multiple(), false);
    }

    async fn publish_return(
        &mut self,
        _channel: &Channel,
        _ret: Return,
        _properties: BasicProperties,
        _content: Vec<u8>,
    ) {
        // Messages are not published as mandatory: nothing is ever returned.
    }
}

/// An open publishing channel and what it belongs to.
struct Session {
    channel: Channel,
    tracker: ConfirmTracker,
    generation: u64,
}

/// Opens a channel on `link` (reconnecting if needed), in confirm mode when
/// asked, and declares the exchange (a restarted broker may have lost it).
async fn open_session(
    link: &Arc<Link>,
    shared: &Arc<Shared>,
    cancel: &CancellationToken,
) -> Option<Session> {
    loop {
        let (connection, generation) = link
            .connection(cancel, shared.options.reconnect_limit)
            .await?;
        let tracker = ConfirmTracker::new(Arc::clone(shared));
        let opened: Result<Channel, amqprs::error::Error> = async {
            let channel = connection.open_channel(None).await?;
            channel.register_callback(tracker.clone()).await?;
            if shared.options.confirms {
                channel
                    .confirm_select(ConfirmSelectArguments::default())
                    .await?;
            }
            shared
                .options
                .topology()
                .declare(&channel)
                .await
                .map_err(|failure| failure.cause)?;
            Ok(channel)
        }
        .await;
        match opened {
            Ok(channel) => {
                link.track(generation, tracker.clone());
                return Some(Session {
                    channel,
                    tracker,
                    generation,
                });
            }
            Err(error) => {
                Counters::bump(&shared.metrics.counters.errors);
                link.mark_broken(generation, format!("cannot open a channel ({error})"));
            }
        }
    }
}

/// Publishes what the scheduler sends on `outbound` until it is closed (or
/// `cancel` fires), then waits for the outstanding confirms.
pub async fn channel_task(
    link: Arc<Link>,
    shared: Arc<Shared>,
    mut outbound: mpsc::Receiver<Outbound>,
    cancel: CancellationToken,
) {
    let mut session: Option<Session> = None;
    let topology = shared.options.topology();
    let exchange = topology.publish_exchange().to_owned();
    let topic = topology.topic.clone();
    let delivery_mode = delivery_mode(shared.options.profile);
    let encoding = content_encoding(shared.options.profile);
    // Kept by this task and merged at the end: one lock per run, not per message.
    let mut schedule_lag = LatencyHistogram::local();
    // A 26-byte constant: within AMQP's 255-byte limit for names.
    let published_at = FieldName::try_from(PUBLISHED_AT_HEADER).expect("a short header name");
    // Published sequence numbers, reported to the ledger in batches.
    let mut published = Vec::with_capacity(PUBLISHED_BATCH);
    loop {
        let next = match outbound.try_recv() {
            Ok(next) if cancel.is_cancelled() => {
                shared.ledger.not_sent(next.seq, NotSent::Cancelled);
                None
            }
            Ok(next) => Some(next),
            Err(_) => {
                // Nothing queued: report what went out before waiting.
                shared.ledger.published_all(&published);
                published.clear();
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => None,
                    next = outbound.recv() => next,
                }
            }
        };
        let Some(Outbound { seq, due, message }) = next else {
            break;
        };
        if session.is_none() {
            session = open_session(&link, &shared, &cancel).await;
        }
        let Some(open) = &session else {
            let why = if cancel.is_cancelled() {
                NotSent::Cancelled
            } else {
                NotSent::Disconnected
            };
            shared.ledger.not_sent(seq, why);
            continue;
        };
        let LoadMessage {
            routing_key,
            mut headers,
            body,
            on_topic,
        } = message;
        headers.insert(published_at.clone(), FieldValue::l(unix_micros()));
        // Set on an owned value rather than ended with `finish()`, which
        // clones the properties, header table included, for every message.
        let mut properties = BasicProperties::default();
        properties
            .with_content_type(JSON_CONTENT_TYPE)
            .with_delivery_mode(delivery_mode)
            .with_message_id(&message_id(&shared.run_id, seq))
            .with_headers(headers);
        if let Some(encoding) = encoding {
            properties.with_content_encoding(encoding);
        }
        let target = if on_topic { &topic } else { &exchange };
        let arguments = BasicPublishArguments::new(target, &routing_key);
        let sent = Instant::now();
        if shared.options.confirms {
            open.tracker.expect(seq, sent);
        }
        match open
            .channel
            .basic_publish(properties, body, arguments)
            .await
        {
            Ok(()) => {
                published.push(seq);
                if published.len() == PUBLISHED_BATCH {
                    shared.ledger.published_all(&published);
                    published.clear();
                }
                Counters::bump(&shared.metrics.counters.published);
                let late = sent.saturating_duration_since(due);
                schedule_lag
                    .saturating_record(u64::try_from(late.as_micros()).unwrap_or(u64::MAX).max(1));
            }
            Err(error) => {
                if shared.options.confirms {
                    open.tracker.withdraw_last();
                }
                shared.ledger.not_sent(seq, NotSent::Disconnected);
                Counters::bump(&shared.metrics.counters.errors);
                link.mark_broken(open.generation, format!("publishing failed ({error})"));
                open.tracker.fail_all();
                session = None;
            }
        }
    }
    shared.ledger.published_all(&published);
    shared.metrics.schedule_lag.merge(&schedule_lag);
    // Whatever is still queued was never sent: the run was stopped.
    outbound.close();
    while let Ok(Outbound { seq, .. }) = outbound.try_recv() {
        shared.ledger.not_sent(seq, NotSent::Cancelled);
    }
    if let Some(open) = session {
        let grace = if cancel.is_cancelled() {
            CANCELLED_CONFIRM_GRACE.min(shared.options.confirm_timeout)
        } else {
            shared.options.confirm_timeout
        };
        open.tracker.wait_settled(grace).await;
        // An error means the connection is already gone: nothing to close.
        let _ = open.channel.close().await;
    }
}
