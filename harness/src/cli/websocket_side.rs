//! `--websocket` on `run` and `check`: the Wazo WebSocket served beside the
//! run's broker, with the scenario's tokens, and its summary afterwards.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::catalog::wazo::Profile;
use crate::harness::RenderedScenario;
use crate::provision::AmqpUrl;
use crate::scenario::Scenario;
use crate::websocketd::{self, NamedToken, Options, WebsocketdHandle, scenario_tokens};

/// The Wazo WebSocket of one run.
#[derive(Debug)]
pub struct WebsocketSide {
    server: WebsocketdHandle,
    tokens: Vec<NamedToken>,
}

impl WebsocketSide {
    /// Starts the server on `bind` over `broker` for `rendered`; refuses the
    /// documented profile, whose messages carry none of the headers the
    /// WebSocket filters on.
    pub async fn start(
        bind: SocketAddr,
        broker: &AmqpUrl,
        scenario: &Scenario,
        rendered: &RenderedScenario,
        profile: Profile,
        record: bool,
    ) -> anyhow::Result<Self> {
        if profile != Profile::Wazo {
            anyhow::bail!(
                "--websocket needs --profile wazo: the Wazo WebSocket consumes wazo-headers, and only current Wazo's messages carry the tenant_uuid and user_uuid headers it filters on"
            );
        }
        let tokens = scenario_tokens(scenario, &rendered.directory, rendered.seed);
        let mut options = Options::for_scenario(broker.clone(), &rendered.directory, &tokens);
        options.bind = bind;
        options.record = record;
        let server = websocketd::start(options)
            .await
            .context("cannot start the Wazo WebSocket")?;
        eprintln!(
            "websocket: {} (origin {})",
            server.url(),
            rendered.directory.platform.uuid
        );
        for named in &tokens {
            eprintln!(
                "websocket: token {} for {}: user {} tenant {}",
                named.token.id, named.name, named.token.user_uuid, named.token.tenant_uuid
            );
        }
        Ok(Self { server, tokens })
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The token named `name` (a user handle or a `[tokens.NAME]`); without
    /// a name, the scenario's first user's.
    pub fn token(&self, name: Option<&str>) -> anyhow::Result<&str> {
        let found = match name {
            Some(name) => self.tokens.iter().find(|named| named.name == name),
            None => self.tokens.first(),
        };
        match (found, name) {
            (Some(named), _) => Ok(&named.token.id),
            (None, Some(name)) => {
                let known: Vec<&str> = self
                    .tokens
                    .iter()
                    .map(|named| named.name.as_str())
                    .collect();
                anyhow::bail!(
                    "--as {name}: no such user or token; known: {}",
                    known.join(", ")
                )
            }
            (None, None) => {
                anyhow::bail!("the scenario has no user, so there is no token to give the consumer")
            }
        }
    }

    /// Waits until `count` sessions have sent `start`.
    pub async fn wait_started(&self, count: usize, timeout: Duration) -> anyhow::Result<()> {
        if count == 0 || self.server.wait_started(count, timeout).await {
            return Ok(());
        }
        anyhow::bail!(
            "{count} WebSocket session(s) did not send start within {}",
            humantime::format_duration(timeout)
        )
    }

    /// Stops the server, prints one line per session on stderr, and with
    /// `record` writes the WebSocket deliveries beside it (see [`sibling`]).
    pub async fn finish(self, record: Option<&Path>) -> anyhow::Result<()> {
        let deliveries = self.server.deliveries();
        let sessions = self.server.shutdown().await;
        for session in &sessions {
            eprintln!("websocket: {session}");
        }
        if let Some(path) = record {
            let path = sibling(path);
            let mut text = String::new();
            for delivery in &deliveries {
                text.push_str(&serde_json::to_string(delivery)?);
                text.push('\n');
            }
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "websocket: {} deliveries recorded to {}",
                deliveries.len(),
                path.display()
            );
        }
        Ok(())
    }
}

/// Where `--record FILE` puts the WebSocket deliveries: `FILE.websocket.jsonl`
/// (the AMQP recording keeps its own format).
pub fn sibling(record: &Path) -> PathBuf {
    let mut name = record.as_os_str().to_owned();
    name.push(".websocket.jsonl");
    PathBuf::from(name)
}
