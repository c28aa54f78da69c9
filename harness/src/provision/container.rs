//! A RabbitMQ container started with testcontainers.
//!
//! The container is configured by [`container_request`] (a pure function,
//! unit-tested), started through the Docker engine, and considered ready
//! when RabbitMQ has logged "Server startup complete" *and* an AMQP login on
//! the mapped port succeeds. testcontainers removes the container when the
//! handle is dropped.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use testcontainers::core::{ContainerPort, IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ContainerRequest, GenericImage, ImageExt};

use super::readiness::wait_for_amqp;
use super::{AmqpUrl, ConnectError};

/// RabbitMQ's AMQP port inside the container.
pub const AMQP_PORT: ContainerPort = ContainerPort::Tcp(5672);
/// The line RabbitMQ prints once every listener is up.
const STARTUP_LINE: &str = "Server startup complete";
/// How long pulling and booting the image may take.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// How long the AMQP probe may take once the log line appeared.
const AMQP_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A Docker image reference: name (with registry, if any) and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerImage {
    /// `rabbitmq`, `registry.example.com:5000/team/rabbitmq`, …
    pub name: String,
    /// `3.13-management`, `latest`, …
    pub tag: String,
}

impl ContainerImage {
    /// An image from its parts.
    pub fn new(name: impl Into<String>, tag: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            tag: tag.into(),
        }
    }

    /// Parses `NAME[:TAG]`; a colon inside a registry address
    /// (`host:5000/name`) is not a tag separator. `None` when empty.
    pub fn parse(reference: &str) -> Option<Self> {
        let reference = reference.trim();
        let last_slash = reference.rfind('/').map_or(0, |index| index + 1);
        let (name, tag) = match reference[last_slash..].rfind(':') {
            Some(colon) => {
                let split = last_slash + colon;
                (&reference[..split], &reference[split + 1..])
            }
            None => (reference, "latest"),
        };
        (!name.is_empty() && !tag.is_empty()).then(|| Self::new(name, tag))
    }
}

/// `rabbitmq:3.13-management`: the RabbitMQ release line Wazo runs on.
impl Default for ContainerImage {
    fn default() -> Self {
        Self::new("rabbitmq", "3.13-management")
    }
}

impl fmt::Display for ContainerImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// Why the container could not be started or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// Nothing answers at the Docker endpoint.
    #[error(
        "no Docker engine answers at {endpoint} ({cause}); --broker container needs one (or use --broker embedded)"
    )]
    NoEngine {
        /// `unix:///var/run/docker.sock`, `tcp://…`.
        endpoint: String,
        /// Why connecting failed.
        cause: io::Error,
    },
    /// testcontainers could not start the image.
    #[error("cannot start the RabbitMQ container {image}: {cause}")]
    Start {
        /// The image.
        image: ContainerImage,
        /// What testcontainers reported.
        cause: testcontainers::TestcontainersError,
    },
    /// The container started but AMQP logins kept failing.
    #[error(
        "the RabbitMQ container {image} started but its AMQP port never accepted a login: {cause}"
    )]
    NotReady {
        /// The image.
        image: ContainerImage,
        /// The last probe's failure.
        cause: ConnectError,
    },
    /// Removing the container failed.
    #[error("cannot remove the RabbitMQ container {image}: {cause}")]
    Remove {
        /// The image.
        image: ContainerImage,
        /// What testcontainers reported.
        cause: testcontainers::TestcontainersError,
    },
}

/// The container request for `image`: AMQP port exposed, ready on
/// RabbitMQ's startup line, generous start-up timeout (pulling included).
pub fn container_request(image: &ContainerImage) -> ContainerRequest<GenericImage> {
    GenericImage::new(image.name.clone(), image.tag.clone())
        .with_exposed_port(AMQP_PORT)
        .with_wait_for(WaitFor::message_on_stdout(STARTUP_LINE))
        .with_startup_timeout(STARTUP_TIMEOUT)
        .with_label("org.switchboard.role", "broker")
}

/// A running RabbitMQ container; removed when dropped.
#[derive(Debug)]
pub struct ContainerBroker {
    image: ContainerImage,
    url: AmqpUrl,
    container: ContainerAsync<GenericImage>,
}

impl ContainerBroker {
    /// Starts `image` and returns once it accepts AMQP logins.
    pub async fn start(image: &ContainerImage) -> Result<Self, ContainerError> {
        check_engine().await?;
        let start_error = |source| ContainerError::Start {
            image: image.clone(),
            cause: source,
        };
        let container = container_request(image)
            .start()
            .await
            .map_err(start_error)?;
        let port = container
            .get_host_port_ipv4(5672.tcp())
            .await
            .map_err(start_error)?;
        let host = container.get_host().await.map_err(start_error)?;
        let host = match host {
            // `Display` would bracket it; `AmqpUrl` brackets IPv6 hosts itself.
            url::Host::Ipv6(address) => address.to_string(),
            other => other.to_string(),
        };
        let url = AmqpUrl::guest_at(host, port);
        wait_for_amqp(&url, AMQP_READY_TIMEOUT)
            .await
            .map_err(|source| ContainerError::NotReady {
                image: image.clone(),
                cause: source,
            })?;
        Ok(Self {
            image: image.clone(),
            url,
            container,
        })
    }

    /// The container's AMQP URL (guest/guest on the mapped port).
    pub fn url(&self) -> &AmqpUrl {
        &self.url
    }

    /// Stops and removes the container.
    pub async fn shutdown(self) -> Result<(), ContainerError> {
        let image = self.image;
        self.container
            .rm()
            .await
            .map_err(|source| ContainerError::Remove {
                image,
                cause: source,
            })
    }
}

/// Where the Docker engine is expected: `DOCKER_HOST`, else the default socket.
pub fn docker_endpoint() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned())
}

/// Connects to the Docker endpoint once, so that a missing engine is one
/// clear sentence rather than a client error from deep inside a pull.
pub async fn check_engine() -> Result<(), ContainerError> {
    let endpoint = docker_endpoint();
    let no_engine = |source| ContainerError::NoEngine {
        endpoint: endpoint.clone(),
        cause: source,
    };
    if let Some(path) = endpoint.strip_prefix("unix://") {
        tokio::net::UnixStream::connect(PathBuf::from(path))
            .await
            .map_err(no_engine)?;
    } else if let Some(address) = endpoint.strip_prefix("tcp://") {
        tokio::net::TcpStream::connect(address)
            .await
            .map_err(no_engine)?;
    }
    // Other schemes (npipe, ssh): let testcontainers report on them.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("rabbitmq:3.13-management", "rabbitmq", "3.13-management")]
    #[case("rabbitmq", "rabbitmq", "latest")]
    #[case(
        "registry.local:5000/ops/rabbitmq",
        "registry.local:5000/ops/rabbitmq",
        "latest"
    )]
    #[case(
        "registry.local:5000/ops/rabbitmq:4.0",
        "registry.local:5000/ops/rabbitmq",
        "4.0"
    )]
    fn parses_image_references(#[case] reference: &str, #[case] name: &str, #[case] tag: &str) {
        assert_eq!(
            ContainerImage::parse(reference),
            Some(ContainerImage::new(name, tag))
        );
    }

    #[rstest]
    #[case("")]
    #[case("rabbitmq:")]
    #[case(":3.13")]
    fn rejects_empty_parts(#[case] reference: &str) {
        assert_eq!(ContainerImage::parse(reference), None);
    }

    #[test]
    fn the_request_exposes_amqp_and_waits_for_startup() {
        let request = container_request(&ContainerImage::new("rabbitmq", "3.13-management"));
        assert_eq!(request.descriptor(), "rabbitmq:3.13-management");
        assert_eq!(request.expose_ports(), &[AMQP_PORT]);
        assert_eq!(request.startup_timeout(), Some(STARTUP_TIMEOUT));
        let waits = format!("{:?}", request.ready_conditions());
        assert!(waits.contains(STARTUP_LINE), "{waits}");
        assert_eq!(
            request
                .labels()
                .get("org.switchboard.role")
                .map(String::as_str),
            Some("broker")
        );
    }
}
