//! A broker that goes away mid-run: the load generator reconnects with
//! backoff, keeps going, and accounts for every message of the gap.
//!
//! The broker is the embedded one: it is shut down and a new one started on
//! the same port, as a restarted RabbitMQ would be (the shared RabbitMQ is
//! never restarted by tests).

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use switchboard::load::{ConsumerOptions, InstanceSource, LoadOptions, Mix, Rate, Speed, run};
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

#[tokio::test]
async fn a_restarted_broker_is_reconnected_and_the_gap_is_accounted_for() {
    let first = start_broker("127.0.0.1:0".parse().unwrap()).await;
    let addr = first.addr();
    let url = first.url().parse().unwrap();

    let mix: Mix = "call_lifecycle".parse().unwrap();
    let scenarios = mix
        .load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")))
        .unwrap();
    let source = InstanceSource::new(scenarios, 3).unwrap();
    let mut options = LoadOptions::new(vec![url], Rate::Instances(100.0));
    options.duration = Some(Duration::from_secs(3));
    options.speed = Speed::new(f64::INFINITY).unwrap();
    options.connections = 2;
    options.consumers = ConsumerOptions {
        count: 1,
        ..ConsumerOptions::default()
    };
    options.drain_timeout = Duration::from_secs(2);

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
    let text = report.to_text();
    eprintln!("{text}");

    // Every connection (2 publishers, 1 consumer) lost its broker and came back.
    assert_eq!(report.outages.len(), 3, "{text}");
    for outage in &report.outages {
        let gap = outage.gap_s.expect("reconnected");
        assert!((0.3..5.0).contains(&gap), "{outage:?}");
        assert!((0.8..2.0).contains(&outage.lost_at_s), "{outage:?}");
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
