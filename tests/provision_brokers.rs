//! Brokers switchboard starts itself: the embedded broker, a private
//! `rabbitmq-server` node and a RabbitMQ container. Each is used through the Harness end to end, then
//! shown to be gone after shutdown.

mod common;

use std::time::Duration;

use common::wazo_message;
use switchboard::harness::Harness;
use switchboard::provision::{self, BrokerSpec, ContainerImage, LocalOptions, connect};

/// Publishes through a harness on `spec`, checks the recording, shuts it
/// down and checks that the broker no longer accepts connections.
async fn round_trip(spec: BrokerSpec) {
    let harness = Harness::start(spec).await.unwrap();
    let url = harness.url().clone();
    let messages: Vec<_> = (0..20)
        .map(|i| wazo_message(i, "calls.call.updated"))
        .collect();
    let report = harness.publish(&messages).await.unwrap();
    assert_eq!((report.published, report.confirmed), (20, 20));
    let received = harness
        .recorder()
        .wait_for(20, Duration::from_secs(10))
        .await
        .unwrap();
    let names: Vec<_> = received
        .iter()
        .map(|d| d.name().unwrap().to_owned())
        .collect();
    let sent: Vec<_> = messages.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names, sent);
    harness.shutdown().await.unwrap();
    assert!(
        connect(&url, "after-shutdown", Duration::from_secs(2))
            .await
            .is_err(),
        "the broker at {url} still accepts connections after shutdown"
    );
}

#[tokio::test]
async fn the_embedded_broker_serves_the_harness_and_stops_with_it() {
    round_trip(BrokerSpec::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_rabbitmq_node_is_private_and_stopped_afterwards() {
    if !provision::local::is_installed() {
        eprintln!(
            "SKIPPED: a_local_rabbitmq_node_is_private_and_stopped_afterwards: rabbitmq-server is not installed"
        );
        return;
    }
    round_trip(BrokerSpec::Local(LocalOptions::default())).await;
}

#[tokio::test]
async fn a_rabbitmq_container_serves_the_harness() {
    if let Err(error) = provision::container::check_engine().await {
        eprintln!("SKIPPED: a_rabbitmq_container_serves_the_harness: {error}");
        return;
    }
    round_trip(BrokerSpec::Container(ContainerImage::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_local_node_is_killed() {
    if !provision::local::is_installed() {
        eprintln!("SKIPPED: a_dropped_local_node_is_killed: rabbitmq-server is not installed");
        return;
    }
    let node = provision::provision(&BrokerSpec::Local(LocalOptions::default()))
        .await
        .unwrap();
    let url = node.url().clone();
    drop(node); // no shutdown: the whole process group is killed

    // SIGKILL is delivered at once but the process dies asynchronously:
    // allow it a moment, polling.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if connect(&url, "after-drop", Duration::from_secs(1))
            .await
            .is_err()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node at {url} survived its drop"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
