//! Tests that speak raw bytes to the broker: a wrong protocol header, garbage
//! and oversized frames after the handshake (only that connection closes),
//! AMQPLAIN login, missed heartbeats, and shutdown.

mod common;

use std::time::Duration;

use amq_protocol::{
    auth::{Credentials, SASLMechanism},
    frame::{AMQPContentHeader, AMQPFrame, WriteContext, gen_frame, parse_frame},
    protocol::{AMQPClass, BasicProperties, basic, channel, connection, queue},
    types::{AMQPValue, FieldTable},
};
use switchboard_broker::Config;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A hand-driven AMQP client.
struct RawClient {
    socket: TcpStream,
    input: Vec<u8>,
}

impl RawClient {
    async fn connect(addr: std::net::SocketAddr) -> Self {
        Self {
            socket: TcpStream::connect(addr).await.unwrap(),
            input: Vec::new(),
        }
    }

    async fn send(&mut self, frame: AMQPFrame) {
        let (bytes, _) = gen_frame(&frame)(WriteContext::from(Vec::new()))
            .unwrap()
            .into_inner();
        self.socket.write_all(&bytes).await.unwrap();
    }

    async fn send_method(&mut self, channel: u16, method: AMQPClass) {
        self.send(AMQPFrame::Method(channel, method)).await;
    }

    /// The next frame, or `None` once the broker closed the socket.
    async fn frame(&mut self) -> Option<AMQPFrame> {
        loop {
            if !self.input.is_empty() {
                match parse_frame(self.input.as_slice()) {
                    Ok((rest, frame)) => {
                        let used = self.input.len() - rest.len();
                        self.input.drain(..used);
                        return Some(frame);
                    }
                    Err(error) if error.is_incomplete() => {}
                    Err(error) => panic!("broker sent a bad frame: {error}"),
                }
            }
            let mut chunk = [0u8; 4096];
            let read = tokio::time::timeout(Duration::from_secs(10), self.socket.read(&mut chunk))
                .await
                .expect("the broker answers")
                .unwrap_or(0);
            if read == 0 {
                return None;
            }
            self.input.extend_from_slice(&chunk[..read]);
        }
    }

    async fn method(&mut self) -> Option<AMQPClass> {
        loop {
            match self.frame().await? {
                AMQPFrame::Method(_, method) => return Some(method),
                AMQPFrame::Heartbeat => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Runs the handshake with AMQPLAIN and the given heartbeat.
    async fn open(addr: std::net::SocketAddr, heartbeat: u16) -> Self {
        Self::open_with(addr, heartbeat, FieldTable::default()).await
    }

    async fn open_with(
        addr: std::net::SocketAddr,
        heartbeat: u16,
        client_properties: FieldTable,
    ) -> Self {
        let mut client = Self::connect(addr).await;
        client
            .socket
            .write_all(b"AMQP\x00\x00\x09\x01")
            .await
            .unwrap();
        let Some(AMQPClass::Connection(connection::AMQPMethod::Start(start))) =
            client.method().await
        else {
            panic!("expected connection.start");
        };
        assert!(start.mechanisms.to_string().contains("AMQPLAIN"));
        let capabilities = start.server_properties.inner().get("capabilities").cloned();
        assert!(format!("{capabilities:?}").contains("publisher_confirms"));
        let response = Credentials::default().sasl_auth_string(SASLMechanism::AMQPlain);
        client
            .send_method(
                0,
                AMQPClass::Connection(connection::AMQPMethod::StartOk(connection::StartOk {
                    client_properties,
                    mechanism: "AMQPLAIN".into(),
                    response,
                    locale: "en_US".into(),
                })),
            )
            .await;
        let Some(AMQPClass::Connection(connection::AMQPMethod::Tune(tune))) = client.method().await
        else {
            panic!("expected connection.tune");
        };
        client
            .send_method(
                0,
                AMQPClass::Connection(connection::AMQPMethod::TuneOk(connection::TuneOk {
                    channel_max: tune.channel_max,
                    frame_max: tune.frame_max,
                    heartbeat,
                })),
            )
            .await;
        client
            .send_method(
                0,
                AMQPClass::Connection(connection::AMQPMethod::Open(connection::Open {
                    virtual_host: "/".into(),
                })),
            )
            .await;
        assert!(matches!(
            client.method().await,
            Some(AMQPClass::Connection(connection::AMQPMethod::OpenOk(_)))
        ));
        client
    }

    /// Expects `connection.close` with `code`, answers close-ok, expects the socket to close.
    async fn expect_connection_close(&mut self, code: u16) {
        match self.method().await {
            Some(AMQPClass::Connection(connection::AMQPMethod::Close(close))) => {
                assert_eq!(close.reply_code, code, "{close:?}");
            }
            other => panic!("expected connection.close {code}, got {other:?}"),
        }
        self.send_method(
            0,
            AMQPClass::Connection(connection::AMQPMethod::CloseOk(connection::CloseOk {})),
        )
        .await;
        assert!(self.frame().await.is_none(), "the broker closes the socket");
    }
}

#[tokio::test]
async fn a_wrong_protocol_header_is_answered_with_the_right_one() {
    let broker = common::start().await;
    let mut client = RawClient::connect(broker.addr()).await;
    client
        .socket
        .write_all(b"AMQP\x01\x01\x00\x0a")
        .await
        .unwrap();
    let mut reply = Vec::new();
    client.socket.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"AMQP\x00\x00\x09\x01");
}

#[tokio::test]
async fn garbage_and_oversized_frames_close_only_their_connection() {
    let broker = common::start().await;
    let bystander = common::lapin(&broker).await;
    let bystander_channel = bystander.create_channel().await.unwrap();

    let mut garbage = RawClient::open(broker.addr(), 0).await;
    garbage
        .socket
        .write_all(&[1, 0, 1, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 0xce])
        .await
        .unwrap();
    garbage.expect_connection_close(501).await;

    let mut unknown_type = RawClient::open(broker.addr(), 0).await;
    unknown_type
        .socket
        .write_all(b"\x07\x00\x00\x00\x00\x00\x00\xce")
        .await
        .unwrap();
    unknown_type.expect_connection_close(501).await;

    let mut oversized = RawClient::open(broker.addr(), 0).await;
    oversized
        .socket
        .write_all(&[3, 0, 1, 0x7f, 0xff, 0xff, 0xff])
        .await
        .unwrap();
    oversized.expect_connection_close(501).await;

    let mut no_channel = RawClient::open(broker.addr(), 0).await;
    no_channel.send(AMQPFrame::Body(5, b"body".to_vec())).await;
    no_channel.expect_connection_close(504).await;

    bystander_channel
        .queue_declare(
            "still-fine".into(),
            Default::default(),
            FieldTable::default(),
        )
        .await
        .expect("other connections keep working");
    assert!(bystander.status().connected());
}

#[tokio::test]
async fn content_without_publish_is_an_unexpected_frame() {
    let broker = common::start().await;
    let mut client = RawClient::open(broker.addr(), 0).await;
    client
        .send_method(
            1,
            AMQPClass::Channel(channel::AMQPMethod::Open(channel::Open {})),
        )
        .await;
    assert!(matches!(
        client.method().await,
        Some(AMQPClass::Channel(channel::AMQPMethod::OpenOk(_)))
    ));
    client.send(AMQPFrame::Body(1, b"stray".to_vec())).await;
    client.expect_connection_close(505).await;
}

#[tokio::test]
async fn a_client_that_misses_heartbeats_is_disconnected() {
    let broker = common::start().await;
    let mut silent = RawClient::open(broker.addr(), 1).await;
    // The broker sends its own heartbeats, then gives up after two silent intervals.
    let mut heartbeats = 0;
    while let Some(frame) = silent.frame().await {
        assert_eq!(frame, AMQPFrame::Heartbeat);
        heartbeats += 1;
    }
    assert!(heartbeats >= 1, "the broker sent heartbeats before closing");
}

#[tokio::test]
async fn shutdown_closes_clients_with_320_and_leaves_nothing_running() {
    let broker = common::start_with(Config::default()).await;
    let addr = broker.addr();
    let mut client = RawClient::open(addr, 0).await;
    let lapin_client = common::lapin(&broker).await;
    assert!(
        broker.running_tasks() >= 4,
        "accept loop, sweeper and two connections"
    );
    let closing = tokio::spawn(async move {
        client.expect_connection_close(320).await;
    });
    broker.shutdown().await;
    closing.await.unwrap();
    common::eventually("lapin saw the close", || !lapin_client.status().connected()).await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn start_is_ready_at_once_and_drop_stops_the_broker() {
    let started = std::time::Instant::now();
    let broker = common::start().await;
    let addr = broker.addr();
    let _connected = TcpStream::connect(addr)
        .await
        .expect("accepting as soon as start returns");
    let elapsed = started.elapsed();
    eprintln!("start() to accepted connection: {elapsed:?}");
    assert_ne!(addr.port(), 5672);
    drop(broker);
    common::eventually("listener closed after drop", || {
        std::net::TcpStream::connect(addr).is_err()
    })
    .await;
}

/// Deterministic random bytes (xorshift), so a failure replays exactly.
fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// A poor man's fuzzing that runs in every test run (the cargo-fuzz target
/// in `broker/fuzz/` goes further): random bytes after the handshake, some
/// behind a valid frame header, never take the broker down.
#[tokio::test]
async fn random_bytes_after_the_handshake_never_hurt_the_broker() {
    let broker = common::start().await;
    for seed in 1..=40u64 {
        let mut client = RawClient::open(broker.addr(), 0).await;
        let mut bytes = pseudo_random_bytes(seed, (seed as usize * 37) % 600 + 1);
        if seed % 2 == 0 {
            // A plausible method frame header on channel 1 with a random payload.
            let payload_len = u32::try_from(bytes.len()).unwrap();
            let mut framed = vec![1, 0, 1];
            framed.extend_from_slice(&payload_len.to_be_bytes());
            framed.append(&mut bytes);
            framed.push(0xce);
            bytes = framed;
        }
        client.socket.write_all(&bytes).await.unwrap();
        // Whatever the broker makes of it, it answers or closes: it never hangs or dies.
        let _ = tokio::time::timeout(Duration::from_millis(200), client.frame()).await;
    }
    let survivor = common::lapin(&broker).await;
    let channel = survivor.create_channel().await.unwrap();
    channel
        .queue_declare(
            "after-fuzz".into(),
            Default::default(),
            FieldTable::default(),
        )
        .await
        .expect("the broker still serves");
}

#[tokio::test]
async fn publishers_are_blocked_past_the_memory_bound_and_unblocked_when_drained() {
    let broker = common::start_with(Config {
        memory_limit: 1000,
        ..Config::default()
    })
    .await;
    let mut capabilities = FieldTable::default();
    capabilities.insert("connection.blocked".into(), AMQPValue::Boolean(true));
    let mut properties = FieldTable::default();
    properties.insert("capabilities".into(), AMQPValue::FieldTable(capabilities));
    let mut publisher = RawClient::open_with(broker.addr(), 0, properties).await;
    publisher
        .send_method(
            1,
            AMQPClass::Channel(channel::AMQPMethod::Open(channel::Open {})),
        )
        .await;
    assert!(matches!(
        publisher.method().await,
        Some(AMQPClass::Channel(channel::AMQPMethod::OpenOk(_)))
    ));
    publisher
        .send_method(
            1,
            AMQPClass::Queue(queue::AMQPMethod::Declare(queue::Declare {
                queue: "heavy".into(),
                nowait: true,
                ..Default::default()
            })),
        )
        .await;
    for _ in 0..2 {
        publisher
            .send_method(
                1,
                AMQPClass::Basic(basic::AMQPMethod::Publish(basic::Publish {
                    exchange: "".into(),
                    routing_key: "heavy".into(),
                    ..Default::default()
                })),
            )
            .await;
        publisher
            .send(AMQPFrame::Header(
                1,
                AMQPContentHeader {
                    class_id: 60,
                    body_size: 800,
                    properties: BasicProperties::default(),
                },
            ))
            .await;
        publisher.send(AMQPFrame::Body(1, vec![b'x'; 800])).await;
    }
    assert!(
        matches!(
            publisher.method().await,
            Some(AMQPClass::Connection(connection::AMQPMethod::Blocked(_)))
        ),
        "1600 bytes held, the limit is 1000"
    );
    assert_eq!(broker.memory_used(), 1600);
    let drainer = common::lapin(&broker).await;
    let channel = drainer.create_channel().await.unwrap();
    let purged = channel
        .queue_purge("heavy".into(), Default::default())
        .await
        .unwrap();
    assert_eq!(purged, 2, "consumers are not blocked");
    assert!(matches!(
        publisher.method().await,
        Some(AMQPClass::Connection(connection::AMQPMethod::Unblocked(_)))
    ));
    assert_eq!(broker.memory_used(), 0);
}
