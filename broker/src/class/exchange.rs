//! The exchange class: declare, delete, bind, unbind.

use amq_protocol::protocol::{AMQPClass, exchange};

use super::command_invalid;
use crate::{
    channel::Channel, error::AmqpResult, routing::Destination, session::Session,
    vhost::ExchangeDeclaration,
};

pub(crate) fn handle(
    session: &mut Session,
    channel: &mut Channel,
    method: exchange::AMQPMethod,
) -> AmqpResult {
    let vhost = std::sync::Arc::clone(&session.vhost);
    let (nowait, reply) = match method {
        exchange::AMQPMethod::Declare(declare) => {
            vhost.declare_exchange(&ExchangeDeclaration {
                name: declare.exchange.as_str(),
                kind: declare.kind.as_str(),
                passive: declare.passive,
                durable: declare.durable,
                auto_delete: declare.auto_delete,
                internal: declare.internal,
                arguments: &declare.arguments,
            })?;
            (
                declare.nowait,
                exchange::AMQPMethod::DeclareOk(exchange::DeclareOk {}),
            )
        }
        exchange::AMQPMethod::Delete(delete) => {
            vhost.delete_exchange(delete.exchange.as_str(), delete.if_unused)?;
            (
                delete.nowait,
                exchange::AMQPMethod::DeleteOk(exchange::DeleteOk {}),
            )
        }
        exchange::AMQPMethod::Bind(bind) => {
            vhost.bind(
                bind.source.as_str(),
                Destination::Exchange(bind.destination.as_str().into()),
                bind.routing_key.as_str(),
                &bind.arguments,
                session.id,
            )?;
            (
                bind.nowait,
                exchange::AMQPMethod::BindOk(exchange::BindOk {}),
            )
        }
        exchange::AMQPMethod::Unbind(unbind) => {
            vhost.unbind(
                unbind.source.as_str(),
                Destination::Exchange(unbind.destination.as_str().into()),
                unbind.routing_key.as_str(),
                &unbind.arguments,
                session.id,
            )?;
            (
                unbind.nowait,
                exchange::AMQPMethod::UnbindOk(exchange::UnbindOk {}),
            )
        }
        _ => return Err(command_invalid()),
    };
    if !nowait {
        session.send(channel.id, AMQPClass::Exchange(reply));
    }
    Ok(())
}
