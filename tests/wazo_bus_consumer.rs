//! Consumers written the way current Wazo consumes, against a scenario
//! played with `--profile wazo`, on the embedded broker and on RabbitMQ:
//!
//! - `examples/wazo_bus_consumer.py` (kombu) binds `wazo-headers` with
//!   `{name, x-match: all}` per event and with `{user_uuid:<uuid>: true}`
//!   for one user; it must receive exactly the messages whose headers match,
//!   in publishing order;
//! - a topic consumer on `xivo`, as the document's example binds it, hears
//!   only what wazo-auth publishes: a current Wazo routes `xivo` to
//!   `wazo-headers`, never back.

mod common;

use std::time::Duration;

use common::{Bus, TestBus, delete_exchange, unique};
use rstest::rstest;
use serde_json::Value;
use switchboard::catalog::wazo::Profile;
use switchboard::harness::{self, Harness, HarnessOptions, PlayOptions};
use switchboard::provision::BrokerSpec;
use switchboard::record::{ExternalConsumer, Recorder, RecorderOptions};
use switchboard::scenario::Scenario;

const SUBSCRIBED: &[&str] = &["call_created", "call_answered", "call_ended"];

fn scenario(name: &str) -> Scenario {
    Scenario::load(format!(
        "{}/scenarios/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[rstest]
#[tokio::test]
async fn a_wazo_bus_consumer_receives_what_its_bindings_match(
    #[values(Bus::Embedded, Bus::RabbitMq)] bus: Bus,
) {
    let test = format!("a_wazo_bus_consumer_receives_what_its_bindings_match({bus:?})");
    if !common::kombu(&test) {
        return;
    }
    let Some(bus) = TestBus::start(bus, &test).await else {
        return;
    };
    let topic = unique("switchboard-test-xivo");
    let headers = unique("switchboard-test-wazo-headers");
    let harness = Harness::start_with(
        BrokerSpec::Url(bus.url.clone()),
        HarnessOptions {
            profile: Profile::Wazo,
            exchange: topic.clone(),
            headers_exchange: headers.clone(),
            ..HarnessOptions::default()
        },
    )
    .await
    .unwrap();
    let options = PlayOptions {
        profile: Profile::Wazo,
        ..PlayOptions::default()
    };
    let rendered = harness::render_scenario(&scenario("call_lifecycle"), &options).unwrap();
    let alice = rendered.directory.users["alice"].uuid;
    let command = format!(
        "WAZO_HEADERS_EXCHANGE={headers} python3 {}/examples/wazo_bus_consumer.py {} --user {alice}",
        env!("CARGO_MANIFEST_DIR"),
        SUBSCRIBED.join(" ")
    );
    let mut consumer = ExternalConsumer::spawn(&command, harness.url()).unwrap();
    consumer
        .wait_for_line(
            &regex::Regex::new("^ready$").unwrap(),
            Duration::from_secs(30),
        )
        .await
        .unwrap();

    let expected_by_name: Vec<String> = rendered
        .messages
        .iter()
        .filter(|sent| SUBSCRIBED.contains(&sent.message.name.as_str()))
        .map(|sent| format!("by-name {} {}", sent.message.name, sent.message.routing_key))
        .collect();
    let flag = format!("user_uuid:{alice}");
    let expected_by_user: Vec<String> = rendered
        .messages
        .iter()
        .filter(|sent| sent.message.headers.get(&flag) == Some(&Value::Bool(true)))
        .map(|sent| format!("by-user {} {}", sent.message.name, sent.message.routing_key))
        .collect();
    assert!(!expected_by_name.is_empty() && !expected_by_user.is_empty());
    // The trunk's channel is published too, addressed to no user.
    assert!(expected_by_user.len() < rendered.messages.len());

    harness.play_rendered(rendered, 0.0).await.unwrap();
    consumer
        .wait_until_quiet(Duration::from_millis(500), Duration::from_secs(20))
        .await;
    let output = consumer.stop().await;
    harness.shutdown().await.unwrap();
    delete_exchange(&bus.url, &topic).await;
    delete_exchange(&bus.url, &headers).await;

    let lines = |prefix: &str| -> Vec<String> {
        output
            .lines()
            .filter(|line| line.starts_with(prefix))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(lines("by-name "), expected_by_name, "{output}");
    assert_eq!(lines("by-user "), expected_by_user, "{output}");
}

#[rstest]
#[tokio::test]
async fn a_topic_consumer_on_xivo_hears_only_wazo_auth(
    #[values(Bus::Embedded, Bus::RabbitMq)] bus: Bus,
) {
    let test = format!("a_topic_consumer_on_xivo_hears_only_wazo_auth({bus:?})");
    let Some(bus) = TestBus::start(bus, &test).await else {
        return;
    };
    let topic = unique("switchboard-test-xivo");
    let headers = unique("switchboard-test-wazo-headers");
    let harness = Harness::start_with(
        BrokerSpec::Url(bus.url.clone()),
        HarnessOptions {
            profile: Profile::Wazo,
            exchange: topic.clone(),
            headers_exchange: headers.clone(),
            ..HarnessOptions::default()
        },
    )
    .await
    .unwrap();
    let on_xivo = Recorder::start(
        &bus.url,
        &RecorderOptions {
            exchange: topic.clone(),
            profile: Profile::Documented,
            ..RecorderOptions::default()
        },
    )
    .await
    .unwrap();
    let options = PlayOptions {
        profile: Profile::Wazo,
        ..PlayOptions::default()
    };
    let mut played = 0;
    for name in ["call_lifecycle", "auth_tenants"] {
        played += harness
            .play_with(&scenario(name), &options)
            .await
            .unwrap()
            .published;
    }
    // Everything reaches wazo-headers; only wazo-auth's tenants reach xivo.
    let everything = harness
        .recorder()
        .wait_for(played, Duration::from_secs(10))
        .await
        .unwrap();
    let from_auth = everything
        .iter()
        .filter(|delivery| delivery.routing_key.starts_with("auth."))
        .count();
    assert!(from_auth > 0 && from_auth < played);
    let heard = on_xivo
        .wait_for(from_auth, Duration::from_secs(10))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(on_xivo.deliveries().len(), from_auth);
    assert!(
        heard
            .iter()
            .all(|delivery| delivery.routing_key.starts_with("auth."))
    );
    on_xivo.shutdown().await;
    harness.shutdown().await.unwrap();
    delete_exchange(&bus.url, &topic).await;
    delete_exchange(&bus.url, &headers).await;
}

/// The `wazo` profile's headers have the AMQP types kombu (py-amqp) gives
/// the Python values wazo-bus puts there: strings `S`, the `user_uuid:…`
/// flags `t`, `conference_id` a 32-bit `I`; the body is Python's JSON text.
#[tokio::test]
async fn headers_have_the_types_kombu_writes() {
    use amqprs::channel::{BasicGetArguments, QueueBindArguments, QueueDeclareArguments};
    use amqprs::{FieldName, FieldValue};
    let Some(bus) = TestBus::start(Bus::Embedded, "headers_have_the_types_kombu_writes").await
    else {
        return;
    };
    let harness = Harness::start_with(
        BrokerSpec::Url(bus.url.clone()),
        HarnessOptions {
            profile: Profile::Wazo,
            ..HarnessOptions::default()
        },
    )
    .await
    .unwrap();
    let connection = switchboard::provision::connect(
        &bus.url,
        "types-probe",
        switchboard::provision::DEFAULT_CONNECT_TIMEOUT,
    )
    .await
    .unwrap();
    let channel = connection.open_channel(None).await.unwrap();
    let (queue, _, _) = channel
        .queue_declare(QueueDeclareArguments::exclusive_server_named())
        .await
        .unwrap()
        .unwrap();
    channel
        .queue_bind(QueueBindArguments::new(&queue, "wazo-headers", ""))
        .await
        .unwrap();
    let options = PlayOptions {
        profile: Profile::Wazo,
        ..PlayOptions::default()
    };
    harness
        .play_with(&scenario("conference"), &options)
        .await
        .unwrap();
    let (_, properties, body) = channel
        .basic_get(BasicGetArguments::new(&queue).no_ack(true).finish())
        .await
        .unwrap()
        .expect("a participant joined");
    let headers = properties.headers().unwrap();
    let field = |name: &str| {
        headers
            .as_ref()
            .get(&FieldName::try_from(name).unwrap())
            .cloned()
    };
    assert!(matches!(field("conference_id"), Some(FieldValue::I(1))));
    assert!(matches!(field("name"), Some(FieldValue::S(_))));
    assert!(matches!(field("timestamp"), Some(FieldValue::S(_))));
    let flags: Vec<_> = headers
        .as_ref()
        .iter()
        .filter(|(name, _)| name.as_ref().starts_with("user_uuid:"))
        .collect();
    assert!(!flags.is_empty());
    assert!(
        flags
            .iter()
            .all(|(_, value)| matches!(value, FieldValue::t(true)))
    );
    assert_eq!(properties.delivery_mode(), Some(2));
    assert_eq!(
        properties.content_encoding().map(String::as_str),
        Some("utf-8")
    );
    let text = String::from_utf8(body).unwrap();
    assert!(text.starts_with("{\"tenant_uuid\": \""), "{text}");
    let _ = channel.close().await;
    let _ = connection.close().await;
    harness.shutdown().await.unwrap();
}
