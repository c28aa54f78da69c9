//! The exchanges of a Wazo bus, per profile, and the properties of its messages.
//!
//! - `documented`: one topic exchange, `xivo`, durable; messages transient
//!   (delivery mode 1), no content encoding, as the document says.
//! - `wazo`: what a current install has. The daemons publish on
//!   `wazo-headers`, a durable headers exchange (wazo-calld's 23.01
//!   changelog and configuration; wazo-amid, wazo-websocketd likewise), with
//!   kombu's defaults: delivery mode 2, content encoding `utf-8`. `xivo`
//!   still exists, and Wazo's own test set-up (wazo-test-helpers
//!   `bus.py`, `downstream_exchange_declare`) binds `wazo-headers` *to*
//!   `xivo` with `#`: whatever is published on `xivo` also reaches header
//!   consumers. Nothing routes `wazo-headers` back to `xivo`, so a topic
//!   consumer on `xivo` receives only what wazo-auth publishes there (see
//!   `switchboard catalog errata`, section "document vs current Wazo").
//!
//! Every component that declares exchanges (publisher, recorder, load
//! generator, consumers) goes through [`Topology::declare`], so they all
//! agree on types and flags: a second declaration with other flags would be
//! refused by the broker (406).

use amqprs::channel::{Channel, ExchangeBindArguments, ExchangeDeclareArguments, ExchangeType};
use amqprs::{DELIVERY_MODE_PERSISTENT, DELIVERY_MODE_TRANSIENT};

use crate::catalog::wazo::Profile;

/// The topic exchange of the Wazo document.
pub const WAZO_EXCHANGE: &str = "xivo";
/// The headers exchange current Wazo daemons publish on.
pub const WAZO_HEADERS_EXCHANGE: &str = "wazo-headers";
/// The content encoding kombu gives JSON bodies (current Wazo).
pub const UTF8_ENCODING: &str = "utf-8";

/// The exchanges of one bus, named (tests use private names on a shared RabbitMQ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Which wire format.
    pub profile: Profile,
    /// The topic exchange (`xivo`).
    pub topic: String,
    /// The headers exchange (`wazo-headers`); declared in the `wazo` profile only.
    pub headers: String,
}

/// An exchange or binding the broker refused to declare.
#[derive(Debug, thiserror::Error)]
#[error("cannot declare {what}")]
pub struct DeclareFailure {
    /// What was being declared, in words: `the topic exchange 'xivo'`.
    pub what: String,
    /// The exchange concerned.
    pub exchange: String,
    /// What the client library reported.
    #[source]
    pub cause: amqprs::error::Error,
}

impl Topology {
    /// The default names for `profile`.
    pub fn new(profile: Profile) -> Self {
        Self::named(profile, WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE)
    }

    /// `profile` with these exchange names.
    pub fn named(profile: Profile, topic: &str, headers: &str) -> Self {
        Self {
            profile,
            topic: topic.to_owned(),
            headers: headers.to_owned(),
        }
    }

    /// Where messages are published: `xivo` (documented) or `wazo-headers` (wazo).
    pub fn publish_exchange(&self) -> &str {
        match self.profile {
            Profile::Documented => &self.topic,
            Profile::Wazo => &self.headers,
        }
    }

    /// Declares the exchanges (and, for `wazo`, the binding between them)
    /// as the platform does: durable, not auto-deleted.
    pub async fn declare(&self, channel: &Channel) -> Result<(), DeclareFailure> {
        declare_exchange(channel, &self.topic, ExchangeType::Topic).await?;
        if self.profile == Profile::Wazo {
            declare_exchange(channel, &self.headers, ExchangeType::Headers).await?;
            channel
                .exchange_bind(ExchangeBindArguments::new(&self.headers, &self.topic, "#"))
                .await
                .map_err(|cause| DeclareFailure {
                    what: format!(
                        "the binding of the headers exchange '{}' to '{}'",
                        self.headers, self.topic
                    ),
                    exchange: self.headers.clone(),
                    cause,
                })?;
        }
        Ok(())
    }
}

async fn declare_exchange(
    channel: &Channel,
    name: &str,
    kind: ExchangeType,
) -> Result<(), DeclareFailure> {
    let what = format!("the {kind} exchange '{name}'");
    channel
        .exchange_declare(
            ExchangeDeclareArguments::of_type(name, kind)
                .durable(true)
                .auto_delete(false)
                .finish(),
        )
        .await
        .map_err(|cause| DeclareFailure {
            what,
            exchange: name.to_owned(),
            cause,
        })
}

/// The AMQP delivery mode of `profile`'s messages: transient as the
/// document says, persistent as kombu publishes by default.
pub fn delivery_mode(profile: Profile) -> u8 {
    match profile {
        Profile::Documented => DELIVERY_MODE_TRANSIENT,
        Profile::Wazo => DELIVERY_MODE_PERSISTENT,
    }
}

/// The content encoding of `profile`'s messages, when it sets one.
pub fn content_encoding(profile: Profile) -> Option<&'static str> {
    match profile {
        Profile::Documented => None,
        Profile::Wazo => Some(UTF8_ENCODING),
    }
}
