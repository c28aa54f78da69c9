//! Every shipped scenario, in both profiles, played on the embedded broker,
//! on RabbitMQ and on a RabbitMQ container, recorded and snapshot-tested
//! against ONE snapshot file per scenario and profile: any difference
//! between the brokers, or any change in what a scenario publishes, fails.
//! Every published message passes the contract checker of its profile, and
//! `auto` recognises it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Bus, TestBus, container_engine, delete_exchange, unique};
use rstest::rstest;
use switchboard::catalog::wazo::Profile;
use switchboard::contract;
use switchboard::harness::{Harness, HarnessOptions, PlayOptions};
use switchboard::provision::{AmqpUrl, BrokerSpec, provision};
use switchboard::scenario::Scenario;
use switchboard::sink::{WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};

/// One case per file in `scenarios/` and profile: a new scenario is
/// snapshot-tested without being listed anywhere.
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
    play_and_snapshot(&bus.url, &path, profile).await;
}

/// Every scenario, in both profiles, on one RabbitMQ container started as
/// `--broker container` starts it (one container for all: starting
/// RabbitMQ takes seconds), against the same snapshot files.
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
        for profile in Profile::ALL {
            play_and_snapshot(broker.url(), path, profile).await;
        }
    }
    broker.shutdown().await.unwrap();
}

/// Plays the scenario at `path` in `profile` on the broker at `url` on
/// private exchanges (shown as `xivo` and `wazo-headers`), checks every
/// delivery against the contract and the recording against
/// `snapshots/scenario_NAME.snap` (`scenario_wazo_NAME.snap` for `wazo`).
async fn play_and_snapshot(url: &AmqpUrl, path: &Path, profile: Profile) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let scenario = Scenario::load(path).unwrap();
    // RabbitMQ is shared with other tests: private exchanges.
    let exchange = unique("switchboard-test-xivo");
    let headers_exchange = unique("switchboard-test-wazo-headers");
    let harness = Harness::start_with(
        BrokerSpec::Url(url.clone()),
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
    delete_exchange(url, &exchange).await;
    if profile == Profile::Wazo {
        delete_exchange(url, &headers_exchange).await;
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
