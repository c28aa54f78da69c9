//! End-to-end tests with the amqprs client (the one switchboard's sinks use):
//! a topic exchange as on Wazo's bus, ordered delivery, multiple acks and
//! redelivery after a consumer's connection goes away.

mod common;

use amqprs::{
    BasicProperties,
    channel::{
        BasicAckArguments, BasicConsumeArguments, BasicPublishArguments, BasicQosArguments,
        Channel, ExchangeDeclareArguments, QueueBindArguments, QueueDeclareArguments,
    },
    connection::{Connection, OpenConnectionArguments},
};
use common::{eventually, queue};
use switchboard_broker::BrokerHandle;

async fn open(broker: &BrokerHandle) -> (Connection, Channel) {
    let addr = broker.addr();
    let connection = Connection::open(&OpenConnectionArguments::new(
        &addr.ip().to_string(),
        addr.port(),
        "guest",
        "guest",
    ))
    .await
    .expect("amqprs connects");
    let channel = connection.open_channel(None).await.expect("channel opens");
    (connection, channel)
}

async fn topic_queue(channel: &Channel, queue: &str, pattern: &str) {
    channel
        .exchange_declare(
            ExchangeDeclareArguments::new("xivo", "topic")
                .durable(true)
                .finish(),
        )
        .await
        .unwrap();
    channel
        .queue_declare(QueueDeclareArguments::new(queue))
        .await
        .unwrap();
    channel
        .queue_bind(QueueBindArguments::new(queue, "xivo", pattern))
        .await
        .unwrap();
}

#[tokio::test]
async fn thousand_messages_arrive_in_order_and_multiple_ack_settles_them() {
    let broker = common::start().await;
    let (_connection, channel) = open(&broker).await;
    topic_queue(&channel, "calls", "calls.*").await;
    let (_tag, mut deliveries) = channel
        .basic_consume_rx(BasicConsumeArguments::new("calls", "recorder"))
        .await
        .unwrap();
    for i in 0..1000u32 {
        let properties = BasicProperties::default()
            .with_content_type("application/json")
            .finish();
        channel
            .basic_publish(
                properties,
                format!("{{\"n\":{i}}}").into_bytes(),
                BasicPublishArguments::new("xivo", "calls.call_created"),
            )
            .await
            .unwrap();
    }
    channel
        .basic_publish(
            BasicProperties::default(),
            b"ignored".to_vec(),
            BasicPublishArguments::new("xivo", "users.created"),
        )
        .await
        .unwrap();
    for i in 0..1000u32 {
        let message = deliveries.recv().await.expect("a delivery");
        assert_eq!(
            message.content.unwrap(),
            format!("{{\"n\":{i}}}").into_bytes()
        );
        let deliver = message.deliver.unwrap();
        assert_eq!(deliver.routing_key(), "calls.call_created");
        assert!(!deliver.redelivered());
        assert_eq!(
            message
                .basic_properties
                .unwrap()
                .content_type()
                .map(String::as_str),
            Some("application/json")
        );
        if i % 100 == 99 {
            channel
                .basic_ack(BasicAckArguments::new(deliver.delivery_tag(), true))
                .await
                .unwrap();
        }
    }
    eventually("all settled", || {
        queue(&broker, "calls").is_some_and(|q| q.unacked == 0 && q.messages == 0)
    })
    .await;
    assert_eq!(
        broker.memory_used(),
        0,
        "settled messages free their memory"
    );
}

#[tokio::test]
async fn unacked_messages_of_a_closed_connection_are_redelivered_elsewhere() {
    let broker = common::start().await;
    let (first_connection, first) = open(&broker).await;
    topic_queue(&first, "work", "jobs.#").await;
    first
        .basic_qos(BasicQosArguments::new(0, 10, false))
        .await
        .unwrap();
    let (_tag, mut first_rx) = first
        .basic_consume_rx(BasicConsumeArguments::new("work", "first"))
        .await
        .unwrap();
    for body in [b"a", b"b"] {
        first
            .basic_publish(
                BasicProperties::default(),
                body.to_vec(),
                BasicPublishArguments::new("xivo", "jobs.new"),
            )
            .await
            .unwrap();
    }
    for expected in [b"a", b"b"] {
        assert_eq!(first_rx.recv().await.unwrap().content.unwrap(), expected);
    }
    first_connection.close().await.unwrap();
    let (_second_connection, second) = open(&broker).await;
    let (_tag, mut second_rx) = second
        .basic_consume_rx(BasicConsumeArguments::new("work", "second"))
        .await
        .unwrap();
    for expected in [b"a", b"b"] {
        let message = second_rx.recv().await.unwrap();
        assert_eq!(message.content.unwrap(), expected);
        assert!(
            message.deliver.unwrap().redelivered(),
            "requeued messages come back redelivered"
        );
    }
}
