//! Every shipped scenario, played on the embedded broker, on RabbitMQ and on
//! a RabbitMQ container, recorded and snapshot-tested against ONE snapshot
//! file per scenario: any difference between the brokers, or any change in
//! what a scenario publishes, fails. Every published message passes the
//! contract checker.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Bus, TestBus, container_engine, delete_exchange, unique};
use rstest::rstest;
use serde_json::json;
use switchboard::contract;
use switchboard::harness::{Harness, HarnessOptions};
use switchboard::provision::{AmqpUrl, BrokerSpec, provision};
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
    play_and_snapshot(&bus.url, &path).await;
}

/// Every scenario on one RabbitMQ container started as `--broker container`
/// starts it (one container for all: starting RabbitMQ takes seconds),
/// against the same snapshot files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_deliveries_on_a_container() {
    if container_engine("scenario_deliveries_on_a_container")
        .await
        .is_none()
    {
        return;
    }
    let broker = provision(&BrokerSpec::Container(None)).await.unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 4, "{paths:?}");
    for path in &paths {
        play_and_snapshot(broker.url(), path).await;
    }
    broker.shutdown().await.unwrap();
}

/// Plays the scenario at `path` on the broker at `url` on a private
/// exchange (shown as `xivo`), checks every delivery against the contract
/// and the recording against `snapshots/scenario_NAME.snap`.
async fn play_and_snapshot(url: &AmqpUrl, path: &Path) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let scenario = Scenario::load(path).unwrap();
    // RabbitMQ is shared with other tests: a private exchange, shown as `xivo`.
    let exchange = unique("switchboard-test-xivo");
    let harness = Harness::start_with(
        BrokerSpec::Url(url.clone()),
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
    delete_exchange(url, &exchange).await;

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
