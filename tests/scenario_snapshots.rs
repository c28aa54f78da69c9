//! Every shipped scenario, in both profiles, played on the embedded broker
//! and on RabbitMQ, recorded and snapshot-tested against ONE snapshot file
//! per scenario and profile: any difference between the brokers, or any
//! change in what a scenario publishes, fails. Every published message
//! passes the contract checker of its profile, and `auto` recognises it.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Bus, TestBus, delete_exchange, unique};
use rstest::rstest;
use switchboard::catalog::wazo::Profile;
use switchboard::contract;
use switchboard::harness::{Harness, HarnessOptions, PlayOptions};
use switchboard::provision::BrokerSpec;
use switchboard::scenario::Scenario;
use switchboard::sink::{WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};

/// One case per file in `scenarios/`: a new scenario is snapshot-tested
/// without being listed anywhere.
#[rstest]
#[tokio::test]
async fn scenario_deliveries(
    #[files("scenarios/*.toml")] path: PathBuf,
    #[values(Bus::Embedded, Bus::RabbitMq)] bus: Bus,
    #[values(Profile::Documented, Profile::Wazo)] profile: Profile,
) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let test = format!("scenario_deliveries({name}, {bus:?}, {profile})");
    let Some(bus) = TestBus::start(bus, &test).await else {
        return;
    };
    let scenario = Scenario::load(&path).unwrap();
    // RabbitMQ is shared with other tests: private exchanges, shown as `xivo`
    // and `wazo-headers`.
    let exchange = unique("switchboard-test-xivo");
    let headers_exchange = unique("switchboard-test-wazo-headers");
    let harness = Harness::start_with(
        BrokerSpec::Url(bus.url.clone()),
        HarnessOptions {
            profile,
            exchange: exchange.clone(),
            headers_exchange: headers_exchange.clone(),
            ..HarnessOptions::default()
        },
    )
    .await
    .unwrap();
    let options = PlayOptions {
        profile,
        ..PlayOptions::default()
    };
    let report = harness.play_with(&scenario, &options).await.unwrap();
    assert_eq!(report.published, report.messages.len());
    assert_eq!(report.confirmed, report.published);
    let mut deliveries = harness
        .recorder()
        .wait_for(report.published, Duration::from_secs(10))
        .await
        .unwrap();
    harness.shutdown().await.unwrap();
    delete_exchange(&bus.url, &exchange).await;
    if profile == Profile::Wazo {
        delete_exchange(&bus.url, &headers_exchange).await;
    }

    assert_eq!(deliveries.len(), report.published, "{name}");
    for (delivery, sent) in deliveries.iter_mut().zip(&report.messages) {
        // wazo-auth's events go to the topic exchange in both profiles.
        let published_on = if profile == Profile::Documented || sent.message.on_topic {
            (&exchange, WAZO_EXCHANGE)
        } else {
            (&headers_exchange, WAZO_HEADERS_EXCHANGE)
        };
        assert_eq!(&delivery.exchange, published_on.0, "{name}");
        delivery.exchange = published_on.1.into();
        assert_eq!(delivery.routing_key, sent.message.routing_key);
        let checked = contract::check_wazo_as(&delivery.record(), profile);
        assert!(checked.is_ok(), "{name}: {checked}");
        // Under `auto` each delivery is recognised as its own profile.
        let auto = contract::check_wazo_auto(&delivery.record());
        assert_eq!(auto.profile, Some(profile), "{name}: {auto}");
    }
    let snapshot = match profile {
        Profile::Documented => format!("scenario_{name}"),
        Profile::Wazo => format!("scenario_wazo_{name}"),
    };
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => format!("scenarios/{name}.toml, seed {}, profile {profile}, as recorded on every broker", report.seed),
        omit_expression => true,
    }, {
        insta::assert_json_snapshot!(snapshot, deliveries);
    });
}
