//! The in-process broker from the `switchboard-broker` crate.
//!
//! It listens on an ephemeral port of 127.0.0.1 (never 5672) with RabbitMQ's
//! default user `guest`/`guest` and vhost `/`, and is ready when `start`
//! returns. Dropping the handle stops it; its `shutdown` also
//! waits until every one of its tasks has ended.

use switchboard_broker::{BrokerHandle, Config, EmbeddedBroker, StartError};

use super::{AmqpUrl, AmqpUrlError};

/// Why the embedded broker could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbeddedError {
    /// The server did not start (e.g. it could not bind its socket). Its
    /// error follows the `source()` chain convention, so it is passed through.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The server announced a URL we cannot use (a bug in one of the two crates).
    #[error("the embedded broker announced an unusable URL: {cause}")]
    Url {
        /// Why the URL was rejected.
        cause: AmqpUrlError,
    },
}

/// A running embedded broker and the URL to reach it.
#[derive(Debug)]
pub(crate) struct EmbeddedGuard {
    url: AmqpUrl,
    handle: BrokerHandle,
}

impl EmbeddedGuard {
    /// Starts the broker with its default configuration.
    pub(crate) async fn start() -> Result<Self, EmbeddedError> {
        let handle = EmbeddedBroker::start(Config::default()).await?;
        let url = handle
            .url()
            .parse()
            .map_err(|cause| EmbeddedError::Url { cause })?;
        tracing::debug!(%url, "embedded broker started");
        Ok(Self { url, handle })
    }

    /// Where the broker listens, with the credentials of its first user.
    pub(crate) fn url(&self) -> AmqpUrl {
        self.url.clone()
    }

    /// Stops the broker and waits until its tasks have ended.
    pub(crate) async fn shutdown(self) -> Result<(), EmbeddedError> {
        self.handle.shutdown().await;
        Ok(())
    }
}
