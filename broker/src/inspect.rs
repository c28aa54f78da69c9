//! What tests can see of the broker's state: plain values, copied out under
//! the locks, so that inspecting never holds up the broker.

use crate::routing::ExchangeKind;

/// A queue and its counts, as `rabbitmqctl list_queues` would show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    /// The virtual host the queue lives in.
    pub vhost: String,
    /// The queue's name.
    pub name: String,
    /// Messages ready for delivery.
    pub messages: usize,
    /// Messages delivered and not yet acknowledged.
    pub unacked: usize,
    /// Active consumers.
    pub consumers: usize,
    /// The durable flag as declared (this broker keeps nothing on disk).
    pub durable: bool,
    /// Whether the queue belongs to one connection.
    pub exclusive: bool,
    /// Whether the queue goes away with its last consumer.
    pub auto_delete: bool,
}

/// An exchange, as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeInfo {
    /// The virtual host the exchange lives in.
    pub vhost: String,
    /// The exchange's name (`""` is the default exchange).
    pub name: String,
    /// Its type.
    pub kind: ExchangeKind,
    /// The durable flag as declared.
    pub durable: bool,
    /// Whether it goes away with its last binding.
    pub auto_delete: bool,
    /// Whether clients may not publish to it directly.
    pub internal: bool,
}

/// What a binding leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    /// A queue (`queue.bind`).
    Queue,
    /// An exchange (`exchange.bind`).
    Exchange,
}

/// A binding from an exchange to a queue or exchange. The default exchange's
/// implicit bindings (one per queue) are not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingInfo {
    /// The virtual host.
    pub vhost: String,
    /// The exchange messages come from.
    pub source: String,
    /// The queue or exchange they go to.
    pub destination: String,
    /// Whether `destination` names a queue or an exchange.
    pub destination_kind: DestinationKind,
    /// The binding key.
    pub routing_key: String,
}
