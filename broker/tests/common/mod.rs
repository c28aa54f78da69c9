//! Helpers shared by the broker's end-to-end tests.
#![allow(dead_code)]

use std::time::Duration;

use switchboard_broker::{BrokerHandle, Config, EmbeddedBroker, QueueInfo};

pub async fn start() -> BrokerHandle {
    start_with(Config::default()).await
}

pub async fn start_with(config: Config) -> BrokerHandle {
    EmbeddedBroker::start(config).await.expect("broker starts")
}

pub async fn lapin(broker: &BrokerHandle) -> lapin::Connection {
    lapin::Connection::connect(&broker.url(), lapin::ConnectionProperties::default())
        .await
        .expect("lapin connects")
}

/// The AMQP reply code carried by a lapin error, if it is a protocol error.
pub fn reply_code(error: &lapin::Error) -> Option<u16> {
    match error.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => Some(amqp.get_id()),
        _ => None,
    }
}

pub fn queue(broker: &BrokerHandle, name: &str) -> Option<QueueInfo> {
    broker.queues().into_iter().find(|queue| queue.name == name)
}

/// Waits (bounded) until the broker's state satisfies `condition`: for
/// effects that happen after the client's call returns (TTL, x-expires,
/// requeue on close), without a fixed sleep.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
