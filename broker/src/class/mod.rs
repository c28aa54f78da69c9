//! Method handlers, one module per AMQP class. `connection` runs the opening
//! handshake; the others handle methods arriving on an open channel.

pub(crate) mod basic;
pub(crate) mod channel;
pub(crate) mod confirm;
pub(crate) mod connection;
pub(crate) mod exchange;
pub(crate) mod queue;
pub(crate) mod tx;

use amq_protocol::protocol::{AMQPClass, access};

use crate::{
    channel::Channel,
    error::{AmqpException, AmqpResult, ReplyCode},
    session::Session,
};

/// Handles a method on an open channel (`channel.open`/`close` are the
/// connection's business and never reach here).
pub(crate) fn dispatch(
    session: &mut Session,
    channel: &mut Channel,
    method: AMQPClass,
) -> AmqpResult {
    let (class_id, method_id) = (method.get_amqp_class_id(), method.get_amqp_method_id());
    if channel.pending.is_some() {
        return Err(AmqpException::new(
            ReplyCode::UnexpectedFrame,
            "expected content header for class 60, got non content header frame instead",
        )
        .at(class_id, method_id));
    }
    let result = match method {
        AMQPClass::Basic(method) => basic::handle(session, channel, method),
        AMQPClass::Channel(method) => channel::handle(session, channel, method),
        AMQPClass::Exchange(method) => exchange::handle(session, channel, method),
        AMQPClass::Queue(method) => queue::handle(session, channel, method),
        AMQPClass::Confirm(method) => confirm::handle(session, channel, method),
        AMQPClass::Tx(method) => tx::handle(method),
        AMQPClass::Access(access::AMQPMethod::Request(_)) => {
            session.send(
                channel.id,
                AMQPClass::Access(access::AMQPMethod::RequestOk(access::RequestOk {})),
            );
            Ok(())
        }
        AMQPClass::Access(_) | AMQPClass::Connection(_) => Err(command_invalid()),
    };
    result.map_err(|error| error.at(class_id, method_id))
}

/// A method a client must not send (a server-to-client method, or one on the wrong channel).
pub(crate) fn command_invalid() -> AmqpException {
    AmqpException::new(ReplyCode::CommandInvalid, "method not allowed here")
}
