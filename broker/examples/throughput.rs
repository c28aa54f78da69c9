//! A rough publish+consume rate, embedded broker versus a RabbitMQ, with the
//! same amqprs client code: 1 publisher and 1 consumer connection through a
//! topic exchange, ~400-byte JSON bodies. The formal benchmark is
//! `cargo xtask bench broker`; this is the quick look while developing.
//!
//! ```text
//! cargo run --release -p switchboard-broker --example throughput -- [MESSAGES] [RABBITMQ_URL_HOST:PORT]
//! ```

use std::time::{Duration, Instant};

use amqprs::{
    BasicProperties,
    channel::{
        BasicConsumeArguments, BasicPublishArguments, ExchangeDeclareArguments,
        ExchangeDeleteArguments, QueueBindArguments, QueueDeclareArguments,
    },
    connection::{Connection, OpenConnectionArguments},
};
use switchboard_broker::{Config, EmbeddedBroker};

async fn rate(host: &str, port: u16, messages: usize) -> Result<f64, amqprs::error::Error> {
    let open = OpenConnectionArguments::new(host, port, "guest", "guest");
    let publisher = Connection::open(&open).await?;
    let consumer = Connection::open(&open).await?;
    let publish_channel = publisher.open_channel(None).await?;
    let consume_channel = consumer.open_channel(None).await?;
    let queue = format!("throughput-{}", std::process::id());
    let exchange = queue.clone();
    publish_channel
        .exchange_declare(ExchangeDeclareArguments::new(&exchange, "topic"))
        .await?;
    consume_channel
        .queue_declare(QueueDeclareArguments::new(&queue).exclusive(true).finish())
        .await?;
    consume_channel
        .queue_bind(QueueBindArguments::new(&queue, &exchange, "calls.*"))
        .await?;
    let (_tag, mut deliveries) = consume_channel
        .basic_consume_rx(
            BasicConsumeArguments::new(&queue, "")
                .manual_ack(false)
                .finish(),
        )
        .await?;
    let body = format!(
        "{{\"name\":\"call_created\",\"origin_uuid\":\"{}\",\"data\":{{\"pad\":\"{}\"}}}}",
        "u".repeat(36),
        "x".repeat(300)
    );
    let started = Instant::now();
    let publish_exchange = exchange.clone();
    let publishing = tokio::spawn(async move {
        for _ in 0..messages {
            publish_channel
                .basic_publish(
                    BasicProperties::default()
                        .with_content_type("application/json")
                        .finish(),
                    body.clone().into_bytes(),
                    BasicPublishArguments::new(&publish_exchange, "calls.call_created"),
                )
                .await?;
        }
        Ok::<_, amqprs::error::Error>(publish_channel)
    });
    for _ in 0..messages {
        if tokio::time::timeout(Duration::from_secs(30), deliveries.recv())
            .await
            .ok()
            .flatten()
            .is_none()
        {
            break;
        }
    }
    let elapsed = started.elapsed();
    let publish_channel = publishing.await.expect("publisher task")?;
    // Leave nothing behind on a shared RabbitMQ (the queue is exclusive).
    let _ = publish_channel
        .exchange_delete(ExchangeDeleteArguments::new(&exchange))
        .await;
    let _ = publish_channel.close().await;
    let _ = publisher.close().await;
    let _ = consumer.close().await;
    Ok(messages as f64 / elapsed.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let messages: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let rabbitmq = args.next().unwrap_or_else(|| "127.0.0.1:5672".to_owned());

    let before_start = Instant::now();
    let broker = match EmbeddedBroker::start(Config::default()).await {
        Ok(broker) => broker,
        Err(error) => {
            eprintln!("cannot start the embedded broker: {error}");
            std::process::exit(2);
        }
    };
    let accepted = tokio::net::TcpStream::connect(broker.addr())
        .await
        .map(drop);
    println!(
        "start() to accepted connection: {:?} ({accepted:?})",
        before_start.elapsed()
    );

    let embedded = rate("127.0.0.1", broker.addr().port(), messages).await;
    println!("embedded: {embedded:.0?} msg/s end to end ({messages} messages)");
    let (host, port) = rabbitmq.rsplit_once(':').unwrap_or(("127.0.0.1", "5672"));
    let real = rate(host, port.parse().unwrap_or(5672), messages).await;
    println!("rabbitmq: {real:.0?} msg/s end to end ({messages} messages)");
    if let (Ok(embedded), Ok(real)) = (embedded, real) {
        println!("ratio embedded/rabbitmq: {:.2}", embedded / real);
    }
    broker.shutdown().await;
}
