//! Feeds arbitrary bytes to a connection after a completed handshake, then
//! checks that the broker still completes a handshake on a new connection:
//! a client's bytes may close its own connection, never the broker.
#![no_main]

use std::{net::SocketAddr, sync::OnceLock, time::Duration};

use amq_protocol::{
    auth::{Credentials, SASLMechanism},
    frame::{AMQPFrame, WriteContext, gen_frame, parse_frame},
    protocol::{AMQPClass, connection},
    types::FieldTable,
};
use libfuzzer_sys::fuzz_target;
use switchboard_broker::{BrokerHandle, Config, EmbeddedBroker};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    runtime::Runtime,
};

struct Fixture {
    runtime: Runtime,
    broker: BrokerHandle,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = Runtime::new().expect("runtime");
        let broker = runtime
            .block_on(EmbeddedBroker::start(Config::default()))
            .expect("broker starts");
        Fixture { runtime, broker }
    })
}

async fn send(socket: &mut TcpStream, method: connection::AMQPMethod) {
    let frame = AMQPFrame::Method(0, AMQPClass::Connection(method));
    let (bytes, _) = gen_frame(&frame)(WriteContext::from(Vec::new()))
        .expect("encodes")
        .into_inner();
    socket.write_all(&bytes).await.expect("write");
}

/// Reads until one connection method arrives.
async fn receive(socket: &mut TcpStream, input: &mut Vec<u8>) -> connection::AMQPMethod {
    loop {
        if let Ok((rest, frame)) = parse_frame(input.as_slice()) {
            let used = input.len() - rest.len();
            input.drain(..used);
            if let AMQPFrame::Method(0, AMQPClass::Connection(method)) = frame {
                return method;
            }
            continue;
        }
        let mut chunk = [0u8; 4096];
        let read = socket.read(&mut chunk).await.expect("read");
        assert!(read > 0, "broker closed during the handshake");
        input.extend_from_slice(&chunk[..read]);
    }
}

async fn handshake(addr: SocketAddr) -> TcpStream {
    let mut socket = TcpStream::connect(addr).await.expect("broker accepts");
    let mut input = Vec::new();
    socket.write_all(b"AMQP\x00\x00\x09\x01").await.expect("write");
    receive(&mut socket, &mut input).await;
    send(&mut socket, connection::AMQPMethod::StartOk(connection::StartOk {
        client_properties: FieldTable::default(),
        mechanism: "PLAIN".into(),
        response: Credentials::default().sasl_auth_string(SASLMechanism::Plain),
        locale: "en_US".into(),
    }))
    .await;
    let connection::AMQPMethod::Tune(tune) = receive(&mut socket, &mut input).await else {
        panic!("expected tune");
    };
    send(&mut socket, connection::AMQPMethod::TuneOk(connection::TuneOk {
        channel_max: tune.channel_max,
        frame_max: tune.frame_max,
        heartbeat: 0,
    }))
    .await;
    send(&mut socket, connection::AMQPMethod::Open(connection::Open { virtual_host: "/".into() })).await;
    let opened = receive(&mut socket, &mut input).await;
    assert!(matches!(opened, connection::AMQPMethod::OpenOk(_)), "{opened:?}");
    socket
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let addr = fixture.broker.addr();
    fixture.runtime.block_on(async {
        let mut socket = handshake(addr).await;
        let _ = socket.write_all(data).await;
        let mut sink = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_millis(20), socket.read(&mut sink)).await;
        drop(socket);
        // The broker must still serve a well-behaved client.
        drop(handshake(addr).await);
    });
});
