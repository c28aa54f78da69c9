//! The queue class: declare, bind, unbind, purge, delete.

use std::sync::Arc;

use amq_protocol::{
    protocol::{AMQPClass, queue},
    types::ShortString,
};

use super::command_invalid;
use crate::{
    channel::Channel, error::AmqpResult, routing::Destination, session::Session,
    vhost::QueueDeclaration,
};

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn handle(
    session: &mut Session,
    channel: &mut Channel,
    method: queue::AMQPMethod,
) -> AmqpResult {
    let vhost = Arc::clone(&session.vhost);
    let (nowait, reply) = match method {
        queue::AMQPMethod::Declare(declare) => {
            let name = if declare.queue.as_str().is_empty() {
                if declare.passive {
                    channel.queue_name("")?.to_owned()
                } else {
                    session.broker.generate_name("amq.gen-")
                }
            } else {
                declare.queue.as_str().to_owned()
            };
            let queue = vhost.declare_queue(&QueueDeclaration {
                name: &name,
                server_named: declare.queue.as_str().is_empty() && !declare.passive,
                passive: declare.passive,
                durable: declare.durable,
                exclusive: declare.exclusive,
                auto_delete: declare.auto_delete,
                arguments: &declare.arguments,
                connection: session.id,
                message_limit: session.broker.config.queue_message_limit,
            })?;
            if declare.exclusive
                && !session
                    .exclusive_queues
                    .iter()
                    .any(|known| Arc::ptr_eq(known, &queue))
            {
                session.exclusive_queues.push(Arc::clone(&queue));
            }
            let counts = queue.counts();
            let name = ShortString::from(name);
            channel.last_queue = Some(name.clone());
            (
                declare.nowait,
                queue::AMQPMethod::DeclareOk(queue::DeclareOk {
                    queue: name,
                    message_count: count(counts.ready),
                    consumer_count: count(counts.consumers),
                }),
            )
        }
        queue::AMQPMethod::Bind(bind) => {
            let name = channel.queue_name(bind.queue.as_str())?;
            vhost.bind(
                bind.exchange.as_str(),
                Destination::Queue(name.into()),
                bind.routing_key.as_str(),
                &bind.arguments,
                session.id,
            )?;
            (bind.nowait, queue::AMQPMethod::BindOk(queue::BindOk {}))
        }
        queue::AMQPMethod::Unbind(unbind) => {
            let name = channel.queue_name(unbind.queue.as_str())?;
            vhost.unbind(
                unbind.exchange.as_str(),
                Destination::Queue(name.into()),
                unbind.routing_key.as_str(),
                &unbind.arguments,
                session.id,
            )?;
            (false, queue::AMQPMethod::UnbindOk(queue::UnbindOk {}))
        }
        queue::AMQPMethod::Purge(purge) => {
            let queue = vhost.queue(channel.queue_name(purge.queue.as_str())?, session.id)?;
            let purged = queue.purge();
            (
                purge.nowait,
                queue::AMQPMethod::PurgeOk(queue::PurgeOk {
                    message_count: count(purged),
                }),
            )
        }
        queue::AMQPMethod::Delete(delete) => {
            let name = channel.queue_name(delete.queue.as_str())?;
            // Deleting a queue that does not exist succeeds, as in RabbitMQ.
            let deleted = match vhost.queue(name, session.id) {
                Ok(queue) => {
                    queue.check_delete(delete.if_unused, delete.if_empty, &vhost.name)?;
                    vhost.delete_queue(name, Some(&queue)).unwrap_or(0)
                }
                Err(error) if error.code == crate::error::ReplyCode::NotFound => 0,
                Err(error) => return Err(error),
            };
            (
                delete.nowait,
                queue::AMQPMethod::DeleteOk(queue::DeleteOk {
                    message_count: count(deleted),
                }),
            )
        }
        _ => return Err(command_invalid()),
    };
    if !nowait {
        session.send(channel.id, AMQPClass::Queue(reply));
    }
    Ok(())
}
