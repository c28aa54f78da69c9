//! [`Link`]: one AMQP connection of the run that comes back when it drops.
//!
//! A link hands out its current connection to the channels that share it.
//! When the connection is lost (the broker restarted, a node of the cluster
//! went away) the first channel that notices marks it broken; the next one
//! to ask reconnects, retrying with exponential backoff, while the others
//! wait for it. The time from the loss to the new connection is an
//! [`Outage`], which the report lists.
//!
//! A watcher task per connection notices a loss even when no channel is
//! publishing, so the outage starts when the connection died rather than
//! when traffic next tried to use it, and the confirms its channels were
//! waiting for are declared unconfirmed at once.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use amqprs::connection::Connection;
use serde::Serialize;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::publisher::ConfirmTracker;
use crate::provision::{AmqpUrl, ConnectError, connect};

/// The first wait between reconnection attempts; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A time a connection was down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outage {
    /// The connection's name on the broker (`switchboard-load-publisher-0`).
    pub connection: String,
    /// The broker, without credentials.
    pub broker: String,
    /// When the loss was noticed, in seconds since the run started.
    pub lost_at_s: f64,
    /// How long until a new connection was open, in seconds (`None`: never
    /// reconnected before the run ended).
    pub gap_s: Option<f64>,
    /// Failed connection attempts during the gap.
    pub attempts: u32,
    /// Why the connection was lost, as the client library or broker said.
    pub reason: String,
}

#[derive(Default)]
struct LinkState {
    connection: Option<Connection>,
    /// Bumped at each new connection, so that a stale "broken" report about
    /// an older connection does not tear down the new one.
    generation: u64,
    /// Since when the link has been down, and why.
    lost: Option<(Instant, String)>,
    /// Failed reconnection attempts since then.
    attempts: u32,
    /// Confirm trackers of the channels on the current connection.
    trackers: Vec<ConfirmTracker>,
}

impl std::fmt::Debug for LinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkState")
            .field("open", &self.connection.as_ref().map(Connection::is_open))
            .field("generation", &self.generation)
            .field("lost", &self.lost)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// A reconnecting connection. See the module documentation.
#[derive(Debug)]
pub struct Link {
    url: AmqpUrl,
    name: String,
    connect_timeout: Duration,
    run_started: Instant,
    state: tokio::sync::Mutex<()>,
    inner: Mutex<LinkState>,
    outages: Mutex<Vec<Outage>>,
    watchers: TaskTracker,
    stop_watching: CancellationToken,
}

impl Link {
    /// A link to `url`, named `name` on the broker; nothing is opened yet.
    pub fn new(
        url: AmqpUrl,
        name: String,
        connect_timeout: Duration,
        run_started: Instant,
    ) -> Self {
        Self {
            url,
            name,
            connect_timeout,
            run_started,
            state: tokio::sync::Mutex::new(()),
            inner: Mutex::new(LinkState::default()),
            outages: Mutex::new(Vec::new()),
            watchers: TaskTracker::new(),
            stop_watching: CancellationToken::new(),
        }
    }

    fn inner(&self) -> MutexGuard<'_, LinkState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The broker this link connects to.
    pub fn url(&self) -> &AmqpUrl {
        &self.url
    }

    /// Opens the first connection; a failure here is the user's to fix (a
    /// wrong URL, refused credentials), so it is returned, not retried.
    pub async fn open(self: &Arc<Self>) -> Result<(), ConnectError> {
        let _connecting = self.state.lock().await;
        let connection = connect(&self.url, &self.name, self.connect_timeout).await?;
        self.install(connection);
        Ok(())
    }

    /// The current connection and its generation, reconnecting (with
    /// backoff, for at most `give_up_after`) if it was lost. `None` when
    /// `cancel` fires or the broker stayed away too long.
    pub async fn connection(
        self: &Arc<Self>,
        cancel: &CancellationToken,
        give_up_after: Duration,
    ) -> Option<(Connection, u64)> {
        let _connecting = tokio::select! {
            guard = self.state.lock() => guard,
            () = cancel.cancelled() => return None,
        };
        {
            let inner = self.inner();
            if let Some(connection) = &inner.connection
                && connection.is_open()
            {
                return Some((connection.clone(), inner.generation));
            }
        }
        let generation = self.inner().generation;
        self.mark_broken(generation, "the connection was closed".to_owned());
        let lost_at = self
            .inner()
            .lost
            .as_ref()
            .map_or_else(Instant::now, |(lost_at, _)| *lost_at);
        let mut backoff = FIRST_BACKOFF;
        loop {
            if lost_at.elapsed() > give_up_after {
                // The outage stays open: `outages` reports it without a gap.
                return None;
            }
            match connect(&self.url, &self.name, self.connect_timeout).await {
                Ok(connection) => {
                    self.close_outage();
                    let generation = self.install(connection.clone());
                    tracing::info!(connection = %self.name, "reconnected");
                    return Some((connection, generation));
                }
                Err(error) => {
                    self.inner().attempts += 1;
                    tracing::debug!(connection = %self.name, %error, "reconnection failed");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = cancel.cancelled() => return None,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Makes `connection` the current one and watches it; returns its generation.
    fn install(self: &Arc<Self>, connection: Connection) -> u64 {
        let generation = {
            let mut inner = self.inner();
            inner.generation += 1;
            inner.connection = Some(connection.clone());
            inner.lost = None;
            inner.attempts = 0;
            inner.generation
        };
        let link = Arc::clone(self);
        let stop = self.stop_watching.clone();
        self.watchers.spawn(async move {
            tokio::select! {
                _network_failure = connection.listen_network_io_failure() => {
                    link.mark_broken(generation, "the connection to the broker was lost".to_owned());
                }
                () = stop.cancelled() => {}
            }
        });
        generation
    }

    /// Registers the confirm tracker of a channel opened on connection `generation`.
    pub fn track(&self, generation: u64, tracker: ConfirmTracker) {
        let mut inner = self.inner();
        if inner.generation == generation && inner.connection.is_some() {
            inner.trackers.push(tracker);
        } else {
            // The connection died while the channel was being opened.
            tracker.fail_all();
        }
    }

    /// Declares connection `generation` lost (a publish failed, the watcher
    /// saw it go). Its channels' pending confirms become unconfirmed.
    pub fn mark_broken(&self, generation: u64, reason: String) {
        let trackers = {
            let mut inner = self.inner();
            if inner.generation != generation || inner.connection.is_none() {
                return;
            }
            inner.connection = None;
            inner.lost.get_or_insert_with(|| (Instant::now(), reason));
            std::mem::take(&mut inner.trackers)
        };
        tracing::warn!(connection = %self.name, "connection lost");
        for tracker in trackers {
            tracker.fail_all();
        }
    }

    fn outage(
        &self,
        lost_at: Instant,
        gap: Option<Duration>,
        attempts: u32,
        reason: String,
    ) -> Outage {
        Outage {
            connection: self.name.clone(),
            broker: self.url.to_string(),
            lost_at_s: lost_at
                .saturating_duration_since(self.run_started)
                .as_secs_f64(),
            gap_s: gap.map(|gap| gap.as_secs_f64()),
            attempts,
            reason,
        }
    }

    /// Records the outage that a new connection just ended.
    fn close_outage(&self) {
        let open = {
            let inner = self.inner();
            inner.lost.clone().map(|lost| (lost, inner.attempts))
        };
        if let Some(((lost_at, reason), attempts)) = open {
            let outage = self.outage(lost_at, Some(lost_at.elapsed()), attempts, reason);
            self.outages
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(outage);
        }
    }

    /// The outages so far, plus the current one if the link is down now.
    pub fn outages(&self) -> Vec<Outage> {
        let mut outages = self
            .outages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let inner = self.inner();
        if let Some((lost_at, reason)) = inner.lost.clone() {
            outages.push(self.outage(lost_at, None, inner.attempts, reason));
        }
        outages
    }

    /// Stops the watcher and closes the connection.
    pub async fn close(&self) {
        self.stop_watching.cancel();
        self.watchers.close();
        self.watchers.wait().await;
        let connection = self.inner().connection.take();
        if let Some(connection) = connection {
            // An error means the broker already dropped us: nothing left to close.
            let _ = connection.close().await;
        }
    }
}
