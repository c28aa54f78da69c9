//! Starting the broker, its accept loop, and the handle that inspects and stops it.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    config::Config,
    connection,
    error::StartError,
    inspect::{BindingInfo, ExchangeInfo, QueueInfo},
    shutdown::Shutdown,
    state::BrokerState,
};

/// How often queues drop expired messages and `x-expires` queues are deleted.
const SWEEP_INTERVAL: Duration = Duration::from_millis(20);

/// The embedded AMQP 0-9-1 broker.
#[derive(Debug)]
pub struct EmbeddedBroker;

impl EmbeddedBroker {
    /// Binds the listener and starts accepting. Returns once clients can
    /// connect: no sleeping or polling is needed before using [`BrokerHandle::url`].
    ///
    /// Must be called within a tokio runtime.
    pub async fn start(config: Config) -> Result<BrokerHandle, StartError> {
        if config.users.is_empty() {
            return Err(StartError::Config("at least one user is needed"));
        }
        if config.vhosts.is_empty() {
            return Err(StartError::Config("at least one virtual host is needed"));
        }
        if config.frame_max < 4096 {
            return Err(StartError::Config("frame_max must be at least 4096"));
        }
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(StartError::LocalAddr)?;
        let state = Arc::new(BrokerState::new(config));
        let shutdown = Shutdown::default();
        shutdown.spawn(accept_loop(listener, Arc::clone(&state), shutdown.clone()));
        shutdown.spawn(sweep_loop(Arc::clone(&state), shutdown.token()));
        tracing::info!(%addr, "embedded broker listening");
        Ok(BrokerHandle {
            addr,
            state,
            shutdown,
        })
    }
}

/// Accepts connections until shutdown; each gets its own task, owned by `shutdown`.
async fn accept_loop(listener: TcpListener, state: Arc<BrokerState>, shutdown: Shutdown) {
    let token = shutdown.token();
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    tracing::debug!(%peer, "client connected");
                    shutdown.spawn(connection::serve(socket, Arc::clone(&state), token.clone()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: keep serving the others.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
        }
    }
}

/// Expires messages past their TTL and queues past `x-expires`.
async fn sweep_loop(state: Arc<BrokerState>, token: CancellationToken) {
    let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            _ = ticker.tick() => {
                let now = std::time::Instant::now();
                for vhost in state.vhosts.values() {
                    for queue in vhost.sweep(now) {
                        vhost.delete_queue(&queue.name, Some(&queue));
                    }
                }
            }
        }
    }
}

/// A running broker. Dropping it stops the broker (without waiting);
/// [`BrokerHandle::shutdown`] stops it and waits until every task has ended.
#[derive(Debug)]
pub struct BrokerHandle {
    addr: SocketAddr,
    state: Arc<BrokerState>,
    shutdown: Shutdown,
}

impl BrokerHandle {
    /// The address the broker listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An AMQP URL for the first configured user and virtual host, e.g.
    /// `amqp://guest:guest@127.0.0.1:40123/%2f`.
    #[must_use]
    pub fn url(&self) -> String {
        let config = &self.state.config;
        let (user, password) = config.users.first().map_or(("", ""), |user| {
            (user.username.as_str(), user.password.as_str())
        });
        let vhost = config.vhosts.first().map_or("/", String::as_str);
        format!(
            "amqp://{}:{}@{}/{}",
            percent_encode(user),
            percent_encode(password),
            self.addr,
            percent_encode(vhost)
        )
    }

    /// Every queue with its counts, sorted by virtual host and name.
    #[must_use]
    pub fn queues(&self) -> Vec<QueueInfo> {
        self.each_vhost(|vhost| vhost.queue_infos())
    }

    /// Every exchange, the pre-declared ones included.
    #[must_use]
    pub fn exchanges(&self) -> Vec<ExchangeInfo> {
        self.each_vhost(|vhost| vhost.exchange_infos())
    }

    /// Every explicit binding (queue and exchange bindings).
    #[must_use]
    pub fn bindings(&self) -> Vec<BindingInfo> {
        self.each_vhost(|vhost| vhost.binding_infos())
    }

    /// Bytes of message bodies the broker holds (ready and unacknowledged).
    #[must_use]
    pub fn memory_used(&self) -> usize {
        self.state.gauge.used()
    }

    /// Tasks still running: the accept loop, the sweeper and one per connection.
    #[must_use]
    pub fn running_tasks(&self) -> usize {
        self.shutdown.running()
    }

    /// Stops accepting, closes every client with 320 CONNECTION_FORCED and
    /// waits until every connection task has finished.
    pub async fn shutdown(self) {
        self.shutdown.complete().await;
        tracing::info!(addr = %self.addr, "embedded broker stopped");
    }

    fn each_vhost<T>(&self, list: impl Fn(&crate::vhost::VirtualHost) -> Vec<T>) -> Vec<T> {
        let mut names: Vec<_> = self.state.vhosts.keys().collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| self.state.vhosts.get(name))
            .flat_map(|vhost| list(vhost))
            .collect()
    }
}

impl Drop for BrokerHandle {
    fn drop(&mut self) {
        self.shutdown.signal();
    }
}

/// Percent-encodes a URL user, password or path segment (RFC 3986 unreserved kept).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02x}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_components_are_percent_encoded() {
        assert_eq!(percent_encode("/"), "%2f");
        assert_eq!(percent_encode("a b@c"), "a%20b%40c");
        assert_eq!(percent_encode("guest"), "guest");
    }
}
