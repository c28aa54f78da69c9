//! Exchange types: how a routing key (and headers) choose destinations.
//!
//! Each exchange type has its own router, one file each. A router only maps
//! keys to destinations; the exchange (see [`crate::vhost`]) owns the list of
//! bindings, their identity and their equivalence rules.

mod direct;
mod fanout;
mod headers;
mod topic;

use std::sync::Arc;

use amq_protocol::types::FieldTable;

pub(crate) use self::{
    direct::DirectRouter, fanout::FanoutRouter, headers::HeadersRouter, topic::TopicRouter,
};
use crate::error::AmqpResult;

/// Where a binding leads: a queue, or another exchange (exchange-to-exchange binding).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Destination {
    Queue(Arc<str>),
    Exchange(Arc<str>),
}

impl Destination {
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Queue(name) | Self::Exchange(name) => name,
        }
    }
}

/// The exchange types RabbitMQ ships with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangeKind {
    /// Routing key equals binding key.
    Direct,
    /// Every bound destination.
    Fanout,
    /// Dotted words with `*` (one word) and `#` (zero or more words).
    Topic,
    /// Message headers against binding arguments, `x-match` all or any.
    Headers,
}

impl ExchangeKind {
    /// The type name used in `exchange.declare`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Fanout => "fanout",
            Self::Topic => "topic",
            Self::Headers => "headers",
        }
    }

    /// Parses a type name from `exchange.declare`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "direct" => Some(Self::Direct),
            "fanout" => Some(Self::Fanout),
            "topic" => Some(Self::Topic),
            "headers" => Some(Self::Headers),
            _ => None,
        }
    }
}

/// One router per exchange, of the exchange's type.
#[derive(Debug)]
pub(crate) enum Router {
    Direct(DirectRouter),
    Fanout(FanoutRouter),
    Topic(TopicRouter),
    Headers(HeadersRouter),
}

impl Router {
    pub(crate) fn new(kind: ExchangeKind) -> Self {
        match kind {
            ExchangeKind::Direct => Self::Direct(DirectRouter::default()),
            ExchangeKind::Fanout => Self::Fanout(FanoutRouter::default()),
            ExchangeKind::Topic => Self::Topic(TopicRouter::default()),
            ExchangeKind::Headers => Self::Headers(HeadersRouter::default()),
        }
    }

    /// Rejects binding arguments this exchange type cannot use (a headers
    /// binding with a bad `x-match`), before anything is changed.
    pub(crate) fn validate(&self, arguments: &FieldTable) -> AmqpResult {
        match self {
            Self::Headers(_) => headers::HeadersMatch::parse(arguments).map(drop),
            Self::Direct(_) | Self::Fanout(_) | Self::Topic(_) => Ok(()),
        }
    }

    pub(crate) fn bind(&mut self, key: &str, arguments: &FieldTable, destination: Destination) {
        match self {
            Self::Direct(router) => router.bind(key, destination),
            Self::Fanout(router) => router.bind(destination),
            Self::Topic(router) => router.bind(key, destination),
            Self::Headers(router) => router.bind(arguments, destination),
        }
    }

    pub(crate) fn unbind(&mut self, key: &str, arguments: &FieldTable, destination: &Destination) {
        match self {
            Self::Direct(router) => router.unbind(key, destination),
            Self::Fanout(router) => router.unbind(destination),
            Self::Topic(router) => router.unbind(key, destination),
            Self::Headers(router) => router.unbind(arguments, destination),
        }
    }

    /// Appends the destinations a message goes to; may append one twice
    /// (the caller removes duplicates once for the whole route).
    pub(crate) fn route(
        &self,
        key: &str,
        headers: Option<&FieldTable>,
        out: &mut Vec<Destination>,
    ) {
        match self {
            Self::Direct(router) => router.route(key, out),
            Self::Fanout(router) => router.route(out),
            Self::Topic(router) => router.route(key, out),
            Self::Headers(router) => router.route(headers, out),
        }
    }
}

/// Removes the first occurrence of `destination` (a destination bound twice
/// with different arguments appears twice, and is unbound once at a time).
pub(crate) fn remove_one(destinations: &mut Vec<Destination>, destination: &Destination) {
    if let Some(position) = destinations.iter().position(|d| d == destination) {
        destinations.swap_remove(position);
    }
}
