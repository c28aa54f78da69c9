//! `cargo xtask bench websocketd`: fan-out through the Wazo WebSocket.
//!
//! N sessions, one user each (default user policy token, subscribed to
//! `call_updated`, started), and a publisher sending R events per second in
//! total on `wazo-headers`, each addressed to one user in turn
//! (`user_uuid:<user>`, ACL `events.calls.<user>`), carrying its publish time.
//! Every frame a session receives gives one publish→frame latency.
//!
//! The baseline runs first, in the same process and on the same broker: the
//! same events consumed directly over AMQP by N consumers, each with its own
//! queue bound on `wazo-headers` for its user, as websocketd's session
//! queues are, minus the WebSocket hop. Both lines are printed side by side.
//!
//! Usage: `bench_websocketd [--sessions N] [--rate R] [--seconds S] [--broker URL]`
//! (default 1000 sessions, 10 000 events/s, 5 s, the embedded broker).
//! `BENCH_BASELINE_CONNECTIONS=N` spreads the baseline's consumers over N
//! AMQP connections (default 4; the WebSocket uses one, as websocketd does).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use amqprs::channel::{
    BasicConsumeArguments, BasicPublishArguments, Channel, ExchangeDeclareArguments, ExchangeType,
    QueueBindArguments, QueueDeclareArguments,
};
use amqprs::connection::Connection;
use amqprs::{BasicProperties, FieldTable, FieldValue};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use switchboard::provision::{AmqpUrl, DEFAULT_CONNECT_TIMEOUT, connect};
use switchboard::websocketd::{self, Options, Token};
use switchboard_broker::{Config, EmbeddedBroker};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const EVENT: &str = "call_updated";

struct Settings {
    sessions: usize,
    rate: u64,
    seconds: u64,
    broker: Option<String>,
}

fn settings() -> anyhow::Result<Settings> {
    let mut settings = Settings {
        sessions: 1_000,
        rate: 10_000,
        seconds: 5,
        broker: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sessions" => settings.sessions = value.parse()?,
            "--rate" => settings.rate = value.parse()?,
            "--seconds" => settings.seconds = value.parse()?,
            "--broker" => settings.broker = Some(value.clone()),
            other => anyhow::bail!(
                "unknown option {other}; options: --sessions --rate --seconds --broker"
            ),
        }
    }
    anyhow::ensure!(
        settings.sessions > 0 && settings.rate > 0 && settings.seconds > 0,
        "every figure must be positive"
    );
    Ok(settings)
}

/// Latencies (µs) and a count, shared by the receivers of one phase.
#[derive(Clone)]
struct Latencies {
    histogram: Arc<Mutex<Histogram<u64>>>,
}

impl Latencies {
    fn new() -> Self {
        Self {
            histogram: Arc::new(Mutex::new(
                Histogram::new_with_bounds(1, 60_000_000, 3).unwrap(),
            )),
        }
    }

    /// Records the latency of a body carrying `data.sent_us`.
    fn record(&self, body: &Value) {
        let Some(sent) = body["data"]["sent_us"].as_u64() else {
            return;
        };
        let latency = now_us().saturating_sub(sent).max(1);
        let _ = self.histogram.lock().unwrap().record(latency);
    }

    fn count(&self) -> u64 {
        self.histogram.lock().unwrap().len()
    }

    fn line(&self, label: &str, published: u64) -> String {
        let h = self.histogram.lock().unwrap();
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        format!(
            "{label:<26} received {:>7}/{published:<7} p50 {:>7.2} ms  p99 {:>7.2} ms  p99.9 {:>7.2} ms  max {:>7.2} ms",
            h.len(),
            ms(0.5),
            ms(0.99),
            ms(0.999),
            h.max() as f64 / 1000.0
        )
    }

    fn p99_ms(&self) -> f64 {
        self.histogram.lock().unwrap().value_at_quantile(0.99) as f64 / 1000.0
    }
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64
}

fn text(value: &str) -> FieldValue {
    FieldValue::S(value.try_into().unwrap())
}

fn put(table: &mut FieldTable, name: &str, value: FieldValue) {
    table.insert(name.try_into().unwrap(), value);
}

/// Publishes `rate` events per second for `seconds`, round-robin over `users`.
async fn publish(
    channel: &Channel,
    origin: Uuid,
    tenant: Uuid,
    users: &[Uuid],
    rate: u64,
    seconds: u64,
) -> u64 {
    let total = rate * seconds;
    let started = Instant::now();
    let mut sent = 0;
    while sent < total {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let due = ((started.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        while sent < due {
            let user = users[(sent as usize) % users.len()];
            let acl = format!("events.calls.{user}");
            let flag = format!("user_uuid:{user}");
            let mut headers = FieldTable::new();
            put(&mut headers, "name", text(EVENT));
            put(&mut headers, "origin_uuid", text(&origin.to_string()));
            put(&mut headers, "tenant_uuid", text(&tenant.to_string()));
            put(&mut headers, "required_acl", text(&acl));
            put(&mut headers, &flag, FieldValue::t(true));
            let body = json!({
                "name": EVENT,
                "origin_uuid": origin.to_string(),
                "required_acl": acl,
                "tenant_uuid": tenant.to_string(),
                flag: true,
                "data": {"call_id": format!("1700000000.{sent}"), "user_uuid": user.to_string(), "sent_us": now_us()},
            });
            let mut properties = BasicProperties::default();
            properties
                .with_headers(headers)
                .with_content_type("application/json");
            channel
                .basic_publish(
                    properties,
                    serde_json::to_vec(&body).unwrap(),
                    BasicPublishArguments::new("wazo-headers", ""),
                )
                .await
                .unwrap();
            sent += 1;
        }
    }
    sent
}

/// Waits until `latencies` holds `expected` or nothing new came for 3 s.
async fn drain(latencies: &Latencies, expected: u64) {
    let mut last = latencies.count();
    let mut quiet_since = Instant::now();
    while latencies.count() < expected && quiet_since.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = latencies.count();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
    }
}

/// The baseline: one queue per user on `wazo-headers`, consumed over AMQP.
async fn baseline(
    url: &AmqpUrl,
    settings: &Settings,
    origin: Uuid,
    tenant: Uuid,
    users: &[Uuid],
    publisher: &Channel,
) -> (Latencies, u64) {
    let latencies = Latencies::new();
    let mut connections: Vec<Connection> = Vec::new();
    let pool: usize = std::env::var("BENCH_BASELINE_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    for _ in 0..pool {
        connections.push(
            connect(url, "bench-baseline", DEFAULT_CONNECT_TIMEOUT)
                .await
                .unwrap(),
        );
    }
    let mut channels = Vec::new();
    for (index, user) in users.iter().enumerate() {
        let channel = connections[index % connections.len()]
            .open_channel(None)
            .await
            .unwrap();
        let (queue, _, _) = channel
            .queue_declare(
                QueueDeclareArguments::exclusive_server_named()
                    .auto_delete(true)
                    .finish(),
            )
            .await
            .unwrap()
            .unwrap();
        let mut arguments = FieldTable::new();
        put(&mut arguments, "name", text(EVENT));
        put(
            &mut arguments,
            &format!("user_uuid:{user}"),
            FieldValue::t(true),
        );
        channel
            .queue_bind(
                QueueBindArguments::new(&queue, "wazo-headers", "")
                    .arguments(arguments)
                    .finish(),
            )
            .await
            .unwrap();
        let (_, mut messages) = channel
            .basic_consume_rx(
                BasicConsumeArguments::new(&queue, "")
                    .manual_ack(false)
                    .finish(),
            )
            .await
            .unwrap();
        let latencies = latencies.clone();
        tokio::spawn(async move {
            while let Some(message) = messages.recv().await {
                if let Some(body) = message
                    .content
                    .and_then(|body| serde_json::from_slice::<Value>(&body).ok())
                {
                    latencies.record(&body);
                }
            }
        });
        channels.push(channel);
    }
    let published = publish(
        publisher,
        origin,
        tenant,
        users,
        settings.rate,
        settings.seconds,
    )
    .await;
    drain(&latencies, published).await;
    for channel in channels {
        let _ = channel.close().await;
    }
    for connection in connections {
        let _ = connection.close().await;
    }
    (latencies, published)
}

/// The same through the Wazo WebSocket: a session per user.
async fn through_websocket(
    url: &AmqpUrl,
    settings: &Settings,
    origin: Uuid,
    tenant: Uuid,
    users: &[Uuid],
    publisher: &Channel,
) -> (Latencies, u64) {
    let mut options = Options::new(url.clone());
    options.origin_uuid = origin;
    // Attributing routing drops costs a check per event and session: off, as in the real service.
    options.audit = false;
    for user in users {
        options
            .tokens
            .insert(Token::for_user(user.to_string(), *user, tenant));
    }
    let server = websocketd::start(options).await.unwrap();
    let addr = server.addr();
    let latencies = Latencies::new();
    let started = Instant::now();
    let mut ready = Vec::new();
    for chunk in users.chunks(50) {
        let mut opening = Vec::new();
        for user in chunk {
            let latencies = latencies.clone();
            let url = format!("ws://{addr}/api/websocketd/?token={user}&version=2");
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            tokio::spawn(async move {
                let tcp = TcpStream::connect(addr).await.unwrap();
                tcp.set_nodelay(true).unwrap();
                let (mut ws, _) = tokio_tungstenite::client_async(url.as_str(), tcp)
                    .await
                    .unwrap();
                ws.next().await.unwrap().unwrap(); // init
                ws.send(Message::text(format!(
                    r#"{{"op": "subscribe", "data": {{"event_name": "{EVENT}"}}}}"#
                )))
                .await
                .unwrap();
                ws.next().await.unwrap().unwrap();
                ws.send(Message::text(r#"{"op": "start"}"#)).await.unwrap();
                ws.next().await.unwrap().unwrap();
                let _ = ready_tx.send(());
                while let Some(Ok(message)) = ws.next().await {
                    if let Message::Text(text) = message
                        && let Ok(frame) = serde_json::from_str::<Value>(text.as_str())
                    {
                        latencies.record(&frame["data"]);
                    }
                }
            });
            opening.push(ready_rx);
        }
        for ready_rx in opening {
            ready_rx.await.unwrap();
        }
        ready.push(());
    }
    println!(
        "  {} sessions started in {:.1} s",
        users.len(),
        started.elapsed().as_secs_f64()
    );
    let published = publish(
        publisher,
        origin,
        tenant,
        users,
        settings.rate,
        settings.seconds,
    )
    .await;
    drain(&latencies, published).await;
    server.shutdown().await;
    (latencies, published)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = settings()?;
    let embedded = match &settings.broker {
        None => Some(EmbeddedBroker::start(Config::default()).await?),
        Some(_) => None,
    };
    let url: AmqpUrl = match (&embedded, &settings.broker) {
        (Some(broker), _) => broker.url().parse()?,
        (None, Some(url)) => url.parse()?,
        (None, None) => unreachable!("one of the two is set"),
    };
    let origin = Uuid::new_v4();
    let tenant = Uuid::new_v4();
    let users: Vec<Uuid> = (0..settings.sessions).map(|_| Uuid::new_v4()).collect();
    let connection = connect(&url, "bench-publisher", DEFAULT_CONNECT_TIMEOUT).await?;
    let publisher = connection.open_channel(None).await?;
    publisher
        .exchange_declare(
            ExchangeDeclareArguments::of_type("wazo-headers", ExchangeType::Headers)
                .durable(true)
                .finish(),
        )
        .await?;
    let broker_name = if embedded.is_some() {
        "embedded broker".to_owned()
    } else {
        url.to_string()
    };
    println!(
        "websocketd bench: {} sessions, {} events/s in total for {} s ({} events, each to one user), {broker_name}",
        settings.sessions,
        settings.rate,
        settings.seconds,
        settings.rate * settings.seconds
    );
    println!("baseline: the same events consumed directly over AMQP (one queue per user)");
    let (direct, direct_published) =
        baseline(&url, &settings, origin, tenant, &users, &publisher).await;
    println!("Wazo WebSocket: one session per user");
    let (ws, ws_published) =
        through_websocket(&url, &settings, origin, tenant, &users, &publisher).await;
    println!(
        "{}",
        direct.line("direct AMQP (baseline)", direct_published)
    );
    println!("{}", ws.line("Wazo WebSocket", ws_published));
    let p99 = ws.p99_ms();
    let complete = ws.count() == ws_published;
    println!(
        "target: every event delivered and p99 < 10 ms: {} (p99 {p99:.2} ms, {:.2}x the baseline's)",
        if complete && p99 < 10.0 {
            "met"
        } else {
            "NOT met"
        },
        p99 / direct.p99_ms().max(0.001)
    );
    let _ = publisher.close().await;
    let _ = connection.close().await;
    if let Some(broker) = embedded {
        broker.shutdown().await;
    }
    Ok(())
}
