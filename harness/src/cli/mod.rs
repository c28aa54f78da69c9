//! The `switchboard` command line: parse arguments, call the library, print.
//!
//! Each subcommand lives in its own module and exposes an `Args` struct
//! (clap) and an `async fn run(args) -> anyhow::Result<ExitCode>`. Nothing here
//! does work the library cannot do on its own.
//!
//! Exit codes, the same for every command:
//! - `0`: success, every message conforms;
//! - `1`: the run completed and found a problem (a contract violation, a
//!   snapshot mismatch, an SLO missed);
//! - `2`: the run could not be done (bad arguments, unreadable input, a broker
//!   that does not answer, a scenario file with errors).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod broker;
pub mod bus_args;
pub mod catalog;
pub mod check;
pub mod check_scenario;
pub mod format;
pub mod load;
pub mod profile_args;
pub mod receive;
pub mod run;
pub mod run_phonecom;
pub mod tap;
pub mod validate;
pub mod websocket_side;
pub mod websocketd;

/// Exit code when the run completed and found a problem.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code when the run could not be done at all.
pub const EXIT_ERROR: u8 = 2;

/// A test harness for telephony event buses (Wazo's AMQP bus, Phone.com's webhooks).
///
/// switchboard plays scripted scenarios that publish the documented events on
/// a broker, records what consumers receive, snapshot-tests it and checks every
/// message against the documented contract.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). Logs go to stderr; RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands, one module each. Each `Args` struct's doc comment is its
/// help: the first line in this list, the rest under `switchboard COMMAND --help`.
#[derive(Debug, Subcommand)]
pub enum Command {
    Run(run::Args),
    Check(check::Args),
    Catalog(catalog::CatalogArgs),
    Validate(validate::ValidateArgs),
    Broker(broker::Args),
    CheckScenario(check_scenario::Args),
    Tap(tap::Args),
    Load(Box<load::Args>),
    Receive(receive::Args),
    Websocketd(websocketd::Args),
}

/// Parses the command line, runs the command and turns its outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("switchboard: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("switchboard: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(args) => run::run(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Catalog(args) => catalog::run(args).await,
        Command::Validate(args) => validate::run(args).await,
        Command::Broker(args) => broker::run(args).await,
        Command::CheckScenario(args) => check_scenario::run(args).await,
        Command::Tap(args) => tap::run(args).await,
        Command::Load(args) => load::run(*args).await,
        Command::Receive(args) => receive::run(args).await,
        Command::Websocketd(args) => websocketd::run(args).await,
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        // Provisioning says which broker it starts (the image a container
        // runs, and why that one) even without -v.
        0 => "warn,switchboard::provision=info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // A second initialisation (tests calling `main` twice) is harmless: ignore it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
