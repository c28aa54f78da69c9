//! Brokers: where the harness gets an AMQP URL from, and who tears it down.
//!
//! A [`BrokerSpec`] is what the user asked for (`--broker embedded`, an
//! `amqp://` URL, `container[:IMAGE[:TAG]]`, `local`); [`provision`] turns it
//! into a [`Provisioned`] broker: a URL that accepts AMQP connections now,
//! plus whatever must be stopped afterwards. Dropping a [`Provisioned`]
//! stops it too; [`Provisioned::shutdown`] does it gracefully and reports
//! failures.
//!
//! | file | broker |
//! |---|---|
//! | [`amqp_url`] | parsing and showing `amqp://` URLs without leaking passwords |
//! | [`connect`](mod@connect) | opening a connection with a deadline and a clear error |
//! | [`close_reason`] | keeping the broker's reply when it closes a channel |
//! | [`embedded`] | the in-process `switchboard-broker` |
//! | [`container`](mod@container) | a RabbitMQ container started through the Docker engine |
//! | [`local`] | a private node of an installed `rabbitmq-server` |

pub mod amqp_url;
pub mod close_reason;
pub mod connect;
pub mod container;
pub mod embedded;
pub mod local;
mod readiness;

use std::fmt;
use std::str::FromStr;

pub use amqp_url::{AmqpUrl, AmqpUrlError};
pub use connect::{ConnectError, DEFAULT_CONNECT_TIMEOUT, connect};
pub use container::{ChosenImage, ContainerBroker, ContainerError, ContainerImage};
pub use embedded::EmbeddedError;
pub use local::{LocalError, LocalNode, LocalOptions};

/// The broker the user asked for, parsed from a `--broker` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BrokerSpec {
    /// The in-process broker on an ephemeral port of 127.0.0.1 (the default).
    #[default]
    Embedded,
    /// A broker that is already running: switchboard neither starts nor stops it.
    Url(AmqpUrl),
    /// A RabbitMQ container started through the Docker engine: from this
    /// image, or (`None`) from the official image when it is present or can
    /// be pulled, else from the offline image `cargo xtask rabbitmq image` builds.
    Container(Option<ContainerImage>),
    /// A private node of the `rabbitmq-server` installed on this machine.
    Local(LocalOptions),
}

/// A `--broker` value that is none of the accepted forms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerSpecError {
    /// The value starts with `amqp://`/`amqps://` but is not a valid URL.
    #[error(transparent)]
    Url(#[from] AmqpUrlError),
    /// `container:` followed by something that is not an image reference.
    #[error(
        "invalid broker 'container:{image}': expected container:IMAGE[:TAG], e.g. container:rabbitmq:3.13-management"
    )]
    Image {
        /// What followed `container:`.
        image: String,
    },
    /// Not a form we know.
    #[error(
        "unknown broker '{value}': expected embedded, local, container[:IMAGE[:TAG]] or an amqp:// URL"
    )]
    Unknown {
        /// The value, password masked if it looked like a URL.
        value: String,
    },
}

impl FromStr for BrokerSpec {
    type Err = BrokerSpecError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let value = value.trim();
        if value.contains("://") {
            return Ok(Self::Url(value.parse()?));
        }
        match value {
            "embedded" => return Ok(Self::Embedded),
            "local" => return Ok(Self::Local(LocalOptions::default())),
            "container" => return Ok(Self::Container(None)),
            _ => {}
        }
        if let Some(reference) = value.strip_prefix("container:") {
            return ContainerImage::parse(reference)
                .map(|image| Self::Container(Some(image)))
                .ok_or_else(|| BrokerSpecError::Image {
                    image: reference.to_owned(),
                });
        }
        Err(BrokerSpecError::Unknown {
            value: amqp_url::mask_password(value),
        })
    }
}

impl fmt::Display for BrokerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Embedded => f.write_str("embedded"),
            Self::Url(url) => write!(f, "{url}"),
            Self::Container(None) => f.write_str("container"),
            Self::Container(Some(image)) => write!(f, "container:{image}"),
            Self::Local(_) => f.write_str("local"),
        }
    }
}

/// Why a broker could not be made available.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// The given URL does not accept connections.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The embedded broker did not start or stop cleanly.
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    /// The container could not be started or stopped.
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// The local `rabbitmq-server` could not be started or stopped.
    #[error(transparent)]
    Local(#[from] LocalError),
}

/// A broker that accepts AMQP connections at [`Provisioned::url`], and the
/// means to stop it. Dropping it stops what switchboard started (abruptly);
/// prefer [`Provisioned::shutdown`].
#[derive(Debug)]
pub struct Provisioned {
    url: AmqpUrl,
    spec: BrokerSpec,
    guard: Guard,
}

/// What has to be torn down; each variant's own `Drop` is the fallback.
#[derive(Debug)]
enum Guard {
    /// Someone else's broker: nothing to stop.
    External,
    Embedded(embedded::EmbeddedGuard),
    // Boxed: these handles are large and `External` is empty.
    Container(Box<ContainerBroker>),
    Local(Box<LocalNode>),
}

impl Provisioned {
    /// Where to connect: the broker's URL, credentials included (see
    /// [`AmqpUrl`]'s `Display` for printing it safely).
    pub fn url(&self) -> &AmqpUrl {
        &self.url
    }

    /// What the user asked for.
    pub fn spec(&self) -> &BrokerSpec {
        &self.spec
    }

    /// Stops what switchboard started and waits until it is gone. A broker
    /// given by URL is left running.
    pub async fn shutdown(self) -> Result<(), ProvisionError> {
        match self.guard {
            Guard::External => Ok(()),
            Guard::Embedded(broker) => Ok(broker.shutdown().await?),
            Guard::Container(container) => Ok((*container).shutdown().await?),
            Guard::Local(node) => Ok((*node).shutdown().await?),
        }
    }
}

/// Makes the broker `spec` describes available: checks that a URL accepts
/// connections (so a typo fails here, clearly), or starts a broker and
/// returns once it accepts AMQP connections.
pub async fn provision(spec: &BrokerSpec) -> Result<Provisioned, ProvisionError> {
    let (url, guard) = match spec {
        BrokerSpec::Url(url) => {
            let connection = connect(url, "switchboard-probe", DEFAULT_CONNECT_TIMEOUT).await?;
            // A failed close only means the broker dropped us first: the URL works.
            let _ = connection.close().await;
            (url.clone(), Guard::External)
        }
        BrokerSpec::Embedded => {
            let broker = embedded::EmbeddedGuard::start().await?;
            (broker.url(), Guard::Embedded(broker))
        }
        BrokerSpec::Container(image) => {
            let container = ContainerBroker::start(image.as_ref()).await?;
            (
                container.url().clone(),
                Guard::Container(Box::new(container)),
            )
        }
        BrokerSpec::Local(options) => {
            let node = LocalNode::start(options).await?;
            (node.url().clone(), Guard::Local(Box::new(node)))
        }
    };
    Ok(Provisioned {
        url,
        spec: spec.clone(),
        guard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("embedded", BrokerSpec::Embedded)]
    #[case("local", BrokerSpec::Local(LocalOptions::default()))]
    #[case("container", BrokerSpec::Container(None))]
    #[case(
        "container:rabbitmq:3.13-management",
        BrokerSpec::Container(Some(ContainerImage::new("rabbitmq", "3.13-management")))
    )]
    #[case(
        "container:switchboard/rabbitmq:offline",
        BrokerSpec::Container(Some(ContainerImage::offline()))
    )]
    #[case(
        "amqp://guest:guest@127.0.0.1:5672/%2f",
        BrokerSpec::Url(AmqpUrl::localhost(5672))
    )]
    fn parses_every_form(#[case] value: &str, #[case] expected: BrokerSpec) {
        assert_eq!(value.parse::<BrokerSpec>().unwrap(), expected);
    }

    #[rstest]
    #[case(
        "rabbit",
        "unknown broker 'rabbit': expected embedded, local, container[:IMAGE[:TAG]] or an amqp:// URL"
    )]
    #[case(
        "container:",
        "invalid broker 'container:': expected container:IMAGE[:TAG], e.g. container:rabbitmq:3.13-management"
    )]
    #[case(
        "amqp://u:secret@h/a/b",
        "invalid broker URL 'amqp://u:****@h/a/b': the path must be a single virtual host (write '/' as %2f, e.g. amqp://host/%2f)"
    )]
    fn rejects_unknown_forms_in_one_sentence(#[case] value: &str, #[case] message: &str) {
        assert_eq!(
            value.parse::<BrokerSpec>().unwrap_err().to_string(),
            message
        );
    }

    #[rstest]
    #[case("container")]
    #[case("container:rabbitmq:3.13-management")]
    #[case("embedded")]
    fn display_gives_back_what_was_parsed(#[case] value: &str) {
        assert_eq!(value.parse::<BrokerSpec>().unwrap().to_string(), value);
    }

    #[test]
    fn display_never_shows_a_password() {
        let spec: BrokerSpec = "amqp://u:secret@h:1/".parse().unwrap();
        assert_eq!(spec.to_string(), "amqp://h:1/");
    }
}
