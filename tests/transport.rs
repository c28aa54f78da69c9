//! Publishing through the Harness and recording what comes off, plus every
//! way connecting or publishing can fail: each case runs on the embedded
//! broker and on RabbitMQ, and must behave the same on both.
//!
//! Each test uses its own exchange (uuid suffix) and deletes it afterwards:
//! tests run in parallel against one RabbitMQ.

mod common;

use std::time::Duration;

use amqprs::channel::{ExchangeDeclareArguments, ExchangeType, QueueDeclareArguments};
use common::{Bus, TestBus, delete_exchange, sorted_headers, unique, wazo_message};
use rstest::rstest;
use switchboard::harness::{Harness, HarnessError, HarnessOptions};
use switchboard::provision::{AmqpUrl, BrokerSpec, DEFAULT_CONNECT_TIMEOUT, connect};
use switchboard::record::{Body, Recorder, RecorderOptions};
use switchboard::sink::{AmqpPublisher, PublishError, PublisherOptions};

const WAIT: Duration = Duration::from_secs(10);

fn options(exchange: &str) -> HarnessOptions {
    HarnessOptions {
        exchange: exchange.to_owned(),
        ..HarnessOptions::default()
    }
}

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn every_message_is_recorded_in_order_with_its_properties(#[case] bus: Bus) {
    let Some(bus) = TestBus::start(
        bus,
        "every_message_is_recorded_in_order_with_its_properties",
    )
    .await
    else {
        return;
    };
    let url = bus.url.clone();
    let exchange = unique("switchboard-test");
    let harness = Harness::start_with(BrokerSpec::Url(url.clone()), options(&exchange))
        .await
        .unwrap();
    let messages: Vec<_> = (0..200)
        .map(|index| wazo_message(index, &format!("calls.call.e{}", index % 7)))
        .collect();

    let report = harness.publish(&messages).await.unwrap();
    assert_eq!((report.published, report.confirmed), (200, 200));

    let received = harness.recorder().wait_for(200, WAIT).await.unwrap();
    assert_eq!(received.len(), 200);
    for (index, (delivery, sent)) in received.iter().zip(&messages).enumerate() {
        assert_eq!(delivery.seq, index as u64 + 1);
        assert_eq!(delivery.exchange, exchange);
        assert_eq!(delivery.routing_key, sent.routing_key);
        assert_eq!(
            delivery.properties.content_type.as_deref(),
            Some("application/json")
        );
        assert_eq!(delivery.properties.delivery_mode, Some(1));
        assert_eq!(delivery.properties.headers, sorted_headers(sent));
        let Body::Json(body) = &delivery.body else {
            panic!("body is not JSON: {:?}", delivery.body)
        };
        assert_eq!(serde_json::to_vec(body).unwrap(), sent.body);
        assert_eq!(delivery.name(), Some(sent.name.as_str()));
    }
    harness.shutdown().await.unwrap();
    delete_exchange(&url, &exchange).await;
}

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn binding_keys_select_what_is_recorded(#[case] bus: Bus) {
    let Some(bus) = TestBus::start(bus, "binding_keys_select_what_is_recorded").await else {
        return;
    };
    let url = bus.url.clone();
    let exchange = unique("switchboard-test");
    let harness = Harness::start_with(
        BrokerSpec::Url(url.clone()),
        HarnessOptions {
            bindings: vec!["calls.*.created".into(), "users.#".into()],
            ..options(&exchange)
        },
    )
    .await
    .unwrap();
    let messages = [
        wazo_message(0, "calls.call.created"),
        wazo_message(1, "calls.call.ended"),
        wazo_message(2, "users.42.forwards.busy.updated"),
        wazo_message(3, "ami.Newchannel"),
    ];
    harness.publish(&messages).await.unwrap();
    let received = harness.recorder().wait_for(2, WAIT).await.unwrap();
    // Anything else would have arrived by now: the broker routes in publish order,
    // and the confirms of later messages came back first.
    let quiet = harness
        .recorder()
        .wait_until_quiet(Duration::from_millis(300), WAIT)
        .await;
    assert_eq!(quiet, received);
    let keys: Vec<_> = received.iter().map(|d| d.routing_key.as_str()).collect();
    assert_eq!(
        keys,
        ["calls.call.created", "users.42.forwards.busy.updated"]
    );
    harness.shutdown().await.unwrap();
    delete_exchange(&url, &exchange).await;
}

#[tokio::test]
async fn an_unreachable_broker_is_one_sentence() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url: AmqpUrl = format!("amqp://guest:secret@127.0.0.1:{port}/")
        .parse()
        .unwrap();
    let error = Harness::start(BrokerSpec::Url(url)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("cannot reach the broker at amqp://127.0.0.1:{port}/ (connection refused)")
    );
}

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn a_refused_login_names_the_user_not_the_password(#[case] bus: Bus) {
    let Some(bus) = TestBus::start(bus, "a_refused_login_names_the_user_not_the_password").await
    else {
        return;
    };
    let url = bus.url.clone();
    let wrong: AmqpUrl = format!("amqp://guest:wrong-secret@{}:{}/", url.host(), url.port())
        .parse()
        .unwrap();
    let error = Harness::start(BrokerSpec::Url(wrong)).await.unwrap_err();
    let message = error.to_string();
    assert_eq!(
        message,
        format!(
            "the broker at amqp://{}:{}/ refused the login for user 'guest' (ACCESS_REFUSED)",
            url.host(),
            url.port()
        )
    );
    assert!(!message.contains("wrong-secret"));
}

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn an_unknown_vhost_is_named(#[case] bus: Bus) {
    let Some(bus) = TestBus::start(bus, "an_unknown_vhost_is_named").await else {
        return;
    };
    let url = bus.url.clone();
    let vhost = unique("no-such-vhost");
    let wrong: AmqpUrl = format!("amqp://guest:guest@{}:{}/{vhost}", url.host(), url.port())
        .parse()
        .unwrap();
    let error = Harness::start(BrokerSpec::Url(wrong)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the broker at amqp://{}:{}/{vhost} refused access to virtual host '{vhost}' for user 'guest' (NOT_ALLOWED)",
            url.host(),
            url.port()
        )
    );
}

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn an_exchange_declared_differently_is_refused_by_name(#[case] bus: Bus) {
    let Some(bus) =
        TestBus::start(bus, "an_exchange_declared_differently_is_refused_by_name").await
    else {
        return;
    };
    let url = bus.url.clone();
    let exchange = unique("switchboard-test");
    let connection = connect(&url, "test-setup", DEFAULT_CONNECT_TIMEOUT)
        .await
        .unwrap();
    let channel = connection.open_channel(None).await.unwrap();
    channel
        .exchange_declare(ExchangeDeclareArguments::of_type(
            &exchange,
            ExchangeType::Direct,
        ))
        .await
        .unwrap();

    let error = Harness::start_with(BrokerSpec::Url(url.clone()), options(&exchange))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HarnessError::Publish(PublishError::Declare { .. })),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "the broker at {url} refused to declare the topic exchange '{exchange}' ("
        )),
        "{message}"
    );
    assert!(message.contains("PRECONDITION_FAILED"), "{message}");
    let _ = connection.close().await;
    delete_exchange(&url, &exchange).await;
}

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn a_publish_the_broker_cannot_route_names_the_event(#[case] bus: Bus) {
    let Some(bus) = TestBus::start(bus, "a_publish_the_broker_cannot_route_names_the_event").await
    else {
        return;
    };
    let url = bus.url.clone();
    let exchange = unique("switchboard-test");
    let publisher = AmqpPublisher::connect(
        &url,
        PublisherOptions {
            exchange: exchange.clone(),
            ..PublisherOptions::default()
        },
    )
    .await
    .unwrap();
    // The exchange vanishes under the publisher: RabbitMQ closes the channel (404).
    delete_exchange(&url, &exchange).await;
    let error = publisher
        .publish(&wazo_message(7, "calls.call.created"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(
            "the broker closed the channel before confirming event 'event_7' (404 NOT_FOUND"
        ),
        "{message}"
    );
    publisher.close().await;
}

#[rstest]
#[case::embedded(Bus::Embedded)]
#[case::rabbitmq(Bus::RabbitMq)]
#[tokio::test]
async fn a_stopped_recorder_leaves_no_queue_behind(#[case] bus: Bus) {
    let Some(bus) = TestBus::start(bus, "a_stopped_recorder_leaves_no_queue_behind").await else {
        return;
    };
    let url = bus.url.clone();
    let exchange = unique("switchboard-test");
    let recorder = Recorder::start(
        &url,
        &RecorderOptions {
            exchange: exchange.clone(),
            ..RecorderOptions::default()
        },
    )
    .await
    .unwrap();
    let queue = recorder.queue().to_owned();
    assert!(queue.starts_with("amq.gen-"), "{queue}");
    assert!(recorder.shutdown().await.is_empty());

    let connection = connect(&url, "test-check", DEFAULT_CONNECT_TIMEOUT)
        .await
        .unwrap();
    let channel = connection.open_channel(None).await.unwrap();
    let passive = channel
        .queue_declare(QueueDeclareArguments::new(&queue).passive(true).finish())
        .await;
    assert!(passive.is_err(), "queue {queue} still exists");
    let _ = connection.close().await;
    delete_exchange(&url, &exchange).await;
}

#[tokio::test]
async fn a_nacked_publish_names_the_event() {
    // The embedded broker refuses messages for a full queue with basic.nack,
    // as RabbitMQ does for a queue with `x-overflow: reject-publish`.
    let bus = TestBus::embedded(switchboard_broker::Config {
        queue_message_limit: 2,
        ..switchboard_broker::Config::default()
    })
    .await
    .unwrap();
    let exchange = unique("switchboard-test");
    let publisher = AmqpPublisher::connect(
        &bus.url,
        PublisherOptions {
            exchange: exchange.clone(),
            ..PublisherOptions::default()
        },
    )
    .await
    .unwrap();
    // A queue nobody consumes from, so that it fills up.
    let connection = connect(&bus.url, "test-setup", DEFAULT_CONNECT_TIMEOUT)
        .await
        .unwrap();
    let channel = connection.open_channel(None).await.unwrap();
    let (queue, _, _) = channel
        .queue_declare(QueueDeclareArguments::exclusive_server_named())
        .await
        .unwrap()
        .unwrap();
    channel
        .queue_bind(amqprs::channel::QueueBindArguments::new(
            &queue, &exchange, "#",
        ))
        .await
        .unwrap();

    publisher
        .publish(&wazo_message(0, "calls.call.created"))
        .await
        .unwrap();
    publisher
        .publish(&wazo_message(1, "calls.call.updated"))
        .await
        .unwrap();
    let error = publisher
        .publish(&wazo_message(2, "calls.call.ended"))
        .await
        .unwrap_err();
    assert!(matches!(error, PublishError::Nacked { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the broker refused event 'event_2' (basic.nack)"
    );
    publisher.close().await;
    let _ = connection.close().await;
}

#[tokio::test]
async fn recording_ends_clearly_when_the_broker_goes_away() {
    let bus = TestBus::start(
        Bus::Embedded,
        "recording_ends_clearly_when_the_broker_goes_away",
    )
    .await
    .unwrap();
    let recorder = Recorder::start(&bus.url, &RecorderOptions::default())
        .await
        .unwrap();
    let mut cursor = recorder.cursor();
    drop(bus); // stops the embedded broker: it closes every connection (320)

    assert_eq!(cursor.next().await, None);
    let error = recorder.wait_for(1, WAIT).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "recording stopped after 0 of 1 deliveries: the broker closed the consumer or the connection"
    );
    assert!(recorder.shutdown().await.is_empty());
}
