//! The consuming side: `--consumers N` per `--bind KEY`, sharing one queue
//! per binding the way a scaled-out Wazo service shares its queue.
//!
//! Each binding gets a queue named after the run, bound to the exchange with
//! its key; each consumer has its own connection (spread over the brokers)
//! and channel, with the requested prefetch and acknowledgement mode. A
//! delivery is checked in the ledger by its `message_id` and timed from the
//! [`PUBLISHED_AT_HEADER`] header. The queues are not exclusive, so a
//! consumer that reconnects finds its queue again (or declares it anew on a
//! broker that restarted); they expire a minute after the last consumer
//! leaves, in case the run is killed before it can delete them.

use std::sync::Arc;

use amqprs::channel::{
    BasicAckArguments, BasicConsumeArguments, BasicQosArguments, Channel, ConsumerMessage,
    QueueBindArguments, QueueDeclareArguments, QueueDeleteArguments,
};
use amqprs::{BasicProperties, FieldTable, FieldValue};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use super::ledger::Delivered;
use super::link::Link;
use super::metrics::Counters;
use super::publisher::{PUBLISHED_AT_HEADER, unix_micros};
use super::run::Shared;
use crate::catalog::wazo::Profile;

/// How long an abandoned queue of the run survives (x-expires), in milliseconds.
const QUEUE_EXPIRES_MS: i64 = 60_000;

/// When consumers acknowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AckMode {
    /// The broker considers a message acknowledged once sent (no_ack).
    #[default]
    Auto,
    /// Each delivery is acknowledged with basic.ack once recorded.
    Manual,
}

/// The queue of binding `index` in run `run_id`.
pub fn queue_name(run_id: &str, index: usize) -> String {
    format!("switchboard-load-{run_id}-{index}")
}

/// Declares the queue of binding `index` and binds it with `key`.
pub async fn declare_queue(
    channel: &Channel,
    shared: &Shared,
    index: usize,
    key: &str,
) -> Result<String, amqprs::error::Error> {
    let queue = queue_name(&shared.run_id, index);
    let topology = shared.options.topology();
    topology
        .declare(channel)
        .await
        .map_err(|failure| failure.cause)?;
    let mut arguments = FieldTable::new();
    arguments.insert(
        "x-expires".try_into().map_err(|_| {
            amqprs::error::Error::ChannelUseError("x-expires is not a field name".into())
        })?,
        FieldValue::l(QUEUE_EXPIRES_MS),
    );
    channel
        .queue_declare(
            QueueDeclareArguments::new(&queue)
                .arguments(arguments)
                .finish(),
        )
        .await?;
    // In the `wazo` profile everything is on `wazo-headers`, which routes
    // by headers: `#` (the only key allowed there, see
    // `LoadError::HeadersBinding`) is a binding without arguments, which
    // matches every message.
    let (exchange, key) = match shared.options.profile {
        Profile::Documented => (topology.topic.as_str(), key),
        Profile::Wazo => (topology.headers.as_str(), ""),
    };
    channel
        .queue_bind(QueueBindArguments::new(&queue, exchange, key))
        .await?;
    Ok(queue)
}

/// Deletes the run's queues (best effort: a broker that went away took them along).
pub async fn delete_queues(channel: &Channel, shared: &Shared) {
    for index in 0..shared.options.consumers.bindings.len() {
        let queue = queue_name(&shared.run_id, index);
        if let Err(error) = channel
            .queue_delete(QueueDeleteArguments::new(&queue))
            .await
        {
            tracing::debug!(%queue, %error, "cannot delete a load queue");
        }
    }
}

/// Consumes from binding `binding`'s queue until `cancel` fires,
/// reconnecting through `link` when the connection is lost.
pub async fn consumer_task(
    link: Arc<Link>,
    shared: Arc<Shared>,
    binding: usize,
    index: usize,
    cancel: CancellationToken,
) {
    let key = shared.options.consumers.bindings[binding].clone();
    loop {
        let Some((connection, generation)) = link
            .connection(&cancel, shared.options.reconnect_limit)
            .await
        else {
            return;
        };
        let subscribed: Result<
            (Channel, UnboundedReceiver<ConsumerMessage>),
            amqprs::error::Error,
        > = async {
            let channel = connection.open_channel(None).await?;
            channel
                .basic_qos(BasicQosArguments::new(
                    0,
                    shared.options.consumers.prefetch,
                    false,
                ))
                .await?;
            let queue = declare_queue(&channel, &shared, binding, &key).await?;
            let manual = shared.options.consumers.ack == AckMode::Manual;
            let tag = format!("switchboard-load-{index}");
            let (_tag, deliveries) = channel
                .basic_consume_rx(
                    BasicConsumeArguments::new(&queue, &tag)
                        .manual_ack(manual)
                        .finish(),
                )
                .await?;
            Ok((channel, deliveries))
        }
        .await;
        let (channel, mut deliveries) = match subscribed {
            Ok(subscribed) => subscribed,
            Err(error) => {
                Counters::bump(&shared.metrics.counters.errors);
                link.mark_broken(generation, format!("cannot start consuming ({error})"));
                continue;
            }
        };
        loop {
            let next = tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    // An error means the connection is already gone.
                    let _ = channel.close().await;
                    return;
                }
                next = deliveries.recv() => next,
            };
            let Some(message) = next else {
                // amqprs dropped the consumer: channel or connection gone.
                Counters::bump(&shared.metrics.counters.errors);
                link.mark_broken(generation, "the consuming channel was closed".to_owned());
                break;
            };
            record(&shared, binding, &message);
            if shared.options.consumers.ack == AckMode::Manual
                && let Some(deliver) = &message.deliver
                && let Err(error) = channel
                    .basic_ack(BasicAckArguments::new(deliver.delivery_tag(), false))
                    .await
            {
                tracing::debug!(%error, "cannot acknowledge a delivery");
            }
        }
    }
}

/// Books one delivery: ledger by message id, latency from the header.
fn record(shared: &Shared, binding: usize, message: &ConsumerMessage) {
    Counters::bump(&shared.metrics.counters.consumed);
    let properties = message.basic_properties.as_ref();
    let Some(seq) = properties.and_then(|properties| sequence_of(&shared.run_id, properties))
    else {
        shared.ledger.foreign();
        return;
    };
    if shared.ledger.delivered(seq, binding) == Delivered::Foreign {
        return;
    }
    if let Some(published) = properties.and_then(published_at) {
        let micros = unix_micros().saturating_sub(published).max(0);
        shared
            .metrics
            .deliver_latency
            .record_micros(u64::try_from(micros).unwrap_or(0));
    }
}

/// The sequence number in a `message_id` of this run (`<run>:<seq>`).
fn sequence_of(run_id: &str, properties: &BasicProperties) -> Option<u64> {
    let id = properties.message_id()?;
    let (run, seq) = id.rsplit_once(':')?;
    if run != run_id {
        return None;
    }
    seq.parse().ok()
}

/// The publish time carried in [`PUBLISHED_AT_HEADER`].
fn published_at(properties: &BasicProperties) -> Option<i64> {
    let headers = properties.headers()?;
    let name = PUBLISHED_AT_HEADER.try_into().ok()?;
    match headers.get(&name)? {
        FieldValue::l(micros) => Some(*micros),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sequence_only_from_this_runs_ids() {
        let properties = BasicProperties::default()
            .with_message_id("abc123:42")
            .finish();
        assert_eq!(sequence_of("abc123", &properties), Some(42));
        assert_eq!(sequence_of("other", &properties), None);
        assert_eq!(sequence_of("abc123", &BasicProperties::default()), None);
    }

    #[test]
    fn reads_the_publish_time_header() {
        let mut headers = FieldTable::new();
        headers.insert(
            PUBLISHED_AT_HEADER.try_into().unwrap(),
            FieldValue::l(1_700_000_000_000_000),
        );
        let properties = BasicProperties::default().with_headers(headers).finish();
        assert_eq!(published_at(&properties), Some(1_700_000_000_000_000));
        assert_eq!(published_at(&BasicProperties::default()), None);
    }
}
