//! Helpers shared by the end-to-end tests: finding RabbitMQ (or skipping
//! loudly), unique names, and tidying up what a test declared.

#![allow(dead_code)] // Each test file uses its own subset.

use std::time::Duration;

use amqprs::channel::ExchangeDeleteArguments;
use serde_json::{Map, Value, json};
use switchboard::provision::{AmqpUrl, DEFAULT_CONNECT_TIMEOUT, connect};
use switchboard::sink::Outgoing;

/// The default RabbitMQ the tests use when `SWITCHBOARD_RABBITMQ_URL` is unset.
pub const DEFAULT_RABBITMQ_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// The RabbitMQ to test against, or `None` (after a loud SKIPPED line) when
/// nothing answers — unless `SWITCHBOARD_REQUIRE_RABBITMQ=1`, which fails.
pub async fn rabbitmq(test: &str) -> Option<AmqpUrl> {
    let raw =
        std::env::var("SWITCHBOARD_RABBITMQ_URL").unwrap_or_else(|_| DEFAULT_RABBITMQ_URL.into());
    let url: AmqpUrl = raw
        .parse()
        .expect("SWITCHBOARD_RABBITMQ_URL is not a valid amqp:// URL");
    match connect(&url, "switchboard-test-probe", Duration::from_secs(3)).await {
        Ok(connection) => {
            let _ = connection.close().await;
            Some(url)
        }
        Err(error) if std::env::var("SWITCHBOARD_REQUIRE_RABBITMQ").as_deref() == Ok("1") => {
            panic!("{test}: RabbitMQ is required (SWITCHBOARD_REQUIRE_RABBITMQ=1): {error}")
        }
        Err(error) => {
            eprintln!("SKIPPED: {test}: no RabbitMQ answers ({error})");
            None
        }
    }
}

/// A name no parallel test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Deletes an exchange a test declared (durable ones outlive connections).
pub async fn delete_exchange(url: &AmqpUrl, exchange: &str) {
    let connection = connect(url, "switchboard-test-cleanup", DEFAULT_CONNECT_TIMEOUT)
        .await
        .unwrap();
    let channel = connection.open_channel(None).await.unwrap();
    channel
        .exchange_delete(ExchangeDeleteArguments::new(exchange))
        .await
        .unwrap();
    let _ = channel.close().await;
    let _ = connection.close().await;
}

/// A Wazo-shaped message: `name`, `origin_uuid`, `required_acl` and an
/// event-specific boolean header, numbered `index`.
pub fn wazo_message(index: usize, routing_key: &str) -> Outgoing {
    let name = format!("event_{index}");
    let mut headers = Map::new();
    headers.insert("name".into(), json!(name));
    headers.insert(
        "origin_uuid".into(),
        json!("ca7f87e9-c2c8-5fad-ba1b-c3140ebb9be3"),
    );
    headers.insert(
        "required_acl".into(),
        json!(format!("events.{routing_key}")),
    );
    headers.insert(
        "user_uuid:2e752722-0864-4665-887d-a78a024cf7c7".into(),
        json!(true),
    );
    headers.insert("index".into(), json!(index));
    let body = json!({
        "name": name,
        "origin_uuid": "ca7f87e9-c2c8-5fad-ba1b-c3140ebb9be3",
        "required_acl": format!("events.{routing_key}"),
        "data": {"index": index, "call_id": format!("1700000000.{index}")},
    });
    Outgoing::json(name, routing_key, headers, &body)
}

/// The headers of `message` as the recorder reports them: sorted by name.
pub fn sorted_headers(message: &Outgoing) -> Map<String, Value> {
    let mut headers = message.headers.clone();
    headers.sort_keys();
    headers
}

/// The brokers the transport tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bus {
    /// switchboard's embedded broker, started for the test.
    Embedded,
    /// The RabbitMQ at `SWITCHBOARD_RABBITMQ_URL`.
    RabbitMq,
}

/// A broker a test can connect to several times; the embedded one stops
/// when this is dropped.
#[derive(Debug)]
pub struct TestBus {
    pub url: AmqpUrl,
    _embedded: Option<switchboard_broker::BrokerHandle>,
}

impl TestBus {
    /// Starts or finds the broker; `None` (after a loud SKIPPED line) when
    /// RabbitMQ is wanted and absent.
    pub async fn start(bus: Bus, test: &str) -> Option<Self> {
        match bus {
            Bus::RabbitMq => Some(Self {
                url: rabbitmq(test).await?,
                _embedded: None,
            }),
            Bus::Embedded => Self::embedded(switchboard_broker::Config::default()).await,
        }
    }

    /// An embedded broker with a specific configuration.
    pub async fn embedded(config: switchboard_broker::Config) -> Option<Self> {
        let handle = switchboard_broker::EmbeddedBroker::start(config)
            .await
            .unwrap();
        Some(Self {
            url: handle.url().parse().unwrap(),
            _embedded: Some(handle),
        })
    }
}

/// Whether `python3 -c 'import kombu'` works; a loud SKIPPED line when not,
/// unless `SWITCHBOARD_REQUIRE_KOMBU=1` (set by `.ci/run`), which fails.
pub fn kombu(test: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import kombu"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        if std::env::var("SWITCHBOARD_REQUIRE_KOMBU").as_deref() == Ok("1") {
            panic!(
                "{test}: kombu is required (SWITCHBOARD_REQUIRE_KOMBU=1) but python3 cannot import it"
            );
        }
        eprintln!("SKIPPED: {test}: python3 cannot import kombu (pip install kombu)");
    }
    found
}

/// Whether container tests must run (`SWITCHBOARD_REQUIRE_DOCKER=1`, set by
/// `.ci/run`) rather than skip when no engine or image is available.
pub fn docker_required() -> bool {
    std::env::var("SWITCHBOARD_REQUIRE_DOCKER").as_deref() == Ok("1")
}

/// The Docker engine and the image `--broker container` would run, or
/// `None` (after a loud SKIPPED line) when there is no engine or no image —
/// unless `SWITCHBOARD_REQUIRE_DOCKER=1`, which fails.
pub async fn container_engine(
    test: &str,
) -> Option<(
    switchboard::provision::container::Engine,
    switchboard::provision::ChosenImage,
)> {
    use switchboard::provision::container::Engine;
    let found = async {
        let engine = Engine::connect().await?;
        let chosen = engine.choose_image(None).await?;
        Ok::<_, switchboard::provision::ContainerError>((engine, chosen))
    };
    match found.await {
        Ok(found) => Some(found),
        Err(error) if docker_required() => {
            panic!(
                "{test}: a Docker engine and a RabbitMQ image are required (SWITCHBOARD_REQUIRE_DOCKER=1): {error}"
            )
        }
        Err(error) => {
            eprintln!("SKIPPED: {test}: {error}");
            None
        }
    }
}
