//! The basic class: qos, consume, cancel, publish (with its content frames),
//! get, ack, nack, reject, recover — and deliveries to this connection's consumers.

use std::{sync::Arc, time::Duration};

use amq_protocol::{
    frame::AMQPContentHeader,
    protocol::{AMQPClass, basic},
    types::ShortString,
};

use super::command_invalid;
use crate::{
    channel::{Channel, ChannelConsumer, PendingPublish},
    error::{AmqpException, AmqpResult, ReplyCode},
    message::Message,
    queue::{Consumer, Credit, Delivery, Enqueued},
    session::Session,
    wire::BASIC_CLASS_ID,
};

pub(crate) fn handle(
    session: &mut Session,
    channel: &mut Channel,
    method: basic::AMQPMethod,
) -> AmqpResult {
    match method {
        basic::AMQPMethod::Qos(qos) => qos_method(session, channel, &qos),
        basic::AMQPMethod::Consume(consume) => consume_method(session, channel, consume),
        basic::AMQPMethod::Cancel(cancel) => {
            cancel_method(session, channel, &cancel.consumer_tag);
            if !cancel.nowait {
                session.send(
                    channel.id,
                    AMQPClass::Basic(basic::AMQPMethod::CancelOk(basic::CancelOk {
                        consumer_tag: cancel.consumer_tag,
                    })),
                );
            }
            Ok(())
        }
        basic::AMQPMethod::Publish(publish) => {
            if publish.immediate {
                return Err(AmqpException::new(
                    ReplyCode::NotImplemented,
                    "immediate=true",
                ));
            }
            channel.pending = Some(PendingPublish {
                method: publish,
                header: None,
                body: Vec::new(),
            });
            Ok(())
        }
        basic::AMQPMethod::Get(get) => get_method(session, channel, &get),
        basic::AMQPMethod::Ack(ack) => {
            let acked = channel.take_unacked(ack.delivery_tag, ack.multiple)?;
            channel.settle(acked, false);
            Ok(())
        }
        basic::AMQPMethod::Nack(nack) => {
            let rejected = channel.take_unacked(nack.delivery_tag, nack.multiple)?;
            channel.settle(rejected, nack.requeue);
            Ok(())
        }
        basic::AMQPMethod::Reject(reject) => {
            let rejected = channel.take_unacked(reject.delivery_tag, false)?;
            channel.settle(rejected, reject.requeue);
            Ok(())
        }
        basic::AMQPMethod::Recover(basic::Recover { requeue }) => {
            recover(channel, requeue)?;
            session.send(
                channel.id,
                AMQPClass::Basic(basic::AMQPMethod::RecoverOk(basic::RecoverOk {})),
            );
            Ok(())
        }
        basic::AMQPMethod::RecoverAsync(basic::RecoverAsync { requeue }) => {
            recover(channel, requeue)
        }
        _ => Err(command_invalid()),
    }
}

fn qos_method(session: &mut Session, channel: &mut Channel, qos: &basic::Qos) -> AmqpResult {
    if qos.global {
        channel.channel_limit.set_max(qos.prefetch_count);
        channel.credit_freed = true;
    } else {
        channel.consumer_prefetch = qos.prefetch_count;
    }
    session.send(
        channel.id,
        AMQPClass::Basic(basic::AMQPMethod::QosOk(basic::QosOk {})),
    );
    Ok(())
}

/// RabbitMQ redelivers everything unacknowledged on `recover` with requeue;
/// it does not implement requeue=false (redelivery to the same consumer).
fn recover(channel: &mut Channel, requeue: bool) -> AmqpResult {
    if !requeue {
        return Err(AmqpException::new(
            ReplyCode::NotImplemented,
            "requeue=false",
        ));
    }
    let all: Vec<_> = channel.unacked.drain(..).collect();
    channel.settle(all, true);
    Ok(())
}

fn consume_method(
    session: &mut Session,
    channel: &mut Channel,
    consume: basic::Consume,
) -> AmqpResult {
    if consume.arguments.contains_key("x-priority") {
        return Err(AmqpException::new(
            ReplyCode::NotImplemented,
            "the embedded broker does not implement consumer priorities (x-priority)",
        ));
    }
    let queue = session
        .vhost
        .queue(channel.queue_name(consume.queue.as_str())?, session.id)?;
    let tag = if consume.consumer_tag.as_str().is_empty() {
        ShortString::from(session.broker.generate_name("amq.ctag-"))
    } else {
        consume.consumer_tag
    };
    if channel.consumers.contains_key(&tag) {
        return Err(AmqpException::new(
            ReplyCode::NotAllowed,
            format!("attempt to reuse consumer tag '{tag}'"),
        ));
    }
    let credit = Arc::new(Credit::new(
        channel.consumer_prefetch,
        Arc::clone(&channel.channel_limit),
    ));
    queue.add_consumer(
        Consumer {
            tag: tag.clone(),
            connection: session.id,
            channel: channel.id,
            no_ack: consume.no_ack,
            exclusive: consume.exclusive,
            credit,
            outbox: session.outbox.clone(),
        },
        session.vhost_name(),
    )?;
    channel
        .consumers
        .insert(tag.clone(), ChannelConsumer { queue });
    if !consume.nowait {
        session.send(
            channel.id,
            AMQPClass::Basic(basic::AMQPMethod::ConsumeOk(basic::ConsumeOk {
                consumer_tag: tag,
            })),
        );
    }
    Ok(())
}

/// Cancels a consumer; an unknown tag is not an error (RabbitMQ answers cancel-ok).
pub(crate) fn cancel_method(session: &Session, channel: &mut Channel, tag: &ShortString) {
    if let Some(consumer) = channel.consumers.remove(tag)
        && consumer
            .queue
            .remove_consumer(session.id, channel.id, tag.as_str())
    {
        session.delete_queue(&consumer.queue);
    }
}

fn get_method(session: &mut Session, channel: &mut Channel, get: &basic::Get) -> AmqpResult {
    let queue = session
        .vhost
        .queue(channel.queue_name(get.queue.as_str())?, session.id)?;
    let Some((item, remaining)) = queue.get(get.no_ack) else {
        session.send(
            channel.id,
            AMQPClass::Basic(basic::AMQPMethod::GetEmpty(basic::GetEmpty {})),
        );
        return Ok(());
    };
    let tag = channel.next_delivery_tag();
    session.send(
        channel.id,
        AMQPClass::Basic(basic::AMQPMethod::GetOk(basic::GetOk {
            delivery_tag: tag,
            redelivered: item.redelivered,
            exchange: item.message.exchange.clone(),
            routing_key: item.message.routing_key.clone(),
            message_count: u32::try_from(remaining).unwrap_or(u32::MAX),
        })),
    );
    session
        .out
        .content(channel.id, &item.message.properties, &item.message.body);
    if !get.no_ack {
        channel.unacked.push_back(crate::channel::Unacked {
            tag,
            queue,
            item,
            credit: None,
        });
    }
    Ok(())
}

/// A content header frame for the publish in progress.
pub(crate) fn content_header(
    session: &mut Session,
    channel: &mut Channel,
    header: AMQPContentHeader,
) -> AmqpResult {
    let Some(pending) = channel
        .pending
        .as_mut()
        .filter(|pending| pending.header.is_none())
    else {
        return Err(unexpected_content());
    };
    if header.class_id != BASIC_CLASS_ID {
        return Err(unexpected_content());
    }
    let max = session.broker.config.max_message_size;
    if header.body_size > max as u64 {
        channel.pending = None;
        return Err(AmqpException::new(
            ReplyCode::PreconditionFailed,
            format!(
                "message size {} is larger than configured max size {max}",
                header.body_size
            ),
        )
        .at(BASIC_CLASS_ID, 40));
    }
    let size = usize::try_from(header.body_size).unwrap_or(usize::MAX);
    pending.header = Some(header);
    if size == 0 {
        return complete_publish(session, channel);
    }
    Ok(())
}

/// A content body frame for the publish in progress.
pub(crate) fn content_body(
    session: &mut Session,
    channel: &mut Channel,
    part: Vec<u8>,
) -> AmqpResult {
    let Some(pending) = channel.pending.as_mut() else {
        return Err(unexpected_content());
    };
    let Some(header) = &pending.header else {
        return Err(unexpected_content());
    };
    let expected = usize::try_from(header.body_size).unwrap_or(usize::MAX);
    if pending.body.is_empty() && part.len() == expected {
        // The common case, a body in one frame: keep the frame's buffer as the body.
        pending.body = part;
    } else {
        if pending.body.len() + part.len() > expected {
            return Err(AmqpException::new(
                ReplyCode::FrameError,
                format!("content body exceeds the {expected} bytes announced in its header"),
            ));
        }
        if pending.body.is_empty() {
            pending.body.reserve_exact(expected);
        }
        pending.body.extend_from_slice(&part);
    }
    if pending.body.len() == expected {
        complete_publish(session, channel)?;
    }
    Ok(())
}

fn unexpected_content() -> AmqpException {
    AmqpException::new(
        ReplyCode::UnexpectedFrame,
        "content frame without a basic.publish before it",
    )
}

/// Routes a complete message to its queues; returns it when mandatory and
/// unroutable; confirms it when the channel is in confirm mode.
fn complete_publish(session: &mut Session, channel: &mut Channel) -> AmqpResult {
    let Some(PendingPublish {
        method,
        header: Some(header),
        body,
    }) = channel.pending.take()
    else {
        return Err(unexpected_content());
    };
    let at_publish = |error: AmqpException| error.at(BASIC_CLASS_ID, 40);
    let message_ttl = match header.properties.expiration() {
        None => None,
        Some(expiration) => Some(
            expiration
                .as_str()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| {
                    at_publish(AmqpException::new(
                        ReplyCode::PreconditionFailed,
                        format!("invalid expiration '{expiration}'"),
                    ))
                })?,
        ),
    };
    session.has_published = true;
    let mut queues = std::mem::take(&mut session.route_queues);
    queues.clear();
    let routed = session.vhost.route(
        method.exchange.as_str(),
        method.routing_key.as_str(),
        header.properties.headers().as_ref(),
        &mut session.route_scratch,
        &mut queues,
    );
    if let Err(error) = routed {
        session.route_queues = queues;
        return Err(at_publish(error));
    }
    let message = Arc::new(Message::new(
        method.exchange,
        method.routing_key,
        header.properties,
        body,
        Arc::clone(&session.broker.gauge),
    ));
    let mut accepted = 0;
    let mut refused = false;
    for queue in queues.drain(..) {
        match queue.publish(&message, message_ttl) {
            Enqueued::Accepted => accepted += 1,
            Enqueued::Refused => refused = true,
            Enqueued::Gone => {}
        }
    }
    session.route_queues = queues;
    if accepted == 0 && !refused && method.mandatory {
        session.send(
            channel.id,
            AMQPClass::Basic(basic::AMQPMethod::Return(basic::Return {
                reply_code: ReplyCode::NoRoute.code(),
                reply_text: ReplyCode::NoRoute.name().into(),
                exchange: message.exchange.clone(),
                routing_key: message.routing_key.clone(),
            })),
        );
        session
            .out
            .content(channel.id, &message.properties, &message.body);
    }
    channel.confirm(session, !refused);
    Ok(())
}

/// Writes a delivery for one of this connection's consumers, or hands it
/// back to its queue when the consumer is gone (cancelled, channel closed).
pub(crate) fn deliver(session: &mut Session, channel: Option<&mut Channel>, delivery: Delivery) {
    let Some(channel) =
        channel.filter(|c| !c.closing && c.consumers.contains_key(&delivery.consumer_tag))
    else {
        if let Some(credit) = &delivery.credit {
            credit.release();
            delivery.queue.settle(1);
        }
        delivery.queue.requeue([delivery.item], false);
        return;
    };
    let tag = channel.next_delivery_tag();
    let message = &delivery.item.message;
    session.send(
        channel.id,
        AMQPClass::Basic(basic::AMQPMethod::Deliver(basic::Deliver {
            consumer_tag: delivery.consumer_tag,
            delivery_tag: tag,
            redelivered: delivery.item.redelivered,
            exchange: message.exchange.clone(),
            routing_key: message.routing_key.clone(),
        })),
    );
    session
        .out
        .content(channel.id, &message.properties, &message.body);
    if delivery.credit.is_some() {
        channel.unacked.push_back(crate::channel::Unacked {
            tag,
            queue: delivery.queue,
            item: delivery.item,
            credit: delivery.credit,
        });
    }
}

/// The broker cancelled a consumer (its queue was deleted): tell the client
/// if it understands `basic.cancel` from the server, as RabbitMQ does.
pub(crate) fn cancelled_by_broker(
    session: &mut Session,
    channel: Option<&mut Channel>,
    consumer_tag: ShortString,
) {
    let Some(channel) = channel else { return };
    if channel.consumers.remove(&consumer_tag).is_some()
        && session.capabilities.consumer_cancel_notify
    {
        session.send(
            channel.id,
            AMQPClass::Basic(basic::AMQPMethod::Cancel(basic::Cancel {
                consumer_tag,
                nowait: true,
            })),
        );
    }
}
