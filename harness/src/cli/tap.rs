//! `switchboard tap`: record live traffic from a bus and show it as it
//! arrives, each delivery checked against the Wazo bus document.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::bus_args::BusArgs;
use super::format::OutputFormat;
use super::profile_args::CheckProfileArg;
use crate::catalog::wazo::Profile;
use crate::dialect::wazo::summary::{Names, summarize};
use crate::provision::{self, BrokerSpec};
use crate::record::jsonl::JsonlWriter;
use crate::record::{Delivery, Recorder, RecorderOptions};
use crate::sink::WAZO_HEADERS_EXCHANGE;

/// Record live traffic from a bus and print each delivery as it arrives.
///
/// Binds a private queue to the exchange (declaring it the way Wazo does if
/// it is missing) and prints one line per delivery: receive number, event
/// name, routing key and a sentence about its data, followed by its contract
/// violations if any. Stops after --count deliveries, after --duration, or
/// on Ctrl-C, then prints a summary. Exit code 1 when a delivery broke the
/// contract.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to listen, what to keep and how to print it.
    #[command(flatten)]
    pub bus: BusArgs,

    /// Stop after this many deliveries.
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,

    /// Stop after this long, e.g. 30s or 5m.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub duration: Option<Duration>,

    /// Which Wazo to check against, and to listen to: auto (the default)
    /// and documented listen on the topic exchange (`xivo`); wazo listens
    /// on `wazo-headers`, where a current Wazo publishes. Each message is
    /// checked against the profile it matches best (auto), the document, or
    /// current Wazo 26.08 (wazo-bus 4c47e71c).
    #[arg(long, value_enum, default_value_t = CheckProfileArg::Auto)]
    pub profile: CheckProfileArg,

    /// The headers exchange listened to with `--profile wazo`.
    #[arg(long, default_value = WAZO_HEADERS_EXCHANGE, value_name = "NAME")]
    pub headers_exchange: String,
}

/// Why the tap stopped listening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum Stop {
    Count,
    Duration,
    Interrupted,
    BrokenPipe,
    BrokerClosed,
}

/// Runs `tap`. Exit code 1 when a delivery violates the contract, 2 when
/// the broker went away.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let spec: BrokerSpec = args.bus.broker.parse()?;
    let broker = provision::provision(&spec).await?;
    let bindings = args.bus.bindings_or_everything();
    let listen_wazo = args.profile == CheckProfileArg::Wazo;
    let options = RecorderOptions {
        exchange: args.bus.exchange.clone(),
        bindings: bindings.clone(),
        profile: if listen_wazo {
            Profile::Wazo
        } else {
            Profile::Documented
        },
        headers_exchange: args.headers_exchange.clone(),
        ..RecorderOptions::default()
    };
    let listened = if listen_wazo {
        &args.headers_exchange
    } else {
        &args.bus.exchange
    };
    let recorder = Recorder::start(broker.url(), &options).await?;
    let mut record = match &args.bus.record {
        Some(path) => Some(JsonlWriter::create(path)?),
        None => None,
    };
    // stderr, so that stdout holds only deliveries (and stays parseable).
    eprintln!(
        "tap: listening on {} exchange '{}' with {} (Ctrl-C to stop)",
        broker.url(),
        listened,
        bindings.join(", ")
    );

    let mut cursor = recorder.cursor();
    let mut received = 0usize;
    let mut violations = 0usize;
    let deadline = args
        .duration
        .map(|duration| tokio::time::Instant::now() + duration);
    let stop = loop {
        if args.count.is_some_and(|count| received >= count) {
            break Stop::Count;
        }
        let next = tokio::select! {
            next = cursor.next() => next,
            () = sleep_until(deadline) => break Stop::Duration,
            _ = tokio::signal::ctrl_c() => break Stop::Interrupted,
        };
        let Some(delivery) = next else {
            break Stop::BrokerClosed;
        };
        received += 1;
        let found = delivery.contract_violations_as(args.profile.into());
        violations += found.len();
        if let Some(writer) = record.as_mut() {
            writer.write(&delivery)?;
        }
        match print_delivery(args.bus.format, &delivery, &found) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => break Stop::BrokenPipe,
            Err(error) => return Err(error).context("cannot write to stdout"),
        }
    };

    let ended = cursor.ended();
    recorder.shutdown().await;
    broker.shutdown().await?;
    let summary = Summary {
        received,
        violations,
        stop,
    };
    if stop != Stop::BrokenPipe {
        print_summary(args.bus.format, &summary, ended.as_deref())
            .context("cannot write to stdout")?;
    }
    Ok(match (stop, summary.violations) {
        (Stop::BrokerClosed, _) => ExitCode::from(super::EXIT_ERROR),
        (_, found) if found > 0 => ExitCode::from(super::EXIT_FINDINGS),
        _ => ExitCode::SUCCESS,
    })
}

struct Summary {
    received: usize,
    violations: usize,
    stop: Stop,
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn print_delivery(
    format: OutputFormat,
    delivery: &Delivery,
    violations: &[String],
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match format {
        OutputFormat::Text => {
            writeln!(
                out,
                "{:>5}  {:<32}  {:<40}  {}",
                delivery.seq,
                delivery.name().unwrap_or("-"),
                delivery.routing_key,
                delivery
                    .json()
                    .and_then(|body| summarize(body, &Names::default()))
                    .unwrap_or_else(|| delivery.summary(100))
            )?;
            for violation in violations {
                writeln!(out, "       ✗ {violation}")?;
            }
        }
        OutputFormat::Json => {
            let line = json!({
                "type": "delivery",
                "name": delivery.name(),
                "delivery": delivery,
                "violations": violations,
            });
            writeln!(out, "{line}")?;
        }
    }
    out.flush()
}

fn print_summary(format: OutputFormat, summary: &Summary, ended: Option<&str>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match format {
        OutputFormat::Text => {
            let contract = match summary.violations {
                0 => "no contract violations".to_owned(),
                1 => "1 contract violation".to_owned(),
                found => format!("{found} contract violations"),
            };
            let why = match summary.stop {
                Stop::Count => "count reached".to_owned(),
                Stop::Duration => "duration elapsed".to_owned(),
                Stop::Interrupted => "interrupted".to_owned(),
                Stop::BrokenPipe => "output closed".to_owned(),
                Stop::BrokerClosed => ended
                    .unwrap_or("the broker closed the connection")
                    .to_owned(),
            };
            writeln!(
                out,
                "received {} deliveries, {contract} ({why})",
                summary.received
            )?;
        }
        OutputFormat::Json => {
            let line = json!({
                "type": "summary",
                "received": summary.received,
                "violations": summary.violations,
                "stopped": summary.stop,
            });
            writeln!(out, "{line}")?;
        }
    }
    out.flush()
}
