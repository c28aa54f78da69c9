//! `switchboard websocketd`: the Wazo WebSocket, standalone, over any broker
//! carrying Wazo traffic on `wazo-headers`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::provision::AmqpUrl;
use crate::websocketd::{
    self, DEFAULT_MASTER_TENANT, DEFAULT_ORIGIN_UUID, DEFAULT_TENANT, ExpiryStrategy, Options, Tls,
    Token, parse_token_spec,
};
use anyhow::Context;
use clap::Args as ClapArgs;
use uuid::Uuid;

use super::broker::CtrlC;

/// Serve the Wazo WebSocket (a wazo-websocketd emulator) until Ctrl-C.
///
/// Consumes the broker as wazo-websocketd does (a queue per session on
/// `wazo-headers`, per-tenant exchanges) and serves
/// `ws://ADDR/api/websocketd/?token=T&version=2` (any path). Prints the URL
/// on the first line of standard output, then each token on standard error;
/// `-v` logs why each event was or was not delivered to each session; on
/// exit, a summary per session.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The broker carrying Wazo's events (amqp://user:password@host:port/vhost).
    #[arg(long, value_name = "URL")]
    pub broker: AmqpUrl,

    /// Address to listen on; port 0 lets the system choose.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,

    /// Serve wss:// with a self-signed certificate generated at start.
    #[arg(long)]
    pub tls: bool,

    /// Where to write the generated certificate (PEM), for clients to trust.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub cert_out: Option<PathBuf>,

    /// A token to accept, as comma-separated KEY=VALUE parts (repeatable):
    /// id, user, tenant, acl (repeatable), session, expires (e.g. 2h),
    /// purpose (user, internal, external_api), admin. Unset parts take
    /// wazo-auth's defaults: the default user policy's ACL, 2 h, purpose user.
    #[arg(long = "token", value_name = "SPEC")]
    pub tokens: Vec<String>,

    /// This server's uuid: events with another origin_uuid are not delivered.
    #[arg(long, value_name = "UUID", default_value_t = DEFAULT_ORIGIN_UUID)]
    pub origin_uuid: Uuid,

    /// The master tenant: its tokens see every tenant.
    #[arg(long, value_name = "UUID", default_value_t = DEFAULT_MASTER_TENANT)]
    pub master_tenant: Uuid,

    /// When tokens are re-validated: "dynamic" (wazo-websocketd's default,
    /// following each token's expiry) or an interval such as "2s" (static).
    #[arg(long, value_name = "dynamic|INTERVAL", default_value = "dynamic", value_parser = parse_expiry)]
    pub expiry: ExpiryStrategy,

    /// Write every WebSocket delivery (session, user, event, frame) to FILE as JSON Lines.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

fn parse_expiry(text: &str) -> Result<ExpiryStrategy, String> {
    if text == "dynamic" {
        return Ok(ExpiryStrategy::Dynamic);
    }
    match humantime::parse_duration(text) {
        Ok(interval) if interval > Duration::ZERO => Ok(ExpiryStrategy::Static(interval)),
        _ => Err(format!(
            "expected \"dynamic\" or an interval such as \"2s\", got \"{text}\""
        )),
    }
}

/// Starts the server, prints its URL, serves until Ctrl-C, prints the summary.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut tokens = Vec::new();
    for spec in &args.tokens {
        let token =
            parse_token_spec(spec, DEFAULT_TENANT).with_context(|| format!("--token {spec}"))?;
        tokens.push(token);
    }
    let mut options = Options::new(args.broker.clone());
    options.bind = args.bind;
    options.origin_uuid = args.origin_uuid;
    options.master_tenant = args.master_tenant;
    options.expiry = args.expiry;
    options.record = args.record.is_some();
    options.tls = args.tls.then(|| Tls {
        cert_out: args.cert_out.clone(),
    });
    for token in &tokens {
        options.tokens.insert(token.clone());
    }
    let interrupted = CtrlC::listen()?;
    let server = websocketd::start(options)
        .await
        .context("cannot start the Wazo WebSocket")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", server.url())?;
    stdout.flush()?;
    drop(stdout);
    eprintln!(
        "switchboard: Wazo WebSocket on {} over {} (origin {}, master tenant {}; Ctrl-C to stop)",
        server.url(),
        args.broker,
        args.origin_uuid,
        args.master_tenant
    );
    if let Some(path) = &args.cert_out {
        eprintln!("switchboard: certificate written to {}", path.display());
    }
    for token in &tokens {
        eprintln!("switchboard: {}", describe(token));
    }
    if tokens.is_empty() {
        eprintln!("switchboard: no --token given: every connection will close with 4002");
    }
    interrupted.wait().await;
    eprintln!("switchboard: stopping the Wazo WebSocket");
    let deliveries = server.deliveries();
    let sessions = server.shutdown().await;
    for session in &sessions {
        eprintln!("switchboard: {session}");
    }
    eprintln!("switchboard: {} session(s)", sessions.len());
    if let Some(path) = &args.record {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        );
        for delivery in &deliveries {
            serde_json::to_writer(&mut file, delivery)?;
            writeln!(file)?;
        }
        file.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "switchboard: {} WebSocket deliveries recorded to {}",
            deliveries.len(),
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `token T: user U tenant X, 60 ACL entries, purpose user, expires in 2h`.
fn describe(token: &Token) -> String {
    let remaining = token
        .expires_at
        .duration_since(std::time::SystemTime::now())
        .map(|left| humantime::format_duration(Duration::from_secs(left.as_secs())).to_string())
        .unwrap_or_else(|_| "expired".into());
    format!(
        "token {}: user {} tenant {}, {} ACL entries, purpose {}{}, expires in {remaining}",
        token.id,
        token.user_uuid,
        token.tenant_uuid,
        token.acl.len(),
        token.purpose.as_deref().unwrap_or("none"),
        if token.admin { ", admin" } else { "" },
    )
}
