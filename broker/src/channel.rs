//! A channel: its consumers, unacknowledged deliveries, prefetch limits,
//! publisher-confirm counter and the publish being assembled from frames.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use amq_protocol::{
    frame::AMQPContentHeader,
    protocol::{AMQPClass, basic},
    types::ShortString,
};

use crate::{
    error::{AmqpException, AmqpResult, ReplyCode},
    queue::{Credit, Limit, Queue, Queued},
    session::Session,
};

/// A delivery the client has not acknowledged yet.
#[derive(Debug)]
pub(crate) struct Unacked {
    pub(crate) tag: u64,
    pub(crate) queue: Arc<Queue>,
    pub(crate) item: Queued,
    /// The consumer credit to give back (none for `basic.get`).
    pub(crate) credit: Option<Arc<Credit>>,
}

/// A consumer as its channel sees it.
#[derive(Debug)]
pub(crate) struct ChannelConsumer {
    pub(crate) queue: Arc<Queue>,
}

/// A `basic.publish` waiting for its content header and body frames.
#[derive(Debug)]
pub(crate) struct PendingPublish {
    pub(crate) method: basic::Publish,
    pub(crate) header: Option<AMQPContentHeader>,
    pub(crate) body: Vec<u8>,
}

/// Publisher confirms: the next sequence number and acks not yet sent, which
/// go out as one `basic.ack` with `multiple` once the inbound batch is handled.
#[derive(Debug, Default)]
pub(crate) struct Confirms {
    next: u64,
    pending_acks: Option<(u64, u64)>,
}

#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) id: u16,
    /// The broker sent `channel.close` and waits for `close-ok`.
    pub(crate) closing: bool,
    pub(crate) pending: Option<PendingPublish>,
    next_delivery_tag: u64,
    pub(crate) unacked: VecDeque<Unacked>,
    pub(crate) consumers: HashMap<ShortString, ChannelConsumer>,
    /// `basic.qos` global=false: the limit given to consumers created from now on.
    pub(crate) consumer_prefetch: u16,
    /// `basic.qos` global=true: one limit shared by all consumers of the channel.
    pub(crate) channel_limit: Arc<Limit>,
    pub(crate) confirms: Option<Confirms>,
    /// The last queue declared here: an empty queue name in later methods means it.
    pub(crate) last_queue: Option<ShortString>,
    /// Credit was given back: the consumers' queues may deliver more.
    pub(crate) credit_freed: bool,
}

impl Channel {
    pub(crate) fn new(id: u16) -> Self {
        Self {
            id,
            closing: false,
            pending: None,
            next_delivery_tag: 1,
            unacked: VecDeque::new(),
            consumers: HashMap::new(),
            consumer_prefetch: 0,
            channel_limit: Arc::new(Limit::default()),
            confirms: None,
            last_queue: None,
            credit_freed: false,
        }
    }

    pub(crate) fn next_delivery_tag(&mut self) -> u64 {
        let tag = self.next_delivery_tag;
        self.next_delivery_tag += 1;
        tag
    }

    /// The queue a method names; empty means the last one declared on this channel.
    pub(crate) fn queue_name<'a>(&'a self, name: &'a str) -> AmqpResult<&'a str> {
        if !name.is_empty() {
            return Ok(name);
        }
        self.last_queue
            .as_ref()
            .map(ShortString::as_str)
            .ok_or_else(|| AmqpException::new(ReplyCode::NotFound, "no previously declared queue"))
    }

    /// Takes unacknowledged deliveries by tag: one, or (`multiple`) all up to
    /// it, or (`multiple` with tag 0) all. An unknown tag is a 406, as in RabbitMQ.
    pub(crate) fn take_unacked(&mut self, tag: u64, multiple: bool) -> AmqpResult<Vec<Unacked>> {
        if multiple && tag == 0 {
            return Ok(self.unacked.drain(..).collect());
        }
        let position = self
            .unacked
            .binary_search_by_key(&tag, |unacked| unacked.tag)
            .map_err(|_| {
                AmqpException::new(
                    ReplyCode::PreconditionFailed,
                    format!("unknown delivery tag {tag}"),
                )
            })?;
        Ok(if multiple {
            self.unacked.drain(..=position).collect()
        } else {
            self.unacked.remove(position).into_iter().collect()
        })
    }

    /// Finishes deliveries: acknowledged or dropped (`requeue` false), or put
    /// back in their queues to come again redelivered.
    pub(crate) fn settle(&mut self, deliveries: Vec<Unacked>, requeue: bool) {
        if deliveries.is_empty() {
            return;
        }
        let mut by_queue: Vec<(Arc<Queue>, Vec<Queued>)> = Vec::new();
        for unacked in deliveries {
            if let Some(credit) = &unacked.credit {
                credit.release();
                self.credit_freed = true;
            }
            match by_queue
                .iter_mut()
                .find(|(queue, _)| Arc::ptr_eq(queue, &unacked.queue))
            {
                Some((_, items)) => items.push(unacked.item),
                None => by_queue.push((unacked.queue, vec![unacked.item])),
            }
        }
        for (queue, items) in by_queue {
            if requeue {
                queue.requeue(items, true);
            } else {
                queue.settle(items.len());
            }
        }
    }

    /// Lets the queues of this channel's consumers use credit given back.
    pub(crate) fn redispatch(&mut self) {
        if std::mem::take(&mut self.credit_freed) {
            for consumer in self.consumers.values() {
                consumer.queue.dispatch();
            }
        }
    }

    /// Records a publish under confirms: acks are batched, a nack first
    /// flushes the acks before it so the client sees them in order.
    pub(crate) fn confirm(&mut self, session: &mut Session, accepted: bool) {
        let Some(confirms) = self.confirms.as_mut() else {
            return;
        };
        confirms.next += 1;
        let tag = confirms.next;
        if accepted {
            confirms.pending_acks = Some(match confirms.pending_acks {
                Some((from, _)) => (from, tag),
                None => (tag, tag),
            });
        } else {
            self.flush_confirms(session);
            session.send(
                self.id,
                AMQPClass::Basic(basic::AMQPMethod::Nack(basic::Nack {
                    delivery_tag: tag,
                    multiple: false,
                    requeue: false,
                })),
            );
        }
    }

    pub(crate) fn flush_confirms(&mut self, session: &mut Session) {
        let Some((from, to)) = self.confirms.as_mut().and_then(|c| c.pending_acks.take()) else {
            return;
        };
        session.send(
            self.id,
            AMQPClass::Basic(basic::AMQPMethod::Ack(basic::Ack {
                delivery_tag: to,
                multiple: from != to,
            })),
        );
    }

    /// Ends the channel (closed by either side, or its connection closed):
    /// cancels its consumers and requeues what it had not acknowledged.
    pub(crate) fn teardown(&mut self, session: &Session) {
        for (tag, consumer) in self.consumers.drain() {
            if consumer
                .queue
                .remove_consumer(session.id, self.id, tag.as_str())
            {
                session.delete_queue(&consumer.queue);
            }
        }
        let unacked: Vec<_> = self.unacked.drain(..).collect();
        self.settle(unacked, true);
        self.pending = None;
        self.confirms = None;
    }
}
