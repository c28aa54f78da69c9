//! Errors: AMQP reply codes as a typed enum, the exceptions the protocol
//! handlers raise, and the error [`crate::EmbeddedBroker::start`] returns.
//!
//! AMQP 0-9-1 has two kinds of failure. A *channel exception* (403, 404, 405,
//! 406) closes only the channel that caused it; a *connection exception*
//! (320, 402, 501..541) closes the whole connection. RabbitMQ sets the class
//! and method ids of the offending method in both `close` methods, and so do we.

use std::{fmt, io, net::SocketAddr};

/// An AMQP 0-9-1 reply code, as RabbitMQ uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyCode {
    /// 311: the message is too large (unused by RabbitMQ, kept for completeness).
    ContentTooLarge,
    /// 312: a mandatory message could not be routed (in `basic.return`).
    NoRoute,
    /// 313: an immediate message had no consumer (in `basic.return`).
    NoConsumers,
    /// 320: the broker closed the connection (shutdown).
    ConnectionForced,
    /// 402: invalid path (virtual host name).
    InvalidPath,
    /// 403: access refused (reserved names, bad login, exclusive use).
    AccessRefused,
    /// 404: no such queue or exchange.
    NotFound,
    /// 405: an exclusive queue owned by another connection.
    ResourceLocked,
    /// 406: precondition failed (inequivalent re-declare, unknown delivery tag, …).
    PreconditionFailed,
    /// 501: a malformed or oversized frame.
    FrameError,
    /// 502: a field with an invalid value.
    SyntaxError,
    /// 503: a method that is not valid here.
    CommandInvalid,
    /// 504: a channel that is not open, or opened twice.
    ChannelError,
    /// 505: a frame that was not expected now (content out of sequence).
    UnexpectedFrame,
    /// 506: the broker is out of a resource.
    ResourceError,
    /// 530: not allowed (unknown virtual host, bad tune values, reused consumer tag).
    NotAllowed,
    /// 540: a feature this broker does not implement (tx, immediate, …).
    NotImplemented,
    /// 541: a bug in the broker.
    InternalError,
}

impl ReplyCode {
    /// The numeric code sent on the wire.
    #[must_use]
    pub fn code(self) -> u16 {
        match self {
            Self::ContentTooLarge => 311,
            Self::NoRoute => 312,
            Self::NoConsumers => 313,
            Self::ConnectionForced => 320,
            Self::InvalidPath => 402,
            Self::AccessRefused => 403,
            Self::NotFound => 404,
            Self::ResourceLocked => 405,
            Self::PreconditionFailed => 406,
            Self::FrameError => 501,
            Self::SyntaxError => 502,
            Self::CommandInvalid => 503,
            Self::ChannelError => 504,
            Self::UnexpectedFrame => 505,
            Self::ResourceError => 506,
            Self::NotAllowed => 530,
            Self::NotImplemented => 540,
            Self::InternalError => 541,
        }
    }

    /// The name RabbitMQ prefixes reply texts with (`NOT_FOUND - no queue …`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::ContentTooLarge => "CONTENT_TOO_LARGE",
            Self::NoRoute => "NO_ROUTE",
            Self::NoConsumers => "NO_CONSUMERS",
            Self::ConnectionForced => "CONNECTION_FORCED",
            Self::InvalidPath => "INVALID_PATH",
            Self::AccessRefused => "ACCESS_REFUSED",
            Self::NotFound => "NOT_FOUND",
            Self::ResourceLocked => "RESOURCE_LOCKED",
            Self::PreconditionFailed => "PRECONDITION_FAILED",
            Self::FrameError => "FRAME_ERROR",
            Self::SyntaxError => "SYNTAX_ERROR",
            Self::CommandInvalid => "COMMAND_INVALID",
            Self::ChannelError => "CHANNEL_ERROR",
            Self::UnexpectedFrame => "UNEXPECTED_FRAME",
            Self::ResourceError => "RESOURCE_ERROR",
            Self::NotAllowed => "NOT_ALLOWED",
            Self::NotImplemented => "NOT_IMPLEMENTED",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// Whether this code closes the whole connection rather than one channel.
    #[must_use]
    pub fn closes_connection(self) -> bool {
        !matches!(
            self,
            Self::AccessRefused
                | Self::NotFound
                | Self::ResourceLocked
                | Self::PreconditionFailed
                | Self::ContentTooLarge
                | Self::NoRoute
                | Self::NoConsumers
        )
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.name())
    }
}

/// A protocol exception raised while handling a method: it becomes a
/// `channel.close` or a `connection.close` depending on its code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {text}")]
pub(crate) struct AmqpException {
    pub(crate) code: ReplyCode,
    pub(crate) text: String,
    /// Class and method ids of the method at fault; 0 when no method is.
    pub(crate) class_id: u16,
    pub(crate) method_id: u16,
}

impl AmqpException {
    pub(crate) fn new(code: ReplyCode, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
            class_id: 0,
            method_id: 0,
        }
    }

    /// Records which method failed, unless an inner handler already did.
    pub(crate) fn at(mut self, class_id: u16, method_id: u16) -> Self {
        if self.class_id == 0 && self.method_id == 0 {
            self.class_id = class_id;
            self.method_id = method_id;
        }
        self
    }

    /// The reply text as RabbitMQ writes it: `NOT_FOUND - no queue 'q' in vhost '/'`,
    /// cut to fit an AMQP short string.
    pub(crate) fn reply_text(&self) -> amq_protocol::types::ShortString {
        crate::wire::short_string_lossy(&format!("{} - {}", self.code.name(), self.text))
    }

    pub(crate) fn not_found(what: &str, name: &str, vhost: &str) -> Self {
        Self::new(
            ReplyCode::NotFound,
            format!("no {what} '{name}' in vhost '{vhost}'"),
        )
    }
}

/// Shorthand for handler results.
pub(crate) type AmqpResult<T = ()> = Result<T, AmqpException>;

/// Why [`crate::EmbeddedBroker::start`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The listening socket could not be bound (address in use, no permission).
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address from the configuration.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The bound socket could not report its address.
    #[error("cannot read the address the broker listens on")]
    LocalAddr(#[source] io::Error),
    /// The configuration cannot work (for example no user or no virtual host).
    #[error("invalid broker configuration: {0}")]
    Config(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_exceptions_are_the_4xx_codes() {
        for code in [
            ReplyCode::AccessRefused,
            ReplyCode::NotFound,
            ReplyCode::ResourceLocked,
            ReplyCode::PreconditionFailed,
        ] {
            assert!(!code.closes_connection(), "{code}");
        }
        for code in [
            ReplyCode::ConnectionForced,
            ReplyCode::FrameError,
            ReplyCode::SyntaxError,
            ReplyCode::CommandInvalid,
            ReplyCode::ChannelError,
            ReplyCode::UnexpectedFrame,
            ReplyCode::NotAllowed,
            ReplyCode::NotImplemented,
            ReplyCode::InternalError,
        ] {
            assert!(code.closes_connection(), "{code}");
        }
    }

    #[test]
    fn reply_text_is_prefixed_and_fits_a_short_string() {
        let error = AmqpException::not_found("queue", &"q".repeat(300), "/");
        let text = error.reply_text();
        assert!(text.as_str().starts_with("NOT_FOUND - no queue 'qqq"));
        assert!(text.as_str().len() <= 255);
    }

    #[test]
    fn first_method_recorded_wins() {
        let error = AmqpException::new(ReplyCode::NotFound, "x")
            .at(50, 10)
            .at(60, 40);
        assert_eq!((error.class_id, error.method_id), (50, 10));
    }
}
