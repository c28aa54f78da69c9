//! Sinks: where rendered messages go.
//!
//! | file | what it holds |
//! |---|---|
//! | [`message`] | [`Outgoing`], a message ready for the bus |
//! | [`headers`] | AMQP headers ↔ JSON |
//! | [`amqp`] | the AMQP publisher, with publisher confirms |
//! | [`topology`] | the exchanges of a Wazo bus per profile, and its message properties |
//! | [`webhook`] | Phone.com webhooks: listeners, subscriptions, the sender and a receiver |

pub mod amqp;
pub mod headers;
pub mod message;
pub mod topology;
pub mod webhook;

pub use amqp::{AmqpPublisher, PublishError, PublishReport, PublisherOptions};
pub use message::Outgoing;
pub use topology::{Topology, WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};
