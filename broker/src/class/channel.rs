//! The channel class on an open channel: `flow`. (`open` and `close` change
//! the connection's set of channels and are handled in [`crate::connection`].)

use amq_protocol::protocol::{AMQPClass, channel};

use super::command_invalid;
use crate::{
    channel::Channel,
    error::{AmqpException, AmqpResult, ReplyCode},
    session::Session,
};

pub(crate) fn handle(
    session: &mut Session,
    channel: &mut Channel,
    method: channel::AMQPMethod,
) -> AmqpResult {
    match method {
        // RabbitMQ accepts flow(active=true) and refuses to stop deliveries
        // with flow(active=false): consumers should use prefetch instead.
        channel::AMQPMethod::Flow(channel::Flow { active: true }) => {
            session.send(
                channel.id,
                AMQPClass::Channel(channel::AMQPMethod::FlowOk(channel::FlowOk {
                    active: true,
                })),
            );
            Ok(())
        }
        channel::AMQPMethod::Flow(channel::Flow { active: false }) => Err(AmqpException::new(
            ReplyCode::NotImplemented,
            "active=false",
        )),
        // A client answering a flow we never send, or open/close (handled earlier).
        _ => Err(command_invalid()),
    }
}
