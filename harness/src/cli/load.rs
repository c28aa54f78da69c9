//! `switchboard load`: play many scenario instances at a controlled rate and
//! report what the broker and its consumers sustained.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::format::OutputFormat;
use super::profile_args::{PUBLISH_HELP, ProfileArg};
use crate::load::junit::to_junit;
use crate::load::slo::Verdict;
use crate::load::{
    AckMode, ConsumerOptions, InstanceSource, LiveStatus, LoadError, LoadOptions, LoadReport, Mix,
    RampOptions, Rate, Slo, Speed, find_max, run as run_load,
};
use crate::provision::{self, BrokerSpec, Provisioned};
use crate::sink::{WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};

/// Play many scenario instances at once against a broker and measure it.
///
/// Instances of the --mix arrive open-loop at --rate per second (or
/// --event-rate messages per second), each with its own seed-derived uuids,
/// call ids and timestamps (parties come from 32 renderings of each scenario
/// made at start-up), their steps spaced by the scenario's timings divided by
/// --speed.
/// The report gives published/confirmed/consumed rates, publish→confirm and
/// publish→deliver latency percentiles, consumer lag, connection outages and
/// a strict ledger of every message by id. Ctrl-C ends the run with a full
/// report. Exit code 1 when an --slo term is missed.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("rate_kind").required(true).args(["rate", "event_rate"]))]
pub struct Args {
    /// The broker: embedded (default), local, container (or container:IMAGE:TAG) or an
    /// amqp:// URL. Repeat to spread connections over cluster nodes.
    // Parsed in `run`, not by clap: clap would echo a URL's password in its error.
    #[arg(long = "broker", value_name = "BROKER")]
    pub brokers: Vec<String>,

    /// The scenarios and their shares: NAME=WEIGHT,… (a shipped scenario's
    /// name or a path to a .toml file), e.g. call_lifecycle=70,conference=30.
    #[arg(long, value_name = "MIX")]
    pub mix: String,

    /// Where scenario names of the mix are looked up.
    #[arg(long, default_value = "scenarios", value_name = "DIR")]
    pub scenarios: PathBuf,

    /// Scenario instances starting per second.
    #[arg(long, value_name = "PER_SECOND")]
    pub rate: Option<f64>,

    /// Messages per second instead (turned into instances with the mix's mean size).
    #[arg(long, value_name = "PER_SECOND")]
    pub event_rate: Option<f64>,

    /// Stop starting instances after this long, e.g. 60s or 5m.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,

    /// Stop after this many instances.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Speed up scenario timings: 1 is real time, 10 ten times faster, inf
    /// publishes each instance's messages at once.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub speed: f64,

    /// Publishing connections.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub connections: usize,

    /// Publishing channels per connection.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub channels: usize,

    /// Publisher confirms.
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub confirm: Switch,

    /// Consumers per binding (0: none).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub consumers: usize,

    /// A binding key for the consumers' queue; repeat for several queues. Default: #.
    #[arg(long = "bind", value_name = "KEY")]
    pub bindings: Vec<String>,

    /// Unacknowledged deliveries each consumer may hold.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub prefetch: u16,

    /// How consumers acknowledge.
    #[arg(long, value_enum, default_value_t = AckArg::Auto)]
    pub consumer_ack: AckArg,

    /// The topic exchange (the document's `xivo`; with `--profile wazo`
    /// only wazo-auth's events are published there).
    #[arg(long, default_value = WAZO_EXCHANGE, value_name = "NAME")]
    pub exchange: String,

    #[arg(long, value_enum, default_value_t = ProfileArg::Documented, help = PUBLISH_HELP)]
    pub profile: ProfileArg,

    /// The headers exchange of `--profile wazo`; its consumers bind only `#` there.
    #[arg(long, default_value = WAZO_HEADERS_EXCHANGE, value_name = "NAME")]
    pub headers_exchange: String,

    /// The base seed; each instance's seed derives from it.
    #[arg(long, default_value_t = crate::scenario::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,

    /// Output format of the final report.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Also write a JUnit XML report to this file (one test case per SLO term).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Objectives to pass, e.g. p99<50ms,loss=0 (see the README for the metrics).
    #[arg(long, value_name = "TERMS")]
    pub slo: Option<String>,

    /// Ramp the rate from --rate (or --event-rate) until the broker falls
    /// behind, and report the highest sustainable rate.
    #[arg(long)]
    pub find_max: bool,

    /// --find-max: how long each step lasts.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub step: Duration,

    /// --find-max: each step's rate is the previous one times this.
    #[arg(long, default_value_t = 1.5, value_name = "FACTOR")]
    pub ramp: f64,

    /// --find-max: the most steps to try.
    #[arg(long, default_value_t = 12, value_name = "N")]
    pub max_steps: usize,

    /// --find-max: a publish→confirm p99 above this means the broker fell behind.
    #[arg(long, default_value = "100ms", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub max_p99: Duration,

    /// --find-max: a consumer lag above this (messages) means the consumers fell behind.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_lag: u64,

    /// Messages each channel may hold queued before more are counted as not
    /// sent (bounds memory when the broker stalls).
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub backlog: usize,

    /// How long to wait for outstanding confirms once publishing ends.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub confirm_timeout: Duration,

    /// How long consumers may stay silent at the end before missing messages count as lost.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub drain_timeout: Duration,

    /// How long a lost connection is retried before its messages are given up.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub reconnect_limit: Duration,
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// `--consumer-ack` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AckArg {
    /// The broker forgets a message once delivered (no_ack).
    Auto,
    /// Each delivery is acknowledged with basic.ack.
    Manual,
}

/// The JSON document of a single run.
#[derive(Serialize)]
struct RunOutput<'a> {
    #[serde(flatten)]
    report: &'a LoadReport,
    slo: &'a [Verdict],
}

/// Runs `switchboard load`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let slo: Option<Slo> = args.slo.as_deref().map(str::parse).transpose()?;
    let mix: Mix = args.mix.parse()?;
    let scenarios = mix.load(&args.scenarios)?;
    let source = InstanceSource::with_profile(scenarios, args.seed, args.profile.into())?;
    let rate = match (args.rate, args.event_rate) {
        (Some(rate), _) => Rate::Instances(rate),
        (None, Some(rate)) => Rate::Events(rate),
        // clap's group demands one of them.
        (None, None) => anyhow::bail!("give --rate or --event-rate"),
    };
    let speed = Speed::new(args.speed)?;
    if !args.find_max && args.duration.is_none() && args.count.is_none() {
        // Said before a broker is started for nothing.
        return Err(LoadError::Unbounded.into());
    }
    let specs: Vec<BrokerSpec> = if args.brokers.is_empty() {
        vec![BrokerSpec::Embedded]
    } else {
        args.brokers
            .iter()
            .map(|broker| broker.parse())
            .collect::<Result<_, _>>()?
    };
    let mut brokers: Vec<Provisioned> = Vec::new();
    for spec in &specs {
        brokers.push(provision::provision(spec).await?);
    }
    if specs.contains(&BrokerSpec::Embedded) {
        eprintln!("load: started the embedded broker at {}", brokers[0].url());
    }
    let mut options = LoadOptions::new(
        brokers.iter().map(|broker| broker.url().clone()).collect(),
        rate,
    );
    options.exchange = args.exchange.clone();
    options.profile = args.profile.into();
    options.headers_exchange = args.headers_exchange.clone();
    options.duration = args.duration;
    options.count = args.count;
    if args.find_max {
        // Each step has its own duration; the run's bounds do not apply.
        options.duration = Some(args.step);
        options.count = None;
    }
    options.speed = speed;
    options.connections = args.connections;
    options.channels = args.channels;
    options.confirms = args.confirm == Switch::On;
    options.consumers = ConsumerOptions {
        count: args.consumers,
        bindings: args.bindings.clone(),
        prefetch: args.prefetch,
        ack: match args.consumer_ack {
            AckArg::Auto => AckMode::Auto,
            AckArg::Manual => AckMode::Manual,
        },
    };
    options.seed = args.seed;
    options.confirm_timeout = args.confirm_timeout;
    options.drain_timeout = args.drain_timeout;
    options.reconnect_limit = args.reconnect_limit;
    options.backlog = args.backlog;

    let cancel = CancellationToken::new();
    let interrupt = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
            }
        })
    };
    let progress = live_line();
    let observer = |status: &LiveStatus| {
        if let Some(bar) = &progress {
            bar.set_message(live_message(status));
        }
    };
    let observer: Option<&(dyn Fn(&LiveStatus) + Sync)> = progress.as_ref().map(|_| &observer as _);

    let outcome = if args.find_max {
        let ramp = RampOptions {
            factor: args.ramp,
            step: args.step,
            max_steps: args.max_steps,
            max_confirm_p99: args.max_p99,
            max_lag: args.max_lag,
            ..RampOptions::default()
        };
        find_max(&options, &source, &ramp, &cancel, observer)
            .await
            .map(Outcome::FindMax)
    } else {
        run_load(&options, source, &cancel, observer)
            .await
            .map(Outcome::Run)
    };
    interrupt.abort();
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    for broker in brokers {
        broker.shutdown().await?;
    }
    let outcome = outcome?;

    let report = match &outcome {
        Outcome::Run(report) => Some(report),
        Outcome::FindMax(ramp) => ramp.best.as_ref(),
    };
    let verdicts = match (&slo, report) {
        (Some(slo), Some(report)) => slo.check(report),
        _ => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    match (&outcome, args.format) {
        (Outcome::Run(report), OutputFormat::Text) => {
            write!(out, "{}", report.to_text())?;
            print_verdicts(&mut out, &verdicts)?;
        }
        (Outcome::Run(report), OutputFormat::Json) => {
            serde_json::to_writer_pretty(
                &mut out,
                &RunOutput {
                    report,
                    slo: &verdicts,
                },
            )?;
            writeln!(out)?;
        }
        (Outcome::FindMax(ramp), OutputFormat::Text) => {
            write!(out, "{}", ramp.to_text())?;
            print_verdicts(&mut out, &verdicts)?;
        }
        (Outcome::FindMax(ramp), OutputFormat::Json) => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"find_max": ramp, "slo": verdicts}),
            )?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if let (Some(path), Some(report)) = (&args.junit, report) {
        std::fs::write(path, to_junit(report, &verdicts))
            .with_context(|| format!("cannot write the JUnit report to {}", path.display()))?;
    }
    let failed = verdicts.iter().any(|verdict| !verdict.passed)
        || report.is_some_and(|report| !report.ledger.balanced())
        || (slo.is_some() && report.is_none());
    Ok(if failed {
        ExitCode::from(super::EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

enum Outcome {
    Run(LoadReport),
    FindMax(crate::load::FindMaxReport),
}

fn print_verdicts(out: &mut impl Write, verdicts: &[Verdict]) -> std::io::Result<()> {
    if !verdicts.is_empty() {
        writeln!(out, "  slo")?;
        for verdict in verdicts {
            writeln!(out, "    {verdict}")?;
        }
    }
    Ok(())
}

/// A spinner line on stderr, only when stderr is a terminal.
fn live_line() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    Some(bar)
}

fn live_message(status: &LiveStatus) -> String {
    format!(
        "{:>6.1}s  published {:>9} ({:>8.0}/s)  consumed {:>8.0}/s  confirm p99 {:>7.2}ms  lag {:>7}  errors {}",
        status.elapsed.as_secs_f64(),
        status.published,
        status.publish_rate,
        status.consume_rate,
        status.confirm_p99.as_secs_f64() * 1000.0,
        status.lag,
        status.errors
    )
}
