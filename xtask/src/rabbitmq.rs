//! The RabbitMQ the real-broker and conformance tests use: the local
//! installation on 127.0.0.1:5672 (guest/guest), or a container named
//! `switchboard-rabbitmq` on a port of 127.0.0.1 (`--container`), started
//! through the Docker engine's API by the same library code as
//! `--broker container`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use switchboard::provision::container::{self, ContainerBroker, ContainerImage, Engine};

use crate::shell;

const ADDR: &str = "127.0.0.1:5672";
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// The container `rabbitmq up --container` starts and `down --container` removes.
pub const CONTAINER_NAME: &str = "switchboard-rabbitmq";

/// Which RabbitMQ a subcommand is about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// The installed `rabbitmq-server` on 127.0.0.1:5672.
    Local,
    /// The `switchboard-rabbitmq` container, from this image (`None`: the
    /// official one if it can be had, else the offline one).
    Container(Option<ContainerImage>),
}

/// `--container [--image IMAGE]`, or nothing.
fn parse_target(args: &[&str], allow_image: bool) -> anyhow::Result<Target> {
    let mut container = false;
    let mut image = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--container" => container = true,
            "--image" if allow_image => {
                let reference = rest.next().context("--image needs an IMAGE[:TAG]")?;
                image = Some(ContainerImage::parse(reference).with_context(|| {
                    format!("--image '{reference}' is not an image reference (IMAGE[:TAG])")
                })?);
            }
            other => bail!("unknown argument '{other}'"),
        }
    }
    match (container, image) {
        (false, Some(_)) => bail!("--image goes with --container"),
        (false, None) => Ok(Target::Local),
        (true, image) => Ok(Target::Container(image)),
    }
}

/// `rabbitmq up [--container [--image IMAGE]]`.
pub fn up_command(args: &[&str]) -> anyhow::Result<()> {
    match parse_target(args, true)? {
        Target::Local => up(),
        Target::Container(image) => {
            let url = block_on(container_up(image.as_ref()))?;
            // The URL alone on stdout, for `export SWITCHBOARD_RABBITMQ_URL=$(…)`.
            println!("{url}");
            Ok(())
        }
    }
}

/// `rabbitmq down [--container]`.
pub fn down_command(args: &[&str]) -> anyhow::Result<()> {
    match parse_target(args, false)? {
        Target::Local => down(),
        Target::Container(_) => block_on(container_down()),
    }
}

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

/// `rabbitmq status [--container]`: both brokers, or only the container
/// (failing when it does not answer).
pub fn status_command(args: &[&str]) -> anyhow::Result<()> {
    match parse_target(args, false)? {
        Target::Local => status(),
        Target::Container(_) => {
            println!("container: {}", block_on(container_status())?);
            Ok(())
        }
    }
}

/// Reports the local RabbitMQ and the `switchboard-rabbitmq` container;
/// fails when neither answers.
pub fn status() -> anyhow::Result<()> {
    let local = answers_amqp();
    if local {
        println!("local: RabbitMQ answers on {ADDR}");
    } else {
        println!("local: RabbitMQ does not answer on {ADDR}");
    }
    let container = block_on(container_status());
    match &container {
        Ok(line) => println!("container: {line}"),
        Err(error) => println!("container: {error:#}"),
    }
    if !local && container.is_err() {
        bail!("no RabbitMQ answers (neither on {ADDR} nor in the {CONTAINER_NAME} container)");
    }
    Ok(())
}

pub fn down() -> anyhow::Result<()> {
    shell::run("rabbitmqctl", &["stop"]).context("cannot stop RabbitMQ")
}

/// The URL of the `switchboard-rabbitmq` container, started unless it
/// already runs and answers.
async fn container_up(image: Option<&ContainerImage>) -> anyhow::Result<String> {
    let engine = Engine::connect().await?;
    if let Some(found) = container::find_named(&engine, CONTAINER_NAME).await? {
        let same_image = image.is_none_or(|image| image.to_string() == found.image);
        match found.url.filter(|_| found.running && same_image) {
            Some(url) if answers_login(&url).await => {
                eprintln!(
                    "xtask: the {CONTAINER_NAME} container ({}) already answers at {url}",
                    found.image
                );
                return Ok(url.to_url_with_credentials());
            }
            _ => {
                eprintln!(
                    "xtask: replacing the {CONTAINER_NAME} container ({}, not answering or another image)",
                    found.image
                );
                container::remove(&engine, CONTAINER_NAME).await?;
            }
        }
    }
    let started = Instant::now();
    let broker = ContainerBroker::start_named(image, CONTAINER_NAME).await?;
    eprintln!(
        "xtask: RabbitMQ from {} answers at {} after {:.1}s (container {CONTAINER_NAME}; `cargo xtask rabbitmq down --container` removes it)",
        broker.image(),
        broker.url(),
        started.elapsed().as_secs_f64()
    );
    Ok(broker.keep().to_url_with_credentials())
}

async fn container_down() -> anyhow::Result<()> {
    let engine = Engine::connect().await?;
    if container::remove(&engine, CONTAINER_NAME).await? {
        eprintln!("xtask: removed the {CONTAINER_NAME} container");
    } else {
        eprintln!("xtask: there is no {CONTAINER_NAME} container");
    }
    Ok(())
}

async fn container_status() -> anyhow::Result<String> {
    let engine = Engine::connect().await?;
    let Some(found) = container::find_named(&engine, CONTAINER_NAME).await? else {
        bail!("no {CONTAINER_NAME} container (`cargo xtask rabbitmq up --container` starts one)");
    };
    match found.url.filter(|_| found.running) {
        Some(url) if answers_login(&url).await => Ok(format!(
            "RabbitMQ ({}) answers at {}",
            found.image,
            url.to_url_with_credentials()
        )),
        _ => bail!(
            "the {CONTAINER_NAME} container ({}) exists but RabbitMQ does not answer in it",
            found.image
        ),
    }
}

async fn answers_login(url: &switchboard::provision::AmqpUrl) -> bool {
    match switchboard::provision::connect(url, "xtask-status", Duration::from_secs(5)).await {
        Ok(connection) => {
            let _ = connection.close().await;
            true
        }
        Err(_) => false,
    }
}

/// Runs `future` on a runtime of its own: xtask is synchronous elsewhere.
pub fn block_on<T>(future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")?
        .block_on(future)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(parse_target(&[], true).unwrap(), Target::Local);
        assert_eq!(
            parse_target(&["--container"], true).unwrap(),
            Target::Container(None)
        );
        assert_eq!(
            parse_target(&["--container", "--image", "rabbitmq:4.0"], true).unwrap(),
            Target::Container(Some(ContainerImage::new("rabbitmq", "4.0")))
        );
        assert!(parse_target(&["--image", "rabbitmq"], true).is_err());
        assert!(parse_target(&["--container", "--image", "x"], false).is_err());
        assert!(parse_target(&["--bogus"], true).is_err());
    }
}
