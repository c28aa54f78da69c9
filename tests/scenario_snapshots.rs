//! Every shipped scenario, played on the embedded broker and on RabbitMQ,
//! recorded and snapshot-tested against ONE snapshot file per scenario: any
//! difference between the brokers, or any change in what a scenario
//! publishes, fails. Every published message passes the contract checker.

mod common;

use std::time::Duration;

use common::{Bus, TestBus, delete_exchange, unique};
use rstest::rstest;
use serde_json::json;
use switchboard::contract;
use switchboard::harness::{Harness, HarnessOptions};
use switchboard::provision::BrokerSpec;
use switchboard::scenario::Scenario;

/// The shipped scenarios; `the_list_is_every_shipped_scenario` keeps it complete.
const SCENARIOS: &[&str] = &[
    "agent_status",
    "ami",
    "auth_tenants",
    "call_busy",
    "call_failover",
    "call_lifecycle",
    "call_log_and_recording",
    "call_outbound",
    "call_relocate",
    "call_unanswered",
    "conference",
    "directory_favorites",
    "fax_failure",
    "fax_success",
    "inbound_call_to_device",
    "messages",
    "plugins",
    "ring_group",
    "service_registry",
    "user_admin",
    "voicemail",
];

#[test]
fn the_list_is_every_shipped_scenario() {
    let mut shipped: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
    shipped.sort();
    assert_eq!(shipped, SCENARIOS);
}

#[rstest]
#[tokio::test]
async fn scenario_deliveries(
    #[values(
        "agent_status",
        "ami",
        "auth_tenants",
        "call_busy",
        "call_failover",
        "call_lifecycle",
        "call_log_and_recording",
        "call_outbound",
        "call_relocate",
        "call_unanswered",
        "conference",
        "directory_favorites",
        "fax_failure",
        "fax_success",
        "inbound_call_to_device",
        "messages",
        "plugins",
        "ring_group",
        "ring_group",
        "service_registry",
        "user_admin",
        "voicemail"
    )]
    name: &str,
    #[values(Bus::Embedded, Bus::RabbitMq)] bus: Bus,
) {
    let test = format!("scenario_deliveries({name}, {bus:?})");
    let Some(bus) = TestBus::start(bus, &test).await else {
        return;
    };
    let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
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
