//! A published message, shared by every queue it was routed to, and the
//! memory gauge that counts the bytes all live messages hold.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use amq_protocol::{protocol::BasicProperties, types::ShortString};
use tokio::sync::watch;

/// One published message. Routed to several queues it is stored once
/// (behind an `Arc`); its bytes count against the broker's memory bound for
/// as long as any queue or unacknowledged delivery holds it.
#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) exchange: ShortString,
    pub(crate) routing_key: ShortString,
    pub(crate) properties: BasicProperties,
    pub(crate) body: Vec<u8>,
    gauge: Arc<MemoryGauge>,
}

impl Message {
    pub(crate) fn new(
        exchange: ShortString,
        routing_key: ShortString,
        properties: BasicProperties,
        body: Vec<u8>,
        gauge: Arc<MemoryGauge>,
    ) -> Self {
        gauge.add(body.len());
        Self {
            exchange,
            routing_key,
            properties,
            body,
            gauge,
        }
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        self.gauge.sub(self.body.len());
    }
}

/// Counts message bytes held by the broker and says when publishers must wait.
///
/// Crossing `limit` upwards sets the watch to `true` (blocked); dropping below
/// half of it sets it back, so that a queue hovering at the limit does not make
/// publishers flap between blocked and unblocked.
#[derive(Debug)]
pub(crate) struct MemoryGauge {
    used: AtomicUsize,
    limit: usize,
    blocked: watch::Sender<bool>,
}

impl MemoryGauge {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            used: AtomicUsize::new(0),
            limit,
            blocked: watch::Sender::new(false),
        }
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<bool> {
        self.blocked.subscribe()
    }

    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn add(&self, bytes: usize) {
        let used = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if used > self.limit && !*self.blocked.borrow() {
            self.blocked
                .send_if_modified(|blocked| !std::mem::replace(blocked, true));
        }
    }

    fn sub(&self, bytes: usize) {
        let used = self.used.fetch_sub(bytes, Ordering::Relaxed) - bytes;
        if used <= self.limit / 2 && *self.blocked.borrow() {
            self.blocked
                .send_if_modified(|blocked| std::mem::replace(blocked, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(gauge: &Arc<MemoryGauge>, size: usize) -> Message {
        Message::new(
            "".into(),
            "k".into(),
            BasicProperties::default(),
            vec![0; size],
            gauge.clone(),
        )
    }

    #[test]
    fn gauge_blocks_past_the_limit_and_unblocks_at_half() {
        let gauge = Arc::new(MemoryGauge::new(100));
        let blocked = gauge.subscribe();
        let first = message(&gauge, 60);
        assert!(!*blocked.borrow());
        let second = message(&gauge, 60);
        assert!(*blocked.borrow());
        drop(first);
        assert!(*blocked.borrow(), "60 bytes is still above half the limit");
        drop(second);
        assert!(!*blocked.borrow());
        assert_eq!(gauge.used(), 0);
    }
}
