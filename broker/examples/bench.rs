//! The broker benchmark behind `cargo xtask bench broker`: the embedded
//! broker and a RabbitMQ measured in one run, with the same amqprs client
//! code, each figure printed beside RabbitMQ's as a ratio.
//!
//! ```text
//! cargo run --release -p switchboard-broker --example bench -- [--messages N] [--rabbitmq HOST:PORT]
//! ```
//!
//! What it measures, for ~400-byte JSON bodies through a topic exchange:
//! - publish-only: messages routed into a queue per second (without
//!   confirms: until the queue holds them all; with confirms: until the last
//!   confirm);
//! - end to end: publish → deliver with 1 publisher / 1 consumer and 4 / 4
//!   (each pair on its own connections and queue), without and with confirms;
//! - latency: publish → deliver p50/p99 at a fixed 5 000 msg/s;
//! - routing: publish rate with confirms when the exchange holds 10, 1 000
//!   and 100 000 topic bindings, only one of which matches;
//! - start-up: `EmbeddedBroker::start` to an accepted TCP connection.
//!
//! Rates are medians of three runs; the machine's noise is in every figure,
//! which is why the ratio (both brokers in the same run) is the figure to read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use amqprs::callbacks::ChannelCallback;
use amqprs::channel::{
    BasicConsumeArguments, BasicPublishArguments, Channel, ConfirmSelectArguments,
    ExchangeDeclareArguments, ExchangeDeleteArguments, QueueBindArguments, QueueDeclareArguments,
    QueueDeleteArguments,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::{Ack, BasicProperties, Cancel, CloseChannel, Nack, Return};
use switchboard_broker::{Config, EmbeddedBroker};
use tokio::sync::Notify;

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Where a broker listens.
#[derive(Debug, Clone)]
struct Target {
    host: String,
    port: u16,
}

/// Counts publisher confirms (acks and nacks, `multiple` included) so a
/// publisher can wait until the broker has answered for everything it sent.
#[derive(Debug, Clone, Default)]
struct Confirms {
    highest: Arc<AtomicU64>,
    changed: Arc<Notify>,
}

impl Confirms {
    fn settle(&self, tag: u64) {
        self.highest.fetch_max(tag, Ordering::AcqRel);
        self.changed.notify_waiters();
    }

    async fn wait_for(&self, tag: u64) {
        loop {
            let notified = self.changed.notified();
            if self.highest.load(Ordering::Acquire) >= tag {
                return;
            }
            // A confirm may race the registration above; look again soon.
            let _ = tokio::time::timeout(Duration::from_millis(5), notified).await;
        }
    }
}

#[async_trait::async_trait]
impl ChannelCallback for Confirms {
    async fn close(
        &mut self,
        _: &Channel,
        close: CloseChannel,
    ) -> Result<(), amqprs::error::Error> {
        eprintln!("bench: channel closed by the broker: {close}");
        Ok(())
    }
    async fn cancel(&mut self, _: &Channel, _: Cancel) -> Result<(), amqprs::error::Error> {
        Ok(())
    }
    async fn flow(&mut self, _: &Channel, active: bool) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }
    async fn publish_ack(&mut self, _: &Channel, ack: Ack) {
        self.settle(ack.delivery_tag());
    }
    async fn publish_nack(&mut self, _: &Channel, nack: Nack) {
        self.settle(nack.delivery_tag());
    }
    async fn publish_return(&mut self, _: &Channel, _: Return, _: BasicProperties, _: Vec<u8>) {}
}

/// A Wazo-sized message: an envelope with ~400 bytes of JSON. The first
/// field carries the send time (ns since the run started) for latency.
fn body(sent_ns: u64) -> Vec<u8> {
    format!(
        "{{\"sent_ns\":{sent_ns:>20},\"name\":\"call_updated\",\"origin_uuid\":\"08c56466-8f29-45c7-9856-92bf1ba89b82\",\
         \"data\":{{\"call_id\":\"1455123422.8\",\"user_uuid\":\"2e752722-0864-4665-887d-a78a024cf7c7\",\
         \"caller_id_name\":\"Alice Dupont\",\"caller_id_number\":\"1001\",\"peer_caller_id_name\":\"Bob\",\
         \"peer_caller_id_number\":\"1002\",\"status\":\"Up\",\"on_hold\":false,\"talking_to\":{{}},\"bridges\":[]}}}}"
    )
    .into_bytes()
}

fn sent_ns_of(body: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(body.get(11..31)?).ok()?;
    text.trim().parse().ok()
}

fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "bench-{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn open(target: &Target) -> BenchResult<Connection> {
    let arguments = OpenConnectionArguments::new(&target.host, target.port, "guest", "guest");
    Ok(Connection::open(&arguments).await?)
}

/// A publisher connection and channel, in confirm mode when asked.
struct Publisher {
    connection: Connection,
    channel: Channel,
    confirms: Option<Confirms>,
    published: u64,
}

impl Publisher {
    async fn open(target: &Target, confirm: bool) -> BenchResult<Self> {
        let connection = open(target).await?;
        let channel = connection.open_channel(None).await?;
        let confirms = if confirm {
            let confirms = Confirms::default();
            channel.register_callback(confirms.clone()).await?;
            channel
                .confirm_select(ConfirmSelectArguments::default())
                .await?;
            Some(confirms)
        } else {
            None
        };
        Ok(Self {
            connection,
            channel,
            confirms,
            published: 0,
        })
    }

    async fn publish(&mut self, exchange: &str, key: &str, body: Vec<u8>) -> BenchResult<()> {
        let properties = BasicProperties::default()
            .with_content_type("application/json")
            .finish();
        self.channel
            .basic_publish(properties, body, BasicPublishArguments::new(exchange, key))
            .await?;
        self.published += 1;
        Ok(())
    }

    /// Waits for the confirm of everything published (nothing without confirms).
    async fn settled(&self) {
        if let Some(confirms) = &self.confirms {
            confirms.wait_for(self.published).await;
        }
    }

    async fn close(self) {
        let _ = self.channel.close().await;
        let _ = self.connection.close().await;
    }
}

/// A topic exchange with one exclusive queue per pair, queue `i` bound to
/// `calls.<i>.*`; deleted afterwards so nothing is left on a shared RabbitMQ.
struct Topology {
    connection: Connection,
    channel: Channel,
    exchange: String,
    queues: Vec<String>,
}

impl Topology {
    async fn declare(target: &Target, pairs: usize) -> BenchResult<Self> {
        let connection = open(target).await?;
        let channel = connection.open_channel(None).await?;
        let exchange = unique("exchange");
        channel
            .exchange_declare(ExchangeDeclareArguments::new(&exchange, "topic"))
            .await?;
        let mut queues = Vec::with_capacity(pairs);
        for pair in 0..pairs {
            let queue = unique("queue");
            channel
                .queue_declare(QueueDeclareArguments::new(&queue))
                .await?;
            channel
                .queue_bind(QueueBindArguments::new(
                    &queue,
                    &exchange,
                    &format!("calls.{pair}.*"),
                ))
                .await?;
            queues.push(queue);
        }
        Ok(Self {
            connection,
            channel,
            exchange,
            queues,
        })
    }

    async fn message_count(&self, queue: &str) -> BenchResult<u32> {
        let declared = self
            .channel
            .queue_declare(QueueDeclareArguments::new(queue).passive(true).finish())
            .await?;
        Ok(declared.map_or(0, |(_, messages, _)| messages))
    }

    async fn remove(self) {
        for queue in &self.queues {
            let _ = self
                .channel
                .queue_delete(QueueDeleteArguments::new(queue))
                .await;
        }
        let _ = self
            .channel
            .exchange_delete(ExchangeDeleteArguments::new(&self.exchange))
            .await;
        let _ = self.channel.close().await;
        let _ = self.connection.close().await;
    }
}

/// Messages per second routed into one queue by one publisher.
async fn publish_only(target: &Target, messages: u64, confirm: bool) -> BenchResult<f64> {
    let topology = Topology::declare(target, 1).await?;
    let mut publisher = Publisher::open(target, confirm).await?;
    let started = Instant::now();
    for _ in 0..messages {
        publisher
            .publish(&topology.exchange, "calls.0.updated", body(0))
            .await?;
    }
    publisher.settled().await;
    if !confirm {
        // Without confirms the client's writes say nothing: wait until the
        // broker has routed every message into the queue.
        while u64::from(topology.message_count(&topology.queues[0]).await?) < messages {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let elapsed = started.elapsed();
    publisher.close().await;
    topology.remove().await;
    Ok(messages as f64 / elapsed.as_secs_f64())
}

/// Consumes `expected` deliveries from `queue` (auto-ack) and returns the
/// publish → deliver latencies in microseconds.
async fn consume(
    target: Target,
    queue: String,
    expected: u64,
    run_started: Instant,
) -> BenchResult<Vec<u64>> {
    let connection = open(&target).await?;
    let channel = connection.open_channel(None).await?;
    let (_tag, mut deliveries) = channel
        .basic_consume_rx(
            BasicConsumeArguments::new(&queue, "")
                .manual_ack(false)
                .finish(),
        )
        .await?;
    let mut latencies = Vec::with_capacity(expected as usize);
    while (latencies.len() as u64) < expected {
        let message = tokio::time::timeout(Duration::from_secs(30), deliveries.recv())
            .await
            .map_err(|_| {
                format!(
                    "no delivery for 30 s after {} of {expected}",
                    latencies.len()
                )
            })?
            .ok_or("the consumer's channel closed")?;
        let now = run_started.elapsed().as_nanos() as u64;
        let sent = message
            .content
            .as_deref()
            .and_then(sent_ns_of)
            .unwrap_or(now);
        latencies.push(now.saturating_sub(sent) / 1_000);
    }
    let _ = channel.close().await;
    let _ = connection.close().await;
    Ok(latencies)
}

/// Publishes and consumes through `pairs` publisher/consumer pairs; with a
/// `pace`, each publisher sends at that many messages per second. Returns the
/// end-to-end rate and the latencies.
async fn end_to_end(
    target: &Target,
    pairs: usize,
    messages: u64,
    confirm: bool,
    pace: Option<f64>,
) -> BenchResult<(f64, Vec<u64>)> {
    let topology = Topology::declare(target, pairs).await?;
    let per_pair = messages / pairs as u64;
    let run_started = Instant::now();
    let mut consumers = Vec::new();
    for queue in &topology.queues {
        consumers.push(tokio::spawn(consume(
            target.clone(),
            queue.clone(),
            per_pair,
            run_started,
        )));
    }
    // Let every consumer attach before the clock starts.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let mut publishers = Vec::new();
    for pair in 0..pairs {
        let mut publisher = Publisher::open(target, confirm).await?;
        let exchange = topology.exchange.clone();
        publishers.push(tokio::spawn(async move {
            let key = format!("calls.{pair}.updated");
            let interval = pace.map(|rate| Duration::from_secs_f64(1.0 / rate));
            let paced_from = Instant::now();
            for sent in 0..per_pair {
                if let Some(interval) = interval {
                    let due = paced_from + interval * sent as u32;
                    tokio::time::sleep_until(due.into()).await;
                }
                let now = run_started.elapsed().as_nanos() as u64;
                publisher.publish(&exchange, &key, body(now)).await?;
            }
            publisher.settled().await;
            publisher.close().await;
            BenchResult::Ok(())
        }));
    }
    for publisher in publishers {
        publisher.await??;
    }
    let mut latencies = Vec::new();
    for consumer in consumers {
        latencies.extend(consumer.await??);
    }
    let elapsed = started.elapsed();
    topology.remove().await;
    Ok((
        (per_pair * pairs as u64) as f64 / elapsed.as_secs_f64(),
        latencies,
    ))
}

/// Publish rate with confirms when the exchange holds `bindings` topic
/// bindings, of which one matches.
async fn routing(target: &Target, bindings: usize, messages: u64) -> BenchResult<f64> {
    let topology = Topology::declare(target, 1).await?;
    let sink = unique("sink");
    topology
        .channel
        .queue_declare(QueueDeclareArguments::new(&sink))
        .await?;
    for binding in 1..bindings {
        // Shaped like real Wazo bindings: a per-user ACL-style key each.
        let key = format!("config.users.{binding}.forwards.*.updated");
        let mut arguments = QueueBindArguments::new(&sink, &topology.exchange, &key);
        arguments.no_wait = true;
        topology.channel.queue_bind(arguments).await?;
    }
    // A synchronous call after the pipelined binds: they are all in place.
    topology.message_count(&sink).await?;
    let mut publisher = Publisher::open(target, true).await?;
    let started = Instant::now();
    for _ in 0..messages {
        publisher
            .publish(&topology.exchange, "calls.0.updated", body(0))
            .await?;
    }
    publisher.settled().await;
    let elapsed = started.elapsed();
    publisher.close().await;
    let _ = topology
        .channel
        .queue_delete(QueueDeleteArguments::new(&sink))
        .await;
    topology.remove().await;
    Ok(messages as f64 / elapsed.as_secs_f64())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn percentile(sorted: &[u64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index] as f64
}

/// One row of the table: the figure on each broker, and which way is better.
struct Row {
    name: String,
    unit: &'static str,
    embedded: f64,
    rabbitmq: f64,
    higher_is_better: bool,
}

impl Row {
    fn print(&self) {
        // The ratio always reads "how many times better the embedded broker is".
        let ratio = if self.higher_is_better {
            self.embedded / self.rabbitmq
        } else {
            self.rabbitmq / self.embedded
        };
        println!(
            "| {:<48} | {:>12.0} {:<5} | {:>12.0} {:<5} | {:>6.2}× |",
            self.name, self.embedded, self.unit, self.rabbitmq, self.unit, ratio
        );
    }
}

struct Options {
    messages: u64,
    rabbitmq: Target,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        messages: 100_000,
        rabbitmq: Target {
            host: "127.0.0.1".into(),
            port: 5672,
        },
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--messages" => {
                options.messages = value
                    .parse()
                    .map_err(|_| format!("--messages: `{value}` is not a number"))?;
            }
            "--rabbitmq" => {
                let (host, port) = value
                    .rsplit_once(':')
                    .ok_or(format!("--rabbitmq: `{value}` is not HOST:PORT"))?;
                options.rabbitmq = Target {
                    host: host.to_owned(),
                    port: port
                        .parse()
                        .map_err(|_| format!("--rabbitmq: `{port}` is not a port"))?,
                };
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

async fn measure_rate<F, Fut>(brokers: [&Target; 2], measure: F) -> BenchResult<(f64, f64)>
where
    F: Fn(Target) -> Fut,
    Fut: Future<Output = BenchResult<f64>>,
{
    let mut figures = [Vec::new(), Vec::new()];
    // Alternate the brokers so that a burst of machine noise hits both.
    for _ in 0..3 {
        for (slot, target) in brokers.iter().enumerate() {
            figures[slot].push(measure((*target).clone()).await?);
        }
    }
    let [embedded, rabbitmq] = figures;
    Ok((median(embedded), median(rabbitmq)))
}

async fn startup_micros() -> BenchResult<f64> {
    let mut samples = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        let broker = EmbeddedBroker::start(Config::default()).await?;
        tokio::net::TcpStream::connect(broker.addr()).await?;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
        broker.shutdown().await;
    }
    Ok(median(samples))
}

async fn run(options: Options) -> BenchResult<()> {
    let broker = EmbeddedBroker::start(Config::default()).await?;
    let embedded = Target {
        host: "127.0.0.1".into(),
        port: broker.addr().port(),
    };
    let rabbitmq = options.rabbitmq.clone();
    open(&rabbitmq).await.map_err(|error| {
        format!(
            "RabbitMQ at {}:{} does not answer ({error}); start it with `cargo xtask rabbitmq up`",
            rabbitmq.host, rabbitmq.port
        )
    })?;
    let brokers = [&embedded, &rabbitmq];
    let messages = options.messages;
    println!(
        "switchboard-broker bench: {messages} messages of {} bytes per rate, median of 3 runs\n",
        body(0).len()
    );
    println!(
        "| {:<48} | {:>18} | {:>18} | {:>7} |",
        "measure", "embedded", "RabbitMQ", "ratio"
    );
    println!("|{:-<50}|{:-<20}|{:-<20}|{:-<9}|", "", "", "", "");
    for confirm in [false, true] {
        let (e, r) = measure_rate(brokers, |target| async move {
            publish_only(&target, messages, confirm).await
        })
        .await?;
        Row {
            name: format!("publish only, confirms {}", on_off(confirm)),
            unit: "msg/s",
            embedded: e,
            rabbitmq: r,
            higher_is_better: true,
        }
        .print();
    }
    for pairs in [1, 4] {
        for confirm in [false, true] {
            let (e, r) = measure_rate(brokers, |target| async move {
                Ok(end_to_end(&target, pairs, messages, confirm, None).await?.0)
            })
            .await?;
            Row {
                name: format!(
                    "end to end {pairs} pub / {pairs} con, confirms {}",
                    on_off(confirm)
                ),
                unit: "msg/s",
                embedded: e,
                rabbitmq: r,
                higher_is_better: true,
            }
            .print();
        }
    }
    let mut latency = Vec::new();
    for target in brokers {
        let (_, mut micros) = end_to_end(target, 1, 25_000, false, Some(5_000.0)).await?;
        micros.sort_unstable();
        latency.push(micros);
    }
    for (label, fraction) in [("p50", 0.5), ("p99", 0.99)] {
        Row {
            name: format!("latency {label} at 5 000 msg/s"),
            unit: "µs",
            embedded: percentile(&latency[0], fraction),
            rabbitmq: percentile(&latency[1], fraction),
            higher_is_better: false,
        }
        .print();
    }
    let routed = (messages / 4).max(1);
    for bindings in [10, 1_000, 100_000] {
        let (e, r) = measure_rate(brokers, |target| async move {
            routing(&target, bindings, routed).await
        })
        .await?;
        Row {
            name: format!("publish with {bindings} topic bindings, confirms on"),
            unit: "msg/s",
            embedded: e,
            rabbitmq: r,
            higher_is_better: true,
        }
        .print();
    }
    broker.shutdown().await;
    println!(
        "\nstart() to an accepted connection: {:.0} µs (median of 21)",
        startup_micros().await?
    );
    Ok(())
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("bench: {error}\nusage: bench [--messages N] [--rabbitmq HOST:PORT]");
            return std::process::ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
