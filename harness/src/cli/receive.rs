//! `switchboard receive`: a webhook receiver that records what it gets,
//! checks each event against the Phone.com v2 contract, and answers 200.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use hyper::StatusCode;
use serde_json::json;

use super::EXIT_FINDINGS;
use super::format::OutputFormat;
use crate::sink::webhook::{Received, ReceivedKind, Receiver, ReceiverOptions};

/// Receive webhook events (Phone.com v2), check each against the contract, answer 200.
///
/// Prints one line per request: the callback check Phone.com makes when a
/// callback is created (`{"test": 1}`), and events with their tags and any
/// contract violation. Stops after --count events or on Ctrl-C, then prints a
/// summary. Exit code 1 when an event violates the contract.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port to listen on (0: any free port; the URL is printed on stderr).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// The address to listen on. The default keeps the receiver private to this machine.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), value_name = "ADDRESS")]
    pub bind: IpAddr,

    /// Also write every request to this file, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Stop after this many events (callback checks are not counted).
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,

    /// Answer events with this HTTP status instead of 200, to see how a sender
    /// copes (the {"test": 1} callback check is still answered 200).
    #[arg(long, default_value_t = 200, value_name = "CODE", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub status: u16,

    /// Wait this long before answering each event (e.g. 2s), to test sender timeouts.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub delay: Option<Duration>,

    /// Output format: text, or json (JSON Lines: `{"type":"received",…}` then `{"type":"summary",…}`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// Runs the receiver until --count events or Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let status = StatusCode::from_u16(args.status)
        .with_context(|| format!("{} is not an HTTP status code", args.status))?;
    let options = ReceiverOptions {
        status,
        delay: args.delay.unwrap_or(Duration::ZERO),
        record: args.record.clone(),
        ..ReceiverOptions::default()
    };
    let receiver = Receiver::bind(SocketAddr::new(args.bind, args.port), options).await?;
    // stderr, so that stdout holds only what was received (and stays parseable).
    eprintln!(
        "receive: listening on {} (Ctrl-C to stop)",
        receiver.url("/")
    );

    let mut count = receiver.count();
    let mut shown = 0usize;
    let (mut events, mut checks, mut violating) = (0usize, 0usize, 0usize);
    let mut stdout = io::stdout().lock();
    'serve: loop {
        for received in receiver.received_after(shown) {
            shown += 1;
            match received.kind {
                ReceivedKind::Check => checks += 1,
                ReceivedKind::Event => events += 1,
            }
            if !received.violations.is_empty() {
                violating += 1;
            }
            if print(&mut stdout, &received, args.format).is_err() {
                // Broken pipe: whoever read the output is gone.
                break 'serve;
            }
            if args.count.is_some_and(|wanted| events >= wanted) {
                break 'serve;
            }
        }
        tokio::select! {
            changed = count.changed() => if changed.is_err() { break },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    drop(stdout);
    receiver.shutdown().await?;

    match args.format {
        OutputFormat::Text => eprintln!(
            "receive: {events} events ({violating} violating the contract), {checks} callback checks"
        ),
        OutputFormat::Json => println!(
            "{}",
            json!({"type": "summary", "events": events, "checks": checks, "violating": violating})
        ),
    }
    Ok(if violating > 0 {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

fn print(out: &mut impl Write, received: &Received, format: OutputFormat) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            let mut line = serde_json::to_value(received).map_err(io::Error::from)?;
            if let Some(object) = line.as_object_mut() {
                object.insert("type".into(), json!("received"));
            }
            writeln!(out, "{line}")?;
        }
        OutputFormat::Text => {
            let what = match received.kind {
                ReceivedKind::Check => "callback check".to_string(),
                ReceivedKind::Event => describe(received),
            };
            writeln!(
                out,
                "#{:<4} {} {} {what}",
                received.seq, received.method, received.path
            )?;
            for violation in &received.violations {
                writeln!(out, "      violation: {violation}")?;
            }
        }
    }
    out.flush()
}

/// `call [call new-call first-leg inbound from-did to-extension]`.
fn describe(received: &Received) -> String {
    let crate::record::Body::Json(body) = &received.body else {
        return "(not JSON)".to_string();
    };
    let data_type = body
        .get("data_type")
        .and_then(|value| value.as_str())
        .unwrap_or("?");
    let tags: Vec<&str> = body
        .get("tags")
        .and_then(|tags| tags.as_array())
        .map(|tags| tags.iter().filter_map(|tag| tag.as_str()).collect())
        .unwrap_or_default();
    format!("{data_type} [{}]", tags.join(" "))
}
