//! Every method class through amqprs, the second independent Rust client
//! (lapin_client.rs is the first): what amqprs sends and expects must work
//! against the embedded broker as it does against RabbitMQ, error paths
//! included.
//!
//! amqprs reports a server's `channel.close` / `connection.close` through
//! callbacks rather than in the failing call's error, so each test installs
//! [`Observed`] callbacks and reads the reply codes from them.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use amqprs::{
    Ack, BasicProperties, Cancel, Close, CloseChannel, FieldName, FieldTable, FieldValue, Nack,
    Return,
    callbacks::{ChannelCallback, ConnectionCallback},
    channel::{
        BasicAckArguments, BasicCancelArguments, BasicConsumeArguments, BasicGetArguments,
        BasicNackArguments, BasicPublishArguments, BasicQosArguments, BasicRejectArguments,
        Channel, ConfirmSelectArguments, ExchangeBindArguments, ExchangeDeclareArguments,
        ExchangeDeleteArguments, ExchangeUnbindArguments, QueueBindArguments,
        QueueDeclareArguments, QueueDeleteArguments, QueuePurgeArguments, QueueUnbindArguments,
    },
    connection::{Connection, OpenConnectionArguments},
};
use common::{eventually, queue};
use switchboard_broker::{BrokerHandle, Config};

/// What the broker told a connection and its channels, in arrival order.
#[derive(Debug, Default)]
struct Seen {
    channel_closes: Vec<u16>,
    connection_closes: Vec<(u16, u16, u16)>,
    cancels: Vec<String>,
    returns: Vec<(u16, Vec<u8>)>,
    acks: Vec<(u64, bool)>,
    nacks: Vec<(u64, bool)>,
}

#[derive(Debug, Clone, Default)]
struct Observed(Arc<Mutex<Seen>>);

impl Observed {
    fn seen<T>(&self, read: impl FnOnce(&Seen) -> T) -> T {
        read(&self.0.lock().unwrap())
    }

    fn record(&self, write: impl FnOnce(&mut Seen)) {
        write(&mut self.0.lock().unwrap());
    }

    /// Waits until the broker has closed one more channel, and returns its code.
    async fn next_channel_close(&self, before: usize) -> u16 {
        eventually("a channel.close from the broker", || {
            self.seen(|seen| seen.channel_closes.len() > before)
        })
        .await;
        self.seen(|seen| seen.channel_closes[before])
    }

    /// Settled publisher confirms: delivery tags acked (expanding `multiple`).
    fn confirmed(&self) -> (u64, u64) {
        self.seen(|seen| {
            let highest = |events: &[(u64, bool)]| events.iter().map(|(tag, _)| *tag).max();
            let acked = highest(&seen.acks).unwrap_or(0);
            let nacked = seen.nacks.len() as u64;
            (acked, nacked)
        })
    }
}

#[async_trait::async_trait]
impl ChannelCallback for Observed {
    async fn close(
        &mut self,
        _: &Channel,
        close: CloseChannel,
    ) -> Result<(), amqprs::error::Error> {
        self.record(|seen| seen.channel_closes.push(close.reply_code()));
        Ok(())
    }
    async fn cancel(&mut self, _: &Channel, cancel: Cancel) -> Result<(), amqprs::error::Error> {
        self.record(|seen| seen.cancels.push(cancel.consumer_tag().clone()));
        Ok(())
    }
    async fn flow(&mut self, _: &Channel, active: bool) -> Result<bool, amqprs::error::Error> {
        Ok(active)
    }
    async fn publish_ack(&mut self, _: &Channel, ack: Ack) {
        self.record(|seen| seen.acks.push((ack.delivery_tag(), ack.mutiple())));
    }
    async fn publish_nack(&mut self, _: &Channel, nack: Nack) {
        self.record(|seen| seen.nacks.push((nack.delivery_tag(), nack.multiple())));
    }
    async fn publish_return(
        &mut self,
        _: &Channel,
        ret: Return,
        _: BasicProperties,
        body: Vec<u8>,
    ) {
        self.record(|seen| seen.returns.push((ret.reply_code(), body)));
    }
}

#[async_trait::async_trait]
impl ConnectionCallback for Observed {
    async fn close(&mut self, _: &Connection, close: Close) -> Result<(), amqprs::error::Error> {
        self.record(|seen| {
            seen.connection_closes
                .push((close.reply_code(), close.class_id(), close.method_id()))
        });
        Ok(())
    }
    async fn blocked(&mut self, _: &Connection, _: String) {}
    async fn unblocked(&mut self, _: &Connection) {}
    async fn secret_updated(&mut self, _: &Connection) {}
}

/// An amqprs connection whose connection and channel events land in one [`Observed`].
struct Client {
    connection: Connection,
    observed: Observed,
}

impl Client {
    async fn connect(broker: &BrokerHandle) -> Self {
        let addr = broker.addr();
        let connection = Connection::open(&OpenConnectionArguments::new(
            &addr.ip().to_string(),
            addr.port(),
            "guest",
            "guest",
        ))
        .await
        .expect("amqprs connects");
        let observed = Observed::default();
        connection
            .register_callback(observed.clone())
            .await
            .expect("connection callback");
        Self {
            connection,
            observed,
        }
    }

    async fn channel(&self) -> Channel {
        let channel = self
            .connection
            .open_channel(None)
            .await
            .expect("channel opens");
        channel
            .register_callback(self.observed.clone())
            .await
            .expect("channel callback");
        channel
    }

    fn closes(&self) -> usize {
        self.observed.seen(|seen| seen.channel_closes.len())
    }
}

fn table(entries: &[(&str, FieldValue)]) -> FieldTable {
    let mut table = FieldTable::new();
    for (name, value) in entries {
        table.insert(FieldName::try_from(*name).unwrap(), value.clone());
    }
    table
}

async fn publish(channel: &Channel, exchange: &str, key: &str, body: &[u8]) {
    channel
        .basic_publish(
            BasicProperties::default(),
            body.to_vec(),
            BasicPublishArguments::new(exchange, key),
        )
        .await
        .unwrap();
}

async fn get(channel: &Channel, queue: &str) -> Option<(Vec<u8>, bool, u64)> {
    channel
        .basic_get(BasicGetArguments::new(queue))
        .await
        .unwrap()
        .map(|(get_ok, _, body)| (body, get_ok.redelivered(), get_ok.delivery_tag()))
}

#[tokio::test]
async fn exchanges_declare_check_equivalence_bind_and_delete() {
    let broker = common::start().await;
    let client = Client::connect(&broker).await;
    let ch = client.channel().await;
    for kind in ["direct", "fanout", "topic", "headers"] {
        ch.exchange_declare(ExchangeDeclareArguments::new(&format!("x-{kind}"), kind))
            .await
            .unwrap();
    }
    for predeclared in [
        "amq.direct",
        "amq.fanout",
        "amq.topic",
        "amq.headers",
        "amq.match",
    ] {
        let passive = ExchangeDeclareArguments::new(predeclared, "direct")
            .passive(true)
            .finish();
        ch.exchange_declare(passive).await.unwrap();
    }

    // Exchange-to-exchange: x-topic → x-fanout → queue.
    ch.queue_declare(QueueDeclareArguments::new("e2e"))
        .await
        .unwrap();
    ch.queue_bind(QueueBindArguments::new("e2e", "x-fanout", ""))
        .await
        .unwrap();
    ch.exchange_bind(ExchangeBindArguments::new("x-fanout", "x-topic", "calls.#"))
        .await
        .unwrap();
    publish(&ch, "x-topic", "calls.call.created", b"routed").await;
    assert_eq!(get(&ch, "e2e").await.unwrap().0, b"routed");
    ch.exchange_unbind(ExchangeUnbindArguments::new(
        "x-fanout", "x-topic", "calls.#",
    ))
    .await
    .unwrap();
    publish(&ch, "x-topic", "calls.call.created", b"dropped").await;
    assert_eq!(get(&ch, "e2e").await, None, "unbound: nothing routed");

    // if-unused with a binding left: 406, only this channel closes.
    let before = client.closes();
    let _ = ch
        .exchange_delete(
            ExchangeDeleteArguments::new("x-fanout")
                .if_unused(true)
                .finish(),
        )
        .await;
    assert_eq!(client.observed.next_channel_close(before).await, 406);

    // Redeclaring with another type: 406.
    let ch = client.channel().await;
    let before = client.closes();
    let _ = ch
        .exchange_declare(ExchangeDeclareArguments::new("x-topic", "direct"))
        .await;
    assert_eq!(client.observed.next_channel_close(before).await, 406);

    // Passive on a missing exchange: 404.
    let ch = client.channel().await;
    let before = client.closes();
    let passive = ExchangeDeclareArguments::new("missing", "topic")
        .passive(true)
        .finish();
    let _ = ch.exchange_declare(passive).await;
    assert_eq!(client.observed.next_channel_close(before).await, 404);

    // The connection survived every channel exception.
    let ch = client.channel().await;
    ch.exchange_delete(ExchangeDeleteArguments::new("x-direct"))
        .await
        .unwrap();
    assert!(client.connection.is_open());
    assert!(
        client
            .observed
            .seen(|seen| seen.connection_closes.is_empty())
    );
}

#[tokio::test]
async fn queues_declare_count_purge_unbind_and_delete_with_conditions() {
    let broker = common::start().await;
    let client = Client::connect(&broker).await;
    let ch = client.channel().await;
    let (generated, messages, consumers) = ch
        .queue_declare(QueueDeclareArguments::exclusive_server_named())
        .await
        .unwrap()
        .unwrap();
    assert!(generated.starts_with("amq.gen-"), "{generated}");
    assert_eq!((messages, consumers), (0, 0));

    ch.exchange_declare(
        ExchangeDeclareArguments::new("xivo", "topic")
            .durable(true)
            .finish(),
    )
    .await
    .unwrap();
    ch.queue_declare(QueueDeclareArguments::durable_client_named("calls"))
        .await
        .unwrap();
    ch.queue_bind(QueueBindArguments::new("calls", "xivo", "calls.*.*"))
        .await
        .unwrap();
    for _ in 0..3 {
        publish(&ch, "xivo", "calls.call.created", b"{}").await;
    }
    let passive = QueueDeclareArguments::new("calls").passive(true).finish();
    let (_, messages, _) = ch.queue_declare(passive).await.unwrap().unwrap();
    assert_eq!(messages, 3, "declare-ok counts ready messages");
    assert!(
        queue(&broker, "calls").unwrap().durable,
        "durable flag kept"
    );

    assert_eq!(
        ch.queue_purge(QueuePurgeArguments::new("calls"))
            .await
            .unwrap(),
        Some(3)
    );
    ch.queue_unbind(QueueUnbindArguments::new("calls", "xivo", "calls.*.*"))
        .await
        .unwrap();
    publish(&ch, "xivo", "calls.call.created", b"{}").await;
    assert_eq!(queue(&broker, "calls").unwrap().messages, 0, "unbound");

    publish(&ch, "", "calls", b"kept").await;
    let before = client.closes();
    let _ = ch
        .queue_delete(QueueDeleteArguments::new("calls").if_empty(true).finish())
        .await;
    assert_eq!(client.observed.next_channel_close(before).await, 406);

    let ch = client.channel().await;
    let (_tag, _rx) = ch
        .basic_consume_rx(BasicConsumeArguments::new("calls", "holder"))
        .await
        .unwrap();
    let other = client.channel().await;
    let before = client.closes();
    let _ = other
        .queue_delete(QueueDeleteArguments::new("calls").if_unused(true).finish())
        .await;
    assert_eq!(client.observed.next_channel_close(before).await, 406);

    let other = client.channel().await;
    let before = client.closes();
    let passive = QueueDeclareArguments::new("missing").passive(true).finish();
    let _ = other.queue_declare(passive).await;
    assert_eq!(client.observed.next_channel_close(before).await, 404);

    // Another connection may not touch an exclusive queue: 405 RESOURCE_LOCKED.
    let intruder = Client::connect(&broker).await;
    let ch = intruder.channel().await;
    let _ = ch
        .queue_declare(
            QueueDeclareArguments::new(&generated)
                .exclusive(true)
                .finish(),
        )
        .await;
    assert_eq!(intruder.observed.next_channel_close(0).await, 405);
}

#[tokio::test]
async fn queue_arguments_expire_messages_cap_length_and_expire_the_queue() {
    let broker = common::start().await;
    let client = Client::connect(&broker).await;
    let ch = client.channel().await;
    let ttl = table(&[("x-message-ttl", FieldValue::l(20))]);
    ch.queue_declare(QueueDeclareArguments::new("ttl").arguments(ttl).finish())
        .await
        .unwrap();
    publish(&ch, "", "ttl", b"short-lived").await;
    eventually("the message expires", || {
        queue(&broker, "ttl").is_some_and(|q| q.messages == 0)
    })
    .await;

    let capped = table(&[("x-max-length", FieldValue::l(2))]);
    ch.queue_declare(
        QueueDeclareArguments::new("capped")
            .arguments(capped)
            .finish(),
    )
    .await
    .unwrap();
    for body in [b"1", b"2", b"3"] {
        publish(&ch, "", "capped", body).await;
    }
    assert_eq!(get(&ch, "capped").await.unwrap().0, b"2", "drop-head");

    let expires = table(&[("x-expires", FieldValue::l(30))]);
    ch.queue_declare(
        QueueDeclareArguments::new("expiring")
            .arguments(expires)
            .finish(),
    )
    .await
    .unwrap();
    eventually("the unused queue expires", || {
        queue(&broker, "expiring").is_none()
    })
    .await;
}

#[tokio::test]
async fn consumers_prefetch_cancel_and_exclusive_access() {
    let broker = common::start().await;
    let client = Client::connect(&broker).await;
    let ch = client.channel().await;
    ch.queue_declare(QueueDeclareArguments::new("work"))
        .await
        .unwrap();
    for i in 0..5u8 {
        publish(&ch, "", "work", &[i]).await;
    }
    ch.basic_qos(BasicQosArguments::new(0, 2, false))
        .await
        .unwrap();
    let (tag, mut rx) = ch
        .basic_consume_rx(BasicConsumeArguments::new("work", ""))
        .await
        .unwrap();
    assert!(tag.starts_with("amq.ctag-"), "server-generated tag: {tag}");
    let first = rx.recv().await.unwrap();
    let _second = rx.recv().await.unwrap();
    eventually("two in flight, three ready", || {
        queue(&broker, "work").is_some_and(|q| q.unacked == 2 && q.messages == 3)
    })
    .await;
    let tag_of = |message: &amqprs::channel::ConsumerMessage| {
        message.deliver.as_ref().unwrap().delivery_tag()
    };
    ch.basic_ack(BasicAckArguments::new(tag_of(&first), false))
        .await
        .unwrap();
    let third = rx.recv().await.unwrap();
    assert_eq!(third.content.unwrap(), vec![2], "the window moved by one");

    ch.basic_cancel(BasicCancelArguments::new(&tag))
        .await
        .unwrap();
    publish(&ch, "", "work", b"after cancel").await;
    eventually("nothing delivered after cancel", || {
        queue(&broker, "work").is_some_and(|q| q.consumers == 0 && q.messages == 3)
    })
    .await;

    // An exclusive consumer keeps others out: 403 ACCESS_REFUSED.
    ch.basic_consume_rx(
        BasicConsumeArguments::new("work", "only-me")
            .exclusive(true)
            .finish(),
    )
    .await
    .unwrap();
    let other = client.channel().await;
    let before = client.closes();
    let _ = other
        .basic_consume_rx(BasicConsumeArguments::new("work", "me-too"))
        .await;
    assert_eq!(client.observed.next_channel_close(before).await, 403);

    // Deleting the queue cancels its consumer from the server side.
    let admin = client.channel().await;
    admin
        .queue_delete(QueueDeleteArguments::new("work"))
        .await
        .unwrap();
    eventually("the broker cancels the consumer", || {
        client
            .observed
            .seen(|seen| seen.cancels.contains(&"only-me".to_owned()))
    })
    .await;
}

#[tokio::test]
async fn nack_reject_and_recover_requeue_as_redelivered() {
    let broker = common::start().await;
    let client = Client::connect(&broker).await;
    let ch = client.channel().await;
    ch.queue_declare(QueueDeclareArguments::new("q"))
        .await
        .unwrap();
    for body in [b"a", b"b", b"c"] {
        publish(&ch, "", "q", body).await;
    }
    assert_eq!(get(&ch, "q").await, Some((b"a".to_vec(), false, 1)));
    ch.basic_nack(BasicNackArguments::new(1, false, true))
        .await
        .unwrap();
    assert_eq!(
        get(&ch, "q").await,
        Some((b"a".to_vec(), true, 2)),
        "a nacked message goes back to its place, redelivered"
    );
    ch.basic_reject(BasicRejectArguments::new(2, false))
        .await
        .unwrap();
    let (body, redelivered, _) = get(&ch, "q").await.unwrap();
    assert_eq!(
        (body.as_slice(), redelivered),
        (&b"b"[..], false),
        "a dropped"
    );
    ch.basic_recover(true).await.unwrap();
    let (body, redelivered, _) = get(&ch, "q").await.unwrap();
    assert_eq!(
        (body.as_slice(), redelivered),
        (&b"b"[..], true),
        "recovered"
    );
    assert_eq!(get(&ch, "q").await.unwrap().0, b"c");
    assert_eq!(get(&ch, "q").await, None, "get-empty");
}

#[tokio::test]
async fn confirms_ack_publishes_return_unroutable_and_nack_past_the_queue_limit() {
    let broker = common::start_with(Config {
        queue_message_limit: 2,
        ..Config::default()
    })
    .await;
    let client = Client::connect(&broker).await;
    let ch = client.channel().await;
    ch.confirm_select(ConfirmSelectArguments::new(false))
        .await
        .unwrap();
    ch.queue_declare(QueueDeclareArguments::new("small"))
        .await
        .unwrap();
    for body in [b"1", b"2", b"3"] {
        publish(&ch, "", "small", body).await;
    }
    ch.basic_publish(
        BasicProperties::default(),
        b"nowhere".to_vec(),
        BasicPublishArguments::new("amq.topic", "no.such.key")
            .mandatory(true)
            .finish(),
    )
    .await
    .unwrap();
    eventually("four confirms", || {
        client.observed.seen(|seen| {
            let acked = seen.acks.iter().map(|(tag, _)| *tag).max().unwrap_or(0);
            acked >= 4 && seen.nacks.len() == 1
        })
    })
    .await;
    let (highest_acked, nacked) = client.observed.confirmed();
    assert_eq!((highest_acked, nacked), (4, 1));
    client.observed.seen(|seen| {
        assert_eq!(seen.nacks[0].0, 3, "the third publish found the queue full");
        assert_eq!(seen.returns, vec![(312, b"nowhere".to_vec())], "NO_ROUTE");
    });
}

/// Each of these is a connection exception in RabbitMQ 3.x, with the
/// offending method's ids: flow(active=false) (consumers should use
/// prefetch) and tx.select (transactions are not implemented here).
#[rstest::rstest]
#[case::flow_off(20, 20)]
#[case::tx_select(90, 10)]
#[tokio::test]
async fn flow_on_is_acknowledged_flow_off_and_tx_are_refused_with_540(
    #[case] class: u16,
    #[case] method: u16,
) {
    let broker = common::start().await;
    let client = Client::connect(&broker).await;
    let ch = client.channel().await;
    assert!(ch.flow(true).await.unwrap(), "flow(active=true) is flow-ok");
    let refused = async {
        match class {
            20 => ch.flow(false).await.map(drop),
            _ => ch.tx_select().await,
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), refused).await;
    eventually("connection.close 540", || {
        client
            .observed
            .seen(|seen| !seen.connection_closes.is_empty())
    })
    .await;
    let close = client.observed.seen(|seen| seen.connection_closes[0]);
    assert_eq!(close, (540, class, method));
    let survivor = Client::connect(&broker).await;
    survivor.channel().await;
}
