//! `switchboard broker`: runs the embedded AMQP broker in the foreground.

use std::{
    io::Write,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    process::ExitCode,
};

use anyhow::Context;
use clap::{Args as ClapArgs, ValueEnum};
use switchboard_broker::{Config, EmbeddedBroker, User};

/// Run the embedded AMQP 0-9-1 broker until Ctrl-C.
///
/// Prints the broker's URL on the first line of standard output, then serves
/// any AMQP 0-9-1 client (amqprs, lapin, kombu, pika, …) with RabbitMQ's
/// semantics. Nothing is kept on disk: stopping the broker forgets everything.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,

    /// Port to listen on; 0 lets the system choose a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// A user allowed to log in, as NAME:PASSWORD (repeatable). Default: guest:guest.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    pub users: Vec<User>,

    /// A virtual host to create (repeatable). Default: /.
    #[arg(long = "vhost", value_name = "NAME")]
    pub vhosts: Vec<String>,

    /// How to print the URL: a line of text, or a JSON object.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `amqp://…` on its own line.
    Text,
    /// `{"url": "amqp://…", "addr": "127.0.0.1:…"}`.
    Json,
}

fn parse_user(text: &str) -> Result<User, String> {
    match text.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok(User::new(name, password)),
        _ => Err(format!("expected NAME:PASSWORD, got '{text}'")),
    }
}

/// Starts the broker, prints its URL and serves until Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let defaults = Config::default();
    let config = Config {
        bind: SocketAddr::new(args.bind, args.port),
        users: if args.users.is_empty() {
            defaults.users.clone()
        } else {
            args.users
        },
        vhosts: if args.vhosts.is_empty() {
            defaults.vhosts.clone()
        } else {
            args.vhosts
        },
        ..defaults
    };
    let bind = config.bind;
    // Listen for Ctrl-C before printing the URL: whoever reads the URL may
    // send the signal at once, and it must stop the broker, not kill it.
    let interrupted = CtrlC::listen()?;
    let broker = EmbeddedBroker::start(config)
        .await
        .with_context(|| format!("cannot start the embedded broker on {bind}"))?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Text => writeln!(stdout, "{}", broker.url())?,
        Format::Json => writeln!(
            stdout,
            "{}",
            serde_json::json!({ "url": broker.url(), "addr": broker.addr().to_string() })
        )?,
    }
    stdout.flush()?;
    drop(stdout);
    eprintln!(
        "switchboard: broker listening on {} (Ctrl-C to stop)",
        broker.addr()
    );
    interrupted.wait().await;
    eprintln!("switchboard: stopping the broker");
    broker.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C (SIGINT), with its handler installed as soon as this is created.
pub(crate) struct CtrlC {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl CtrlC {
    pub(crate) fn listen() -> anyhow::Result<Self> {
        Ok(Self {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("cannot listen for Ctrl-C")?,
        })
    }

    pub(crate) async fn wait(mut self) {
        #[cfg(unix)]
        self.signal.recv().await;
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_parse_as_name_colon_password() {
        assert_eq!(
            parse_user("alice:s:e:c").unwrap(),
            User::new("alice", "s:e:c")
        );
        assert!(parse_user("alice").is_err());
        assert!(parse_user(":pw").is_err());
    }
}
