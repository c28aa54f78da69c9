//! [`Recorder`]: a consumer that records every delivery, in order.
//!
//! It has its own connection, so that it sees the broker as any consumer
//! would, and an exclusive, auto-deleted, server-named queue bound to the
//! exchange with the requested binding keys. [`Recorder::start`] returns only
//! once the queue is bound and the consumer registered: everything published
//! afterwards is recorded.
//!
//! One task (owned by the recorder's [`TaskTracker`], stopped by its
//! [`CancellationToken`]) moves deliveries from amqprs into a shared list and
//! bumps a [`watch`] counter that waiters and cursors observe.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amqprs::channel::{
    BasicConsumeArguments, Channel, ConsumerMessage, QueueBindArguments, QueueDeclareArguments,
};
use amqprs::connection::Connection;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::{CancellationToken, DropGuard};
use tokio_util::task::TaskTracker;

use super::delivery::{Body, Delivery, Properties};
use crate::catalog::wazo::Profile;
use crate::load::topic;
use crate::provision::close_reason::CloseReason;
use crate::provision::{AmqpUrl, ConnectError, DEFAULT_CONNECT_TIMEOUT, connect};
use crate::sink::{Topology, WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};

/// What the recorder listens to.
#[derive(Debug, Clone)]
pub struct RecorderOptions {
    /// The topic exchange to bind to; declared the way Wazo declares `xivo` if absent.
    pub exchange: String,
    /// The bus's topology: `documented` binds the topic keys on `exchange`;
    /// `wazo` consumes `headers_exchange`, where every message of a current
    /// Wazo ends up, and applies the topic keys to each delivery's routing key.
    pub profile: Profile,
    /// The headers exchange of the `wazo` profile (`wazo-headers`).
    pub headers_exchange: String,
    /// Binding keys (topic patterns); `#` records everything.
    pub bindings: Vec<String>,
    /// How long the connection attempt may take.
    pub connect_timeout: Duration,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        Self {
            exchange: WAZO_EXCHANGE.to_owned(),
            profile: Profile::default(),
            headers_exchange: WAZO_HEADERS_EXCHANGE.to_owned(),
            bindings: vec!["#".to_owned()],
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// Why recording failed or a wait ended early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The connection could not be opened.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The broker refused a setup step (queue, binding, consumer).
    #[error("the broker at {url} refused to {step} ({reason})")]
    Setup {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// What we were doing, in words.
        step: String,
        /// The broker's reply (`404 NOT_FOUND - …`), or the client's error.
        reason: String,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
    /// Fewer deliveries than expected arrived in time.
    #[error("expected {expected} deliveries within {}, received {received}", humantime::format_duration(*.timeout))]
    Timeout {
        /// How many were awaited.
        expected: usize,
        /// How many arrived.
        received: usize,
        /// How long we waited.
        timeout: Duration,
    },
    /// The consumer stopped (connection lost, queue deleted) before enough arrived.
    #[error("recording stopped after {received} of {expected} deliveries: {reason}")]
    Ended {
        /// How many were awaited.
        expected: usize,
        /// How many arrived.
        received: usize,
        /// Why it stopped.
        reason: String,
    },
}

/// How far recording has got: what the watch channel carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Progress {
    received: usize,
    /// Set once the consumer stopped, with the reason.
    ended: Option<String>,
}

/// A recording consumer. See the module documentation.
pub struct Recorder {
    queue: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    progress: watch::Receiver<Progress>,
    cancel: CancellationToken,
    /// Stops the recording task if the recorder is dropped without `shutdown`;
    /// amqprs then closes the connection it drops.
    _cancel_on_drop: DropGuard,
    tasks: TaskTracker,
    channel: Channel,
    connection: Connection,
}

impl Recorder {
    /// Connects, declares the exchange and a private queue, binds it with
    /// every binding key and starts consuming. Returns once all of that is
    /// acknowledged by the broker.
    pub async fn start(url: &AmqpUrl, options: &RecorderOptions) -> Result<Self, RecordError> {
        let connection = connect(url, "switchboard-recorder", options.connect_timeout).await?;
        let close_reason = CloseReason::default();
        let setup = |step: String| {
            let close_reason = close_reason.clone();
            move |source| RecordError::Setup {
                url: url.clone(),
                step,
                reason: close_reason.explain(&source),
                cause: source,
            }
        };
        let channel = connection
            .open_channel(None)
            .await
            .map_err(setup("open a channel".into()))?;
        channel
            .register_callback(close_reason.clone())
            .await
            .map_err(setup("watch the channel".into()))?;
        let topology = Topology::named(
            options.profile,
            &options.exchange,
            &options.headers_exchange,
        );
        if let Err(failure) = topology.declare(&channel).await {
            return Err(setup(format!("declare {}", failure.what))(failure.cause));
        }
        let declared = channel
            .queue_declare(
                QueueDeclareArguments::exclusive_server_named()
                    .auto_delete(true)
                    .finish(),
            )
            .await
            .map_err(setup("declare the recording queue".into()))?;
        let Some((queue, _, _)) = declared else {
            // Only a no-wait declare has no reply, and ours waits.
            let missing = amqprs::error::Error::ChannelUseError("no queue.declare-ok".into());
            return Err(setup("declare the recording queue".into())(missing));
        };
        // A headers binding without arguments (x-match all of nothing)
        // matches every message; the topic keys then filter deliveries.
        let (exchange, keys, filter) = match options.profile {
            Profile::Documented => (&options.exchange, options.bindings.clone(), None),
            Profile::Wazo => (
                &options.headers_exchange,
                vec![String::new()],
                Some(options.bindings.clone()),
            ),
        };
        for key in &keys {
            channel
                .queue_bind(QueueBindArguments::new(&queue, exchange, key))
                .await
                .map_err(setup(format!(
                    "bind the recording queue to '{exchange}' with key '{key}'"
                )))?;
        }
        let (_tag, messages) = channel
            .basic_consume_rx(
                BasicConsumeArguments::new(&queue, "switchboard-recorder")
                    .manual_ack(false)
                    .exclusive(true)
                    .finish(),
            )
            .await
            .map_err(setup("start consuming from the recording queue".into()))?;

        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let (progress_tx, progress) = watch::channel(Progress::default());
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        tasks.spawn(record(
            messages,
            filter,
            Arc::clone(&deliveries),
            progress_tx,
            cancel.clone(),
        ));
        tasks.close();
        Ok(Self {
            queue,
            deliveries,
            progress,
            _cancel_on_drop: cancel.clone().drop_guard(),
            cancel,
            tasks,
            channel,
            connection,
        })
    }

    /// The server-named queue the recorder consumes from.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Every delivery so far, in receive order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.deliveries).clone()
    }

    /// How many deliveries have been received.
    pub fn received(&self) -> usize {
        self.progress.borrow().received
    }

    /// Waits until at least `count` deliveries have arrived; returns them all.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Delivery>, RecordError> {
        let mut progress = self.progress.clone();
        let reached = tokio::time::timeout(
            timeout,
            progress.wait_for(|now| now.received >= count || now.ended.is_some()),
        )
        .await;
        let now = self.progress.borrow().clone();
        if now.received >= count {
            return Ok(self.deliveries());
        }
        match (reached, now.ended) {
            (Ok(_), Some(reason)) => Err(RecordError::Ended {
                expected: count,
                received: now.received,
                reason,
            }),
            _ => Err(RecordError::Timeout {
                expected: count,
                received: now.received,
                timeout,
            }),
        }
    }

    /// Waits until nothing has arrived for `quiet` (or `limit` has passed, for
    /// a bus that never goes quiet, or recording stopped); returns every delivery.
    pub async fn wait_until_quiet(&self, quiet: Duration, limit: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut progress = self.progress.clone();
        loop {
            if progress.borrow_and_update().ended.is_some() {
                break;
            }
            let quiet_until = (tokio::time::Instant::now() + quiet).min(deadline);
            match tokio::time::timeout_at(quiet_until, progress.changed()).await {
                Ok(Ok(())) if tokio::time::Instant::now() < deadline => continue,
                _ => break,
            }
        }
        self.deliveries()
    }

    /// A cursor over deliveries as they arrive, starting with the first.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            next: 0,
            deliveries: Arc::clone(&self.deliveries),
            progress: self.progress.clone(),
        }
    }

    /// Stops consuming, waits for the recording task to finish and closes the
    /// connection (the broker then deletes the queue). Returns the recording.
    pub async fn shutdown(self) -> Vec<Delivery> {
        self.cancel.cancel();
        self.tasks.wait().await;
        // Errors mean the broker already closed them: nothing left to do.
        let _ = self.channel.close().await;
        let _ = self.connection.close().await;
        lock(&self.deliveries).clone()
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("queue", &self.queue)
            .field("received", &self.received())
            .field("connection", &self.connection.connection_name())
            .finish_non_exhaustive()
    }
}

/// Follows a recording as it grows; see [`Recorder::cursor`].
#[derive(Debug)]
pub struct Cursor {
    next: usize,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    progress: watch::Receiver<Progress>,
}

impl Cursor {
    /// The next delivery, waiting for it if needed; `None` once recording
    /// has stopped and every delivery has been returned.
    pub async fn next(&mut self) -> Option<Delivery> {
        loop {
            // Mark the current state seen *before* looking at the list: the
            // task pushes before it notifies, so anything pushed after this
            // point wakes `changed()` below.
            let ended = self.progress.borrow_and_update().ended.is_some();
            if let Some(delivery) = lock(&self.deliveries).get(self.next).cloned() {
                self.next += 1;
                return Some(delivery);
            }
            if ended || self.progress.changed().await.is_err() {
                // One last look: the task may have pushed just before ending.
                let last = lock(&self.deliveries).get(self.next).cloned();
                self.next += usize::from(last.is_some());
                return last;
            }
        }
    }

    /// Why recording stopped, once it has.
    pub fn ended(&self) -> Option<String> {
        self.progress.borrow().ended.clone()
    }
}

/// The recording task: amqprs messages → [`Delivery`] values, until cancelled
/// or the consumer ends.
async fn record(
    mut messages: mpsc::UnboundedReceiver<ConsumerMessage>,
    filter: Option<Vec<String>>,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    progress: watch::Sender<Progress>,
    cancel: CancellationToken,
) {
    let reason = loop {
        let message = tokio::select! {
            biased;
            message = messages.recv() => message,
            () = cancel.cancelled() => break "the recorder was shut down".to_owned(),
        };
        let Some(message) = message else {
            break "the broker closed the consumer or the connection".to_owned();
        };
        if let (Some(patterns), Some(deliver)) = (&filter, &message.deliver)
            && !patterns
                .iter()
                .any(|pattern| topic::matches(pattern, deliver.routing_key()))
        {
            continue;
        }
        let received = {
            let mut deliveries = lock(&deliveries);
            let seq = deliveries.len() as u64 + 1;
            deliveries.push(to_delivery(seq, message));
            deliveries.len()
        };
        progress.send_modify(|now| now.received = received);
    };
    tracing::debug!(%reason, "recording stopped");
    progress.send_modify(|now| now.ended = Some(reason));
}

fn to_delivery(seq: u64, message: ConsumerMessage) -> Delivery {
    let (exchange, routing_key) = message
        .deliver
        .as_ref()
        .map(|deliver| (deliver.exchange().clone(), deliver.routing_key().clone()))
        .unwrap_or_default();
    Delivery {
        seq,
        exchange,
        routing_key,
        properties: message
            .basic_properties
            .as_ref()
            .map(Properties::from_amqp)
            .unwrap_or_default(),
        body: Body::from_bytes(message.content.unwrap_or_default()),
    }
}

fn lock(deliveries: &Mutex<Vec<Delivery>>) -> std::sync::MutexGuard<'_, Vec<Delivery>> {
    // Pushing is the only mutation: a panic elsewhere cannot leave it half-done.
    deliveries.lock().unwrap_or_else(PoisonError::into_inner)
}
