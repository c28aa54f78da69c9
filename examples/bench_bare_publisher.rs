//! The baselines of `cargo xtask bench load`: the fastest plain amqprs
//! publisher we can write, with the same connections, channels and confirm
//! setting as `switchboard load`, publishing a fixed 400-byte body.
//!
//! In `plain` mode the message has only a content type and a delivery mode.
//! In `headers` mode it also carries, as fixed values, what every message of
//! `switchboard load` carries beside its body: the three headers the Wazo
//! document gives a `call_updated` (`name`, `origin_uuid`, `required_acl`),
//! the tracking header and the `message_id`. RabbitMQ decodes every header
//! of every message it routes, so the two modes differ by what the broker
//! spends on headers; `switchboard load` against `headers` differs only by
//! what it builds per message (realistic events, the ledger, histograms).
//!
//! Usage: `bench_bare_publisher URL EXCHANGE MESSAGES CONNECTIONS CHANNELS on|off plain|headers`.
//! Prints one line: `published=N seconds=S rate=R cpu_s=C`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use amqprs::callbacks::ChannelCallback;
use amqprs::channel::{
    BasicPublishArguments, Channel, ConfirmSelectArguments, ExchangeDeclareArguments, ExchangeType,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::security::SecurityCredentials;
use amqprs::{
    Ack, BasicProperties, Cancel, CloseChannel, DELIVERY_MODE_TRANSIENT, FieldTable, FieldValue,
    Nack, Return,
};
use switchboard::load::metrics::process_cpu_seconds;
use switchboard::load::publisher::{PUBLISHED_AT_HEADER, message_id};
use switchboard::sink::amqp::JSON_CONTENT_TYPE;
use tokio::sync::Notify;

/// Counts acks (single or multiple) against publishes.
#[derive(Clone, Default)]
struct Acks {
    acked: Arc<AtomicU64>,
    all_acked: Arc<Notify>,
}

#[async_trait::async_trait]
impl ChannelCallback for Acks {
    async fn close(&mut self, _: &Channel, _: CloseChannel) -> Result<(), amqprs::error::Error> {
        Ok(())
    }
    async fn cancel(&mut self, _: &Channel, _: Cancel) -> Result<(), amqprs::error::Error> {
        Ok(())
    }
    async fn flow(&mut self, _: &Channel, active: bool) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }
    async fn publish_ack(&mut self, _: &Channel, ack: Ack) {
        // Tags are 1, 2, 3… on each channel: the highest acked tag is the count.
        self.acked.fetch_max(ack.delivery_tag(), Ordering::Relaxed);
        self.all_acked.notify_waiters();
    }
    async fn publish_nack(&mut self, _: &Channel, nack: Nack) {
        self.acked.fetch_max(nack.delivery_tag(), Ordering::Relaxed);
        self.all_acked.notify_waiters();
    }
    async fn publish_return(&mut self, _: &Channel, _: Return, _: BasicProperties, _: Vec<u8>) {}
}

/// What goes beside the body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Headers,
}

/// The properties of every message in `mode`.
fn properties(mode: Mode) -> Result<BasicProperties, Box<dyn std::error::Error>> {
    let mut properties = BasicProperties::default();
    properties
        .with_content_type(JSON_CONTENT_TYPE)
        .with_delivery_mode(DELIVERY_MODE_TRANSIENT);
    if mode == Mode::Headers {
        let mut headers = FieldTable::new();
        let mut text = |name: &str, value: &str| -> Result<(), Box<dyn std::error::Error>> {
            headers.insert(name.try_into()?, FieldValue::S(value.try_into()?));
            Ok(())
        };
        text("name", "call_updated")?;
        text("origin_uuid", "5242b7fa-3036-4846-abef-c57e18737e06")?;
        text(
            "required_acl",
            "events.calls.5fef9879-e89d-41bf-8993-79cca355c0a1",
        )?;
        headers.insert(
            PUBLISHED_AT_HEADER.try_into()?,
            FieldValue::l(1_764_687_845_123_456),
        );
        properties
            .with_headers(headers)
            .with_message_id(&message_id("5d41402abc4b", 100_000));
    }
    Ok(properties)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [
        url,
        exchange,
        messages,
        connections,
        channels,
        confirm,
        mode,
    ] = args.as_slice()
    else {
        return Err(
            "usage: bench_bare_publisher URL EXCHANGE MESSAGES CONNECTIONS CHANNELS \
                    on|off plain|headers"
                .into(),
        );
    };
    let mode = match mode.as_str() {
        "plain" => Mode::Plain,
        "headers" => Mode::Headers,
        other => return Err(format!("mode is plain or headers, not '{other}'").into()),
    };
    let properties = properties(mode)?;
    let url: url::Url = url.parse()?;
    let messages: u64 = messages.parse()?;
    let connections: u64 = connections.parse()?;
    let channels: u64 = channels.parse()?;
    let confirms = confirm == "on";
    let body = vec![b'x'; 400];

    let mut arguments = OpenConnectionArguments::new(
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5672),
        "",
        "",
    );
    arguments.credentials(SecurityCredentials::new_plain(
        if url.username().is_empty() {
            "guest"
        } else {
            url.username()
        },
        url.password().unwrap_or("guest"),
    ));
    let mut open = Vec::new();
    let mut opened_connections = Vec::new();
    for _ in 0..connections {
        let connection = Connection::open(&arguments).await?;
        for _ in 0..channels {
            let channel = connection.open_channel(None).await?;
            let acks = Acks::default();
            channel.register_callback(acks.clone()).await?;
            if confirms {
                channel
                    .confirm_select(ConfirmSelectArguments::default())
                    .await?;
            }
            channel
                .exchange_declare(
                    ExchangeDeclareArguments::of_type(exchange, ExchangeType::Topic)
                        .durable(true)
                        .finish(),
                )
                .await?;
            open.push((channel, acks));
        }
        opened_connections.push(connection);
    }

    let per_channel = messages / (connections * channels);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (channel, acks) in open {
        let body = body.clone();
        let exchange = exchange.clone();
        let properties = properties.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_channel {
                channel
                    .basic_publish(
                        properties.clone(),
                        body.clone(),
                        BasicPublishArguments::new(&exchange, "calls.call.created"),
                    )
                    .await?;
            }
            if confirms {
                loop {
                    let notified = acks.all_acked.notified();
                    if acks.acked.load(Ordering::Relaxed) >= per_channel {
                        break;
                    }
                    notified.await;
                }
            }
            Ok::<Channel, amqprs::error::Error>(channel)
        }));
    }
    let mut finished = Vec::new();
    for task in tasks {
        finished.push(task.await??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let published = per_channel * connections * channels;
    println!(
        "published={published} seconds={seconds:.3} rate={:.0} cpu_s={:.3}",
        published as f64 / seconds,
        process_cpu_seconds().unwrap_or(0.0)
    );
    // Errors here mean the broker already dropped us: nothing left to close.
    for channel in finished {
        let _ = channel.close().await;
    }
    for connection in opened_connections {
        let _ = connection.close().await;
    }
    Ok(())
}
