//! The state of an open connection that method handlers work with: who the
//! client is, its virtual host, what it can understand, and the frames to send.

use std::sync::Arc;

use amq_protocol::protocol::AMQPClass;

use crate::{
    queue::{ConnectionId, Outbox, Queue},
    routing::Destination,
    state::BrokerState,
    vhost::VirtualHost,
    wire::FrameWriter,
};

/// Optional protocol extensions the client announced in `connection.start-ok`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClientCapabilities {
    /// It understands `basic.cancel` sent by the broker.
    pub(crate) consumer_cancel_notify: bool,
    /// It understands `connection.blocked` / `unblocked`.
    pub(crate) connection_blocked: bool,
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: ConnectionId,
    pub(crate) broker: Arc<BrokerState>,
    pub(crate) vhost: Arc<VirtualHost>,
    pub(crate) capabilities: ClientCapabilities,
    pub(crate) out: FrameWriter,
    /// Where this connection's consumers receive their deliveries.
    pub(crate) outbox: Outbox,
    /// Exclusive queues declared here, deleted when the connection closes.
    pub(crate) exclusive_queues: Vec<Arc<Queue>>,
    /// Publishing connections stop being read while memory is over the bound.
    pub(crate) has_published: bool,
    /// Reusable routing buffers: publishing allocates no vectors.
    pub(crate) route_scratch: Vec<Destination>,
    pub(crate) route_queues: Vec<Arc<Queue>>,
}

impl Session {
    pub(crate) fn send(&mut self, channel: u16, method: AMQPClass) {
        self.out.method(channel, method);
    }

    pub(crate) fn vhost_name(&self) -> &str {
        &self.vhost.name
    }

    /// Deletes a queue that auto-delete or exclusivity says must go.
    pub(crate) fn delete_queue(&self, queue: &Arc<Queue>) {
        self.vhost.delete_queue(&queue.name, Some(queue));
    }
}
