//! Sinks: where rendered messages go.
//!
//! | file | what it holds |
//! |---|---|
//! | [`message`] | [`Outgoing`], a message ready for the bus |
//! | [`headers`] | AMQP headers ↔ JSON |
//! | [`amqp`] | the AMQP publisher, with publisher confirms |
//! | [`webhook`] | Phone.com webhooks: listeners, subscriptions, the sender and a receiver |

pub mod amqp;
pub mod headers;
pub mod message;
pub mod webhook;

pub use amqp::{AmqpPublisher, PublishError, PublishReport, PublisherOptions, WAZO_EXCHANGE};
pub use message::Outgoing;
