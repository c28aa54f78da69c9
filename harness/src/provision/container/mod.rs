//! A RabbitMQ container started through the Docker engine's API.
//!
//! [`ContainerBroker::start`] picks the image ([`image`]), creates a
//! container whose AMQP port is published on 127.0.0.1 ([`plan`]), follows
//! its output until RabbitMQ logs "Server startup complete" (`startup`),
//! then waits until an AMQP login on the published port succeeds. Every way
//! this can fail is its own [`ContainerError`], naming the real cause (no
//! engine, no image, a login refused inside the container, a start-up line
//! that never came, with the container's last lines). The container is
//! removed by [`ContainerBroker::shutdown`], or when the handle is dropped.
//!
//! | file | concern |
//! |---|---|
//! | [`engine`] | finding the engine and talking to it: images, pulls, imports |
//! | [`image`] | which image: the named one, the official one, or the offline one |
//! | [`plan`] | what a container is created with |
//! | `startup` | following the output until RabbitMQ is up |

pub mod engine;
pub mod image;
pub mod plan;
mod startup;

use std::io;
use std::net::TcpListener;
use std::time::Duration;

use bollard::errors::Error as ApiError;
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RestartContainerOptions,
};

pub use engine::{Engine, docker_endpoint};
pub use image::{ChosenImage, ContainerImage, Provenance};
pub use plan::{AMQP_PORT, ContainerPlan};
pub use startup::STARTUP_LINE;

use super::readiness::wait_for_amqp;
use super::{AmqpUrl, ConnectError};
use startup::{Startup, follow_until_started};

/// How long the AMQP login may take to succeed once the start-up line appeared.
const AMQP_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a start is retried when the chosen host port was taken in
/// the meantime.
const PORT_ATTEMPTS: usize = 3;
/// How long `docker restart` lets RabbitMQ stop before killing it.
const RESTART_GRACE: Duration = Duration::from_secs(10);
/// The xtask command that builds the offline image.
const BUILD_OFFLINE: &str = "cargo xtask rabbitmq image";

/// Why a RabbitMQ container could not be started or removed. Each message
/// is one sentence naming the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// Nothing answers at the Docker endpoint.
    #[error(
        "no Docker engine answers at {endpoint} ({cause}); a RabbitMQ container needs one (start dockerd or set DOCKER_HOST, or use --broker embedded)"
    )]
    NoEngine {
        /// `unix:///var/run/docker.sock`, `tcp://…`.
        endpoint: String,
        /// Why connecting failed.
        cause: io::Error,
    },
    /// `DOCKER_HOST` names an engine on another machine.
    #[error(
        "the Docker engine at {endpoint} is not on this machine: switchboard publishes a container's AMQP port on the engine's 127.0.0.1 only, so it could not reach it (use an engine on this machine, or give the remote broker's amqp:// URL)"
    )]
    RemoteEngine {
        /// The endpoint.
        endpoint: String,
    },
    /// `DOCKER_HOST` is neither `unix://` nor `tcp://`.
    #[error(
        "DOCKER_HOST={endpoint} is not supported: expected unix:///PATH or tcp://127.0.0.1:PORT"
    )]
    UnsupportedEndpoint {
        /// The endpoint.
        endpoint: String,
    },
    /// The engine answered a request with an error.
    #[error("the Docker engine at {endpoint} could not {action}: {cause}")]
    Engine {
        /// The endpoint.
        endpoint: String,
        /// What it was asked: `create the container`, …
        action: &'static str,
        /// What it said.
        cause: ApiError,
    },
    /// The named image is not here and cannot be pulled.
    #[error("{}", image_unavailable(.image, .cause))]
    ImageUnavailable {
        /// The image.
        image: ContainerImage,
        /// Why pulling it failed.
        cause: String,
    },
    /// No image was named, the official one cannot be had, and the offline
    /// one was not built.
    #[error(
        "no RabbitMQ image on this machine: the official {official} is not here and cannot be pulled ({cause}), and the offline image {offline} was not built (build it with `{BUILD_OFFLINE}`)"
    )]
    NoImage {
        /// The official image.
        official: ContainerImage,
        /// Why pulling it failed.
        cause: String,
        /// The offline image.
        offline: ContainerImage,
    },
    /// The container stopped before RabbitMQ was up.
    #[error(
        "the RabbitMQ container {name} ({image}) exited with status {status} while starting; its last output:\n{log_tail}"
    )]
    Exited {
        /// The container.
        name: String,
        /// The image.
        image: ContainerImage,
        /// Its exit status (`unknown` when the engine did not say).
        status: String,
        /// The end of its output.
        log_tail: String,
    },
    /// RabbitMQ never logged its start-up line.
    #[error(
        "the RabbitMQ container {name} ({image}) did not print \"{STARTUP_LINE}\" within {} (an image must log to stdout, e.g. RABBITMQ_LOGS=-); its last output:\n{log_tail}",
        humantime::format_duration(*.timeout)
    )]
    NoStartupLine {
        /// The container.
        name: String,
        /// The image.
        image: ContainerImage,
        /// How long we waited.
        timeout: Duration,
        /// The end of its output.
        log_tail: String,
    },
    /// RabbitMQ is up but refuses guest from outside the container.
    #[error(
        "RabbitMQ in the container {name} ({image}) is up but refused the login for user '{}' at {url}: the image must let guest log in from outside the container (`loopback_users.guest = false` in rabbitmq.conf, as in the official image and the one `{BUILD_OFFLINE}` builds)",
        .url.user()
    )]
    LoginRefused {
        /// The container.
        name: String,
        /// The image.
        image: ContainerImage,
        /// The published port (boxed, with the cause: errors stay small).
        url: Box<AmqpUrl>,
        /// The broker's refusal.
        #[source]
        cause: Box<ConnectError>,
    },
    /// RabbitMQ said it was up but AMQP connections kept failing.
    #[error(
        "the RabbitMQ container {name} ({image}) printed its start-up line but its AMQP port never accepted a login: {cause}; its last output:\n{log_tail}"
    )]
    NotReady {
        /// The container.
        name: String,
        /// The image.
        image: ContainerImage,
        /// The last probe's failure.
        cause: Box<ConnectError>,
        /// The end of its output.
        log_tail: String,
    },
    /// No free port on 127.0.0.1 could be found, or kept.
    #[error("cannot find a free port on 127.0.0.1 for the RabbitMQ container: {cause}")]
    Port {
        /// What failed.
        cause: io::Error,
    },
}

fn image_unavailable(image: &ContainerImage, cause: &str) -> String {
    let remedy = if *image == ContainerImage::offline() {
        format!("build it with `{BUILD_OFFLINE}`")
    } else {
        format!(
            "pull it where a registry is reachable, or use `--broker container`, which falls back to the offline image `{BUILD_OFFLINE}` builds"
        )
    };
    format!("the image {image} is not on this machine and cannot be pulled ({cause}); {remedy}")
}

/// A running RabbitMQ container; removed when dropped.
#[derive(Debug)]
pub struct ContainerBroker {
    engine: Engine,
    chosen: ChosenImage,
    name: String,
    url: AmqpUrl,
    /// Removed, or handed over with [`ContainerBroker::keep`]: nothing left to do on drop.
    released: bool,
}

impl ContainerBroker {
    /// Starts RabbitMQ from `image` (`None`: the official image if present
    /// or pullable, else the offline image) in a container with a unique
    /// name, and returns once it accepts AMQP logins.
    pub async fn start(image: Option<&ContainerImage>) -> Result<Self, ContainerError> {
        Self::start_named(image, &ContainerPlan::unique_name()).await
    }

    /// As [`ContainerBroker::start`], naming the container `name`.
    pub async fn start_named(
        image: Option<&ContainerImage>,
        name: &str,
    ) -> Result<Self, ContainerError> {
        let engine = Engine::connect().await?;
        let chosen = engine.choose_image(image).await?;
        tracing::info!(container = name, "starting RabbitMQ from {chosen}");
        let mut attempt = 1;
        loop {
            let port = free_port().map_err(|cause| ContainerError::Port { cause })?;
            let plan = ContainerPlan::new(chosen.image.clone(), name, port);
            match Self::start_plan(&engine, chosen.clone(), &plan).await {
                Err(error) if attempt < PORT_ATTEMPTS && is_port_taken(&error) => attempt += 1,
                outcome => return outcome,
            }
        }
    }

    /// Creates and starts the container `plan` describes, from `chosen`,
    /// and waits until RabbitMQ accepts AMQP logins. On failure the
    /// container is removed and the error carries its last output.
    pub async fn start_plan(
        engine: &Engine,
        chosen: ChosenImage,
        plan: &ContainerPlan,
    ) -> Result<Self, ContainerError> {
        let options = CreateContainerOptions {
            name: Some(plan.name.clone()),
            ..CreateContainerOptions::default()
        };
        engine
            .docker()
            .create_container(Some(options), plan.create_body())
            .await
            .map_err(|cause| engine.error("create the container", cause))?;
        // From here on, the handle removes the container if anything fails.
        let broker = Self {
            engine: engine.clone(),
            chosen,
            name: plan.name.clone(),
            url: AmqpUrl::localhost(plan.host_port),
            released: false,
        };
        match broker.wait_until_ready(plan).await {
            Ok(()) => Ok(broker),
            Err(error) => {
                // The error says what went wrong; a failed removal is left to `Drop`.
                let _ = broker.shutdown().await;
                Err(error)
            }
        }
    }

    async fn wait_until_ready(&self, plan: &ContainerPlan) -> Result<(), ContainerError> {
        let image = || self.chosen.image.clone();
        let name = || self.name.clone();
        self.engine
            .docker()
            .start_container(&self.name, None)
            .await
            .map_err(|cause| self.engine.error("start the container", cause))?;
        let (startup, tail) =
            follow_until_started(&self.engine, &self.name, plan.startup_timeout).await;
        match startup {
            Startup::Complete => {}
            Startup::Ended => {
                return Err(ContainerError::Exited {
                    name: name(),
                    image: image(),
                    status: self.exit_status().await,
                    log_tail: tail.text(),
                });
            }
            Startup::TimedOut => {
                return Err(ContainerError::NoStartupLine {
                    name: name(),
                    image: image(),
                    timeout: plan.startup_timeout,
                    log_tail: tail.text(),
                });
            }
            Startup::Lost(cause) => {
                return Err(self.engine.error("send the container's output", cause));
            }
        }
        match wait_for_amqp(&self.url, AMQP_READY_TIMEOUT).await {
            Ok(()) => Ok(()),
            Err(
                cause @ (ConnectError::LoginRefused { .. } | ConnectError::VhostRefused { .. }),
            ) => Err(ContainerError::LoginRefused {
                name: name(),
                image: image(),
                url: Box::new(self.url.clone()),
                cause: Box::new(cause),
            }),
            Err(cause) => Err(ContainerError::NotReady {
                name: name(),
                image: image(),
                cause: Box::new(cause),
                log_tail: tail.text(),
            }),
        }
    }

    async fn exit_status(&self) -> String {
        let inspected = self
            .engine
            .docker()
            .inspect_container(&self.name, None)
            .await;
        inspected
            .ok()
            .and_then(|container| container.state)
            .and_then(|state| state.exit_code)
            .map_or_else(|| "unknown".to_owned(), |code| code.to_string())
    }

    /// The container's AMQP URL (guest/guest on 127.0.0.1 and the published port).
    pub fn url(&self) -> &AmqpUrl {
        &self.url
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The image it runs, and why that one.
    pub fn image(&self) -> &ChosenImage {
        &self.chosen
    }

    /// Restarts the container as `docker restart` does: RabbitMQ is stopped
    /// (its clients see their connections closed) and started again on the
    /// same port. Returns once the engine has started it again, before
    /// RabbitMQ accepts connections.
    pub async fn restart(&self) -> Result<(), ContainerError> {
        let options = RestartContainerOptions {
            t: i32::try_from(RESTART_GRACE.as_secs()).ok(),
            ..RestartContainerOptions::default()
        };
        self.engine
            .docker()
            .restart_container(&self.name, Some(options))
            .await
            .map_err(|cause| self.engine.error("restart the container", cause))
    }

    /// Leaves the container running after this handle is gone (`cargo
    /// xtask rabbitmq up --container`); [`remove`] removes it later.
    pub fn keep(mut self) -> AmqpUrl {
        self.released = true;
        self.url.clone()
    }

    /// Stops and removes the container (and its anonymous volumes).
    pub async fn shutdown(mut self) -> Result<(), ContainerError> {
        self.released = true;
        remove(&self.engine, &self.name).await.map(|_removed| ())
    }
}

impl Drop for ContainerBroker {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let name = std::mem::take(&mut self.name);
        // `Drop` cannot await and may run inside a runtime or outside any:
        // a thread with its own runtime and its own engine connection (the
        // handle's may belong to a runtime that is shutting down).
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(engine) = Engine::connect().await {
                        let _ = remove(&engine, &name).await;
                    }
                });
            }
        });
        let _ = removal.join();
    }
}

/// A broker container found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundContainer {
    /// Its name.
    pub name: String,
    /// The image it runs.
    pub image: String,
    /// Whether it is running.
    pub running: bool,
    /// Its AMQP URL, when its port is published on 127.0.0.1.
    pub url: Option<AmqpUrl>,
}

/// The container called `name`, if there is one.
pub async fn find_named(
    engine: &Engine,
    name: &str,
) -> Result<Option<FoundContainer>, ContainerError> {
    let container = match engine.docker().inspect_container(name, None).await {
        Ok(container) => container,
        Err(error) if engine::is_not_found(&error) => return Ok(None),
        Err(error) => return Err(engine.error("inspect the container", error)),
    };
    let running = container
        .state
        .as_ref()
        .and_then(|state| state.running)
        .unwrap_or(false);
    let image = container
        .config
        .as_ref()
        .and_then(|config| config.image.clone())
        .unwrap_or_default();
    let port = container
        .host_config
        .and_then(|host| host.port_bindings)
        .and_then(|bindings| bindings.get(AMQP_PORT).cloned().flatten())
        .and_then(|bindings| {
            bindings.into_iter().find_map(|binding| {
                let loopback = binding.host_ip.as_deref() == Some("127.0.0.1");
                binding
                    .host_port
                    .filter(|_| loopback)
                    .and_then(|port| port.parse::<u16>().ok())
            })
        });
    Ok(Some(FoundContainer {
        name: name.to_owned(),
        image,
        running,
        url: port.map(AmqpUrl::localhost),
    }))
}

/// Removes the container called `name` (stopping it first) and its
/// anonymous volumes; `false` when there was none.
pub async fn remove(engine: &Engine, name: &str) -> Result<bool, ContainerError> {
    let options = RemoveContainerOptions {
        force: true,
        v: true,
        ..RemoveContainerOptions::default()
    };
    match engine.docker().remove_container(name, Some(options)).await {
        Ok(()) => Ok(true),
        Err(error) if engine::is_not_found(&error) => Ok(false),
        Err(error) => Err(engine.error("remove the container", error)),
    }
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether starting failed because another process took the host port
/// between [`free_port`] and the engine binding it.
fn is_port_taken(error: &ContainerError) -> bool {
    let ContainerError::Engine { cause, .. } = error else {
        return false;
    };
    let text = cause.to_string();
    text.contains("port is already allocated") || text.contains("address already in use")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_offline_image_names_the_command_that_builds_it() {
        let error = ContainerError::ImageUnavailable {
            image: ContainerImage::offline(),
            cause: "pull access denied".into(),
        };
        assert_eq!(
            error.to_string(),
            "the image switchboard/rabbitmq:offline is not on this machine and cannot be pulled (pull access denied); build it with `cargo xtask rabbitmq image`"
        );
    }

    #[test]
    fn no_image_at_all_names_both_and_the_remedy() {
        let error = ContainerError::NoImage {
            official: ContainerImage::official(),
            cause: "lookup registry-1.docker.io: no such host".into(),
            offline: ContainerImage::offline(),
        };
        assert_eq!(
            error.to_string(),
            "no RabbitMQ image on this machine: the official rabbitmq:3.13-management is not here and cannot be pulled (lookup registry-1.docker.io: no such host), and the offline image switchboard/rabbitmq:offline was not built (build it with `cargo xtask rabbitmq image`)"
        );
    }

    #[test]
    fn a_taken_port_is_recognised() {
        let taken = ContainerError::Engine {
            endpoint: "unix:///var/run/docker.sock".into(),
            action: "start the container",
            cause: ApiError::DockerResponseServerError {
                status_code: 500,
                message: "Bind for 127.0.0.1:41000 failed: port is already allocated".into(),
            },
        };
        assert!(is_port_taken(&taken));
        let other = ContainerError::Port {
            cause: io::Error::other("x"),
        };
        assert!(!is_port_taken(&other));
    }
}
