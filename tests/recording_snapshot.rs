//! What a consumer receives, as a snapshot: the same messages published on
//! the embedded broker and on RabbitMQ must record identically, against ONE
//! snapshot file, so any difference between the brokers fails.

mod common;

use std::time::Duration;

use common::{Bus, TestBus, delete_exchange, unique, wazo_message};
use rstest::rstest;
use serde_json::json;
use switchboard::harness::{Harness, HarnessOptions};
use switchboard::provision::BrokerSpec;
use switchboard::sink::Outgoing;

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn recorded_deliveries_are_identical_on_every_broker(#[case] bus: Bus) {
    let Some(bus) = TestBus::start(bus, "recorded_deliveries_are_identical_on_every_broker").await
    else {
        return;
    };
    let exchange = unique("switchboard-test");
    let harness = Harness::start_with(
        BrokerSpec::Url(bus.url.clone()),
        HarnessOptions {
            exchange: exchange.clone(),
            ..HarnessOptions::default()
        },
    )
    .await
    .unwrap();
    let mut text = wazo_message(2, "ami.Newchannel");
    text.body = b"not json".to_vec();
    let mut headers = serde_json::Map::new();
    headers.insert("name".into(), json!("relocate_completed"));
    headers.insert("nested".into(), json!({"b": [1, "two", null], "a": 1.5}));
    let nested = Outgoing::json(
        "relocate_completed",
        "calls.relocate.completed",
        headers,
        &json!(null),
    );
    let messages = [wazo_message(1, "calls.call.created"), text, nested];
    harness.publish(&messages).await.unwrap();
    let mut deliveries = harness
        .recorder()
        .wait_for(messages.len(), Duration::from_secs(10))
        .await
        .unwrap();
    harness.shutdown().await.unwrap();
    delete_exchange(&bus.url, &exchange).await;

    // The only thing that differs by design: each run's private exchange.
    for delivery in &mut deliveries {
        assert_eq!(delivery.exchange, exchange);
        delivery.exchange = "<the test's exchange>".into();
    }
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_json_snapshot!("transport_recorded_deliveries", deliveries);
    });
}
