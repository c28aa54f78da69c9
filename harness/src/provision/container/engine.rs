//! The Docker engine, spoken to through its HTTP API (bollard).
//!
//! The engine is found at `DOCKER_HOST`, else at the default socket. It must
//! run on this machine: containers publish their AMQP port on the engine's
//! 127.0.0.1 only, so a remote engine's containers could not be reached.
//! The API version is negotiated, so that engines older than the client
//! library (Debian's `docker.io` speaks API 1.41) are served too.

use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as ApiError;
use bollard::query_parameters::CreateImageOptions;
use bytes::Bytes;
use futures_lite::{Stream, StreamExt};

use super::ContainerError;
use super::image::{ChosenImage, ContainerImage, Provenance};

/// Where the engine listens when `DOCKER_HOST` is unset.
pub const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";
/// How long one API request may take (an image import uploads a whole root
/// file system in one request).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Where the engine is expected: `DOCKER_HOST`, else the default socket.
pub fn docker_endpoint() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
}

/// An engine endpoint, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `unix:///path/to/docker.sock`.
    Unix(PathBuf),
    /// `tcp://HOST:PORT` on a loopback address.
    Tcp(String),
}

/// Parses `endpoint`, refusing the ones containers could not be reached through.
pub(crate) fn parse_endpoint(endpoint: &str) -> Result<Endpoint, ContainerError> {
    if let Some(path) = endpoint.strip_prefix("unix://") {
        return Ok(Endpoint::Unix(PathBuf::from(path)));
    }
    let Some(address) = endpoint
        .strip_prefix("tcp://")
        .or_else(|| endpoint.strip_prefix("http://"))
    else {
        return Err(ContainerError::UnsupportedEndpoint {
            endpoint: endpoint.to_owned(),
        });
    };
    let address = address.trim_end_matches('/');
    let host = match address.rsplit_once(':') {
        Some((host, _port)) => host,
        None => address,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(ContainerError::RemoteEngine {
            endpoint: endpoint.to_owned(),
        });
    }
    Ok(Endpoint::Tcp(address.to_owned()))
}

/// A Docker engine that answered.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    endpoint: String,
}

impl Engine {
    /// Connects to the engine at [`docker_endpoint`] and agrees on an API
    /// version. A missing engine is one clear sentence naming the endpoint.
    pub async fn connect() -> Result<Self, ContainerError> {
        let endpoint = docker_endpoint();
        let parsed = parse_endpoint(&endpoint)?;
        let no_engine = |cause: io::Error| ContainerError::NoEngine {
            endpoint: endpoint.clone(),
            cause,
        };
        // A plain connection first: the operating system's reason ("No such
        // file or directory", "connection refused") says more than the
        // HTTP client's.
        let timeout = REQUEST_TIMEOUT.as_secs();
        let version = bollard::API_DEFAULT_VERSION;
        let docker = match &parsed {
            Endpoint::Unix(path) => {
                tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(no_engine)?;
                Docker::connect_with_unix(&endpoint, timeout, version)
            }
            Endpoint::Tcp(address) => {
                tokio::net::TcpStream::connect(address.as_str())
                    .await
                    .map_err(no_engine)?;
                Docker::connect_with_http(&endpoint, timeout, version)
            }
        };
        let api_error = |cause| ContainerError::Engine {
            endpoint: endpoint.clone(),
            action: "answer a version request",
            cause,
        };
        let docker = docker.map_err(api_error)?;
        let docker = docker.negotiate_version().await.map_err(api_error)?;
        Ok(Self { docker, endpoint })
    }

    /// `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`, …
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }

    pub(crate) fn error(&self, action: &'static str, cause: ApiError) -> ContainerError {
        ContainerError::Engine {
            endpoint: self.endpoint.clone(),
            action,
            cause,
        }
    }

    /// Whether `image` is on this machine.
    pub async fn has_image(&self, image: &ContainerImage) -> Result<bool, ContainerError> {
        match self.docker.inspect_image(&image.to_string()).await {
            Ok(_) => Ok(true),
            Err(error) if is_not_found(&error) => Ok(false),
            Err(error) => Err(self.error("inspect an image", error)),
        }
    }

    /// Pulls `image` from its registry; the error is the registry's or the
    /// engine's reason, in words.
    pub async fn pull(&self, image: &ContainerImage) -> Result<(), String> {
        let options = CreateImageOptions {
            from_image: Some(image.name.clone()),
            tag: Some(image.tag.clone()),
            ..CreateImageOptions::default()
        };
        let mut progress = self.docker.create_image(Some(options), None, None).boxed();
        while let Some(step) = progress.next().await {
            step.map_err(|error| api_message(&error))?;
        }
        Ok(())
    }

    /// The image to run: `requested` if given (pulled when missing), else
    /// the official image if present or pullable, else the offline image.
    pub async fn choose_image(
        &self,
        requested: Option<&ContainerImage>,
    ) -> Result<ChosenImage, ContainerError> {
        let chosen = |image: &ContainerImage, provenance| ChosenImage {
            image: image.clone(),
            provenance,
        };
        let wanted = requested.cloned().unwrap_or_else(ContainerImage::official);
        if self.has_image(&wanted).await? {
            return Ok(chosen(&wanted, Provenance::Present));
        }
        let pull_error = match self.pull(&wanted).await {
            Ok(()) => return Ok(chosen(&wanted, Provenance::Pulled)),
            Err(cause) => cause,
        };
        if requested.is_some() {
            return Err(ContainerError::ImageUnavailable {
                image: wanted,
                cause: pull_error,
            });
        }
        let offline = ContainerImage::offline();
        if self.has_image(&offline).await? {
            return Ok(chosen(
                &offline,
                Provenance::OfflineFallback {
                    official: wanted,
                    cause: pull_error,
                },
            ));
        }
        Err(ContainerError::NoImage {
            official: wanted,
            cause: pull_error,
            offline,
        })
    }

    /// Creates `image` from a tar stream of a root file system, as `docker
    /// import` does, applying Dockerfile-style `changes` (`ENV …`, `CMD …`).
    pub async fn import(
        &self,
        image: &ContainerImage,
        changes: Vec<String>,
        root_fs: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    ) -> Result<(), ContainerError> {
        let options = CreateImageOptions {
            from_src: Some("-".to_owned()),
            repo: Some(image.name.clone()),
            tag: Some(image.tag.clone()),
            changes,
            ..CreateImageOptions::default()
        };
        let body = bollard::body_try_stream(root_fs);
        let mut progress = self
            .docker
            .create_image(Some(options), Some(body), None)
            .boxed();
        while let Some(step) = progress.next().await {
            step.map_err(|error| self.error("import the image", error))?;
        }
        Ok(())
    }
}

/// Whether the engine answered 404 (no such image, no such container).
pub(crate) fn is_not_found(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// The engine's own message when there is one: bollard's `Display` adds
/// "Docker responded with status code 500:" and the like.
fn api_message(error: &ApiError) -> String {
    match error {
        ApiError::DockerResponseServerError { message, .. } => message.clone(),
        ApiError::DockerStreamError { error } => error.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("unix:///var/run/docker.sock", Endpoint::Unix("/var/run/docker.sock".into()))]
    #[case("tcp://127.0.0.1:2375", Endpoint::Tcp("127.0.0.1:2375".into()))]
    #[case("tcp://localhost:2375", Endpoint::Tcp("localhost:2375".into()))]
    #[case("tcp://[::1]:2375", Endpoint::Tcp("[::1]:2375".into()))]
    fn local_endpoints_are_accepted(#[case] endpoint: &str, #[case] expected: Endpoint) {
        assert_eq!(parse_endpoint(endpoint).unwrap(), expected);
    }

    #[test]
    fn a_remote_engine_is_refused_in_one_sentence() {
        let error = parse_endpoint("tcp://docker.example.com:2376").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the Docker engine at tcp://docker.example.com:2376 is not on this machine: switchboard publishes a container's AMQP port on the engine's 127.0.0.1 only, so it could not reach it (use an engine on this machine, or give the remote broker's amqp:// URL)"
        );
    }

    #[test]
    fn other_schemes_are_refused() {
        let error = parse_endpoint("ssh://me@host").unwrap_err();
        assert!(matches!(error, ContainerError::UnsupportedEndpoint { .. }));
    }
}
