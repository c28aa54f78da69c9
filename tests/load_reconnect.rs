//! A broker that goes away mid-run: the load generator reconnects with
//! backoff, keeps going, and accounts for every message of the gap.
//!
//! Two brokers go away: the embedded one, shut down and a new one started
//! on the same port; and RabbitMQ in a container, restarted as `docker
//! restart` does (the shared RabbitMQ is never restarted by tests).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::container_engine;
use switchboard::load::{
    ConsumerOptions, InstanceSource, LoadOptions, LoadReport, Mix, Rate, Speed, run,
};
use switchboard::provision::{AmqpUrl, ContainerBroker};
use switchboard_broker::{BrokerHandle, Config, EmbeddedBroker};
use tokio_util::sync::CancellationToken;

async fn start_broker(bind: SocketAddr) -> BrokerHandle {
    let config = Config {
        bind,
        ..Config::default()
    };
    // The old listener is closed, but give the kernel a few tries to free the port.
    for _ in 0..50 {
        match EmbeddedBroker::start(config.clone()).await {
            Ok(handle) => return handle,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    panic!("cannot restart the embedded broker on {bind}");
}

/// The call mix at 100 instances/s for `duration` on `url`, on two
/// publishing connections and one consumer, reconnecting after outages.
fn options(url: AmqpUrl, duration: Duration) -> (LoadOptions, InstanceSource) {
    let mix: Mix = "call_lifecycle".parse().unwrap();
    let scenarios = mix
        .load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")))
        .unwrap();
    let source = InstanceSource::new(scenarios, 3).unwrap();
    let mut options = LoadOptions::new(vec![url], Rate::Instances(100.0));
    options.duration = Some(duration);
    options.speed = Speed::new(f64::INFINITY).unwrap();
    options.connections = 2;
    options.consumers = ConsumerOptions {
        count: 1,
        ..ConsumerOptions::default()
    };
    options.drain_timeout = Duration::from_secs(2);
    (options, source)
}

/// What every outage test demands: each of the three connections (2
/// publishers, 1 consumer) lost its broker in `lost_at` (seconds into the
/// run) and came back after a gap in `gap`; publishing resumed; and the
/// books balance to the message, with the gap in them.
fn assert_accounted_for(
    report: &LoadReport,
    lost_at: std::ops::Range<f64>,
    gap: std::ops::Range<f64>,
) {
    let text = report.to_text();
    eprintln!("{text}");

    assert_eq!(report.outages.len(), 3, "{text}");
    for outage in &report.outages {
        let outage_gap = outage.gap_s.expect("reconnected");
        assert!(gap.contains(&outage_gap), "{outage:?}");
        assert!(lost_at.contains(&outage.lost_at_s), "{outage:?}");
    }
    assert!(report.totals.errors > 0 || report.outages.iter().all(|o| o.attempts > 0));

    // Publishing went on after the gap.
    let resumed = report
        .outages
        .iter()
        .map(|o| o.lost_at_s + o.gap_s.unwrap())
        .fold(0.0, f64::max);
    assert!(
        report
            .series
            .iter()
            .any(|sample| sample.t_s > resumed + 0.5 && sample.confirmed_per_s > 0.0),
        "{text}\n{:?}",
        report.series
    );

    // The books balance to the message, and the gap shows in them.
    let ledger = &report.ledger;
    assert!(ledger.balanced(), "{text}");
    assert!(
        ledger.confirmed > 0 && ledger.confirmed < ledger.scheduled,
        "{text}"
    );
    let all = &ledger.bindings[0];
    assert_eq!(all.expected, all.delivered + all.lost, "{text}");
    assert!(all.delivered > 0, "{text}");
    // Whatever was scheduled but not confirmed is accounted for as such.
    assert_eq!(
        ledger.scheduled - ledger.confirmed,
        ledger.nacked + ledger.unconfirmed + ledger.not_sent,
        "{text}"
    );
}

#[tokio::test]
async fn a_restarted_broker_is_reconnected_and_the_gap_is_accounted_for() {
    let first = start_broker("127.0.0.1:0".parse().unwrap()).await;
    let addr = first.addr();
    let url = first.url().parse().unwrap();
    let (options, source) = options(url, Duration::from_secs(3));

    let restart = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        first.shutdown().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let second = start_broker(addr).await;
        // Keep the new broker up until the run has ended.
        tokio::time::sleep(Duration::from_secs(10)).await;
        second.shutdown().await;
    });
    let report = run(&options, source, &CancellationToken::new(), None)
        .await
        .unwrap();
    restart.abort();
    assert_accounted_for(&report, 0.8..2.0, 0.3..5.0);
}

/// `docker restart` of a RabbitMQ container mid-run: RabbitMQ closes every
/// connection, is gone while it stops and boots again (seconds), and comes
/// back on the same published port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_rabbitmq_container_is_reconnected_and_the_gap_is_accounted_for() {
    let test = "a_restarted_rabbitmq_container_is_reconnected_and_the_gap_is_accounted_for";
    if container_engine(test).await.is_none() {
        return;
    }
    let broker = ContainerBroker::start(None).await.unwrap();
    // Long enough to see publishing resume even when RabbitMQ takes 15 s
    // or more to boot again on a busy machine (7 s on an idle one).
    let (options, source) = options(broker.url().clone(), Duration::from_secs(40));
    let restart = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let started = std::time::Instant::now();
        broker.restart().await.unwrap();
        eprintln!(
            "docker restart took {:.1}s",
            started.elapsed().as_secs_f64()
        );
    };
    let cancel = CancellationToken::new();
    let (report, ()) = tokio::join!(run(&options, source, &cancel, None), restart);
    let report = report.unwrap();
    broker.shutdown().await.unwrap();
    // Lost when RabbitMQ closes the connections on its way down; back once
    // it has booted again (several seconds) and a backoff attempt lands.
    assert_accounted_for(&report, 3.0..8.0, 1.0..35.0);
}
