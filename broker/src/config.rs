//! The broker's configuration, with defaults that suit tests: loopback on an
//! ephemeral port, `guest`/`guest`, the `/` virtual host.

use std::{
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};

/// A user allowed to log in (PLAIN or AMQPLAIN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Password, compared as given.
    pub password: String,
}

impl User {
    /// A user from a name and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// How the embedded broker listens and what it accepts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen. Default `127.0.0.1:0`: loopback, a port chosen by the
    /// system, so that tests never collide with each other or with RabbitMQ.
    pub bind: SocketAddr,
    /// Users who may log in. Default: `guest`/`guest`.
    pub users: Vec<User>,
    /// Virtual hosts that exist. Default: `/`.
    pub vhosts: Vec<String>,
    /// Largest frame proposed in `connection.tune` (bytes, framing included). Default 131 072, as RabbitMQ.
    pub frame_max: u32,
    /// Most channels per connection proposed in `connection.tune`. Default 2 047, as RabbitMQ.
    pub channel_max: u16,
    /// Heartbeat interval proposed in `connection.tune`. Default 60 s, as RabbitMQ; zero disables.
    pub heartbeat: Duration,
    /// Largest message body accepted; a larger one closes the channel with 406. Default 16 MiB.
    pub max_message_size: usize,
    /// Most ready messages one queue holds; further publishes to it are refused
    /// (a `basic.nack` under publisher confirms). Default 1 000 000.
    pub queue_message_limit: usize,
    /// Bytes of message bodies held by the broker past which publishing
    /// connections receive `connection.blocked` and are no longer read until
    /// consumers drain the queues. Default 256 MiB.
    pub memory_limit: usize,
    /// How long a client has to finish the opening handshake. Default 10 s, as RabbitMQ.
    pub handshake_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            users: vec![User::new("guest", "guest")],
            vhosts: vec!["/".to_owned()],
            frame_max: 131_072,
            channel_max: 2_047,
            heartbeat: Duration::from_secs(60),
            max_message_size: 16 * 1024 * 1024,
            queue_message_limit: 1_000_000,
            memory_limit: 256 * 1024 * 1024,
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The heartbeat in whole seconds, as `connection.tune` carries it.
    pub(crate) fn heartbeat_seconds(&self) -> u16 {
        u16::try_from(self.heartbeat.as_secs()).unwrap_or(u16::MAX)
    }

    pub(crate) fn check_login(&self, username: &str, password: &str) -> bool {
        self.users
            .iter()
            .any(|user| user.username == username && user.password == password)
    }
}
