//! Every shipped scenario, played on the embedded broker and on RabbitMQ,
//! recorded and snapshot-tested against ONE snapshot file per scenario: any
//! difference between the brokers, or any change in what a scenario
//! publishes, fails. Every published message passes the contract checker.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Bus, TestBus, delete_exchange, unique};
use rstest::rstest;
use serde_json::json;
use switchboard::contract;
use switchboard::harness::{Harness, HarnessOptions};
use switchboard::provision::BrokerSpec;
use switchboard::scenario::Scenario;

/// One case per file in `scenarios/`: a new scenario is snapshot-tested
/// without being listed anywhere.
#[rstest]
#[tokio::test]
async fn scenario_deliveries(
    #[files("scenarios/*.toml")] path: PathBuf,
    #[values(Bus::Embedded, Bus::RabbitMq)] bus: Bus,
) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let test = format!("scenario_deliveries({name}, {bus:?})");
    let Some(bus) = TestBus::start(bus, &test).await else {
        return;
    };
    let scenario = Scenario::load(&path).unwrap();
    // RabbitMQ is shared with other tests: a private exchange, shown as `xivo`.
    let exchange = unique("switchboard-test-xivo");
    let harness = Harness::start_with(
        BrokerSpec::Url(bus.url.clone()),
        HarnessOptions {
            exchange: exchange.clone(),
            ..HarnessOptions::default()
        },
    )
    .await
    .unwrap();
    let report = harness.play(&scenario).await.unwrap();
    assert_eq!(report.published, report.messages.len());
    assert_eq!(report.confirmed, report.published);
    let mut deliveries = harness
        .recorder()
        .wait_for(report.published, Duration::from_secs(10))
        .await
        .unwrap();
    harness.shutdown().await.unwrap();
    delete_exchange(&bus.url, &exchange).await;

    assert_eq!(deliveries.len(), report.published, "{name}");
    for (delivery, sent) in deliveries.iter_mut().zip(&report.messages) {
        assert_eq!(delivery.exchange, exchange);
        delivery.exchange = "xivo".into();
        assert_eq!(delivery.routing_key, sent.message.routing_key);
        let record = json!({
            "routing_key": delivery.routing_key,
            "headers": delivery.properties.headers,
            "body": delivery.json().unwrap(),
        });
        let checked = contract::check_wazo(&record);
        assert!(checked.is_ok(), "{name}: {checked}");
    }
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => format!("scenarios/{name}.toml, seed {}, as recorded on every broker", report.seed),
        omit_expression => true,
    }, {
        insta::assert_json_snapshot!(format!("scenario_{name}"), deliveries);
    });
}
