//! Conformance: the same cases against the embedded broker and against
//! RabbitMQ (`SWITCHBOARD_RABBITMQ_URL`), demanding the same observable
//! outcome — bodies, redelivered flags, counts, reply codes.
//!
//! When RabbitMQ does not answer, each case still runs against the embedded
//! broker and prints a loud `SKIPPED:` line for the comparison, unless
//! `SWITCHBOARD_REQUIRE_RABBITMQ=1`, which turns that into a failure.

mod common;

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use futures_lite::future::Boxed;
use lapin::{
    BasicProperties, Confirmation, ExchangeKind,
    options::{
        BasicAckOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions,
        BasicRejectOptions, ConfirmSelectOptions, ExchangeBindOptions, ExchangeDeclareOptions,
        ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
        QueuePurgeOptions,
    },
    types::{AMQPValue, FieldTable},
};
use rstest::rstest;

/// A case: runs against one broker and returns what it observed, in order.
type Case = fn(lapin::Connection, String) -> Boxed<Vec<String>>;

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn rabbitmq_url() -> String {
    std::env::var("SWITCHBOARD_RABBITMQ_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

async fn observe(url: &str, case: Case) -> Option<Vec<String>> {
    let connection = lapin::Connection::connect(url, lapin::ConnectionProperties::default())
        .await
        .ok()?;
    Some(case(connection, unique_suffix()).await)
}

fn code_of(result: lapin::Result<impl Sized>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(error) => common::reply_code(&error)
            .map_or_else(|| format!("error {error}"), |code| format!("code {code}")),
    }
}

async fn get(channel: &lapin::Channel, queue: &str, no_ack: bool) -> String {
    match channel
        .basic_get(queue.into(), BasicGetOptions { no_ack })
        .await
    {
        Ok(Some(message)) => format!(
            "get {} redelivered={} remaining={}",
            String::from_utf8_lossy(&message.delivery.data),
            message.delivery.redelivered,
            message.message_count
        ),
        Ok(None) => "get-empty".to_owned(),
        Err(error) => code_of(Err::<(), _>(error)),
    }
}

async fn publish(channel: &lapin::Channel, exchange: &str, key: &str, body: &str) {
    channel
        .basic_publish(
            exchange.into(),
            key.into(),
            BasicPublishOptions::default(),
            body.as_bytes(),
            BasicProperties::default(),
        )
        .await
        .unwrap();
}

async fn ready_count(connection: &lapin::Connection, queue: &str) -> u32 {
    let channel = connection.create_channel().await.unwrap();
    let declared = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    declared.message_count()
}

fn requeue_order(connection: lapin::Connection, suffix: String) -> Boxed<Vec<String>> {
    Box::pin(async move {
        let ch = connection.create_channel().await.unwrap();
        let q = format!("conf-requeue-{suffix}");
        let declared = ch
            .queue_declare(
                q.as_str().into(),
                QueueDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let mut seen = vec![format!(
            "declared messages={} consumers={}",
            declared.message_count(),
            declared.consumer_count()
        )];
        for body in ["a", "b", "c"] {
            publish(&ch, "", &q, body).await;
        }
        let a = ch
            .basic_get(q.as_str().into(), BasicGetOptions::default())
            .await
            .unwrap()
            .unwrap();
        let b = ch
            .basic_get(q.as_str().into(), BasicGetOptions::default())
            .await
            .unwrap()
            .unwrap();
        ch.basic_nack(
            b.delivery.delivery_tag,
            BasicNackOptions {
                requeue: true,
                multiple: false,
            },
        )
        .await
        .unwrap();
        ch.basic_reject(
            a.delivery.delivery_tag,
            BasicRejectOptions { requeue: true },
        )
        .await
        .unwrap();
        for _ in 0..4 {
            seen.push(get(&ch, &q, true).await);
        }
        ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await
            .unwrap();
        seen
    })
}

fn reply_codes(connection: lapin::Connection, suffix: String) -> Boxed<Vec<String>> {
    Box::pin(async move {
        let q = format!("conf-codes-{suffix}");
        let x = format!("conf-codes-x-{suffix}");
        let mut seen = Vec::new();
        let ch = connection.create_channel().await.unwrap();
        seen.push(code_of(
            ch.queue_declare(
                q.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await,
        ));
        let ch = connection.create_channel().await.unwrap();
        ch.exchange_declare(
            x.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
        seen.push(code_of(
            ch.exchange_declare(
                x.as_str().into(),
                ExchangeKind::Direct,
                ExchangeDeclareOptions::default(),
                FieldTable::default(),
            )
            .await,
        ));
        let ch = connection.create_channel().await.unwrap();
        // The ack and the declare go out together: otherwise a fast broker's
        // channel.close reaches the client before it sends the declare, and
        // the client (not the broker) answers "invalid channel state".
        let (acked, declared) = futures_lite::future::zip(
            ch.basic_ack(99, BasicAckOptions::default()),
            ch.queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            ),
        )
        .await;
        acked.unwrap();
        seen.push(code_of(declared));
        let ch = connection.create_channel().await.unwrap();
        seen.push(code_of(
            ch.exchange_declare(
                "amq.conformance".into(),
                ExchangeKind::Direct,
                ExchangeDeclareOptions::default(),
                FieldTable::default(),
            )
            .await,
        ));
        let ch = connection.create_channel().await.unwrap();
        ch.queue_declare(
            q.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
        publish(&ch, "", &q, "x").await;
        seen.push(code_of(
            ch.queue_delete(
                q.as_str().into(),
                QueueDeleteOptions {
                    if_empty: true,
                    ..Default::default()
                },
            )
            .await,
        ));
        let ch = connection.create_channel().await.unwrap();
        seen.push(code_of(
            ch.queue_bind(
                q.as_str().into(),
                format!("missing-{suffix}").into(),
                "k".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await,
        ));
        let ch = connection.create_channel().await.unwrap();
        seen.push(format!(
            "purged {:?}",
            ch.queue_purge(q.as_str().into(), QueuePurgeOptions::default())
                .await
                .map_err(|e| common::reply_code(&e))
        ));
        seen.push(format!(
            "deleted {:?}",
            ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                .await
                .map_err(|e| common::reply_code(&e))
        ));
        ch.exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default())
            .await
            .unwrap();
        seen.push(format!("connected {}", connection.status().connected()));
        seen
    })
}

fn topic_table(connection: lapin::Connection, suffix: String) -> Boxed<Vec<String>> {
    Box::pin(async move {
        let ch = connection.create_channel().await.unwrap();
        let x = format!("conf-topic-{suffix}");
        ch.exchange_declare(
            x.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
        let patterns = ["#", "*", "a.#", "#.a", "a.*.c", "", "*.*", "a.#.c", "#.#"];
        let keys = ["", "a", "a.b.c", "b.a", "a..c", ".", "a.c", "a.b.b.c"];
        let mut queues = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            let q = format!("conf-topic-{i}-{suffix}");
            ch.queue_declare(
                q.as_str().into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
            ch.queue_bind(
                q.as_str().into(),
                x.as_str().into(),
                (*pattern).into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
            queues.push(q);
        }
        for key in keys {
            publish(&ch, &x, key, key).await;
        }
        let mut seen = Vec::new();
        for (pattern, q) in patterns.iter().zip(&queues) {
            let mut matched = Vec::new();
            while let Some(message) = ch
                .basic_get(q.as_str().into(), BasicGetOptions { no_ack: true })
                .await
                .unwrap()
            {
                matched.push(format!(
                    "{:?}",
                    String::from_utf8_lossy(&message.delivery.data)
                ));
            }
            seen.push(format!("{pattern:?} <- {}", matched.join(" ")));
        }
        seen
    })
}

fn headers_and_returns(connection: lapin::Connection, suffix: String) -> Boxed<Vec<String>> {
    Box::pin(async move {
        let ch = connection.create_channel().await.unwrap();
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        let all = format!("conf-all-{suffix}");
        let any = format!("conf-any-{suffix}");
        let text = |s: &str| AMQPValue::LongString(s.into());
        for (q, mode) in [(&all, "all"), (&any, "any")] {
            ch.queue_declare(
                q.as_str().into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
            let mut binding = FieldTable::default();
            binding.insert("x-match".into(), text(mode));
            binding.insert("a".into(), text("1"));
            binding.insert("b".into(), text("2"));
            ch.queue_bind(
                q.as_str().into(),
                "amq.headers".into(),
                "".into(),
                QueueBindOptions::default(),
                binding,
            )
            .await
            .unwrap();
        }
        let mut seen = Vec::new();
        for (body, headers) in [
            ("both", vec![("a", "1"), ("b", "2")]),
            ("one", vec![("a", "1")]),
            ("none", vec![("a", "2")]),
        ] {
            let mut table = FieldTable::default();
            for (k, v) in headers {
                table.insert(k.into(), text(v));
            }
            let confirm = ch
                .basic_publish(
                    "amq.headers".into(),
                    "".into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..Default::default()
                    },
                    body.as_bytes(),
                    BasicProperties::default().with_headers(table),
                )
                .await
                .unwrap()
                .await
                .unwrap();
            seen.push(match confirm {
                Confirmation::Ack(None) => format!("{body}: ack"),
                Confirmation::Ack(Some(returned)) => format!(
                    "{body}: ack, returned {} {}",
                    returned.reply_code, returned.reply_text
                ),
                other => format!("{body}: {other:?}"),
            });
        }
        seen.push(format!(
            "all={} any={}",
            ready_count(&connection, &all).await,
            ready_count(&connection, &any).await
        ));
        seen
    })
}

/// Current Wazo's topology: a durable headers exchange (`wazo-headers`)
/// bound from the topic exchange (`xivo`) with `#`, queues bound on it as
/// wazo-bus and wazo-websocketd bind them: `{name, x-match: all}`, a
/// `user_uuid:<uuid>: true` flag (boolean), `x-match: any` over a flag and a
/// name, and `{origin_uuid, tenant_uuid}` through a per-tenant exchange.
/// Messages carry headers the way kombu writes them (strings as long
/// strings, booleans, 32-bit integers); some are published on `xivo` (as
/// wazo-auth does) and must reach header consumers through the binding,
/// once, even for a queue bound both ways.
fn wazo_topology(connection: lapin::Connection, suffix: String) -> Boxed<Vec<String>> {
    Box::pin(async move {
        let ch = connection.create_channel().await.unwrap();
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        let topic = format!("conf-xivo-{suffix}");
        let headers = format!("conf-wazo-headers-{suffix}");
        let tenant_exchange = format!("conf-tenant-{suffix}");
        let text = |s: &str| AMQPValue::LongString(s.into());
        let flag = AMQPValue::Boolean(true);
        for (name, kind, durable) in [
            (&topic, ExchangeKind::Topic, true),
            (&headers, ExchangeKind::Headers, true),
            (&tenant_exchange, ExchangeKind::Headers, false),
        ] {
            ch.exchange_declare(
                name.as_str().into(),
                kind,
                ExchangeDeclareOptions {
                    durable,
                    auto_delete: !durable,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        }
        ch.exchange_bind(
            headers.as_str().into(),
            topic.as_str().into(),
            "#".into(),
            ExchangeBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
        let mut tenant_binding = FieldTable::default();
        tenant_binding.insert("origin_uuid".into(), text("origin-1"));
        tenant_binding.insert("tenant_uuid".into(), text("tenant-a"));
        ch.exchange_bind(
            tenant_exchange.as_str().into(),
            headers.as_str().into(),
            "".into(),
            ExchangeBindOptions::default(),
            tenant_binding,
        )
        .await
        .unwrap();
        let table = |entries: Vec<(&str, AMQPValue)>| {
            let mut table = FieldTable::default();
            for (key, value) in entries {
                table.insert(key.into(), value);
            }
            table
        };
        // (queue, exchange, routing key, binding arguments)
        let bindings = [
            (
                "by-name",
                &headers,
                "",
                table(vec![
                    ("name", text("call_created")),
                    ("x-match", text("all")),
                ]),
            ),
            (
                "by-user",
                &headers,
                "",
                table(vec![
                    ("user_uuid:u1", flag.clone()),
                    ("x-match", text("all")),
                ]),
            ),
            (
                "any",
                &headers,
                "",
                table(vec![
                    ("user_uuid:*", flag.clone()),
                    ("name", text("call_ended")),
                    ("x-match", text("any")),
                ]),
            ),
            ("everything", &headers, "", FieldTable::default()),
            (
                "tenant-a",
                &tenant_exchange,
                "",
                table(vec![("user_uuid:*", flag.clone())]),
            ),
            (
                "both-ways",
                &headers,
                "",
                table(vec![("name", text("auth_tenant_added"))]),
            ),
            ("both-ways", &topic, "auth.#", FieldTable::default()),
            ("topic-calls", &topic, "calls.#", FieldTable::default()),
        ];
        let queue_of = |label: &str| format!("conf-wazo-{label}-{suffix}");
        for label in [
            "by-name",
            "by-user",
            "any",
            "everything",
            "tenant-a",
            "both-ways",
            "topic-calls",
        ] {
            ch.queue_declare(
                queue_of(label).as_str().into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        }
        for (label, exchange, key, arguments) in bindings {
            ch.queue_bind(
                queue_of(label).as_str().into(),
                exchange.as_str().into(),
                key.into(),
                QueueBindOptions::default(),
                arguments,
            )
            .await
            .unwrap();
        }
        let tenant = |t: &str| ("tenant_uuid", text(t));
        let origin = ("origin_uuid", text("origin-1"));
        // (body, exchange, routing key, headers)
        let messages = [
            (
                "created-u1",
                &headers,
                "calls.call.created",
                vec![
                    ("name", text("call_created")),
                    origin.clone(),
                    tenant("tenant-a"),
                    ("user_uuid:u1", flag.clone()),
                ],
            ),
            (
                "created-u2",
                &headers,
                "calls.call.created",
                vec![
                    ("name", text("call_created")),
                    origin.clone(),
                    tenant("tenant-b"),
                    ("user_uuid:u2", flag.clone()),
                ],
            ),
            (
                "flag-false",
                &headers,
                "calls.call.updated",
                vec![
                    ("name", text("call_updated")),
                    origin.clone(),
                    tenant("tenant-a"),
                    ("user_uuid:u1", AMQPValue::Boolean(false)),
                ],
            ),
            (
                "ended",
                &headers,
                "calls.call.ended",
                vec![
                    ("name", text("call_ended")),
                    origin.clone(),
                    tenant("tenant-b"),
                ],
            ),
            (
                "tenant-wide",
                &headers,
                "config.user.created",
                vec![
                    ("name", text("user_created")),
                    origin.clone(),
                    tenant("tenant-a"),
                    ("user_uuid:*", flag.clone()),
                    ("conference_id", AMQPValue::LongInt(4001)),
                ],
            ),
            (
                "other-origin",
                &headers,
                "config.user.created",
                vec![
                    ("name", text("user_created")),
                    ("origin_uuid", text("origin-2")),
                    tenant("tenant-a"),
                    ("user_uuid:*", flag.clone()),
                ],
            ),
            (
                "via-xivo",
                &topic,
                "auth.tenants.t.created",
                vec![
                    ("name", text("auth_tenant_added")),
                    origin.clone(),
                    tenant("tenant-a"),
                    ("user_uuid:*", flag.clone()),
                ],
            ),
        ];
        let mut seen = Vec::new();
        for (body, exchange, key, entries) in messages {
            let confirm = ch
                .basic_publish(
                    exchange.as_str().into(),
                    key.into(),
                    BasicPublishOptions::default(),
                    body.as_bytes(),
                    BasicProperties::default()
                        .with_headers(table(entries))
                        .with_delivery_mode(2),
                )
                .await
                .unwrap()
                .await
                .unwrap();
            seen.push(format!(
                "{body}: {}",
                if confirm.is_ack() { "ack" } else { "nack" }
            ));
        }
        for label in [
            "by-name",
            "by-user",
            "any",
            "everything",
            "tenant-a",
            "both-ways",
            "topic-calls",
        ] {
            let queue = queue_of(label);
            let mut bodies = Vec::new();
            while let Ok(Some(message)) = ch
                .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
                .await
            {
                bodies.push(String::from_utf8_lossy(&message.delivery.data).into_owned());
            }
            seen.push(format!("{label}: {}", bodies.join(" ")));
        }
        for name in [&tenant_exchange, &headers, &topic] {
            let _ = ch
                .exchange_delete(name.as_str().into(), ExchangeDeleteOptions::default())
                .await;
        }
        seen
    })
}

fn max_length_and_counts(connection: lapin::Connection, suffix: String) -> Boxed<Vec<String>> {
    Box::pin(async move {
        let ch = connection.create_channel().await.unwrap();
        let q = format!("conf-maxlen-{suffix}");
        let mut arguments = FieldTable::default();
        arguments.insert("x-max-length".into(), AMQPValue::LongInt(2));
        ch.queue_declare(
            q.as_str().into(),
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            arguments.clone(),
        )
        .await
        .unwrap();
        // Confirmed publishes: RabbitMQ counts a message only once its queue
        // has it, and a confirm is the only promise that it has.
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .unwrap();
        for body in ["1", "2", "3", "4"] {
            ch.basic_publish(
                "".into(),
                q.as_str().into(),
                BasicPublishOptions::default(),
                body.as_bytes(),
                BasicProperties::default(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        }
        let mut seen = vec![format!("ready {}", ready_count(&connection, &q).await)];
        seen.push(get(&ch, &q, false).await);
        let redeclared = ch
            .queue_declare(
                q.as_str().into(),
                QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                },
                arguments,
            )
            .await
            .unwrap();
        seen.push(format!(
            "declare-ok messages={} consumers={}",
            redeclared.message_count(),
            redeclared.consumer_count()
        ));
        seen.push(format!(
            "purged {}",
            ch.queue_purge(q.as_str().into(), QueuePurgeOptions::default())
                .await
                .unwrap()
        ));
        ch.basic_recover(lapin::options::BasicRecoverOptions { requeue: true })
            .await
            .unwrap();
        seen.push(get(&ch, &q, true).await);
        seen
    })
}

#[rstest]
#[case::requeue_order("requeue_order", requeue_order)]
#[case::reply_codes("reply_codes", reply_codes)]
#[case::topic_table("topic_table", topic_table)]
#[case::headers_and_returns("headers_and_returns", headers_and_returns)]
#[case::max_length_and_counts("max_length_and_counts", max_length_and_counts)]
#[case::wazo_topology("wazo_topology", wazo_topology)]
#[tokio::test]
async fn same_outcome_as_rabbitmq(#[case] name: &str, #[case] case: Case) {
    let broker = common::start().await;
    let embedded = observe(&broker.url(), case)
        .await
        .expect("the embedded broker answers");
    let url = rabbitmq_url();
    let rabbitmq = observe(&url, case).await;
    report_row(name, &embedded, rabbitmq.as_deref());
    match rabbitmq {
        Some(rabbitmq) => assert_eq!(embedded, rabbitmq, "embedded (left) vs RabbitMQ (right)"),
        None if std::env::var("SWITCHBOARD_REQUIRE_RABBITMQ").as_deref() == Ok("1") => {
            panic!("RabbitMQ at {url} does not answer and SWITCHBOARD_REQUIRE_RABBITMQ=1")
        }
        None => eprintln!(
            "SKIPPED: RabbitMQ at {url} does not answer; compared nothing (embedded saw {embedded:?})"
        ),
    }
}

/// Appends this case's outcome to the file named by
/// `SWITCHBOARD_CONFORMANCE_REPORT`, one tab-separated line per case, for
/// `cargo xtask conformance` to print as a table. Written before the
/// assertion so that a differing case is in the table too.
fn report_row(name: &str, embedded: &[String], rabbitmq: Option<&[String]>) {
    let Ok(path) = std::env::var("SWITCHBOARD_CONFORMANCE_REPORT") else {
        return;
    };
    let verdict = match rabbitmq {
        Some(rabbitmq) if rabbitmq == embedded => "same".to_owned(),
        Some(rabbitmq) => {
            let first = embedded
                .iter()
                .zip(rabbitmq)
                .position(|(e, r)| e != r)
                .unwrap_or(embedded.len().min(rabbitmq.len()));
            format!("DIFFERS from observation {}", first + 1)
        }
        None => "skipped (RabbitMQ unreachable)".to_owned(),
    };
    let line = format!(
        "{name}\t{}\t{}\t{verdict}\n",
        embedded.len(),
        rabbitmq.map_or_else(|| "-".to_owned(), |r| r.len().to_string()),
    );
    use std::io::Write;
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = appended {
        eprintln!("cannot append to the conformance report {path}: {error}");
    }
}
