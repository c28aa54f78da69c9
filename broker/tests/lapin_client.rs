//! End-to-end tests with the lapin client: every AMQP class, and the error
//! paths (which reply code, and whether the channel or the connection closes).

mod common;

use common::{eventually, lapin, queue, reply_code};
use futures_lite::StreamExt;
use lapin::{
    BasicProperties, Confirmation, ExchangeKind,
    options::{
        BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicGetOptions,
        BasicNackOptions, BasicPublishOptions, BasicQosOptions, BasicRecoverOptions,
        BasicRejectOptions, ChannelFlowOptions, ConfirmSelectOptions, ExchangeBindOptions,
        ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
        QueueDeleteOptions, QueuePurgeOptions,
    },
    types::{AMQPValue, FieldTable},
};
use switchboard_broker::{Config, DestinationKind, ExchangeKind as Kind, User};

fn args(entries: &[(&str, AMQPValue)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (key, value) in entries {
        table.insert((*key).into(), value.clone());
    }
    table
}

async fn publish(channel: &lapin::Channel, exchange: &str, key: &str, body: &[u8]) {
    channel
        .basic_publish(
            exchange.into(),
            key.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default(),
        )
        .await
        .expect("publish");
}

async fn get(
    channel: &lapin::Channel,
    queue: &str,
    no_ack: bool,
) -> Option<lapin::message::BasicGetMessage> {
    channel
        .basic_get(queue.into(), BasicGetOptions { no_ack })
        .await
        .expect("basic.get")
}

/// One failing operation on a fresh channel.
type Case = Box<dyn Fn(lapin::Channel) -> futures_lite::future::Boxed<lapin::Result<()>>>;

async fn declare(channel: &lapin::Channel, name: &str) -> lapin::Queue {
    channel
        .queue_declare(
            name.into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("queue.declare")
}

#[tokio::test]
async fn server_named_queue_publish_and_get_keep_properties() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    let declared = declare(&channel, "").await;
    let name = declared.name().as_str().to_owned();
    assert!(name.starts_with("amq.gen-"), "{name}");
    let properties = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(1)
        .with_headers(args(&[(
            "name",
            AMQPValue::LongString("call_created".into()),
        )]));
    channel
        .basic_publish(
            "".into(),
            name.as_str().into(),
            BasicPublishOptions::default(),
            b"{\"a\":1}",
            properties.clone(),
        )
        .await
        .unwrap();
    publish(&channel, "", &name, b"second").await;
    let first = get(&channel, &name, true).await.expect("a message");
    assert_eq!(first.delivery.data, b"{\"a\":1}");
    assert_eq!(first.delivery.properties, properties);
    assert_eq!(first.delivery.routing_key.as_str(), name);
    assert_eq!(first.message_count, 1);
    assert!(!first.delivery.redelivered);
    assert!(get(&channel, &name, true).await.is_some());
    assert!(get(&channel, &name, true).await.is_none(), "get-empty");
    let redeclared = channel
        .queue_declare(
            name.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    assert_eq!(redeclared.message_count(), 0);
}

#[tokio::test]
async fn exchange_redeclare_with_another_type_is_406_and_closes_only_the_channel() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    channel
        .exchange_declare(
            "x".into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let error = channel
        .exchange_declare(
            "x".into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(reply_code(&error), Some(406));
    assert!(!channel.status().connected());
    assert!(
        connection.status().connected(),
        "a channel exception leaves the connection open"
    );
    let other = connection.create_channel().await.unwrap();
    other
        .exchange_declare(
            "x".into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("an equivalent re-declare is fine");
    // The pre-declared exchanges exist and may be re-declared as they are.
    other
        .exchange_declare(
            "amq.topic".into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let names: Vec<_> = broker
        .exchanges()
        .into_iter()
        .map(|e| (e.name, e.kind))
        .collect();
    for expected in [
        ("".to_owned(), Kind::Direct),
        ("amq.match".to_owned(), Kind::Headers),
        ("x".to_owned(), Kind::Topic),
    ] {
        assert!(names.contains(&expected), "{expected:?} in {names:?}");
    }
}

#[tokio::test]
async fn channel_exceptions_have_rabbitmqs_codes() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let cases: Vec<(u16, Case)> = vec![
        (
            404,
            Box::new(move |ch| {
                Box::pin(async move {
                    ch.exchange_declare(
                        "missing".into(),
                        ExchangeKind::Direct,
                        passive,
                        FieldTable::default(),
                    )
                    .await
                })
            }),
        ),
        (
            404,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.queue_declare(
                        "missing".into(),
                        QueueDeclareOptions {
                            passive: true,
                            ..Default::default()
                        },
                        FieldTable::default(),
                    )
                    .await
                    .map(drop)
                })
            }),
        ),
        (
            403,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.exchange_declare(
                        "amq.custom".into(),
                        ExchangeKind::Direct,
                        ExchangeDeclareOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                })
            }),
        ),
        (
            403,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.queue_declare(
                        "amq.custom".into(),
                        QueueDeclareOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map(drop)
                })
            }),
        ),
        (
            403,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.exchange_delete("amq.direct".into(), ExchangeDeleteOptions::default())
                        .await
                })
            }),
        ),
        (
            404,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.queue_bind(
                        "missing".into(),
                        "amq.direct".into(),
                        "k".into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                })
            }),
        ),
        (
            404,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.queue_declare(
                        "bind-target".into(),
                        QueueDeclareOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                    ch.queue_bind(
                        "bind-target".into(),
                        "no-such-exchange".into(),
                        "k".into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                })
            }),
        ),
        (
            403,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.queue_bind(
                        "bind-target".into(),
                        "".into(),
                        "k".into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                })
            }),
        ),
        (
            406,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.queue_declare(
                        "ttl".into(),
                        QueueDeclareOptions::default(),
                        args(&[("x-message-ttl", AMQPValue::LongInt(100))]),
                    )
                    .await?;
                    ch.queue_declare(
                        "ttl".into(),
                        QueueDeclareOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map(drop)
                })
            }),
        ),
        (
            406,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.queue_declare(
                        "bad-ttl".into(),
                        QueueDeclareOptions::default(),
                        args(&[("x-message-ttl", AMQPValue::LongInt(-1))]),
                    )
                    .await
                    .map(drop)
                })
            }),
        ),
        (
            406,
            Box::new(|ch| {
                // Sent together, as in the conformance test: a fast broker's
                // channel.close would otherwise reach lapin before it sends
                // the declare, and lapin itself would refuse the call.
                Box::pin(async move {
                    let (acked, declared) = futures_lite::future::zip(
                        ch.basic_ack(42, BasicAckOptions::default()),
                        ch.queue_declare(
                            "after-ack".into(),
                            QueueDeclareOptions::default(),
                            FieldTable::default(),
                        ),
                    )
                    .await;
                    acked?;
                    declared.map(drop)
                })
            }),
        ),
        (
            404,
            Box::new(|ch| {
                // Waiting for the publisher confirm, the only reply a publish
                // has, is what makes the channel's close reach this call: a
                // later call could find the channel already closing in lapin.
                Box::pin(async move {
                    ch.confirm_select(ConfirmSelectOptions::default()).await?;
                    ch.basic_publish(
                        "no-such-exchange".into(),
                        "k".into(),
                        BasicPublishOptions::default(),
                        b"x",
                        BasicProperties::default(),
                    )
                    .await?
                    .await
                    .map(drop)
                })
            }),
        ),
        (
            406,
            Box::new(|ch| {
                Box::pin(async move {
                    ch.exchange_declare(
                        "hdr".into(),
                        ExchangeKind::Headers,
                        ExchangeDeclareOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                    ch.queue_declare(
                        "hdr-q".into(),
                        QueueDeclareOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                    ch.queue_bind(
                        "hdr-q".into(),
                        "hdr".into(),
                        "".into(),
                        QueueBindOptions::default(),
                        args(&[("x-match", AMQPValue::LongString("most".into()))]),
                    )
                    .await
                })
            }),
        ),
    ];
    for (index, (expected, case)) in cases.into_iter().enumerate() {
        let channel = connection.create_channel().await.unwrap();
        let error = case(channel.clone()).await.expect_err("the case must fail");
        assert_eq!(reply_code(&error), Some(expected), "case {index}: {error}");
        assert!(
            connection.status().connected(),
            "case {index} closed the connection"
        );
    }
}

#[tokio::test]
async fn connection_exceptions_close_the_connection() {
    let broker = common::start().await;
    for (expected, which) in [
        (503, "unknown exchange type"),
        (540, "tx.select"),
        (540, "flow false"),
        (530, "reused consumer tag"),
    ] {
        let connection = lapin(&broker).await;
        let channel = connection.create_channel().await.unwrap();
        let result = match which {
            "unknown exchange type" => {
                channel
                    .exchange_declare(
                        "x".into(),
                        ExchangeKind::Custom("no-such-type".into()),
                        ExchangeDeclareOptions::default(),
                        FieldTable::default(),
                    )
                    .await
            }
            "tx.select" => channel.tx_select().await,
            "flow false" => channel
                .channel_flow(ChannelFlowOptions { active: false })
                .await
                .map(drop),
            _ => {
                declare(&channel, "tagged").await;
                channel
                    .basic_consume(
                        "tagged".into(),
                        "tag".into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .unwrap();
                channel
                    .basic_consume(
                        "tagged".into(),
                        "tag".into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map(drop)
            }
        };
        let error = result.expect_err(which);
        assert_eq!(reply_code(&error), Some(expected), "{which}: {error}");
        eventually(which, || !connection.status().connected()).await;
    }
    // The broker still serves new connections.
    let connection = lapin(&broker).await;
    assert!(connection.create_channel().await.is_ok());
}

#[tokio::test]
async fn exclusive_queue_is_locked_to_its_connection_and_deleted_with_it() {
    let broker = common::start().await;
    let owner = lapin(&broker).await;
    let channel = owner.create_channel().await.unwrap();
    channel
        .queue_declare(
            "mine".into(),
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let other = lapin(&broker).await;
    let other_channel = other.create_channel().await.unwrap();
    let error = other_channel
        .queue_declare(
            "mine".into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(reply_code(&error), Some(405));
    assert!(queue(&broker, "mine").unwrap().exclusive);
    owner.close(200, "bye".into()).await.unwrap();
    eventually("exclusive queue deleted", || {
        queue(&broker, "mine").is_none()
    })
    .await;
}

#[tokio::test]
async fn queue_delete_and_purge_report_counts_and_check_conditions() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    declare(&channel, "counted").await;
    for _ in 0..3 {
        publish(&channel, "", "counted", b"m").await;
    }
    let error = channel
        .queue_delete(
            "counted".into(),
            QueueDeleteOptions {
                if_empty: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(reply_code(&error), Some(406));
    let channel = connection.create_channel().await.unwrap();
    assert_eq!(declare(&channel, "counted").await.message_count(), 3);
    assert_eq!(
        channel
            .queue_purge("counted".into(), QueuePurgeOptions::default())
            .await
            .unwrap(),
        3
    );
    publish(&channel, "", "counted", b"m").await;
    let consumer_channel = connection.create_channel().await.unwrap();
    let _consumer = consumer_channel
        .basic_consume(
            "counted".into(),
            "c".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let error = channel
        .queue_delete(
            "counted".into(),
            QueueDeleteOptions {
                if_unused: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(reply_code(&error), Some(406));
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_delete("counted".into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    assert!(queue(&broker, "counted").is_none());
    assert_eq!(
        channel
            .queue_delete("never-existed".into(), QueueDeleteOptions::default())
            .await
            .unwrap(),
        0,
        "deleting a missing queue succeeds, as in RabbitMQ"
    );
}

#[tokio::test]
async fn nack_reject_and_recover_requeue_in_order_as_redelivered() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    declare(&channel, "rq").await;
    for body in [b"a", b"b", b"c"] {
        publish(&channel, "", "rq", body).await;
    }
    let a = get(&channel, "rq", false).await.unwrap().delivery;
    let b = get(&channel, "rq", false).await.unwrap().delivery;
    assert_eq!(queue(&broker, "rq").unwrap().unacked, 2);
    channel
        .basic_reject(b.delivery_tag, BasicRejectOptions { requeue: true })
        .await
        .unwrap();
    channel
        .basic_nack(
            a.delivery_tag,
            BasicNackOptions {
                requeue: true,
                multiple: false,
            },
        )
        .await
        .unwrap();
    let again = get(&channel, "rq", false).await.unwrap().delivery;
    assert_eq!(
        (again.data.as_slice(), again.redelivered),
        (&b"a"[..], true)
    );
    let next = get(&channel, "rq", false).await.unwrap().delivery;
    assert_eq!((next.data.as_slice(), next.redelivered), (&b"b"[..], true));
    channel
        .basic_recover(BasicRecoverOptions { requeue: true })
        .await
        .unwrap();
    let recovered = get(&channel, "rq", false).await.unwrap().delivery;
    assert_eq!(
        (recovered.data.as_slice(), recovered.redelivered),
        (&b"a"[..], true)
    );
    // requeue=false drops the message.
    channel
        .basic_nack(
            recovered.delivery_tag,
            BasicNackOptions {
                requeue: false,
                multiple: false,
            },
        )
        .await
        .unwrap();
    let b = get(&channel, "rq", false).await.unwrap().delivery;
    let c = get(&channel, "rq", false).await.unwrap().delivery;
    assert_eq!((c.data.as_slice(), c.redelivered), (&b"c"[..], false));
    channel
        .basic_ack(c.delivery_tag, BasicAckOptions { multiple: true })
        .await
        .unwrap();
    assert_eq!(b.delivery_tag + 1, c.delivery_tag);
    eventually("multiple ack settles both", || {
        queue(&broker, "rq").is_some_and(|q| q.unacked == 0 && q.messages == 0)
    })
    .await;
}

#[tokio::test]
async fn closing_a_channel_requeues_its_unacked_messages() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    declare(&channel, "on-close").await;
    publish(&channel, "", "on-close", b"1").await;
    publish(&channel, "", "on-close", b"2").await;
    let reader = connection.create_channel().await.unwrap();
    get(&reader, "on-close", false).await.unwrap();
    get(&reader, "on-close", false).await.unwrap();
    reader.close(200, "done".into()).await.unwrap();
    let first = get(&channel, "on-close", true).await.unwrap().delivery;
    assert_eq!(
        (first.data.as_slice(), first.redelivered),
        (&b"1"[..], true)
    );
}

#[tokio::test]
async fn prefetch_limits_unacked_deliveries_per_consumer() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    declare(&channel, "prefetch").await;
    for i in 0..5u8 {
        publish(&channel, "", "prefetch", &[i]).await;
    }
    channel
        .basic_qos(2, BasicQosOptions::default())
        .await
        .unwrap();
    let mut consumer = channel
        .basic_consume(
            "prefetch".into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    assert!(consumer.tag().as_str().starts_with("amq.ctag-"));
    let first = consumer.next().await.unwrap().unwrap();
    let _second = consumer.next().await.unwrap().unwrap();
    eventually("two in flight, three waiting", || {
        queue(&broker, "prefetch").is_some_and(|q| q.unacked == 2 && q.messages == 3)
    })
    .await;
    first.ack(BasicAckOptions::default()).await.unwrap();
    let third = consumer.next().await.unwrap().unwrap();
    assert_eq!(third.data, [2]);
    eventually("one more delivered after the ack", || {
        queue(&broker, "prefetch").is_some_and(|q| q.unacked == 2 && q.messages == 2)
    })
    .await;
    channel
        .basic_cancel(consumer.tag(), BasicCancelOptions::default())
        .await
        .unwrap();
    assert_eq!(queue(&broker, "prefetch").unwrap().consumers, 0);
}

#[tokio::test]
async fn deleting_a_queue_cancels_its_consumers_and_auto_delete_follows_the_last_consumer() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    declare(&channel, "doomed").await;
    let mut consumer = channel
        .basic_consume(
            "doomed".into(),
            "c1".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let admin = connection.create_channel().await.unwrap();
    admin
        .queue_delete("doomed".into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    assert!(
        consumer.next().await.is_none(),
        "the server-sent basic.cancel ends the consumer"
    );

    channel
        .queue_declare(
            "auto".into(),
            QueueDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let consumer = channel
        .basic_consume(
            "auto".into(),
            "c2".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    assert!(queue(&broker, "auto").is_some());
    channel
        .basic_cancel(consumer.tag(), BasicCancelOptions::default())
        .await
        .unwrap();
    assert!(queue(&broker, "auto").is_none());
}

#[tokio::test]
async fn confirms_ack_returns_unroutable_mandatory_and_nack_past_the_queue_limit() {
    let broker = common::start_with(Config {
        queue_message_limit: 1,
        ..Config::default()
    })
    .await;
    let connection = lapin(&broker).await;
    let channel = connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    declare(&channel, "limited").await;
    let mandatory = BasicPublishOptions {
        mandatory: true,
        ..Default::default()
    };
    let confirm = channel
        .basic_publish(
            "".into(),
            "nowhere".into(),
            mandatory,
            b"lost",
            BasicProperties::default(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    match confirm {
        Confirmation::Ack(Some(returned)) => {
            assert_eq!(returned.reply_code, 312);
            assert_eq!(returned.reply_text.as_str(), "NO_ROUTE");
            assert_eq!(returned.delivery.data, b"lost");
        }
        other => panic!("expected an ack with the returned message, got {other:?}"),
    }
    let first = channel
        .basic_publish(
            "".into(),
            "limited".into(),
            BasicPublishOptions::default(),
            b"1",
            BasicProperties::default(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(first.is_ack());
    let second = channel
        .basic_publish(
            "".into(),
            "limited".into(),
            BasicPublishOptions::default(),
            b"2",
            BasicProperties::default(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(second.is_nack(), "the queue is full: {second:?}");
}

#[tokio::test]
async fn topic_headers_fanout_and_exchange_to_exchange_routing() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let ch = connection.create_channel().await.unwrap();
    ch.exchange_declare(
        "xivo".into(),
        ExchangeKind::Topic,
        ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.exchange_declare(
        "fan".into(),
        ExchangeKind::Fanout,
        ExchangeDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    for name in ["calls", "everything", "fanned", "matched"] {
        declare(&ch, name).await;
    }
    ch.queue_bind(
        "calls".into(),
        "xivo".into(),
        "calls.*".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_bind(
        "everything".into(),
        "xivo".into(),
        "#".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.exchange_bind(
        "fan".into(),
        "xivo".into(),
        "calls.#".into(),
        ExchangeBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_bind(
        "fanned".into(),
        "fan".into(),
        "".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_bind(
        "matched".into(),
        "amq.headers".into(),
        "".into(),
        QueueBindOptions::default(),
        args(&[
            ("x-match", AMQPValue::LongString("any".into())),
            ("name", AMQPValue::LongString("call_created".into())),
        ]),
    )
    .await
    .unwrap();
    publish(&ch, "xivo", "calls.call_created", b"1").await;
    publish(&ch, "xivo", "calls.call.ended", b"2").await;
    publish(&ch, "xivo", "users.created", b"3").await;
    let headers = BasicProperties::default().with_headers(args(&[(
        "name",
        AMQPValue::LongString("call_created".into()),
    )]));
    ch.basic_publish(
        "amq.headers".into(),
        "".into(),
        BasicPublishOptions::default(),
        b"h",
        headers,
    )
    .await
    .unwrap();
    ch.basic_publish(
        "amq.headers".into(),
        "".into(),
        BasicPublishOptions::default(),
        b"-",
        BasicProperties::default(),
    )
    .await
    .unwrap();
    let counts = || -> Vec<usize> {
        ["calls", "everything", "fanned", "matched"]
            .iter()
            .map(|name| queue(&broker, name).map_or(0, |q| q.messages))
            .collect()
    };
    eventually("every message routed", || counts() == [1, 3, 2, 1]).await;
    let bindings = broker.bindings();
    assert!(bindings.iter().any(|b| b.source == "xivo"
        && b.destination == "fan"
        && b.destination_kind == DestinationKind::Exchange));
    ch.queue_unbind(
        "calls".into(),
        "xivo".into(),
        "calls.*".into(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    publish(&ch, "xivo", "calls.call_created", b"4").await;
    assert_eq!(queue(&broker, "calls").unwrap().messages, 1);
    assert!(!broker.bindings().iter().any(|b| b.destination == "calls"));
}

#[tokio::test]
async fn queue_arguments_ttl_max_length_and_expires() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let ch = connection.create_channel().await.unwrap();
    ch.queue_declare(
        "ttl".into(),
        QueueDeclareOptions::default(),
        args(&[("x-message-ttl", AMQPValue::LongInt(30))]),
    )
    .await
    .unwrap();
    ch.queue_declare(
        "short".into(),
        QueueDeclareOptions::default(),
        args(&[("x-max-length", AMQPValue::LongInt(2))]),
    )
    .await
    .unwrap();
    ch.queue_declare(
        "expiring".into(),
        QueueDeclareOptions::default(),
        args(&[("x-expires", AMQPValue::LongInt(50))]),
    )
    .await
    .unwrap();
    publish(&ch, "", "ttl", b"x").await;
    for body in [b"1", b"2", b"3"] {
        publish(&ch, "", "short", body).await;
    }
    eventually("x-max-length holds two", || {
        queue(&broker, "short").is_some_and(|q| q.messages == 2)
    })
    .await;
    assert_eq!(
        get(&ch, "short", true).await.unwrap().delivery.data,
        b"2",
        "drop-head"
    );
    eventually("message ttl", || {
        queue(&broker, "ttl").is_some_and(|q| q.messages == 0)
    })
    .await;
    eventually("queue expiry", || queue(&broker, "expiring").is_none()).await;
    let error = ch
        .queue_declare(
            "dlx".into(),
            QueueDeclareOptions::default(),
            args(&[("x-dead-letter-exchange", AMQPValue::LongString("d".into()))]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        reply_code(&error),
        Some(540),
        "unsupported arguments are refused, not ignored"
    );
}

#[tokio::test]
async fn login_and_vhost_are_checked() {
    let config = Config {
        users: vec![User::new("alice", "secret")],
        vhosts: vec!["/".into(), "wazo".into()],
        ..Config::default()
    };
    let broker = common::start_with(config).await;
    let port = broker.addr().port();
    let ok = lapin::Connection::connect(
        &format!("amqp://alice:secret@127.0.0.1:{port}/wazo"),
        Default::default(),
    )
    .await;
    assert!(ok.is_ok());
    let bad_password = lapin::Connection::connect(
        &format!("amqp://alice:nope@127.0.0.1:{port}/%2f"),
        Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(reply_code(&bad_password), Some(403), "{bad_password}");
    let bad_vhost = lapin::Connection::connect(
        &format!("amqp://alice:secret@127.0.0.1:{port}/nowhere"),
        Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(reply_code(&bad_vhost), Some(530), "{bad_vhost}");
    assert_eq!(
        broker.url(),
        format!("amqp://alice:secret@127.0.0.1:{port}/%2f")
    );
}

#[tokio::test]
async fn exchange_delete_if_unused_and_auto_delete_exchange() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let ch = connection.create_channel().await.unwrap();
    ch.exchange_declare(
        "ad".into(),
        ExchangeKind::Direct,
        ExchangeDeclareOptions {
            auto_delete: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    declare(&ch, "adq").await;
    ch.queue_bind(
        "adq".into(),
        "ad".into(),
        "k".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    let error = ch
        .exchange_delete(
            "ad".into(),
            ExchangeDeleteOptions {
                if_unused: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(reply_code(&error), Some(406));
    let ch = connection.create_channel().await.unwrap();
    ch.queue_unbind("adq".into(), "ad".into(), "k".into(), FieldTable::default())
        .await
        .unwrap();
    assert!(
        !broker.exchanges().iter().any(|e| e.name == "ad"),
        "auto-delete exchange went with its last binding"
    );
    ch.exchange_delete("ad".into(), ExchangeDeleteOptions::default())
        .await
        .expect("deleting a missing exchange succeeds");
}

#[tokio::test]
async fn global_qos_flow_exchange_unbind_and_batched_confirms() {
    let broker = common::start().await;
    let connection = lapin(&broker).await;
    let ch = connection.create_channel().await.unwrap();
    assert!(
        ch.channel_flow(ChannelFlowOptions { active: true })
            .await
            .unwrap()
    );
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    declare(&ch, "g1").await;
    declare(&ch, "g2").await;
    let mut confirms = Vec::new();
    for i in 0..200u8 {
        let queue = if i % 2 == 0 { "g1" } else { "g2" };
        confirms.push(
            ch.basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &[i],
                BasicProperties::default(),
            )
            .await
            .unwrap(),
        );
    }
    for confirm in confirms {
        assert!(confirm.await.unwrap().is_ack());
    }
    // One prefetch of 3 shared by two consumers on the channel.
    let consumer_channel = connection.create_channel().await.unwrap();
    consumer_channel
        .basic_qos(3, BasicQosOptions { global: true })
        .await
        .unwrap();
    let mut first = consumer_channel
        .basic_consume(
            "g1".into(),
            "a".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let _second = consumer_channel
        .basic_consume(
            "g2".into(),
            "b".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    eventually("three in flight across both queues", || {
        let unacked: usize = ["g1", "g2"]
            .iter()
            .filter_map(|q| queue(&broker, q))
            .map(|q| q.unacked)
            .sum();
        unacked == 3
    })
    .await;
    let delivery = first.next().await.unwrap().unwrap();
    delivery.ack(BasicAckOptions::default()).await.unwrap();
    eventually("the ack frees one slot", || {
        let total: usize = ["g1", "g2"]
            .iter()
            .filter_map(|q| queue(&broker, q))
            .map(|q| q.unacked + q.messages)
            .sum();
        let unacked: usize = ["g1", "g2"]
            .iter()
            .filter_map(|q| queue(&broker, q))
            .map(|q| q.unacked)
            .sum();
        total == 199 && unacked == 3
    })
    .await;

    ch.exchange_declare(
        "src".into(),
        ExchangeKind::Fanout,
        ExchangeDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.exchange_bind(
        "amq.fanout".into(),
        "src".into(),
        "".into(),
        ExchangeBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    assert!(
        broker
            .bindings()
            .iter()
            .any(|b| b.source == "src" && b.destination == "amq.fanout")
    );
    ch.exchange_unbind(
        "amq.fanout".into(),
        "src".into(),
        "".into(),
        Default::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    assert!(!broker.bindings().iter().any(|b| b.source == "src"));
}
