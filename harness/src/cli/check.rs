//! `switchboard check --consumer`: snapshot-test a downstream consumer's output.
//!
//! The consumer runs as a process against the harness's broker
//! ([`ExternalConsumer`]); once it is consuming, the scenario is played, and
//! once it has gone quiet its standard output is compared with a snapshot
//! in insta's format ([`Snapshot`]). This is what a team building on the Wazo
//! bus puts in its CI.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use regex::Regex;
use switchboard_broker::{BrokerHandle, Config, EmbeddedBroker};

use super::profile_args::{PUBLISH_HELP, ProfileArg};
use super::websocket_side::WebsocketSide;
use crate::harness::{Harness, HarnessOptions, PlayOptions, RenderedScenario};
use crate::provision::{self, BrokerSpec, Provisioned};
use crate::record::ExternalConsumer;
use crate::record::snapshot::{Comparison, Snapshot, describe_difference};
use crate::scenario::Scenario;
use crate::sim::VirtualClock;
use crate::sink::{WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE};

/// Run a consumer against a scenario and compare what it prints with a snapshot.
///
/// Starts the broker (embedded by default), starts CONSUMER with
/// SWITCHBOARD_AMQP_URL and AMQP_URL set to the broker's URL, waits until it
/// is consuming (its queue bound to the `xivo` exchange, or --ready-line
/// printed), plays the scenario, waits until the consumer has printed nothing
/// for --settle, stops it and compares its standard output with the
/// snapshot. Exit code 0: it matches (or --accept stored it); 1: it differs
/// or no snapshot exists yet (the new output is left as PATH.new for
/// `cargo insta review`); 2: the check could not be done.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The consumer's command line, run with `sh -c`, e.g. 'python3 consumer.py'.
    #[arg(long, value_name = "CMD")]
    pub consumer: String,

    /// The scenario to play (TOML).
    #[arg(long, value_name = "FILE")]
    pub scenario: PathBuf,

    /// The snapshot file. Default: snapshots/consumer_NAME.snap, NAME being the scenario file name.
    #[arg(long, value_name = "PATH")]
    pub snapshot: Option<PathBuf>,

    /// A regular expression: the consumer is ready once a line of its output
    /// matches. Without it, ready means its queue is bound and consumed on the
    /// embedded broker (required with another broker).
    #[arg(long, value_name = "RE")]
    pub ready_line: Option<Regex>,

    /// How long the consumer must print nothing, after the last publish, to be done.
    #[arg(long, default_value = "1s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub settle: Duration,

    /// How long the consumer may take to be ready, and to go quiet.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub timeout: Duration,

    /// Store the output as the snapshot instead of comparing.
    #[arg(long)]
    pub accept: bool,

    /// The broker: embedded (default), an amqp:// URL, container (or container:IMAGE:TAG) or local.
    #[arg(long, default_value = "embedded", value_name = "BROKER")]
    pub broker: String,

    /// Seed for generated data, replacing the scenario's.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    #[arg(long, value_enum, default_value_t = ProfileArg::Documented, help = PUBLISH_HELP)]
    pub profile: ProfileArg,

    /// Serve the Wazo WebSocket too (needs --profile wazo): the consumer gets
    /// SWITCHBOARD_WS_URL and SWITCHBOARD_WS_TOKEN, and is ready once its
    /// session has sent `start` (unless --ready-line says otherwise).
    #[arg(long)]
    pub websocket: bool,

    /// With --websocket: whose token the consumer gets, a user handle or a
    /// [tokens.NAME]. Default: the scenario's first user.
    #[arg(long = "as", value_name = "HANDLE", requires = "websocket")]
    pub as_handle: Option<String>,
}

/// Where the broker comes from: started here (so its bindings can be seen) or provisioned.
enum Broker {
    Embedded(BrokerHandle),
    // Boxed: a provisioned broker's guard is large.
    Provisioned(Box<Provisioned>),
}

/// Runs `switchboard check`.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let scenario = Scenario::load(&args.scenario)?;
    let options = PlayOptions {
        seed: args.seed,
        clock: VirtualClock::default(),
        speed: 0.0,
        profile: args.profile.into(),
    };
    // A bad step is reported before anything starts.
    let rendered = crate::harness::render_scenario(&scenario, &options)?;
    let spec: BrokerSpec = args.broker.parse()?;
    if spec != BrokerSpec::Embedded && args.ready_line.is_none() && !args.websocket {
        anyhow::bail!(
            "--broker {spec} needs --ready-line: only on the embedded broker can switchboard see when the consumer's queue is bound"
        );
    }
    let snapshot = Snapshot {
        path: args.snapshot.clone().unwrap_or_else(|| {
            let stem = args.scenario.file_stem().map_or_else(
                || scenario.name.clone(),
                |stem| stem.to_string_lossy().into_owned(),
            );
            PathBuf::from("snapshots").join(format!("consumer_{stem}.snap"))
        }),
        source: format!("switchboard check --scenario {}", args.scenario.display()),
        expression: args.consumer.clone(),
    };

    let broker = match &spec {
        BrokerSpec::Embedded => Broker::Embedded(
            EmbeddedBroker::start(Config::default())
                .await
                .context("cannot start the embedded broker")?,
        ),
        other => Broker::Provisioned(Box::new(provision::provision(other).await?)),
    };
    let url = match &broker {
        Broker::Embedded(handle) => handle.url().parse()?,
        Broker::Provisioned(provisioned) => provisioned.url().clone(),
    };
    let harness = Harness::start_with(
        BrokerSpec::Url(url),
        HarnessOptions {
            profile: options.profile,
            ..HarnessOptions::default()
        },
    )
    .await?;
    let output = play_to_consumer(&args, &scenario, rendered, &broker, &harness).await;
    harness.shutdown().await?;
    match broker {
        Broker::Embedded(handle) => handle.shutdown().await,
        Broker::Provisioned(provisioned) => (*provisioned).shutdown().await?,
    }
    let output = output?;

    if args.accept {
        snapshot.accept(&output)?;
        println!(
            "check: stored the consumer's output ({} lines) as {}",
            output.lines().count(),
            snapshot.path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    match snapshot.compare(&output)? {
        Comparison::Matches => {
            println!(
                "check: the consumer's output matches {}",
                snapshot.path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Comparison::Missing => {
            let pending = snapshot.propose(&output)?;
            println!(
                "check: no snapshot at {} yet; the consumer's output ({} lines) is in {}\n\
                 review it with `cargo insta review`, or rerun with --accept",
                snapshot.path.display(),
                output.lines().count(),
                pending.display()
            );
            Ok(ExitCode::from(super::EXIT_FINDINGS))
        }
        Comparison::Differs { expected } => {
            let pending = snapshot.propose(&output)?;
            print!(
                "check: the consumer's output differs from {} (- stored, + now):\n{}",
                snapshot.path.display(),
                describe_difference(&expected, &output)
            );
            println!(
                "the new output is in {}; accept it with `cargo insta review` or --accept",
                pending.display()
            );
            Ok(ExitCode::from(super::EXIT_FINDINGS))
        }
    }
}

/// Starts the consumer, waits until it listens, plays, waits until it is
/// quiet, stops it and returns what it printed.
async fn play_to_consumer(
    args: &Args,
    scenario: &Scenario,
    rendered: RenderedScenario,
    broker: &Broker,
    harness: &Harness,
) -> anyhow::Result<String> {
    let websocket = if args.websocket {
        let side = WebsocketSide::start(
            "127.0.0.1:0".parse()?,
            harness.url(),
            scenario,
            &rendered,
            args.profile.into(),
            false,
        )
        .await?;
        Some(side)
    } else {
        None
    };
    let mut consumer = match &websocket {
        None => ExternalConsumer::spawn(&args.consumer, harness.url())?,
        Some(side) => {
            let url = side.url();
            let token = side.token(args.as_handle.as_deref())?;
            ExternalConsumer::spawn_with_env(
                &args.consumer,
                harness.url(),
                &[
                    ("SWITCHBOARD_WS_URL", &url),
                    ("SWITCHBOARD_WS_TOKEN", token),
                ],
            )?
        }
    };
    match (&args.ready_line, broker, &websocket) {
        (Some(ready), _, _) => consumer.wait_for_line(ready, args.timeout).await?,
        (None, _, Some(side)) => side.wait_started(1, args.timeout).await?,
        (None, Broker::Embedded(handle), None) => {
            consumer
                .wait_until_bound(
                    handle,
                    &[WAZO_EXCHANGE, WAZO_HEADERS_EXCHANGE],
                    harness.recorder().queue(),
                    args.timeout,
                )
                .await?;
        }
        (None, Broker::Provisioned(_), None) => {
            anyhow::bail!("only the embedded broker shows bindings: give --ready-line")
        }
    }
    // As fast as possible: the consumer's output, not its timing, is compared.
    let report = harness.play_rendered(rendered, 0.0).await?;
    // Everything has reached the broker's queues once the recorder has it all.
    harness
        .recorder()
        .wait_for(report.published, args.timeout)
        .await?;
    consumer.wait_until_quiet(args.settle, args.timeout).await;
    let output = consumer.stop().await;
    if let Some(side) = websocket {
        side.finish(None).await?;
    }
    Ok(output)
}
