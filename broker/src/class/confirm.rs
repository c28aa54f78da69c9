//! The confirm class: `select` turns on publisher confirms for the channel.

use amq_protocol::protocol::{AMQPClass, confirm};

use super::command_invalid;
use crate::{
    channel::{Channel, Confirms},
    error::AmqpResult,
    session::Session,
};

pub(crate) fn handle(
    session: &mut Session,
    channel: &mut Channel,
    method: confirm::AMQPMethod,
) -> AmqpResult {
    match method {
        confirm::AMQPMethod::Select(select) => {
            channel.confirms.get_or_insert_with(Confirms::default);
            if !select.nowait {
                session.send(
                    channel.id,
                    AMQPClass::Confirm(confirm::AMQPMethod::SelectOk(confirm::SelectOk {})),
                );
            }
            Ok(())
        }
        confirm::AMQPMethod::SelectOk(_) => Err(command_invalid()),
    }
}
