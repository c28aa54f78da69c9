//! The local RabbitMQ the real-broker and conformance tests use: 127.0.0.1:5672, guest/guest.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::shell;

const ADDR: &str = "127.0.0.1:5672";
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Starts RabbitMQ unless it already answers, then waits until it speaks AMQP.
pub fn up() -> anyhow::Result<()> {
    if answers_amqp() {
        eprintln!("RabbitMQ answers on {ADDR}");
        return Ok(());
    }
    if !shell::available("which", &["rabbitmq-server"]) {
        bail!(
            "RabbitMQ does not answer on {ADDR} and `rabbitmq-server` is not installed \
             (Debian: apt-get install rabbitmq-server)"
        );
    }
    shell::run("rabbitmq-server", &["-detached"])?;
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if answers_amqp() {
            eprintln!(
                "RabbitMQ answers on {ADDR} after {:.1}s",
                started.elapsed().as_secs_f32()
            );
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    bail!(
        "RabbitMQ was started but did not answer on {ADDR} within {}s",
        START_TIMEOUT.as_secs()
    )
}

pub fn status() -> anyhow::Result<()> {
    if answers_amqp() {
        println!("RabbitMQ answers on {ADDR}");
        Ok(())
    } else {
        bail!("RabbitMQ does not answer on {ADDR}")
    }
}

pub fn down() -> anyhow::Result<()> {
    shell::run("rabbitmqctl", &["stop"]).context("cannot stop RabbitMQ")
}

/// True when something on 5672 answers an AMQP 0-9-1 protocol header with a
/// frame (connection.start), not merely accepts TCP: RabbitMQ accepts
/// connections a moment before it is ready to serve them.
fn answers_amqp() -> bool {
    let Ok(addr) = ADDR.parse::<SocketAddr>() else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"AMQP\x00\x00\x09\x01").is_err() {
        return false;
    }
    let mut frame_type = [0u8; 1];
    // Frame type 1 = method frame: the broker's connection.start.
    matches!(stream.read_exact(&mut frame_type), Ok(()) if frame_type[0] == 1)
}
