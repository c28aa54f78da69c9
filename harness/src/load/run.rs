//! One load run: connect, start consumers, schedule and publish, drain, report.
//!
//! The scheduler is a single loop that starts instances at their open-loop
//! arrival times, renders them, and hands each message to its channel task
//! when due (all messages of one instance go to the same channel, so a
//! consumer sees each call's events in order). A sampler reads the counters
//! every quarter second for the live line and once a second for the report's
//! series. When arrivals end, the channels drain and collect their
//! confirms, the consumers get until they fall silent to receive what is
//! still on its way, and the ledger is closed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::{AbortOnDropHandle, TaskTracker};

use super::arrival::{ArrivalSchedule, RateError};
use super::consumer::{self, consumer_task};
use super::ledger::{Ledger, NotSent};
use super::link::Link;
use super::metrics::{Counters, Metrics};
use super::options::LoadOptions;
use super::publisher::{Outbound, channel_task};
use super::report::{LoadReport, Sample, ScenarioCount};
use super::source::{InstanceSource, SourceError};
use super::topic;
use crate::catalog::wazo::Profile;
use crate::provision::ConnectError;

/// Instances rendered per scheduler turn before due messages are handed out.
const RENDER_BATCH: usize = 32;

/// Messages queued on a channel beyond which no further instance is rendered for it.
const RENDER_AHEAD: usize = 2048;

/// Routing keys whose binding masks are remembered. Keys that carry a
/// user's uuid (`faxes.outbound.users.<uuid>.created`) are new with every
/// instance: past this many, the memory starts over rather than growing for
/// the whole run.
const ROUTE_CACHE_LIMIT: usize = 4096;

/// How often the live line is refreshed.
const LIVE_INTERVAL: Duration = Duration::from_millis(250);

/// Why a run could not be done (problems *during* a run are in the report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// No broker was given.
    #[error("no broker to load: give at least one --broker")]
    NoBroker,
    /// Neither a duration nor a count bounds the run.
    #[error("the run has no end: give --duration or --count (or both)")]
    Unbounded,
    /// Zero connections, channels, or too many bindings.
    #[error("invalid load options: {0}")]
    Invalid(String),
    /// The rate is not usable.
    #[error(transparent)]
    Rate(#[from] RateError),
    /// A broker did not accept the first connection.
    #[error(transparent)]
    Connect(Box<ConnectError>),
    /// A scenario of the mix cannot be simulated or rendered.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The broker refused to set up the consumers' queues.
    #[error("the broker at {url} refused to set up the consumers' queue for '{key}' ({cause})")]
    Queue {
        /// The broker, without credentials.
        url: String,
        /// The binding key.
        key: String,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
}

impl From<ConnectError> for LoadError {
    fn from(error: ConnectError) -> Self {
        Self::Connect(Box::new(error))
    }
}

/// What every task of a run shares.
#[derive(Debug)]
pub struct Shared {
    /// The run's id, prefix of every `message_id`.
    pub run_id: String,
    /// The options, bindings made explicit.
    pub options: LoadOptions,
    /// The ledger.
    pub ledger: Ledger,
    /// The counters and histograms.
    pub metrics: Metrics,
}

/// What the live line shows, several times a second.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveStatus {
    /// Since the run started.
    pub elapsed: Duration,
    /// Messages published per second over the last interval.
    pub publish_rate: f64,
    /// Messages consumed per second over the last interval.
    pub consume_rate: f64,
    /// Publish→confirm 99th percentile so far.
    pub confirm_p99: Duration,
    /// Messages routed to consumers and not yet delivered (all bindings).
    pub lag: u64,
    /// Errors so far.
    pub errors: u64,
    /// Totals so far.
    pub published: u64,
}

/// Receives live status updates (the CLI draws its progress line with them).
pub type Observer<'a> = &'a (dyn Fn(&LiveStatus) + Sync);

fn validate(options: &LoadOptions) -> Result<(), LoadError> {
    if options.brokers.is_empty() {
        return Err(LoadError::NoBroker);
    }
    if options.duration.is_none() && options.count.is_none() {
        return Err(LoadError::Unbounded);
    }
    if options.connections == 0 || options.channels == 0 {
        return Err(LoadError::Invalid(
            "--connections and --channels must be at least 1".to_owned(),
        ));
    }
    if options.consumers.count == 0 && !options.consumers.bindings.is_empty() {
        return Err(LoadError::Invalid(
            "--bind needs consumers: add --consumers N".to_owned(),
        ));
    }
    if options.profile == Profile::Wazo
        && let Some(key) = options
            .effective_bindings()
            .iter()
            .find(|key| key.as_str() != "#")
    {
        return Err(LoadError::Invalid(format!(
            "--bind '{key}' with --profile wazo: consumers there read `wazo-headers`, a headers exchange that ignores routing keys; bind '#' (everything)"
        )));
    }
    if options.effective_bindings().len() > 16 {
        return Err(LoadError::Invalid(
            "at most 16 --bind keys are supported".to_owned(),
        ));
    }
    if options.consumers.count > 0 && options.consumers.prefetch == 0 {
        return Err(LoadError::Invalid(
            "--prefetch must be at least 1 (0 would mean unlimited)".to_owned(),
        ));
    }
    if options.backlog < 2 {
        return Err(LoadError::Invalid(
            "the backlog must be at least 2 messages".to_owned(),
        ));
    }
    Ok(())
}

/// Plays the mix of `source` against the brokers of `options` until the
/// run's duration or count is reached, or `cancel` fires (then the report
/// covers what happened until then). `observer` receives live updates.
pub async fn run(
    options: &LoadOptions,
    source: InstanceSource,
    cancel: &CancellationToken,
    observer: Option<Observer<'_>>,
) -> Result<LoadReport, LoadError> {
    validate(options)?;
    let instances_per_second = options.rate.instances_per_second(source.mean_events());
    let schedule = ArrivalSchedule::new(instances_per_second)?;
    let mut options = options.clone();
    options.consumers.bindings = options.effective_bindings();
    let shared = Arc::new(Shared {
        run_id: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
        ledger: Ledger::new(options.consumers.bindings.clone()),
        metrics: Metrics::default(),
        options,
    });
    let options = &shared.options;
    let started = Instant::now();
    let wall_started = OffsetDateTime::now_utc();

    // Consumers first: everything published afterwards can be delivered.
    let consumer_links = open_links(
        options,
        "consumer",
        options.consumers.count * options.consumers.bindings.len(),
        started,
    )
    .await?;
    if let Err(error) = declare_queues(&shared, &consumer_links).await {
        close_all(&consumer_links).await;
        return Err(error);
    }
    let publisher_links = match open_links(options, "publisher", options.connections, started).await
    {
        Ok(links) => links,
        Err(error) => {
            close_all(&consumer_links).await;
            return Err(error);
        }
    };

    let stop_consumers = CancellationToken::new();
    let consumers = TaskTracker::new();
    for (index, link) in consumer_links.iter().enumerate() {
        let binding = index / options.consumers.count.max(1);
        consumers.spawn(consumer_task(
            Arc::clone(link),
            Arc::clone(&shared),
            binding,
            index,
            stop_consumers.clone(),
        ));
    }
    consumers.close();

    let publishers = TaskTracker::new();
    let mut senders = Vec::new();
    for link in &publisher_links {
        for _ in 0..options.channels {
            let (sender, receiver) = mpsc::channel(options.backlog);
            senders.push(sender);
            publishers.spawn(channel_task(
                Arc::clone(link),
                Arc::clone(&shared),
                receiver,
                cancel.clone(),
            ));
        }
    }
    publishers.close();

    let publishing_started = Instant::now();
    let series = Arc::new(Mutex::new(Vec::new()));
    let stop_sampler = CancellationToken::new();
    let sampling = sample(&shared, started, &series, observer, &stop_sampler);
    // The scheduler runs as a task of its own, on the runtime's workers
    // beside the channel tasks it feeds (the caller's thread may be
    // `block_on`'s, which would cost a thread switch per hand-over).
    let scheduler = {
        let shared = Arc::clone(&shared);
        let cancel = cancel.clone();
        let mut source = source;
        AbortOnDropHandle::new(tokio::spawn(async move {
            let outcome = schedule_instances(
                &shared,
                &mut source,
                schedule,
                senders,
                publishing_started,
                wall_started,
                &cancel,
            )
            .await;
            (outcome, source)
        }))
    };
    let scheduling = async {
        let (outcome, source) = match scheduler.await {
            Ok(finished) => finished,
            // A panic in the scheduler is a bug: let it surface as one.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        publishers.wait().await;
        let published_by = publishing_started.elapsed();
        if outcome.is_ok() && !cancel.is_cancelled() {
            drain(&shared, cancel).await;
        }
        stop_sampler.cancel();
        (outcome, published_by, source)
    };
    let ((outcome, published_by, source), ()) = tokio::join!(scheduling, sampling);

    stop_consumers.cancel();
    consumers.wait().await;
    if let Some(link) = consumer_links.first() {
        delete_queues(&shared, link).await;
    }
    let mut outages = Vec::new();
    for link in consumer_links.iter().chain(&publisher_links) {
        link.close().await;
        outages.extend(link.outages());
    }
    outages.sort_by(|a, b| a.lost_at_s.total_cmp(&b.lost_at_s));
    let counts = outcome?;
    shared.ledger.close();

    let series = std::mem::take(&mut *series.lock().unwrap_or_else(PoisonError::into_inner));
    let names = source.names();
    Ok(LoadReport::new(
        &shared,
        super::report::RunFacts {
            mix: names
                .iter()
                .zip(source.weights())
                .zip(&counts)
                .map(|((name, weight), instances)| ScenarioCount {
                    scenario: name.clone(),
                    weight: *weight,
                    instances: *instances,
                })
                .collect(),
            mean_events_per_instance: source.mean_events(),
            instances_per_second,
            interrupted: cancel.is_cancelled(),
            elapsed: started.elapsed(),
            publishing: published_by,
            series,
            outages,
        },
    ))
}

/// Opens `count` links named `switchboard-load-<role>-<i>`, spread over the brokers.
async fn open_links(
    options: &LoadOptions,
    role: &str,
    count: usize,
    started: Instant,
) -> Result<Vec<Arc<Link>>, LoadError> {
    let mut links = Vec::with_capacity(count);
    for index in 0..count {
        let url = options.brokers[index % options.brokers.len()].clone();
        let link = Arc::new(Link::new(
            url,
            format!("switchboard-load-{role}-{index}"),
            options.connect_timeout,
            started,
        ));
        if let Err(error) = link.open().await {
            close_all(&links).await;
            return Err(error.into());
        }
        links.push(link);
    }
    Ok(links)
}

/// Closes `links` (their watchers end, their connections close).
async fn close_all(links: &[Arc<Link>]) {
    for link in links {
        link.close().await;
    }
}

/// Declares and binds every binding's queue once, so that the run fails
/// clearly (rather than in every consumer) when the broker refuses them.
async fn declare_queues(shared: &Shared, links: &[Arc<Link>]) -> Result<(), LoadError> {
    let Some(link) = links.first() else {
        return Ok(());
    };
    let never = CancellationToken::new();
    let Some((connection, _)) = link.connection(&never, Duration::ZERO).await else {
        return Ok(());
    };
    let queue_error = |key: &str, cause| LoadError::Queue {
        url: link.url().to_string(),
        key: key.to_owned(),
        cause,
    };
    let first_key = shared
        .options
        .consumers
        .bindings
        .first()
        .cloned()
        .unwrap_or_default();
    let channel = connection
        .open_channel(None)
        .await
        .map_err(|cause| queue_error(&first_key, cause))?;
    for (index, key) in shared.options.consumers.bindings.iter().enumerate() {
        consumer::declare_queue(&channel, shared, index, key)
            .await
            .map_err(|cause| queue_error(key, cause))?;
    }
    // An error means the broker already closed it: nothing left to do.
    let _ = channel.close().await;
    Ok(())
}

async fn delete_queues(shared: &Shared, link: &Arc<Link>) {
    let cancel = CancellationToken::new();
    let Some((connection, _)) = link.connection(&cancel, Duration::from_secs(1)).await else {
        return;
    };
    if let Ok(channel) = connection.open_channel(None).await {
        consumer::delete_queues(&channel, shared).await;
        let _ = channel.close().await;
    }
}

/// A message waiting for its due time.
#[derive(Debug)]
struct Due {
    at: Instant,
    seq: u64,
    channel: usize,
    message: super::template::LoadMessage,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Starts instances on schedule and hands their messages to the channels
/// when due; returns how many instances of each scenario started.
async fn schedule_instances(
    shared: &Shared,
    source: &mut InstanceSource,
    schedule: ArrivalSchedule,
    senders: Vec<mpsc::Sender<Outbound>>,
    started: Instant,
    wall_started: OffsetDateTime,
    cancel: &CancellationToken,
) -> Result<Vec<u64>, LoadError> {
    let options = &shared.options;
    // Rendering stops getting ahead of a channel once this many of its
    // messages are queued: rendering far ahead only fills memory, and an
    // instance rendered late is measured late.
    let render_ahead = RENDER_AHEAD.min(options.backlog / 2).max(1);
    let mut counts = vec![0u64; source.names().len()];
    let mut waiting: BinaryHeap<Reverse<Due>> = BinaryHeap::new();
    let mut routes: HashMap<String, u16> = HashMap::new();
    let mut next_instance = 0u64;
    let mut arrivals_open = true;
    loop {
        if cancel.is_cancelled() {
            break;
        }
        let now = Instant::now();
        // Render a bounded batch per turn, so that due messages go out while
        // a backlog of arrivals (a rate above what can be rendered) is worked off.
        let mut rendered = 0;
        let mut throttled = None;
        while arrivals_open && rendered < RENDER_BATCH {
            let arrival = schedule.arrival(next_instance);
            let ended = options.count.is_some_and(|count| next_instance >= count)
                || options.duration.is_some_and(|duration| arrival >= duration);
            if ended {
                arrivals_open = false;
                break;
            }
            let arrives_at = started + arrival;
            if arrives_at > now {
                break;
            }
            let channel = (next_instance % senders.len() as u64) as usize;
            let sender = &senders[channel];
            if sender.max_capacity() - sender.capacity() >= render_ahead {
                // The channel is behind: render this instance once it has
                // room (it stays due; its lateness is measured).
                throttled = Some(channel);
                break;
            }
            let instance = source.instance(next_instance, wall_started + arrival)?;
            counts[instance.scenario] += 1;
            Counters::bump(&shared.metrics.counters.instances);
            let masks: Vec<u16> = instance
                .messages
                .iter()
                .map(|planned| {
                    let key = &planned.message.routing_key;
                    match routes.get(key) {
                        Some(mask) => *mask,
                        None => {
                            let mask = topic::mask(&options.consumers.bindings, key);
                            if routes.len() == ROUTE_CACHE_LIMIT {
                                routes.clear();
                            }
                            routes.insert(key.clone(), mask);
                            mask
                        }
                    }
                })
                .collect();
            let first_seq = shared.ledger.schedule_all(&masks);
            for (seq, planned) in (first_seq..).zip(instance.messages) {
                let due = Due {
                    at: arrives_at + options.speed.compress(planned.offset),
                    seq,
                    channel,
                    message: planned.message,
                };
                // Due already (every step at once, or running late): no need
                // to go through the heap.
                if due.at <= now {
                    dispatch(shared, &senders, due);
                } else {
                    waiting.push(Reverse(due));
                }
            }
            next_instance += 1;
            rendered += 1;
        }
        while waiting.peek().is_some_and(|Reverse(due)| due.at <= now) {
            let Some(Reverse(due)) = waiting.pop() else {
                break;
            };
            dispatch(shared, &senders, due);
        }
        if let Some(channel) = throttled {
            let sender = &senders[channel];
            // Wait until the channel's queue is down to `render_ahead` messages.
            let room = sender.max_capacity() - render_ahead;
            tokio::select! {
                reserved = sender.reserve_many(room) => drop(reserved),
                () = cancel.cancelled() => break,
            }
            continue;
        }
        if rendered == RENDER_BATCH {
            // More arrivals are already due: let the channel tasks run, then go on.
            tokio::task::yield_now().await;
            continue;
        }
        let next_arrival = arrivals_open.then(|| started + schedule.arrival(next_instance));
        let next_due = waiting.peek().map(|Reverse(due)| due.at);
        let wake = match (next_arrival, next_due) {
            (Some(a), Some(b)) => a.min(b),
            (Some(at), None) | (None, Some(at)) => at,
            (None, None) => break,
        };
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
            () = cancel.cancelled() => break,
        }
    }
    // Stopped early: what was still waiting is never sent.
    for Reverse(due) in waiting {
        shared.ledger.not_sent(due.seq, NotSent::Cancelled);
    }
    Ok(counts)
}

/// Hands a due message to its channel task; a full or closed queue is booked as not sent.
fn dispatch(shared: &Shared, senders: &[mpsc::Sender<Outbound>], due: Due) {
    let outbound = Outbound {
        seq: due.seq,
        due: due.at,
        message: due.message,
    };
    match senders[due.channel].try_send(outbound) {
        Ok(()) => {}
        Err(TrySendError::Full(outbound)) => {
            shared.ledger.not_sent(outbound.seq, NotSent::Backlog);
        }
        Err(TrySendError::Closed(outbound)) => {
            shared.ledger.not_sent(outbound.seq, NotSent::Cancelled);
        }
    }
}

/// Waits until the consumers have received every routed message, or have
/// stayed silent for the drain timeout.
async fn drain(shared: &Shared, cancel: &CancellationToken) {
    if shared.options.consumers.bindings.is_empty() {
        return;
    }
    let mut last_consumed = shared.metrics.counters.read().consumed;
    let mut quiet_since = Instant::now();
    while !shared.ledger.drained() && !cancel.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let consumed = shared.metrics.counters.read().consumed;
        if consumed != last_consumed {
            last_consumed = consumed;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= shared.options.drain_timeout {
            break;
        }
    }
}

/// Samples the counters until `stop`: the live line every [`LIVE_INTERVAL`],
/// the series every second.
async fn sample(
    shared: &Shared,
    started: Instant,
    series: &Mutex<Vec<Sample>>,
    observer: Option<Observer<'_>>,
    stop: &CancellationToken,
) {
    let mut ticker = tokio::time::interval(LIVE_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut previous = (started, shared.metrics.counters.read());
    let mut last_second = (started, shared.metrics.counters.read());
    loop {
        let stopping = tokio::select! {
            _ = ticker.tick() => false,
            () = stop.cancelled() => true,
        };
        let now = Instant::now();
        let values = shared.metrics.counters.read();
        let lag: u64 = shared.ledger.lag().iter().sum();
        if let Some(observer) = observer {
            let seconds = now.duration_since(previous.0).as_secs_f64().max(1e-3);
            observer(&LiveStatus {
                elapsed: now.duration_since(started),
                publish_rate: (values.published - previous.1.published) as f64 / seconds,
                consume_rate: (values.consumed - previous.1.consumed) as f64 / seconds,
                confirm_p99: shared.metrics.confirm_latency.p99(),
                lag,
                errors: values.errors,
                published: values.published,
            });
        }
        previous = (now, values);
        if now.duration_since(last_second.0) >= Duration::from_secs(1) || stopping {
            let seconds = now.duration_since(last_second.0).as_secs_f64().max(1e-3);
            let per_second = |now: u64, before: u64| (now - before) as f64 / seconds;
            series
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Sample {
                    t_s: now.duration_since(started).as_secs_f64(),
                    published_per_s: per_second(values.published, last_second.1.published),
                    confirmed_per_s: per_second(values.confirmed, last_second.1.confirmed),
                    consumed_per_s: per_second(values.consumed, last_second.1.consumed),
                    lag,
                    errors: values.errors,
                });
            last_second = (now, values);
        }
        if stopping {
            break;
        }
    }
}
