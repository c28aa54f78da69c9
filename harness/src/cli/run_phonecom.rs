//! `switchboard run --dialect phonecom`: render a scenario as Phone.com v2
//! events and deliver them to webhook listeners, as Phone.com does.
//!
//! The arguments live here and are flattened into `run`'s; the work is the
//! library's: [`crate::dialect::phonecom::render`] then
//! [`crate::sink::webhook::deliver_observed`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};

use super::EXIT_FINDINGS;
use super::format::OutputFormat;
use crate::dialect::phonecom::{self, RenderOptions};
use crate::harness::PlayOptions;
use crate::scenario::Scenario;
use crate::sim;
use crate::sink::webhook::{
    CallbackHeader, DEFAULT_TIMEOUT, DeliveryOptions, DeliveryReport, Listener, Outcome,
    OutcomeResult, RateLimit, deliver_observed,
};

/// Where and how Phone.com events are delivered.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Phone.com webhooks (--dialect phonecom)")]
pub struct WebhookArgs {
    /// A listener: `id=1000,url=http://127.0.0.1:8080/hook,tags=call+inbound`; `tags=`
    /// repeatable (any matches, each a `+`-joined AND), optional
    /// `context=account[:ID]` or `context=extension:ID`. Repeat for several listeners.
    #[arg(long = "listener", value_name = "SPEC")]
    pub listeners: Vec<Listener>,

    /// A header sent with every callback request, e.g. 'X-Api-Key: secret'. Repeatable.
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<CallbackHeader>,

    /// How long one callback request may take (connect, send, answer).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,

    /// At most NUMBER events per PERIOD to each listener (e.g. 10/1s), counted on
    /// the events' timestamps; the excess is suppressed and counted.
    #[arg(long, value_name = "NUMBER/PERIOD")]
    pub rate_limit: Option<RateLimit>,

    /// Shuffle events whose timestamps are this close (e.g. 50ms), as Phone.com
    /// does not guarantee their order; the shuffle comes from the seed.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub reorder_window: Option<Duration>,

    /// Do not POST {"test": 1} to each callback first (Phone.com does, and
    /// requires 200 or 201).
    #[arg(long)]
    pub no_callback_check: bool,
}

impl WebhookArgs {
    /// Refuses webhook options with a dialect that does not deliver to webhooks.
    pub fn refuse_for(&self, dialect: &str) -> anyhow::Result<()> {
        let given = [
            (!self.listeners.is_empty(), "--listener"),
            (!self.headers.is_empty(), "--header"),
            (self.timeout.is_some(), "--timeout"),
            (self.rate_limit.is_some(), "--rate-limit"),
            (self.reorder_window.is_some(), "--reorder-window"),
            (self.no_callback_check, "--no-callback-check"),
        ];
        if let Some((_, option)) = given.iter().find(|(given, _)| *given) {
            anyhow::bail!(
                "{option} applies to webhooks (--dialect phonecom), not to --dialect {dialect}"
            );
        }
        Ok(())
    }
}

/// Renders `scenario` as Phone.com v2 events and delivers them; exit code 1
/// when a delivery failed.
pub async fn run(
    webhooks: &WebhookArgs,
    scenario: &Scenario,
    options: &PlayOptions,
    format: OutputFormat,
    record: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    if webhooks.listeners.is_empty() {
        anyhow::bail!(
            "--dialect phonecom delivers to webhooks: give at least one --listener, e.g. \
             --listener id=1000,url=http://127.0.0.1:8080/hook,tags=call \
             (`switchboard receive --port 8080` runs a receiver)"
        );
    }
    let timeline = sim::simulate(scenario, &options.sim_options())?;
    let rendered = phonecom::render(
        &timeline,
        &RenderOptions {
            reorder_window: webhooks.reorder_window,
        },
    )
    .with_context(|| format!("cannot render {} as Phone.com events", scenario.name))?;
    let mut recording = record
        .map(|path| {
            File::create(path)
                .map(BufWriter::new)
                .with_context(|| format!("cannot create the recording {}", path.display()))
        })
        .transpose()?;
    eprintln!(
        "run: delivering \"{}\" (seed {}) as {} Phone.com v2 events to {} listener(s)",
        scenario.name,
        timeline.seed,
        rendered.events.len(),
        webhooks.listeners.len()
    );
    let delivery = DeliveryOptions {
        headers: webhooks.headers.clone(),
        timeout: webhooks.timeout.unwrap_or(DEFAULT_TIMEOUT),
        rate_limit: webhooks.rate_limit,
        check_callbacks: !webhooks.no_callback_check,
        speed: options.speed,
    };
    let mut output = Output {
        format,
        closed: false,
        error: None,
    };
    let report = deliver_observed(&rendered, &webhooks.listeners, &delivery, |outcome| {
        let line = outcome_json(outcome);
        if let Some(file) = recording.as_mut()
            && let Err(error) = writeln!(file, "{line}").and_then(|()| file.flush())
        {
            output.error.get_or_insert(error);
        }
        match format {
            OutputFormat::Json => output.print(&line.to_string()),
            OutputFormat::Text => output.print(&outcome_text(outcome)),
        }
    })
    .await;
    if let Some(error) = output.error.take() {
        return Err(error).context("cannot write the output or the recording");
    }
    output.summary(&report);
    if let Some(error) = output.error.take() {
        return Err(error).context("cannot write to stdout");
    }
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// One outcome as a JSON Lines record: `{"type":"delivery",…}`.
fn outcome_json(outcome: &Outcome<'_>) -> Value {
    let (result, status, reason) = match &outcome.result {
        OutcomeResult::Delivered(status) => ("delivered", Some(status.as_u16()), None),
        OutcomeResult::Suppressed => ("suppressed", None, None),
        OutcomeResult::Failed(failure) => ("failed", None, Some(failure.reason.to_string())),
    };
    json!({
        "type": "delivery",
        "listener_id": outcome.listener.id,
        "event_index": outcome.event.index,
        "result": result,
        "status": status,
        "reason": reason,
        "event": outcome.envelope,
    })
}

/// `   3  listener 1000  call       [call new-call …]  200 OK`.
fn outcome_text(outcome: &Outcome<'_>) -> String {
    let result = match &outcome.result {
        OutcomeResult::Delivered(status) => status.to_string(),
        OutcomeResult::Suppressed => "suppressed (rate limit)".to_string(),
        OutcomeResult::Failed(failure) => format!("✗ {}", failure.reason),
    };
    format!(
        "{:>4}  listener {:<6}  {:<9}  [{}]  {result}",
        outcome.event.index,
        outcome.listener.id,
        outcome.event.data_type.as_str(),
        outcome.event.tags.join(" "),
    )
}

/// Prints to stdout, stopping quietly on a broken pipe and keeping the
/// first other error for the end.
struct Output {
    format: OutputFormat,
    closed: bool,
    error: Option<io::Error>,
}

impl Output {
    fn print(&mut self, line: &str) {
        if self.closed || self.error.is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        match writeln!(out, "{line}").and_then(|()| out.flush()) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => self.closed = true,
            Err(error) => self.error = Some(error),
        }
    }

    fn summary(&mut self, report: &DeliveryReport) {
        match self.format {
            OutputFormat::Text => {
                for failure in report.failures.iter().filter(|f| f.event_index.is_none()) {
                    self.print(&format!("✗ {failure}"));
                }
                self.print(&report.to_string());
            }
            OutputFormat::Json => {
                for failure in report.failures.iter().filter(|f| f.event_index.is_none()) {
                    let line = json!({
                        "type": "check_failure",
                        "listener_id": failure.listener_id,
                        "reason": failure.reason.to_string(),
                    });
                    self.print(&line.to_string());
                }
                let line = json!({
                    "type": "summary",
                    "events": report.events,
                    "unmatched": report.unmatched,
                    "failures": report.failures.len(),
                    "listeners": report.listeners,
                });
                self.print(&line.to_string());
            }
        }
    }
}
