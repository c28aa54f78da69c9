//! Opening an AMQP connection with a deadline, and saying clearly why it failed.
//!
//! amqprs reports failures as strings and has no timeout of its own, so this
//! module owns both concerns for everything in switchboard that connects to a
//! broker (publisher, recorder, readiness probes). When the handshake fails it
//! probes the TCP port once to tell "nothing listens there" (a real
//! [`std::io::Error`]) from "the broker answered and refused us".

use std::io;
use std::time::Duration;

use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::security::SecurityCredentials;
use tokio::net::TcpStream;

use super::AmqpUrl;

/// How long to wait for a broker to accept a connection when the URL does not say.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a connection to a broker could not be opened. Each message is one
/// sentence naming the broker (without its password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// Nothing accepted a TCP connection at the URL's host and port.
    #[error("cannot reach the broker at {url} ({})", describe_io(.cause))]
    Unreachable {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// The operating system's reason.
        cause: io::Error,
    },
    /// The broker did not complete the handshake in time.
    #[error("the broker at {url} did not accept a connection within {}", humantime::format_duration(*.timeout))]
    Timeout {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// How long we waited.
        timeout: Duration,
    },
    /// The broker answered but refused the user name or password.
    #[error("the broker at {url} refused the login for user '{user}' (ACCESS_REFUSED)")]
    LoginRefused {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// The user name that was refused.
        user: String,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
    /// The login succeeded but the virtual host is missing or not permitted.
    #[error(
        "the broker at {url} refused access to virtual host '{vhost}' for user '{user}' (NOT_ALLOWED)"
    )]
    VhostRefused {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// The virtual host asked for.
        vhost: String,
        /// The user name.
        user: String,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
    /// Something answered on the port but the AMQP handshake failed otherwise.
    #[error("the AMQP handshake with {url} failed ({cause})")]
    Handshake {
        /// The broker, without credentials.
        url: AmqpUrl,
        /// What the client library reported.
        cause: amqprs::error::Error,
    },
}

/// Opens a connection to `url`, naming it `connection_name` on the broker
/// (visible in RabbitMQ's management UI), giving up after `timeout` (or the
/// URL's own `connection_timeout`).
pub async fn connect(
    url: &AmqpUrl,
    connection_name: &str,
    timeout: Duration,
) -> Result<Connection, ConnectError> {
    let timeout = url.connection_timeout().unwrap_or(timeout);
    let mut arguments = OpenConnectionArguments::new(url.host(), url.port(), "", "");
    arguments
        .credentials(SecurityCredentials::new_plain(url.user(), url.password()))
        .virtual_host(url.vhost())
        .connection_name(connection_name);
    if let Some(heartbeat) = url.heartbeat() {
        arguments.heartbeat(heartbeat);
    }
    let opened = tokio::time::timeout(timeout, Connection::open(&arguments)).await;
    match opened {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(source)) => Err(diagnose(url, source, timeout).await),
        Err(_elapsed) => Err(ConnectError::Timeout {
            url: url.clone(),
            timeout,
        }),
    }
}

/// Turns an amqprs failure into the sentence a user needs.
async fn diagnose(url: &AmqpUrl, source: amqprs::error::Error, timeout: Duration) -> ConnectError {
    if let Err(io_error) = probe_tcp(url, timeout).await {
        return ConnectError::Unreachable {
            url: url.clone(),
            cause: io_error,
        };
    }
    let text = source.to_string();
    if text.contains("NOT_ALLOWED") {
        return ConnectError::VhostRefused {
            url: url.clone(),
            vhost: url.vhost().to_owned(),
            user: url.user().to_owned(),
            cause: source,
        };
    }
    // RabbitMQ refuses a login either with connection.close 403 ACCESS_REFUSED
    // or, for clients that do not announce the `authentication_failure_close`
    // capability (amqprs does not), by closing the socket right after
    // start-ok. Both happen during the handshake, which is the only place a
    // network error can occur once the TCP port answered.
    let refused = text.contains("ACCESS_REFUSED");
    let closed_during_login = matches!(source, amqprs::error::Error::NetworkError(_));
    if refused || closed_during_login {
        return ConnectError::LoginRefused {
            url: url.clone(),
            user: url.user().to_owned(),
            cause: source,
        };
    }
    ConnectError::Handshake {
        url: url.clone(),
        cause: source,
    }
}

async fn probe_tcp(url: &AmqpUrl, timeout: Duration) -> io::Result<()> {
    let address = (url.host(), url.port());
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(error)) => Err(error),
        Err(_elapsed) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "no answer to the TCP connection",
        )),
    }
}

/// `connection refused`, `timed out`, …: the kind in plain words, which reads
/// better in a sentence than `Connection refused (os error 111)`.
fn describe_io(error: &io::Error) -> String {
    use io::ErrorKind::*;
    match error.kind() {
        kind @ (ConnectionRefused | ConnectionReset | ConnectionAborted | TimedOut
        | HostUnreachable | NetworkUnreachable | AddrNotAvailable | PermissionDenied) => {
            kind.to_string()
        }
        // Name resolution failures and the like: the OS message says more.
        _ => error.to_string(),
    }
}
