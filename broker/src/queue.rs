//! A queue: ready messages in order, its consumers, and delivery to them.
//!
//! Publishing locks only the queues a message is routed to. A message that
//! arrives while a consumer has credit goes straight to that consumer's
//! connection (through its outbox) without waiting in `ready`. Every message
//! gets a sequence number on arrival; a requeued message goes back to the
//! position its number gives it, as RabbitMQ keeps requeued messages in order.

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use amq_protocol::types::{FieldTable, ShortString};
use tokio::sync::mpsc;

use crate::{
    error::{AmqpException, AmqpResult, ReplyCode},
    message::Message,
};

/// Identifies a client connection (for exclusive queues and consumers).
pub(crate) type ConnectionId = u64;

/// What a queue (or the broker) sends to a connection's task.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// A message for one of the connection's consumers.
    Deliver(Delivery),
    /// The broker cancelled a consumer (its queue was deleted).
    Cancelled {
        channel: u16,
        consumer_tag: ShortString,
    },
}

pub(crate) type Outbox = mpsc::UnboundedSender<Outbound>;

/// A message on its way to a consumer.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) channel: u16,
    pub(crate) consumer_tag: ShortString,
    pub(crate) queue: Arc<Queue>,
    pub(crate) item: Queued,
    /// Present when the consumer must acknowledge; released on ack.
    pub(crate) credit: Option<Arc<Credit>>,
}

/// A message waiting in a queue (or delivered and not yet acknowledged).
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub(crate) seq: u64,
    pub(crate) message: Arc<Message>,
    pub(crate) redelivered: bool,
    pub(crate) expires_at: Option<Instant>,
}

/// A prefetch limit and how much of it is in use (`max` 0 = unlimited).
#[derive(Debug, Default)]
pub(crate) struct Limit {
    max: AtomicU32,
    in_flight: AtomicU32,
}

impl Limit {
    pub(crate) fn new(max: u16) -> Self {
        Self {
            max: AtomicU32::new(u32::from(max)),
            in_flight: AtomicU32::new(0),
        }
    }

    pub(crate) fn set_max(&self, max: u16) {
        self.max.store(u32::from(max), Ordering::Relaxed);
    }

    fn try_take(&self) -> bool {
        let max = self.max.load(Ordering::Relaxed);
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (max == 0 || used < max).then_some(used + 1)
            })
            .is_ok()
    }

    fn give_back(&self) {
        let _ = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_sub(1)
            });
    }
}

/// A consumer's prefetch credit: its own limit (`basic.qos` with global
/// false) and its channel's shared one (global true), both must allow a delivery.
#[derive(Debug)]
pub(crate) struct Credit {
    consumer: Limit,
    channel: Arc<Limit>,
}

impl Credit {
    pub(crate) fn new(consumer_max: u16, channel: Arc<Limit>) -> Self {
        Self {
            consumer: Limit::new(consumer_max),
            channel,
        }
    }

    fn try_take(&self) -> bool {
        if !self.consumer.try_take() {
            return false;
        }
        if !self.channel.try_take() {
            self.consumer.give_back();
            return false;
        }
        true
    }

    /// Called when a delivery is acknowledged, rejected or requeued.
    pub(crate) fn release(&self) {
        self.consumer.give_back();
        self.channel.give_back();
    }
}

/// A consumer as its queue sees it.
#[derive(Debug)]
pub(crate) struct Consumer {
    pub(crate) tag: ShortString,
    pub(crate) connection: ConnectionId,
    pub(crate) channel: u16,
    pub(crate) no_ack: bool,
    pub(crate) exclusive: bool,
    pub(crate) credit: Arc<Credit>,
    pub(crate) outbox: Outbox,
}

/// The queue arguments this broker implements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct QueueOptions {
    /// `x-message-ttl`: messages older than this are dropped.
    pub(crate) message_ttl: Option<Duration>,
    /// `x-max-length`: past it, the oldest ready messages are dropped.
    pub(crate) max_length: Option<usize>,
    /// `x-expires`: the queue is deleted once unused for this long.
    pub(crate) expires: Option<Duration>,
}

/// What became of a message offered to a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enqueued {
    Accepted,
    /// The queue is at the broker's per-queue message limit.
    Refused,
    /// The queue was deleted meanwhile.
    Gone,
}

#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) name: Arc<str>,
    pub(crate) durable: bool,
    pub(crate) exclusive_owner: Option<ConnectionId>,
    pub(crate) auto_delete: bool,
    pub(crate) arguments: FieldTable,
    pub(crate) options: QueueOptions,
    message_limit: usize,
    state: Mutex<QueueState>,
}

#[derive(Debug)]
struct QueueState {
    ready: VecDeque<Queued>,
    next_seq: u64,
    consumers: Vec<Consumer>,
    /// Round-robin position among consumers.
    cursor: usize,
    unacked: usize,
    last_used: Instant,
    /// A queue that once had a consumer is auto-deleted when it has none left.
    had_consumer: bool,
    deleted: bool,
}

/// Counts for `queue.declare-ok` and for inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueCounts {
    pub(crate) ready: usize,
    pub(crate) unacked: usize,
    pub(crate) consumers: usize,
}

impl Queue {
    pub(crate) fn new(
        name: Arc<str>,
        durable: bool,
        exclusive_owner: Option<ConnectionId>,
        auto_delete: bool,
        arguments: FieldTable,
        options: QueueOptions,
        message_limit: usize,
    ) -> Self {
        Self {
            name,
            durable,
            exclusive_owner,
            auto_delete,
            arguments,
            options,
            message_limit,
            state: Mutex::new(QueueState {
                ready: VecDeque::new(),
                next_seq: 0,
                consumers: Vec::new(),
                cursor: 0,
                unacked: 0,
                last_used: Instant::now(),
                had_consumer: false,
                deleted: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // A panic while holding the lock would be a broker bug; the state is
        // still consistent enough to keep serving other clients.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks that `connection` may use this queue (exclusive queues: only their owner).
    pub(crate) fn check_access(&self, connection: ConnectionId, vhost: &str) -> AmqpResult {
        match self.exclusive_owner {
            Some(owner) if owner != connection => Err(AmqpException::new(
                ReplyCode::ResourceLocked,
                format!(
                    "cannot obtain exclusive access to locked queue '{}' in vhost '{vhost}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.",
                    self.name
                ),
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn counts(&self) -> QueueCounts {
        let mut state = self.lock();
        expire_head(&mut state, Instant::now());
        QueueCounts {
            ready: state.ready.len(),
            unacked: state.unacked,
            consumers: state.consumers.len(),
        }
    }

    /// Marks the queue as used now (re-declared, read), for `x-expires`.
    pub(crate) fn touch(&self) {
        self.lock().last_used = Instant::now();
    }

    /// Offers a published message; delivers it at once if a consumer can take it.
    pub(crate) fn publish(
        self: &Arc<Self>,
        message: &Arc<Message>,
        message_ttl: Option<Duration>,
    ) -> Enqueued {
        let now = Instant::now();
        let mut state = self.lock();
        if state.deleted {
            return Enqueued::Gone;
        }
        expire_head(&mut state, now);
        if state.ready.len() >= self.message_limit {
            return Enqueued::Refused;
        }
        let ttl = match (self.options.message_ttl, message_ttl) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let seq = state.next_seq;
        state.next_seq += 1;
        state.ready.push_back(Queued {
            seq,
            message: Arc::clone(message),
            redelivered: false,
            expires_at: ttl.map(|ttl| now + ttl),
        });
        self.dispatch_locked(&mut state);
        // Messages that went straight to a consumer never counted: only what
        // is left waiting is held to x-max-length (drop-head) and the TTL.
        if let Some(max) = self.options.max_length {
            while state.ready.len() > max {
                state.ready.pop_front();
            }
        }
        expire_head(&mut state, now);
        Enqueued::Accepted
    }

    /// Delivers waiting messages to consumers that have credit.
    pub(crate) fn dispatch(self: &Arc<Self>) {
        let mut state = self.lock();
        self.dispatch_locked(&mut state);
    }

    fn dispatch_locked(self: &Arc<Self>, state: &mut QueueState) {
        let now = Instant::now();
        while !state.ready.is_empty() && !state.consumers.is_empty() {
            let count = state.consumers.len();
            let start = state.cursor % count;
            let Some(index) = (0..count)
                .map(|offset| (start + offset) % count)
                .find(|&i| state.consumers[i].no_ack || state.consumers[i].credit.try_take())
            else {
                return;
            };
            expire_head(state, now);
            let Some(item) = state.ready.pop_front() else {
                if !state.consumers[index].no_ack {
                    state.consumers[index].credit.release();
                }
                return;
            };
            let consumer = &state.consumers[index];
            let credit = (!consumer.no_ack).then(|| Arc::clone(&consumer.credit));
            let delivery = Delivery {
                channel: consumer.channel,
                consumer_tag: consumer.tag.clone(),
                queue: Arc::clone(self),
                item,
                credit,
            };
            let acknowledged = delivery.credit.is_some();
            match consumer.outbox.send(Outbound::Deliver(delivery)) {
                Ok(()) => {
                    if acknowledged {
                        state.unacked += 1;
                    }
                    state.cursor = index + 1;
                }
                Err(mpsc::error::SendError(returned)) => {
                    // The consumer's connection is gone; its clean-up removes
                    // the consumer. Put the message back and stop using it now.
                    if let Outbound::Deliver(delivery) = returned {
                        state.ready.push_front(delivery.item);
                    }
                    state.consumers.remove(index);
                }
            }
        }
    }

    /// `basic.get`: the next message and how many remain.
    pub(crate) fn get(&self, no_ack: bool) -> Option<(Queued, usize)> {
        let mut state = self.lock();
        let now = Instant::now();
        state.last_used = now;
        expire_head(&mut state, now);
        let item = state.ready.pop_front()?;
        if !no_ack {
            state.unacked += 1;
        }
        Some((item, state.ready.len()))
    }

    /// Acknowledged (or rejected without requeue) deliveries leave the queue for good.
    pub(crate) fn settle(&self, count: usize) {
        let mut state = self.lock();
        state.unacked = state.unacked.saturating_sub(count);
    }

    /// Puts messages back at their original positions. `delivered` says
    /// whether the client saw them (then they come back redelivered and were
    /// counted as unacknowledged) or they never left the broker.
    pub(crate) fn requeue(
        self: &Arc<Self>,
        items: impl IntoIterator<Item = Queued>,
        delivered: bool,
    ) {
        let mut state = self.lock();
        for mut item in items {
            if delivered {
                state.unacked = state.unacked.saturating_sub(1);
                item.redelivered = true;
            }
            if state.deleted {
                continue;
            }
            let position = state.ready.partition_point(|queued| queued.seq < item.seq);
            state.ready.insert(position, item);
        }
        self.dispatch_locked(&mut state);
    }

    /// `basic.consume`: adds a consumer after the exclusivity checks.
    pub(crate) fn add_consumer(self: &Arc<Self>, consumer: Consumer, vhost: &str) -> AmqpResult {
        let mut state = self.lock();
        let exclusive_in_use = state.consumers.iter().any(|c| c.exclusive);
        if exclusive_in_use || (consumer.exclusive && !state.consumers.is_empty()) {
            return Err(AmqpException::new(
                ReplyCode::AccessRefused,
                format!("queue '{}' in vhost '{vhost}' in exclusive use", self.name),
            ));
        }
        state.consumers.push(consumer);
        state.had_consumer = true;
        state.last_used = Instant::now();
        self.dispatch_locked(&mut state);
        Ok(())
    }

    /// Removes a consumer; returns whether the queue should now be auto-deleted.
    pub(crate) fn remove_consumer(
        &self,
        connection: ConnectionId,
        channel: u16,
        tag: &str,
    ) -> bool {
        let mut state = self.lock();
        state.consumers.retain(|c| {
            !(c.connection == connection && c.channel == channel && c.tag.as_str() == tag)
        });
        state.last_used = Instant::now();
        self.auto_delete && state.had_consumer && state.consumers.is_empty() && !state.deleted
    }

    /// `queue.purge`: drops the ready messages, returns how many.
    pub(crate) fn purge(&self) -> usize {
        let mut state = self.lock();
        let count = state.ready.len();
        state.ready.clear();
        count
    }

    /// Checks `queue.delete`'s if-unused / if-empty conditions.
    pub(crate) fn check_delete(&self, if_unused: bool, if_empty: bool, vhost: &str) -> AmqpResult {
        let state = self.lock();
        if if_unused && !state.consumers.is_empty() {
            return Err(AmqpException::new(
                ReplyCode::PreconditionFailed,
                format!("queue '{}' in vhost '{vhost}' in use", self.name),
            ));
        }
        if if_empty && !state.ready.is_empty() {
            return Err(AmqpException::new(
                ReplyCode::PreconditionFailed,
                format!("queue '{}' in vhost '{vhost}' is not empty", self.name),
            ));
        }
        Ok(())
    }

    /// Marks the queue deleted, drops its messages and tells its consumers
    /// (`basic.cancel` from the broker). Returns the number of ready messages.
    pub(crate) fn mark_deleted(&self) -> usize {
        let mut state = self.lock();
        state.deleted = true;
        let count = state.ready.len();
        state.ready.clear();
        for consumer in state.consumers.drain(..) {
            let _ = consumer.outbox.send(Outbound::Cancelled {
                channel: consumer.channel,
                consumer_tag: consumer.tag,
            });
        }
        count
    }

    /// Drops expired messages; says whether the queue itself expired (`x-expires`).
    pub(crate) fn sweep(&self, now: Instant) -> bool {
        let mut state = self.lock();
        expire_head(&mut state, now);
        match self.options.expires {
            Some(expires) => {
                state.consumers.is_empty() && now.duration_since(state.last_used) >= expires
            }
            None => false,
        }
    }
}

/// Drops messages whose TTL has passed, from the head only, as RabbitMQ does.
fn expire_head(state: &mut QueueState, now: Instant) {
    while state
        .ready
        .front()
        .and_then(|queued| queued.expires_at)
        .is_some_and(|expires_at| expires_at <= now)
    {
        state.ready.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use amq_protocol::protocol::BasicProperties;

    use super::*;
    use crate::message::MemoryGauge;

    fn queue(options: QueueOptions) -> Arc<Queue> {
        Arc::new(Queue::new(
            "q".into(),
            false,
            None,
            false,
            FieldTable::default(),
            options,
            100,
        ))
    }

    fn message(body: &str) -> Arc<Message> {
        Arc::new(Message::new(
            "".into(),
            "q".into(),
            BasicProperties::default(),
            body.as_bytes().to_vec(),
            Arc::new(MemoryGauge::new(usize::MAX)),
        ))
    }

    fn body(item: &Queued) -> &str {
        std::str::from_utf8(&item.message.body).unwrap()
    }

    #[test]
    fn requeued_messages_keep_their_position_and_are_redelivered() {
        let queue = queue(QueueOptions::default());
        for text in ["a", "b", "c"] {
            assert_eq!(queue.publish(&message(text), None), Enqueued::Accepted);
        }
        let (a, _) = queue.get(false).unwrap();
        let (b, remaining) = queue.get(false).unwrap();
        assert_eq!(remaining, 1);
        queue.requeue([b, a], true);
        let order: Vec<_> = std::iter::from_fn(|| queue.get(true))
            .map(|(item, _)| (body(&item).to_owned(), item.redelivered))
            .collect();
        assert_eq!(
            order,
            [("a".into(), true), ("b".into(), true), ("c".into(), false)]
        );
    }

    #[test]
    fn max_length_drops_the_oldest() {
        let queue = queue(QueueOptions {
            max_length: Some(2),
            ..QueueOptions::default()
        });
        for text in ["a", "b", "c"] {
            queue.publish(&message(text), None);
        }
        let (first, _) = queue.get(true).unwrap();
        assert_eq!(body(&first), "b");
    }

    #[test]
    fn message_limit_refuses_further_messages() {
        let queue = Arc::new(Queue::new(
            "q".into(),
            false,
            None,
            false,
            FieldTable::default(),
            QueueOptions::default(),
            1,
        ));
        assert_eq!(queue.publish(&message("a"), None), Enqueued::Accepted);
        assert_eq!(queue.publish(&message("b"), None), Enqueued::Refused);
    }

    #[test]
    fn zero_ttl_drops_messages_nobody_takes() {
        let queue = queue(QueueOptions {
            message_ttl: Some(Duration::ZERO),
            ..QueueOptions::default()
        });
        queue.publish(&message("a"), None);
        assert_eq!(queue.counts().ready, 0);
    }

    #[test]
    fn limit_counts_in_flight() {
        let limit = Limit::new(2);
        assert!(limit.try_take());
        assert!(limit.try_take());
        assert!(!limit.try_take());
        limit.give_back();
        assert!(limit.try_take());
        let unlimited = Limit::new(0);
        assert!((0..1000).all(|_| unlimited.try_take()));
    }
}
