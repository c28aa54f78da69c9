//! switchboard-broker: an embedded AMQP 0-9-1 broker with RabbitMQ's semantics.
//!
//! A real server on a TCP port (any AMQP 0-9-1 client can use it) that runs
//! inside a test process: [`EmbeddedBroker::start`] returns once it accepts
//! connections, [`BrokerHandle::url`] says where, [`BrokerHandle::shutdown`]
//! (or dropping the handle) stops it. Behaviour follows RabbitMQ 3.x, reply
//! codes included.
//!
//! ```no_run
//! # async fn example() -> Result<(), switchboard_broker::StartError> {
//! let broker = switchboard_broker::EmbeddedBroker::start(Default::default()).await?;
//! println!("connect to {}", broker.url());
//! broker.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## Layout ("what happens on queue.bind" is findable from file names)
//!
//! | file | what it holds |
//! |---|---|
//! | `server.rs` | `start`, the accept loop, the handle (inspection, shutdown) |
//! | `shutdown.rs` | the cancellation token and task tracker that own every task |
//! | `connection.rs` | buffered framing, the connection loop, heartbeats, closing |
//! | `wire.rs` | outbound frame encoding into one write buffer |
//! | `session.rs` | the state of an open connection that handlers use |
//! | `channel.rs` | a channel: consumers, unacked deliveries, prefetch, confirms |
//! | `class/` | one handler per AMQP class: `connection` (handshake), `channel`, `exchange`, `queue`, `basic`, `confirm`, `tx` |
//! | `vhost.rs` | a virtual host's exchanges, queues and bindings |
//! | `routing/` | exchange types: `direct`, `fanout`, `topic` (a trie of words), `headers` |
//! | `queue.rs` | a queue: ready messages, consumers, delivery, TTL, length limits |
//! | `message.rs` | a published message and the memory gauge |
//! | `error.rs` | reply codes, protocol exceptions, start errors |
//! | `inspect.rs` | the plain values tests inspect |
//!
//! ## Invariants
//! - Nothing a client sends can panic the broker or affect another connection.
//! - Lock order: a virtual host's topology before a queue, never the reverse;
//!   no lock is held across an `.await`.
//! - Every task is spawned on the broker's tracker and ends on shutdown.

mod channel;
mod class;
mod config;
mod connection;
mod error;
mod inspect;
mod message;
mod queue;
mod routing;
mod server;
mod session;
mod shutdown;
mod state;
mod vhost;
mod wire;

pub use crate::{
    config::{Config, User},
    error::{ReplyCode, StartError},
    inspect::{BindingInfo, DestinationKind, ExchangeInfo, QueueInfo},
    routing::ExchangeKind,
    server::{BrokerHandle, EmbeddedBroker},
};
