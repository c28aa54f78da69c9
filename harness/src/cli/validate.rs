//! `switchboard validate`: check messages against the documented contracts.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::format::OutputFormat;
use super::profile_args::{CHECK_HELP, CheckProfileArg};
use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::contract::{self, DialectChoice, Report, Violation};

/// Check messages against the Wazo and Phone.com documentation.
///
/// Reads JSON messages (one per line, one document, or an array of them). Wazo
/// messages may be bare envelopes {name, origin_uuid, required_acl, data} or
/// records {routing_key, headers, body}. Whatever switchboard records is read
/// too: `run`/`tap`/`receive --record` files, their `--format json` output,
/// and `check` snapshots (callback checks and summary lines are skipped). Reports, for each message, unknown or
/// removed events, routing keys and ACLs that do not match their templates, and
/// missing, unexpected or mistyped fields with their JSON path.
///
/// Exit codes: 0 every message conforms, 1 some do not, 2 the input cannot be read.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The file to read; `-` or nothing reads standard input.
    #[arg(default_value = "-")]
    pub input: PathBuf,

    /// Which documentation to check against; `auto` tells from each message's keys.
    #[arg(long, value_enum, default_value_t = Dialect::Auto)]
    pub dialect: Dialect,

    #[arg(long, value_enum, default_value_t = CheckProfileArg::Auto, help = CHECK_HELP)]
    pub profile: CheckProfileArg,

    /// Output format: `text` for people, `json` for CI.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// The documentation to check against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dialect {
    /// Tell from each message.
    Auto,
    /// The Wazo message bus.
    Wazo,
    /// Phone.com events v2.
    Phonecom,
}

impl From<Dialect> for DialectChoice {
    fn from(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Auto => DialectChoice::Auto,
            Dialect::Wazo => DialectChoice::Wazo,
            Dialect::Phonecom => DialectChoice::Phonecom,
        }
    }
}

/// The report of one message, as printed with `--format json`.
#[derive(Debug, Serialize)]
struct MessageReport<'a> {
    /// The line the message starts on.
    line: usize,
    ok: bool,
    #[serde(flatten)]
    report: &'a Report,
    /// One sentence per violation, in the order of `violations`.
    messages: Vec<String>,
}

/// The whole output of `--format json`.
#[derive(Debug, Serialize)]
struct Output<'a> {
    source: String,
    total: usize,
    failed: usize,
    /// Recorded lines that hold no message (callback checks, summaries).
    skipped: usize,
    reports: Vec<MessageReport<'a>>,
}

pub async fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let source = if args.input.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        args.input.display().to_string()
    };
    let text = match read_input(&args.input) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("switchboard: cannot read {source}: {error:#}");
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    };
    let input = match contract::parse_input(&text) {
        Ok(input) => input,
        Err(error) => {
            eprintln!(
                "switchboard: {source}: line {}: not valid JSON: {}",
                error.line, error.source
            );
            return Ok(ExitCode::from(EXIT_ERROR));
        }
    };
    let dialect = DialectChoice::from(args.dialect);
    let checked: Vec<(usize, Report)> = input
        .messages
        .iter()
        .map(|input| {
            let report = contract::check_with(&input.message, dialect, args.profile.into());
            (input.line, report)
        })
        .collect();
    let failed = checked.iter().filter(|(_, report)| !report.is_ok()).count();

    let mut stdout = std::io::stdout().lock();
    let skipped = input.skipped.len();
    let written = match args.format {
        OutputFormat::Json => write_json(&mut stdout, &source, &checked, failed, skipped),
        OutputFormat::Text => write_text(&mut stdout, &source, &checked, failed, skipped),
    };
    if let Err(error) = written {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(error).context("cannot write the report");
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

fn read_input(input: &PathBuf) -> std::io::Result<String> {
    if input.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(input)
    }
}

fn write_json(
    out: &mut impl Write,
    source: &str,
    checked: &[(usize, Report)],
    failed: usize,
    skipped: usize,
) -> std::io::Result<()> {
    let output = Output {
        source: source.to_owned(),
        total: checked.len(),
        failed,
        skipped,
        reports: checked
            .iter()
            .map(|(line, report)| MessageReport {
                line: *line,
                ok: report.is_ok(),
                report,
                messages: report.violations.iter().map(Violation::to_string).collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)
}

fn write_text(
    out: &mut impl Write,
    source: &str,
    checked: &[(usize, Report)],
    failed: usize,
    skipped: usize,
) -> std::io::Result<()> {
    for (line, report) in checked {
        writeln!(out, "{source}:{line}: {report}")?;
    }
    let skipped = if skipped > 0 {
        format!(
            " ({skipped} recorded line(s) without a message skipped: callback checks, summaries)"
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} message(s), {} conform, {failed} with violations{skipped}",
        checked.len(),
        checked.len() - failed
    )
}
