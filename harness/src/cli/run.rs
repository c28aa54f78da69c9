//! `switchboard run`: play a scenario on a broker and show what a consumer receives.
//!
//! The scenario is simulated and rendered first (so a bad step is reported
//! before any broker is started), then a [`Harness`] provisions the broker,
//! binds the recorder and plays it. Deliveries are printed as they arrive,
//! each checked against the contract; a summary ends the output.
//!
//! Each dialect has its own path: `run_wazo` here publishes on an AMQP
//! exchange; Phone.com's delivers to webhooks ([`super::run_phonecom`]).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::bus_args::BusArgs;
use super::format::OutputFormat;
use super::profile_args::{PUBLISH_HELP, ProfileArg};
use crate::dialect::wazo::summary::{Names, summarize};
use crate::harness::{self, Harness, HarnessOptions, PlayError, PlayOptions, PlayReport};
use crate::provision::BrokerSpec;
use crate::record::Delivery;
use crate::record::jsonl::JsonlWriter;
use crate::scenario::Scenario;
use crate::sim::VirtualClock;

/// Play a scenario on a broker and print each delivery as it is received.
///
/// Starts the broker (embedded by default), declares the `xivo` topic
/// exchange as Wazo does, binds a recording queue, plays the scenario and
/// prints one line per delivery: receive number, event name, routing key
/// and what happened in words. Every delivery is checked against the
/// documented contract. Exit code 0: everything published was received and
/// conforms; 1: a violation or a missing delivery; 2: the run could not be done.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (TOML), e.g. scenarios/call_lifecycle.toml.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,

    /// Where to publish and record, and how to print what arrives.
    #[command(flatten)]
    pub bus: BusArgs,

    /// Which platform's messages to publish.
    #[arg(long, value_enum, default_value_t = Dialect::Wazo)]
    pub dialect: Dialect,

    #[arg(long, value_enum, default_value_t = ProfileArg::Documented, help = PUBLISH_HELP)]
    pub profile: ProfileArg,

    /// Seed for generated data, replacing the scenario's.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Timestamps from the wall clock instead of the fixed anchor (2026-01-15T09:00:00Z).
    #[arg(long)]
    pub now: bool,

    /// Play in real time scaled by this factor (1 = real time, 10 = ten times
    /// faster); 0 publishes as fast as possible.
    #[arg(long, default_value_t = 0.0, value_name = "X")]
    pub speed: f64,

    /// After the last publish, how long to wait for deliveries still in flight.
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub settle: Duration,

    /// Serve the Wazo WebSocket (a wazo-websocketd emulator) beside the broker
    /// on ADDR (default 127.0.0.1 on a free port); needs --profile wazo. Every
    /// user gets a token with the default user policy; [tokens.NAME] add more.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:0")]
    pub websocket: Option<std::net::SocketAddr>,

    /// With --websocket: wait until N WebSocket sessions have sent `start` before playing.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "websocket")]
    pub websocket_sessions: usize,

    /// Where Phone.com events go (listeners, headers, timeout, rate limit, reordering).
    #[command(flatten)]
    pub webhooks: super::run_phonecom::WebhookArgs,
}

/// The platforms a scenario can be rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// Wazo's message bus (AMQP exchange `xivo`).
    Wazo,
    /// Phone.com's events v2 (webhooks).
    Phonecom,
}

/// Runs `switchboard run`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    if !(args.speed >= 0.0 && args.speed.is_finite()) {
        anyhow::bail!(
            "invalid --speed {}: expected 0 (as fast as possible) or a positive factor",
            args.speed
        );
    }
    let options = PlayOptions {
        seed: args.seed,
        clock: if args.now {
            VirtualClock::now()
        } else {
            VirtualClock::default()
        },
        speed: args.speed,
        profile: args.profile.into(),
    };
    match args.dialect {
        Dialect::Wazo => {
            args.webhooks.refuse_for("wazo")?;
            run_wazo(&args, &scenario, &options).await
        }
        Dialect::Phonecom if args.websocket.is_some() => {
            anyhow::bail!(
                "--websocket is the Wazo WebSocket: it needs --dialect wazo --profile wazo"
            )
        }
        Dialect::Phonecom => {
            super::run_phonecom::run(
                &args.webhooks,
                &scenario,
                &options,
                args.bus.format,
                args.bus.record.as_deref(),
            )
            .await
        }
    }
}

/// Plays `scenario` on an AMQP broker in the Wazo dialect.
async fn run_wazo(
    args: &Args,
    scenario: &Scenario,
    options: &PlayOptions,
) -> anyhow::Result<ExitCode> {
    // Everything a step could get wrong is reported before a broker starts.
    let rendered = harness::render_scenario(scenario, options)?;
    let names = Names::from_directory(&rendered.directory);

    let spec: BrokerSpec = args.bus.broker.parse()?;
    let bindings = args.bus.bindings_or_everything();
    let everything = bindings.iter().any(|key| key == "#");
    let harness = Harness::start_with(
        spec,
        HarnessOptions {
            profile: options.profile,
            exchange: args.bus.exchange.clone(),
            bindings: bindings.clone(),
            ..HarnessOptions::default()
        },
    )
    .await?;
    eprintln!(
        "run: playing \"{}\" (seed {}{}) on {} exchange '{}', recording {}",
        scenario.name,
        options.seed.unwrap_or(scenario.seed),
        match options.profile {
            crate::catalog::wazo::Profile::Documented => "",
            crate::catalog::wazo::Profile::Wazo => ", profile wazo",
        },
        harness.url(),
        match options.profile {
            crate::catalog::wazo::Profile::Documented => args.bus.exchange.as_str(),
            crate::catalog::wazo::Profile::Wazo => crate::sink::WAZO_HEADERS_EXCHANGE,
        },
        bindings.join(", ")
    );
    let websocket = match args.websocket {
        None => None,
        Some(bind) => {
            let side = super::websocket_side::WebsocketSide::start(
                bind,
                harness.url(),
                scenario,
                &rendered,
                options.profile,
                args.bus.record.is_some(),
            )
            .await;
            match side {
                Ok(side) => Some(side),
                Err(error) => {
                    harness.shutdown().await?;
                    return Err(error);
                }
            }
        }
    };
    if let Some(side) = &websocket
        && args.websocket_sessions > 0
    {
        eprintln!(
            "run: waiting for {} WebSocket session(s) to send start",
            args.websocket_sessions
        );
        // Ctrl-C interrupts the wait as any other.
        side.wait_started(args.websocket_sessions, Duration::from_secs(24 * 3600))
            .await?;
    }
    let mut record = match &args.bus.record {
        Some(path) => Some(JsonlWriter::create(path)?),
        None => None,
    };

    let mut printer = Printer {
        format: args.bus.format,
        profile: options.profile,
        names: &names,
        received: 0,
        violations: 0,
        output_closed: false,
    };
    let mut cursor = harness.recorder().cursor();
    // While playing, print whatever arrives.
    let played: Result<PlayReport, PlayError> = {
        let play = harness.play_rendered(rendered, options.speed);
        tokio::pin!(play);
        loop {
            tokio::select! {
                result = &mut play => break result,
                Some(delivery) = cursor.next() => {
                    printer.delivery(&delivery, record.as_mut())?;
                }
            }
        }
    };
    let report = match played {
        Ok(report) => report,
        Err(error) => {
            harness.shutdown().await?;
            return Err(error.into());
        }
    };
    // Then whatever is still in flight, until everything published arrived
    // (when recording everything) or nothing came for `settle`.
    while !(everything && printer.received >= report.published) {
        match tokio::time::timeout(args.settle, cursor.next()).await {
            Ok(Some(delivery)) => printer.delivery(&delivery, record.as_mut())?,
            Ok(None) | Err(_) => break,
        }
    }
    // The WebSocket first: its sessions close 1001, not 1011 for a lost bus.
    if let Some(side) = websocket {
        side.finish(args.bus.record.as_deref()).await?;
    }
    harness.shutdown().await?;

    let missing = if everything {
        report.published.saturating_sub(printer.received)
    } else {
        0
    };
    printer.summary(&report, missing)?;
    Ok(if printer.violations > 0 || missing > 0 {
        ExitCode::from(super::EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints deliveries and the summary, counting what it saw.
struct Printer<'a> {
    format: OutputFormat,
    /// The profile deliveries are checked against: the one played.
    profile: crate::catalog::wazo::Profile,
    names: &'a Names,
    received: usize,
    violations: usize,
    /// Set on a broken pipe (`switchboard run … | head`): keep running, stop printing.
    output_closed: bool,
}

impl Printer<'_> {
    fn delivery(
        &mut self,
        delivery: &Delivery,
        record: Option<&mut JsonlWriter>,
    ) -> anyhow::Result<()> {
        self.received += 1;
        let violations = delivery.contract_violations_as(self.profile.into());
        self.violations += violations.len();
        if let Some(writer) = record {
            writer.write(delivery)?;
        }
        let name = delivery.name().unwrap_or("-");
        let line = match self.format {
            OutputFormat::Text => {
                let summary = delivery
                    .json()
                    .and_then(|body| summarize(body, self.names))
                    .unwrap_or_else(|| delivery.summary(80));
                let mut line = format!(
                    "{:>4}  {name:<36}  {:<44}  {summary}",
                    delivery.seq, delivery.routing_key
                );
                for violation in &violations {
                    line.push_str(&format!("\n      ✗ {violation}"));
                }
                line
            }
            OutputFormat::Json => json!({
                "type": "delivery",
                "name": delivery.name(),
                "delivery": delivery,
                "violations": violations,
            })
            .to_string(),
        };
        self.print(&line)
    }

    fn summary(&mut self, report: &PlayReport, missing: usize) -> anyhow::Result<()> {
        let line = match self.format {
            OutputFormat::Text => {
                let mut line = format!(
                    "scenario \"{}\" (seed {}): published {}, confirmed {}, received {}, contract violations {}",
                    report.scenario,
                    report.seed,
                    report.published,
                    report.confirmed,
                    self.received,
                    self.violations
                );
                if missing > 0 {
                    line.push_str(&format!(" — {missing} published message(s) never arrived"));
                }
                line
            }
            OutputFormat::Json => json!({
                "type": "summary",
                "scenario": report.scenario,
                "seed": report.seed,
                "published": report.published,
                "confirmed": report.confirmed,
                "received": self.received,
                "missing": missing,
                "violations": self.violations,
            })
            .to_string(),
        };
        self.print(&line)
    }

    fn print(&mut self, line: &str) -> anyhow::Result<()> {
        if self.output_closed {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        match writeln!(out, "{line}").and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.output_closed = true;
                Ok(())
            }
            Err(error) => Err(error).context("cannot write to stdout"),
        }
    }
}
